/*
 * backfill_job.h - one retort_backfill() call made ready to run: its knobs
 * resolved (job struct, retort.ini, -x), its table and key quoted, its
 * keyset queries built, its size estimated.  Internal to backfill.c.
 */
#ifndef RETORT_BACKFILL_JOB_H
#define RETORT_BACKFILL_JOB_H

#include <stdbool.h>

#include "plugin_api.h"
#include "data/checkpoint.h"
#include "base/error.h"
#include "exec/context.h"
#include "data/progress.h"

/* Every knob, after the job struct, retort.ini and -x had their say. */
struct backfill_knobs {
	long batch_size, min_batch, max_batch;
	long target_ms, pause_ms, max_retries, max_lag_ms;
	const char *lock_timeout;      /* borrowed from the job, ini or -x */
	const char *statement_timeout; /* likewise */
};

struct backfill_job {
	struct host_ctx *hc;
	struct retort_backfill_job spec; /* the revision's, zero past size */
	const char *name;		 /* spec.name or "backfill" */
	struct backfill_knobs k;
	char *table;	 /* quoted, schema-qualified when given so */
	char **keys;	 /* quoted key columns */
	char **raw_keys; /* the same, as named */
	int nkeys;
	bool minmax;	 /* one key with min() and max(): a one-pass query */
	char *first_sql; /* bounds of the first batch: $1 = limit */
	char *next_sql;	 /* after a key: $1..$n, $n+1 = limit */
	char label[160]; /* "users" or "users (job)" for messages */
	long long planner_rows; /* the planner's row count, at start */
	int range_kind;		/* one numeric or uuid key: lo..hi; 0 = none */
	double range_lo, range_hi;
	struct checkpoint ck;
	struct progress prog;
	long long run_batches, run_rows, retries, splits;
	double waited_ms; /* paused or throttled for replication lag */
};

/*
 * Check spec and resolve everything a run needs.  Errors name the job
 * and say what to fix (RETORT_FAILED: the revision is wrong).
 */
int backfill_job_init(struct backfill_job *j, struct host_ctx *hc,
		      const struct retort_backfill_job *spec,
		      struct retort_error *err);
void backfill_job_release(struct backfill_job *j);

/*
 * Check every backfill knob the configuration sets (-x backfill.*, the
 * ini's backfill_*) against the knobs and what each accepts, before a run
 * applies anything: RETORT_USAGE naming the key and the value otherwise.
 * (The job struct's own values can only be checked when it runs.)
 */
int backfill_job_check_config(const struct config *cfg,
			      struct retort_error *err);

/*
 * Open a batch's transaction (BEGIN, the lock's fence, the batch's SET
 * LOCALs) in one round trip; db_commit() ends it, renewing the lease.
 */
int backfill_job_begin(struct backfill_job *j, struct retort_error *err);

/* Total rows expected, corrected by what the batches found so far. */
long long backfill_job_estimate(const struct backfill_job *j);

/* Key values as users read them: "42" or "(7, abc)", cut short. */
void backfill_job_format_key(const struct backfill_job *j,
			     const char *const *values, char *buf, size_t size);

#endif

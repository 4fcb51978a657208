/*
 * context.h - the host's view of a retort_ctx: what one call of upgrade()
 * or downgrade() runs with.  Apart from host.h (the function table) so
 * that the data-migration entries the table lists (data/backfill.c) can
 * read the context without depending on the table that lists them.
 */
#ifndef RETORT_CONTEXT_H
#define RETORT_CONTEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "plugin_api.h"
#include "config/config.h"
#include "store/db.h"
#include "base/error.h"
#include "exec/record.h"

/* The host's view of a retort_ctx: the public part first. */
struct host_ctx {
	struct retort_ctx base;
	struct db *db;
	const struct config *cfg;  /* -x arguments */
	FILE *out;		   /* retort_log lines; NULL = quiet */
	struct retort_error error; /* the first failure the revision met */
	bool failed;
	bool sent;	 /* the revision reached the server */
	bool batched;	 /* autocommit: retort_backfill() commits per batch */
	bool autocommit; /* RETORT_NO_TRANSACTION or batched: no step mark */
	bool sample; /* upgrade --sample: one batch per backfill, rolled back */
	const char *revision; /* the running revision's id, for checkpoints */
	struct timespec started; /* when the step began, for the audit */
	struct timespec started_mono;
	struct recorder *rec; /* a rehearsal's recorder; NULL in a run */
};

/* The host's view of the context a revision passes back. */
struct host_ctx *host_of(retort_ctx *ctx);

/* Record err as the revision's failure unless one is recorded already. */
void host_record(struct host_ctx *hc, const struct retort_error *err);

/*
 * In a rehearsal (hc->rec set), before a host call sends anything: the
 * prelude waiting (BEGIN, SET LOCAL) is recorded and sent on its own, so
 * that the statement after it is recorded and measured apart.  0 with no
 * rehearsal.
 */
int host_rec_prelude(struct host_ctx *hc, struct retort_error *err);

/*
 * Record a statement a revision sends through the host, at the running
 * host call's call site; *t0 is when it starts.  The index for host_rec_end(),
 * -1 when memory ran out (host_rec_end() then reports it).
 */
long host_rec_begin(struct host_ctx *hc, enum capture_origin origin,
		    const char *sql, int nparams, const char *const *values,
		    double *t0);
/* It ended (ok: it succeeded): its time and what it did; a failure to
 * measure is recorded as the revision's.  -1 after such a failure. */
int host_rec_end(struct host_ctx *hc, long idx, double t0, bool ok);

#endif

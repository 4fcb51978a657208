/*
 * capture.h - what a rehearsal saw: every statement the runner and each
 * revision sent, in the order they were sent, and what each one did to the
 * database (the locks it took, the tables it rewrote).
 *
 * The host side (exec/host.c, data/) records what revisions send through
 * plugin_api.h, the tap on the raw connection (store/tap.c) what they send
 * on the PGconn from retort_conn(), and exec/step.c the runner's own
 * statements around them.  plan, upgrade --sql and lint read it.  Pure
 * data: no libpq, no I/O.
 */
#ifndef RETORT_CAPTURE_H
#define RETORT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Who sent a statement. */
enum capture_origin {
	/* The runner's own: BEGIN, SET LOCAL timeouts, the version-table
	 * change, the audit row, COMMIT. */
	CAPTURE_RUNNER,
	CAPTURE_EXEC,	     /* retort_exec() */
	CAPTURE_EXEC_PARAMS, /* retort_exec_params() */
	CAPTURE_QUERY,	     /* retort_query() */
	CAPTURE_COPY_IN,     /* retort_copy_in(): COPY ... FROM STDIN */
	CAPTURE_COPY_OUT,    /* retort_copy_out(): COPY ... TO STDOUT */
	CAPTURE_BACKFILL,    /* a retort_backfill() job's batch */
	CAPTURE_RAW,	     /* on the PGconn that retort_conn() returned */
};

/* How a revision runs (exec/step.c's modes). */
enum capture_mode {
	CAPTURE_IN_TRANSACTION, /* one transaction with its version row */
	CAPTURE_AUTOCOMMIT,	/* RETORT_NO_TRANSACTION */
	CAPTURE_BATCHED,	/* retort_backfill() batches, each committed */
};

/* A lock a statement took that was not held before it ran. */
struct capture_lock {
	char *relation; /* schema-qualified, as regclass prints it */
	char *mode;	/* pg_locks.mode: "AccessExclusiveLock", ... */
	/* The relation existed before the rehearsal's first step (it was
	 * not created by a revision of the same run). */
	bool existed;
};

struct capture_stmt {
	size_t step; /* index into capture.steps */
	enum capture_origin origin;
	char *sql;     /* the text sent, byte for byte */
	char **params; /* nparams values; a NULL entry is SQL NULL */
	int nparams;
	char *call_site; /* "upgrade+0x4c (versions/x.c:12)"; NULL = unknown */
	/* Sent after the revision had read rows: its text or parameters may
	 * depend on data, so the target may see something else. */
	bool after_read;
	bool autocommit; /* ran outside a transaction block */
	bool failed;	 /* PostgreSQL refused it; the rehearsal stopped */
	/*
	 * What it did, read after it ran.  A statement the host cannot
	 * measure on its own (raw-connection statements are measured at the
	 * next point the host gets control) shares its measure with the
	 * statements before it: measured_with is the index of the first
	 * statement of that group, its own index when measured alone.  The
	 * group's locks and rewrites are recorded on its last statement.
	 */
	size_t measured_with;
	struct capture_lock *locks;
	size_t nlocks;
	char **rewrites; /* relations whose relfilenode it changed */
	size_t nrewrites;
	char *lock_timeout; /* lock_timeout in effect as it ran; "0" = none */
	double ms;	    /* how long it took in the rehearsal */
	/* COPY ... FROM STDIN on the raw connection: the bytes of data it
	 * sent (the host's COPY helpers stream, and say nothing of it). */
	unsigned long long copy_bytes;
};

struct capture_step {
	char *revision; /* its id */
	char *path;	/* the plugin's path */
	bool upgrade;	/* upgrade() rather than downgrade() */
	enum capture_mode mode;
	char *lint_allow; /* the revision's .lint_allow waivers, or NULL */
	size_t first;	  /* its statements: stmts[first .. first + n) */
	size_t n;
	double ms;
	bool failed; /* the revision failed; its statements end there */
	/* Not rehearsed (a RETORT_NO_TRANSACTION revision on the target,
	 * where everything runs in one transaction): skip_reason says why
	 * (static text). */
	bool skipped;
	const char *skip_reason;
};

struct capture {
	struct capture_stmt *stmts;
	size_t n, cap;
	struct capture_step *steps;
	size_t nsteps, capsteps;
	double ms;	/* the whole rehearsal */
	bool on_target; /* rehearsed on the target, rolled back */
};

void capture_init(struct capture *c);
void capture_release(struct capture *c);

/*
 * Open the record of one revision step; the statements added until
 * capture_end_step() belong to it.  -1 only when memory runs out.
 */
int capture_begin_step(struct capture *c, const char *revision,
		       const char *path, bool upgrade, enum capture_mode mode,
		       struct retort_error *err);
void capture_end_step(struct capture *c, double ms, bool failed);

/*
 * Append a statement of the open step with len bytes of sql; the other
 * fields start empty (measured alone, no locks).  NULL only when memory
 * runs out.
 */
struct capture_stmt *capture_add(struct capture *c, enum capture_origin origin,
				 const char *sql, size_t len);

/* Copy nparams values (NULL = SQL NULL) onto st; -1 when out of memory. */
int capture_set_params(struct capture_stmt *st, int nparams,
		       const char *const *values);

/* The step a statement belongs to. */
const struct capture_step *capture_step_of(const struct capture *c,
					   const struct capture_stmt *st);

/* "retort_exec", "raw connection", ... for messages and --json. */
const char *capture_origin_name(enum capture_origin origin);

#endif

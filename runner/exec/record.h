/*
 * record.h - a rehearsal's recorder: appends what is sent to the capture
 * (capture.h) and measures each statement on the same connection (the
 * new locks it holds, the relations whose relfilenode changed: a
 * rewrite).  Reachable from the host context (context.h) and exec/step.c
 * only while a rehearsal runs; a normal run has none and pays nothing.
 */
#ifndef RETORT_RECORD_H
#define RETORT_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "exec/capture.h"
#include "store/db.h"
#include "store/inspect.h"
#include "store/tap.h"

struct recorder {
	struct capture *capture; /* borrowed: what the caller reads after */
	/* Every relation seen, with its latest relfilenode: the baseline of
	 * the next rewrite. */
	struct inspect_rels rels;
	struct inspect_snapshot held; /* the locks at the last measure */
	size_t group;		      /* the first statement not measured yet */
	bool after_read;	      /* the running revision has read rows */
	bool autocommit; /* the running revision is outside a transaction */
	double started;	 /* when the running step began (recorder_now) */
	const char *function; /* "upgrade" or "downgrade", running */
	/* The raw connection's tap (store/tap.h): on while revision code
	 * runs, paused while the host or the recorder uses the
	 * connection. */
	struct tap *tap;
	const void *caller; /* the running host call's call site */
	double entered;	    /* when revision code last took over */
	bool out_of_memory; /* the tap could not record a statement */
};

void recorder_init(struct recorder *r, struct capture *capture);
void recorder_release(struct recorder *r);

/* Read the relations as the rehearsal begins (which of them existed),
 * and put the tap on db's connection. */
int recorder_start(struct recorder *r, struct db *db, struct retort_error *err);

/*
 * Revision code runs from now (upgrade(), a batch function, the return
 * from a host call): the tap hears what it sends on the raw connection.
 */
void recorder_code_enter(struct recorder *r);
/*
 * Revision code stops (it returned, or called the host; caller is its
 * call site, or NULL): what it sent on the raw connection since it
 * entered is reported and measured as one group.
 */
int recorder_code_leave(struct recorder *r, struct db *db, const void *caller,
			struct retort_error *err);

/* A revision's step opens: the locks held now are not its statements'. */
int recorder_step_begin(struct recorder *r, struct db *db, const char *revision,
			const char *path, bool upgrade, enum capture_mode mode,
			struct retort_error *err);
void recorder_step_end(struct recorder *r, double ms, bool failed);
/* A step that is not rehearsed, and why (static text). */
int recorder_step_skipped(struct recorder *r, const char *revision,
			  const char *path, bool upgrade, const char *why,
			  struct retort_error *err);

/*
 * Append a statement (len bytes of sql) a revision sends; caller is the
 * return address in the revision's code (its call site), or NULL.  Returns the
 * statement's index, or -1 when memory runs out.
 */
long recorder_add(struct recorder *r, enum capture_origin origin,
		  const char *sql, size_t len, int nparams,
		  const char *const *values, const void *caller);
/* The runner's own statement, as sent; -1 when memory runs out. */
long recorder_runner(struct recorder *r, const char *sql, size_t len);
/* Each statement of a script the runner joined with ";\n". */
int recorder_runner_script(struct recorder *r, const char *script);

/*
 * Statement idx ended (started at start_ms, recorder_now()): its
 * time, and, when it succeeded in a transaction, what it did.
 */
int recorder_done(struct recorder *r, struct db *db, long idx, double start_ms,
		  bool ok, struct retort_error *err);

/* The monotonic clock in milliseconds, for statements' times. */
double recorder_now(void);

/* Measure the statements not measured yet, as one group. */
int recorder_measure(struct recorder *r, struct db *db,
		     struct retort_error *err);

#endif

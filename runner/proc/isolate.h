/*
 * isolate.h - running the part of a command that executes revision code in
 * a worker process, so that a revision which segfaults, aborts or calls
 * exit() cannot take the runner's reporting down with it.
 *
 * The worker owns the database connection: when it dies, the server sees
 * the connection drop and rolls the open transaction back, so the database
 * stays at the previous revision.  The parent only waits, relays signals,
 * and turns the worker's end into an error that names the revision.
 */
#ifndef RETORT_ISOLATE_H
#define RETORT_ISOLATE_H

#include <stdbool.h>

#include "base/error.h"

/*
 * Run fn(arg, err) in a worker process and wait for it.  Returns what fn
 * returned, with fn's error copied into err; or -1 with an error naming the
 * revision that was running (see isolate_note) and how the worker ended.
 * SIGINT and SIGTERM are passed to the worker, which cancels its statement
 * and rolls back; the error's status is then RETORT_INTERRUPTED_*.
 * When isolation is switched off (isolate_set_enabled(false)), fn runs in
 * this process.
 */
int isolate_call(int (*fn)(void *arg, struct retort_error *err), void *arg,
		 struct retort_error *err);

/*
 * fn(arg, err) in this process, with SIGINT and SIGTERM caught rather than
 * fatal: fn polls isolate_interrupted() to stop what it started (the
 * build's compilers) and clean up.  A failure after a signal says so, with
 * status RETORT_INTERRUPTED_*.  Default handling comes back afterwards.
 */
int isolate_stoppable(int (*fn)(void *arg, struct retort_error *err), void *arg,
		      struct retort_error *err);

/*
 * Whether the last isolate_call()'s worker ended without reporting (a
 * crash, a signal, exit()): what it held on the server is the parent's to
 * give back.
 */
bool isolate_worker_died(void);

/*
 * The runner's process id, as a user sees it in ps: the parent's, in the
 * worker.
 */
long isolate_runner_pid(void);

/* Switch process isolation on (the default) or off, for measuring it. */
void isolate_set_enabled(bool enabled);

/*
 * In the worker: say what runs now ("revision 002 (build/versions/...)"),
 * so that the parent can name it if the worker dies.  NULL: nothing.
 */
void isolate_note(const char *what);

/* How the noted revision runs, for what the parent says of its death. */
enum isolate_step {
	ISOLATE_IN_TRANSACTION = 0, /* one transaction (isolate_note's) */
	ISOLATE_BATCHED,	    /* batch by batch (retort_backfill) */
	ISOLATE_AUTOCOMMIT,	    /* RETORT_NO_TRANSACTION */
};

/* In the worker, after isolate_note(): how that revision runs. */
void isolate_note_step(enum isolate_step step);

/*
 * In the worker: the plugin at path is being loaded; if the worker dies
 * now, the error says the plugin ended it while loading.  isolate_note()
 * ends the note.
 */
void isolate_note_loading(const char *path);

/*
 * The signal that asked the run to stop (SIGINT or SIGTERM), or 0.
 * Async-signal-safe to read; set by the worker's handler.
 */
int isolate_interrupted(void);

/*
 * In the worker: what cancels the running statement when a signal
 * arrives, cancel(arg) (db_cancel_from_signal with the connection's
 * cancel handle); NULL to forget it.  It runs in the signal handler, so
 * it must be async-signal-safe.
 */
void isolate_set_cancel(void (*cancel)(void *arg), void *arg);

#endif

/*
 * tap.h - what a revision sends on the raw PGconn that retort_conn()
 * gave it, read back from libpq's own protocol trace (PQtrace) through a
 * stream whose writer parses the trace text: each simple Query's text,
 * each Parse's text with the parameters of its Bind, COPY data volume,
 * and rows received.  Reported through a callback, since the recorder
 * lives above this layer.  Pause it while the runner itself uses the
 * connection (host calls, its measuring queries): only revision code is
 * tapped.  Never prints.
 */
#ifndef RETORT_TAP_H
#define RETORT_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct pg_conn;

enum tap_kind {
	TAP_STATEMENT, /* sql/len, with nparams values for a Bind */
	TAP_COPY_DATA, /* bytes of COPY data sent */
	TAP_ROWS_READ, /* a row description, a data row, COPY out data */
	TAP_ERROR,     /* the server refused the last statement */
};

struct tap_event {
	enum tap_kind kind;
	const char *sql; /* not NUL-terminated: len bytes */
	size_t len;
	int nparams;
	const char *const *values; /* NULL entry: SQL NULL */
	size_t bytes;
};

typedef void tap_fn(void *arg, const struct tap_event *ev);

struct tap;

/* A tap on conn, paused; fn hears of every statement while it runs. */
int tap_new(struct tap **out, struct pg_conn *conn, tap_fn *fn, void *arg,
	    struct retort_error *err);
/* Start hearing what conn sends; pausing reports everything up to now. */
void tap_resume(struct tap *t);
void tap_pause(struct tap *t);
/* Pause and free; accepts NULL. */
void tap_free(struct tap *t);

/*
 * Feed trace text to the parser, as libpq's trace writes it (for tests):
 * complete messages are reported, the rest waits for more.  At a pause
 * what waits is taken as complete.
 */
void tap_feed(struct tap *t, const char *text, size_t len);

#endif

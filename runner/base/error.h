/*
 * error.h - how runner functions report failure.
 *
 * A function that can fail takes `struct retort_error *err` last and returns
 * 0, or -1 after filling it.  Only main.c prints an error.  The buffers are
 * fixed so that running out of memory can still be reported.
 */
#ifndef RETORT_ERROR_H
#define RETORT_ERROR_H

#include <stdarg.h>

/* Doubles as the process exit status. */
enum retort_status {
	/* success */
	RETORT_OK = 0,
	/* a revision or database operation failed and was rolled back */
	RETORT_FAILED = 1,
	/* usage, configuration or revision-set error; nothing touched */
	RETORT_USAGE = 2,
	/* stopped by SIGINT or SIGTERM: cancelled and rolled back (128 + N) */
	RETORT_INTERRUPTED_INT = 130,
	RETORT_INTERRUPTED_TERM = 143
};

struct retort_error {
	enum retort_status status;
	char msg[256];	   /* one line: what failed */
	char detail[1024]; /* the facts, one per line */
	char hint[256];	   /* what to do, as a sentence */
	char sqlstate[6];  /* PostgreSQL's SQLSTATE, or "" */
};

#if defined(__GNUC__)
#define ERROR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ERROR_PRINTF(f, a)
#endif

/* Empty the error (status RETORT_OK). */
void error_clear(struct retort_error *err);

/* Replace the error with a new message; always returns -1. */
int error_set(struct retort_error *err, enum retort_status status,
	      const char *fmt, ...) ERROR_PRINTF(3, 4);

/*
 * Replace the error with text that may span lines, as libpq's and the
 * server's messages do: the first line becomes the message, the others
 * (without their indentation) go to the detail, so that each printed line
 * carries its "retort: ...:" prefix.  Always returns -1.
 */
int error_set_text(struct retort_error *err, enum retort_status status,
		   const char *text);

/* Append one line to the detail. */
void error_detail(struct retort_error *err, const char *fmt, ...)
	ERROR_PRINTF(2, 3);

/* Replace the hint. */
void error_hint(struct retort_error *err, const char *fmt, ...)
	ERROR_PRINTF(2, 3);

/*
 * Put context in front of the message: "<prefix>: <msg>".  When that does
 * not fit, the message ends in "..." and the whole <msg> becomes the first
 * detail line.
 */
void error_prefix(struct retort_error *err, const char *fmt, ...)
	ERROR_PRINTF(2, 3);

#endif

/*
 * progress.h - the progress of a backfill on the run's output: a bar
 * redrawn in place on a terminal, a plain line every few seconds
 * otherwise, and a summary at the end.
 */
#ifndef RETORT_PROGRESS_H
#define RETORT_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "base/error.h"

struct progress {
	FILE *out;  /* borrowed; NULL = silent (-q) */
	bool tty;   /* redraw one line in place */
	bool color; /* a terminal, and NO_COLOR unset or empty */
	bool drawn; /* the bar is on the current line */
	char label[160];
	struct timespec start, last;
	long long base;	 /* rows done before this run (a resume) */
	long long done;	 /* rows done, this run and before */
	long long total; /* estimated total rows; 0 = unknown */
};

/* Start showing the progress of label, resuming at done of ~total. */
void progress_start(struct progress *p, FILE *out, const char *label,
		    long long done, long long total);

/* A batch finished: done rows of ~total; redrawn when it is time. */
void progress_update(struct progress *p, long long done, long long total);

/* A line of its own (a retry, a pause), under the bar. */
void progress_note(struct progress *p, const char *fmt, ...) ERROR_PRINTF(2, 3);

/*
 * The run stops short (an error, Ctrl-C): on a terminal, leave the bar as
 * it stands and end its line, so that the error printed next (on stderr,
 * the same terminal) starts a line of its own.  Nothing when no bar is
 * open.
 */
void progress_stop(struct progress *p);

/* Take the bar away and print the summary line. */
void progress_end(struct progress *p, const char *fmt, ...) ERROR_PRINTF(2, 3);

/* Seconds since progress_start. */
double progress_elapsed(const struct progress *p);

/* "1:02:03", "4:05" or "12.3 s" into buf. */
void progress_format_duration(double seconds, char *buf, size_t size);

#endif

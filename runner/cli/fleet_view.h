/*
 * fleet_view.h - what a fleet run shows: its id at the start, a live
 * status line on a terminal (else one line per finished target) on
 * stderr, and at the end a table and a summary (or one JSON document) on
 * stdout; `fleet status` groups the targets by revision.
 */
#ifndef RETORT_FLEET_VIEW_H
#define RETORT_FLEET_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "fleet/outcome.h"
#include "fleet/targets.h"

struct fleet_view {
	FILE *progress; /* stderr; NULL when quiet */
	bool live;	/* stderr is a terminal: redraw one line in place */
	bool status;	/* fleet status: each target's rows, no move */
	const struct fleet_targets *targets;
	size_t done, running, failed;
	long long start_ms, drawn_ms;
};

/* What the run is, for its first line and its JSON. */
struct fleet_run_info {
	const char *id;
	const char *command;  /* "upgrade", "downgrade", "stamp", "status" */
	const char *target;   /* TARGET, or NULL for downgrade --run */
	const char *undo_run; /* --run ID, or NULL */
};

void fleet_view_start(struct fleet_view *v, const struct fleet_run_info *run,
		      int jobs);
/* Target i started, or ended (final: not going back for a retry). */
void fleet_view_started(struct fleet_view *v, long long now_ms);
void fleet_view_ended(struct fleet_view *v, size_t i,
		      const struct fleet_outcome *o, bool final,
		      long long now_ms);
/* Redraw the live line when it is due. */
void fleet_view_tick(struct fleet_view *v, long long now_ms);
/* Take the live line away, before the table. */
void fleet_view_finish(struct fleet_view *v);

/* The table and the summary line. */
void fleet_view_table(FILE *out, const struct fleet_targets *t,
		      const struct fleet_outcome *o,
		      const struct fleet_run_info *run, long long elapsed_ms);
/* fleet status: the targets grouped by where they stand. */
void fleet_view_status(FILE *out, const struct fleet_targets *t,
		       const struct fleet_outcome *o,
		       const struct fleet_run_info *run);
/* The one --json document. */
int fleet_view_json(FILE *out, const struct fleet_targets *t,
		    const struct fleet_outcome *o,
		    const struct fleet_run_info *run, long long elapsed_ms,
		    struct retort_error *err);

/* How many targets ended with each status (skipped for pending). */
void fleet_view_count(const struct fleet_outcome *o, size_t n,
		      size_t counts[FLEET_NSTATUS]);

#endif

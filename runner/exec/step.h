/*
 * step.h - one revision step, the one way revision code runs: load the
 * plugin, build the host context for how the revision runs (in the
 * runner's transaction, in autocommit, or batched), call upgrade() or
 * downgrade(), apply every guard, explain a failure, unload.  A plan's
 * steps (migrate.c), the undo of a half-done backfill and upgrade
 * --sample (backfill_cmd.c) all run through step_run().
 */
#ifndef RETORT_STEP_H
#define RETORT_STEP_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "store/db.h"
#include "base/error.h"
#include "graph/revmap.h"
#include "exec/record.h"

struct step_opts {
	FILE *out; /* "Running upgrade ..." lines; NULL = quiet */
	const struct config *cfg; /* -x arguments, --unsafe-plugins, ... */
	bool sample;		  /* upgrade --sample */
	/* A rehearsal's recorder (record.h): every statement is recorded
	 * and measured.  NULL in a normal run. */
	struct recorder *rec;
};

/* What a step is for, which decides what goes with its COMMIT. */
enum step_kind {
	/* A plan's step: its version change, the checkpoint rows of a
	 * finished backfill and its audit row go with COMMIT, sent without
	 * waiting; the next step (or step_confirm) confirms it. */
	STEP_PLAN,
	/* downgrade() of a half-done backfill: its checkpoint rows go with
	 * COMMIT, confirmed before step_run() returns. */
	STEP_UNDO,
	/* upgrade --sample: inside the sample's open transaction, which the
	 * caller rolls back; nothing is committed. */
	STEP_SAMPLE,
};

struct step {
	const struct revmap *map;
	const struct plan_step *plan_step; /* revision, direction, rows */
	enum step_kind kind;
	/* The revision whose COMMIT is still on its way (STEP_PLAN), to be
	 * confirmed before this step's code runs; NULL when none is. */
	const struct revision_meta *in_flight;
	bool batched; /* set by step_run(): retort_backfill() ran */
};

/*
 * Run step's revision.  A failure is rolled back as far as the way the
 * revision runs allows, and the error says what stays applied.  Returns 0
 * or -1 with err naming the revision.
 */
int step_run(struct db *db, struct step *step, const struct step_opts *opts,
	     struct retort_error *err);

/*
 * Wait for the COMMIT sent for the revision meta; when it failed, roll
 * back and say which revision and why.
 */
int step_confirm(struct db *db, const struct revision_meta *meta,
		 struct retort_error *err);

/* The plugin_load() flags the configuration asks for. */
unsigned plugin_flags(const struct config *cfg);

#endif

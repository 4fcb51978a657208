/*
 * migrate.h - running a plan: its steps in order, each one through
 * step_run() (step.h), committed before the next one's code runs.
 */
#ifndef RETORT_MIGRATE_H
#define RETORT_MIGRATE_H

#include "store/db.h"
#include "base/error.h"
#include "exec/step.h"
#include "graph/revmap.h"

/*
 * Run every step of plan in order.  A failing step is rolled back and
 * stops the run with RETORT_FAILED; the steps before it stay committed.
 */
int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct step_opts *opts,
		struct retort_error *err);

#endif

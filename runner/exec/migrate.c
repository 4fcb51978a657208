/*
 * migrate.c - runs a plan, one revision at a time.
 *
 * Each step runs through step_run() (step.c) and sends its COMMIT without
 * waiting; the next step confirms it before any of its revision code
 * runs, and the end of the run confirms the last.
 */
#include "exec/migrate.h"

#include "store/audit.h"
#include "proc/isolate.h"

static const struct revision_meta *step_meta(const struct revmap *map,
					     const struct plan *plan, size_t i)
{
	return map->revs[plan->steps[i].rev].meta;
}

int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct step_opts *opts,
		struct retort_error *err)
{
	if (plan->n > 0 && (db_ensure_version_table(db, err) < 0 ||
			    audit_ensure_table(db, err) < 0))
		return -1;
	for (size_t i = 0; i < plan->n; i++) {
		struct step step = {
			.map = map,
			.plan_step = &plan->steps[i],
			.kind = STEP_PLAN,
			.in_flight = i > 0 ? step_meta(map, plan, i - 1) : NULL,
		};

		if (isolate_interrupted()) {
			db_collect(db, err);
			return error_set(err, RETORT_FAILED,
					 "stopped before revision %s",
					 step_meta(map, plan, i)->id);
		}
		if (step_run(db, &step, opts, err) < 0)
			return -1;
	}
	if (plan->n > 0)
		return step_confirm(db, step_meta(map, plan, plan->n - 1), err);
	return 0;
}

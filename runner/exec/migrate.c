/*
 * migrate.c - runs a plan, one revision at a time.
 *
 * Each step runs through step_run() (step.c) and sends its COMMIT without
 * waiting; the next step confirms it before any of its revision code
 * runs, and the end of the run confirms the last.
 */
#include "exec/migrate.h"

#include "plugin_api.h"

#include "store/audit.h"
#include "proc/isolate.h"

static const struct revision_meta *step_meta(const struct revmap *map,
					     const struct plan *plan, size_t i)
{
	return map->revs[plan->steps[i].rev].meta;
}

/*
 * A tenant's schema is first in search_path per transaction
 * (db_use_tenant): a revision that runs outside one would run with the
 * session's path, on another schema's tables.  Refused before any step.
 */
static int check_tenant(const struct db *db, const struct revmap *map,
			const struct plan *plan, struct retort_error *err)
{
	for (size_t i = 0; db->tenant_path && i < plan->n; i++) {
		const struct revision_meta *m = step_meta(map, plan, i);

		if (!(m->flags & RETORT_NO_TRANSACTION))
			continue;
		error_set(err, RETORT_USAGE,
			  "revision %s runs outside a transaction "
			  "(RETORT_NO_TRANSACTION): --tenant-schema cannot "
			  "serve it",
			  m->id);
		error_detail(
			err,
			"the tenant's schema is put first in search_path for each transaction, which a transaction-pooling PgBouncer keeps; a revision in autocommit would see the session's search_path");
		error_hint(
			err,
			"Run it without --tenant-schema, with its names qualified by the schema; nothing was run.");
		return -1;
	}
	return 0;
}

int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct step_opts *opts,
		struct retort_error *err)
{
	if (check_tenant(db, map, plan, err) < 0)
		return -1;
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

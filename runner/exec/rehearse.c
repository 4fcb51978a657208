/*
 * rehearse.c - a plan rehearsed (rehearse.h): in a shadow, through
 * migrate_run() as upgrade runs it; or on the target, through the steps
 * upgrade --sample runs, in one transaction rolled back at the end.
 * Either way each revision runs through step_run() with a recorder, so
 * every guard of a real run applies.  Never prints.
 */
#include "exec/rehearse.h"

#include <string.h>

#include "exec/migrate.h"
#include "exec/record.h"
#include "proc/isolate.h"

/* A rehearsal on the target waits for no lock longer than this unless
 * ddl_lock_timeout says otherwise: a queued ACCESS EXCLUSIVE request
 * would stall every query behind it. */
#define TARGET_LOCK_TIMEOUT "2s"

int rehearse_plan(struct db *db, const struct revmap *map,
		  const struct plan *plan, const struct step_opts *opts,
		  struct capture *out, struct retort_error *err)
{
	struct step_opts o = *opts;
	struct recorder rec;
	double t0 = recorder_now();
	int rc;

	recorder_init(&rec, out);
	o.rec = &rec;
	rc = recorder_start(&rec, db, err);
	if (rc == 0)
		rc = migrate_run(db, map, plan, &o, err);
	out->ms = recorder_now() - t0;
	recorder_release(&rec);
	return rc;
}

/* BEGIN and the short timeouts, recorded as the runner's. */
static int target_begin(struct db *db, struct recorder *rec,
			const struct config *cfg, struct retort_error *err)
{
	const char *lt = cfg && cfg->ddl_lock_timeout ? cfg->ddl_lock_timeout
						      : TARGET_LOCK_TIMEOUT;
	const char *st = cfg ? cfg->statement_timeout : NULL;

	if (db_begin(db, err) < 0 || db_set_timeouts(db, lt, st, true, err) < 0)
		return -1;
	if (recorder_runner(rec, "BEGIN", 5) < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

static int target_steps(struct db *db, const struct revmap *map,
			const struct plan *plan, const struct step_opts *opts,
			struct retort_error *err)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct step step = { .map = map,
				     .plan_step = &plan->steps[i],
				     .kind = STEP_SAMPLE };

		if (isolate_interrupted())
			return error_set(err, RETORT_FAILED,
					 "rehearsal canceled");
		if (step_run(db, &step, opts, err) < 0)
			return -1;
	}
	return 0;
}

int rehearse_on_target(struct db *db, const struct revmap *map,
		       const struct plan *plan, const struct step_opts *opts,
		       struct capture *out, struct retort_error *err)
{
	struct step_opts o = *opts;
	struct recorder rec;
	double t0 = recorder_now();
	int rc;

	out->on_target = true;
	recorder_init(&rec, out);
	o.rec = &rec;
	o.out = NULL;
	rc = target_begin(db, &rec, opts->cfg, err);
	if (rc == 0)
		rc = recorder_start(&rec, db, err);
	if (rc == 0)
		rc = target_steps(db, map, plan, &o, err);
	db_rollback(db);
	if (recorder_runner(&rec, "ROLLBACK", 8) < 0 && rc == 0)
		rc = error_set(err, RETORT_FAILED, "out of memory");
	out->ms = recorder_now() - t0;
	recorder_release(&rec);
	if (rc < 0)
		error_detail(
			err,
			"the rehearsal rolled everything back: the target is unchanged");
	return rc;
}

/*
 * cmd_migrate.c - upgrade and downgrade: plan from the database's state to
 * the target, then run the plan (or, with --sql, print its SQL script:
 * sql_run.c).
 */
#include "cli/cmd.h"
#include "cli/sql_run.h"

#include "cli/lint_view.h"
#include "data/backfill_cmd.h"
#include "data/backfill_job.h"
#include "store/lease.h"
#include "exec/integrity.h"
#include "exec/migrate.h"
#include "lint/lint_run.h"

/*
 * upgrade --lint: the plan rehearsed in a shadow and judged before
 * anything runs; findings are printed and refuse the run (exit 1).
 */
static int lint_first(struct app *app, const struct plan *plan,
		      struct retort_error *err)
{
	struct step_opts opts = { .cfg = &app->cfg };
	struct lint_settings set = {
		.large_rows = lint_run_large_rows(&app->cfg),
		.lock_timeout = app->cfg.ddl_lock_timeout,
	};
	struct lint_report report;
	struct capture c;
	int rc;

	if (app_refuse_tenant(app, "upgrade --lint", err) < 0)
		return -1;
	capture_init(&c);
	lint_report_init(&report);
	rc = lint_run_plan(&app->db, app->cfg.shadow_url, app->map, plan, &opts,
			   &set, &c, &report, err);
	if (rc == 0 && report.n > 0) {
		lint_view_text(app->map, &c, &report, app->out);
		rc = lint_view_verdict(&report, "upgrade refused", err);
	}
	lint_report_release(&report);
	capture_release(&c);
	return rc;
}

static int migrate_to(struct app *app, enum plan_direction direction,
		      const struct cmd_args *args, struct retort_error *err)
{
	bool allow_changed = args->allow_changed || app->cfg.allow_changed;
	struct integrity in = app_integrity(app);
	struct revstate state = { 0 };
	struct plan plan = { 0 };
	struct step_opts opts = { .out = app->quiet ? NULL : app->out,
				  .cfg = &app->cfg,
				  .sample = args->sample };
	int rc = -1;

	/* A bad knob would stop the run at its backfill, after the revisions
	 * before it were applied: refuse it before anything runs. */
	if (backfill_job_check_config(&app->cfg, err) < 0)
		return -1;
	/* Lock, then read: a runner that waited sees what the other did. */
	if (app_lock(app, err) < 0 ||
	    integrity_read_state(&in, &state, err) < 0 ||
	    revmap_plan(app->map, &state, direction, args->positional[0], &plan,
			err) < 0)
		goto out;
	/* The checks guard what the plan runs, downgrade() as much as
	 * upgrade(): with nothing to run there is nothing to refuse (`retort
	 * check` still answers for the whole). */
	if (plan.n > 0 &&
	    integrity_intact(&in, allow_changed, &plan, &state, err) < 0)
		goto out;
	if (plugin_check_plan(&app->plugins, &plan, plugin_flags(&app->cfg),
			      err) < 0)
		goto out;
	if (args->lint && plan.n > 0 && lint_first(app, &plan, err) < 0)
		goto out;
	/* A half-done backfill above the target is undone first. */
	if (direction == PLAN_DOWNGRADE &&
	    backfill_cmd_undo(&app->db, app->map, &state, &plan,
			      args->positional[0], &opts, err) < 0)
		goto out;
	/* upgrade --sample: one rolled-back transaction (backfill_cmd.c). */
	if (args->sample)
		rc = backfill_cmd_sample(&app->db, app->map, &plan, &opts, err);
	else
		rc = migrate_run(&app->db, app->map, &plan, &opts, err);
out:
	lease_release(&app->db);
	plan_release(&plan);
	revstate_release(&state);
	return rc;
}

int cmd_upgrade(struct app *app, const struct cmd_args *args,
		struct retort_error *err)
{
	if (args->sql)
		return sql_run(app, PLAN_UPGRADE, args, err);
	return migrate_to(app, PLAN_UPGRADE, args, err);
}

int cmd_downgrade(struct app *app, const struct cmd_args *args,
		  struct retort_error *err)
{
	if (args->sql)
		return sql_run(app, PLAN_DOWNGRADE, args, err);
	return migrate_to(app, PLAN_DOWNGRADE, args, err);
}

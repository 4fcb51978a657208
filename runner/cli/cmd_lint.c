/*
 * cmd_lint.c - lint [REV...] [--json]: rehearse the pending revisions in
 * a shadow of the target and judge what they send (lint/).  Exit 1 with
 * findings, 0 without.  Reads where the target stands without the
 * migration lock, and never changes the target: the rehearsal runs in
 * the shadow, and the target's catalog is only read.
 */
#include "cli/cmd.h"

#include <string.h>

#include "cli/lint_view.h"
#include "lint/lint_run.h"

/* The index in plan of revision rev, or plan->n when it is not there. */
static size_t plan_index(const struct plan *plan, size_t rev)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (plan->steps[i].rev == rev)
			break;
	return i;
}

static int not_pending(const struct app *app, const char *arg, size_t rev,
		       struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "revision %s is not pending",
		  app->map->revs[rev].meta->id);
	error_detail(err, "\"%s\" names a revision the target has applied",
		     arg);
	error_hint(
		err,
		"lint judges revisions that upgrade would run; run `retort lint` with no revision to judge every pending one.");
	return -1;
}

/*
 * The revisions the arguments name, into ids (borrowed from the map);
 * the plan is cut after the last of them, as only they and the pending
 * revisions before them need rehearsing.
 */
static int named_revisions(struct app *app, const struct cmd_args *args,
			   struct plan *plan, const char **ids, size_t *nids,
			   struct retort_error *err)
{
	size_t last = 0;

	*nids = 0;
	for (int a = 0; a < args->npositional; a++) {
		struct revlist list = { 0 };

		if (revmap_lookup(app->map, args->positional[a], &list, err) <
		    0)
			return -1;
		for (size_t k = 0; k < list.n && *nids < CMD_MAX_POSITIONAL;
		     k++) {
			size_t at = plan_index(plan, list.items[k]);

			if (at == plan->n) {
				size_t rev = list.items[k];

				revlist_release(&list);
				return not_pending(app, args->positional[a],
						   rev, err);
			}
			ids[(*nids)++] = app->map->revs[list.items[k]].meta->id;
			last = at + 1 > last ? at + 1 : last;
		}
		revlist_release(&list);
	}
	if (*nids > 0)
		plan->n = last;
	return 0;
}

static int print_report(struct app *app, const struct cmd_args *args,
			const struct capture *c, const struct lint_report *r,
			double large_rows, struct retort_error *err)
{
	if (args->json)
		return lint_view_json(app->map, c, r, large_rows, app->out,
				      err);
	lint_view_text(app->map, c, r, app->out);
	return 0;
}

int cmd_lint(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct step_opts opts = { .cfg = &app->cfg };
	const char *ids[CMD_MAX_POSITIONAL];
	struct lint_settings set = { .large_rows =
					     lint_run_large_rows(&app->cfg),
				     .only = ids,
				     .lock_timeout =
					     app->cfg.ddl_lock_timeout };
	struct plan plan = { 0 };
	struct lint_report report;
	struct capture c;
	size_t full = 0;
	int rc = -1;

	if (app_refuse_tenant(app, "retort lint", err) < 0)
		return -1;
	capture_init(&c);
	lint_report_init(&report);
	/* What `upgrade heads` would run from where the target stands. */
	if (app_plan_unlocked(app, PLAN_UPGRADE, "heads", args->allow_changed,
			      &plan, err) < 0)
		goto out;
	full = plan.n;
	if (named_revisions(app, args, &plan, ids, &set.nonly, err) < 0)
		goto out;
	rc = lint_run_plan(&app->db, app->cfg.shadow_url, app->map, &plan,
			   &opts, &set, &c, &report, err);
	/* A revision that failed in the rehearsal: the findings in what ran
	 * before it are shown, then its error. */
	if (rc < 0 && report.n == 0)
		goto out;
	if (print_report(app, args, &c, &report, set.large_rows,
			 rc < 0 ? &(struct retort_error){ 0 } : err) < 0)
		rc = -1;
	else if (rc == 0)
		rc = lint_view_verdict(&report, NULL, err);
out:
	lint_report_release(&report);
	capture_release(&c);
	if (full)
		plan.n = full; /* the steps cut off are freed too */
	plan_release(&plan);
	return rc;
}

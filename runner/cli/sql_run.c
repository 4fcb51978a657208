/*
 * sql_run.c - upgrade --sql and downgrade --sql (sql_run.h): Alembic's
 * offline mode.  A revision is C that decides what to send as it runs,
 * so the script is what a rehearsal saw: the plan run for real on a
 * shadow holding the target's schema at its current revision
 * (store/shadow_clone.c), recorded (exec/rehearse.c) and rendered
 * (exec/sql_script.c).
 *
 * The target is read, never written: no migration lock, no version or
 * audit row.  The shadow is dropped (or, given with --shadow-url,
 * emptied) whatever happens.  The script goes to stdout only once the
 * whole rehearsal succeeded, so a failed run never leaves half a script
 * for a pipe to apply.
 */
#include "cli/sql_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "data/checkpoint.h"
#include "exec/capture.h"
#include "exec/integrity.h"
#include "exec/rehearse.h"
#include "exec/sql_script.h"
#include "store/audit.h"
#include "store/shadow.h"

#ifndef RETORT_VERSION
#define RETORT_VERSION "unknown"
#endif

/* What the script's comments say beside the capture. */
struct script_facts {
	char from[512];
	char generated_at[32];
	char version_table[768];
	char history_table[1024];
	char *checkpoint_table; /* when a revision runs batched, else NULL */
	char **titles;		/* one per plan step, in plan order */
	size_t ntitles;
};

static void script_facts_release(struct script_facts *f)
{
	for (size_t i = 0; i < f->ntitles; i++)
		free(f->titles[i]);
	free(f->titles);
	free(f->checkpoint_table);
}

/* Alembic's line, as the run prints it: "Running upgrade 001 -> 002, m". */
static char *title_of(const struct revmap *map, const struct plan_step *ps)
{
	const struct revision *rev = &map->revs[ps->rev];
	char parents[512];
	struct strbuf b = STRBUF_INIT;

	revmap_join_ids(map, &rev->parents, parents, sizeof(parents));
	if (ps->direction == PLAN_UPGRADE)
		strbuf_addf(&b, "Running upgrade %s -> %s, ", parents,
			    rev->meta->id);
	else
		strbuf_addf(&b, "Running downgrade %s -> %s, ", rev->meta->id,
			    parents);
	strbuf_add(&b, rev->meta->message ? rev->meta->message : "");
	return strbuf_finish(&b);
}

static int gather_facts(struct app *app, const struct plan *plan,
			const struct revstate *state, struct script_facts *f,
			struct retort_error *err)
{
	revmap_join_ids(app->map, &state->rows, f->from, sizeof(f->from));
	if (!f->from[0])
		snprintf(f->from, sizeof(f->from), "<base>");
	clock_now_utc(f->generated_at, sizeof(f->generated_at));
	db_version_table_sql(&app->db, true, f->version_table,
			     sizeof(f->version_table));
	if (audit_table_sql(&app->db, f->history_table,
			    sizeof(f->history_table), err) < 0)
		return -1;
	f->titles = calloc(plan->n ? plan->n : 1, sizeof(*f->titles));
	if (!f->titles)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (; f->ntitles < plan->n; f->ntitles++)
		if (!(f->titles[f->ntitles] =
			      title_of(app->map, &plan->steps[f->ntitles])))
			return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* Where the target stands, without the lock, and the checked plan. */
static int checked_plan(struct app *app, enum plan_direction direction,
			const struct cmd_args *args, struct revstate *state,
			struct plan *plan, struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	bool allow_changed = args->allow_changed || app->cfg.allow_changed;

	if (integrity_read_state(&in, state, err) < 0 ||
	    revmap_plan(app->map, state, direction, args->positional[0], plan,
			err) < 0)
		return -1;
	if (plan->n > 0 &&
	    integrity_intact(&in, allow_changed, plan, state, err) < 0)
		return -1;
	return plugin_check_plan(&app->plugins, plan, plugin_flags(&app->cfg),
				 err);
}

/* The plan run on a shadow of the target, recorded in c. */
static int rehearse(struct app *app, const struct plan *plan, struct capture *c,
		    struct retort_error *err)
{
	struct step_opts opts = { .out = NULL, .cfg = &app->cfg };

	return rehearse_in_shadow(
		&app->db, app->cfg.shadow_url, app->map, plan, &opts, c,
		"no SQL was printed: the run is rehearsed on a copy of the target's schema, and the target is unchanged",
		err);
}

/* A batched revision's last transaction clears its checkpoint rows, in
 * retort_backfill, which the run creates at its first backfill. */
static int need_checkpoints(struct app *app, const struct capture *c,
			    struct script_facts *f, struct retort_error *err)
{
	for (size_t i = 0; i < c->nsteps; i++) {
		if (c->steps[i].mode != CAPTURE_BATCHED)
			continue;
		f->checkpoint_table = checkpoint_table_sql(&app->db, err);
		return f->checkpoint_table ? 0 : -1;
	}
	return 0;
}

static int print_script(struct app *app, const struct capture *c,
			const struct script_facts *f, const char *command,
			const char *to, struct retort_error *err)
{
	const char *preamble[] = { f->version_table, f->history_table,
				   f->checkpoint_table };
	struct sql_script_info info = {
		.version = RETORT_VERSION,
		.target = app->db.target,
		.command = command,
		.from = f->from,
		.to = to,
		.generated_at = f->generated_at,
		.titles = (const char *const *)f->titles,
		.ntitles = f->ntitles,
		.preamble = preamble,
		.npreamble = f->checkpoint_table ? 3 : 2,
	};
	struct strbuf out = STRBUF_INIT;
	int rc = sql_script_render(c, &info, &out, err);

	if (rc == 0 &&
	    (fwrite(strbuf_str(&out), 1, out.len, app->out) != out.len ||
	     fflush(app->out) != 0))
		rc = error_set(err, RETORT_FAILED,
			       "cannot write the SQL script: %s",
			       strerror(errno));
	strbuf_release(&out);
	return rc;
}

int sql_run(struct app *app, enum plan_direction direction,
	    const struct cmd_args *args, struct retort_error *err)
{
	struct revstate state = { 0 };
	struct plan plan = { 0 };
	struct script_facts facts = { 0 };
	struct capture c;
	int rc = -1;

	if (app_refuse_tenant(app, "--sql", err) < 0)
		return -1;
	capture_init(&c);
	if (checked_plan(app, direction, args, &state, &plan, err) < 0 ||
	    gather_facts(app, &plan, &state, &facts, err) < 0)
		goto out;
	if (plan.n > 0 && (rehearse(app, &plan, &c, err) < 0 ||
			   need_checkpoints(app, &c, &facts, err) < 0))
		goto out;
	rc = print_script(app, &c, &facts,
			  direction == PLAN_UPGRADE ? "upgrade" : "downgrade",
			  args->positional[0], err);
out:
	capture_release(&c);
	script_facts_release(&facts);
	plan_release(&plan);
	revstate_release(&state);
	return rc;
}

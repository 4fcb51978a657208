/*
 * cmd_test.c - `retort test`: the stairway (schema/stairway.c) on a
 * throwaway database, then a table of verdicts and a summary, or one
 * JSON document.
 *
 * The database the URL names is only read (the declared schema's shadow
 * and the scratch database are made through its connection, as for
 * autogenerate): no lock, no version table, no row.  The throwaway
 * database is a scratch one, dropped whatever happens, or the empty one
 * --shadow-url names, emptied again after the walk.  The
 * revisions run in a worker process (isolate.h) over a connection of its
 * own, so a revision that crashes ends the walk, not the drop.
 */
#include "cli/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/text.h"
#include "cli/json_view.h"
#include "exec/step.h"
#include "proc/isolate.h"
#include "schema/autogen.h"
#include "schema/stairway.h"
#include "store/lease.h"
#include "store/shadow.h"

/* What the worker needs. */
struct test_run {
	struct app *app;
	const struct cmd_args *args;
	const char *conninfo;		/* the throwaway database's */
	const struct catalog *declared; /* NULL: no declared schema */
	bool lent;			/* --shadow-url: emptied after */
};

static int one_head(const struct revmap *map, struct retort_error *err)
{
	char heads[512];

	/* A head that another revision depends on is no line of its own. */
	if (map->real_heads.n <= 1)
		return 0;
	revmap_join_ids(map, &map->real_heads, heads, sizeof(heads));
	error_set(err, RETORT_FAILED, "Multiple heads are present: %s", heads);
	error_detail(err,
		     "retort test walks the revisions up to a single head");
	error_hint(
		err,
		"Join them with `retort merge -m MESSAGE heads`, then run `retort test` again.");
	return -1;
}

/* ---- text ---- */

static int id_width(const struct revmap *map)
{
	size_t w = strlen("REVISION");

	for (size_t i = 0; i < map->n; i++)
		if (strlen(map->revs[i].meta->id) > w)
			w = strlen(map->revs[i].meta->id);
	return (int)w;
}

static void print_table(FILE *out, const struct revmap *map,
			const struct stair_report *r)
{
	int w = id_width(map);

	fprintf(out, "%-*s  %-30s  %s\n", w, "REVISION", "VERDICT", "MESSAGE");
	for (size_t pos = 0; pos < map->order.n; pos++) {
		const struct revision_meta *m =
			map->revs[map->order.items[pos]].meta;

		fprintf(out, "%-*s  %-30s  ", w, m->id,
			stair_verdict_text(r->verdicts[pos]));
		text_fput(m->message ? m->message : "", out);
		fputc('\n', out);
		if (pos == r->failed && r->has_diff)
			autogen_print_differences(out, &r->diff);
	}
}

/* How many revisions passed the walk, and how many of them are
 * irreversible. */
static size_t passed(const struct revmap *map, const struct stair_report *r,
		     size_t *irreversible)
{
	size_t n = 0;

	*irreversible = 0;
	for (size_t pos = 0; pos < map->order.n; pos++) {
		n += r->verdicts[pos] == STAIR_OK ||
		     r->verdicts[pos] == STAIR_IRREVERSIBLE;
		*irreversible += r->verdicts[pos] == STAIR_IRREVERSIBLE;
	}
	return n;
}

static void print_walk(FILE *out, const struct revmap *map,
		       const struct stair_report *r)
{
	size_t irreversible, ok = passed(map, r, &irreversible);

	if (r->failed < map->n)
		fprintf(out,
			"Stopped at revision %s: %zu revision%s passed below it, %zu not run\n",
			map->revs[map->order.items[r->failed]].meta->id, ok,
			ok == 1 ? "" : "s", map->n - r->failed - 1);
	else
		fprintf(out,
			"%zu revision%s ok: each upgraded, downgraded to the schema it had before, and upgraded again\n",
			ok - irreversible, ok - irreversible == 1 ? "" : "s");
	if (irreversible)
		fprintf(out,
			"%zu irreversible: upgraded, and its downgrade() refuses as retort_fail(ctx, \"irreversible: ...\") declares\n",
			irreversible);
}

static void print_summary(FILE *out, const struct revmap *map,
			  const struct stair_report *r, const char *path)
{
	print_walk(out, map, r);
	if (r->head == STAIR_HEAD_MATCHES)
		fprintf(out, "The schema at head matches %s\n", path);
	else if (r->head == STAIR_HEAD_DIFFERS) {
		fprintf(out, "The schema at head differs from %s:\n", path);
		autogen_print_differences(out, &r->diff);
	} else if (r->failed == map->n && r->done == map->n)
		fprintf(out, "No %s: the schema at head was not compared\n",
			path);
}

/* ---- JSON ---- */

static void json_differences(struct json *j, const struct sd_plan *diff)
{
	json_key(j, "differences");
	json_array_begin(j);
	for (size_t i = 0; diff && i < diff->up.n; i++)
		json_string(j, diff->up.items[i].summary);
	for (size_t i = 0; diff && i < diff->nproblems; i++)
		json_string(j, diff->problems[i]);
	json_array_end(j);
}

static void json_revisions(struct json *j, const struct revmap *map,
			   const struct stair_report *r)
{
	json_key(j, "revisions");
	json_array_begin(j);
	for (size_t pos = 0; pos < map->order.n; pos++) {
		const struct revision_meta *m =
			map->revs[map->order.items[pos]].meta;
		bool here = pos == r->failed && r->has_diff;

		json_object_begin(j);
		json_key(j, "id");
		json_string(j, m->id);
		json_key(j, "message");
		if (m->message)
			json_string(j, m->message);
		else
			json_null(j);
		json_key(j, "verdict");
		json_string(j, stair_verdict_key(r->verdicts[pos]));
		json_differences(j, here ? &r->diff : NULL);
		json_object_end(j);
	}
	json_array_end(j);
}

static const char *const head_keys[] = {
	[STAIR_HEAD_NOT_COMPARED] = "not_compared",
	[STAIR_HEAD_MATCHES] = "matches",
	[STAIR_HEAD_DIFFERS] = "differs",
};

/* The problem's kind: the failing verdict, schema_differs, or error for
 * what stopped the walk otherwise. */
static const char *problem_kind(const struct revmap *map,
				const struct stair_report *r)
{
	if (r->failed < map->n && r->verdicts[r->failed] != STAIR_NOT_RUN)
		return stair_verdict_key(r->verdicts[r->failed]);
	return r->head == STAIR_HEAD_DIFFERS ? "schema_differs" : "error";
}

static int print_json(struct app *app, const struct test_run *t,
		      const struct stair_report *r,
		      const struct retort_error *problem,
		      struct retort_error *err)
{
	struct json j = JSON_INIT;
	bool differs = r->head == STAIR_HEAD_DIFFERS;

	json_view_begin(&j, "test");
	json_key(&j, "ok");
	json_bool(&j, problem == NULL);
	json_revisions(&j, app->map, r);
	json_key(&j, "schema");
	json_object_begin(&j);
	json_key(&j, "path");
	json_string(&j, autogen_schema_path(app));
	json_key(&j, "found");
	json_bool(&j, t->declared != NULL);
	json_key(&j, "verdict");
	json_string(&j, head_keys[r->head]);
	json_differences(&j, differs ? &r->diff : NULL);
	json_object_end(&j);
	json_key(&j, "problems");
	json_array_begin(&j);
	if (problem)
		json_view_problem(&j, problem_kind(app->map, r), problem);
	json_array_end(&j);
	return json_view_print(&j, app->out, err);
}

static int report(struct test_run *t, const struct stair_report *r, int rc,
		  struct retort_error *err)
{
	struct app *app = t->app;
	struct retort_error written = { 0 };

	if (r->verdicts == NULL)
		return rc;
	/* The walk's own error wins over one writing its document. */
	if (t->args->json) {
		if (print_json(app, t, r, rc < 0 ? err : NULL, &written) < 0 &&
		    rc == 0) {
			*err = written;
			return -1;
		}
		return rc;
	}
	print_table(app->out, app->map, r);
	print_summary(app->out, app->map, r, autogen_schema_path(app));
	return rc;
}

/* ---- the worker: the walk on a connection of its own ---- */

/*
 * The version table's configured schema, which a real database has
 * before its first run (retort creates the table, not the schema), and a
 * database made from template0 does not.  The comparisons leave it out.
 */
static int ensure_schema(struct db *db, const char *schema,
			 struct retort_error *err)
{
	char *quoted, *sql;
	size_t size;
	int rc;

	if (schema == NULL)
		return 0;
	quoted = db_quote_ident(db->conn, schema);
	size = quoted ? strlen(quoted) + 64 : 0;
	sql = quoted ? malloc(size) : NULL;
	if (sql == NULL) {
		free(quoted);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	snprintf(sql, size, "CREATE SCHEMA IF NOT EXISTS %s", quoted);
	rc = db_exec(db, sql, 0, NULL, err);
	if (rc < 0)
		error_prefix(err, "cannot create the version table's schema");
	free(sql);
	free(quoted);
	return rc;
}

static int walk(struct test_run *t, struct db *db, struct retort_error *err)
{
	struct app *app = t->app;
	struct step_opts opts = { .out = app->progress, .cfg = &app->cfg };
	struct lease_opts lopts = { .timeout = app->cfg.lock_timeout,
				    .length = app->cfg.lock_lease,
				    .progress = app->progress };
	struct stairway s = { db,
			      app->map,
			      &app->plugins,
			      plugin_flags(&app->cfg),
			      &opts,
			      t->declared,
			      autogen_schema_path(app) };
	struct stair_report r = { 0 };
	int rc;

	/* The lock as a real run takes it, on the throwaway database. */
	if (ensure_schema(db, app->cfg.version_table_schema, err) < 0 ||
	    lease_acquire(db, &lopts, err) < 0)
		return -1;
	rc = stairway_run(&s, &r, err);
	rc = report(t, &r, rc, err);
	lease_release(db);
	stair_report_release(&r);
	return rc;
}

static int in_worker(void *arg, struct retort_error *err)
{
	struct test_run *t = arg;
	struct app *app = t->app;
	struct db db = { 0 };
	int rc;

	if (db_connect_timeout(&db, t->conninfo, NULL, app->cfg.version_table,
			       app->cfg.version_table_schema, err) < 0)
		return -1;
	isolate_set_cancel(db_cancel_from_signal, db.cancel);
	rc = walk(t, &db, err);
	isolate_set_cancel(NULL, NULL);
	db_close(&db);
	return rc;
}

/* ---- the command ---- */

/* The declared schema, read before the walk, when the project has one. */
static int read_declared(struct app *app, struct catalog *out, bool *found,
			 struct retort_error *err)
{
	struct exclusions x;

	*found = access(autogen_schema_path(app), F_OK) == 0;
	if (!*found)
		return 0;
	if (autogen_runner_tables(&app->db, &x, err) < 0)
		return -1;
	return autogen_read_declared(app, &x, out, err);
}

/*
 * The --shadow-url database, empty before the walk, emptied again
 * whatever the walk's outcome (a crashed worker's included): it stays
 * fit to lend for the next run.  A failure to empty it is the error, or
 * its detail after the walk's own.
 */
static int empty_lent(struct shadow *s, int rc, struct retort_error *err)
{
	struct retort_error e = { 0 };

	if (stairway_empty(&s->db, &e) == 0)
		return rc;
	if (rc == 0)
		*err = e;
	else
		error_detail(err, "and %s", e.msg);
	error_hint(
		err,
		"Empty the database --shadow-url names (%s) before the next run: it holds what retort test left.",
		s->name);
	return -1;
}

static int walk_on_shadow(struct test_run *t, struct retort_error *err)
{
	struct shadow s = { 0 };
	char *conninfo = NULL;
	int rc = autogen_open_shadow(t->app, &s, err);
	bool walked;

	if (rc == 0 && (conninfo = shadow_settings(&s)) == NULL)
		rc = error_set(err, RETORT_FAILED, "out of memory");
	walked = rc == 0;
	if (rc == 0) {
		t->conninfo = conninfo;
		lease_init_holder();
		rc = isolate_call(in_worker, t, err);
		/* The worker is gone: catch signals again until the drop. */
		shadow_catch_again(&s);
	}
	if (walked && t->lent)
		rc = empty_lent(&s, rc, err);
	else if (rc < 0 && walked)
		error_detail(
			err,
			"this ran on the scratch database %s: the database the URL names was only read",
			s.name);
	rc = shadow_close(&s, rc, err);
	free(conninfo);
	return rc;
}

int cmd_test(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct catalog declared = { 0 };
	struct test_run t = { .app = app,
			      .args = args,
			      .lent = app->cfg.shadow_url != NULL };
	bool found = false;
	int rc;

	if (app_refuse_tenant(app, "retort test", err) < 0)
		return -1;
	if (one_head(app->map, err) < 0 || app_connect(app, err) < 0 ||
	    read_declared(app, &declared, &found, err) < 0)
		return -1;
	t.declared = found ? &declared : NULL;
	rc = walk_on_shadow(&t, err);
	catalog_release(&declared);
	return rc;
}

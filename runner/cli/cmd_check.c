/*
 * cmd_check.c - is this database up to date and intact?
 *
 * Intact first (RETORT_USAGE, exit 2; integrity.c says what that means).
 * Then up
 * to date (RETORT_FAILED, exit 1): the database is at every head.  Silent
 * when both hold, so scripts read the exit status.  With --json, the
 * verdict as one document on stdout (README, "JSON output"), with the
 * same exit status and error.  Changes nothing.
 */
#include "cli/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cli/json_view.h"
#include "exec/integrity.h"
#include "schema/autogen.h"

/*
 * At every head means every revision applied: with depends_on the table
 * holds fewer rows than the graph has heads, so rows cannot be counted.
 */
static bool at_heads(const struct revmap *map, const struct revstate *state)
{
	for (size_t i = 0; i < map->n; i++)
		if (!state->applied[i])
			return false;
	return true;
}

static int not_up_to_date(struct retort_error *err)
{
	error_set(err, RETORT_FAILED, "Target database is not up to date.");
	error_hint(err, "Run `retort upgrade heads`.");
	return -1;
}

/* check --json's name for each finding. */
static const char *const finding_kinds[] = {
	[INTEGRITY_MISSING_PLUGIN] = "missing_plugin",
	[INTEGRITY_STALE_PLUGIN] = "stale_plugin",
	[INTEGRITY_CHANGED] = "changed_after_applied",
};

/* The integrity problem's kind, NULL when intact, or "" after a failure
 * that is no finding (the database's), which stops the command. */
static const char *integrity_kind(struct app *app, bool allow_changed,
				  struct revstate *state,
				  struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	enum integrity_finding found;

	if (integrity_check(&in, allow_changed, state, &found, err) == 0)
		return NULL;
	return err->status == RETORT_USAGE ? finding_kinds[found] : "";
}

/* The revisions no row reaches yet, in the order an upgrade runs them. */
static void pending(struct json *j, const struct revmap *map,
		    const struct revstate *state)
{
	json_key(j, "pending");
	json_array_begin(j);
	for (size_t i = 0; i < map->order.n; i++)
		if (!state->applied[map->order.items[i]])
			json_string(j, map->revs[map->order.items[i]].meta->id);
	json_array_end(j);
}

/* --schema's findings, which it prints as lines, as the problem's
 * detail: the JSON document is the only output. */
static int schema_json(struct app *app, struct retort_error *err)
{
	FILE *text_out = app->out;
	char *text = NULL, *lines;
	size_t size = 0;
	int rc;

	app->out = open_memstream(&text, &size);
	if (app->out == NULL) {
		app->out = text_out;
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	rc = autogen_check_schema(app, err);
	fclose(app->out);
	app->out = text_out;
	if (rc < 0 && text != NULL && err->status == RETORT_FAILED &&
	    (lines = strchr(text, '\n')) != NULL) {
		/* The differences, without the heading that introduces
		 * them, in place of a detail that points at them. */
		err->detail[0] = '\0';
		error_detail(err, "%s", lines + 1);
	}
	free(text);
	return rc;
}

/* The verdict's fields once the state is known. */
static void verdict(struct json *j, struct app *app,
		    const struct revstate *state, bool up_to_date)
{
	struct json_view v = { app->map, state };

	json_key(j, "up_to_date");
	json_bool(j, up_to_date);
	json_view_ids(j, app->map, "heads", &app->map->heads);
	json_view_revisions(j, &v, "current", &state->rows);
	pending(j, app->map, state);
}

/* Up to date, and with --schema matching the declared schema; when not,
 * the problem's kind ("" after a failure that is no finding). */
static const char *verdict_kind(struct app *app, const struct cmd_args *args,
				const struct revstate *state,
				struct retort_error *err)
{
	if (!at_heads(app->map, state)) {
		not_up_to_date(err);
		return "not_up_to_date";
	}
	if (!args->schema || schema_json(app, err) == 0)
		return NULL;
	return err->status == RETORT_FAILED && err->detail[0] ? "schema_differs"
							      : "";
}

static void document(struct json *j, struct app *app,
		     const struct revstate *state, bool intact,
		     const char *kind, const struct retort_error *problem)
{
	json_view_begin(j, "check");
	json_key(j, "ok");
	json_bool(j, kind == NULL);
	json_key(j, "intact");
	json_bool(j, intact);
	if (state->applied) {
		verdict(j, app, state, at_heads(app->map, state));
	} else {
		json_key(j, "up_to_date");
		json_null(j);
		json_view_ids(j, app->map, "heads", &app->map->heads);
		json_key(j, "current");
		json_null(j);
		json_key(j, "pending");
		json_null(j);
	}
	json_key(j, "problems");
	json_array_begin(j);
	if (kind)
		json_view_problem(j, kind, problem);
	json_array_end(j);
}

static int check_json(struct app *app, const struct cmd_args *args,
		      bool allow_changed, struct retort_error *err)
{
	struct revstate state = { 0 };
	struct json j = JSON_INIT;
	const char *kind = integrity_kind(app, allow_changed, &state, err);
	bool intact = kind == NULL;
	int rc = -1;

	if (intact)
		kind = verdict_kind(app, args, &state, err);
	if (kind && !*kind)
		goto out;
	document(&j, app, &state, intact, kind, err);
	if (json_view_print(&j, app->out, err) == 0 && kind == NULL)
		rc = 0;
out:
	json_release(&j);
	revstate_release(&state);
	return rc;
}

int cmd_check(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	struct revstate state = { 0 };
	enum integrity_finding found;
	bool ok;
	bool allow_changed = args->allow_changed || app->cfg.allow_changed;

	if (args->json)
		return check_json(app, args, allow_changed, err);
	if (integrity_check(&in, allow_changed, &state, &found, err) < 0) {
		revstate_release(&state);
		return -1;
	}
	ok = at_heads(app->map, &state);
	revstate_release(&state);
	if (ok)
		return args->schema ? autogen_check_schema(app, err) : 0;
	return not_up_to_date(err);
}

/*
 * cmd_check.c - is this database up to date and intact?
 *
 * Intact first (RETORT_USAGE, exit 2; integrity.c says what that means).
 * Then up
 * to date (RETORT_FAILED, exit 1): the database is at every head.  Silent
 * when both hold, so scripts read the exit status.  Changes nothing.
 */
#include "cli/cmd.h"

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

int cmd_check(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	struct revstate state = { 0 };
	bool ok;
	bool allow_changed = args->allow_changed || app->cfg.allow_changed;

	if (integrity_check(&in, allow_changed, &state, err) < 0)
		return -1;
	ok = at_heads(app->map, &state);
	revstate_release(&state);
	if (ok)
		return args->schema ? autogen_check_schema(app, err) : 0;
	error_set(err, RETORT_FAILED, "Target database is not up to date.");
	error_hint(err, "Run `retort upgrade heads`.");
	return -1;
}

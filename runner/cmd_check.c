/*
 * cmd_check.c - is this database up to date and intact?  Exit 0 when it is
 * at every head; otherwise say what is behind.
 */
#include "cmd.h"

int cmd_check(struct app *app, const struct cmd_args *args,
	      struct retort_error *err)
{
	struct revstate state = { 0 };
	bool at_heads;

	(void)args;
	if (app_read_state(app, &state, err) < 0)
		return -1;
	at_heads = state.rows.n == app->map->heads.n;
	for (size_t i = 0; at_heads && i < state.rows.n; i++)
		at_heads = revmap_is_head(app->map, state.rows.items[i]);
	revstate_release(&state);
	if (at_heads)
		return 0;
	error_set(err, RETORT_FAILED, "Target database is not up to date.");
	error_hint(err, "Run `retort upgrade heads`.");
	return -1;
}

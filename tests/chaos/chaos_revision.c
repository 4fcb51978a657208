/*
 * chaos_revision.c - the template of the fault-injection suite's revisions.
 * tests/chaos/meson.build compiles it once per revision with CHAOS_ID
 * (its id), CHAOS_DOWN (the previous id, or NULL), CHAOS_TABLE (the table
 * it creates) and, for the first, CHAOS_FIRST (it creates chaos_log too).
 *
 * Each upgrade creates its table, optionally sleeps (-x chaos_sleep=SECONDS,
 * so that a kill lands inside a revision as often as between two), then
 * logs itself in chaos_log.  All three are in the revision's transaction:
 * a revision applied exactly once leaves exactly one chaos_log row, and a
 * killed one leaves neither its table nor its row.
 */
#include "plugin_api.h"

#include <stddef.h>

RETORT_REVISION(.revision = CHAOS_ID, .down_revision = CHAOS_DOWN,
		.message = "chaos " CHAOS_ID,
		.create_date = "2026-11-25 10:00:00+00", );

static int pause_a_moment(retort_ctx *ctx)
{
	const char *seconds = retort_arg(ctx, "chaos_sleep");
	const char *params[] = { seconds };

	if (!seconds || !*seconds)
		return 0;
	return retort_exec_params(ctx, "SELECT pg_sleep($1::float8)", 1,
				  params);
}

int upgrade(retort_ctx *ctx)
{
	const char *params[] = { CHAOS_ID };

#ifdef CHAOS_FIRST
	/* No unique key: a second application must show, not fail. */
	if (retort_exec(
		    ctx,
		    "CREATE TABLE chaos_log (rev text NOT NULL,"
		    " pid int NOT NULL DEFAULT pg_backend_pid(),"
		    " at timestamptz NOT NULL DEFAULT clock_timestamp())") != 0)
		return -1;
#endif
	if (retort_exec(ctx, "CREATE TABLE " CHAOS_TABLE " (id int)") != 0 ||
	    pause_a_moment(ctx) != 0)
		return -1;
	return retort_exec_params(
		ctx, "INSERT INTO chaos_log (rev) VALUES ($1)", 1, params);
}

int downgrade(retort_ctx *ctx)
{
	if (retort_exec(ctx, "DROP TABLE " CHAOS_TABLE) != 0)
		return -1;
#ifdef CHAOS_FIRST
	return retort_exec(ctx, "DROP TABLE chaos_log");
#else
	const char *params[] = { CHAOS_ID };

	return retort_exec_params(ctx, "DELETE FROM chaos_log WHERE rev = $1",
				  1, params);
#endif
}

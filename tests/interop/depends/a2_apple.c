/*
 * Interop twin of a2_apple.py (graph depends): apple second.  Records its run
 * in applied_log and creates table t_a2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "a2", .down_revision = "a1",
		.message = "apple second",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_a2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('a2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_a2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('a2', 'down')");
}

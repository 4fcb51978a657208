/*
 * Interop twin of 4_x2_alpha.py (graph twobases): alpha second.  Records its
 * run in applied_log and creates table t_x2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "x2", .down_revision = "x1",
		.message = "alpha second",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_x2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('x2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_x2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('x2', 'down')");
}

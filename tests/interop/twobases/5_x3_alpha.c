/*
 * Interop twin of 5_x3_alpha.py (graph twobases): alpha third.  Records its run
 * in applied_log and creates table t_x3; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "x3", .down_revision = "x2",
		.message = "alpha third",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_x3 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('x3', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_x3;"
		"INSERT INTO applied_log (rev, direction) VALUES ('x3', 'down')");
}

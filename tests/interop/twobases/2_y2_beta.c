/*
 * Interop twin of 2_y2_beta.py (graph twobases): beta second.  Records its run
 * in applied_log and creates table t_y2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "y2", .down_revision = "y1",
		.message = "beta second",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_y2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('y2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_y2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('y2', 'down')");
}

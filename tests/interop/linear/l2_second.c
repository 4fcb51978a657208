/*
 * Interop twin of l2_second.py (graph linear): second.  Records its run in
 * applied_log and creates table t_l2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "l2", .down_revision = "l1", .message = "second",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_l2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('l2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_l2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('l2', 'down')");
}

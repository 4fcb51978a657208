/*
 * Interop twin of l1_first.py (graph linear): first.  Records its run in
 * applied_log and creates table t_l1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "l1", .down_revision = NULL, .message = "first",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_l1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('l1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_l1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('l1', 'down')");
}

/*
 * Interop twin of l4_fourth.py (graph linear): fourth.  Records its run in
 * applied_log and creates table t_l4; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "l4", .down_revision = "l3", .message = "fourth",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_l4 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('l4', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_l4;"
		"INSERT INTO applied_log (rev, direction) VALUES ('l4', 'down')");
}

/*
 * Interop twin of l3_third.py (graph linear): third.  Records its run in
 * applied_log and creates table t_l3; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "l3", .down_revision = "l2", .message = "third",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_l3 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('l3', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_l3;"
		"INSERT INTO applied_log (rev, direction) VALUES ('l3', 'down')");
}

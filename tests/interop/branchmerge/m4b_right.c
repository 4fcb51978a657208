/*
 * Interop twin of m4b_right.py (graph branchmerge): right again.  Records its
 * run in applied_log and creates table t_m4b; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m4b", .down_revision = "m3b",
		.message = "right again",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m4b (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m4b', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m4b;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m4b', 'down')");
}

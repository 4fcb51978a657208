/*
 * Interop twin of m3b_right.py (graph branchmerge): right branch.  Records its
 * run in applied_log and creates table t_m3b; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m3b", .down_revision = "m2",
		.message = "right branch",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "right", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m3b (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m3b', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m3b;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m3b', 'down')");
}

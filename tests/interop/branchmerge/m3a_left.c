/*
 * Interop twin of m3a_left.py (graph branchmerge): left branch.  Records its
 * run in applied_log and creates table t_m3a; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m3a", .down_revision = "m2",
		.message = "left branch",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "left", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m3a (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m3a', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m3a;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m3a', 'down')");
}

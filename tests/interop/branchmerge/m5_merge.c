/*
 * Interop twin of m5_merge.py (graph branchmerge): merge left and right.
 * Records its run in applied_log and creates table t_m5; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m5", .down_revision = "m4a, m4b",
		.message = "merge left and right",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m5 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m5', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m5;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m5', 'down')");
}

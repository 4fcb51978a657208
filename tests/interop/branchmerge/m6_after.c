/*
 * Interop twin of m6_after.py (graph branchmerge): after the merge.  Records
 * its run in applied_log and creates table t_m6; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m6", .down_revision = "m5",
		.message = "after the merge",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m6 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m6', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m6;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m6', 'down')");
}

/*
 * Interop twin of m2_branchpoint.py (graph branchmerge): branch point.  Records
 * its run in applied_log and creates table t_m2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m2", .down_revision = "m1",
		.message = "branch point",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m2', 'down')");
}

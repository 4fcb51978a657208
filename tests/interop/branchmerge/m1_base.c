/*
 * Interop twin of m1_base.py (graph branchmerge): base.  Records its run in
 * applied_log and creates table t_m1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m1", .down_revision = NULL, .message = "base",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m1', 'down')");
}

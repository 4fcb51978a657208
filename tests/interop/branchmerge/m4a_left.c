/*
 * Interop twin of m4a_left.py (graph branchmerge): left again.  Records its run
 * in applied_log and creates table t_m4a; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "m4a", .down_revision = "m3a",
		.message = "left again",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_m4a (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('m4a', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_m4a;"
		"INSERT INTO applied_log (rev, direction) VALUES ('m4a', 'down')");
}

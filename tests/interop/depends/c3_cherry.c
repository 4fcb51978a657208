/*
 * Interop twin of c3_cherry.py (graph depends): cherry third.  Records its run
 * in applied_log and creates table t_c3; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "c3", .down_revision = "c2",
		.message = "cherry third",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_c3 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('c3', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_c3;"
		"INSERT INTO applied_log (rev, direction) VALUES ('c3', 'down')");
}

/*
 * Interop twin of c1_cherry.py (graph depends): cherry base.  Records its run
 * in applied_log and creates table t_c1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "c1", .down_revision = NULL,
		.message = "cherry base",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "cherry", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_c1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('c1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_c1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('c1', 'down')");
}

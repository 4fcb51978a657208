/*
 * Interop twin of 3_x1_alpha.py (graph twobases): alpha base.  Records its run
 * in applied_log and creates table t_x1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "x1", .down_revision = NULL,
		.message = "alpha base",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "alpha", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_x1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('x1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_x1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('x1', 'down')");
}

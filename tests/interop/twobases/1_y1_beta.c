/*
 * Interop twin of 1_y1_beta.py (graph twobases): beta base.  Records its run in
 * applied_log and creates table t_y1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "y1", .down_revision = NULL, .message = "beta base",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "beta", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_y1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('y1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_y1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('y1', 'down')");
}

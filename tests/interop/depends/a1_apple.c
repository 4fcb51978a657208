/*
 * Interop twin of a1_apple.py (graph depends): apple base.  Records its run in
 * applied_log and creates table t_a1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "a1", .down_revision = NULL,
		.message = "apple base",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "apple", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_a1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('a1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_a1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('a1', 'down')");
}

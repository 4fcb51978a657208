/*
 * Interop twin of a3_apple.py (graph depends): apple third.  Records its run in
 * applied_log and creates table t_a3; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "a3", .down_revision = "a2",
		.message = "apple third",
		.create_date = "2026-11-24 10:00:00+00", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_a3 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('a3', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_a3;"
		"INSERT INTO applied_log (rev, direction) VALUES ('a3', 'down')");
}

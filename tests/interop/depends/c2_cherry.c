/*
 * Interop twin of c2_cherry.py (graph depends): cherry second, needs a2.
 * Records its run in applied_log and creates table t_c2; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "c2", .down_revision = "c1",
		.message = "cherry second, needs a2",
		.create_date = "2026-11-24 10:00:00+00", .depends_on = "a2", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_c2 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('c2', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_c2;"
		"INSERT INTO applied_log (rev, direction) VALUES ('c2', 'down')");
}

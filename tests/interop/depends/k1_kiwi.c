/*
 * Interop twin of k1_kiwi.py (graph depends): kiwi base, needs apple.  Records
 * its run in applied_log and creates table t_k1; downgrade drops it.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "k1", .down_revision = NULL,
		.message = "kiwi base, needs apple",
		.create_date = "2026-11-24 10:00:00+00",
		.branch_labels = "kiwi", .depends_on = "apple", );

int upgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"CREATE TABLE t_k1 (id int);"
		"INSERT INTO applied_log (rev, direction) VALUES ('k1', 'up')");
}

int downgrade(retort_ctx *ctx)
{
	return retort_exec(
		ctx,
		"CREATE TABLE IF NOT EXISTS applied_log (seq serial, rev text, direction text);"
		"DROP TABLE t_k1;"
		"INSERT INTO applied_log (rev, direction) VALUES ('k1', 'down')");
}

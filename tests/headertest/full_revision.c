/*
 * Header test: a revision that uses every host wrapper, compiled with the
 * strictest warnings, so that expanding RETORT_REVISION() and calling the
 * wrappers never warns in a user's build.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "hdr_1", .down_revision = NULL,
		.message = "header test",
		.create_date = "2026-11-24 10:00:00+00", .branch_labels = "hdr",
		.depends_on = NULL, .flags = RETORT_NO_TRANSACTION, );

int upgrade(retort_ctx *ctx)
{
	const char *const values[1] = { retort_arg(ctx, "who") };
	PGresult *res;

	retort_log(ctx, "running as %s", values[0] ? values[0] : "nobody");
	if (retort_exec(ctx, "CREATE TABLE t (who text)") != 0)
		return -1;
	if (retort_exec_params(ctx, "INSERT INTO t VALUES ($1)", 1, values))
		return -1;
	res = retort_query(ctx, "SELECT count(*) FROM t", 0, NULL);
	if (res == NULL)
		return -1;
	PQclear(res);
	if (PQstatus(retort_conn(ctx)) != CONNECTION_OK)
		return retort_fail(ctx, "lost the connection: %d", 1);
	return 0;
}

int downgrade(retort_ctx *ctx)
{
	return retort_fail(ctx, "irreversible: %s", "header test");
}

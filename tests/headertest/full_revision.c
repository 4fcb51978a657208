/*
 * Header test: a revision that uses every host wrapper, compiled with the
 * strictest warnings, so that expanding RETORT_REVISION() and
 * RETORT_BACKFILL() and calling the wrappers never warns in a user's build.
 */
#include "plugin_api.h"

#include <string.h>

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

static int produce(void *arg, char *buf, size_t cap, size_t *len)
{
	(void)arg;
	*len = cap > 4 ? 4 : 0;
	memcpy(buf, "a\tb\n", *len);
	return 0;
}

static int consume(void *arg, const char *row, size_t len)
{
	(void)row;
	*(size_t *)arg += len;
	return 0;
}

static int batch(void *arg, PGconn *conn, const char *const *first,
		 const char *const *last, int n, long long *rows)
{
	(void)arg;
	(void)conn;
	(void)first;
	(void)last;
	*rows = n;
	return 0;
}

/* The data migrations, in downgrade so that upgrade stays plain. */
int downgrade(retort_ctx *ctx)
{
	size_t bytes = 0;

	if (retort_backfill(ctx, &RETORT_BACKFILL(.table = "t", .key = "who",
						  .sql = "SELECT $1, $2",
						  .target_ms = 100, )))
		return -1;
	if (retort_backfill(ctx, &RETORT_BACKFILL(.name = "in_c", .table = "t",
						  .fn = batch, )))
		return -1;
	if (retort_copy_in(ctx, "COPY t FROM STDIN", produce, NULL))
		return -1;
	if (retort_copy_out(ctx, "COPY t TO STDOUT", consume, &bytes))
		return -1;
	return retort_fail(ctx, "irreversible: %zu bytes", bytes);
}

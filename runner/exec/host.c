/*
 * host.c - the host side of plugin_api.h.
 *
 * Statements go through db_exec_batch(), so the revision's BEGIN (waiting
 * in the prelude) travels with its first statement.  The first error is
 * kept for the runner to report; after it, or after SIGINT/SIGTERM, every
 * call fails at once.  Never prints, except retort_log's lines.
 */
#include "exec/host.h"

#include <stdarg.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "data/backfill.h"
#include "proc/isolate.h"

/* After SIGINT/SIGTERM a revision's next statement fails at once. */
static bool stopping(struct host_ctx *hc)
{
	struct retort_error err;

	if (!isolate_interrupted())
		return false;
	error_set(&err, RETORT_FAILED, "canceled before the statement ran");
	host_record(hc, &err);
	return true;
}

static bool result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	       st == PGRES_EMPTY_QUERY;
}

static int host_exec(retort_ctx *ctx, const char *sql)
{
	struct host_ctx *hc = host_of(ctx);
	struct retort_error err;
	PGresult *res;

	if (stopping(hc))
		return -1;
	hc->sent = true;
	res = db_exec_batch(hc->db, sql, &err);
	if (!res) {
		host_record(hc, &err);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Extended-protocol calls cannot carry the prelude: send it first. */
static int flush(struct host_ctx *hc)
{
	struct retort_error err;

	if (stopping(hc))
		return -1;
	hc->sent = true;
	if (db_flush(hc->db, &err) == 0)
		return 0;
	host_record(hc, &err);
	return -1;
}

static PGresult *host_query(retort_ctx *ctx, const char *sql, int nparams,
			    const char *const *values)
{
	struct host_ctx *hc = host_of(ctx);
	struct retort_error err;
	PGresult *res;

	if (flush(hc) < 0)
		return NULL;
	res = PQexecParams(hc->db->conn, sql, nparams, NULL, values, NULL, NULL,
			   0);
	if (result_ok(res))
		return res;
	db_error_from_result(&err, hc->db->conn, res);
	host_record(hc, &err);
	PQclear(res);
	return NULL;
}

static int host_exec_params(retort_ctx *ctx, const char *sql, int nparams,
			    const char *const *values)
{
	PGresult *res = host_query(ctx, sql, nparams, values);

	PQclear(res);
	return res ? 0 : -1;
}

/* Raw libpq starts inside the revision's open transaction. */
static PGconn *host_conn(retort_ctx *ctx)
{
	struct host_ctx *hc = host_of(ctx);

	flush(hc);
	return hc->db->conn;
}

static int host_vfail(retort_ctx *ctx, const char *fmt, va_list ap)
{
	struct host_ctx *hc = host_of(ctx);
	char text[sizeof(hc->error.msg)];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (hc->failed) {
		error_detail(&hc->error, "the revision said: %s", text);
	} else {
		error_set_text(&hc->error, RETORT_FAILED, text);
		hc->failed = true;
	}
	return -1;
}

static void host_vlog(retort_ctx *ctx, const char *fmt, va_list ap)
{
	FILE *out = host_of(ctx)->out;

	if (!out)
		return;
	fputs("  ", out);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
}

static const char *host_arg(retort_ctx *ctx, const char *key)
{
	const struct config *cfg = host_of(ctx)->cfg;

	return cfg ? config_arg(cfg, key) : NULL;
}

static const struct retort_host host_table = {
	.version = 2,
	.size = sizeof(struct retort_host),
	.exec = host_exec,
	.exec_params = host_exec_params,
	.query = host_query,
	.conn = host_conn,
	.vfail = host_vfail,
	.vlog = host_vlog,
	.arg = host_arg,
	.backfill = backfill_host_run,
	.copy_in = backfill_host_copy_in,
	.copy_out = backfill_host_copy_out,
};

void host_ctx_init(struct host_ctx *hc, struct db *db, const struct config *cfg,
		   FILE *out)
{
	*hc = (struct host_ctx){
		.base.host = &host_table, .db = db, .cfg = cfg, .out = out
	};
}

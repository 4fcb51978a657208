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

/* A statement through the simple protocol, recorded in a rehearsal. */
static PGresult *exec_batch(struct host_ctx *hc, const char *sql,
			    struct retort_error *err)
{
	PGresult *res;
	double t0;
	long idx;

	if (!hc->rec)
		return db_exec_batch(hc->db, sql, err);
	if (host_rec_prelude(hc, err) < 0)
		return NULL;
	idx = host_rec_begin(hc, CAPTURE_EXEC, sql, 0, NULL, &t0);
	res = db_exec_batch(hc->db, sql, err);
	if (host_rec_end(hc, idx, t0, res != NULL) < 0) {
		PQclear(res);
		return NULL;
	}
	return res;
}

static int host_exec(retort_ctx *ctx, const char *sql)
{
	struct host_ctx *hc = host_of(ctx);
	struct retort_error err;
	PGresult *res;

	if (stopping(hc))
		return -1;
	hc->sent = true;
	res = exec_batch(hc, sql, &err);
	if (!res) {
		if (!hc->failed)
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
	if (host_rec_prelude(hc, &err) == 0 && db_flush(hc->db, &err) == 0)
		return 0;
	host_record(hc, &err);
	return -1;
}

/* A statement with parameters, recorded in a rehearsal as origin. */
static PGresult *query_as(struct host_ctx *hc, enum capture_origin origin,
			  const char *sql, int nparams,
			  const char *const *values)
{
	PGresult *res;
	double t0 = 0;
	long idx = 0;
	bool ok;

	if (flush(hc) < 0)
		return NULL;
	if (hc->rec)
		idx = host_rec_begin(hc, origin, sql, nparams, values, &t0);
	res = PQexecParams(hc->db->conn, sql, nparams, NULL, values, NULL, NULL,
			   0);
	ok = result_ok(res);
	if (!ok) {
		struct retort_error err;

		db_error_from_result(&err, hc->db->conn, res);
		host_record(hc, &err);
	}
	if (hc->rec && host_rec_end(hc, idx, t0, ok) < 0)
		ok = false;
	if (ok)
		return res;
	PQclear(res);
	return NULL;
}

static PGresult *host_query(retort_ctx *ctx, const char *sql, int nparams,
			    const char *const *values)
{
	struct host_ctx *hc = host_of(ctx);
	PGresult *res = query_as(hc, CAPTURE_QUERY, sql, nparams, values);

	/* Rows handed to the revision: what it sends next may depend on
	 * them. */
	if (hc->rec && res && PQnfields(res) > 0)
		hc->rec->after_read = true;
	return res;
}

static int host_exec_params(retort_ctx *ctx, const char *sql, int nparams,
			    const char *const *values)
{
	PGresult *res = query_as(host_of(ctx), CAPTURE_EXEC_PARAMS, sql,
				 nparams, values);

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

/*
 * A rehearsal's table: each call that reaches the server first closes
 * the revision's raw group (the tap pauses, what it heard is measured)
 * and notes the call site, the return address in the revision's code;
 * the tap hears the revision again once the call returns.  A normal run
 * keeps the plain table: it pays nothing for rehearsals.
 */
static bool rehearse_enter(retort_ctx *ctx, const void *caller)
{
	struct host_ctx *hc = host_of(ctx);
	struct retort_error err;

	if (recorder_code_leave(hc->rec, hc->db, caller, &err) == 0)
		return true;
	host_record(hc, &err);
	return false;
}

static void rehearse_leave(retort_ctx *ctx)
{
	recorder_code_enter(host_of(ctx)->rec);
}

#define REHEARSED(call)                                                        \
	do {                                                                   \
		if (!rehearse_enter(ctx, __builtin_return_address(0)))         \
			return fail;                                           \
		result = (call);                                               \
		rehearse_leave(ctx);                                           \
		return result;                                                 \
	} while (0)

static int rh_exec(retort_ctx *ctx, const char *sql)
{
	int result, fail = -1;

	REHEARSED(host_exec(ctx, sql));
}

static int rh_exec_params(retort_ctx *ctx, const char *sql, int nparams,
			  const char *const *values)
{
	int result, fail = -1;

	REHEARSED(host_exec_params(ctx, sql, nparams, values));
}

static PGresult *rh_query(retort_ctx *ctx, const char *sql, int nparams,
			  const char *const *values)
{
	PGresult *result, *fail = NULL;

	REHEARSED(host_query(ctx, sql, nparams, values));
}

static PGconn *rh_conn(retort_ctx *ctx)
{
	PGconn *result, *fail = host_of(ctx)->db->conn;

	REHEARSED(host_conn(ctx));
}

static int rh_backfill(retort_ctx *ctx, const struct retort_backfill_job *job)
{
	int result, fail = -1;

	REHEARSED(backfill_host_run(ctx, job));
}

static int rh_copy_in(retort_ctx *ctx, const char *copy_sql,
		      retort_copy_source *source, void *arg)
{
	int result, fail = -1;

	REHEARSED(backfill_host_copy_in(ctx, copy_sql, source, arg));
}

static int rh_copy_out(retort_ctx *ctx, const char *copy_sql,
		       retort_copy_sink *sink, void *arg)
{
	int result, fail = -1;

	REHEARSED(backfill_host_copy_out(ctx, copy_sql, sink, arg));
}

static const struct retort_host rehearsal_table = {
	.version = 2,
	.size = sizeof(struct retort_host),
	.exec = rh_exec,
	.exec_params = rh_exec_params,
	.query = rh_query,
	.conn = rh_conn,
	.vfail = host_vfail,
	.vlog = host_vlog,
	.arg = host_arg,
	.backfill = rh_backfill,
	.copy_in = rh_copy_in,
	.copy_out = rh_copy_out,
};

void host_ctx_rehearse(struct host_ctx *hc, struct recorder *rec)
{
	hc->rec = rec;
	if (rec)
		hc->base.host = &rehearsal_table;
}

void host_ctx_init(struct host_ctx *hc, struct db *db, const struct config *cfg,
		   FILE *out)
{
	*hc = (struct host_ctx){
		.base.host = &host_table, .db = db, .cfg = cfg, .out = out
	};
}

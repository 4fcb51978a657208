/*
 * migrate.c - runs a plan, one revision at a time, and implements the host
 * side of plugin_api.h.
 *
 * Each step loads its plugin, runs upgrade() or downgrade() inside one
 * transaction together with its version-table change, commits, and unloads
 * the plugin: a failure or a crash leaves the database at the previous
 * revision, never in between.  Nothing session-scoped survives a step.
 */
#include "migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"
#include "plugin.h"

/* The host's view of a retort_ctx: the public part first. */
struct migrate_ctx {
	struct retort_ctx base;
	struct db *db;
	const struct migrate_opts *opts;
	struct retort_error error; /* the first failure the revision met */
	bool failed;
};

static struct migrate_ctx *host_ctx(retort_ctx *ctx)
{
	return (struct migrate_ctx *)ctx;
}

/* Keep the first error: later ones are usually its consequences. */
static void record_result_error(struct migrate_ctx *mc, const PGresult *res)
{
	if (mc->failed)
		return;
	db_error_from_result(&mc->error, mc->db->conn, res);
	mc->failed = true;
}

static bool result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	       st == PGRES_EMPTY_QUERY;
}

/* After SIGINT/SIGTERM a revision's next statement fails at once. */
static bool stopping(struct migrate_ctx *mc)
{
	if (!isolate_interrupted())
		return false;
	if (!mc->failed) {
		error_set(&mc->error, RETORT_FAILED,
			  "canceled before the statement ran");
		mc->failed = true;
	}
	return true;
}

static int host_exec(retort_ctx *ctx, const char *sql)
{
	struct migrate_ctx *mc = host_ctx(ctx);
	PGresult *res;
	int rc = 0;

	if (stopping(mc))
		return -1;
	res = PQexec(mc->db->conn, sql);

	if (!result_ok(res)) {
		record_result_error(mc, res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static PGresult *host_query(retort_ctx *ctx, const char *sql, int nparams,
			    const char *const *values)
{
	struct migrate_ctx *mc = host_ctx(ctx);
	PGresult *res;

	if (stopping(mc))
		return NULL;
	res = PQexecParams(mc->db->conn, sql, nparams, NULL, values, NULL, NULL,
			   0);
	if (result_ok(res))
		return res;
	record_result_error(mc, res);
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

static PGconn *host_conn(retort_ctx *ctx)
{
	return host_ctx(ctx)->db->conn;
}

static int host_vfail(retort_ctx *ctx, const char *fmt, va_list ap)
{
	struct migrate_ctx *mc = host_ctx(ctx);
	char text[sizeof(mc->error.msg)];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (mc->failed) {
		error_detail(&mc->error, "the revision said: %s", text);
	} else {
		error_set(&mc->error, RETORT_FAILED, "%s", text);
		mc->failed = true;
	}
	return -1;
}

static void host_vlog(retort_ctx *ctx, const char *fmt, va_list ap)
{
	FILE *out = host_ctx(ctx)->opts->out;

	if (!out)
		return;
	fputs("  ", out);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
}

static const char *host_arg(retort_ctx *ctx, const char *key)
{
	const struct config *cfg = host_ctx(ctx)->opts->cfg;

	return cfg ? config_arg(cfg, key) : NULL;
}

static const struct retort_host host_table = {
	.version = 1,
	.size = sizeof(struct retort_host),
	.exec = host_exec,
	.exec_params = host_exec_params,
	.query = host_query,
	.conn = host_conn,
	.vfail = host_vfail,
	.vlog = host_vlog,
	.arg = host_arg,
};

/* "a, b" from a list of revision indices; "" for none (Alembic's base). */
static void join_ids(const struct revmap *map, const struct revlist *list,
		     char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < list->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "",
					 map->revs[list->items[i]].meta->id);
}

/* Alembic's line: "Running upgrade 001 -> 002, add portfolios". */
static void announce(const struct revmap *map, const struct plan_step *step,
		     FILE *out)
{
	const struct revision *rev = &map->revs[step->rev];
	const char *msg = rev->meta->message ? rev->meta->message : "";
	char parents[512];

	if (!out)
		return;
	join_ids(map, &rev->parents, parents, sizeof(parents));
	if (step->direction == PLAN_UPGRADE)
		fprintf(out, "Running upgrade %s -> %s, %s\n", parents,
			rev->meta->id, msg);
	else
		fprintf(out, "Running downgrade %s -> %s, %s\n", rev->meta->id,
			parents, msg);
	fflush(out);
}

static int ids_of(const struct revmap *map, const struct revlist *list,
		  const char ***out, struct retort_error *err)
{
	*out = calloc(list->n ? list->n : 1, sizeof(**out));
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < list->n; i++)
		(*out)[i] = map->revs[list->items[i]].meta->id;
	return 0;
}

static int record_version(struct db *db, const struct revmap *map,
			  const struct plan_step *step,
			  struct retort_error *err)
{
	const char **remove = NULL, **insert = NULL;
	int rc = -1;

	if (ids_of(map, &step->remove, &remove, err) < 0 ||
	    ids_of(map, &step->insert, &insert, err) < 0)
		goto out;
	rc = db_update_versions(db, remove, step->remove.n, insert,
				step->insert.n, err);
out:
	free(remove);
	free(insert);
	return rc;
}

/* Why the revision's own code failed, from what it recorded or returned. */
static void revision_failure(struct migrate_ctx *mc, int rc, const char *fn,
			     struct retort_error *err)
{
	if (mc->failed) {
		*err = mc->error;
		return;
	}
	error_set(err, RETORT_FAILED, "%s() returned %d", fn, rc);
	error_hint(
		err,
		"A revision returns 0 on success; use retort_fail(ctx, ...) to say why it fails.");
}

/* The revision must leave the runner's transaction open and healthy. */
static int check_transaction(struct db *db, struct retort_error *err)
{
	switch (PQtransactionStatus(db->conn)) {
	case PQTRANS_INTRANS:
		return 0;
	case PQTRANS_INERROR:
		return error_set(
			err, RETORT_FAILED,
			"a statement failed inside the revision's transaction");
	default:
		error_set(err, RETORT_FAILED,
			  "the revision ended the runner's transaction itself");
		error_hint(
			err,
			"Do not COMMIT or ROLLBACK in a revision; flag it RETORT_NO_TRANSACTION to run in autocommit. Check what it left applied before running again.");
		return -1;
	}
}

static int call_revision(struct db *db, const struct plugin_code *code,
			 const struct plan_step *step,
			 const struct migrate_opts *opts,
			 struct retort_error *err)
{
	struct migrate_ctx mc = { .base.host = &host_table,
				  .db = db,
				  .opts = opts };
	bool up = step->direction == PLAN_UPGRADE;
	int rc = up ? code->upgrade(&mc.base) : code->downgrade(&mc.base);

	if (rc != 0 || mc.failed) {
		revision_failure(&mc, rc, up ? "upgrade" : "downgrade", err);
		return -1;
	}
	return 0;
}

/* A signal between the revision's last statement and COMMIT still stops. */
static int check_not_stopping(struct retort_error *err)
{
	if (!isolate_interrupted())
		return 0;
	return error_set(err, RETORT_FAILED, "canceled before COMMIT");
}

static int run_in_transaction(struct db *db, const struct revmap *map,
			      const struct plugin_code *code,
			      const struct plan_step *step,
			      const struct migrate_opts *opts,
			      struct retort_error *err)
{
	const struct config *cfg = opts->cfg;

	if (db_begin(db, err) < 0)
		return -1;
	if (db_set_timeouts(db, cfg->ddl_lock_timeout, cfg->statement_timeout,
			    true, err) < 0 ||
	    call_revision(db, code, step, opts, err) < 0 ||
	    check_transaction(db, err) < 0 || check_not_stopping(err) < 0 ||
	    record_version(db, map, step, err) < 0 || db_commit(db, err) < 0) {
		db_rollback(db);
		error_detail(
			err,
			"the revision and its version-table update were rolled back");
		return -1;
	}
	return 0;
}

/*
 * Autocommit: PostgreSQL refuses some statements inside a transaction
 * block.  Nothing can roll such a revision back, so a failure says so.
 */
static int run_autocommit(struct db *db, const struct revmap *map,
			  const struct plugin_code *code,
			  const struct plan_step *step,
			  const struct migrate_opts *opts,
			  struct retort_error *err)
{
	const struct config *cfg = opts->cfg;
	int rc = db_set_timeouts(db, cfg->ddl_lock_timeout,
				 cfg->statement_timeout, false, err);

	if (rc == 0)
		rc = call_revision(db, code, step, opts, err);
	db_reset_timeouts(db);
	if (rc < 0) {
		db_rollback(db);
		error_detail(
			err,
			"this revision runs outside a transaction (RETORT_NO_TRANSACTION): the statements before the failure stay applied");
		error_hint(
			err,
			"Check what the revision left (for CREATE INDEX CONCURRENTLY, an INVALID index to drop) before running it again.");
		return -1;
	}
	if (db_begin(db, err) < 0 || record_version(db, map, step, err) < 0 ||
	    db_commit(db, err) < 0) {
		db_rollback(db);
		error_detail(
			err,
			"the revision ran but its version-table update failed");
		return -1;
	}
	return 0;
}

static int run_step(struct db *db, const struct revmap *map,
		    const struct plan_step *step,
		    const struct migrate_opts *opts, struct retort_error *err)
{
	const struct revision_meta *meta = map->revs[step->rev].meta;
	struct plugin_code code;
	int rc;

	char note[sizeof(err->msg)];

	announce(map, step, opts->out);
	snprintf(note, sizeof(note), "revision %s (%s)", meta->id, meta->path);
	isolate_note(note);
	if (plugin_load(meta->path, &code, err) < 0)
		return -1;
	if (meta->flags & RETORT_NO_TRANSACTION)
		rc = run_autocommit(db, map, &code, step, opts, err);
	else
		rc = run_in_transaction(db, map, &code, step, opts, err);
	plugin_unload(&code);
	isolate_note(NULL);
	if (rc < 0)
		error_prefix(err, "revision %s (%s) failed", meta->id,
			     meta->path);
	return rc;
}

int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct migrate_opts *opts,
		struct retort_error *err)
{
	if (plan->n > 0 && db_ensure_version_table(db, err) < 0)
		return -1;
	for (size_t i = 0; i < plan->n; i++) {
		if (isolate_interrupted())
			return error_set(
				err, RETORT_FAILED,
				"stopped before revision %s",
				map->revs[plan->steps[i].rev].meta->id);
		if (run_step(db, map, &plan->steps[i], opts, err) < 0)
			return -1;
	}
	return 0;
}

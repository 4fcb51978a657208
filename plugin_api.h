/*
 * plugin_api.h - the only header a retort revision includes.
 *
 * Read from the top, it is the reference for writing a revision:
 *
 *   1. The revision: RETORT_REVISION(...), upgrade() and downgrade().
 *   2. Executing and querying: retort_exec() ... retort_arg().
 *   3. Data migrations: retort_backfill(), retort_copy_in(),
 *      retort_copy_out().
 *   4. How the functions above reach the runner: the host's table of
 *      methods, which a revision never touches itself.
 *
 * A revision is a shared object exporting three symbols: the metadata
 * object that RETORT_REVISION(...) defines, upgrade() and downgrade().  It
 * links against nothing of the runner: every host service reaches it
 * through the table behind the context, wrapped by the static inline
 * functions declared in sections 2 and 3.  The table is append-only, and a
 * wrapper for a method added later checks that the running host has it: an
 * old revision runs on a new runner, and a revision built against a newer
 * header still loads on an older runner, where a call to a method that
 * runner lacks fails the revision with a message to upgrade the runner.
 *
 * Needs only <libpq-fe.h> and the standard headers; compiles as C11 (and
 * C++) with -pedantic -Wall -Wextra -Werror under gcc and clang.
 */
#ifndef RETORT_PLUGIN_API_H
#define RETORT_PLUGIN_API_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RETORT_EXPORT __attribute__((visibility("default")))
#define RETORT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RETORT_EXPORT
#define RETORT_PRINTF(f, a)
#endif

/* ---- 1. The revision ---------------------------------------------------- */

/*
 * RETORT_REVISION(.revision = "002", .down_revision = "001",
 *                 .message = "add portfolios", ...);
 * defines the exported metadata object (the fields are struct
 * retort_revision's, below), stamped with this header's ABI version and
 * the source checksum and path the build defined.  The stamped fields come
 * before the revision's own, whose list may end in a comma.
 */
#define RETORT_REVISION(...)                                                   \
	RETORT_EXPORT const struct retort_revision retort_revision = {         \
		.abi_version = RETORT_ABI_VERSION,                             \
		.size = sizeof(struct retort_revision),                        \
		.source_sha256 = RETORT_SOURCE_SHA256,                         \
		.source_path = RETORT_SOURCE_PATH,                             \
		__VA_ARGS__                                                    \
	}

/*
 * What the runner reads before it runs anything.  abi_version and size come
 * first and are stamped by RETORT_REVISION(); the loader checks both before
 * it reads any other field, so fields can be appended without a new ABI.
 */
struct retort_revision {
	uint32_t abi_version;
	uint32_t size;
	const char *revision;	   /* 1-32 chars of [A-Za-z0-9_], unique */
	const char *down_revision; /* NULL or "" = base; "a, b" = merge point */
	const char *message;
	const char *create_date;   /* "YYYY-MM-DD HH:MM:SS+00" */
	const char *branch_labels; /* comma-separated, optional */
	const char *depends_on;	   /* comma-separated ids or labels, optional */
	uint32_t flags;		   /* enum retort_revision_flags */
	/* Appended fields: the loader reads them only when size covers them. */
	const char *source_sha256; /* hex SHA-256 of the source, or NULL */
	const char *source_path;   /* the source file built, or NULL */
	/* The lint rules this revision waives, by id, separated by commas:
	 * .lint_allow = "drop-column, rename-column".  retort lint and
	 * upgrade --lint say nothing of those rules for this revision. */
	const char *lint_allow;
};

/* Revision flags (the .flags field). */
enum retort_revision_flags {
	/* Run outside a transaction block, in autocommit: for statements
	 * PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY, ALTER TYPE
	 * ... ADD VALUE before PostgreSQL 12, VACUUM). */
	RETORT_NO_TRANSACTION = 1 << 0,
	/* A data migration made of retort_backfill() batches (section 3),
	 * each committed on its own with its checkpoint; the version row is
	 * written after the last batch.  A revision without this flag
	 * becomes batched at its first retort_backfill() call when nothing
	 * of it has reached the server yet: no retort_exec(),
	 * retort_exec_params(), retort_query(), retort_conn(),
	 * retort_copy_in() or retort_copy_out() before it, in upgrade() or
	 * downgrade() (retort_log() and retort_arg() do not count);
	 * otherwise that call fails, as its batches cannot commit inside the
	 * revision's transaction.  Statements a batched revision runs outside
	 * retort_backfill() run in autocommit. */
	RETORT_BATCHED = 1 << 1
};

/*
 * The version of struct retort_revision's layout, which RETORT_REVISION()
 * stamps.  Bumped only when that layout or the meaning of an existing host
 * method changes (appending is not a change); the runner refuses a plugin
 * of another ABI version.  Not the host API version (section 4).
 */
#define RETORT_ABI_VERSION 1

/*
 * The build (retort's Meson setup) force-includes a generated header that
 * defines these from the source's bytes at build time; a revision built
 * any other way (cc -shared ...) simply has none, and the runner falls back
 * to a checksum of the plugin file itself.
 */
#ifndef RETORT_SOURCE_SHA256
#define RETORT_SOURCE_SHA256 NULL
#endif
#ifndef RETORT_SOURCE_PATH
#define RETORT_SOURCE_PATH NULL
#endif

/* The context the runner passes in; opaque to revisions. */
typedef struct retort_ctx retort_ctx;

/* The revision's entry points; 0 = success, anything else rolls back. */
RETORT_EXPORT int upgrade(retort_ctx *ctx);
RETORT_EXPORT int downgrade(retort_ctx *ctx);

/* ---- 2. Executing and querying (host API version 1) --------------------- */

/*
 * Run one or several statements separated by semicolons, as psql sends
 * them.  Returns 0, or -1 after recording PostgreSQL's error (message,
 * detail, hint, SQLSTATE) for the runner to report; the revision then
 * fails whatever it returns.
 */
static inline int retort_exec(retort_ctx *ctx, const char *sql);

/* One statement with $1..$n text parameters (NULL values are SQL NULL). */
static inline int retort_exec_params(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values);

/*
 * One statement returning rows.  The caller owns the result and must
 * PQclear() it.  NULL after recording the error.
 */
static inline PGresult *retort_query(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values);

/*
 * The runner's connection, for COPY, cursors and pipelines.  Borrowed: do
 * not close it, and leave it in the transaction state you found it in.
 */
static inline PGconn *retort_conn(retort_ctx *ctx);

/* Record why the revision fails; returns -1 so `return retort_fail(...)`. */
static inline int retort_fail(retort_ctx *ctx, const char *fmt, ...)
	RETORT_PRINTF(2, 3);

/* A progress line, printed under the revision's "Running ..." line. */
static inline void retort_log(retort_ctx *ctx, const char *fmt, ...)
	RETORT_PRINTF(2, 3);

/* The value of `-x key=value`, or NULL.  Valid until the revision returns. */
static inline const char *retort_arg(retort_ctx *ctx, const char *key);

/* ---- 3. Data migrations (host API version 2) ---------------------------- */

/*
 * On a runner of host API version 1 each function of this section fails
 * the revision with "this retort is too old for ...(); upgrade the runner".
 */

/*
 * A batched backfill.  The runner walks the table's key space in key order
 * (keyset pagination, never OFFSET), runs each batch in its own
 * transaction together with a checkpoint row, adapts the batch size to
 * target_ms, retries lock timeouts, deadlocks and serialization failures
 * with back-off (then splits the batch), and resumes from the checkpoint
 * after a crash, so each batch is applied exactly once.
 *
 * The batch body is either sql or fn.  sql takes the batch's first and
 * last key as parameters, both inclusive: with a one-column key
 * "UPDATE t SET b = f(a) WHERE id BETWEEN $1 AND $2"; with an n-column key
 * $1..$n are the first key and $n+1..$2n the last, as in
 * "WHERE (a, b) >= ($1, $2) AND (a, b) <= ($3, $4)".
 * Zero means the default for every number; NULL for every string.  Set
 * .size = sizeof(struct retort_backfill_job) (RETORT_BACKFILL does).
 */
struct retort_backfill_job {
	uint32_t size;
	const char *name;  /* job name within the revision; "backfill" */
	const char *table; /* the table walked, may be schema-qualified */
	const char *key;   /* comma-separated key columns; primary key */
	const char *sql;   /* the batch body (or fn) */
	/* The batch body in C: do the batch's work on conn (inside its
	 * transaction) for keys first..last (n text values each), set
	 * *rows, return 0; non-zero fails the batch. */
	int (*fn)(void *arg, PGconn *conn, const char *const *first,
		  const char *const *last, int n, long long *rows);
	void *arg;
	int batch_size;		       /* first batch's rows; 1000 */
	int min_batch;		       /* adaptive bounds; 100 */
	int max_batch;		       /* 100000 */
	int target_ms;		       /* adapt to this batch duration; 200 */
	int pause_ms;		       /* sleep between batches; 0 */
	int max_retries;	       /* per batch before splitting; 5 */
	int max_replication_lag_ms;    /* throttle while a standby lags; off */
	const char *lock_timeout;      /* per batch; "2s" */
	const char *statement_timeout; /* per batch; "1min" */
};

/* retort_backfill(ctx, &RETORT_BACKFILL(.table = "t", .sql = "...")) */
#define RETORT_BACKFILL(...)                                                   \
	((const struct retort_backfill_job){                                   \
		.size = sizeof(struct retort_backfill_job), __VA_ARGS__ })

/*
 * Run a batched backfill to the end (or resume it): see struct
 * retort_backfill_job, and RETORT_BATCHED for where in a revision it may
 * be called.  Returns 0, or -1 after recording why it stopped; the batches
 * done stay done and the next run resumes after them.
 */
static inline int retort_backfill(retort_ctx *ctx,
				  const struct retort_backfill_job *job);

/* Produces COPY data: fill buf with the next bytes of data (up to cap),
 * set *len; return 1 for more, 0 when done, -1 to fail the COPY. */
typedef int retort_copy_source(void *arg, char *buf, size_t cap, size_t *len);
/* Consumes COPY data one row at a time; non-zero fails the COPY. */
typedef int retort_copy_sink(void *arg, const char *row, size_t len);

/*
 * Stream rows into a table: copy_sql is "COPY t (cols) FROM STDIN" (text,
 * csv or binary format); source produces the data.  Errors are reported as
 * for any statement.
 */
static inline int retort_copy_in(retort_ctx *ctx, const char *copy_sql,
				 retort_copy_source *source, void *arg);

/* Stream a query's rows to sink: copy_sql is "COPY (query) TO STDOUT". */
static inline int retort_copy_out(retort_ctx *ctx, const char *copy_sql,
				  retort_copy_sink *sink, void *arg);

/* ---- 4. How the functions above reach the runner ------------------------ */

/*
 * The host's services.  Never call these members directly: use the
 * functions above, which check that the running host provides them.
 */
struct retort_host {
	/* The host API version: 1 has the methods up to arg; 2 (this
	 * header's) adds the data migrations. */
	uint32_t version;
	uint32_t size; /* sizeof(struct retort_host) in the runner */
	/* version 1: executing and querying */
	int (*exec)(retort_ctx *ctx, const char *sql);
	int (*exec_params)(retort_ctx *ctx, const char *sql, int nparams,
			   const char *const *values);
	PGresult *(*query)(retort_ctx *ctx, const char *sql, int nparams,
			   const char *const *values);
	PGconn *(*conn)(retort_ctx *ctx);
	int (*vfail)(retort_ctx *ctx, const char *fmt, va_list ap);
	void (*vlog)(retort_ctx *ctx, const char *fmt, va_list ap);
	const char *(*arg)(retort_ctx *ctx, const char *key);
	/* version 2: data migrations */
	int (*backfill)(retort_ctx *ctx, const struct retort_backfill_job *job);
	int (*copy_in)(retort_ctx *ctx, const char *copy_sql,
		       retort_copy_source *source, void *arg);
	int (*copy_out)(retort_ctx *ctx, const char *copy_sql,
			retort_copy_sink *sink, void *arg);
	/* New methods are appended here, never inserted, and given the
	 * version that adds them in enum retort_host_since. */
};

/* The host API version that added each method, for RETORT_HOST_HAS. */
enum retort_host_since {
	RETORT_HOST_SINCE_exec = 1,
	RETORT_HOST_SINCE_exec_params = 1,
	RETORT_HOST_SINCE_query = 1,
	RETORT_HOST_SINCE_conn = 1,
	RETORT_HOST_SINCE_vfail = 1,
	RETORT_HOST_SINCE_vlog = 1,
	RETORT_HOST_SINCE_arg = 1,
	RETORT_HOST_SINCE_backfill = 2,
	RETORT_HOST_SINCE_copy_in = 2,
	RETORT_HOST_SINCE_copy_out = 2
};

/* What the runner passes in: revisions see no more than the table. */
struct retort_ctx {
	const struct retort_host *host;
};

/*
 * True when the running host provides method m: its version is one that
 * has m, its table is long enough to hold m, and m is set.
 */
#define RETORT_HOST_HAS(ctx, m)                                                \
	((ctx)->host->version >= (uint32_t)RETORT_HOST_SINCE_##m &&            \
	 (ctx)->host->size >=                                                  \
		 offsetof(struct retort_host, m) + sizeof((ctx)->host->m) &&   \
	 (ctx)->host->m != NULL)

static inline int retort_exec(retort_ctx *ctx, const char *sql)
{
	return ctx->host->exec(ctx, sql);
}

static inline int retort_exec_params(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values)
{
	return ctx->host->exec_params(ctx, sql, nparams, values);
}

static inline PGresult *retort_query(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values)
{
	return ctx->host->query(ctx, sql, nparams, values);
}

static inline PGconn *retort_conn(retort_ctx *ctx)
{
	return ctx->host->conn(ctx);
}

static inline int retort_fail(retort_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ctx->host->vfail(ctx, fmt, ap);
	va_end(ap);
	return rc;
}

static inline void retort_log(retort_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx->host->vlog(ctx, fmt, ap);
	va_end(ap);
}

static inline const char *retort_arg(retort_ctx *ctx, const char *key)
{
	return ctx->host->arg(ctx, key);
}

/* The revision needs a newer runner for a method added after version 1. */
static inline int retort__host_too_old(retort_ctx *ctx, const char *method)
{
	return retort_fail(
		ctx, "this retort is too old for %s(); upgrade the runner",
		method);
}

static inline int retort_backfill(retort_ctx *ctx,
				  const struct retort_backfill_job *job)
{
	if (!RETORT_HOST_HAS(ctx, backfill))
		return retort__host_too_old(ctx, "retort_backfill");
	return ctx->host->backfill(ctx, job);
}

static inline int retort_copy_in(retort_ctx *ctx, const char *copy_sql,
				 retort_copy_source *source, void *arg)
{
	if (!RETORT_HOST_HAS(ctx, copy_in))
		return retort__host_too_old(ctx, "retort_copy_in");
	return ctx->host->copy_in(ctx, copy_sql, source, arg);
}

static inline int retort_copy_out(retort_ctx *ctx, const char *copy_sql,
				  retort_copy_sink *sink, void *arg)
{
	if (!RETORT_HOST_HAS(ctx, copy_out))
		return retort__host_too_old(ctx, "retort_copy_out");
	return ctx->host->copy_out(ctx, copy_sql, sink, arg);
}

#ifdef __cplusplus
}
#endif

#endif /* RETORT_PLUGIN_API_H */

/*
 * plugin_api.h - the only header a retort revision includes.
 *
 * A revision is a shared object exporting three symbols: the metadata object
 * that RETORT_REVISION(...) defines, upgrade() and downgrade().  It links
 * against nothing of the runner: every host service reaches it through the
 * function table behind the context, wrapped by the static inline functions
 * below.  The table is append-only; a wrapper for a method added later
 * checks that the running host has it, so a revision built against a newer
 * header still runs on an older runner, and an old revision on a new runner.
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

/*
 * Bumped only when the layout of struct retort_revision or the meaning of an
 * existing host method changes; the runner refuses a plugin of another ABI.
 */
#define RETORT_ABI_VERSION 1

/* Revision flags (the .flags field). */
enum retort_revision_flags {
	/* Run outside a transaction block, in autocommit: for statements
	 * PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY, ALTER TYPE
	 * ... ADD VALUE before PostgreSQL 12, VACUUM). */
	RETORT_NO_TRANSACTION = 1 << 0
};

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
};

/* Opaque to revisions beyond its first member, which the wrappers use. */
typedef struct retort_ctx retort_ctx;

/*
 * The host's services.  Never call these members directly: use the
 * wrappers, which check that the running host provides them.
 */
struct retort_host {
	uint32_t version; /* host API version: 1 */
	uint32_t size;	  /* sizeof(struct retort_host) in the runner */
	int (*exec)(retort_ctx *ctx, const char *sql);
	int (*exec_params)(retort_ctx *ctx, const char *sql, int nparams,
			   const char *const *values);
	PGresult *(*query)(retort_ctx *ctx, const char *sql, int nparams,
			   const char *const *values);
	PGconn *(*conn)(retort_ctx *ctx);
	int (*vfail)(retort_ctx *ctx, const char *fmt, va_list ap);
	void (*vlog)(retort_ctx *ctx, const char *fmt, va_list ap);
	const char *(*arg)(retort_ctx *ctx, const char *key);
	/* New methods are appended here, never inserted. */
};

struct retort_ctx {
	const struct retort_host *host;
};

/* True when the running host's table reaches method m. */
#define RETORT_HOST_HAS(ctx, m)                                                \
	((ctx)->host->size >=                                                  \
		 offsetof(struct retort_host, m) + sizeof((ctx)->host->m) &&   \
	 (ctx)->host->m != NULL)

#if defined(__GNUC__) || defined(__clang__)
#define RETORT_EXPORT __attribute__((visibility("default")))
#define RETORT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RETORT_EXPORT
#define RETORT_PRINTF(f, a)
#endif

/*
 * RETORT_REVISION(.revision = "002", .down_revision = "001", ...);
 * defines the exported metadata object, stamped with this header's ABI.
 */
#define RETORT_REVISION(...)                                                   \
	RETORT_EXPORT const struct retort_revision retort_revision = {         \
		.abi_version = RETORT_ABI_VERSION,                             \
		.size = sizeof(struct retort_revision),                        \
		__VA_ARGS__                                                    \
	}

/* The revision's entry points; 0 = success, anything else rolls back. */
RETORT_EXPORT int upgrade(retort_ctx *ctx);
RETORT_EXPORT int downgrade(retort_ctx *ctx);

/*
 * Run one or several statements separated by semicolons, as psql sends
 * them.  Returns 0, or -1 after recording PostgreSQL's error (message,
 * detail, hint, SQLSTATE) for the runner to report; the revision then
 * fails whatever it returns.
 */
static inline int retort_exec(retort_ctx *ctx, const char *sql)
{
	return ctx->host->exec(ctx, sql);
}

/* One statement with $1..$n text parameters (NULL values are SQL NULL). */
static inline int retort_exec_params(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values)
{
	return ctx->host->exec_params(ctx, sql, nparams, values);
}

/*
 * One statement returning rows.  The caller owns the result and must
 * PQclear() it.  NULL after recording the error.
 */
static inline PGresult *retort_query(retort_ctx *ctx, const char *sql,
				     int nparams, const char *const *values)
{
	return ctx->host->query(ctx, sql, nparams, values);
}

/*
 * The runner's connection, for COPY, cursors and pipelines.  Borrowed: do
 * not close it, and leave it in the transaction state you found it in.
 */
static inline PGconn *retort_conn(retort_ctx *ctx)
{
	return ctx->host->conn(ctx);
}

/* Record why the revision fails; returns -1 so `return retort_fail(...)`. */
static inline RETORT_PRINTF(2, 3) int retort_fail(retort_ctx *ctx,
						  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ctx->host->vfail(ctx, fmt, ap);
	va_end(ap);
	return rc;
}

/* A progress line, printed under the revision's "Running ..." line. */
static inline RETORT_PRINTF(2, 3) void retort_log(retort_ctx *ctx,
						  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx->host->vlog(ctx, fmt, ap);
	va_end(ap);
}

/* The value of `-x key=value`, or NULL.  Valid until the revision returns. */
static inline const char *retort_arg(retort_ctx *ctx, const char *key)
{
	return ctx->host->arg(ctx, key);
}

#ifdef __cplusplus
}
#endif

#endif /* RETORT_PLUGIN_API_H */

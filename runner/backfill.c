/*
 * backfill.c - batched backfills and COPY streams for data migrations.
 */
#include "backfill.h"

#include <stddef.h>

#include "host.h"

static int not_yet(retort_ctx *ctx, const char *what)
{
	return retort_fail(ctx, "%s is not available in this build", what);
}

int backfill_host_run(retort_ctx *ctx, const struct retort_backfill_job *job)
{
	(void)job;
	return not_yet(ctx, "retort_backfill()");
}

int backfill_host_copy_in(retort_ctx *ctx, const char *copy_sql,
			  retort_copy_source *source, void *arg)
{
	(void)copy_sql;
	(void)source;
	(void)arg;
	return not_yet(ctx, "retort_copy_in()");
}

int backfill_host_copy_out(retort_ctx *ctx, const char *copy_sql,
			   retort_copy_sink *sink, void *arg)
{
	(void)copy_sql;
	(void)sink;
	(void)arg;
	return not_yet(ctx, "retort_copy_out()");
}

int backfill_cleanup_sql(struct db *db, const char *revision, char **out,
			 struct retort_error *err)
{
	(void)db;
	(void)revision;
	(void)err;
	*out = NULL;
	return 0;
}

/*
 * backfill.h - data migrations: batched backfills with checkpoints, and
 * COPY streams, behind plugin_api.h's retort_backfill(), retort_copy_in()
 * and retort_copy_out().
 */
#ifndef RETORT_BACKFILL_H
#define RETORT_BACKFILL_H

#include "plugin_api.h"
#include "store/db.h"
#include "base/error.h"

/* The host table's entries (see plugin_api.h for their contract). */
int backfill_host_run(retort_ctx *ctx, const struct retort_backfill_job *job);
int backfill_host_copy_in(retort_ctx *ctx, const char *copy_sql,
			  retort_copy_source *source, void *arg);
int backfill_host_copy_out(retort_ctx *ctx, const char *copy_sql,
			   retort_copy_sink *sink, void *arg);

#endif

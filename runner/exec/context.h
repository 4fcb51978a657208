/*
 * context.h - the host's view of a retort_ctx: what one call of upgrade()
 * or downgrade() runs with.  Apart from host.h (the function table) so
 * that the data-migration entries the table lists (data/backfill.c) can
 * read the context without depending on the table that lists them.
 */
#ifndef RETORT_CONTEXT_H
#define RETORT_CONTEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "plugin_api.h"
#include "config/config.h"
#include "store/db.h"
#include "base/error.h"

/* The host's view of a retort_ctx: the public part first. */
struct host_ctx {
	struct retort_ctx base;
	struct db *db;
	const struct config *cfg;  /* -x arguments */
	FILE *out;		   /* retort_log lines; NULL = quiet */
	struct retort_error error; /* the first failure the revision met */
	bool failed;
	bool sent;	 /* the revision reached the server */
	bool batched;	 /* autocommit: retort_backfill() commits per batch */
	bool autocommit; /* RETORT_NO_TRANSACTION or batched: no step mark */
	bool sample; /* upgrade --sample: one batch per backfill, rolled back */
	const char *revision; /* the running revision's id, for checkpoints */
	struct timespec started; /* when the step began, for the audit */
	struct timespec started_mono;
};

/* The host's view of the context a revision passes back. */
struct host_ctx *host_of(retort_ctx *ctx);

/* Record err as the revision's failure unless one is recorded already. */
void host_record(struct host_ctx *hc, const struct retort_error *err);

#endif

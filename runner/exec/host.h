/*
 * host.h - the runner's side of plugin_api.h: the function table a
 * revision calls through (the context it is called with: context.h).
 */
#ifndef RETORT_HOST_H
#define RETORT_HOST_H

#include <stdio.h>

#include "config/config.h"
#include "exec/context.h"
#include "store/db.h"

/* A context for one call of upgrade() or downgrade(). */
void host_ctx_init(struct host_ctx *hc, struct db *db, const struct config *cfg,
		   FILE *out);

/* In a rehearsal: record through rec (record.h); NULL leaves hc as is. */
void host_ctx_rehearse(struct host_ctx *hc, struct recorder *rec);

#endif

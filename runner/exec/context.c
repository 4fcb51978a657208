/*
 * context.c - the host's view of a retort_ctx.
 */
#include "exec/context.h"

struct host_ctx *host_of(retort_ctx *ctx)
{
	return (struct host_ctx *)ctx;
}

void host_record(struct host_ctx *hc, const struct retort_error *err)
{
	if (hc->failed)
		return;
	hc->error = *err;
	hc->failed = true;
}

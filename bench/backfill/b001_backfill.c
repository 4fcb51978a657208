/*
 * bench/backfill/b001_backfill.c - the benchmark's data migration:
 * b = f(a) over t's whole key range in batches, with every knob at its
 * default.  The driver compares it with the same change as one UPDATE.
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "b001", .down_revision = NULL,
		.message = "backfill t.b = f(t.a)",
		.create_date = "2026-11-25 12:00:00+00",
		.flags = RETORT_BATCHED, );

int upgrade(retort_ctx *ctx)
{
	return retort_backfill(
		ctx, &RETORT_BACKFILL(.table = "t",
				      .sql = "UPDATE t SET b = a * 2 + 1"
					     " WHERE id BETWEEN $1 AND $2"));
}

int downgrade(retort_ctx *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Backfill: derive users.locale from metadata_ for the existing rows, in
 * batches of the primary key (id, a uuid).  Each batch is its own short
 * transaction with its checkpoint, so the table stays writable, a kill
 * loses at most the batch in flight, and `retort upgrade` resumes after
 * the last committed one.  The version row is written after the last
 * batch.
 *
 * $1 and $2 are the batch's first and last id, both inclusive.  Knobs
 * (batch size, pauses, timeouts) have defaults that are safe on a busy
 * table; override them here, in retort.ini ([retort] backfill_pause_ms =
 * 20) or on the command line (-x backfill.pause_ms=20).
 */
#include "plugin_api.h"

RETORT_REVISION(.revision = "004", .down_revision = "003",
		.message = "backfill users.locale from metadata_",
		.create_date = "2026-11-25 10:01:00+00",
		.flags = RETORT_BATCHED, );

int upgrade(retort_ctx *ctx)
{
	return retort_backfill(
		ctx,
		&RETORT_BACKFILL(
				.table = "users",
				.sql = "UPDATE users"
				       " SET locale = coalesce(metadata_->>'locale', 'en')"
				       " WHERE id BETWEEN $1 AND $2"));
}

/*
 * Nothing to undo by itself: the values live in the column that 003's
 * downgrade drops.  Downgrading a half-done backfill runs this too, and
 * removes its checkpoint rows.
 */
int downgrade(retort_ctx *ctx)
{
	(void)ctx;
	return 0;
}

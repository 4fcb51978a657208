/*
 * backfill_cmd.h - what the commands do about data migrations: `current`
 * shows backfills in progress, `downgrade` undoes a half-done one first,
 * `upgrade --sample` tries one batch of each pending backfill and rolls
 * everything back.
 */
#ifndef RETORT_BACKFILL_CMD_H
#define RETORT_BACKFILL_CMD_H

#include <stdio.h>

#include "store/db.h"
#include "base/error.h"
#include "exec/step.h"
#include "graph/revmap.h"

/*
 * For `retort current`: one line per backfill with a checkpoint, "002 (in
 * progress): backfill of users, 4500 of ~10000 rows (45%), ...".
 */
int backfill_cmd_status(struct db *db, const struct revmap *map,
			const struct revstate *state, FILE *out,
			struct retort_error *err);

/*
 * Before a downgrade runs plan: every revision whose backfill was left
 * half-done (checkpoint rows, no version row) and whose parent the
 * downgrade removes or targets has its downgrade() run and its checkpoint
 * rows removed, in one transaction (the batches it committed are undone by
 * downgrade(), not by the runner).
 */
int backfill_cmd_undo(struct db *db, const struct revmap *map,
		      const struct revstate *state, const struct plan *plan,
		      const char *target, const struct step_opts *opts,
		      struct retort_error *err);

/*
 * upgrade --sample: run plan's revisions in one transaction, with each
 * retort_backfill() doing one batch (timed, EXPLAINed, projected), then
 * roll it all back.  RETORT_NO_TRANSACTION revisions are skipped.
 */
int backfill_cmd_sample(struct db *db, const struct revmap *map,
			const struct plan *plan, const struct step_opts *opts,
			struct retort_error *err);

#endif

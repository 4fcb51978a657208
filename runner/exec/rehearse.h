/*
 * rehearse.h - running a plan to see what it does: every statement each
 * revision and the runner send, recorded with the locks and rewrites each
 * caused (capture.h), through the one step path (step.c).
 */
#ifndef RETORT_REHEARSE_H
#define RETORT_REHEARSE_H

#include "base/error.h"
#include "exec/capture.h"
#include "exec/step.h"
#include "graph/revmap.h"
#include "store/db.h"

/*
 * Run plan for real on db, a shadow of the target (its schema at the
 * target's revision), as upgrade would: each step committed with its
 * version row and audit row.  out (initialised by the caller) holds what
 * ran, up to and including a failing statement; -1 with err naming the
 * revision and PostgreSQL's error when one failed.
 */
int rehearse_plan(struct db *db, const struct revmap *map,
		  const struct plan *plan, const struct step_opts *opts,
		  struct capture *out, struct retort_error *err);

/*
 * Rehearse plan on the target itself, in ONE transaction that is always
 * rolled back, with a short lock_timeout (ddl_lock_timeout, else 2s) so
 * that a busy target never queues behind it.  Takes no migration lock
 * and writes nothing that survives: no version, audit or checkpoint row.
 * A RETORT_NO_TRANSACTION revision cannot run inside it: its step is
 * recorded as skipped.  Backfills run one batch, as upgrade --sample.
 */
int rehearse_on_target(struct db *db, const struct revmap *map,
		       const struct plan *plan, const struct step_opts *opts,
		       struct capture *out, struct retort_error *err);

#endif

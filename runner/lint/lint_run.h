/*
 * lint_run.h - the whole of a lint: rehearse a plan in a shadow of the
 * target (store/shadow.h, exec/rehearse.h), read the facts of the tables
 * it touched from the target (store/facts.h), and judge the capture
 * (lint.h).  Shared by `retort lint` and `upgrade --lint`.  Reads the
 * target, never writes it; never prints.
 */
#ifndef RETORT_LINT_RUN_H
#define RETORT_LINT_RUN_H

#include "base/error.h"
#include "exec/capture.h"
#include "exec/step.h"
#include "graph/revmap.h"
#include "lint/lint.h"
#include "store/db.h"

/*
 * Rehearse plan in a shadow of target (a scratch database on its server,
 * or the empty database shadow_url names) and judge it with set into
 * report.  c and report are initialised by the caller, who releases them
 * whatever this returns.  When a revision fails in the rehearsal, what
 * ran before it is still judged, and -1 returns with the revision's error
 * (RETORT_FAILED).
 */
int lint_run_plan(struct db *target, const char *shadow_url,
		  const struct revmap *map, const struct plan *plan,
		  const struct step_opts *opts, const struct lint_settings *set,
		  struct capture *c, struct lint_report *report,
		  struct retort_error *err);

/* The rows from which a table is large: cfg's lint_large_rows, else
 * LINT_DEFAULT_LARGE_ROWS. */
double lint_run_large_rows(const struct config *cfg);

#endif

/*
 * lint.h - rules that judge what a rehearsal captured (exec/capture.h)
 * against what the target holds (store/facts.h): a statement that would
 * block the target's traffic or break code still running, with why and
 * the safe form.
 *
 * Pure: no I/O, no libpq.  cli/cmd_lint.c rehearses, reads the facts and
 * prints; this only judges.
 */
#ifndef RETORT_LINT_H
#define RETORT_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "exec/capture.h"
#include "lint/classify.h"
#include "lint/rules.h"
#include "store/facts.h"

void lint_report_init(struct lint_report *r);
void lint_report_release(struct lint_report *r);

/*
 * Judge the upgrade steps of c that set->only names (every one when it
 * names none), with facts[0..nfacts) of the target, into out (initialised
 * by the caller).  -1 when a step's .lint_allow names no rule (RETORT_USAGE:
 * the revision, the id and the known ids) or memory runs out.
 */
int lint_capture(const struct capture *c, const struct table_facts *facts,
		 size_t nfacts, const struct lint_settings *set,
		 struct lint_report *out, struct retort_error *err);

/*
 * The relations whose facts lint_capture() weighs: each one a captured
 * statement locked, then each table a statement names, once each, into
 * *out (owned by the caller: free each, then the array).  -1 when memory
 * runs out.
 */
int lint_relations(const struct capture *c, char ***out, size_t *n,
		   struct retort_error *err);

#endif

/*
 * lint_view.h - lint's findings as people and scripts read them, for
 * `retort lint` and `upgrade --lint`: grouped by revision, text or a
 * --json document.
 */
#ifndef RETORT_LINT_VIEW_H
#define RETORT_LINT_VIEW_H

#include <stdio.h>

#include "base/error.h"
#include "exec/capture.h"
#include "graph/revmap.h"
#include "lint/lint.h"

/* The findings, revision by revision, then a summary line. */
void lint_view_text(const struct revmap *map, const struct capture *c,
		    const struct lint_report *r, FILE *out);

/* The findings as a document with command "lint". */
int lint_view_json(const struct revmap *map, const struct capture *c,
		   const struct lint_report *r, double large_rows, FILE *out,
		   struct retort_error *err);

/* Exit 1 with "[what: ]lint found N problems in M revisions" when r has
 * any; what may be NULL. */
int lint_view_verdict(const struct lint_report *r, const char *what,
		      struct retort_error *err);

#endif

/*
 * json_view.h - the pieces of the commands' --json documents: the
 * document's frame, a revision as an object, lists of ids, a problem, the
 * backfills in progress.  README.md ("JSON output") documents the shape;
 * a change to it is a change of format_version.  Never prints but in
 * json_view_print(), which writes a finished document to the command's
 * output.
 */
#ifndef RETORT_JSON_VIEW_H
#define RETORT_JSON_VIEW_H

#include <stdio.h>

#include "base/error.h"
#include "base/json.h"
#include "graph/revmap.h"
#include "store/db.h"

/* The document's format_version: raised when a field changes meaning or
 * goes away, not when one is added. */
#define JSON_VIEW_FORMAT 1

/* What revisions are shown with. */
struct json_view {
	const struct revmap *map;
	const struct revstate *state; /* NULL: the database was not read */
};

/* Open the document: {"format_version": 1, "command": command, ... */
void json_view_begin(struct json *j, const char *command);

/* key: [revision objects], in the list's order. */
void json_view_revisions(struct json *j, const struct json_view *v,
			 const char *key, const struct revlist *list);

/* key: ["id", ...], in the list's order. */
void json_view_ids(struct json *j, const struct revmap *map, const char *key,
		   const struct revlist *list);

/*
 * One problem of `check`: {"kind": kind, "message", "detail": [lines],
 * "hint"}, its text the error's, which main still prints on stderr.
 */
void json_view_problem(struct json *j, const char *kind,
		       const struct retort_error *problem);

/* "backfills": [...], the checkpoint rows `current` lists. */
int json_view_backfills(struct json *j, struct db *db,
			struct retort_error *err);

/* Close the document and write it to out. */
int json_view_print(struct json *j, FILE *out, struct retort_error *err);

#endif

/*
 * meta.h - reading a revision's metadata as the graph is built: its comma
 * lists (down_revision, depends_on, branch_labels) entry by entry, and
 * what its id, labels and create_date may be.  A refusal is RETORT_USAGE
 * and names the revision's file.
 */
#ifndef RETORT_META_H
#define RETORT_META_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/graph.h"
#include "graph/revmap.h"

/* Entries in a comma list; 0 for NULL or blank, which mean "none". */
size_t meta_list_count(const char *s);

/* The next entry, spaces trimmed; false after the last one. */
bool meta_list_next(const char **cur, struct token *tok);

/* An entry of field (whose whole value is value) must not be empty. */
int meta_check_entry(const struct revision_meta *m, const char *field,
		     const char *value, struct token tok,
		     struct retort_error *err);

/* 1 to REVMAP_ID_MAX letters, digits or '_', and no target keyword. */
int meta_check_id(const struct revision_meta *m, struct retort_error *err);

/* Letters, digits or '_', and no target keyword. */
int meta_check_label(const struct revision_meta *m, struct token t,
		     struct retort_error *err);

/* NULL, "" or a date and time as retort and Alembic write them. */
int meta_check_date(const struct revision_meta *m, struct retort_error *err);

#endif

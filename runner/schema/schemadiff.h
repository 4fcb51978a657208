/*
 * schemadiff.h - the difference between two schemas as ordered SQL
 * statements, with the hazards of each.
 *
 * Pure: no I/O, no libpq.  Given the database at head (old) and the
 * declared schema (new), schemadiff_plan() writes the statements that take
 * old to new (up) and back (down), each tagged with the revision part it
 * belongs to, and lists what it cannot write.
 */
#ifndef RETORT_SCHEMADIFF_H
#define RETORT_SCHEMADIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/catalog.h"
#include "base/error.h"

/* What a reviewer must look at before a statement runs on real data. */
enum sd_hazard {
	SD_DATA_LOSS = 1 << 0, /* drops data */
	SD_LOCK = 1 << 1,      /* ACCESS EXCLUSIVE while it scans or rewrites */
	SD_REWRITE = 1 << 2,   /* rewrites the table */
	SD_USING = 1 << 3,     /* a type change through USING */
	SD_RENAME = 1 << 4,    /* a drop and an add that may be a rename */
	SD_ROWS = 1 << 5,      /* may fail or misbehave on existing rows */
	SD_BLOCKS_WRITES = 1 << 6 /* builds an index while writes wait */
};

/*
 * The revisions one autogenerate writes, in upgrade order.  PRE adds enum
 * values, committed before anything can use them; POST runs outside a
 * transaction (RETORT_NO_TRANSACTION): CREATE INDEX CONCURRENTLY on tables
 * that exist, and VALIDATE CONSTRAINT of what MAIN added NOT VALID.
 */
enum sd_part { SD_PART_PRE, SD_PART_MAIN, SD_PART_POST, SD_NPARTS };

struct sd_change {
	enum sd_part part;
	int phase;	  /* dependency order; the list is sorted by it */
	unsigned hazards; /* enum sd_hazard */
	char *sql;	  /* one statement, no semicolon; NULL: irreversible */
	char *summary;	  /* what it does, one line: "add column ..." */
	char *note;	  /* the hazards (or why irreversible), or NULL */
	char *guard;	  /* a statement run first so that a failed run can
			     be retried (DROP INDEX CONCURRENTLY IF EXISTS of
			     what a failed CREATE INDEX CONCURRENTLY left
			     INVALID), or NULL */
};

struct sd_list {
	struct sd_change *items;
	size_t n, cap;
};

struct sd_plan {
	struct sd_list up;   /* old -> new, in execution order */
	struct sd_list down; /* new -> old, in execution order */
	/* What the upgrade cannot write (an object kind autogenerate does
	 * not model differs, an enum loses or reorders values): one
	 * sentence each.  Autogenerate fails when there are any. */
	char **problems;
	size_t nproblems;
};

/* The whole difference.  Everything in *out is owned by it. */
int schemadiff_plan(const struct catalog *old, const struct catalog *new_,
		    struct sd_plan *out, struct retort_error *err);
void sd_plan_release(struct sd_plan *plan);

/* True when the two schemas agree: nothing to do, nothing refused. */
bool sd_plan_is_empty(const struct sd_plan *plan);

/* Whether a list has a change (or an irreversible step) in part. */
bool sd_list_has_part(const struct sd_list *list, enum sd_part part);

/* The hazard's short name for comments and warnings: "data loss", ... */
const char *sd_hazard_name(enum sd_hazard hazard);

/*
 * name as PostgreSQL's quote_ident() writes it: bare when it is lower
 * case letters, digits and '_' and no keyword, else in double quotes with
 * quotes doubled.  The caller frees it; NULL when out of memory.
 */
char *sd_quote_ident(const char *name);

/* A string literal: 'it''s', or E'a\\b' when it holds a backslash. */
char *sd_quote_literal(const char *s);

#endif

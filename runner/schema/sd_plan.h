/*
 * sd_plan.h - the statements between two schemas, as schemadiff_plan()
 * hands them over: each with its hazards and the revision part it goes
 * to, and what cannot be written at all.
 *
 * Pure: no I/O.  Everything a plan points to is its own (sd_plan_release).
 */
#ifndef RETORT_SD_PLAN_H
#define RETORT_SD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

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

void sd_plan_release(struct sd_plan *plan);

/* True when the two schemas agree: nothing to do, nothing refused. */
bool sd_plan_is_empty(const struct sd_plan *plan);

/* Whether a list has a change (or an irreversible step) in part. */
bool sd_list_has_part(const struct sd_list *list, enum sd_part part);

/* The hazard's short name for comments and warnings: "data loss", ... */
const char *sd_hazard_name(enum sd_hazard hazard);

/*
 * Building a plan.  sd_list_add() and sd_plan_add_problem() take what
 * they are given, or free it and return -1 when memory runs out.
 */
int sd_list_add(struct sd_list *list, struct sd_change change);
int sd_plan_add_problem(struct sd_plan *plan, char *text);
/* Stable: changes of one phase keep the order they were added in. */
void sd_list_sort(struct sd_list *list);
void sd_change_free(struct sd_change *change);

#endif

/*
 * sd_differ.h - what the parts of schemadiff share: one direction's pass
 * from one catalog to the other, and how it writes statements.
 *
 * schemadiff.c runs a differ each way (up: old -> new, down: new -> old);
 * sd_objects.c, sd_sequences.c, sd_columns.c, sd_keys.c and sd_tables.c
 * write the statements of their kinds of object through it.  A differ
 * never fails half-way: running out of memory marks it (oom) and the plan
 * is thrown away at the end.  Strings it hands out (sd_qi, sd_keep, ...)
 * live until the pass ends.  Pure: no I/O.
 */
#ifndef RETORT_SD_DIFFER_H
#define RETORT_SD_DIFFER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "schema/catalog.h"
#include "schema/sd_plan.h"

/* The order statements run in (struct sd_change's phase). */
enum sd_phase {
	PH_SCHEMA,
	PH_EXTENSION,
	PH_TYPE,
	PH_ENUM_VALUE,
	PH_SEQUENCE,
	PH_DROP_FK,
	PH_DROP_CONSTRAINT, /* and indexes */
	PH_TABLE,
	PH_COLUMN,
	PH_SEQUENCE_OWNER,
	PH_CONSTRAINT,
	PH_INDEX,
	PH_FK,
	PH_VALIDATE,
	PH_DROP_COLUMN,
	PH_DROP_TABLE,
	PH_DROP_SEQUENCE,
	PH_DROP_TYPE,
	PH_DROP_EXTENSION,
	PH_DROP_SCHEMA
};

struct differ {
	const struct catalog *from, *to;  /* this direction */
	const struct catalog *old, *new_; /* the upgrade's sides */
	bool down;
	struct sd_list *out;
	struct sd_plan *plan;
	char **scratch; /* quoted names, freed at the end */
	size_t nscratch, capscratch;
	bool oom;
};

/* One statement; sd_emit() takes sql, summary and note (each may be NULL). */
struct sd_stmt {
	int phase;
	enum sd_part part;
	unsigned hazards;
	char *sql;
	char *summary;
	char *note;
};

void sd_emit(struct differ *d, struct sd_stmt s);
/* A statement with a guard (see struct sd_change) run before it. */
void sd_emit_guarded(struct differ *d, struct sd_stmt s, char *guard);
/* A statement in the main part without hazards. */
void sd_emit_plain(struct differ *d, int phase, char *summary, char *sql);
/* Something the upgrade cannot write (takes text). */
void sd_add_problem(struct differ *d, char *text);

/*
 * Walk two arrays sorted by cmp in step (a catalog's, from and to), and
 * call pair(d, a, b) for each object: a from this side, b from the other,
 * NULL where a side lacks it.
 */
void sd_walk(struct differ *d, const void *from, size_t nfrom, const void *to,
	     size_t nto, size_t size, int (*cmp)(const void *, const void *),
	     void (*pair)(struct differ *d, const void *a, const void *b));

/* Free what the pass kept (sd_keep); the statements stay in d->out. */
void sd_differ_release(struct differ *d);

/* Equal strings, or both NULL. */
bool sd_eq(const char *a, const char *b);

/* printf into a new string (the caller's); NULL when memory ran out. */
char *sd_fmt(struct differ *d, const char *f, ...) ERROR_PRINTF(2, 3);
/* Keep s until the pass ends; "" when memory ran out. */
const char *sd_keep(struct differ *d, char *s);
/* The text of b (which it empties), kept. */
const char *sd_keep_text(struct differ *d, struct strbuf *b);
/* A name, a literal, schema.name, each quoted; kept. */
const char *sd_qi(struct differ *d, const char *name);
const char *sd_ql(struct differ *d, const char *s);
const char *sd_qn(struct differ *d, const char *schema, const char *name);
/* A table, and one of its columns, as messages name them; kept. */
const char *sd_tname(struct differ *d, const struct cat_table *t);
const char *sd_cname(struct differ *d, const struct cat_table *t,
		     const char *column);
/* A note: the parts joined, each a clause; NULL parts skipped. */
char *sd_join_notes(struct differ *d, const char *a, const char *b);

#endif

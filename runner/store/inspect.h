/*
 * inspect.h - what a rehearsal reads about its own backend between the
 * statements it records: the relation locks the backend holds, each
 * locked relation's relfilenode, and the lock_timeout in effect.  The
 * rehearsal's own reading: never part of what it records.  Reads only the
 * catalog and pg_locks; never prints.
 */
#ifndef RETORT_INSPECT_H
#define RETORT_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "store/db.h"

/* One relation: its oid, its schema-qualified name, its file. */
struct inspect_rel {
	char *oid;
	char *name;
	char *relfilenode;
	bool existed; /* it was there when the rehearsal began */
};

/* The user relations (tables, indexes, sequences, views) of a database. */
struct inspect_rels {
	struct inspect_rel *items;
	size_t n, cap;
};

/* A granted relation lock of the backend; rel borrowed from no one. */
struct inspect_lock {
	struct inspect_rel rel; /* relfilenode NULL once dropped */
	char *mode;		/* pg_locks.mode */
};

struct inspect_snapshot {
	struct inspect_lock *locks;
	size_t n;
	char *lock_timeout;
};

/*
 * Every user relation of the database db is connected to, each marked
 * existed: the baseline a rehearsal compares relfilenodes with.
 */
int inspect_relations(struct db *db, struct inspect_rels *out,
		      struct retort_error *err);
void inspect_rels_release(struct inspect_rels *r);
/* The entry of oid, or NULL. */
struct inspect_rel *inspect_rels_find(struct inspect_rels *r, const char *oid);
/* Add a relation first seen after the baseline; NULL when out of memory. */
struct inspect_rel *inspect_rels_add(struct inspect_rels *r,
				     const struct inspect_rel *rel);

/*
 * One query on db's connection: the relation locks its backend holds now
 * (user relations only, dropped ones included with a NULL name), with
 * their relfilenodes, and current_setting('lock_timeout').  The
 * transaction must not be aborted.
 */
int inspect_read(struct db *db, struct inspect_snapshot *out,
		 struct retort_error *err);
void inspect_snapshot_release(struct inspect_snapshot *s);

#endif

/*
 * facts.h - what the target holds of the tables a plan touches: whether
 * each exists, its estimated rows, its size on disk and its indexes, read
 * from the catalog alone (never by scanning a table), for plan and lint
 * to weigh what a statement's lock or rewrite would cost there.
 */
#ifndef RETORT_FACTS_H
#define RETORT_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "store/db.h"

struct table_facts {
	char *relation; /* the name asked about, as given; owned */
	bool exists;	/* it names a relation in the target */
	/* pg_class.reltuples: the planner's estimate, as of the last
	 * VACUUM, ANALYZE or CREATE INDEX; 0 when never estimated */
	double rows;
	long long bytes; /* pg_total_relation_size: heap, indexes, TOAST */
	int nindexes;
	/* rows is an estimate the server made; false for a table never
	 * vacuumed or analyzed (reltuples -1), whose size is then unknown */
	bool rows_known;
};

/*
 * Fill out[0..n) for relations[0..n) (names as regclass prints them,
 * schema-qualified or not, resolved with target's search_path), in one
 * catalog query.  A name that resolves to nothing in the target is
 * exists = false with zeros.  A partitioned table's figures are its own
 * (no rows, no bytes: its partitions are relations of their own).  out
 * must have room for n; release it with facts_release() whatever this
 * returns.
 */
int facts_read(struct db *target, const char *const *relations, size_t n,
	       struct table_facts *out, struct retort_error *err);

/* Free what facts_read() put in f[0..n); accepts zeroed entries. */
void facts_release(struct table_facts *f, size_t n);

#endif

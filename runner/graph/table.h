/*
 * table.h - the graph's lookup of revision ids and branch labels: a hash
 * table from a slice of a string to an index, sized once for the keys it
 * will hold.  Keys are borrowed, not copied.
 */
#ifndef RETORT_TABLE_H
#define RETORT_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Open addressing, linear probing; key NULL marks an empty slot. */
struct table_slot {
	const char *key;
	size_t len;
	size_t val;
};

/* Zeroed: an empty table that finds nothing. */
struct table {
	struct table_slot *slots;
	size_t mask;
};

/* Room for count keys; -1 when out of memory. */
int table_init(struct table *t, size_t count);
void table_release(struct table *t);

bool table_find(const struct table *t, const char *key, size_t len,
		size_t *val);

/* False, with the holder in *prev, when the key is already there. */
bool table_insert(struct table *t, const char *key, size_t len, size_t val,
		  size_t *prev);

#endif

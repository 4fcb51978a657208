/*
 * table.c - the graph's hash table of ids and labels (FNV-1a, linear
 * probing, at most half full).  Pure: no I/O.
 */
#include "graph/table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return (size_t)h;
}

/* Sized once for count keys, at most half full so probes stay short. */
int table_init(struct table *t, size_t count)
{
	size_t cap = 16;

	while (cap < count * 2)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = cap - 1;
	return 0;
}

static struct table_slot *table_probe(const struct table *t, const char *key,
				      size_t len)
{
	size_t i = hash_bytes(key, len) & t->mask;

	while (t->slots[i].key != NULL) {
		if (t->slots[i].len == len &&
		    memcmp(t->slots[i].key, key, len) == 0)
			return &t->slots[i];
		i = (i + 1) & t->mask;
	}
	return &t->slots[i];
}

bool table_find(const struct table *t, const char *key, size_t len, size_t *val)
{
	const struct table_slot *s;

	if (t->slots == NULL)
		return false;
	s = table_probe(t, key, len);
	if (s->key == NULL)
		return false;
	*val = s->val;
	return true;
}

bool table_insert(struct table *t, const char *key, size_t len, size_t val,
		  size_t *prev)
{
	struct table_slot *s = table_probe(t, key, len);

	if (s->key != NULL) {
		*prev = s->val;
		return false;
	}
	s->key = key;
	s->len = len;
	s->val = val;
	return true;
}

void table_release(struct table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
}

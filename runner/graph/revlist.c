/*
 * revlist.c - lists of revisions: the small operations every pass of the
 * graph uses.  Pure: no I/O.
 */
#include "graph/revlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

bool revlist_has(const struct revlist *l, size_t rev)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i] == rev)
			return true;
	return false;
}

int revlist_one(struct revlist *out, size_t rev, struct retort_error *err)
{
	out->items = malloc(sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	out->items[0] = rev;
	out->n = 1;
	return 0;
}

int revlist_copy(struct revlist *out, const struct revlist *from,
		 struct retort_error *err)
{
	out->items = zalloc(from->n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	if (from->n > 0)
		memcpy(out->items, from->items, from->n * sizeof(*out->items));
	out->n = from->n;
	return 0;
}

void revlist_keep(const struct revmap *map, struct revlist *l, const bool *keep)
{
	size_t kept = 0;

	for (size_t k = 0; k < l->n; k++)
		if (is_rev(map, l->items[k]) &&
		    (keep == NULL || keep[l->items[k]]))
			l->items[kept++] = l->items[k];
	l->n = kept;
}

void revlist_reverse(struct revlist *l)
{
	for (size_t i = 0, j = l->n; i + 1 < j; i++, j--) {
		size_t t = l->items[i];

		l->items[i] = l->items[j - 1];
		l->items[j - 1] = t;
	}
}

void revlist_release(struct revlist *list)
{
	if (list == NULL)
		return;
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

void revmap_join_ids(const struct revmap *map, const struct revlist *list,
		     char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < list->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? ", " : "",
					 map->revs[list->items[i]].meta->id);
}

void revlist_detail(const struct revmap *map, const char *what,
		    const struct revlist *l, struct retort_error *err)
{
	char ids[sizeof(err->detail)];

	revmap_join_ids(map, l, ids, sizeof(ids));
	error_detail(err, "%s: %s", what, ids);
}

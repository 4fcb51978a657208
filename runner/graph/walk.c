/*
 * walk.c - stepping along a line of history, as Alembic's _walk does.
 * Pure: no I/O.
 */
#include "graph/walk.h"

#include "graph/graph.h"
#include "graph/revlist.h"

static int ambiguous_walk(const struct revmap *map, bool up, size_t at,
			  const struct revlist *next, struct retort_error *err)
{
	if (at == POS_NONE && up) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk from base: there are several bases");
		revlist_detail(map, "bases", next, err);
	} else if (at == POS_NONE) {
		error_set(
			err, RETORT_USAGE,
			"Ambiguous walk down from the heads: there are several heads");
		revlist_detail(map, "heads", next, err);
	} else if (up) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk: revision %s is a branch point",
			  id_of(map, at));
		revlist_detail(map, "children", next, err);
	} else {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk: revision %s is a merge point",
			  id_of(map, at));
		revlist_detail(map, "parents", next, err);
	}
	error_hint(
		err,
		"Name the target revision, or step from a revision on a single line of history.");
	return -1;
}

/* The one place a step leads; how many there are (0, 1 or more). */
static size_t walk_next(const struct revmap *map, size_t at, bool up,
			const bool *lineage, const struct revlist **from,
			size_t *next)
{
	size_t found = 0;

	if (up)
		*from = at == POS_NONE ? &map->bases : &map->revs[at].children;
	else
		*from = at == POS_NONE ? &map->heads : &map->revs[at].parents;
	for (size_t k = 0; k < (*from)->n; k++) {
		if (up && lineage != NULL && !lineage[(*from)->items[k]])
			continue;
		if (found++ == 0)
			*next = (*from)->items[k];
	}
	if (!up && found == 0) {
		*next = POS_BASE;
		found = 1;
	}
	return found;
}

int walk_from(const struct revmap *map, size_t *at, bool up, size_t steps,
	      const bool *lineage, bool no_overwalk, struct retort_error *err)
{
	const struct revlist *from;
	size_t next = POS_NONE, found;

	for (size_t done = 0; done < steps; done++) {
		if (*at == POS_BASE)
			found = 0;
		else
			found = walk_next(map, *at, up, lineage, &from, &next);
		if (found > 1)
			return ambiguous_walk(map, up, *at, from, err);
		if (found == 0 && !no_overwalk)
			return 0;
		if (found == 0) {
			*at = POS_NONE;
			return 1;
		}
		*at = next;
	}
	return 0;
}

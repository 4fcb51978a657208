/*
 * mark.h - what a set of revisions reaches: what they build on, what
 * grows from them, their line of history.  Each pass fills an array of
 * map->n flags that the caller owns, and uses an explicit stack, so a
 * long chain cannot overflow the C stack.
 */
#ifndef RETORT_MARK_H
#define RETORT_MARK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/revmap.h"

/* The four kinds of edge a traversal may follow. */
enum edge_kind {
	EDGE_PARENTS = 1 << 0,
	EDGE_DEPS = 1 << 1,
	EDGE_CHILDREN = 1 << 2,
	EDGE_DEPENDENTS = 1 << 3,
};

/*
 * Mark every revision reachable from starts (included) along the given
 * edges (enum edge_kind flags).
 */
int mark_reach(const struct revmap *map, const size_t *starts, size_t nstarts,
	       unsigned edges, bool *mark, struct retort_error *err);

/* Everything the revisions build on, through depends_on too, themselves
 * included. */
int mark_below(const struct revmap *map, const struct revlist *revs, bool *mark,
	       struct retort_error *err);

/* Everything rev builds on, through depends_on too; not rev itself. */
int mark_ancestors(const struct revmap *map, size_t rev, bool *mark,
		   struct retort_error *err);

/*
 * Mark what shares a line of history with the anchors: their ancestors
 * and descendants, through depends_on too when deps (Alembic's
 * _shares_lineage).
 */
int mark_lineage(const struct revmap *map, const struct revlist *anchors,
		 bool deps, bool *mark, struct retort_error *err);

/* The lineage of one revision, in a new array the caller frees. */
int mark_lineage_of(const struct revmap *map, size_t rev, bool **out,
		    struct retort_error *err);

#endif

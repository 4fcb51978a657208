/*
 * mark.c - reachability in the revision graph: along chosen kinds of
 * edge, below a set of revisions, along their line of history.  Pure:
 * no I/O.
 */
#include "graph/mark.h"

#include <stdlib.h>

#include "graph/graph.h"

static const struct revlist *edges_of(const struct revision *r,
				      enum edge_kind kind)
{
	switch (kind) {
	case EDGE_PARENTS:
		return &r->parents;
	case EDGE_DEPS:
		return &r->deps;
	case EDGE_CHILDREN:
		return &r->children;
	case EDGE_DEPENDENTS:
		break;
	}
	return &r->dependents;
}

static void push_unmarked(const struct revlist *l, bool *mark, size_t *stack,
			  size_t *top)
{
	for (size_t k = 0; k < l->n; k++) {
		if (!mark[l->items[k]]) {
			mark[l->items[k]] = true;
			stack[(*top)++] = l->items[k];
		}
	}
}

/*
 * Starts are expanded even when already marked; anything else is pushed
 * once, so the stack never holds more than n + nstarts entries.
 */
int mark_reach(const struct revmap *map, const size_t *starts, size_t nstarts,
	       unsigned edges, bool *mark, struct retort_error *err)
{
	size_t *stack = NULL;
	size_t top = 0;

	stack = malloc((map->n + nstarts + 1) * sizeof(*stack));
	if (stack == NULL)
		return oom(err);
	for (size_t i = 0; i < nstarts; i++) {
		mark[starts[i]] = true;
		stack[top++] = starts[i];
	}
	while (top > 0) {
		const struct revision *r = &map->revs[stack[--top]];

		for (unsigned kind = 1; kind <= EDGE_DEPENDENTS; kind <<= 1)
			if (edges & kind)
				push_unmarked(edges_of(r, kind), mark, stack,
					      &top);
	}
	free(stack);
	return 0;
}

int mark_below(const struct revmap *map, const struct revlist *revs, bool *mark,
	       struct retort_error *err)
{
	return mark_reach(map, revs->items, revs->n, EDGE_PARENTS | EDGE_DEPS,
			  mark, err);
}

int mark_ancestors(const struct revmap *map, size_t rev, bool *mark,
		   struct retort_error *err)
{
	const struct revision *r = &map->revs[rev];
	const unsigned down = EDGE_PARENTS | EDGE_DEPS;

	if (mark_reach(map, r->parents.items, r->parents.n, down, mark, err) <
		    0 ||
	    mark_reach(map, r->deps.items, r->deps.n, down, mark, err) < 0)
		return -1;
	return 0;
}

int mark_lineage(const struct revmap *map, const struct revlist *anchors,
		 bool deps, bool *mark, struct retort_error *err)
{
	bool *up = NULL;
	int rc = -1;

	up = zalloc(map->n, sizeof(*up));
	if (up == NULL)
		return oom(err);
	if (mark_reach(map, anchors->items, anchors->n,
		       EDGE_PARENTS | (deps ? EDGE_DEPS : 0), mark, err) < 0 ||
	    mark_reach(map, anchors->items, anchors->n,
		       EDGE_CHILDREN | (deps ? EDGE_DEPENDENTS : 0), up,
		       err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		mark[r] = mark[r] || up[r];
	rc = 0;
out:
	free(up);
	return rc;
}

int mark_lineage_of(const struct revmap *map, size_t rev, bool **out,
		    struct retort_error *err)
{
	struct revlist one = { &rev, 1 };

	*out = zalloc(map->n, sizeof(**out));
	if (*out == NULL)
		return oom(err);
	if (mark_lineage(map, &one, false, *out, err) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

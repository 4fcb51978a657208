/*
 * order.h - the order in which plans run revisions and history lists
 * them: Alembic's _topological_sort, newest first.
 */
#ifndef RETORT_ORDER_H
#define RETORT_ORDER_H

#include <stdbool.h>

#include "base/error.h"
#include "graph/revmap.h"

/*
 * The revisions todo flags (map->n flags), walking down from heads:
 * newest first, each line of history followed down as far as no other
 * head still needs what comes next.  Upgrades run it reversed.
 */
int order_walk(const struct revmap *map, const bool *todo,
	       const struct revlist *heads, struct revlist *out,
	       struct retort_error *err);

#endif

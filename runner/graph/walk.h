/*
 * walk.h - Alembic's _walk: N steps up or down a line of history, from a
 * revision or from POS_NONE (below every base going up, above every head
 * going down).  What "+N", "-N", "REV+N" and "label@-N" mean.
 */
#ifndef RETORT_WALK_H
#define RETORT_WALK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/revmap.h"

/*
 * Step up (children; the bases from POS_NONE) or down (parents; the heads
 * from POS_NONE; POS_BASE below a base), narrowed to lineage (NULL: all)
 * going up.  Running out returns 1 with POS_NONE when no_overwalk, else
 * stops where it is.  A branch or merge point on the way is RETORT_USAGE.
 */
int walk_from(const struct revmap *map, size_t *at, bool up, size_t steps,
	      const bool *lineage, bool no_overwalk, struct retort_error *err);

#endif

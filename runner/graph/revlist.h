/*
 * revlist.h - what every pass of the graph does with a list of revisions
 * (struct revlist, in revmap.h): test, fill, copy, narrow, reverse and
 * name it in an error.  revlist_release() and revmap_join_ids(), which
 * callers use too, are declared in revmap.h and defined in revlist.c.
 */
#ifndef RETORT_REVLIST_H
#define RETORT_REVLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/revmap.h"

bool revlist_has(const struct revlist *l, size_t rev);

/* Make *out the list of rev alone, or a copy of from. */
int revlist_one(struct revlist *out, size_t rev, struct retort_error *err);
int revlist_copy(struct revlist *out, const struct revlist *from,
		 struct retort_error *err);

/*
 * Keep the revisions (not POS_NONE or POS_BASE) that keep holds, or all
 * of them when keep is NULL.
 */
void revlist_keep(const struct revmap *map, struct revlist *l,
		  const bool *keep);

void revlist_reverse(struct revlist *l);

/* Add "what: a, b" to the error's detail. */
void revlist_detail(const struct revmap *map, const char *what,
		    const struct revlist *l, struct retort_error *err);

#endif

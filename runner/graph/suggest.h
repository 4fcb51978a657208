/*
 * suggest.h - "did you mean": the names of a graph nearest to a word that
 * named nothing, for the hint of an unknown revision.  Pure: no I/O.
 */
#ifndef RETORT_SUGGEST_H
#define RETORT_SUGGEST_H

#include <stddef.h>

#include "base/strbuf.h"
#include "graph/revmap.h"

/* At most this many names are suggested. */
#define SUGGEST_MAX 3

/*
 * The names nearest to word (its first len bytes): the keywords head,
 * heads and base, the ids, the branch labels, and the ids whose start is
 * near word (a mistyped prefix).  Near is one or two edits (a swap of two
 * neighbours counts one), and at most half the word; only the nearest
 * distance found counts.  Appends them to out as "'a'", "'a' or 'b'" or
 * "'a', 'b' or 'c'", in the graph's order, and returns how many (0:
 * nothing near, out untouched).
 */
size_t suggest_targets(const struct revmap *map, const char *word, size_t len,
		       struct strbuf *out);

#endif

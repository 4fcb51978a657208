/*
 * graph.h - what the files of the revision graph share and its callers
 * never see: the map's private index, the positions a walk can stand at
 * besides a revision, slices of a target string, and the one-line
 * helpers every pass uses.  Only runner/graph/ includes it.
 */
#ifndef RETORT_GRAPH_H
#define RETORT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "graph/revmap.h"
#include "graph/table.h"

/*
 * Positions a walk or a symbol can stand at besides a revision: Alembic's
 * None ("base" as a symbol names it: below every base, or above every
 * head when walking down) and the "base" a downward walk reaches.
 */
#define POS_NONE SIZE_MAX
#define POS_BASE (SIZE_MAX - 1)

struct revmap_index {
	struct table ids;    /* revision id -> index; keys borrowed from meta */
	struct table labels; /* branch label -> index; keys in revs[].labels */
	size_t *pos;	     /* pos[rev] = rank of rev in map->order */
	/*
	 * ndeps[rev]: Alembic's normalized dependencies, those depends_on
	 * entries that are not parents and that no ancestor already
	 * depends on, in depends_on's order.  Parents then ndeps are the
	 * revision's "normalized down revisions": the edges plans and
	 * history walk and the rows a step replaces.
	 */
	struct revlist *ndeps;
	/* raw[rev]: depends_on resolved, each once, parents included; only
	 * while building. */
	struct revlist *raw;
};

/* A slice of a borrowed string: a list entry or a part of a target. */
struct token {
	const char *s;
	size_t len;
};

static inline int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* calloc that does not return NULL for zero items: NULL always means OOM. */
static inline void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static inline const char *path_of(const struct revision_meta *m)
{
	return m->path ? m->path : "(unknown file)";
}

static inline const char *id_of(const struct revmap *map, size_t rev)
{
	return map->revs[rev].meta->id;
}

/* A revision, as opposed to POS_NONE or POS_BASE. */
static inline bool is_rev(const struct revmap *map, size_t pos)
{
	return pos < map->n;
}

static inline bool is_applied(const struct revstate *state, size_t rev)
{
	return state != NULL && state->applied != NULL && state->applied[rev];
}

/* Parents and dependencies, seen as one list: everything applied first. */
static inline size_t pred_count(const struct revision *r)
{
	return r->parents.n + r->deps.n;
}

static inline size_t pred_at(const struct revision *r, size_t k)
{
	return k < r->parents.n ? r->parents.items[k]
				: r->deps.items[k - r->parents.n];
}

static inline bool tok_is(struct token t, const char *word)
{
	return strlen(word) == t.len && memcmp(t.s, word, t.len) == 0;
}

static inline bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Target keywords: a revision or label so named could never be reached. */
static inline bool is_keyword(struct token t)
{
	return tok_is(t, "head") || tok_is(t, "heads") || tok_is(t, "base");
}

static inline bool all_digits(struct token t)
{
	for (size_t i = 0; i < t.len; i++)
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
	return t.len > 0;
}

/* A number's value, saturated rather than overflowed. */
static inline size_t digits_value(struct token t)
{
	size_t v = 0;

	for (size_t i = 0; i < t.len; i++) {
		size_t digit = (size_t)(t.s[i] - '0');

		if (v > (SIZE_MAX - 9) / 10)
			return SIZE_MAX;
		v = v * 10 + digit;
	}
	return v;
}

#endif

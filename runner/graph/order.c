/*
 * order.c - Alembic's walk order (_topological_sort) over a set of
 * revisions.  Where Alembic's answer depends on Python's set order,
 * retort takes the order the revisions were given in (file-name order)
 * and depends_on's order.  Pure: no I/O.
 */
#include "graph/order.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

/*
 * The frontier of Alembic's _topological_sort: the revisions it walks
 * down from, each with the set of what it builds on (itself included),
 * and for each revision how many of those sets hold it, so that "is the
 * candidate below another frontier revision?" costs one look-up.
 */
struct frontier {
	size_t *rev;
	uint64_t **anc;
	size_t n;
	size_t words;
	size_t *held; /* held[r]: frontier sets holding r */
	bool *in;     /* in[r]: r is on the frontier */
	size_t *stack;
	size_t *adds;
};

static bool bit_get(const uint64_t *b, size_t r)
{
	return (b[r / 64] >> (r % 64)) & 1u;
}

static void bit_set(uint64_t *b, size_t r)
{
	b[r / 64] |= (uint64_t)1 << (r % 64);
}

static void bit_clear(uint64_t *b, size_t r)
{
	b[r / 64] &= ~((uint64_t)1 << (r % 64));
}

static unsigned low_bit(uint64_t w)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(w);
#else
	unsigned k = 0;

	while (!(w & 1u)) {
		w >>= 1;
		k++;
	}
	return k;
#endif
}

/* Fill b with rev and everything it builds on (parents, dependencies). */
static void anc_fill(const struct revmap *map, struct frontier *fr, uint64_t *b,
		     size_t rev)
{
	size_t top = 0;

	bit_set(b, rev);
	fr->held[rev]++;
	fr->stack[top++] = rev;
	while (top > 0) {
		const struct revision *r = &map->revs[fr->stack[--top]];

		for (size_t k = 0; k < pred_count(r); k++) {
			size_t p = pred_at(r, k);

			if (!bit_get(b, p)) {
				bit_set(b, p);
				fr->held[p]++;
				fr->stack[top++] = p;
			}
		}
	}
}

static void anc_clear(struct frontier *fr, uint64_t *b)
{
	for (size_t w = 0; w < fr->words; w++) {
		while (b[w] != 0) {
			fr->held[w * 64 + low_bit(b[w])]--;
			b[w] &= b[w] - 1;
		}
	}
}

static int frontier_push(const struct revmap *map, struct frontier *fr,
			 size_t rev, struct retort_error *err)
{
	uint64_t *b = calloc(fr->words, sizeof(*b));

	if (b == NULL)
		return oom(err);
	anc_fill(map, fr, b, rev);
	fr->rev[fr->n] = rev;
	fr->anc[fr->n] = b;
	fr->in[rev] = true;
	fr->n++;
	return 0;
}

static void frontier_remove(struct frontier *fr, size_t idx)
{
	fr->in[fr->rev[idx]] = false;
	anc_clear(fr, fr->anc[idx]);
	free(fr->anc[idx]);
	memmove(fr->rev + idx, fr->rev + idx + 1,
		(fr->n - idx - 1) * sizeof(*fr->rev));
	memmove(fr->anc + idx, fr->anc + idx + 1,
		(fr->n - idx - 1) * sizeof(*fr->anc));
	fr->n--;
}

static void frontier_release(struct frontier *fr)
{
	for (size_t k = 0; k < fr->n; k++)
		free(fr->anc[k]);
	free(fr->rev);
	free(fr->anc);
	free(fr->held);
	free(fr->in);
	free(fr->stack);
	free(fr->adds);
}

static int frontier_init(struct frontier *fr, const struct revmap *map,
			 struct retort_error *err)
{
	memset(fr, 0, sizeof(*fr));
	fr->words = map->n / 64 + 1;
	fr->rev = zalloc(map->n, sizeof(*fr->rev));
	fr->anc = zalloc(map->n, sizeof(*fr->anc));
	fr->held = zalloc(map->n, sizeof(*fr->held));
	fr->in = zalloc(map->n, sizeof(*fr->in));
	fr->stack = zalloc(map->n, sizeof(*fr->stack));
	fr->adds = zalloc(map->n, sizeof(*fr->adds));
	if (fr->rev == NULL || fr->anc == NULL || fr->held == NULL ||
	    fr->in == NULL || fr->stack == NULL || fr->adds == NULL)
		return oom(err);
	return 0;
}

static int compare_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* The walk starts from the heads still to emit, in input order. */
static int frontier_start(const struct revmap *map, struct frontier *fr,
			  const bool *pending, const struct revlist *heads,
			  struct retort_error *err)
{
	size_t *start = zalloc(heads->n, sizeof(*start));
	size_t n = 0;
	int rc = 0;

	if (start == NULL)
		return oom(err);
	for (size_t k = 0; k < heads->n; k++)
		if (is_rev(map, heads->items[k]) && pending[heads->items[k]])
			start[n++] = heads->items[k];
	qsort(start, n, sizeof(*start), compare_size);
	for (size_t k = 0; k < n && rc == 0; k++)
		if (k == 0 || start[k] != start[k - 1])
			rc = frontier_push(map, fr, start[k], err);
	free(start);
	return rc;
}

/* Alembic's normalized down revisions of rev still to emit and not on
 * the frontier: parents, then normalized dependencies. */
static size_t frontier_adds(const struct revmap *map, const struct frontier *fr,
			    const bool *pending, size_t rev)
{
	const struct revlist *nd = &map->index->ndeps[rev];
	const struct revision *r = &map->revs[rev];
	size_t n = 0;

	for (size_t k = 0; k < r->parents.n + nd->n; k++) {
		size_t p = k < r->parents.n ? r->parents.items[k]
					    : nd->items[k - r->parents.n];

		if (pending[p] && !fr->in[p])
			fr->adds[n++] = p;
	}
	return n;
}

/* The candidate is emitted: put what it builds on in its place. */
static int frontier_advance(const struct revmap *map, struct frontier *fr,
			    const bool *pending, size_t *idx,
			    struct retort_error *err)
{
	size_t c = fr->rev[*idx];
	size_t nadd = frontier_adds(map, fr, pending, c);
	const struct revision *r = &map->revs[c];

	if (nadd == 0) {
		frontier_remove(fr, *idx);
		*idx = *idx > 0 ? *idx - 1 : 0;
		return 0;
	}
	fr->in[c] = false;
	fr->in[fr->adds[0]] = true;
	fr->rev[*idx] = fr->adds[0];
	if (r->parents.n == 1 && map->index->ndeps[c].n == 0) {
		/* One line down: the parent's set is ours less ourselves. */
		bit_clear(fr->anc[*idx], c);
		fr->held[c]--;
		return 0;
	}
	anc_clear(fr, fr->anc[*idx]);
	anc_fill(map, fr, fr->anc[*idx], fr->adds[0]);
	for (size_t k = 1; k < nadd; k++)
		if (frontier_push(map, fr, fr->adds[k], err) < 0)
			return -1;
	return 0;
}

/* The first other frontier revision whose set holds the candidate. */
static size_t frontier_blocker(const struct frontier *fr, size_t idx)
{
	size_t c = fr->rev[idx];

	for (size_t j = 0; j < fr->n; j++)
		if (j != idx && bit_get(fr->anc[j], c))
			return j;
	return idx;
}

/*
 * Revisions the heads cannot reach through flagged revisions (a history
 * range whose start's line meets the heads only through depends_on):
 * Alembic's walk fails on them; retort walks on from the flagged
 * revisions nothing flagged builds on.
 */
static int restart(const struct revmap *map, struct frontier *fr,
		   const bool *pending, struct retort_error *err)
{
	for (size_t r = 0; r < map->n; r++) {
		const struct revision *rv = &map->revs[r];
		bool top = pending[r];

		for (size_t k = 0; top && k < rv->children.n; k++)
			top = !pending[rv->children.items[k]];
		for (size_t k = 0; top && k < rv->dependents.n; k++)
			top = !pending[rv->dependents.items[k]];
		if (top && frontier_push(map, fr, r, err) < 0)
			return -1;
	}
	return 0;
}

/* Alembic's _topological_sort of the flagged revisions. */
int order_walk(const struct revmap *map, const bool *todo,
	       const struct revlist *heads, struct revlist *out,
	       struct retort_error *err)
{
	struct frontier fr;
	bool *pending = NULL;
	size_t idx = 0, want = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pending = zalloc(map->n, sizeof(*pending));
	out->items = zalloc(map->n, sizeof(*out->items));
	if (frontier_init(&fr, map, err) < 0 || pending == NULL ||
	    out->items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t r = 0; r < map->n; r++)
		want += (pending[r] = todo[r]);
	if (frontier_start(map, &fr, pending, heads, err) < 0)
		goto out;
	while (fr.n > 0 || out->n < want) {
		size_t c;

		if (fr.n == 0 && restart(map, &fr, pending, err) < 0)
			goto out;
		c = fr.rev[idx];
		if (fr.held[c] > 1) {
			idx = frontier_blocker(&fr, idx);
			continue;
		}
		if (pending[c]) {
			out->items[out->n++] = c;
			pending[c] = false;
		}
		if (frontier_advance(map, &fr, pending, &idx, err) < 0)
			goto out;
	}
	rc = 0;
out:
	frontier_release(&fr);
	free(pending);
	if (rc < 0)
		revlist_release(out);
	return rc;
}

/*
 * build.c - the revision graph built and validated from plugin metadata:
 * ids and branch labels indexed, down_revision and depends_on linked,
 * the topological order taken (or a cycle reported), Alembic's
 * normalized dependencies and the reach of each branch label worked out.
 *
 * Pure: never does I/O, never prints, never exits; every failure comes back
 * as a retort_error.  Every pass is linear (or n log n) in the number of
 * revisions and uses explicit stacks, so a 10,000-revision chain neither
 * slows down nor overflows the C stack.
 *
 * Orders, as Alembic lists them:
 * - map->order is Kahn's topological sort taking, among the revisions
 *   ready, the one given first to revmap_build() (file-name order);
 * - map->heads, map->real_heads and map->bases are in input order.
 */
#include "graph/revmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/meta.h"
#include "graph/revlist.h"
#include "graph/table.h"

struct heap {
	size_t *items;
	size_t n;
};

/* ---- building: ids and labels ---- */

/* After the message: the files of the two revisions that clash. */
static int clash(const struct revmap *map, size_t first, size_t second,
		 const char *hint, struct retort_error *err)
{
	error_detail(err, "file: %s", path_of(map->revs[first].meta));
	if (second != first)
		error_detail(err, "file: %s", path_of(map->revs[second].meta));
	error_hint(err, "%s", hint);
	return -1;
}

static int duplicate_id(const struct revmap *map, size_t first, size_t again,
			struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "Revision %s is present more than once",
		  id_of(map, again));
	return clash(
		map, first, again,
		"Give one of the revisions a new identifier: each must be unique.",
		err);
}

static int index_ids(struct revmap *map, struct retort_error *err)
{
	struct table *t = &map->index->ids;
	size_t prev;

	if (table_init(t, map->n) < 0)
		return oom(err);
	for (size_t i = 0; i < map->n; i++) {
		const struct revision_meta *m = map->revs[i].meta;

		if (meta_check_id(m, err) < 0 || meta_check_date(m, err) < 0)
			return -1;
		if (!table_insert(t, m->id, strlen(m->id), i, &prev))
			return duplicate_id(map, prev, i, err);
	}
	return 0;
}

static int parse_labels(struct revision *r, struct retort_error *err)
{
	const char *value = r->meta->branch_labels;
	const char *cur = value;
	size_t count = meta_list_count(cur);
	struct token tok;

	if (count == 0)
		return 0;
	r->labels = calloc(count, sizeof(*r->labels));
	if (r->labels == NULL)
		return oom(err);
	while (meta_list_next(&cur, &tok)) {
		if (meta_check_entry(r->meta, "branch_labels", value, tok,
				     err) < 0 ||
		    meta_check_label(r->meta, tok, err) < 0)
			return -1;
		r->labels[r->nlabels] = strndup(tok.s, tok.len);
		if (r->labels[r->nlabels] == NULL)
			return oom(err);
		r->nlabels++;
	}
	return 0;
}

/* Alembic keeps labels and ids in one namespace; so do we. */
static int label_taken(const struct revmap *map, size_t rev, const char *label,
		       size_t holder, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Branch name '%s' in revision %s already used by revision %s",
		  label, id_of(map, rev), id_of(map, holder));
	return clash(
		map, rev, holder,
		"Rename the label: branch labels must be unique and differ from every revision identifier.",
		err);
}

static int index_labels(struct revmap *map, struct retort_error *err)
{
	struct table *t = &map->index->labels;
	size_t total = 0;
	size_t prev;

	for (size_t i = 0; i < map->n; i++) {
		if (parse_labels(&map->revs[i], err) < 0)
			return -1;
		total += map->revs[i].nlabels;
	}
	if (table_init(t, total) < 0)
		return oom(err);
	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < map->revs[i].nlabels; k++) {
			const char *label = map->revs[i].labels[k];
			size_t len = strlen(label);

			if (table_find(&map->index->ids, label, len, &prev) ||
			    !table_insert(t, label, len, i, &prev))
				return label_taken(map, i, label, prev, err);
		}
	}
	return 0;
}

/* ---- building: edges ---- */

static int missing_ref(const struct revmap *map, size_t rev, const char *field,
		       struct token tok, struct retort_error *err)
{
	const struct revision_meta *m = map->revs[rev].meta;
	bool dep = strcmp(field, "depends_on") == 0;

	error_set(err, RETORT_USAGE,
		  "%s %.*s referenced from %s is not present",
		  dep ? "Revision or branch label" : "Revision", (int)tok.len,
		  tok.s, m->id);
	error_detail(err, "file: %s", path_of(m));
	error_detail(err, "%s: \"%s\"", field,
		     dep ? m->depends_on : m->down_revision);
	error_hint(
		err,
		"Add the missing revision's plugin to the versions directory, or correct %s.",
		field);
	return -1;
}

static int listed_twice(const struct revmap *map, size_t rev, size_t parent,
			struct retort_error *err)
{
	const struct revision_meta *m = map->revs[rev].meta;

	error_set(err, RETORT_USAGE,
		  "revision %s names %s more than once in down_revision", m->id,
		  id_of(map, parent));
	error_detail(err, "file: %s", path_of(m));
	error_detail(err, "down_revision: \"%s\"", m->down_revision);
	error_hint(err, "List each parent once.");
	return -1;
}

static int link_parents(struct revmap *map, size_t i, struct retort_error *err)
{
	struct revision *r = &map->revs[i];
	const char *value = r->meta->down_revision;
	const char *cur = value;
	size_t count = meta_list_count(cur);
	struct token tok;
	size_t p;

	if (count == 0)
		return 0;
	r->parents.items = calloc(count, sizeof(*r->parents.items));
	if (r->parents.items == NULL)
		return oom(err);
	while (meta_list_next(&cur, &tok)) {
		if (meta_check_entry(r->meta, "down_revision", value, tok,
				     err) < 0)
			return -1;
		if (!table_find(&map->index->ids, tok.s, tok.len, &p))
			return missing_ref(map, i, "down_revision", tok, err);
		if (revlist_has(&r->parents, p))
			return listed_twice(map, i, p, err);
		r->parents.items[r->parents.n++] = p;
	}
	return 0;
}

/*
 * A dependency that repeats a parent or another dependency adds no
 * ordering, so it is dropped from deps: every edge then appears once.
 * Alembic still counts it when it normalizes an ancestor's dependencies,
 * so index->raw keeps it.
 */
static int link_deps(struct revmap *map, size_t i, struct retort_error *err)
{
	struct revision *r = &map->revs[i];
	struct revlist *raw = &map->index->raw[i];
	const char *value = r->meta->depends_on;
	const char *cur = value;
	size_t count = meta_list_count(cur);
	struct token tok;
	size_t d;

	if (count == 0)
		return 0;
	r->deps.items = calloc(count, sizeof(*r->deps.items));
	raw->items = calloc(count, sizeof(*raw->items));
	if (r->deps.items == NULL || raw->items == NULL)
		return oom(err);
	while (meta_list_next(&cur, &tok)) {
		if (meta_check_entry(r->meta, "depends_on", value, tok, err) <
		    0)
			return -1;
		if (!table_find(&map->index->ids, tok.s, tok.len, &d) &&
		    !table_find(&map->index->labels, tok.s, tok.len, &d))
			return missing_ref(map, i, "depends_on", tok, err);
		if (!revlist_has(raw, d))
			raw->items[raw->n++] = d;
		if (!revlist_has(&r->parents, d) && !revlist_has(&r->deps, d))
			r->deps.items[r->deps.n++] = d;
	}
	return 0;
}

static int alloc_successors(struct revlist *l, struct retort_error *err)
{
	if (l->n == 0)
		return 0;
	l->items = calloc(l->n, sizeof(*l->items));
	if (l->items == NULL)
		return oom(err);
	l->n = 0;
	return 0;
}

/* Children and dependents: counted first so each list is one allocation. */
static int link_successors(struct revmap *map, struct retort_error *err)
{
	struct revision *revs = map->revs;

	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < revs[i].parents.n; k++)
			revs[revs[i].parents.items[k]].children.n++;
		for (size_t k = 0; k < revs[i].deps.n; k++)
			revs[revs[i].deps.items[k]].dependents.n++;
	}
	for (size_t i = 0; i < map->n; i++)
		if (alloc_successors(&revs[i].children, err) < 0 ||
		    alloc_successors(&revs[i].dependents, err) < 0)
			return -1;
	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < revs[i].parents.n; k++) {
			struct revlist *c =
				&revs[revs[i].parents.items[k]].children;
			c->items[c->n++] = i;
		}
		for (size_t k = 0; k < revs[i].deps.n; k++) {
			struct revlist *d =
				&revs[revs[i].deps.items[k]].dependents;
			d->items[d->n++] = i;
		}
	}
	return 0;
}

static int link_all(struct revmap *map, struct retort_error *err)
{
	map->index->raw = zalloc(map->n, sizeof(*map->index->raw));
	map->index->ndeps = zalloc(map->n, sizeof(*map->index->ndeps));
	if (map->index->raw == NULL || map->index->ndeps == NULL)
		return oom(err);
	for (size_t i = 0; i < map->n; i++)
		if (link_parents(map, i, err) < 0 || link_deps(map, i, err) < 0)
			return -1;
	return link_successors(map, err);
}

/* ---- building: topological order and cycles ---- */

static void heap_push(struct heap *h, size_t v)
{
	size_t i = h->n++;

	while (i > 0 && h->items[(i - 1) / 2] > v) {
		h->items[i] = h->items[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->items[i] = v;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->items[0];
	size_t last = h->items[--h->n];
	size_t i = 0;
	size_t c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->items[c + 1] < h->items[c])
			c++;
		if (h->items[c] >= last)
			break;
		h->items[i] = h->items[c];
		i = c;
	}
	h->items[i] = last;
	return top;
}

/* An unsorted parent (preferred) or dependency: one exists for each
 * revision Kahn's algorithm left behind, so following them finds a cycle. */
static size_t unsorted_pred(const struct revmap *map, const size_t *indeg,
			    size_t rev)
{
	const struct revision *r = &map->revs[rev];
	size_t k;

	for (k = 0; k + 1 < pred_count(r); k++)
		if (indeg[pred_at(r, k)] > 0)
			break;
	return pred_at(r, k);
}

/*
 * cyc[k]'s predecessor is cyc[k + 1] (and cyc[n - 1]'s is cyc[0]); print
 * it in upgrade order, parents first, from the revision given first, as in
 * "a -> b -> c -> a".
 */
static int cycle_error(const struct revmap *map, const size_t *cyc, size_t n,
		       struct retort_error *err)
{
	char path[sizeof(err->msg)];
	size_t used = 0, start = 0, k, r;
	bool via_dep = false;

	for (k = 0; k < n; k++) {
		if (cyc[k] < cyc[start])
			start = k;
		if (!revlist_has(&map->revs[cyc[k]].parents, cyc[(k + 1) % n]))
			via_dep = true;
	}
	for (k = 0; k <= n && used < sizeof(path); k++) {
		r = cyc[(start + n - k % n) % n];
		used += (size_t)snprintf(path + used, sizeof(path) - used,
					 "%s%s", k > 0 ? " -> " : "",
					 id_of(map, r));
	}
	error_set(err, RETORT_USAGE, "%s is detected in revisions (%s)",
		  n == 1 ? (via_dep ? "Dependency self-loop" : "Self-loop")
			 : (via_dep ? "Dependency cycle" : "Cycle"),
		  path);
	for (k = 0; k < n; k++) {
		r = cyc[(start + n - k) % n];
		error_detail(err, "%s: %s", id_of(map, r),
			     path_of(map->revs[r].meta));
	}
	error_hint(
		err,
		"Break the cycle: correct down_revision or depends_on in one of these files.");
	return -1;
}

static int report_cycle(const struct revmap *map, const size_t *indeg,
			struct retort_error *err)
{
	size_t *seen_at = NULL;
	size_t *walk = NULL;
	size_t len = 0, r = 0;

	seen_at = zalloc(map->n, sizeof(*seen_at));
	walk = zalloc(map->n, sizeof(*walk));
	if (seen_at == NULL || walk == NULL) {
		oom(err);
		goto out;
	}
	for (size_t i = 0; i < map->n; i++)
		seen_at[i] = SIZE_MAX;
	while (indeg[r] == 0)
		r++;
	while (seen_at[r] == SIZE_MAX) {
		seen_at[r] = len;
		walk[len++] = r;
		r = unsorted_pred(map, indeg, r);
	}
	cycle_error(map, walk + seen_at[r], len - seen_at[r], err);
out:
	free(walk);
	free(seen_at);
	return -1;
}

static void release_successors(const struct revision *r, size_t *indeg,
			       struct heap *ready)
{
	for (size_t k = 0; k < r->children.n; k++)
		if (--indeg[r->children.items[k]] == 0)
			heap_push(ready, r->children.items[k]);
	for (size_t k = 0; k < r->dependents.n; k++)
		if (--indeg[r->dependents.items[k]] == 0)
			heap_push(ready, r->dependents.items[k]);
}

/* Kahn's algorithm; the heap hands out the earliest-given ready revision. */
static int sort_topo(struct revmap *map, struct retort_error *err)
{
	size_t *indeg = NULL;
	struct heap ready = { NULL, 0 };
	int rc = -1;

	indeg = zalloc(map->n, sizeof(*indeg));
	ready.items = zalloc(map->n, sizeof(*ready.items));
	map->order.items = zalloc(map->n, sizeof(*map->order.items));
	if (indeg == NULL || ready.items == NULL || map->order.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t i = 0; i < map->n; i++) {
		indeg[i] = pred_count(&map->revs[i]);
		if (indeg[i] == 0)
			heap_push(&ready, i);
	}
	while (ready.n > 0) {
		size_t r = heap_pop(&ready);

		map->order.items[map->order.n++] = r;
		release_successors(&map->revs[r], indeg, &ready);
	}
	if (map->order.n < map->n) {
		report_cycle(map, indeg, err);
		goto out;
	}
	rc = 0;
out:
	free(ready.items);
	free(indeg);
	return rc;
}

/* ---- building: Alembic's normalized dependencies ---- */

/* Scratch for passes that mark revisions: seen[r] == gen marks r. */
struct marks {
	uint32_t *seen;
	uint32_t gen;
	size_t *stack;
};

static int marks_init(struct marks *mk, size_t n, struct retort_error *err)
{
	mk->gen = 0;
	mk->seen = zalloc(n, sizeof(*mk->seen));
	mk->stack = zalloc(n, sizeof(*mk->stack));
	if (mk->seen == NULL || mk->stack == NULL)
		return oom(err);
	return 0;
}

static void marks_release(struct marks *mk)
{
	free(mk->seen);
	free(mk->stack);
}

/* Mark rev's ancestors through down_revision only, rev itself excluded. */
static void mark_down_ancestors(const struct revmap *map, size_t rev,
				struct marks *mk)
{
	size_t top = 0;

	mk->gen++;
	mk->stack[top++] = rev;
	while (top > 0) {
		const struct revlist *up = &map->revs[mk->stack[--top]].parents;

		for (size_t k = 0; k < up->n; k++) {
			if (mk->seen[up->items[k]] != mk->gen) {
				mk->seen[up->items[k]] = mk->gen;
				mk->stack[top++] = up->items[k];
			}
		}
	}
}

/* raw_of[off[d] .. off[d + 1]): the revisions whose depends_on names d. */
static int invert_raw(const struct revmap *map, size_t **off, size_t **of,
		      struct retort_error *err)
{
	const struct revlist *raw = map->index->raw;
	size_t total = 0;

	*off = zalloc(map->n + 1, sizeof(**off));
	for (size_t i = 0; i < map->n; i++)
		total += raw[i].n;
	*of = zalloc(total, sizeof(**of));
	if (*off == NULL || *of == NULL)
		return oom(err);
	for (size_t i = 0; i < map->n; i++)
		for (size_t k = 0; k < raw[i].n; k++)
			(*off)[raw[i].items[k] + 1]++;
	for (size_t d = 0; d < map->n; d++)
		(*off)[d + 1] += (*off)[d];
	for (size_t i = 0; i < map->n; i++)
		for (size_t k = 0; k < raw[i].n; k++)
			(*of)[(*off)[raw[i].items[k]]++] = i;
	for (size_t d = map->n; d > 0; d--)
		(*off)[d] = (*off)[d - 1];
	(*off)[0] = 0;
	return 0;
}

/* Whether an ancestor of rev (marked) names d in its depends_on too. */
static bool dep_inherited(const size_t *off, const size_t *of, size_t d,
			  size_t rev, const struct marks *mk)
{
	for (size_t k = off[d]; k < off[d + 1]; k++)
		if (of[k] != rev && mk->seen[of[k]] == mk->gen)
			return true;
	return false;
}

static int normalize_one(struct revmap *map, size_t rev, const size_t *off,
			 const size_t *of, struct marks *mk,
			 struct retort_error *err)
{
	const struct revlist *raw = &map->index->raw[rev];
	struct revlist *nd = &map->index->ndeps[rev];
	bool marked = false;

	nd->items = zalloc(raw->n, sizeof(*nd->items));
	if (nd->items == NULL)
		return oom(err);
	for (size_t k = 0; k < raw->n; k++) {
		size_t d = raw->items[k];

		if (revlist_has(&map->revs[rev].parents, d))
			continue;
		/* The common case, one revision naming d, needs no walk. */
		if (off[d + 1] - off[d] > 1 && !marked) {
			mark_down_ancestors(map, rev, mk);
			marked = true;
		}
		if (!marked || !dep_inherited(off, of, d, rev, mk))
			nd->items[nd->n++] = d;
	}
	return 0;
}

static int normalize_deps(struct revmap *map, struct retort_error *err)
{
	struct marks mk = { NULL, 0, NULL };
	size_t *off = NULL, *of = NULL;
	int rc = -1;

	if (marks_init(&mk, map->n, err) < 0 ||
	    invert_raw(map, &off, &of, err) < 0)
		goto out;
	for (size_t i = 0; i < map->n; i++)
		if (map->index->raw[i].n > 0 &&
		    normalize_one(map, i, off, of, &mk, err) < 0)
			goto out;
	rc = 0;
out:
	free(off);
	free(of);
	marks_release(&mk);
	return rc;
}

/* ---- building: where branch labels apply ---- */

/* One pass of spreading: counting (fill false) or filling label_revs. */
struct spread {
	struct marks mk;
	size_t *count;
	bool fill;
};

static void spread_to(struct revmap *map, struct spread *sp, size_t rev,
		      size_t owner)
{
	struct revlist *l = &map->revs[rev].label_revs;

	if (sp->mk.seen[rev] == sp->mk.gen)
		return;
	sp->mk.seen[rev] = sp->mk.gen;
	if (sp->fill)
		l->items[l->n++] = owner;
	else
		sp->count[rev]++;
}

static bool is_real_branch_point(const struct revision *r)
{
	return r->children.n + r->dependents.n > 1;
}

/*
 * Alembic's _add_branches: a label applies to every revision above its
 * own; when those form one line, it also applies below, from the line's
 * top down to the nearest merge point or revision with two successors.
 */
static void spread_label(struct revmap *map, struct spread *sp, size_t owner)
{
	size_t top = 0, r = owner;

	sp->mk.gen++;
	spread_to(map, sp, owner, owner);
	sp->mk.stack[top++] = owner;
	while (top > 0) {
		const struct revlist *c =
			&map->revs[sp->mk.stack[--top]].children;

		for (size_t k = 0; k < c->n; k++) {
			if (sp->mk.seen[c->items[k]] != sp->mk.gen) {
				spread_to(map, sp, c->items[k], owner);
				sp->mk.stack[top++] = c->items[k];
			}
		}
	}
	while (map->revs[r].children.n == 1)
		r = map->revs[r].children.items[0];
	if (map->revs[r].children.n > 0)
		return;
	while (!is_real_branch_point(&map->revs[r]) &&
	       map->revs[r].parents.n <= 1) {
		spread_to(map, sp, r, owner);
		if (map->revs[r].parents.n == 0)
			break;
		r = map->revs[r].parents.items[0];
	}
}

static int spread_labels(struct revmap *map, struct retort_error *err)
{
	struct spread sp = { { NULL, 0, NULL }, NULL, false };
	int rc = -1;

	sp.count = zalloc(map->n, sizeof(*sp.count));
	if (sp.count == NULL || marks_init(&sp.mk, map->n, err) < 0) {
		oom(err);
		goto out;
	}
	for (sp.fill = false;; sp.fill = true) {
		for (size_t i = 0; i < map->n; i++)
			if (map->revs[i].nlabels > 0)
				spread_label(map, &sp, i);
		if (sp.fill)
			break;
		for (size_t i = 0; i < map->n; i++) {
			struct revlist *l = &map->revs[i].label_revs;

			if (sp.count[i] == 0)
				continue;
			l->items = calloc(sp.count[i], sizeof(*l->items));
			if (l->items == NULL) {
				oom(err);
				goto out;
			}
		}
	}
	rc = 0;
out:
	free(sp.count);
	marks_release(&sp.mk);
	return rc;
}

/* Positions; heads, real heads and bases in input order, as Alembic's. */
static int finish(struct revmap *map, struct retort_error *err)
{
	struct revmap_index *ix = map->index;

	ix->pos = zalloc(map->n, sizeof(*ix->pos));
	map->heads.items = zalloc(map->n, sizeof(*map->heads.items));
	map->real_heads.items = zalloc(map->n, sizeof(*map->heads.items));
	map->bases.items = zalloc(map->n, sizeof(*map->bases.items));
	if (ix->pos == NULL || map->heads.items == NULL ||
	    map->real_heads.items == NULL || map->bases.items == NULL)
		return oom(err);
	for (size_t k = 0; k < map->n; k++)
		ix->pos[map->order.items[k]] = k;
	for (size_t i = 0; i < map->n; i++) {
		const struct revision *r = &map->revs[i];

		if (r->children.n == 0)
			map->heads.items[map->heads.n++] = i;
		if (r->children.n == 0 && r->dependents.n == 0)
			map->real_heads.items[map->real_heads.n++] = i;
		if (r->parents.n == 0)
			map->bases.items[map->bases.n++] = i;
	}
	return 0;
}

static void free_raw(struct revmap *map)
{
	if (map->index == NULL || map->index->raw == NULL)
		return;
	for (size_t i = 0; i < map->n; i++)
		revlist_release(&map->index->raw[i]);
	free(map->index->raw);
	map->index->raw = NULL;
}

int revmap_build(const struct revision_meta *metas, size_t n,
		 struct revmap **out, struct retort_error *err)
{
	struct revmap *map = NULL;
	int rc = -1;

	*out = NULL;
	map = calloc(1, sizeof(*map));
	if (map == NULL ||
	    (map->index = calloc(1, sizeof(*map->index))) == NULL ||
	    (map->revs = zalloc(n, sizeof(*map->revs))) == NULL) {
		oom(err);
		goto out;
	}
	map->n = n;
	for (size_t i = 0; i < n; i++)
		map->revs[i].meta = &metas[i];
	if (index_ids(map, err) < 0 || index_labels(map, err) < 0 ||
	    link_all(map, err) < 0 || sort_topo(map, err) < 0 ||
	    normalize_deps(map, err) < 0 || spread_labels(map, err) < 0 ||
	    finish(map, err) < 0)
		goto out;
	free_raw(map);
	*out = map;
	map = NULL;
	rc = 0;
out:
	revmap_free(map);
	return rc;
}

static void revision_release(struct revision *r)
{
	revlist_release(&r->parents);
	revlist_release(&r->deps);
	revlist_release(&r->children);
	revlist_release(&r->dependents);
	revlist_release(&r->label_revs);
	for (size_t k = 0; k < r->nlabels; k++)
		free(r->labels[k]);
	free(r->labels);
}

void revmap_free(struct revmap *map)
{
	if (map == NULL)
		return;
	free_raw(map);
	for (size_t i = 0; i < map->n; i++)
		revision_release(&map->revs[i]);
	free(map->revs);
	revlist_release(&map->heads);
	revlist_release(&map->real_heads);
	revlist_release(&map->bases);
	revlist_release(&map->order);
	if (map->index != NULL) {
		table_release(&map->index->ids);
		table_release(&map->index->labels);
		free(map->index->pos);
		for (size_t i = 0; map->index->ndeps != NULL && i < map->n; i++)
			revlist_release(&map->index->ndeps[i]);
		free(map->index->ndeps);
		free(map->index);
	}
	free(map);
}

bool revmap_find(const struct revmap *map, const char *id, size_t *out)
{
	if (map == NULL || id == NULL)
		return false;
	return table_find(&map->index->ids, id, strlen(id), out);
}

const char *revmap_message(const struct revmap *map, const char *id)
{
	size_t rev;

	if (!revmap_find(map, id, &rev) || !map->revs[rev].meta->message)
		return "";
	return map->revs[rev].meta->message;
}

bool revmap_is_head(const struct revmap *map, size_t rev)
{
	return map != NULL && rev < map->n && map->revs[rev].children.n == 0;
}

bool revmap_is_real_head(const struct revmap *map, size_t rev)
{
	return revmap_is_head(map, rev) && map->revs[rev].dependents.n == 0;
}

/*
 * revmap.c - the revision graph: built and validated from plugin metadata,
 * Alembic's target grammar resolved against it, and upgrade and downgrade
 * plans computed with the version-table rows each step leaves behind.
 *
 * Pure: never does I/O, never prints, never exits; every failure comes back
 * as a retort_error.  Every pass is linear (or n log n) in the number of
 * revisions and uses explicit stacks, so a 10,000-revision chain neither
 * slows down nor overflows the C stack.
 *
 * Orders, chosen to be deterministic:
 * - map->order is Kahn's topological sort taking, among the revisions
 *   ready, the one given first to revmap_build() (file-name order);
 * - map->heads is newest first: reverse map->order;
 * - map->bases is in input order.
 */
#include "revmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A walk position standing for "base", below every revision. */
#define WALK_BASE SIZE_MAX

/* The four kinds of edge a traversal may follow. */
enum edge_kind {
	EDGE_PARENTS = 1 << 0,
	EDGE_DEPS = 1 << 1,
	EDGE_CHILDREN = 1 << 2,
	EDGE_DEPENDENTS = 1 << 3,
};

/* Open addressing, linear probing; key NULL marks an empty slot. */
struct slot {
	const char *key;
	size_t len;
	size_t val;
};

struct table {
	struct slot *slots;
	size_t mask;
};

struct revmap_index {
	struct table ids;    /* revision id -> index; keys borrowed from meta */
	struct table labels; /* branch label -> index; keys in revs[].labels */
	size_t *pos;	     /* pos[rev] = rank of rev in map->order */
};

/* A slice of a borrowed string: a list entry or a part of a target. */
struct token {
	const char *s;
	size_t len;
};

/* A target split as Alembic's grammar reads it: [label@]sym[+N|-N]. */
struct target_form {
	struct token abs;   /* all before the step; empty for "+N"/"-N" */
	struct token label; /* before '@', or empty */
	struct token sym;   /* after '@', or all of abs */
	char sign;	    /* '+', '-', or 0 for an absolute target */
	struct token count; /* the step's digits */
	size_t steps;	    /* their value, saturated */
};

struct heap {
	size_t *items;
	size_t n;
};

/* A plan being simulated: what is applied and which rows exist. */
struct sim {
	bool *applied;
	bool *row;
	size_t *succ; /* applied children and dependents of each revision */
};

static const char target_grammar[] =
	"A target is head, heads, base, a revision id or a unique prefix of one, a branch label, label@head, label@base, +N, -N, REV+N or REV-N.";

/* ---- small helpers ---- */

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* calloc that does not return NULL for zero items: NULL always means OOM. */
static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static const char *path_of(const struct revision_meta *m)
{
	return m->path ? m->path : "(unknown file)";
}

static const char *id_of(const struct revmap *map, size_t rev)
{
	return map->revs[rev].meta->id;
}

static bool tok_is(struct token t, const char *word)
{
	return strlen(word) == t.len && memcmp(t.s, word, t.len) == 0;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Target keywords: a revision or label so named could never be reached. */
static bool is_keyword(struct token t)
{
	return tok_is(t, "head") || tok_is(t, "heads") || tok_is(t, "base");
}

static bool revlist_has(const struct revlist *l, size_t rev)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i] == rev)
			return true;
	return false;
}

static int list_one(struct revlist *out, size_t rev, struct retort_error *err)
{
	out->items = malloc(sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	out->items[0] = rev;
	out->n = 1;
	return 0;
}

static int list_copy(struct revlist *out, const struct revlist *from,
		     struct retort_error *err)
{
	out->items = zalloc(from->n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	if (from->n > 0)
		memcpy(out->items, from->items, from->n * sizeof(*out->items));
	out->n = from->n;
	return 0;
}

/* Parents and dependencies, seen as one list: everything applied first. */
static size_t pred_count(const struct revision *r)
{
	return r->parents.n + r->deps.n;
}

static size_t pred_at(const struct revision *r, size_t k)
{
	return k < r->parents.n ? r->parents.items[k]
				: r->deps.items[k - r->parents.n];
}

/* "a, b, c" into buf, truncated to fit. */
static void join_ids(const struct revmap *map, const struct revlist *l,
		     char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? ", " : "",
					 id_of(map, l->items[i]));
}

static void detail_revs(struct retort_error *err, const struct revmap *map,
			const char *what, const struct revlist *l)
{
	char ids[sizeof(err->detail)];

	join_ids(map, l, ids, sizeof(ids));
	error_detail(err, "%s: %s", what, ids);
}

/* ---- hash table ---- */

static size_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return (size_t)h;
}

/* Sized once for count keys, at most half full so probes stay short. */
static int table_init(struct table *t, size_t count)
{
	size_t cap = 16;

	while (cap < count * 2)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = cap - 1;
	return 0;
}

static struct slot *table_slot(const struct table *t, const char *key,
			       size_t len)
{
	size_t i = hash_bytes(key, len) & t->mask;

	while (t->slots[i].key != NULL) {
		if (t->slots[i].len == len &&
		    memcmp(t->slots[i].key, key, len) == 0)
			return &t->slots[i];
		i = (i + 1) & t->mask;
	}
	return &t->slots[i];
}

static bool table_find(const struct table *t, const char *key, size_t len,
		       size_t *val)
{
	const struct slot *s;

	if (t->slots == NULL)
		return false;
	s = table_slot(t, key, len);
	if (s->key == NULL)
		return false;
	*val = s->val;
	return true;
}

/* False, with the holder in *prev, when the key is already there. */
static bool table_insert(struct table *t, const char *key, size_t len,
			 size_t val, size_t *prev)
{
	struct slot *s = table_slot(t, key, len);

	if (s->key != NULL) {
		*prev = s->val;
		return false;
	}
	s->key = key;
	s->len = len;
	s->val = val;
	return true;
}

/* ---- comma lists ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Entries in a comma list; 0 for NULL or blank, which mean "none". */
static size_t list_count(const char *s)
{
	size_t n = 1;
	const char *p = s;

	if (p == NULL)
		return 0;
	while (is_space(*p))
		p++;
	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == ',')
			n++;
	return n;
}

/* The next entry, spaces trimmed; false after the last one. */
static bool list_next(const char **cur, struct token *tok)
{
	const char *p = *cur;
	const char *end;

	if (p == NULL)
		return false;
	end = strchr(p, ',');
	if (end == NULL)
		end = p + strlen(p);
	while (p < end && is_space(*p))
		p++;
	tok->s = p;
	tok->len = (size_t)(end - p);
	while (tok->len > 0 && is_space(p[tok->len - 1]))
		tok->len--;
	*cur = *end == ',' ? end + 1 : NULL;
	return true;
}

static int check_entry(const struct revision_meta *m, const char *field,
		       const char *value, struct token tok,
		       struct retort_error *err)
{
	if (tok.len > 0)
		return 0;
	error_set(err, RETORT_USAGE, "empty entry in %s of revision %s", field,
		  m->id);
	error_detail(err, "file: %s", path_of(m));
	error_detail(err, "%s: \"%s\"", field, value);
	error_hint(err,
		   "Separate the entries with single commas, as in \"a, b\".");
	return -1;
}

/* ---- validating names ---- */

/* The characters of name outside [A-Za-z0-9_], each once, for a message. */
static void bad_chars(const char *name, size_t len, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && used + 8 < size; i++) {
		unsigned char c = (unsigned char)name[i];
		const char *sep = used > 0 ? ", " : "";

		if (is_name_char(name[i]) || memchr(name, name[i], i) != NULL)
			continue;
		if (c >= 0x20 && c < 0x7f)
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%c", sep, c);
		else
			used += (size_t)snprintf(buf + used, size - used,
						 "%s\\x%02x", sep, c);
	}
}

static int check_id(const struct revision_meta *m, struct retort_error *err)
{
	const char *id = m->id ? m->id : "";
	struct token t = { id, strlen(id) };
	char bad[64];

	bad_chars(t.s, t.len, bad, sizeof(bad));
	if (t.len == 0)
		error_set(err, RETORT_USAGE, "empty revision identifier");
	else if (t.len > REVMAP_ID_MAX)
		error_set(
			err, RETORT_USAGE,
			"revision identifier '%s' is longer than %d characters",
			id, REVMAP_ID_MAX);
	else if (bad[0] != '\0')
		error_set(
			err, RETORT_USAGE,
			"Character(s) '%s' not allowed in revision identifier '%s'",
			bad, id);
	else if (is_keyword(t))
		error_set(
			err, RETORT_USAGE,
			"revision identifier '%s' is reserved: it is a target keyword",
			id);
	else
		return 0;
	error_detail(err, "file: %s", path_of(m));
	error_hint(
		err,
		"A revision identifier is 1 to %d letters, digits or '_', other than head, heads and base.",
		REVMAP_ID_MAX);
	return -1;
}

static int check_label(const struct revision_meta *m, struct token t,
		       struct retort_error *err)
{
	char bad[64];

	bad_chars(t.s, t.len, bad, sizeof(bad));
	if (bad[0] != '\0')
		error_set(
			err, RETORT_USAGE,
			"Character(s) '%s' not allowed in branch label '%.*s' of revision %s",
			bad, (int)t.len, t.s, m->id);
	else if (is_keyword(t))
		error_set(
			err, RETORT_USAGE,
			"branch label '%.*s' of revision %s is reserved: it is a target keyword",
			(int)t.len, t.s, m->id);
	else
		return 0;
	error_detail(err, "file: %s", path_of(m));
	error_hint(
		err,
		"A branch label is letters, digits or '_', other than head, heads and base.");
	return -1;
}

/* ---- building: ids and labels ---- */

static int duplicate_id(const struct revmap *map, size_t first, size_t again,
			struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "Revision %s is present more than once",
		  id_of(map, again));
	error_detail(err, "file: %s", path_of(map->revs[first].meta));
	error_detail(err, "file: %s", path_of(map->revs[again].meta));
	error_hint(
		err,
		"Give one of the revisions a new identifier: each must be unique.");
	return -1;
}

static int index_ids(struct revmap *map, struct retort_error *err)
{
	struct table *t = &map->index->ids;
	size_t prev;

	if (table_init(t, map->n) < 0)
		return oom(err);
	for (size_t i = 0; i < map->n; i++) {
		const struct revision_meta *m = map->revs[i].meta;

		if (check_id(m, err) < 0)
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
	size_t count = list_count(cur);
	struct token tok;

	if (count == 0)
		return 0;
	r->labels = calloc(count, sizeof(*r->labels));
	if (r->labels == NULL)
		return oom(err);
	while (list_next(&cur, &tok)) {
		if (check_entry(r->meta, "branch_labels", value, tok, err) <
			    0 ||
		    check_label(r->meta, tok, err) < 0)
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
	error_detail(err, "file: %s", path_of(map->revs[rev].meta));
	if (holder != rev)
		error_detail(err, "file: %s", path_of(map->revs[holder].meta));
	error_hint(
		err,
		"Rename the label: branch labels must be unique and differ from every revision identifier.");
	return -1;
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
	size_t count = list_count(cur);
	struct token tok;
	size_t p;

	if (count == 0)
		return 0;
	r->parents.items = calloc(count, sizeof(*r->parents.items));
	if (r->parents.items == NULL)
		return oom(err);
	while (list_next(&cur, &tok)) {
		if (check_entry(r->meta, "down_revision", value, tok, err) < 0)
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
 * ordering, so it is dropped: every edge then appears once.
 */
static int link_deps(struct revmap *map, size_t i, struct retort_error *err)
{
	struct revision *r = &map->revs[i];
	const char *value = r->meta->depends_on;
	const char *cur = value;
	size_t count = list_count(cur);
	struct token tok;
	size_t d;

	if (count == 0)
		return 0;
	r->deps.items = calloc(count, sizeof(*r->deps.items));
	if (r->deps.items == NULL)
		return oom(err);
	while (list_next(&cur, &tok)) {
		if (check_entry(r->meta, "depends_on", value, tok, err) < 0)
			return -1;
		if (!table_find(&map->index->ids, tok.s, tok.len, &d) &&
		    !table_find(&map->index->labels, tok.s, tok.len, &d))
			return missing_ref(map, i, "depends_on", tok, err);
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

/* Positions, heads (newest first: reverse order) and bases (input order). */
static int finish(struct revmap *map, struct retort_error *err)
{
	struct revmap_index *ix = map->index;

	ix->pos = zalloc(map->n, sizeof(*ix->pos));
	map->heads.items = zalloc(map->n, sizeof(*map->heads.items));
	map->bases.items = zalloc(map->n, sizeof(*map->bases.items));
	if (ix->pos == NULL || map->heads.items == NULL ||
	    map->bases.items == NULL)
		return oom(err);
	for (size_t k = 0; k < map->n; k++)
		ix->pos[map->order.items[k]] = k;
	for (size_t k = map->n; k-- > 0;)
		if (map->revs[map->order.items[k]].children.n == 0)
			map->heads.items[map->heads.n++] = map->order.items[k];
	for (size_t i = 0; i < map->n; i++)
		if (map->revs[i].parents.n == 0)
			map->bases.items[map->bases.n++] = i;
	return 0;
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
	    finish(map, err) < 0)
		goto out;
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
	for (size_t k = 0; k < r->nlabels; k++)
		free(r->labels[k]);
	free(r->labels);
}

void revmap_free(struct revmap *map)
{
	if (map == NULL)
		return;
	for (size_t i = 0; i < map->n; i++)
		revision_release(&map->revs[i]);
	free(map->revs);
	revlist_release(&map->heads);
	revlist_release(&map->bases);
	revlist_release(&map->order);
	if (map->index != NULL) {
		free(map->index->ids.slots);
		free(map->index->labels.slots);
		free(map->index->pos);
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

bool revmap_is_head(const struct revmap *map, size_t rev)
{
	return map != NULL && rev < map->n && map->revs[rev].children.n == 0;
}

void revlist_release(struct revlist *list)
{
	if (list == NULL)
		return;
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

/* ---- traversal and state ---- */

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
 * Mark every revision reachable from starts (included) along the given
 * edges.  Starts are expanded even when already marked; anything else is
 * pushed once, so the stack never holds more than n + nstarts entries.
 */
static int mark_reach(const struct revmap *map, const size_t *starts,
		      size_t nstarts, unsigned edges, bool *mark,
		      struct retort_error *err)
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

static bool is_applied(const struct revstate *state, size_t rev)
{
	return state != NULL && state->applied != NULL && state->applied[rev];
}

static int unknown_row(const char *row, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "Can't locate revision identified by '%s'",
		  row);
	error_detail(
		err,
		"the version table holds '%s', which no revision in the versions directory has",
		row);
	error_hint(
		err,
		"The database was migrated with a revision whose plugin is missing from the versions directory: build or restore it.");
	return -1;
}

int revmap_state(const struct revmap *map, const char *const *rows,
		 size_t nrows, struct revstate *out, struct retort_error *err)
{
	struct revstate st = { NULL, { NULL, 0 } };
	size_t r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	st.applied = zalloc(map->n, sizeof(*st.applied));
	st.rows.items = zalloc(nrows, sizeof(*st.rows.items));
	if (st.applied == NULL || st.rows.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t i = 0; i < nrows; i++) {
		const char *row = rows[i] ? rows[i] : "";

		if (!revmap_find(map, row, &r)) {
			unknown_row(row, err);
			goto out;
		}
		if (!revlist_has(&st.rows, r))
			st.rows.items[st.rows.n++] = r;
	}
	if (mark_reach(map, st.rows.items, st.rows.n, EDGE_PARENTS | EDGE_DEPS,
		       st.applied, err) < 0)
		goto out;
	*out = st;
	memset(&st, 0, sizeof(st));
	rc = 0;
out:
	revstate_release(&st);
	return rc;
}

void revstate_release(struct revstate *state)
{
	if (state == NULL)
		return;
	free(state->applied);
	state->applied = NULL;
	revlist_release(&state->rows);
}

/* ---- parsing targets ---- */

static int malformed(const char *target, const char *why,
		     struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "malformed target '%s'", target);
	error_detail(err, "%s", why);
	error_hint(err, "%s", target_grammar);
	return -1;
}

static bool is_target_char(char c)
{
	return is_name_char(c) || c == '@' || c == '+' || c == '-';
}

/* The "+N" or "-N" at p; the count saturates rather than overflow. */
static int parse_step(const char *target, const char *p, struct target_form *f,
		      struct retort_error *err)
{
	const char *d = p + 1;

	f->sign = *p;
	f->count.s = d;
	f->count.len = strlen(d);
	if (f->count.len == 0 || strspn(d, "0123456789") != f->count.len)
		return malformed(
			target,
			"a relative step is '+' or '-' followed by a number",
			err);
	for (; *d != '\0'; d++) {
		size_t digit = (size_t)(*d - '0');

		if (f->steps > (SIZE_MAX - 9) / 10)
			f->steps = SIZE_MAX;
		else
			f->steps = f->steps * 10 + digit;
	}
	if (f->steps == 0)
		return malformed(target, "a relative step must be at least 1",
				 err);
	return 0;
}

static int split_label(const char *target, struct target_form *f,
		       struct retort_error *err)
{
	const char *at = memchr(f->abs.s, '@', f->abs.len);

	f->sym = f->abs;
	if (at == NULL)
		return 0;
	f->label.s = f->abs.s;
	f->label.len = (size_t)(at - f->abs.s);
	f->sym.s = at + 1;
	f->sym.len = f->abs.len - f->label.len - 1;
	if (f->label.len == 0 || f->sym.len == 0)
		return malformed(
			target,
			"'@' needs a branch label before it and head, base or a revision after it",
			err);
	if (memchr(f->sym.s, '@', f->sym.len) != NULL)
		return malformed(target, "a target holds at most one '@'", err);
	return 0;
}

static int parse_target(const char *target, struct target_form *f,
			struct retort_error *err)
{
	const char *p;

	memset(f, 0, sizeof(*f));
	if (target == NULL || target[0] == '\0')
		return malformed("", "the target is empty", err);
	for (p = target; *p != '\0'; p++)
		if (!is_target_char(*p))
			return malformed(
				target,
				"a target holds only letters, digits, '_', '@', '+' and '-'",
				err);
	p = target + strcspn(target, "+-");
	f->abs.s = target;
	f->abs.len = (size_t)(p - target);
	if (*p != '\0' && parse_step(target, p, f, err) < 0)
		return -1;
	if (f->abs.len == 0)
		return 0;
	return split_label(target, f, err);
}

/* ---- resolving absolute targets ---- */

static int cant_locate(struct token t, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Can't locate revision identified by '%.*s'", (int)t.len,
		  t.s);
	error_hint(
		err,
		"Name a revision by its id, a unique prefix of it or a branch label; 'retort history' lists them.");
	return -1;
}

static int ambiguous_prefix(const struct revmap *map, struct token p,
			    const struct revlist *cands,
			    struct retort_error *err)
{
	char ids[sizeof(err->msg)];

	join_ids(map, cands, ids, sizeof(ids));
	error_set(err, RETORT_USAGE, "Multiple revisions start with '%.*s': %s",
		  (int)p.len, p.s, ids);
	for (size_t k = 0; k < cands->n; k++)
		error_detail(err, "%s: %s", id_of(map, cands->items[k]),
			     path_of(map->revs[cands->items[k]].meta));
	error_hint(err, "Give more characters of the revision identifier.");
	return -1;
}

static bool prefix_match(const struct revmap *map, size_t rev, struct token p,
			 const bool *lineage)
{
	return strncmp(id_of(map, rev), p.s, p.len) == 0 &&
	       (lineage == NULL || lineage[rev]);
}

/* A unique prefix; lineage, when given, limits the candidates. */
static int resolve_prefix(const struct revmap *map, struct token p,
			  const bool *lineage, size_t *rev,
			  struct retort_error *err)
{
	struct revlist cands = { NULL, 0 };
	size_t found = 0;
	int rc = -1;

	for (size_t i = 0; i < map->n; i++)
		if (prefix_match(map, i, p, lineage) && found++ == 0)
			*rev = i;
	if (found == 1)
		return 0;
	if (found == 0)
		return cant_locate(p, err);
	cands.items = calloc(found, sizeof(*cands.items));
	if (cands.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t i = 0; i < map->n; i++)
		if (prefix_match(map, i, p, lineage))
			cands.items[cands.n++] = i;
	ambiguous_prefix(map, p, &cands, err);
out:
	revlist_release(&cands);
	return rc;
}

static int not_member(const struct revmap *map, size_t rev, struct token branch,
		      struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Revision %s is not a member of branch '%.*s'",
		  id_of(map, rev), (int)branch.len, branch.s);
	error_hint(
		err,
		"Name a revision on that branch, or drop the 'label@' part.");
	return -1;
}

/* A full id, a branch label, or a unique prefix, in that order. */
static int resolve_ident(const struct revmap *map, struct token t,
			 const bool *lineage, struct token branch, size_t *rev,
			 struct retort_error *err)
{
	if (!table_find(&map->index->ids, t.s, t.len, rev) &&
	    !table_find(&map->index->labels, t.s, t.len, rev))
		return resolve_prefix(map, t, lineage, rev, err);
	if (lineage != NULL && !lineage[*rev])
		return not_member(map, *rev, branch, err);
	return 0;
}

static int multiple_heads(const struct revmap *map, const char *arg,
			  const struct revlist *heads, struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Multiple head revisions are present for given argument '%s'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads",
		arg);
	detail_revs(err, map, "heads", heads);
	error_hint(
		err,
		"Name one head: by its id, as 'label@head', or upgrade to 'heads'.");
	return -1;
}

static int single_head(const struct revmap *map, const struct revlist *heads,
		       const char *arg, struct revlist *out,
		       struct retort_error *err)
{
	if (heads->n > 1)
		return multiple_heads(map, arg, heads, err);
	if (heads->n == 0)
		return 0;
	return list_one(out, heads->items[0], err);
}

/* Alembic accepts a revision where a branch label is expected. */
static int resolve_branch(const struct revmap *map, struct token label,
			  size_t *rev, struct retort_error *err)
{
	struct token none = { "", 0 };

	if (table_find(&map->index->labels, label.s, label.len, rev))
		return 0;
	return resolve_ident(map, label, NULL, none, rev, err);
}

/* label@head, label@heads: the heads descending from the branch's revision. */
static int branch_heads(const struct revmap *map, const struct target_form *f,
			size_t root, struct revlist *out,
			struct retort_error *err)
{
	bool *below = NULL;
	struct revlist heads = { NULL, 0 };
	char arg[sizeof(err->msg) / 2];
	int rc = -1;

	below = zalloc(map->n, sizeof(*below));
	heads.items = zalloc(map->heads.n, sizeof(*heads.items));
	if (below == NULL || heads.items == NULL) {
		oom(err);
		goto out;
	}
	if (mark_reach(map, &root, 1, EDGE_CHILDREN, below, err) < 0)
		goto out;
	for (size_t k = 0; k < map->heads.n; k++)
		if (below[map->heads.items[k]])
			heads.items[heads.n++] = map->heads.items[k];
	snprintf(arg, sizeof(arg), "%.*s", (int)f->abs.len, f->abs.s);
	if (tok_is(f->sym, "heads"))
		rc = list_copy(out, &heads, err);
	else
		rc = single_head(map, &heads, arg, out, err);
out:
	revlist_release(&heads);
	free(below);
	return rc;
}

/* label@REV: REV among the branch revision's ancestors and descendants. */
static int branch_member(const struct revmap *map, const struct target_form *f,
			 size_t root, struct revlist *out,
			 struct retort_error *err)
{
	bool *lineage = NULL;
	size_t rev;
	int rc = -1;

	lineage = zalloc(map->n, sizeof(*lineage));
	if (lineage == NULL) {
		oom(err);
		goto out;
	}
	if (mark_reach(map, &root, 1, EDGE_CHILDREN, lineage, err) < 0 ||
	    mark_reach(map, &root, 1, EDGE_PARENTS, lineage, err) < 0 ||
	    resolve_ident(map, f->sym, lineage, f->label, &rev, err) < 0)
		goto out;
	rc = list_one(out, rev, err);
out:
	free(lineage);
	return rc;
}

/*
 * label@base resolves to base, as in Alembic; the label only matters to a
 * downgrade, which revmap_plan() handles on its own.
 */
static int resolve_in_branch(const struct revmap *map,
			     const struct target_form *f, struct revlist *out,
			     struct retort_error *err)
{
	size_t root;

	if (resolve_branch(map, f->label, &root, err) < 0)
		return -1;
	if (tok_is(f->sym, "base"))
		return 0;
	if (tok_is(f->sym, "head") || tok_is(f->sym, "heads"))
		return branch_heads(map, f, root, out, err);
	return branch_member(map, f, root, out, err);
}

static int resolve_absolute(const struct revmap *map,
			    const struct target_form *f, struct revlist *out,
			    struct retort_error *err)
{
	struct token none = { "", 0 };
	size_t rev;

	if (f->label.len > 0)
		return resolve_in_branch(map, f, out, err);
	if (tok_is(f->sym, "base"))
		return 0;
	if (tok_is(f->sym, "heads"))
		return list_copy(out, &map->heads, err);
	if (tok_is(f->sym, "head"))
		return single_head(map, &map->heads, "head", out, err);
	if (resolve_ident(map, f->sym, NULL, none, &rev, err) < 0)
		return -1;
	return list_one(out, rev, err);
}

/* ---- resolving relative targets ---- */

static int ambiguous_walk(const struct revmap *map, bool up, size_t at,
			  const struct revlist *next, struct retort_error *err)
{
	if (at == WALK_BASE) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk from base: there are several bases");
		detail_revs(err, map, "bases", next);
	} else if (up) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk: revision %s is a branch point",
			  id_of(map, at));
		detail_revs(err, map, "children", next);
	} else {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk: revision %s is a merge point",
			  id_of(map, at));
		detail_revs(err, map, "parents", next);
	}
	error_hint(
		err,
		"Name the target revision, or step from a revision on a single line of history.");
	return -1;
}

/* One step along single children or parents; 1 when there is none. */
static int walk_step(const struct revmap *map, bool up, size_t *at,
		     struct retort_error *err)
{
	const struct revlist *next;

	if (!up && *at == WALK_BASE)
		return 1;
	if (up)
		next = *at == WALK_BASE ? &map->bases
					: &map->revs[*at].children;
	else
		next = &map->revs[*at].parents;
	if (next->n > 1)
		return ambiguous_walk(map, up, *at, next, err);
	if (next->n == 1)
		*at = next->items[0];
	else if (up)
		return 1;
	else
		*at = WALK_BASE;
	return 0;
}

static int walk(const struct revmap *map, const char *target,
		const struct target_form *f, size_t *at,
		struct retort_error *err)
{
	int rc = 0;
	size_t done;

	for (done = 0; done < f->steps; done++) {
		rc = walk_step(map, f->sign == '+', at, err);
		if (rc != 0)
			break;
	}
	if (rc <= 0)
		return rc;
	error_set(err, RETORT_USAGE,
		  "Relative revision %s didn't produce %.*s migrations", target,
		  (int)f->count.len, f->count.s);
	error_detail(err, "the walk stopped at %s after %zu step(s)",
		     *at == WALK_BASE ? "base" : id_of(map, *at), done);
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

/* "+N" and "-N" count from the database's single row (base if none). */
static int current_position(const struct revmap *map,
			    const struct revstate *state, const char *target,
			    const struct target_form *f, size_t *at,
			    struct retort_error *err)
{
	if (state == NULL) {
		error_set(
			err, RETORT_USAGE,
			"relative target '%s' needs the database's current revision",
			target);
		error_hint(err,
			   "Name a revision to step from, as in 'REV%c%.*s'.",
			   f->sign, (int)f->count.len, f->count.s);
		return -1;
	}
	if (state->rows.n > 1) {
		if (f->sign == '-')
			error_set(
				err, RETORT_USAGE,
				"downgrade %s from multiple heads is ambiguous",
				target);
		else
			error_set(err, RETORT_USAGE,
				  "upgrade %s from multiple heads is ambiguous",
				  target);
		detail_revs(err, map, "current heads", &state->rows);
		error_hint(err,
			   "Name a revision to step from, as in 'REV%c%.*s'.",
			   f->sign, (int)f->count.len, f->count.s);
		return -1;
	}
	*at = state->rows.n == 1 ? state->rows.items[0] : WALK_BASE;
	return 0;
}

/* REV+N, head-N, label@head-N...: the absolute part must be one revision. */
static int start_position(const struct revmap *map, const char *target,
			  const struct target_form *f, size_t *at,
			  struct retort_error *err)
{
	struct revlist start = { NULL, 0 };
	int rc = -1;

	if (resolve_absolute(map, f, &start, err) < 0)
		goto out;
	if (start.n > 1) {
		error_set(
			err, RETORT_USAGE,
			"relative target '%s' needs a single revision to step from",
			target);
		detail_revs(err, map, "it starts from", &start);
		error_hint(err,
			   "Step from one revision, as in 'label@head%c%.*s'.",
			   f->sign, (int)f->count.len, f->count.s);
		goto out;
	}
	*at = start.n == 1 ? start.items[0] : WALK_BASE;
	rc = 0;
out:
	revlist_release(&start);
	return rc;
}

static int resolve_relative(const struct revmap *map,
			    const struct revstate *state, const char *target,
			    const struct target_form *f, struct revlist *out,
			    struct retort_error *err)
{
	size_t at;

	if (f->abs.len == 0) {
		if (current_position(map, state, target, f, &at, err) < 0)
			return -1;
	} else if (start_position(map, target, f, &at, err) < 0) {
		return -1;
	}
	if (walk(map, target, f, &at, err) < 0)
		return -1;
	if (at == WALK_BASE)
		return 0;
	return list_one(out, at, err);
}

int revmap_resolve(const struct revmap *map, const struct revstate *state,
		   const char *target, struct revlist *out,
		   struct retort_error *err)
{
	struct target_form f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (parse_target(target, &f, err) < 0)
		return -1;
	if (f.sign != 0)
		rc = resolve_relative(map, state, target, &f, out, err);
	else
		rc = resolve_absolute(map, &f, out, err);
	if (rc < 0)
		revlist_release(out);
	return rc;
}

/* ---- plans ---- */

static void sim_release(struct sim *s)
{
	free(s->applied);
	free(s->row);
	free(s->succ);
}

static int sim_init(struct sim *s, const struct revmap *map,
		    const struct revstate *state, struct retort_error *err)
{
	s->applied = zalloc(map->n, sizeof(*s->applied));
	s->row = zalloc(map->n, sizeof(*s->row));
	s->succ = zalloc(map->n, sizeof(*s->succ));
	if (s->applied == NULL || s->row == NULL || s->succ == NULL)
		return oom(err);
	for (size_t r = 0; r < map->n; r++)
		s->applied[r] = is_applied(state, r);
	for (size_t k = 0; k < state->rows.n; k++)
		s->row[state->rows.items[k]] = true;
	for (size_t r = 0; r < map->n; r++) {
		if (!s->applied[r])
			continue;
		for (size_t k = 0; k < pred_count(&map->revs[r]); k++)
			s->succ[pred_at(&map->revs[r], k)]++;
	}
	return 0;
}

/* Upgrading R replaces the rows it builds on with R. */
static void sim_upgrade(struct sim *s, const struct revmap *map,
			struct plan_step *st)
{
	const struct revision *r = &map->revs[st->rev];

	for (size_t k = 0; k < pred_count(r); k++) {
		size_t p = pred_at(r, k);

		s->succ[p]++;
		if (s->row[p]) {
			s->row[p] = false;
			st->remove.items[st->remove.n++] = p;
		}
	}
	s->applied[st->rev] = true;
	s->row[st->rev] = true;
	st->insert.items[st->insert.n++] = st->rev;
}

/* Downgrading R gives a row back to each predecessor it leaves bare. */
static void sim_downgrade(struct sim *s, const struct revmap *map,
			  struct plan_step *st)
{
	const struct revision *r = &map->revs[st->rev];

	s->applied[st->rev] = false;
	if (s->row[st->rev]) {
		s->row[st->rev] = false;
		st->remove.items[st->remove.n++] = st->rev;
	}
	for (size_t k = 0; k < pred_count(r); k++) {
		size_t p = pred_at(r, k);

		if (s->succ[p] > 0)
			s->succ[p]--;
		if (s->applied[p] && s->succ[p] == 0 && !s->row[p]) {
			s->row[p] = true;
			st->insert.items[st->insert.n++] = p;
		}
	}
}

static int step_init(struct plan_step *st, const struct revmap *map, size_t rev,
		     enum plan_direction dir, struct retort_error *err)
{
	size_t degree = pred_count(&map->revs[rev]);
	bool up = dir == PLAN_UPGRADE;

	st->rev = rev;
	st->direction = dir;
	st->remove.items = zalloc(up ? degree : 1, sizeof(size_t));
	st->insert.items = zalloc(up ? 1 : degree, sizeof(size_t));
	if (st->remove.items == NULL || st->insert.items == NULL)
		return oom(err);
	return 0;
}

/* One step per revision of seq, rows simulated as each one runs. */
static int build_plan(const struct revmap *map, const struct revstate *state,
		      const struct revlist *seq, enum plan_direction dir,
		      struct plan *out, struct retort_error *err)
{
	struct sim s = { NULL, NULL, NULL };
	int rc = -1;

	out->steps = zalloc(seq->n, sizeof(*out->steps));
	if (out->steps == NULL) {
		oom(err);
		goto out;
	}
	if (sim_init(&s, map, state, err) < 0)
		goto out;
	for (size_t k = 0; k < seq->n; k++) {
		struct plan_step *st = &out->steps[k];

		out->n = k + 1;
		if (step_init(st, map, seq->items[k], dir, err) < 0)
			goto out;
		if (dir == PLAN_UPGRADE)
			sim_upgrade(&s, map, st);
		else
			sim_downgrade(&s, map, st);
	}
	rc = 0;
out:
	sim_release(&s);
	if (rc < 0)
		plan_release(out);
	return rc;
}

/* The flagged revisions in map->order: forward to upgrade, reversed to
 * downgrade (children first). */
static int plan_flagged(const struct revmap *map, const struct revstate *state,
			const bool *pick, enum plan_direction dir,
			struct plan *out, struct retort_error *err)
{
	struct revlist seq = { NULL, 0 };
	int rc = -1;

	seq.items = zalloc(map->n, sizeof(*seq.items));
	if (seq.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t k = 0; k < map->n; k++) {
		size_t r =
			map->order.items[dir == PLAN_UPGRADE ? k
							     : map->n - 1 - k];

		if (pick[r])
			seq.items[seq.n++] = r;
	}
	rc = build_plan(map, state, &seq, dir, out, err);
out:
	revlist_release(&seq);
	return rc;
}

/* Everything the targets need, parents and dependencies, not yet applied. */
static int plan_upgrade(const struct revmap *map, const struct revstate *state,
			const struct revlist *targets, struct plan *out,
			struct retort_error *err)
{
	bool *need = NULL;
	int rc = -1;

	need = zalloc(map->n, sizeof(*need));
	if (need == NULL) {
		oom(err);
		goto out;
	}
	if (mark_reach(map, targets->items, targets->n,
		       EDGE_PARENTS | EDGE_DEPS, need, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		need[r] = need[r] && !is_applied(state, r);
	rc = plan_flagged(map, state, need, PLAN_UPGRADE, out, err);
out:
	free(need);
	return rc;
}

static int not_a_downgrade_target(const struct revmap *map,
				  const struct revstate *state,
				  const char *target, struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Destination %s is not a valid downgrade target from current head(s)",
		target);
	if (state->rows.n > 0)
		detail_revs(err, map, "current heads", &state->rows);
	else
		error_detail(err, "the database has no revision applied");
	error_hint(
		err,
		"Downgrade to a revision the database has applied, or to base.");
	return -1;
}

/*
 * Drop, children first, the applied revisions flagged in drop.  A revision
 * flagged but not applied is simply skipped.
 */
static int plan_drop(const struct revmap *map, const struct revstate *state,
		     bool *drop, struct plan *out, struct retort_error *err)
{
	for (size_t r = 0; r < map->n; r++)
		drop[r] = drop[r] && is_applied(state, r);
	return plan_flagged(map, state, drop, PLAN_DOWNGRADE, out, err);
}

/* Every applied strict descendant of the target (or everything, for base):
 * what other branches have stays. */
static int plan_downgrade(const struct revmap *map,
			  const struct revstate *state, const char *target,
			  const struct revlist *targets, struct plan *out,
			  struct retort_error *err)
{
	bool *drop = NULL;
	int rc = -1;

	if (targets->n > 1)
		return multiple_heads(map, target, targets, err);
	if (targets->n == 1 && !is_applied(state, targets->items[0]))
		return not_a_downgrade_target(map, state, target, err);
	drop = zalloc(map->n, sizeof(*drop));
	if (drop == NULL) {
		oom(err);
		goto out;
	}
	if (targets->n == 1) {
		if (mark_reach(map, targets->items, 1,
			       EDGE_CHILDREN | EDGE_DEPENDENTS, drop, err) < 0)
			goto out;
		drop[targets->items[0]] = false; /* the target stays */
	} else {
		for (size_t r = 0; r < map->n; r++)
			drop[r] = true;
	}
	rc = plan_drop(map, state, drop, out, err);
out:
	free(drop);
	return rc;
}

/*
 * label@base, as Alembic reads it: drop everything grown from the bases
 * the labelled revision descends from, and what depends on it.
 */
static int plan_branch_base(const struct revmap *map,
			    const struct revstate *state,
			    const struct target_form *f, struct plan *out,
			    struct retort_error *err)
{
	bool *mark = NULL;
	struct revlist roots = { NULL, 0 };
	size_t root;
	int rc = -1;

	mark = zalloc(map->n, sizeof(*mark));
	roots.items = zalloc(map->bases.n, sizeof(*roots.items));
	if (mark == NULL || roots.items == NULL) {
		oom(err);
		goto out;
	}
	if (resolve_branch(map, f->label, &root, err) < 0 ||
	    mark_reach(map, &root, 1, EDGE_PARENTS, mark, err) < 0)
		goto out;
	for (size_t k = 0; k < map->bases.n; k++)
		if (mark[map->bases.items[k]])
			roots.items[roots.n++] = map->bases.items[k];
	memset(mark, 0, map->n * sizeof(*mark));
	if (mark_reach(map, roots.items, roots.n,
		       EDGE_CHILDREN | EDGE_DEPENDENTS, mark, err) < 0)
		goto out;
	rc = plan_drop(map, state, mark, out, err);
out:
	revlist_release(&roots);
	free(mark);
	return rc;
}

/* "upgrade -1" and "downgrade +1" are slips Alembic only half catches. */
static int check_direction(enum plan_direction dir, const char *target,
			   const struct target_form *f,
			   struct retort_error *err)
{
	if (f->sign == 0 || f->abs.len > 0)
		return 0;
	if (dir == PLAN_UPGRADE && f->sign == '-') {
		error_set(
			err, RETORT_USAGE,
			"cannot upgrade to '%s': a relative upgrade counts up, as '+%.*s'",
			target, (int)f->count.len, f->count.s);
		error_hint(err, "Use 'downgrade %s' to step back.", target);
		return -1;
	}
	if (dir == PLAN_DOWNGRADE && f->sign == '+') {
		error_set(
			err, RETORT_USAGE,
			"cannot downgrade to '%s': a relative downgrade counts down, as '-%.*s'",
			target, (int)f->count.len, f->count.s);
		error_hint(err, "Use 'upgrade %s' to step forward.", target);
		return -1;
	}
	return 0;
}

int revmap_plan(const struct revmap *map, const struct revstate *state,
		enum plan_direction direction, const char *target,
		struct plan *out, struct retort_error *err)
{
	const struct revstate empty = { NULL, { NULL, 0 } };
	struct revlist targets = { NULL, 0 };
	struct target_form f;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (state == NULL)
		state = &empty; /* no state: a database with nothing applied */
	if (parse_target(target, &f, err) < 0 ||
	    check_direction(direction, target, &f, err) < 0)
		goto out;
	if (direction == PLAN_DOWNGRADE && f.sign == 0 && f.label.len > 0 &&
	    tok_is(f.sym, "base")) {
		rc = plan_branch_base(map, state, &f, out, err);
		goto out;
	}
	if (revmap_resolve(map, state, target, &targets, err) < 0)
		goto out;
	if (direction == PLAN_UPGRADE)
		rc = plan_upgrade(map, state, &targets, out, err);
	else
		rc = plan_downgrade(map, state, target, &targets, out, err);
out:
	revlist_release(&targets);
	return rc;
}

void plan_release(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t k = 0; k < plan->n; k++) {
		revlist_release(&plan->steps[k].remove);
		revlist_release(&plan->steps[k].insert);
	}
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}

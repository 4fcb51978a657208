/*
 * revmap.c - the revision graph: built and validated from plugin metadata,
 * Alembic's target grammar resolved against it, upgrade, downgrade and
 * stamp plans computed with the version-table rows each step leaves
 * behind, and history walked in Alembic's order.
 *
 * Pure: never does I/O, never prints, never exits; every failure comes back
 * as a retort_error.  Every pass is linear (or n log n) in the number of
 * revisions on a line of history and uses explicit stacks, so a
 * 10,000-revision chain neither slows down nor overflows the C stack.
 *
 * Alembic parity: the orders and answers are Alembic 1.8's
 * (alembic/script/revision.py, script/base.py, runtime/migration.py), and
 * tests/alembic_diff/ checks them against the real RevisionMap.  Where
 * Alembic's answer depends on Python's set order, retort takes the order
 * the revisions were given in (file-name order) and depends_on's order;
 * where Alembic crashes, retort reports an error or takes the evident
 * meaning; tests/alembic_diff/README.md lists each case.
 *
 * Orders:
 * - map->order is Kahn's topological sort taking, among the revisions
 *   ready, the one given first to revmap_build() (file-name order);
 * - map->heads, map->real_heads and map->bases are in input order, as
 *   Alembic lists them;
 * - plans and history follow Alembic's _topological_sort (see walk_order).
 */
#include "graph/revmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

/*
 * Positions a walk or a symbol can stand at besides a revision: Alembic's
 * None ("base" as a symbol names it: below every base, or above every
 * head when walking down) and the "base" a downward walk reaches.
 */
#define POS_NONE SIZE_MAX
#define POS_BASE (SIZE_MAX - 1)

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

/*
 * A target split as Alembic's grammar reads it: [label@][sym][+N|-N].
 * Alembic's pattern is (?:(.+?)@)?(\w+)?((?:\+|-)\d+); an absolute target
 * is label@sym or sym.
 */
struct target_form {
	struct token abs;   /* all before the step; empty for "+N"/"-N" */
	struct token label; /* before '@', or empty */
	struct token sym;   /* after '@', or all of abs; may be empty */
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
	"A target is head, heads, base, a revision id or a unique prefix of one, a branch label, label@head, label@base, +N, -N, REV+N, REV-N or label@+N.";

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

void revmap_join_ids(const struct revmap *map, const struct revlist *list,
		     char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < list->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? ", " : "",
					 map->revs[list->items[i]].meta->id);
}

static void detail_revs(struct retort_error *err, const struct revmap *map,
			const char *what, const struct revlist *l)
{
	char ids[sizeof(err->detail)];

	revmap_join_ids(map, l, ids, sizeof(ids));
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

/* ---- validating create_date ---- */

/* n digits at *s, as a number in [lo, hi]; advances *s past them. */
static bool take_number(const char **s, int n, int lo, int hi, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	if (out)
		*out = v;
	return v >= lo && v <= hi;
}

static bool take_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* ".ffffff": Python's str(datetime) writes six digits; fewer are fine. */
static bool take_fraction(const char **s)
{
	size_t n;

	if (!take_char(s, '.'))
		return true;
	n = strspn(*s, "0123456789");
	*s += n;
	return n >= 1 && n <= 6;
}

/* "+00" as retort writes it, "+00:00" or "+0000" as Alembic may. */
static bool take_offset(const char **s)
{
	if (!take_char(s, '+') && !take_char(s, '-'))
		return true;
	if (!take_number(s, 2, 0, 15, NULL))
		return false;
	if (**s == '\0')
		return true;
	take_char(s, ':');
	return take_number(s, 2, 0, 59, NULL);
}

/*
 * "YYYY-MM-DD HH:MM:SS", then an optional fraction and UTC offset: what
 * `retort revision` writes ("...+00") and what Alembic writes in a
 * revision's Create Date ("... 10:00:00.123456", "...+00:00").
 */
static bool is_create_date(const char *s)
{
	int year, month, day;

	if (!take_number(&s, 4, 1, 9999, &year) || !take_char(&s, '-') ||
	    !take_number(&s, 2, 1, 12, &month) || !take_char(&s, '-') ||
	    !take_number(&s, 2, 1, days_in_month(year, month), &day) ||
	    !take_char(&s, ' ') || !take_number(&s, 2, 0, 23, NULL) ||
	    !take_char(&s, ':') || !take_number(&s, 2, 0, 59, NULL) ||
	    !take_char(&s, ':') || !take_number(&s, 2, 0, 59, NULL))
		return false;
	return take_fraction(&s) && take_offset(&s) && *s == '\0';
}

/* NULL and "" stay allowed: history then shows no date, as Alembic does
 * for a script without one. */
static int check_create_date(const struct revision_meta *m,
			     struct retort_error *err)
{
	if (m->create_date == NULL || m->create_date[0] == '\0' ||
	    is_create_date(m->create_date))
		return 0;
	error_set(err, RETORT_USAGE,
		  "malformed create_date \"%.80s\" in revision %s",
		  m->create_date, m->id);
	error_detail(err, "file: %s", path_of(m));
	error_detail(
		err,
		"expected YYYY-MM-DD HH:MM:SS+00 (a fraction of a second and an offset such as +00:00 may follow, or no offset)");
	error_hint(
		err,
		"Set .create_date in RETORT_REVISION(...) to a real date and time, as in \"2026-11-24 10:00:00+00\", and rebuild.");
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

		if (check_id(m, err) < 0 || check_create_date(m, err) < 0)
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
	size_t count = list_count(cur);
	struct token tok;
	size_t d;

	if (count == 0)
		return 0;
	r->deps.items = calloc(count, sizeof(*r->deps.items));
	raw->items = calloc(count, sizeof(*raw->items));
	if (r->deps.items == NULL || raw->items == NULL)
		return oom(err);
	while (list_next(&cur, &tok)) {
		if (check_entry(r->meta, "depends_on", value, tok, err) < 0)
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
		free(map->index->ids.slots);
		free(map->index->labels.slots);
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

bool revmap_is_head(const struct revmap *map, size_t rev)
{
	return map != NULL && rev < map->n && map->revs[rev].children.n == 0;
}

bool revmap_is_real_head(const struct revmap *map, size_t rev)
{
	return revmap_is_head(map, rev) && map->revs[rev].dependents.n == 0;
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
	char shown[128];

	/* The row is whatever the table holds: one line, escaped. */
	text_escape(row, shown, sizeof(shown));
	error_set(err, RETORT_USAGE, "Can't locate revision identified by '%s'",
		  shown);
	error_detail(
		err,
		"the version table holds '%s', which no revision in the versions directory has",
		shown);
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

static bool all_digits(struct token t)
{
	for (size_t i = 0; i < t.len; i++)
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
	return t.len > 0;
}

/* A number's value, saturated rather than overflowed. */
static size_t digits_value(struct token t)
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

/*
 * Alembic's pattern reads "+N"/"-N" at the first sign and ignores what
 * follows the digits ("a+1x" is "a+1"); retort refuses such a target.
 */
static int parse_step(const char *target, const char *p, struct target_form *f,
		      struct retort_error *err)
{
	f->sign = *p;
	f->count.s = p + 1;
	f->count.len = strlen(p + 1);
	if (!all_digits(f->count))
		return malformed(
			target,
			"a relative step is '+' or '-' followed by a number",
			err);
	f->steps = digits_value(f->count);
	return 0;
}

/* "label@sym"; Alembic reads "@sym" as "sym" (an empty label is none). */
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
	if (f->label.len == 0 && f->sign != 0)
		return malformed(target, "'@' needs a branch label before it",
				 err);
	if (f->sym.len == 0 && f->sign == 0)
		return malformed(
			target,
			"'@' needs head, heads, base or a revision after it",
			err);
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
	if (strchr(target, '@') != strrchr(target, '@'))
		return malformed(target, "a target holds at most one '@'", err);
	p = target + strcspn(target, "+-");
	f->abs.s = target;
	f->abs.len = (size_t)(p - target);
	if (*p != '\0' && parse_step(target, p, f, err) < 0)
		return -1;
	return split_label(target, f, err);
}

/* The step as Alembic's int() reads it: "+0" and "-0" are 0. */
static bool step_up(const struct target_form *f)
{
	return f->sign == '+' && f->steps > 0;
}

/* ---- resolving symbols: errors ---- */

static int cant_locate(struct token t, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Can't locate revision identified by '%.*s'", (int)t.len,
		  t.s);
	if (t.len > 0 && t.len < 4)
		error_detail(
			err,
			"a prefix of a revision identifier or branch label needs at least four characters");
	error_hint(
		err,
		"Name a revision by its id, a unique prefix of it or a branch label; 'retort history' lists them.");
	return -1;
}

/* "a1f0, a2e9" for the keys that start with p, truncated to fit. */
static void join_keys(const struct revmap *map, struct token p,
		      const bool *lineage, char *buf, size_t size);
static size_t each_key(const struct revmap *map, struct token p,
		       const bool *lineage,
		       void (*fn)(const char *key, size_t rev, void *ctx),
		       void *ctx);

struct key_detail {
	const struct revmap *map;
	struct retort_error *err;
};

static void detail_key(const char *key, size_t rev, void *ctx);

static int ambiguous_prefix(const struct revmap *map, struct token p,
			    const bool *lineage, struct retort_error *err)
{
	char keys[sizeof(err->msg)];
	struct key_detail kd = { map, err };

	join_keys(map, p, lineage, keys, sizeof(keys));
	error_set(err, RETORT_USAGE, "Multiple revisions start with '%.*s': %s",
		  (int)p.len, p.s, keys);
	each_key(map, p, lineage, detail_key, &kd);
	error_hint(err, "Give more characters of the revision identifier.");
	return -1;
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

static int multiple_heads(const struct revmap *map, const char *arg,
			  const struct revlist *heads, struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Multiple head revisions are present for given argument '%s'; please specify a specific target revision, '<branchname>@%s' to narrow to a specific head, or 'heads' for all heads",
		arg, arg);
	detail_revs(err, map, "heads", heads);
	error_hint(
		err,
		"Name one head: by its id, as 'label@head', or upgrade to 'heads'.");
	return -1;
}

static int ambiguous_walk(const struct revmap *map, bool up, size_t at,
			  const struct revlist *next, struct retort_error *err)
{
	if (at == POS_NONE && up) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous walk from base: there are several bases");
		detail_revs(err, map, "bases", next);
	} else if (at == POS_NONE) {
		error_set(
			err, RETORT_USAGE,
			"Ambiguous walk down from the heads: there are several heads");
		detail_revs(err, map, "heads", next);
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

/* Alembic's "Relative revision -4 didn't produce 4 migrations". */
static int too_far(const char *target, const struct target_form *f,
		   struct retort_error *err)
{
	if (f->abs.len == 0 && f->label.len == 0)
		error_set(
			err, RETORT_USAGE,
			"Relative revision %c%.*s didn't produce %.*s migrations",
			f->sign, (int)f->count.len, f->count.s,
			(int)f->count.len, f->count.s);
	else
		error_set(err, RETORT_USAGE,
			  "Relative revision %s didn't produce %.*s migrations",
			  target, (int)f->count.len, f->count.s);
	error_detail(err, "the walk ran past %s",
		     f->sign == '-' ? "base" : "the last head");
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

/* ---- resolving symbols: lineage ---- */

/*
 * Mark what shares a line of history with the anchors: their ancestors
 * and descendants, through depends_on too when deps (Alembic's
 * _shares_lineage).
 */
static int mark_lineage(const struct revmap *map, const struct revlist *anchors,
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

/* The lineage of one revision, in a new array the caller frees. */
static int lineage_of(const struct revmap *map, size_t rev, bool **out,
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

/* ---- resolving symbols: identifiers ---- */

/*
 * Alembic matches a prefix against every key of its map, ids and branch
 * labels alike, but only keys longer than three characters.
 */
static bool key_matches(const char *key, struct token p, size_t rev,
			const bool *lineage)
{
	return strlen(key) > 3 && strncmp(key, p.s, p.len) == 0 &&
	       (lineage == NULL || lineage[rev]);
}

/* Calls fn for each key that p is a prefix of; returns how many. */
static size_t each_key(const struct revmap *map, struct token p,
		       const bool *lineage,
		       void (*fn)(const char *key, size_t rev, void *ctx),
		       void *ctx)
{
	size_t found = 0;

	for (size_t i = 0; i < map->n; i++) {
		if (key_matches(id_of(map, i), p, i, lineage)) {
			found++;
			if (fn != NULL)
				fn(id_of(map, i), i, ctx);
		}
	}
	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < map->revs[i].nlabels; k++) {
			if (key_matches(map->revs[i].labels[k], p, i,
					lineage)) {
				found++;
				if (fn != NULL)
					fn(map->revs[i].labels[k], i, ctx);
			}
		}
	}
	return found;
}

struct keybuf {
	char *buf;
	size_t size, used;
	size_t rev;
};

static void key_append(const char *key, size_t rev, void *ctx)
{
	struct keybuf *kb = ctx;

	kb->rev = rev;
	if (kb->used < kb->size)
		kb->used += (size_t)snprintf(kb->buf + kb->used,
					     kb->size - kb->used, "%s%s",
					     kb->used > 0 ? ", " : "", key);
}

/* "key: file" for each candidate of an ambiguous prefix. */
static void detail_key(const char *key, size_t rev, void *ctx)
{
	struct key_detail *kd = ctx;

	error_detail(kd->err, "%s: %s", key, path_of(kd->map->revs[rev].meta));
}

static void join_keys(const struct revmap *map, struct token p,
		      const bool *lineage, char *buf, size_t size)
{
	struct keybuf kb = { buf, size, 0, 0 };

	buf[0] = '\0';
	each_key(map, p, lineage, key_append, &kb);
}

/*
 * Alembic's _revision_for_ident: an id, a branch label, or a unique
 * prefix of one; lineage (when not NULL) narrows the prefixes and must
 * hold the answer, which is then a member of branch.
 */
static int ident(const struct revmap *map, struct token t, const bool *lineage,
		 struct token branch, size_t *rev, struct retort_error *err)
{
	size_t found;
	char none[1];
	struct keybuf kb = { none, 0, 0, 0 };

	if (!table_find(&map->index->ids, t.s, t.len, rev) &&
	    !table_find(&map->index->labels, t.s, t.len, rev)) {
		if (t.len == 0)
			return cant_locate(t, err);
		found = each_key(map, t, lineage, key_append, &kb);
		if (found == 0)
			return cant_locate(t, err);
		if (found > 1)
			return ambiguous_prefix(map, t, lineage, err);
		*rev = kb.rev;
	}
	if (lineage != NULL && !lineage[*rev])
		return not_member(map, *rev, branch, err);
	return 0;
}

static int ident_plain(const struct revmap *map, struct token t, size_t *rev,
		       struct retort_error *err)
{
	struct token none = { "", 0 };

	return ident(map, t, NULL, none, rev, err);
}

/* The lineage a branch label (or a revision used as one) stands for. */
static int branch_lineage(const struct revmap *map, struct token label,
			  bool **out, struct retort_error *err)
{
	size_t root;

	*out = NULL;
	if (label.len == 0)
		return 0;
	if (ident_plain(map, label, &root, err) < 0)
		return -1;
	return lineage_of(map, root, out, err);
}

/* ---- resolving symbols: Alembic's get_revisions() ---- */

/* A symbol as Alembic's _resolve_revision_number reads it. */
struct symbol {
	struct token label; /* empty: none */
	struct token id;    /* after the label */
	bool *lineage;	    /* the label's, or NULL; owned */
	bool keyword;	    /* id is head, heads or base: revs holds it */
	struct revlist revs;
};

static void symbol_release(struct symbol *s)
{
	free(s->lineage);
	s->lineage = NULL;
	revlist_release(&s->revs);
}

/* The heads in the label's lineage, or all (real heads for "heads"). */
static int keyword_heads(const struct revmap *map, const struct symbol *s,
			 bool real, struct revlist *out,
			 struct retort_error *err)
{
	const struct revlist *from = real ? &map->real_heads : &map->heads;

	if (s->lineage == NULL)
		return list_copy(out, from, err);
	out->items = zalloc(map->heads.n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	for (size_t k = 0; k < map->heads.n; k++)
		if (s->lineage[map->heads.items[k]])
			out->items[out->n++] = map->heads.items[k];
	return 0;
}

/*
 * strict: resolve the label even for "label@base" (get_revision does,
 * get_revisions does not).
 */
static int read_symbol(const struct revmap *map, struct token sym,
		       const char *arg, bool strict, struct symbol *s,
		       struct retort_error *err)
{
	const char *at = memchr(sym.s, '@', sym.len);

	memset(s, 0, sizeof(*s));
	s->id = sym;
	if (at != NULL) {
		s->label.s = sym.s;
		s->label.len = (size_t)(at - sym.s);
		s->id.s = at + 1;
		s->id.len = sym.len - s->label.len - 1;
	}
	s->keyword = true;
	if (!strict && tok_is(s->id, "base"))
		return 0;
	if (branch_lineage(map, s->label, &s->lineage, err) < 0)
		return -1;
	if (tok_is(s->id, "heads"))
		return keyword_heads(map, s, s->lineage == NULL, &s->revs, err);
	if (tok_is(s->id, "head")) {
		if (keyword_heads(map, s, false, &s->revs, err) < 0)
			return -1;
		if (s->revs.n > 1)
			return multiple_heads(map, arg, &s->revs, err);
		return 0;
	}
	s->keyword = tok_is(s->id, "base");
	return 0;
}

/* "-N" as Python's int() reads a negative number: N steps below heads. */
static bool is_negative(struct token t, size_t *steps)
{
	struct token digits = { t.s + 1, t.len > 0 ? t.len - 1 : 0 };

	if (t.len < 2 || t.s[0] != '-' || !all_digits(digits))
		return false;
	*steps = digits_value(digits);
	return *steps > 0;
}

static bool has_label_named(const struct revmap *map, size_t rev,
			    struct token name)
{
	const struct revlist *owners = &map->revs[rev].label_revs;

	for (size_t k = 0; k < owners->n; k++) {
		const struct revision *o = &map->revs[owners->items[k]];

		for (size_t j = 0; j < o->nlabels; j++)
			if (tok_is(name, o->labels[j]))
				return true;
	}
	return false;
}

static int walk_from(const struct revmap *map, size_t *at, bool up,
		     size_t steps, const bool *lineage, bool no_overwalk,
		     struct retort_error *err);

/*
 * get_revisions("-N"), "label@-N": each real head (carrying the label), N
 * steps down.
 */
static int heads_walked_down(const struct revmap *map, const struct symbol *s,
			     size_t steps, struct revlist *out,
			     struct retort_error *err)
{
	const struct revlist *heads = &map->real_heads;

	out->items = zalloc(heads->n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	for (size_t k = 0; k < heads->n; k++) {
		size_t at = heads->items[k];

		if (s->label.len > 0 && !has_label_named(map, at, s->label))
			continue;
		if (walk_from(map, &at, false, steps, NULL, true, err) < 0)
			return -1;
		out->items[out->n++] = at;
	}
	return 0;
}

/* Alembic's get_revisions() of one symbol; may hold POS_NONE, POS_BASE. */
static int get_revisions(const struct revmap *map, struct token sym,
			 const char *arg, struct revlist *out,
			 struct retort_error *err)
{
	struct symbol s;
	size_t steps, rev;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (read_symbol(map, sym, arg, false, &s, err) < 0)
		goto out;
	if (s.keyword) {
		*out = s.revs;
		memset(&s.revs, 0, sizeof(s.revs));
		rc = 0;
	} else if (is_negative(s.id, &steps)) {
		rc = heads_walked_down(map, &s, steps, out, err);
	} else if (ident(map, s.id, s.lineage, s.label, &rev, err) == 0) {
		rc = list_one(out, rev, err);
	}
out:
	symbol_release(&s);
	if (rc < 0)
		revlist_release(out);
	return rc;
}

/* Alembic's get_revision(): one revision, or POS_NONE for base. */
static int get_revision(const struct revmap *map, struct token sym,
			const char *arg, size_t *rev, struct retort_error *err)
{
	struct symbol s;
	int rc = -1;

	*rev = POS_NONE;
	if (read_symbol(map, sym, arg, true, &s, err) < 0)
		goto out;
	if (!s.keyword)
		rc = ident(map, s.id, s.lineage, s.label, rev, err);
	else if (s.revs.n > 1)
		rc = multiple_heads(map, arg, &s.revs, err);
	else
		rc = 0;
	if (s.keyword && s.revs.n == 1)
		*rev = s.revs.items[0];
out:
	symbol_release(&s);
	return rc;
}

/* ---- resolving symbols: walks ---- */

/* The one place a step leads; how many there are (0, 1 or more). */
static size_t walk_next(const struct revmap *map, size_t at, bool up,
			const bool *lineage, const struct revlist **from,
			size_t *next)
{
	size_t found = 0;

	if (up)
		*from = at == POS_NONE ? &map->bases : &map->revs[at].children;
	else
		*from = at == POS_NONE ? &map->heads : &map->revs[at].parents;
	for (size_t k = 0; k < (*from)->n; k++) {
		if (up && lineage != NULL && !lineage[(*from)->items[k]])
			continue;
		if (found++ == 0)
			*next = (*from)->items[k];
	}
	if (!up && found == 0) {
		*next = POS_BASE;
		found = 1;
	}
	return found;
}

/*
 * Alembic's _walk: steps up (children; the bases from POS_NONE) or down
 * (parents; the heads from POS_NONE; POS_BASE below a base), narrowed to
 * lineage going up.  Running out returns 1 with POS_NONE when
 * no_overwalk, else stops where it is.
 */
static int walk_from(const struct revmap *map, size_t *at, bool up,
		     size_t steps, const bool *lineage, bool no_overwalk,
		     struct retort_error *err)
{
	const struct revlist *from;
	size_t next = POS_NONE, found;

	for (size_t done = 0; done < steps; done++) {
		if (*at == POS_BASE)
			found = 0;
		else
			found = walk_next(map, *at, up, lineage, &from, &next);
		if (found > 1)
			return ambiguous_walk(map, up, *at, from, err);
		if (found == 0 && !no_overwalk)
			return 0;
		if (found == 0) {
			*at = POS_NONE;
			return 1;
		}
		*at = next;
	}
	return 0;
}

/* A label's lineage for walking up from "label@+N" or "label@REV+N". */
static int walk_lineage(const struct revmap *map, const struct target_form *f,
			bool **out, struct retort_error *err)
{
	return branch_lineage(map, f->label, out, err);
}

/* Walk from *at as the target says; 1 when it runs out (no_overwalk). */
static int walk_target(const struct revmap *map, const struct target_form *f,
		       size_t *at, bool no_overwalk, struct retort_error *err)
{
	bool *lineage = NULL;
	int rc;

	if (step_up(f) && walk_lineage(map, f, &lineage, err) < 0)
		return -1;
	rc = walk_from(map, at, step_up(f), f->steps, lineage, no_overwalk,
		       err);
	free(lineage);
	return rc;
}

/* ---- targets: where an upgrade goes ---- */

/*
 * Alembic's current_revisions: the database's rows, or, for a history
 * range, the range's start as a symbol.  Neither: no state was given.
 */
struct bound {
	const struct revlist *rows;
	const char *sym;
};

static int needs_current(const char *target, const struct target_form *f,
			 struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "relative target '%s' needs the database's current revision",
		  target);
	error_hint(err, "Name a revision to step from, as in 'REV%c%.*s'.",
		   f->sign, (int)f->count.len, f->count.s);
	return -1;
}

/* Everything the revisions build on, through depends_on too, themselves
 * included. */
static int mark_below(const struct revmap *map, const struct revlist *revs,
		      bool *mark, struct retort_error *err)
{
	return mark_reach(map, revs->items, revs->n, EDGE_PARENTS | EDGE_DEPS,
			  mark, err);
}

static bool is_rev(const struct revmap *map, size_t pos)
{
	return pos < map->n;
}

/* Keep the revisions (not POS_NONE or POS_BASE) that lineage holds. */
static void keep_in(const struct revmap *map, struct revlist *l,
		    const bool *lineage)
{
	size_t kept = 0;

	for (size_t k = 0; k < l->n; k++)
		if (is_rev(map, l->items[k]) &&
		    (lineage == NULL || lineage[l->items[k]]))
			l->items[kept++] = l->items[k];
	l->n = kept;
}

/*
 * "label@+N" when no current revision is on the branch: the tips of what
 * is applied on it (Alembic backtracks to find a branch point).
 */
static int branch_tips(const struct revmap *map, const struct revlist *cur,
		       const bool *lineage, struct revlist *out,
		       struct retort_error *err)
{
	bool *active = NULL, *below = NULL;
	int rc = -1;

	active = zalloc(map->n, sizeof(*active));
	below = zalloc(map->n, sizeof(*below));
	out->items = zalloc(map->n, sizeof(*out->items));
	if (active == NULL || below == NULL || out->items == NULL) {
		oom(err);
		goto out;
	}
	if (mark_below(map, cur, active, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++) {
		const struct revlist *nd = &map->index->ndeps[r];

		if (!(active[r] = active[r] && lineage[r]))
			continue;
		for (size_t k = 0; k < map->revs[r].parents.n; k++)
			below[map->revs[r].parents.items[k]] = true;
		for (size_t k = 0; k < nd->n; k++)
			below[nd->items[k]] = true;
	}
	for (size_t r = 0; r < map->n; r++)
		if (active[r] && !below[r])
			out->items[out->n++] = r;
	rc = 0;
out:
	free(active);
	free(below);
	return rc;
}

/* The revisions "+N" starts from: the rows (POS_NONE for none). */
static int start_revisions(const struct revmap *map, const struct bound *cur,
			   const bool *lineage, struct revlist *out,
			   struct retort_error *err)
{
	struct revlist cands = { NULL, 0 };
	struct token sym;
	int rc = -1;

	if (cur->rows != NULL) {
		if (list_copy(&cands, cur->rows, err) < 0)
			goto out;
	} else {
		sym.s = cur->sym;
		sym.len = strlen(cur->sym);
		if (lineage == NULL) {
			size_t at;

			if (get_revision(map, sym, cur->sym, &at, err) < 0)
				goto out;
			rc = list_one(out, at, err);
			goto out;
		}
		if (get_revisions(map, sym, cur->sym, &cands, err) < 0)
			goto out;
	}
	if (lineage == NULL) {
		*out = cands;
		memset(&cands, 0, sizeof(cands));
	} else {
		keep_in(map, &cands, NULL);
		if (list_copy(out, &cands, err) < 0)
			goto out;
		keep_in(map, out, lineage);
		if (out->n == 0) {
			revlist_release(out);
			if (branch_tips(map, &cands, lineage, out, err) < 0)
				goto out;
		}
	}
	if (out->n == 0) {
		revlist_release(out);
		rc = list_one(out, POS_NONE, err);
		goto out;
	}
	rc = 0;
out:
	revlist_release(&cands);
	return rc;
}

/* "+N", "label@+N": up from the current revision. */
static int upgrade_from_current(const struct revmap *map,
				const struct bound *cur, const char *target,
				const struct target_form *f, bool assert_len,
				struct revlist *out, struct retort_error *err)
{
	struct revlist start = { NULL, 0 };
	bool *lineage = NULL;
	size_t at;
	int rc = -1;

	if (cur->rows == NULL && cur->sym == NULL)
		return needs_current(target, f, err);
	if (walk_lineage(map, f, &lineage, err) < 0 ||
	    start_revisions(map, cur, lineage, &start, err) < 0)
		goto out;
	if (start.n > 1) {
		error_set(err, RETORT_USAGE,
			  "Ambiguous upgrade from multiple current revisions");
		detail_revs(err, map, "current revisions", &start);
		error_hint(
			err,
			"Name a revision to step from, as in 'REV%c%.*s', or a branch, as in 'label@%c%.*s'.",
			f->sign, (int)f->count.len, f->count.s, f->sign,
			(int)f->count.len, f->count.s);
		goto out;
	}
	at = start.items[0];
	rc = walk_from(map, &at, true, f->steps, lineage, assert_len, err);
	if (rc == 1)
		rc = too_far(target, f, err);
	if (rc == 0)
		rc = list_one(out, at, err);
out:
	free(lineage);
	revlist_release(&start);
	return rc;
}

static int upgrade_counts_up(const char *target, const struct target_form *f,
			     struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"cannot upgrade to '%s': a relative upgrade counts up, as '+%.*s'",
		target, (int)f->count.len, f->count.s);
	error_detail(err,
		     "Relative revision %c%.*s didn't produce %zu migrations",
		     f->sign, (int)f->count.len, f->count.s, f->steps);
	error_hint(err, "Use 'downgrade %s' to step back.", target);
	return -1;
}

/*
 * Alembic's _parse_upgrade_target: "+N" from the current revision, REV+N
 * and REV-N from a revision, or get_revisions() of an absolute target.
 * The answer may hold POS_BASE (a walk down to base) or POS_NONE.
 */
static int upgrade_target(const struct revmap *map, const struct bound *cur,
			  const char *target, const struct target_form *f,
			  bool assert_len, struct revlist *out,
			  struct retort_error *err)
{
	struct token whole = { target, strlen(target) };
	size_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if (f->sign == 0)
		return get_revisions(map, whole, target, out, err);
	if (f->sym.len == 0 && step_up(f))
		return upgrade_from_current(map, cur, target, f, assert_len,
					    out, err);
	if (f->sym.len == 0)
		return upgrade_counts_up(target, f, err);
	/* REV+N starts from REV whatever the label; REV-N from label@REV. */
	if (get_revision(map, step_up(f) ? f->sym : f->abs, target, &at, err) <
	    0)
		return -1;
	rc = walk_target(map, f, &at, assert_len, err);
	if (rc == 1)
		return too_far(target, f, err);
	if (rc < 0)
		return -1;
	return list_one(out, at, err);
}

/* ---- targets: where a downgrade goes ---- */

static int walked_too_far(const char *target, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "Walked too far");
	error_detail(
		err,
		"the relative target '%s' goes past the end of its line of history",
		target);
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

static int downgrade_counts_down(const char *target,
				 const struct target_form *f,
				 struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"cannot downgrade to '%s': a relative downgrade counts down, as '-%.*s'",
		target, (int)f->count.len, f->count.s);
	error_detail(err,
		     "Relative revision %c%.*s didn't produce %zu migrations",
		     f->sign, (int)f->count.len, f->count.s, f->steps);
	error_hint(err, "Use 'upgrade %s' to step forward.", target);
	return -1;
}

static int ambiguous_current(const struct revmap *map, const char *target,
			     const struct revlist *rows,
			     struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "downgrade %s from multiple heads is ambiguous", target);
	detail_revs(err, map, "current heads", rows);
	error_hint(
		err,
		"Name a revision to step from, as in 'REV%s', or a branch, as in 'label@%s'.",
		target, target);
	return -1;
}

/*
 * "-N" and "label@-N": the current revision to step down from.  Alembic
 * takes the first of several rows with a warning that this will be
 * disallowed; the rows' order is the table's, so retort refuses.
 */
static int downgrade_start(const struct revmap *map,
			   const struct revstate *state, const char *target,
			   const struct target_form *f, size_t *at,
			   struct retort_error *err)
{
	struct revlist on = { NULL, 0 };
	bool *lineage = NULL;
	int rc = -1;

	if (f->label.len == 0) {
		if (state->rows.n == 0)
			return too_far(target, f, err);
		if (state->rows.n > 1)
			return ambiguous_current(map, target, &state->rows,
						 err);
		*at = state->rows.items[0];
		return 0;
	}
	if (branch_lineage(map, f->label, &lineage, err) < 0 ||
	    list_copy(&on, &state->rows, err) < 0)
		goto out;
	keep_in(map, &on, lineage);
	if (on.n == 0) {
		revlist_release(&on);
		if (revmap_current(map, state, &on, err) < 0)
			goto out;
		keep_in(map, &on, lineage);
	}
	if (on.n == 0)
		rc = too_far(target, f, err);
	else if (on.n > 1)
		rc = ambiguous_current(map, target, &on, err);
	if (on.n != 1)
		goto out;
	*at = on.items[0];
	rc = 0;
out:
	free(lineage);
	revlist_release(&on);
	return rc;
}

/* Where "-N" and "label@-N" from the database lead. */
static int downgrade_from_current(const struct revmap *map,
				  const struct revstate *state,
				  const char *target,
				  const struct target_form *f,
				  struct token *label, size_t *at,
				  struct retort_error *err)
{
	int rc;

	if (state == NULL)
		return needs_current(target, f, err);
	if (downgrade_start(map, state, target, f, at, err) < 0)
		return -1;
	if (f->label.len == 0) {
		/* Alembic narrows the downgrade to the row's branch. */
		label->s = id_of(map, *at);
		label->len = strlen(label->s);
	}
	rc = walk_from(map, at, false, f->steps, NULL, true, err);
	if (rc == 1)
		return too_far(target, f, err);
	return rc;
}

/*
 * Alembic's _parse_downgrade_target: the revision to go down to (POS_NONE
 * for base) and the branch label that narrows a downgrade from a branch
 * point.  An absolute "label@REV" names REV, the label only narrowing.
 */
static int downgrade_target(const struct revmap *map,
			    const struct revstate *state, const char *target,
			    const struct target_form *f, struct token *label,
			    size_t *at, struct retort_error *err)
{
	int rc;

	*label = f->label;
	*at = POS_NONE;
	if (f->sign == 0)
		return get_revision(map, f->sym, target, at, err);
	if (!(f->sign == '-' && f->steps > 0)) {
		if (f->sym.len == 0)
			return downgrade_counts_down(target, f, err);
		if (get_revision(map, f->sym, target, at, err) < 0)
			return -1;
	} else if (f->sym.len == 0) {
		return downgrade_from_current(map, state, target, f, label, at,
					      err);
	} else if (get_revision(map, f->abs, target, at, err) < 0) {
		return -1;
	}
	rc = walk_target(map, f, at, true, err);
	if (rc == 1)
		return walked_too_far(target, err);
	return rc;
}

/* ---- Alembic's walk order ---- */

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

/*
 * Alembic's _topological_sort of the flagged revisions, walking down from
 * heads: newest first, each line of history followed down as far as no
 * other head still needs what comes next.  Upgrades run it reversed.
 */
static int walk_order(const struct revmap *map, const bool *todo,
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

static void reverse(struct revlist *l)
{
	for (size_t i = 0, j = l->n; i + 1 < j; i++, j--) {
		size_t t = l->items[i];

		l->items[i] = l->items[j - 1];
		l->items[j - 1] = t;
	}
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

static int overlap_error(const struct revmap *map, const struct revlist *revs,
			 struct retort_error *err)
{
	bool *below = NULL;
	int rc = -1;

	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	for (size_t k = 0; k < revs->n; k++) {
		const struct revision *r = &map->revs[revs->items[k]];

		memset(below, 0, map->n * sizeof(*below));
		for (size_t j = 0; j < pred_count(r); j++)
			if (mark_reach(map, (size_t[]){ pred_at(r, j) }, 1,
				       EDGE_PARENTS | EDGE_DEPS, below,
				       err) < 0)
				goto out;
		for (size_t j = 0; j < revs->n; j++) {
			if (!below[revs->items[j]])
				continue;
			error_set(
				err, RETORT_USAGE,
				"Requested revision %s overlaps with other requested revisions %s",
				id_of(map, revs->items[k]),
				id_of(map, revs->items[j]));
			error_hint(
				err,
				"Name only revisions none of which builds on another.");
			goto out;
		}
	}
	rc = 0;
out:
	free(below);
	return rc;
}

/*
 * Alembic's check=True: no requested revision may build on another.  One
 * pass marks what every revision builds on; only an overlap pays for
 * finding the pair.
 */
static int check_overlap(const struct revmap *map, const struct revlist *revs,
			 struct retort_error *err)
{
	bool *below = NULL;
	bool overlap = false;
	int rc = -1;

	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	for (size_t k = 0; k < revs->n; k++) {
		const struct revision *r = &map->revs[revs->items[k]];

		for (size_t j = 0; j < pred_count(r); j++)
			if (!below[pred_at(r, j)] &&
			    mark_reach(map, (size_t[]){ pred_at(r, j) }, 1,
				       EDGE_PARENTS | EDGE_DEPS, below,
				       err) < 0)
				goto out;
	}
	for (size_t k = 0; k < revs->n; k++)
		overlap = overlap || below[revs->items[k]];
	rc = overlap ? overlap_error(map, revs, err) : 0;
out:
	free(below);
	return rc;
}

/* The revisions of a target list (POS_BASE and POS_NONE are base). */
static int target_revs(const struct revmap *map, const struct revlist *targets,
		       struct revlist *out, struct retort_error *err)
{
	if (list_copy(out, targets, err) < 0)
		return -1;
	keep_in(map, out, NULL);
	return 0;
}

/* Walk flagged revisions from heads; reversed for an upgrade. */
static int plan_walk(const struct revmap *map, const struct revstate *state,
		     const bool *flag, const struct revlist *heads,
		     enum plan_direction dir, struct plan *out,
		     struct retort_error *err)
{
	struct revlist seq = { NULL, 0 };
	int rc;

	if (walk_order(map, flag, heads, &seq, err) < 0)
		return -1;
	if (dir == PLAN_UPGRADE)
		reverse(&seq);
	rc = build_plan(map, state, &seq, dir, out, err);
	revlist_release(&seq);
	return rc;
}

/* Everything the targets need, parents and dependencies, not yet applied. */
static int plan_upgrade(const struct revmap *map, const struct revstate *state,
			const struct revlist *targets, struct plan *out,
			struct retort_error *err)
{
	struct revlist revs = { NULL, 0 };
	bool *need = NULL;
	int rc = -1;

	need = zalloc(map->n, sizeof(*need));
	if (need == NULL) {
		oom(err);
		goto out;
	}
	if (target_revs(map, targets, &revs, err) < 0 ||
	    check_overlap(map, &revs, err) < 0 ||
	    mark_below(map, &revs, need, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		need[r] = need[r] && !is_applied(state, r);
	rc = plan_walk(map, state, need, &revs, PLAN_UPGRADE, out, err);
out:
	revlist_release(&revs);
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

static int no_root_on_branch(const struct revmap *map, struct token label,
			     const struct revlist *roots,
			     struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "Not a valid downgrade target from current heads");
	error_detail(err, "no revision to drop is on branch '%.*s'",
		     (int)label.len, label.s);
	detail_revs(err, map, "the revisions above the target", roots);
	error_hint(err, "Name the branch of the line to downgrade.");
	return -1;
}

/* Of several roots, a label keeps those below its revision. */
static int narrow_roots(const struct revmap *map, struct token label,
			struct revlist *roots, struct retort_error *err)
{
	bool *below = NULL;
	size_t root;
	int rc = -1;

	if (label.len == 0 || roots->n <= 1)
		return 0;
	below = zalloc(map->n, sizeof(*below));
	if (below == NULL)
		return oom(err);
	if (ident_plain(map, label, &root, err) < 0 ||
	    mark_reach(map, &root, 1, EDGE_PARENTS, below, err) < 0)
		goto out;
	keep_in(map, roots, below);
	rc = roots->n == 0 ? no_root_on_branch(map, label, roots, err) : 0;
out:
	free(below);
	return rc;
}

/*
 * Alembic's _collect_downgrade_revisions: drop what grows from the
 * target's children (all bases for base), through depends_on too, that
 * the database has applied.
 */
static int plan_downgrade(const struct revmap *map,
			  const struct revstate *state, const char *target,
			  const struct target_form *f, struct plan *out,
			  struct retort_error *err)
{
	struct revlist roots = { NULL, 0 };
	struct token label;
	bool *drop = NULL;
	bool any = false;
	size_t at;
	int rc = -1;

	if (downgrade_target(map, state, target, f, &label, &at, err) < 0)
		return -1;
	drop = zalloc(map->n, sizeof(*drop));
	if (drop == NULL) {
		oom(err);
		goto out;
	}
	if (list_copy(&roots,
		      is_rev(map, at) ? &map->revs[at].children : &map->bases,
		      err) < 0 ||
	    narrow_roots(map, label, &roots, err) < 0 ||
	    mark_reach(map, roots.items, roots.n,
		       EDGE_CHILDREN | EDGE_DEPENDENTS, drop, err) < 0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		any = (drop[r] = drop[r] && is_applied(state, r)) || any;
	if (is_rev(map, at) && !any && !revlist_has(&state->rows, at)) {
		not_a_downgrade_target(map, state, target, err);
		goto out;
	}
	rc = plan_walk(map, state, drop, &state->rows, PLAN_DOWNGRADE, out,
		       err);
out:
	revlist_release(&roots);
	free(drop);
	return rc;
}

/* "upgrade -1" and "downgrade +1": Alembic refuses them too. */
static int check_direction(enum plan_direction dir, const char *target,
			   const struct target_form *f,
			   struct retort_error *err)
{
	if (f->sign == 0 || f->abs.len > 0)
		return 0;
	if (dir == PLAN_UPGRADE && f->sign == '-')
		return upgrade_counts_up(target, f, err);
	if (dir == PLAN_DOWNGRADE && f->sign == '+')
		return downgrade_counts_down(target, f, err);
	return 0;
}

int revmap_plan(const struct revmap *map, const struct revstate *state,
		enum plan_direction direction, const char *target,
		struct plan *out, struct retort_error *err)
{
	const struct revstate empty = { NULL, { NULL, 0 } };
	struct revlist targets = { NULL, 0 };
	struct target_form f;
	struct bound cur;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (state == NULL)
		state = &empty; /* no state: a database with nothing applied */
	cur.rows = &state->rows;
	cur.sym = NULL;
	if (parse_target(target, &f, err) < 0 ||
	    check_direction(direction, target, &f, err) < 0)
		goto out;
	if (direction == PLAN_DOWNGRADE) {
		rc = plan_downgrade(map, state, target, &f, out, err);
		goto out;
	}
	if (upgrade_target(map, &cur, target, &f, true, &targets, err) < 0)
		goto out;
	rc = plan_upgrade(map, state, &targets, out, err);
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

int revmap_resolve(const struct revmap *map, const struct revstate *state,
		   const char *target, struct revlist *out,
		   struct retort_error *err)
{
	struct target_form f;
	struct bound cur = { state != NULL ? &state->rows : NULL, NULL };

	size_t at;
	struct token label;

	memset(out, 0, sizeof(*out));
	if (parse_target(target, &f, err) < 0)
		return -1;
	/* "-N" from the database: where a downgrade would go. */
	if (f.sign == '-' && f.steps > 0 && f.sym.len == 0) {
		if (downgrade_from_current(map, state, target, &f, &label, &at,
					   err) < 0)
			return -1;
		return is_rev(map, at) ? list_one(out, at, err) : 0;
	}
	if (upgrade_target(map, &cur, target, &f, true, out, err) < 0) {
		revlist_release(out);
		return -1;
	}
	keep_in(map, out, NULL);
	return 0;
}

int revmap_lookup(const struct revmap *map, const char *symbol,
		  struct revlist *out, struct retort_error *err)
{
	struct target_form f;
	struct token whole;

	memset(out, 0, sizeof(*out));
	if (parse_target(symbol, &f, err) < 0)
		return -1;
	whole.s = symbol;
	whole.len = strlen(symbol);
	if (get_revisions(map, whole, symbol, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++) {
		if (is_rev(map, out->items[k]))
			continue;
		error_set(err, RETORT_USAGE, "'%s' walks past base", symbol);
		error_hint(
			err,
			"Use a smaller step; 'retort history' shows the revisions.");
		revlist_release(out);
		return -1;
	}
	return 0;
}

int revmap_current(const struct revmap *map, const struct revstate *state,
		   struct revlist *out, struct retort_error *err)
{
	memset(out, 0, sizeof(*out));
	out->items = zalloc(map->n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	for (size_t r = 0; r < map->n; r++) {
		const struct revlist *c = &map->revs[r].children;
		bool top = is_applied(state, r);

		for (size_t k = 0; top && k < c->n; k++)
			top = !is_applied(state, c->items[k]);
		if (top)
			out->items[out->n++] = r;
	}
	return 0;
}

/* ---- history ---- */

static int range_syntax(const char *range, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "History range requires [start]:[end], [start]:, or :[end]");
	error_detail(err, "the range given: '%s'", range);
	error_hint(
		err,
		"Write -r A:B, A: or :B; each end is a target such as base, heads, current or a revision.");
	return -1;
}

static bool is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* command.history's rev_range.strip().split(":") into two strings. */
static int split_range(const char *range, char **lower, char **upper,
		       struct retort_error *err)
{
	const char *s = range, *e = range + strlen(range), *colon;

	*lower = *upper = NULL;
	while (s < e && is_py_space(*s))
		s++;
	while (e > s && is_py_space(e[-1]))
		e--;
	colon = memchr(s, ':', (size_t)(e - s));
	if (colon == NULL || memchr(colon + 1, ':', (size_t)(e - colon - 1)))
		return range_syntax(range, err);
	*lower = strndup(s, (size_t)(colon - s));
	*upper = strndup(colon + 1, (size_t)(e - colon - 1));
	if (*lower == NULL || *upper == NULL)
		return oom(err);
	return 0;
}

bool revmap_range_needs_current(const char *range)
{
	struct retort_error err;
	char *lower = NULL, *upper = NULL;
	bool needs = false;

	if (range != NULL && split_range(range, &lower, &upper, &err) == 0)
		needs = strcmp(lower, "current") == 0 ||
			strcmp(upper, "current") == 0;
	free(lower);
	free(upper);
	return needs;
}

static int not_an_ancestor(const char *lower, const char *upper,
			   struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"Requested range %s:%s does not refer to ancestor/descendant revisions along the same branch",
		lower, upper);
	error_detail(err, "Revision %s is not an ancestor of revision %s",
		     lower, upper);
	error_hint(
		err,
		"Give a start that the end builds on; 'retort history' shows the revisions.");
	return -1;
}

static int past_base(const char *what, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "history range end '%s' walks past base",
		  what);
	error_hint(err,
		   "Use a smaller step; 'retort history' shows the revisions.");
	return -1;
}

/* A history range's end: the database's rows, or a symbol. */
static const char *bound_name(const struct bound *b)
{
	return b->rows != NULL ? "current" : b->sym;
}

/* The range's end as Alembic's iterate_revisions reads its upper. */
static int range_targets(const struct revmap *map, const struct bound *lower,
			 const struct bound *upper, struct revlist *out,
			 struct retort_error *err)
{
	struct target_form f;

	if (upper->rows != NULL)
		return list_copy(out, upper->rows, err);
	if (parse_target(upper->sym, &f, err) < 0 ||
	    upgrade_target(map, lower, upper->sym, &f, false, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++)
		if (!is_rev(map, out->items[k]))
			return past_base(upper->sym, err);
	return 0;
}

/* The one label on rev's line, for "REV@..." as a range's start. */
static int sole_label(const struct revmap *map, size_t rev, struct token *out,
		      struct retort_error *err)
{
	const struct revlist *owners = &map->revs[rev].label_revs;
	size_t count = 0;

	for (size_t k = 0; k < owners->n; k++) {
		const struct revision *o = &map->revs[owners->items[k]];

		count += o->nlabels;
		if (o->nlabels > 0) {
			out->s = o->labels[0];
			out->len = strlen(o->labels[0]);
		}
	}
	if (count == 1)
		return 0;
	error_set(
		err, RETORT_USAGE,
		"revision %s used as a branch must carry exactly one branch label",
		id_of(map, rev));
	error_detail(err, "it carries %zu", count);
	error_hint(err,
		   "Start the range from a branch label, as in 'label@base:'.");
	return -1;
}

/* A start "label@...": only ends on that branch count. */
static int range_branch(const struct revmap *map, const struct bound *lower,
			struct revlist *targets, struct retort_error *err)
{
	const char *at;
	struct token branch;
	size_t rev, kept;

	if (lower->rows != NULL || (at = strchr(lower->sym, '@')) == NULL)
		return 0;
	branch.s = lower->sym;
	branch.len = (size_t)(at - lower->sym);
	if (get_revision(map, branch, lower->sym, &rev, err) < 0)
		return -1;
	if (is_rev(map, rev) && tok_is(branch, id_of(map, rev)) &&
	    sole_label(map, rev, &branch, err) < 0)
		return -1;
	kept = 0;
	for (size_t k = 0; k < targets->n; k++)
		if (has_label_named(map, targets->items[k], branch))
			targets->items[kept++] = targets->items[k];
	targets->n = kept;
	return 0;
}

/*
 * A start "-N" whose walk down from the first head runs past base: Alembic
 * then steps N down from the range's end (as a downgrade target read
 * against it), stopping at base.
 */
static int range_start_again(const struct revmap *map,
			     const struct bound *lower,
			     const struct bound *upper, struct revlist *out,
			     struct retort_error *err)
{
	struct target_form f;
	const char *from;
	char both[2 * REVMAP_ID_MAX + 8];
	struct token sym;
	size_t at;

	revlist_release(out);
	if (parse_target(lower->sym, &f, err) < 0)
		return -1;
	if (f.label.len > 0 || f.sym.len > 0)
		return past_base(lower->sym, err);
	from = upper->rows != NULL ? id_of(map, upper->rows->items[0])
				   : upper->sym;
	snprintf(both, sizeof(both), "%s@%s", from, from);
	sym.s = both;
	sym.len = strlen(both);
	if (strlen(from) > REVMAP_ID_MAX ||
	    get_revision(map, sym, lower->sym, &at, err) < 0 ||
	    walk_from(map, &at, false, f.steps, NULL, false, err) < 0)
		return -1;
	if (is_rev(map, at))
		return list_one(out, at, err);
	return 0;
}

/* The range's start: the revisions it names, each below the end. */
static int range_start(const struct revmap *map, const struct bound *lower,
		       const struct bound *upper, const bool *required,
		       struct revlist *out, struct retort_error *err)
{
	struct token sym;

	if (lower->rows != NULL) {
		if (list_copy(out, lower->rows, err) < 0)
			return -1;
	} else {
		sym.s = lower->sym;
		sym.len = strlen(lower->sym);
		if (get_revisions(map, sym, lower->sym, out, err) < 0)
			return -1;
	}
	for (size_t k = 0; k < out->n; k++) {
		size_t r = out->items[k];

		if (r != POS_NONE && (!is_rev(map, r) || !required[r]))
			return not_an_ancestor(bound_name(lower),
					       bound_name(upper), err);
	}
	if (out->n > 0 && out->items[0] == POS_NONE &&
	    range_start_again(map, lower, upper, out, err) < 0)
		return -1;
	for (size_t k = 0; k < out->n; k++)
		if (!is_rev(map, out->items[k]))
			return past_base(bound_name(lower), err);
	return check_overlap(map, out, err);
}

/*
 * Alembic's walk_revisions(base, head): iterate_revisions(head, base,
 * inclusive=True) as _collect_upgrade_revisions reads it.
 */
static int walk_range(const struct revmap *map, const struct bound *lower,
		      const struct bound *upper, struct revlist *out,
		      struct retort_error *err)
{
	struct revlist targets = { NULL, 0 }, start = { NULL, 0 };
	bool *required = NULL, *below = NULL, *above = NULL;
	int rc = -1;

	required = zalloc(map->n, sizeof(*required));
	below = zalloc(map->n, sizeof(*below));
	above = zalloc(map->n, sizeof(*above));
	if (required == NULL || below == NULL || above == NULL) {
		oom(err);
		goto out;
	}
	if (range_targets(map, lower, upper, &targets, err) < 0 ||
	    range_branch(map, lower, &targets, err) < 0 ||
	    check_overlap(map, &targets, err) < 0 ||
	    mark_below(map, &targets, required, err) < 0 ||
	    range_start(map, lower, upper, required, &start, err) < 0 ||
	    mark_below(map, &start, below, err) < 0 ||
	    mark_reach(map, start.items, start.n, EDGE_CHILDREN, above, err) <
		    0)
		goto out;
	for (size_t r = 0; r < map->n; r++)
		required[r] = required[r] && !below[r];
	for (size_t k = 0; k < start.n; k++)
		required[start.items[k]] = true;
	for (size_t r = 0; start.n > 0 && r < map->n; r++)
		required[r] = required[r] && above[r];
	rc = walk_order(map, required, &targets, out, err);
out:
	revlist_release(&targets);
	revlist_release(&start);
	free(required);
	free(below);
	free(above);
	return rc;
}

static int range_needs_db(struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"history range 'current' needs the database's current revision");
	error_hint(err, "Connect to the database, or name a revision.");
	return -1;
}

/* "current" becomes the rows; an empty end (or no rows) its default. */
static int range_bounds(const char *lower_s, const char *upper_s,
			const struct revlist *current, struct bound *lower,
			struct bound *upper, struct retort_error *err)
{
	lower->rows = upper->rows = NULL;
	lower->sym = lower_s;
	upper->sym = upper_s;
	if (strcmp(upper_s, "current") == 0)
		upper->rows = current;
	else if (strcmp(lower_s, "current") == 0)
		lower->rows = current;
	if ((upper->rows == NULL && strcmp(upper_s, "current") == 0) ||
	    (lower->rows == NULL && strcmp(lower_s, "current") == 0 &&
	     strcmp(upper_s, "current") != 0))
		return range_needs_db(err);
	if ((upper->rows != NULL && upper->rows->n == 0) ||
	    (upper->rows == NULL && upper_s[0] == '\0')) {
		upper->rows = NULL;
		upper->sym = "heads";
	}
	if ((lower->rows != NULL && lower->rows->n == 0) ||
	    (lower->rows == NULL && lower_s[0] == '\0')) {
		lower->rows = NULL;
		lower->sym = "base";
	}
	return 0;
}

int revmap_history(const struct revmap *map, const char *range,
		   const struct revlist *current, struct revlist *out,
		   struct retort_error *err)
{
	struct bound lower = { NULL, "base" }, upper = { NULL, "heads" };
	char *lower_s = NULL, *upper_s = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (range != NULL &&
	    (split_range(range, &lower_s, &upper_s, err) < 0 ||
	     range_bounds(lower_s, upper_s, current, &lower, &upper, err) < 0))
		goto out;
	rc = walk_range(map, &lower, &upper, out, err);
out:
	free(lower_s);
	free(upper_s);
	return rc;
}

/* ---- stamp ---- */

void stamp_plan_release(struct stamp_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t k = 0; k < plan->n; k++) {
		revlist_release(&plan->steps[k].from);
		revlist_release(&plan->steps[k].to);
		revlist_release(&plan->steps[k].remove);
		revlist_release(&plan->steps[k].insert);
	}
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}

/* What a stamp target shares its line with (Alembic's shares): the
 * label's revision and the revisions the symbol names. */
static int stamp_anchors(const struct revmap *map, const struct symbol *s,
			 struct revlist *out, struct retort_error *err)
{
	size_t rev;

	out->items = zalloc(s->revs.n + 2, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	if (s->label.len > 0) {
		if (ident_plain(map, s->label, &rev, err) < 0)
			return -1;
		out->items[out->n++] = rev;
	}
	if (s->keyword) {
		for (size_t k = 0; k < s->revs.n; k++)
			out->items[out->n++] = s->revs.items[k];
	} else {
		if (ident_plain(map, s->id, &rev, err) < 0)
			return -1;
		out->items[out->n++] = rev;
	}
	return 0;
}

/* Append to filtered the rows that share a line with target (Alembic's
 * filter_for_lineage with dependencies), each row once. */
static int stamp_filter(const struct revmap *map, const struct revlist *rows,
			const char *target, struct revlist *filtered,
			struct retort_error *err)
{
	struct token sym = { target, strlen(target) };
	struct revlist anchors = { NULL, 0 };
	struct symbol s;
	bool *mark = NULL;
	int rc = -1;

	if (read_symbol(map, sym, target, false, &s, err) < 0)
		goto out;
	if (rows->n == 0) {
		rc = 0;
		goto out;
	}
	mark = zalloc(map->n, sizeof(*mark));
	if (mark == NULL) {
		oom(err);
		goto out;
	}
	if (stamp_anchors(map, &s, &anchors, err) < 0 ||
	    mark_lineage(map, &anchors, true, mark, err) < 0)
		goto out;
	for (size_t k = 0; k < rows->n; k++) {
		size_t r = rows->items[k];

		if ((anchors.n == 0 || mark[r]) && !revlist_has(filtered, r))
			filtered->items[filtered->n++] = r;
	}
	rc = 0;
out:
	free(mark);
	revlist_release(&anchors);
	symbol_release(&s);
	return rc;
}

/* The destinations: every target's revisions, or base (POS_NONE). */
static int stamp_dests(const struct revmap *map, const char *const *targets,
		       size_t ntargets, struct revlist *out,
		       struct retort_error *err)
{
	struct revlist one = { NULL, 0 };
	size_t *grown;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < ntargets; k++) {
		struct token sym = { targets[k], strlen(targets[k]) };

		if (get_revisions(map, sym, targets[k], &one, err) < 0)
			return -1;
		/* Alembic crashes on a walk that ends at base. */
		if (revlist_has(&one, POS_BASE)) {
			revlist_release(&one);
			error_set(err, RETORT_USAGE,
				  "stamp target '%s' walks down to base",
				  targets[k]);
			error_hint(err, "Stamp base, or use a smaller step.");
			return -1;
		}
		grown = realloc(out->items,
				(out->n + one.n + 1) * sizeof(*out->items));
		if (grown == NULL) {
			revlist_release(&one);
			return oom(err);
		}
		out->items = grown;
		if (one.n > 0)
			memcpy(out->items + out->n, one.items,
			       one.n * sizeof(*one.items));
		out->n += one.n;
		revlist_release(&one);
	}
	if (out->n > 0)
		return 0;
	revlist_release(out);
	return list_one(out, POS_NONE, err);
}

static int stamp_conflict(const struct revmap *map, size_t rev, bool twice,
			  struct retort_error *err)
{
	if (twice)
		error_set(
			err, RETORT_USAGE,
			"stamp targets conflict: revision %s would be in the version table twice",
			id_of(map, rev));
	else
		error_set(
			err, RETORT_USAGE,
			"stamp targets conflict: revision %s was already moved by an earlier target",
			id_of(map, rev));
	error_detail(err, "Alembic's stamp fails on these targets as well");
	error_hint(
		err,
		"Stamp the targets one at a time, or stamp with --purge and the full list of heads.");
	return -1;
}

/* HeadMaintainer's row operations on a StampStep. */
static int row_delete(const struct revmap *map, bool *row,
		      struct stamp_step *st, size_t rev,
		      struct retort_error *err)
{
	if (!row[rev])
		return stamp_conflict(map, rev, false, err);
	row[rev] = false;
	st->remove.items[st->remove.n++] = rev;
	return 0;
}

static int row_insert(const struct revmap *map, bool *row,
		      struct stamp_step *st, size_t rev,
		      struct retort_error *err)
{
	if (row[rev])
		return stamp_conflict(map, rev, true, err);
	row[rev] = true;
	st->insert.items[st->insert.n++] = rev;
	return 0;
}

static bool any_missing(const bool *row, const struct revlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		if (!row[l->items[k]])
			return true;
	return false;
}

/* runtime.migration.HeadMaintainer.update_to_step for a StampStep. */
static int stamp_rows(const struct revmap *map, bool *row,
		      struct stamp_step *st, bool up, bool move,
		      struct retort_error *err)
{
	const struct revlist *from = &st->from, *to = &st->to;

	if (!up && move)
		return row_delete(map, row, st, from->items[0], err);
	if (up && (move || any_missing(row, from)) && any_missing(row, to))
		return row_insert(map, row, st, to->items[0], err);
	for (size_t k = 0; k + 1 < from->n; k++)
		if (row_delete(map, row, st, from->items[k], err) < 0)
			return -1;
	if (from->n == 0 || to->n == 0)
		return stamp_conflict(
			map, to->n ? to->items[0] : from->items[0], true, err);
	if (row[to->items[0]])
		return stamp_conflict(map, to->items[0], true, err);
	if (row_delete(map, row, st, from->items[from->n - 1], err) < 0)
		return -1;
	return row_insert(map, row, st, to->items[0], err);
}

static int stamp_step_add(const struct revmap *map, struct stamp_plan *plan,
			  bool *row, const struct revlist *from, size_t to,
			  bool up, bool move, struct retort_error *err)
{
	struct stamp_step *st = &plan->steps[plan->n++];

	if (list_copy(&st->from, from, err) < 0)
		return -1;
	st->to.items = zalloc(1, sizeof(*st->to.items));
	st->remove.items = zalloc(from->n + 1, sizeof(*st->remove.items));
	st->insert.items = zalloc(1, sizeof(*st->insert.items));
	if (st->to.items == NULL || st->remove.items == NULL ||
	    st->insert.items == NULL)
		return oom(err);
	if (to != POS_NONE)
		st->to.items[st->to.n++] = to;
	return stamp_rows(map, row, st, up, move, err);
}

/* Does any of filtered lie on the given side of dest? */
static int stamp_side(const struct revmap *map, size_t dest, unsigned edges,
		      const struct revlist *filtered, bool *hit,
		      struct retort_error *err)
{
	bool *mark = zalloc(map->n, sizeof(*mark));

	if (mark == NULL)
		return oom(err);
	if (mark_reach(map, &dest, 1, edges, mark, err) < 0) {
		free(mark);
		return -1;
	}
	*hit = false;
	for (size_t k = 0; k < filtered->n; k++)
		*hit = *hit || mark[filtered->items[k]];
	free(mark);
	return 0;
}

/* Alembic's _stamp_revs for one destination. */
static int stamp_dest(const struct revmap *map, struct stamp_plan *plan,
		      bool *row, const struct revlist *filtered, size_t dest,
		      struct retort_error *err)
{
	const struct revlist none = { NULL, 0 };
	bool above, below;

	if (dest == POS_NONE) {
		for (size_t k = 0; k < filtered->n; k++) {
			struct revlist one = { &filtered->items[k], 1 };

			if (stamp_step_add(map, plan, row, &one, POS_NONE,
					   false, true, err) < 0)
				return -1;
		}
		return 0;
	}
	if (revlist_has(filtered, dest))
		return 0;
	if (stamp_side(map, dest, EDGE_CHILDREN | EDGE_DEPENDENTS, filtered,
		       &above, err) < 0)
		return -1;
	if (above)
		return stamp_step_add(map, plan, row, filtered, dest, false,
				      false, err);
	if (stamp_side(map, dest, EDGE_PARENTS | EDGE_DEPS, filtered, &below,
		       err) < 0)
		return -1;
	if (below)
		return stamp_step_add(map, plan, row, filtered, dest, true,
				      false, err);
	return stamp_step_add(map, plan, row, &none, dest, true, true, err);
}

static int stamp_run(const struct revmap *map, const struct revlist *rows,
		     const struct revlist *filtered,
		     const struct revlist *dests, struct stamp_plan *out,
		     struct retort_error *err)
{
	bool *row = zalloc(map->n, sizeof(*row));
	int rc = 0;

	out->steps = zalloc(dests->n * (filtered->n + 1), sizeof(*out->steps));
	if (row == NULL || out->steps == NULL) {
		free(row);
		return oom(err);
	}
	for (size_t k = 0; k < rows->n; k++)
		row[rows->items[k]] = true;
	for (size_t k = 0; k < dests->n && rc == 0; k++)
		rc = stamp_dest(map, out, row, filtered, dests->items[k], err);
	free(row);
	return rc;
}

int revmap_stamp(const struct revmap *map, const struct revlist *rows,
		 const char *const *targets, size_t ntargets,
		 struct stamp_plan *out, struct retort_error *err)
{
	static const char *const base[] = { "base" };
	struct revlist filtered = { NULL, 0 }, dests = { NULL, 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ntargets == 0) {
		targets = base;
		ntargets = 1;
	}
	filtered.items = zalloc(rows->n, sizeof(*filtered.items));
	if (filtered.items == NULL) {
		oom(err);
		goto out;
	}
	for (size_t k = 0; k < ntargets; k++)
		if (targets[k][0] != '\0' &&
		    stamp_filter(map, rows, targets[k], &filtered, err) < 0)
			goto out;
	if (stamp_dests(map, targets, ntargets, &dests, err) < 0)
		goto out;
	rc = stamp_run(map, rows, &filtered, &dests, out, err);
out:
	if (rc < 0)
		stamp_plan_release(out);
	revlist_release(&filtered);
	revlist_release(&dests);
	return rc;
}

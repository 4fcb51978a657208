/*
 * symbol.c - Alembic's symbols resolved against the graph: keywords, ids,
 * branch labels, unique prefixes, "label@SYM" and "-N".  Pure: no I/O.
 */
#include "graph/symbol.h"

#include <string.h>

#include "base/strbuf.h"
#include "graph/mark.h"
#include "graph/revlist.h"
#include "graph/suggest.h"
#include "graph/table.h"
#include "graph/walk.h"

/* ---- identifiers ---- */

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
			fn(id_of(map, i), i, ctx);
		}
	}
	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < map->revs[i].nlabels; k++) {
			if (key_matches(map->revs[i].labels[k], p, i,
					lineage)) {
				found++;
				fn(map->revs[i].labels[k], i, ctx);
			}
		}
	}
	return found;
}

/* Remember the revision of the one key that matched. */
static void key_rev(const char *key, size_t rev, void *ctx)
{
	(void)key;
	*(size_t *)ctx = rev;
}

/* "a1f0, a2e9" for the keys that start with a prefix. */
static void key_join(const char *key, size_t rev, void *ctx)
{
	struct strbuf *keys = ctx;

	(void)rev;
	if (keys->len > 0)
		strbuf_add(keys, ", ");
	strbuf_add(keys, key);
}

struct key_detail {
	const struct revmap *map;
	struct retort_error *err;
};

/* "key: file" for each candidate of an ambiguous prefix. */
static void detail_key(const char *key, size_t rev, void *ctx)
{
	struct key_detail *kd = ctx;

	error_detail(kd->err, "%s: %s", key, path_of(kd->map->revs[rev].meta));
}

/* Whether t starts an id or label of three characters or fewer, which
 * Alembic's prefix matching passes over: "00" for 001. */
static bool starts_short_key(const struct revmap *map, struct token t)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct revision *r = &map->revs[i];

		if (strlen(id_of(map, i)) <= 3 &&
		    strncmp(id_of(map, i), t.s, t.len) == 0)
			return true;
		for (size_t k = 0; k < r->nlabels; k++)
			if (strlen(r->labels[k]) <= 3 &&
			    strncmp(r->labels[k], t.s, t.len) == 0)
				return true;
	}
	return false;
}

static int cant_locate(const struct revmap *map, struct token t,
		       struct retort_error *err)
{
	struct strbuf near = STRBUF_INIT;

	error_set(err, RETORT_USAGE,
		  "Can't locate revision identified by '%.*s'", (int)t.len,
		  t.s);
	if (starts_short_key(map, t))
		error_detail(
			err,
			"a prefix names only ids and branch labels of four characters or more, as in Alembic; \"%.*s\" starts only shorter ones",
			(int)t.len, t.s);
	if (suggest_targets(map, t.s, t.len, &near) > 0 && !near.failed)
		error_hint(
			err,
			"Did you mean %s? `retort history` lists the revisions.",
			strbuf_str(&near));
	else
		error_hint(
			err,
			"Name a revision by its id, a unique prefix of it or a branch label; 'retort history' lists them.");
	strbuf_release(&near);
	return -1;
}

static int ambiguous_prefix(const struct revmap *map, struct token p,
			    const bool *lineage, struct retort_error *err)
{
	struct strbuf keys = STRBUF_INIT;
	struct key_detail kd = { map, err };

	each_key(map, p, lineage, key_join, &keys);
	error_set(err, RETORT_USAGE, "Multiple revisions start with '%.*s': %s",
		  (int)p.len, p.s, strbuf_str(&keys));
	strbuf_release(&keys);
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
	revlist_detail(map, "heads", heads, err);
	error_hint(
		err,
		"Name one head: by its id, as 'label@head', or upgrade to 'heads'.");
	return -1;
}

/*
 * Alembic's _revision_for_ident: an id, a branch label, or a unique
 * prefix of one; lineage (when not NULL) narrows the prefixes and must
 * hold the answer, which is then a member of branch.
 */
static int ident(const struct revmap *map, struct token t, const bool *lineage,
		 struct token branch, size_t *rev, struct retort_error *err)
{
	size_t found, match;

	if (!table_find(&map->index->ids, t.s, t.len, rev) &&
	    !table_find(&map->index->labels, t.s, t.len, rev)) {
		if (t.len == 0)
			return cant_locate(map, t, err);
		found = each_key(map, t, lineage, key_rev, &match);
		if (found == 0)
			return cant_locate(map, t, err);
		if (found > 1)
			return ambiguous_prefix(map, t, lineage, err);
		*rev = match;
	}
	if (lineage != NULL && !lineage[*rev])
		return not_member(map, *rev, branch, err);
	return 0;
}

int symbol_ident(const struct revmap *map, struct token t, size_t *rev,
		 struct retort_error *err)
{
	struct token none = { "", 0 };

	return ident(map, t, NULL, none, rev, err);
}

int symbol_branch_lineage(const struct revmap *map, struct token label,
			  bool **out, struct retort_error *err)
{
	size_t root;

	*out = NULL;
	if (label.len == 0)
		return 0;
	if (symbol_ident(map, label, &root, err) < 0)
		return -1;
	return mark_lineage_of(map, root, out, err);
}

/* ---- Alembic's get_revisions() ---- */

void symbol_release(struct symbol *s)
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
		return revlist_copy(out, from, err);
	out->items = zalloc(map->heads.n, sizeof(*out->items));
	if (out->items == NULL)
		return oom(err);
	for (size_t k = 0; k < map->heads.n; k++)
		if (s->lineage[map->heads.items[k]])
			out->items[out->n++] = map->heads.items[k];
	return 0;
}

int symbol_read(const struct revmap *map, struct token sym, const char *arg,
		bool strict, struct symbol *s, struct retort_error *err)
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
	if (symbol_branch_lineage(map, s->label, &s->lineage, err) < 0)
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

bool symbol_has_label(const struct revmap *map, size_t rev, struct token name)
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

		if (s->label.len > 0 && !symbol_has_label(map, at, s->label))
			continue;
		if (walk_from(map, &at, false, steps, NULL, true, err) < 0)
			return -1;
		out->items[out->n++] = at;
	}
	return 0;
}

int symbol_revisions(const struct revmap *map, struct token sym,
		     const char *arg, struct revlist *out,
		     struct retort_error *err)
{
	struct symbol s;
	size_t steps, rev;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (symbol_read(map, sym, arg, false, &s, err) < 0)
		goto out;
	if (s.keyword) {
		*out = s.revs;
		memset(&s.revs, 0, sizeof(s.revs));
		rc = 0;
	} else if (is_negative(s.id, &steps)) {
		rc = heads_walked_down(map, &s, steps, out, err);
	} else if (ident(map, s.id, s.lineage, s.label, &rev, err) == 0) {
		rc = revlist_one(out, rev, err);
	}
out:
	symbol_release(&s);
	if (rc < 0)
		revlist_release(out);
	return rc;
}

int symbol_revision(const struct revmap *map, struct token sym, const char *arg,
		    size_t *rev, struct retort_error *err)
{
	struct symbol s;
	int rc = -1;

	*rev = POS_NONE;
	if (symbol_read(map, sym, arg, true, &s, err) < 0)
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

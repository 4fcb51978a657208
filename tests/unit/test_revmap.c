/*
 * test_revmap.c - unit tests for the revision graph (graph/revmap.h):
 * building and validating the graph, heads, bases and order, the database
 * state, Alembic's target grammar, and upgrade and downgrade plans with
 * their version-table rows.  Pure: no files, no database.
 */
#include "graph/revmap.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define REV(i, d)                                                              \
	{                                                                      \
		.id = i, .down_revision = d, .path = "versions/" i ".c"        \
	}
#define REVX(i, d, labels, deps)                                               \
	{                                                                      \
		.id = i, .down_revision = d, .branch_labels = labels,          \
		.depends_on = deps, .path = "versions/" i ".c"                 \
	}

#define REVD(i, date)                                                          \
	{                                                                      \
		.id = i, .create_date = date, .path = "versions/" i ".c"       \
	}

#define assert_ok(call, err)                                                   \
	ck_assert_msg((call) == 0, "%s failed: %s [%s]", #call, (err).msg,     \
		      (err).detail)

/* ---- the graphs ---- */

/* Hex-like ids, so that prefixes can be unique or ambiguous. */
static const struct revision_meta linear[] = {
	REVX("a1f0", NULL, "core", NULL),
	REV("a2e9", "a1f0"),
	REV("b3d8", "a2e9"),
	REV("c4c7", "b3d8"),
};

static const struct revision_meta chain[] = {
	REV("a", NULL),
	REV("b", "a"),
	REV("c", "b"),
	REV("d", "c"),
};

/* a is a branch point: a -> b -> d, a -> c. */
static const struct revision_meta branched[] = {
	REV("a", ""),
	REVX("b", "a", "main", NULL),
	REVX("c", "a", "feat", NULL),
	REV("d", "b"),
};

/* m merges b and c. */
static const struct revision_meta merged[] = {
	REV("a", NULL),	  REV("b", "a"), REV("c", "a"),
	REV("m", "b, c"), REV("n", "m"),
};

/* Two independent histories. */
static const struct revision_meta two_bases[] = {
	REV("a", NULL),
	REV("b", "a"),
	REVX("x", NULL, "other", NULL),
	REV("y", "x"),
};

/* x is a base of its own but needs b first. */
static const struct revision_meta deps[] = {
	REV("a", NULL),
	REV("b", "a"),
	REVX("x", NULL, NULL, "b"),
	REV("y", "x"),
};

/* Ids of three characters, which no prefix matches (as in Alembic). */
static const struct revision_meta numbered[] = {
	REV("001", NULL),
	REV("002", "001"),
	REV("003", "002"),
};

enum graph {
	G_LINEAR,
	G_CHAIN,
	G_BRANCHED,
	G_MERGED,
	G_BASES,
	G_DEPS,
	G_NUMBERED
};

static const struct {
	const struct revision_meta *metas;
	size_t n;
} graphs[] = {
	[G_LINEAR] = { linear, N(linear) },
	[G_CHAIN] = { chain, N(chain) },
	[G_BRANCHED] = { branched, N(branched) },
	[G_MERGED] = { merged, N(merged) },
	[G_BASES] = { two_bases, N(two_bases) },
	[G_DEPS] = { deps, N(deps) },
	[G_NUMBERED] = { numbered, N(numbered) },
};

/* ---- helpers ---- */

static struct revmap *build_ok(const struct revision_meta *metas, size_t n)
{
	struct revmap *map = NULL;
	struct retort_error err;

	error_clear(&err);
	assert_ok(revmap_build(metas, n, &map, &err), err);
	ck_assert_ptr_nonnull(map);
	ck_assert_int_eq(map->n, n);
	return map;
}

static struct revmap *build_graph(enum graph g)
{
	return build_ok(graphs[g].metas, graphs[g].n);
}

/* "a,b,c": the ids of a list, for comparing with ck_assert_str_eq. */
static const char *ids(const struct revmap *map, const struct revlist *l,
		       char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? "," : "",
					 map->revs[l->items[i]].meta->id);
	return buf;
}

/* "b(-a+b) c(-b+c)": each step's revision, rows removed, rows inserted. */
static const char *plan_str(const struct revmap *map, const struct plan *p,
			    char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < p->n && used < size; k++) {
		const struct plan_step *st = &p->steps[k];

		used += (size_t)snprintf(buf + used, size - used, "%s%s(",
					 k > 0 ? " " : "",
					 map->revs[st->rev].meta->id);
		for (size_t i = 0; i < st->remove.n && used < size; i++)
			used += (size_t)snprintf(
				buf + used, size - used, "-%s",
				map->revs[st->remove.items[i]].meta->id);
		for (size_t i = 0; i < st->insert.n && used < size; i++)
			used += (size_t)snprintf(
				buf + used, size - used, "+%s",
				map->revs[st->insert.items[i]].meta->id);
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, ")");
	}
	return buf;
}

/* The state of a database whose rows are "d,c" ("" = nothing applied). */
static void state_of(const struct revmap *map, const char *rows,
		     struct revstate *st)
{
	char copy[256];
	const char *row[16];
	size_t n = 0;
	struct retort_error err;

	snprintf(copy, sizeof(copy), "%s", rows);
	for (char *t = strtok(copy, ","); t != NULL && n < N(row);
	     t = strtok(NULL, ","))
		row[n++] = t;
	error_clear(&err);
	assert_ok(revmap_state(map, row, n, st, &err), err);
}

static void assert_error(const struct retort_error *err, const char *in_msg,
			 const char *in_detail)
{
	ck_assert_int_eq(err->status, RETORT_USAGE);
	ck_assert_msg(strstr(err->msg, in_msg) != NULL,
		      "msg \"%s\" lacks \"%s\"", err->msg, in_msg);
	if (in_detail != NULL)
		ck_assert_msg(strstr(err->detail, in_detail) != NULL,
			      "detail \"%s\" lacks \"%s\"", err->detail,
			      in_detail);
	ck_assert_msg(err->hint[0] != '\0', "no hint for \"%s\"", err->msg);
}

static size_t find(const struct revmap *map, const char *id)
{
	size_t r = SIZE_MAX;

	ck_assert_msg(revmap_find(map, id, &r), "no revision %s", id);
	return r;
}

/* ---- revmap_build ---- */

START_TEST(test_build_linear)
{
	struct revmap *map = build_graph(G_LINEAR);
	const struct revision *b = &map->revs[find(map, "b3d8")];
	char buf[256];

	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)),
			 "a1f0,a2e9,b3d8,c4c7");
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "c4c7");
	ck_assert_str_eq(ids(map, &map->bases, buf, sizeof(buf)), "a1f0");
	ck_assert_str_eq(ids(map, &b->parents, buf, sizeof(buf)), "a2e9");
	ck_assert_str_eq(ids(map, &b->children, buf, sizeof(buf)), "c4c7");
	ck_assert_uint_eq(b->deps.n, 0);
	ck_assert_uint_eq(map->revs[0].nlabels, 1);
	ck_assert_str_eq(map->revs[0].labels[0], "core");
	ck_assert_ptr_eq(map->revs[2].meta, &linear[2]);
	revmap_free(map);
}
END_TEST

START_TEST(test_build_branched)
{
	struct revmap *map = build_graph(G_BRANCHED);
	char buf[256];

	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)), "a,b,c,d");
	/* input order, as Alembic lists them */
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "c,d");
	ck_assert_str_eq(ids(map, &map->real_heads, buf, sizeof(buf)), "c,d");
	ck_assert_str_eq(ids(map, &map->bases, buf, sizeof(buf)), "a");
	ck_assert_str_eq(ids(map, &map->revs[0].children, buf, sizeof(buf)),
			 "b,c");
	revmap_free(map);
}
END_TEST

START_TEST(test_build_merged)
{
	struct revmap *map = build_graph(G_MERGED);
	const struct revision *m = &map->revs[find(map, "m")];
	char buf[256];

	ck_assert_str_eq(ids(map, &m->parents, buf, sizeof(buf)), "b,c");
	ck_assert_str_eq(
		ids(map, &map->revs[find(map, "b")].children, buf, sizeof(buf)),
		"m");
	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)), "a,b,c,m,n");
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "n");
	revmap_free(map);
}
END_TEST

START_TEST(test_build_two_bases)
{
	struct revmap *map = build_graph(G_BASES);
	char buf[256];

	ck_assert_str_eq(ids(map, &map->bases, buf, sizeof(buf)), "a,x");
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "b,y");
	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)), "a,b,x,y");
	revmap_free(map);
}
END_TEST

START_TEST(test_build_depends_on)
{
	static const struct revision_meta metas[] = {
		REVX("a", NULL, "lib", NULL),
		REVX("x", NULL, NULL, "lib"), /* a label */
		REVX("y", "x", NULL, "b, a"), /* an id, and a repeated one */
		REV("b", "a"),
	};
	struct revmap *map = build_ok(metas, N(metas));
	char buf[256];

	ck_assert_str_eq(ids(map, &map->revs[1].deps, buf, sizeof(buf)), "a");
	ck_assert_str_eq(ids(map, &map->revs[2].deps, buf, sizeof(buf)), "b,a");
	ck_assert_str_eq(ids(map, &map->revs[0].dependents, buf, sizeof(buf)),
			 "x,y");
	ck_assert_str_eq(ids(map, &map->revs[3].dependents, buf, sizeof(buf)),
			 "y");
	/* dependencies are not children: a's only child is b */
	ck_assert_str_eq(ids(map, &map->revs[0].children, buf, sizeof(buf)),
			 "b");
	/* dependencies come first: b (input 3) before y (input 2) */
	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)), "a,x,b,y");
	/* a dependency is still a head if nothing has it as down_revision,
	 * but not a real head */
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "y,b");
	ck_assert_str_eq(ids(map, &map->real_heads, buf, sizeof(buf)), "y");
	ck_assert_str_eq(ids(map, &map->bases, buf, sizeof(buf)), "a,x");
	revmap_free(map);
}
END_TEST

START_TEST(test_build_spaces_and_tiebreak)
{
	/* Input order, not id order, breaks ties. */
	static const struct revision_meta metas[] = {
		REV("z", NULL),
		REV("y", "z"),
		REV("x", "z"),
		REV("w", "  y ,x  "),
		REVX("v", "   ", " one , two ", NULL),
	};
	struct revmap *map = build_ok(metas, N(metas));
	char buf[256];

	ck_assert_str_eq(ids(map, &map->revs[3].parents, buf, sizeof(buf)),
			 "y,x");
	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)), "z,y,x,w,v");
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)), "w,v");
	ck_assert_str_eq(ids(map, &map->bases, buf, sizeof(buf)), "z,v");
	ck_assert_uint_eq(map->revs[4].nlabels, 2);
	ck_assert_str_eq(map->revs[4].labels[1], "two");
	revmap_free(map);
}
END_TEST

/* Many revisions ready at once still come out in input order. */
START_TEST(test_build_wide_tiebreak)
{
	static const struct revision_meta metas[] = {
		REV("z1", NULL), REV("r", NULL), REV("c9", "r"),
		REV("c8", "r"),	 REV("c7", "r"), REV("c6", "r"),
		REV("c5", "r"),	 REV("c4", "r"), REV("c3", "r"),
		REV("c2", "r"),	 REV("c1", "r"), REV("z2", NULL),
		REV("z3", NULL),
	};
	struct revmap *map = build_ok(metas, N(metas));
	char buf[256];

	ck_assert_str_eq(ids(map, &map->order, buf, sizeof(buf)),
			 "z1,r,c9,c8,c7,c6,c5,c4,c3,c2,c1,z2,z3");
	ck_assert_str_eq(ids(map, &map->heads, buf, sizeof(buf)),
			 "z1,c9,c8,c7,c6,c5,c4,c3,c2,c1,z2,z3");
	revmap_free(map);
}
END_TEST

START_TEST(test_build_empty)
{
	struct revmap *map = build_ok(NULL, 0);

	ck_assert_uint_eq(map->heads.n, 0);
	ck_assert_uint_eq(map->bases.n, 0);
	ck_assert_uint_eq(map->order.n, 0);
	revmap_free(map);
}
END_TEST

struct bad_case {
	struct revision_meta metas[4];
	size_t n;
	const char *msg;    /* in err.msg */
	const char *detail; /* in err.detail */
	const char *detail2;
};

static const struct bad_case bad_cases[] = {
	{ { { .id = "", .path = "versions/empty.c" } },
	  1,
	  "empty revision identifier",
	  "versions/empty.c",
	  NULL },
	{ { { .id = NULL, .path = "versions/null.c" } },
	  1,
	  "empty revision identifier",
	  "versions/null.c",
	  NULL },
	{ { REV("abcdefghijklmnopqrstuvwxyz0123456", NULL) },
	  1,
	  "'abcdefghijklmnopqrstuvwxyz0123456' is longer than 32 characters",
	  "versions/abcdefghijklmnopqrstuvwxyz0123456.c",
	  NULL },
	{ { REV("a-b+c", NULL) },
	  1,
	  "Character(s) '-, +' not allowed in revision identifier 'a-b+c'",
	  "versions/a-b+c.c",
	  NULL },
	{ { REV("a b", NULL) },
	  1,
	  "Character(s) ' ' not allowed in revision identifier 'a b'",
	  NULL,
	  NULL },
	{ { REV("heads", NULL) },
	  1,
	  "revision identifier 'heads' is reserved",
	  "versions/heads.c",
	  NULL },
	{ { REV("a", NULL),
	    REV("b", "a"),
	    { .id = "a", .down_revision = "b", .path = "versions/a_again.c" } },
	  3,
	  "Revision a is present more than once",
	  "versions/a.c",
	  "versions/a_again.c" },
	{ { REV("a", NULL), REV("b", "zz") },
	  2,
	  "Revision zz referenced from b is not present",
	  "versions/b.c",
	  "down_revision: \"zz\"" },
	{ { REV("a", NULL), REV("b", "a, zz") },
	  2,
	  "Revision zz referenced from b is not present",
	  "versions/b.c",
	  NULL },
	{ { REV("a", NULL), REVX("b", "a", NULL, "nope") },
	  2,
	  "Revision or branch label nope referenced from b is not present",
	  "versions/b.c",
	  "depends_on: \"nope\"" },
	{ { REVX("a", NULL, "x", NULL), REVX("b", "a", "y, x", NULL) },
	  2,
	  "Branch name 'x' in revision b already used by revision a",
	  "versions/a.c",
	  "versions/b.c" },
	{ { REV("a", NULL), REVX("b", "a", "a", NULL) },
	  2,
	  "Branch name 'a' in revision b already used by revision a",
	  "versions/b.c",
	  "versions/a.c" },
	{ { REVX("a", NULL, "p@q", NULL) },
	  1,
	  "Character(s) '@' not allowed in branch label 'p@q' of revision a",
	  "versions/a.c",
	  NULL },
	{ { REVX("a", NULL, "base", NULL) },
	  1,
	  "branch label 'base' of revision a is reserved",
	  "versions/a.c",
	  NULL },
	{ { REV("r", NULL), REV("a", "a") },
	  2,
	  "Self-loop is detected in revisions (a -> a)",
	  "versions/a.c",
	  NULL },
	{ { REV("r", NULL), REV("a", "c"), REV("b", "a"), REV("c", "b") },
	  4,
	  "Cycle is detected in revisions (a -> b -> c -> a)",
	  "versions/b.c",
	  "versions/c.c" },
	{ { REV("r", NULL), REV("c", "b"), REV("a", "c"), REV("b", "a") },
	  4,
	  "Cycle is detected in revisions (c -> a -> b -> c)",
	  "versions/a.c",
	  NULL },
	{ { REVX("a", NULL, NULL, "c"), REV("b", "a"), REV("c", "b") },
	  3,
	  "Dependency cycle is detected in revisions (a -> b -> c -> a)",
	  "versions/c.c",
	  NULL },
	{ { REVX("a", NULL, "me", "me") },
	  1,
	  "Dependency self-loop is detected in revisions (a -> a)",
	  "versions/a.c",
	  NULL },
	{ { REV("a", NULL), REV("b", NULL), REV("c", "a,,b") },
	  3,
	  "empty entry in down_revision of revision c",
	  "versions/c.c",
	  "down_revision: \"a,,b\"" },
	{ { REV("a", NULL), REV("c", "a, ") },
	  2,
	  "empty entry in down_revision of revision c",
	  "versions/c.c",
	  NULL },
	{ { REVX("a", NULL, ",x", NULL) },
	  1,
	  "empty entry in branch_labels of revision a",
	  "versions/a.c",
	  NULL },
	{ { REV("a", NULL), REVX("b", NULL, NULL, "a,") },
	  2,
	  "empty entry in depends_on of revision b",
	  "versions/b.c",
	  NULL },
	{ { REV("a", NULL), REV("b", "a, a") },
	  2,
	  "revision b names a more than once in down_revision",
	  "versions/b.c",
	  NULL },
	{ { REVD("a", "yesterday") },
	  1,
	  "malformed create_date \"yesterday\" in revision a",
	  "versions/a.c",
	  "expected YYYY-MM-DD HH:MM:SS+00" },
	{ { REV("a", NULL), REVD("b", "2026-13-45 99:99:99") },
	  2,
	  "malformed create_date \"2026-13-45 99:99:99\" in revision b",
	  "versions/b.c",
	  NULL },
	{ { REVD("a", "2026-02-29 10:00:00+00") },
	  1,
	  "malformed create_date \"2026-02-29 10:00:00+00\" in revision a",
	  NULL,
	  NULL },
	{ { REVD("a", "2026-11-24 10:00:00+00 ") },
	  1,
	  "malformed create_date",
	  NULL,
	  NULL },
	{ { REVD("a", "2026-11-24 10:00:60+00") },
	  1,
	  "malformed create_date",
	  NULL,
	  NULL },
	{ { REVD("a", "2026-11-24 10:00:00.1234567") },
	  1,
	  "malformed create_date",
	  NULL,
	  NULL },
	{ { REVD("a", "2026-11-24 10:00:00+00:") },
	  1,
	  "malformed create_date",
	  NULL,
	  NULL },
	{ { REVD("a", "2026-11-24") }, 1, "malformed create_date", NULL, NULL },
};

START_TEST(test_build_errors)
{
	const struct bad_case *c = &bad_cases[_i];
	struct revmap *map = (struct revmap *)1;
	struct retort_error err;

	error_clear(&err);
	ck_assert_int_eq(revmap_build(c->metas, c->n, &map, &err), -1);
	ck_assert_ptr_null(map);
	assert_error(&err, c->msg, c->detail);
	if (c->detail2 != NULL)
		ck_assert_msg(strstr(err.detail, c->detail2) != NULL,
			      "detail \"%s\" lacks \"%s\"", err.detail,
			      c->detail2);
}
END_TEST

/* What retort writes, what Alembic writes, and no date at all. */
static const char *const good_dates[] = {
	"2026-11-24 10:00:00+00",
	"2026-11-24 10:00:00",
	"2026-11-24 10:00:00.123456",
	"2026-11-24 10:00:00.5+00:00",
	"2026-11-24 10:00:00.123456+00:00",
	"2024-02-29 23:59:59-05:30",
	"2026-11-24 10:00:00+0530",
	"",
	NULL,
};

START_TEST(test_build_create_dates)
{
	const struct revision_meta metas[] = { REVD("a", good_dates[_i]) };
	struct revmap *map = NULL;
	struct retort_error err;

	error_clear(&err);
	ck_assert_msg(revmap_build(metas, 1, &map, &err) == 0,
		      "create_date \"%s\" refused: %s", good_dates[_i],
		      err.msg);
	revmap_free(map);
}
END_TEST

/* ---- revmap_find, revmap_is_head ---- */

START_TEST(test_find)
{
	struct revmap *map = build_graph(G_LINEAR);
	size_t r = 99;

	ck_assert(revmap_find(map, "b3d8", &r));
	ck_assert_uint_eq(r, 2);
	ck_assert(!revmap_find(map, "b3", &r));	  /* no prefixes */
	ck_assert(!revmap_find(map, "core", &r)); /* nor labels */
	ck_assert(!revmap_find(map, "", &r));
	ck_assert(!revmap_find(map, NULL, &r));
	ck_assert(!revmap_find(NULL, "b3d8", &r));
	revmap_free(map);
}
END_TEST

START_TEST(test_message)
{
	static const struct revision_meta said[] = {
		{ .id = "a",
		  .message = "create users",
		  .path = "versions/a.c" },
		REV("b", "a"),
	};
	struct revmap *map = build_ok(said, N(said));

	ck_assert_str_eq(revmap_message(map, "a"), "create users");
	ck_assert_str_eq(revmap_message(map, "b"), ""); /* none given */
	ck_assert_str_eq(revmap_message(map, "c"), ""); /* no such id */
	ck_assert_str_eq(revmap_message(map, NULL), "");
	revmap_free(map);
}
END_TEST

START_TEST(test_is_head)
{
	struct revmap *map = build_graph(G_BRANCHED);

	ck_assert(!revmap_is_head(map, find(map, "a")));
	ck_assert(!revmap_is_head(map, find(map, "b")));
	ck_assert(revmap_is_head(map, find(map, "c")));
	ck_assert(revmap_is_head(map, find(map, "d")));
	ck_assert(!revmap_is_head(map, 99));
	revmap_free(map);
}
END_TEST

/* ---- revmap_state ---- */

static const char *applied_ids(const struct revmap *map,
			       const struct revstate *st, char *buf,
			       size_t size)
{
	struct revlist l = { NULL, 0 };
	size_t items[16];

	l.items = items;
	for (size_t r = 0; r < map->n && l.n < N(items); r++)
		if (st->applied[r])
			l.items[l.n++] = r;
	return ids(map, &l, buf, size);
}

START_TEST(test_state_closure)
{
	struct revmap *map = build_graph(G_LINEAR);
	struct revstate st;
	char buf[256];

	state_of(map, "b3d8", &st);
	ck_assert_str_eq(applied_ids(map, &st, buf, sizeof(buf)),
			 "a1f0,a2e9,b3d8");
	ck_assert_str_eq(ids(map, &st.rows, buf, sizeof(buf)), "b3d8");
	revstate_release(&st);
	state_of(map, "", &st);
	ck_assert_str_eq(applied_ids(map, &st, buf, sizeof(buf)), "");
	ck_assert_uint_eq(st.rows.n, 0);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

START_TEST(test_state_deps_and_branches)
{
	struct revmap *dmap = build_graph(G_DEPS);
	struct revmap *bmap = build_graph(G_BRANCHED);
	struct revstate st;
	char buf[256];

	state_of(dmap, "y", &st); /* y's base x depends on b */
	ck_assert_str_eq(applied_ids(dmap, &st, buf, sizeof(buf)), "a,b,x,y");
	revstate_release(&st);
	state_of(bmap, "d,c,d", &st); /* a repeated row counts once */
	ck_assert_str_eq(ids(bmap, &st.rows, buf, sizeof(buf)), "d,c");
	ck_assert_str_eq(applied_ids(bmap, &st, buf, sizeof(buf)), "a,b,c,d");
	revstate_release(&st);
	revmap_free(bmap);
	revmap_free(dmap);
}
END_TEST

START_TEST(test_state_unknown_row)
{
	struct revmap *map = build_graph(G_LINEAR);
	const char *rows[] = { "a2e9", "f00d" };
	struct revstate st;
	struct retort_error err;

	error_clear(&err);
	ck_assert_int_eq(revmap_state(map, rows, 2, &st, &err), -1);
	assert_error(&err, "Can't locate revision identified by 'f00d'",
		     "f00d");
	ck_assert_msg(strstr(err.hint, "missing from the versions directory"),
		      "hint: %s", err.hint);
	ck_assert_ptr_null(st.applied);
	ck_assert_uint_eq(st.rows.n, 0);
	revmap_free(map);
}
END_TEST

/* ---- revmap_resolve ---- */

struct resolve_case {
	enum graph graph;
	const char *rows; /* NULL: no state at all; "": nothing applied */
	const char *target;
	const char *want;   /* the ids, or NULL for an error */
	const char *msg;    /* in err.msg */
	const char *detail; /* in err.detail, or NULL */
};

static const struct resolve_case resolve_cases[] = {
	/* keywords, ids, prefixes, labels */
	{ G_LINEAR, "b3d8", "base", "", NULL, NULL },
	{ G_LINEAR, "b3d8", "heads", "c4c7", NULL, NULL },
	{ G_LINEAR, "b3d8", "head", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "a2e9", "a2e9", NULL, NULL },
	{ G_LINEAR, NULL, "b3", "b3d8", NULL, NULL },
	/* a prefix matches labels too: "c" starts c4c7 and core */
	{ G_LINEAR, NULL, "c", NULL,
	  "Multiple revisions start with 'c': c4c7, core",
	  "core: versions/a1f0.c" },
	{ G_LINEAR, NULL, "c4", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "cor", "a1f0", NULL, NULL },
	/* Alembic's rule: a prefix of any length, 1, 2 or 3 characters too,
	 * matches the ids and labels longer than three characters */
	{ G_LINEAR, NULL, "a1f", "a1f0", NULL, NULL },
	{ G_LINEAR, NULL, "b", "b3d8", NULL, NULL },
	{ G_LINEAR, NULL, "a2", "a2e9", NULL, NULL },
	{ G_LINEAR, NULL, "c4c", "c4c7", NULL, NULL },
	{ G_NUMBERED, NULL, "002", "002", NULL, NULL },
	{ G_NUMBERED, NULL, "00", NULL,
	  "Can't locate revision identified by '00'",
	  "only ids and branch labels of four characters or more" },
	{ G_NUMBERED, NULL, "0", NULL,
	  "Can't locate revision identified by '0'",
	  "only ids and branch labels of four characters or more" },
	{ G_LINEAR, NULL, "a", NULL,
	  "Multiple revisions start with 'a': a1f0, a2e9",
	  "a2e9: versions/a2e9.c" },
	{ G_LINEAR, NULL, "zz", NULL,
	  "Can't locate revision identified by 'zz'", NULL },
	{ G_LINEAR, NULL, "a1f01", NULL,
	  "Can't locate revision identified by 'a1f01'", NULL },
	{ G_LINEAR, NULL, "core", "a1f0", NULL, NULL },
	{ G_LINEAR, NULL, "core@head", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "core@heads", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "core@base", "", NULL, NULL },
	{ G_LINEAR, NULL, "core@b3", "b3d8", NULL, NULL },
	{ G_LINEAR, NULL, "a2@head", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "nolabel@head", NULL,
	  "Can't locate revision identified by 'nolabel'", NULL },
	/* relative to the database */
	{ G_LINEAR, "b3d8", "+1", "c4c7", NULL, NULL },
	{ G_LINEAR, "b3d8", "-1", "a2e9", NULL, NULL },
	{ G_LINEAR, "b3d8", "-2", "a1f0", NULL, NULL },
	{ G_LINEAR, "b3d8", "-3", "", NULL, NULL },
	{ G_LINEAR, "b3d8", "-4", NULL,
	  "Relative revision -4 didn't produce 4 migrations", "past base" },
	{ G_LINEAR, "b3d8", "+2", NULL,
	  "Relative revision +2 didn't produce 2 migrations",
	  "ran past the last head" },
	{ G_LINEAR, "b3d8", "+0", NULL, "cannot upgrade to '+0'",
	  "Relative revision +0 didn't produce 0 migrations" },
	{ G_LINEAR, "b3d8", "+99999999999999999999999", NULL,
	  "didn't produce 99999999999999999999999 migrations", NULL },
	{ G_LINEAR, "", "+1", "a1f0", NULL, NULL },
	{ G_LINEAR, "", "+4", "c4c7", NULL, NULL },
	{ G_LINEAR, "", "-1", NULL,
	  "Relative revision -1 didn't produce 1 migrations", NULL },
	{ G_LINEAR, NULL, "+1", NULL,
	  "relative target '+1' needs the database's current revision", NULL },
	/* relative to a revision */
	{ G_LINEAR, NULL, "a2e9+2", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "a2+1", "b3d8", NULL, NULL },
	{ G_LINEAR, NULL, "a2e9-1", "a1f0", NULL, NULL },
	{ G_LINEAR, NULL, "a2e9-2", "", NULL, NULL },
	{ G_LINEAR, NULL, "head-1", "b3d8", NULL, NULL },
	{ G_LINEAR, NULL, "head-3", "a1f0", NULL, NULL },
	{ G_LINEAR, NULL, "head-4", "", NULL, NULL },
	{ G_LINEAR, NULL, "head-5", NULL,
	  "Relative revision head-5 didn't produce 5 migrations", NULL },
	{ G_LINEAR, NULL, "head+1", NULL,
	  "Relative revision head+1 didn't produce 1 migrations", NULL },
	{ G_LINEAR, NULL, "base+1", "a1f0", NULL, NULL },
	{ G_LINEAR, NULL, "base+4", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "base+5", NULL,
	  "Relative revision base+5 didn't produce 5 migrations", NULL },
	/* Alembic walks down from above the heads */
	{ G_LINEAR, NULL, "base-1", "c4c7", NULL, NULL },
	{ G_LINEAR, NULL, "a2e9+0", "a2e9", NULL, NULL },
	{ G_LINEAR, NULL, "core@+1", NULL,
	  "relative target 'core@+1' needs the database's current revision",
	  NULL },
	{ G_LINEAR, "a2e9", "core@+1", "b3d8", NULL, NULL },
	{ G_LINEAR, "", "core@+2", "a2e9", NULL, NULL },
	{ G_LINEAR, NULL, "core@head-2", "a2e9", NULL, NULL },
	{ G_LINEAR, NULL, "1x+2", NULL,
	  "Can't locate revision identified by '1x'", NULL },
	{ G_LINEAR, NULL, "a+1", NULL, "Multiple revisions start with 'a'",
	  NULL },
	/* malformed */
	{ G_LINEAR, "b3d8", "", NULL, "malformed target ''", NULL },
	{ G_LINEAR, "b3d8", "+1x", NULL, "malformed target '+1x'", NULL },
	{ G_LINEAR, "b3d8", "+", NULL, "malformed target '+'", NULL },
	{ G_LINEAR, "b3d8", "-", NULL, "malformed target '-'", NULL },
	{ G_LINEAR, "b3d8", "+2x", NULL, "malformed target '+2x'", NULL },
	{ G_LINEAR, "b3d8", "a2e9+1+1", NULL, "malformed target 'a2e9+1+1'",
	  NULL },
	{ G_LINEAR, "b3d8", "a2e9++1", NULL, "malformed target", NULL },
	{ G_LINEAR, "b3d8", "+-1", NULL, "malformed target", NULL },
	{ G_LINEAR, "b3d8", "head ", NULL, "malformed target 'head '", NULL },
	{ G_LINEAR, "b3d8", " head", NULL, "malformed target", NULL },
	{ G_LINEAR, "b3d8", "a1f0,a2e9", NULL, "malformed target", NULL },
	/* Alembic reads an empty label as none */
	{ G_LINEAR, "b3d8", "@head", "c4c7", NULL, NULL },
	{ G_LINEAR, "b3d8", "@+1", NULL, "malformed target '@+1'", NULL },
	{ G_LINEAR, "b3d8", "core@", NULL, "malformed target 'core@'", NULL },
	{ G_LINEAR, "b3d8", "a2e9@", NULL, "malformed target 'a2e9@'", NULL },
	{ G_LINEAR, "b3d8", "a@b@c", NULL, "malformed target 'a@b@c'",
	  "at most one '@'" },
	/* a branch point */
	{ G_BRANCHED, NULL, "head", NULL,
	  "Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads",
	  "heads: c, d" },
	{ G_BRANCHED, NULL, "heads", "c,d", NULL, NULL },
	{ G_BRANCHED, NULL, "feat@head", "c", NULL, NULL },
	{ G_BRANCHED, NULL, "main@head", "d", NULL, NULL },
	{ G_BRANCHED, NULL, "a@head", NULL,
	  "Multiple head revisions are present for given argument 'a@head'",
	  "heads: c, d" },
	{ G_BRANCHED, NULL, "a@heads", "c,d", NULL, NULL },
	{ G_BRANCHED, NULL, "feat@base", "", NULL, NULL },
	{ G_BRANCHED, NULL, "feat", "c", NULL, NULL },
	{ G_BRANCHED, NULL, "main@d", "d", NULL, NULL },
	{ G_BRANCHED, NULL, "main@a", "a", NULL, NULL },
	{ G_BRANCHED, NULL, "feat@d", NULL,
	  "Revision d is not a member of branch 'feat'", NULL },
	{ G_BRANCHED, NULL, "a+1", NULL,
	  "Ambiguous walk: revision a is a branch point", "children: b, c" },
	{ G_BRANCHED, NULL, "d-2", "a", NULL, NULL },
	{ G_BRANCHED, NULL, "head-1", NULL,
	  "Multiple head revisions are present", NULL },
	{ G_BRANCHED, NULL, "heads-1", NULL,
	  "Multiple head revisions are present for given argument 'heads-1'",
	  "c, d" },
	{ G_BRANCHED, NULL, "feat@head-1", "a", NULL, NULL },
	{ G_BRANCHED, "d,c", "+1", NULL,
	  "Ambiguous upgrade from multiple current revisions",
	  "current revisions: d, c" },
	{ G_BRANCHED, "d,c", "main@-1", "b", NULL, NULL },
	{ G_BRANCHED, "b", "feat@+1", "c", NULL, NULL },
	{ G_BRANCHED, "d,c", "-1", NULL,
	  "downgrade -1 from multiple heads is ambiguous",
	  "current heads: d, c" },
	{ G_BRANCHED, "c", "-1", "a", NULL, NULL },
	{ G_BRANCHED, "b", "+1", "d", NULL, NULL },
	/* a merge point */
	{ G_MERGED, NULL, "head", "n", NULL, NULL },
	{ G_MERGED, NULL, "n-1", "m", NULL, NULL },
	{ G_MERGED, NULL, "n-2", NULL,
	  "Ambiguous walk: revision m is a merge point", "parents: b, c" },
	{ G_MERGED, NULL, "b+2", "n", NULL, NULL },
	{ G_MERGED, "m", "-1", NULL,
	  "Ambiguous walk: revision m is a merge point", NULL },
	/* two bases */
	{ G_BASES, NULL, "base+1", NULL,
	  "Ambiguous walk from base: there are several bases", "bases: a, x" },
	{ G_BASES, "", "+1", NULL, "Ambiguous walk from base", NULL },
	{ G_BASES, NULL, "other@head", "y", NULL, NULL },
	{ G_BASES, NULL, "other", "x", NULL, NULL },
	{ G_BASES, NULL, "head", NULL, "Multiple head revisions",
	  "heads: b, y" },
	/* a dependency is not a parent for walks */
	{ G_DEPS, NULL, "x-1", "", NULL, NULL },
	{ G_DEPS, NULL, "b+1", NULL,
	  "Relative revision b+1 didn't produce 1 migrations", NULL },
};

START_TEST(test_resolve_table)
{
	const struct resolve_case *c = &resolve_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st = { NULL, { NULL, 0 } };
	struct revlist out = { (size_t *)1, 99 };
	struct retort_error err;
	char buf[256];
	int rc;

	if (c->rows != NULL)
		state_of(map, c->rows, &st);
	error_clear(&err);
	rc = revmap_resolve(map, c->rows ? &st : NULL, c->target, &out, &err);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "'%s' failed: %s [%s]", c->target,
			      err.msg, err.detail);
		ck_assert_str_eq(ids(map, &out, buf, sizeof(buf)), c->want);
	} else {
		ck_assert_msg(rc == -1, "'%s' resolved to %s", c->target,
			      ids(map, &out, buf, sizeof(buf)));
		assert_error(&err, c->msg, c->detail);
		ck_assert_uint_eq(out.n, 0);
		ck_assert_ptr_null(out.items);
	}
	revlist_release(&out);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* ---- revmap_plan ---- */

#define UP PLAN_UPGRADE
#define DOWN PLAN_DOWNGRADE

struct plan_case {
	enum graph graph;
	const char *rows;
	enum plan_direction dir;
	const char *target;
	const char *want; /* steps as "rev(-removed+inserted)", or NULL */
	const char *msg;
};

static const struct plan_case plan_cases[] = {
	/* a chain */
	{ G_CHAIN, "", UP, "head", "a(+a) b(-a+b) c(-b+c) d(-c+d)", NULL },
	{ G_CHAIN, "b", UP, "head", "c(-b+c) d(-c+d)", NULL },
	{ G_CHAIN, "b", UP, "heads", "c(-b+c) d(-c+d)", NULL },
	{ G_CHAIN, "d", UP, "head", "", NULL },
	{ G_CHAIN, "c", UP, "b", "", NULL },
	{ G_CHAIN, "", UP, "c", "a(+a) b(-a+b) c(-b+c)", NULL },
	{ G_CHAIN, "", UP, "base", "", NULL },
	{ G_CHAIN, "b", UP, "+1", "c(-b+c)", NULL },
	{ G_CHAIN, "", UP, "+2", "a(+a) b(-a+b)", NULL },
	{ G_CHAIN, "b", UP, "+3", NULL,
	  "Relative revision +3 didn't produce 3 migrations" },
	{ G_CHAIN, "b", UP, "-1", NULL, "cannot upgrade to '-1'" },
	{ G_CHAIN, "b", UP, "head-1", "c(-b+c)", NULL },
	{ G_CHAIN, "b", UP, "zz", NULL,
	  "Can't locate revision identified by 'zz'" },
	{ G_CHAIN, "d", DOWN, "base", "d(-d+c) c(-c+b) b(-b+a) a(-a)", NULL },
	{ G_CHAIN, "d", DOWN, "b", "d(-d+c) c(-c+b)", NULL },
	{ G_CHAIN, "d", DOWN, "-1", "d(-d+c)", NULL },
	{ G_CHAIN, "d", DOWN, "head-2", "d(-d+c) c(-c+b)", NULL },
	{ G_CHAIN, "b", DOWN, "-2", "b(-b+a) a(-a)", NULL },
	{ G_CHAIN, "b", DOWN, "-3", NULL,
	  "Relative revision -3 didn't produce 3 migrations" },
	{ G_CHAIN, "b", DOWN, "b", "", NULL },
	{ G_CHAIN, "", DOWN, "base", "", NULL },
	{ G_CHAIN, "b", DOWN, "c", NULL,
	  "Destination c is not a valid downgrade target from current head(s)" },
	{ G_CHAIN, "", DOWN, "a", NULL,
	  "Destination a is not a valid downgrade target from current head(s)" },
	{ G_CHAIN, "b", DOWN, "+1", NULL, "cannot downgrade to '+1'" },
	{ G_CHAIN, "b", DOWN, "a+1", "", NULL },
	/* a branch point: a -> b -> d, a -> c */
	/* Alembic's order: each line of history in turn, heads in input
	 * order walked down, then run backwards */
	{ G_BRANCHED, "", UP, "heads", "a(+a) b(-a+b) d(-b+d) c(+c)", NULL },
	{ G_BRANCHED, "", UP, "feat@head", "a(+a) c(-a+c)", NULL },
	{ G_BRANCHED, "c", UP, "main@head", "b(+b) d(-b+d)", NULL },
	{ G_BRANCHED, "c", UP, "d", "b(+b) d(-b+d)", NULL },
	{ G_BRANCHED, "", UP, "head", NULL,
	  "Multiple head revisions are present for given argument 'head'" },
	{ G_BRANCHED, "d,c", DOWN, "a", "c(-c) d(-d+b) b(-b+a)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "b", "d(-d+b)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "base", "c(-c) d(-d+b) b(-b+a) a(-a)",
	  NULL },
	{ G_BRANCHED, "d,c", DOWN, "feat@base", "c(-c) d(-d+b) b(-b+a) a(-a)",
	  NULL },
	/* a label narrows a target with several children to its line */
	{ G_BRANCHED, "d,c", DOWN, "feat@a", "c(-c)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "main@a", "d(-d+b) b(-b)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "feat@-1", "c(-c)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "main@head-1", "d(-d+b)", NULL },
	{ G_BRANCHED, "d,c", DOWN, "-1", NULL,
	  "downgrade -1 from multiple heads is ambiguous" },
	{ G_BRANCHED, "d,c", DOWN, "heads", NULL,
	  "Multiple head revisions are present for given argument 'heads'" },
	{ G_BRANCHED, "b", DOWN, "c", NULL,
	  "Destination c is not a valid downgrade target" },
	/* a merge point: m merges b and c */
	{ G_MERGED, "", UP, "head", "a(+a) c(-a+c) b(+b) m(-b-c+m) n(-m+n)",
	  NULL },
	{ G_MERGED, "b,c", UP, "m", "m(-b-c+m)", NULL },
	{ G_MERGED, "b", UP, "m", "c(+c) m(-b-c+m)", NULL },
	{ G_MERGED, "n", DOWN, "a", "n(-n+m) m(-m+b+c) b(-b) c(-c+a)", NULL },
	{ G_MERGED, "n", DOWN, "b", "n(-n+m) m(-m+b+c)", NULL },
	{ G_MERGED, "n", DOWN, "-2", NULL,
	  "Ambiguous walk: revision m is a merge point" },
	/* two bases: downgrading one history leaves the other */
	{ G_BASES, "", UP, "heads", "x(+x) y(-x+y) a(+a) b(-a+b)", NULL },
	{ G_BASES, "b", UP, "other@head", "x(+x) y(-x+y)", NULL },
	{ G_BASES, "b,y", DOWN, "a", "b(-b+a)", NULL },
	{ G_BASES, "b,y", DOWN, "other@base", "y(-y+x) x(-x)", NULL },
	{ G_BASES, "b,y", DOWN, "x", "y(-y+x)", NULL },
	{ G_BASES, "b,y", DOWN, "base", "b(-b+a) a(-a) y(-y+x) x(-x)", NULL },
	{ G_BASES, "b,y", DOWN, "nope@base", NULL,
	  "Can't locate revision identified by 'nope'" },
	/* x depends on b: a dependency keeps no row of its own */
	{ G_DEPS, "", UP, "y", "a(+a) b(-a+b) x(-b+x) y(-x+y)", NULL },
	{ G_DEPS, "a", UP, "x", "b(-a+b) x(-b+x)", NULL },
	{ G_DEPS, "b", UP, "heads", "x(-b+x) y(-x+y)", NULL },
	{ G_DEPS, "y", DOWN, "x", "y(-y+x)", NULL },
	/* b has no child: nothing grows from it, as Alembic reads it */
	{ G_DEPS, "y", DOWN, "b", NULL,
	  "Destination b is not a valid downgrade target" },
	{ G_DEPS, "y", DOWN, "a", "y(-y+x) x(-x+b) b(-b+a)", NULL },
	/* y-2 is base, narrowed to y's line: x's base */
	{ G_DEPS, "y", DOWN, "-2", "y(-y+x) x(-x+b)", NULL },
	{ G_DEPS, "y", DOWN, "base", "y(-y+x) x(-x+b) b(-b+a) a(-a)", NULL },
};

START_TEST(test_plan_table)
{
	const struct plan_case *c = &plan_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st;
	struct plan plan = { (struct plan_step *)1, 99 };
	struct retort_error err;
	char buf[512];
	int rc;

	state_of(map, c->rows, &st);
	error_clear(&err);
	rc = revmap_plan(map, &st, c->dir, c->target, &plan, &err);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "'%s' failed: %s [%s]", c->target,
			      err.msg, err.detail);
		ck_assert_str_eq(plan_str(map, &plan, buf, sizeof(buf)),
				 c->want);
		for (size_t k = 0; k < plan.n; k++)
			ck_assert_int_eq(plan.steps[k].direction, c->dir);
	} else {
		ck_assert_msg(rc == -1, "'%s' planned %s", c->target,
			      plan_str(map, &plan, buf, sizeof(buf)));
		assert_error(&err, c->msg, NULL);
		ck_assert_uint_eq(plan.n, 0);
		ck_assert_ptr_null(plan.steps);
	}
	plan_release(&plan);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* Without a state the database counts as empty. */
START_TEST(test_plan_null_state)
{
	struct revmap *map = build_graph(G_CHAIN);
	struct plan plan;
	struct retort_error err;
	char buf[256];

	error_clear(&err);
	assert_ok(revmap_plan(map, NULL, PLAN_UPGRADE, "b", &plan, &err), err);
	ck_assert_str_eq(plan_str(map, &plan, buf, sizeof(buf)),
			 "a(+a) b(-a+b)");
	plan_release(&plan);
	assert_ok(revmap_plan(map, NULL, PLAN_DOWNGRADE, "base", &plan, &err),
		  err);
	ck_assert_uint_eq(plan.n, 0);
	plan_release(&plan);
	revmap_free(map);
}
END_TEST

/* ---- revmap_plan_one ---- */

static const struct plan_one_case {
	enum graph graph;
	const char *rows, *rev;
	enum plan_direction dir;
	const char *want; /* plan_str(), or NULL: refused */
} plan_one_cases[] = {
	{ G_MERGED, "b,c", "m", PLAN_UPGRADE, "m(-b-c+m)" },
	{ G_MERGED, "m", "m", PLAN_DOWNGRADE, "m(-m+b+c)" },
	/* The other branch: b keeps its row. */
	{ G_MERGED, "b", "c", PLAN_UPGRADE, "c(+c)" },
	{ G_MERGED, "b,c", "c", PLAN_DOWNGRADE, "c(-c)" },
	{ G_MERGED, "", "a", PLAN_UPGRADE, "a(+a)" },
	{ G_MERGED, "a", "a", PLAN_DOWNGRADE, "a(-a)" },
	/* A dependency is applied first, and keeps no row. */
	{ G_DEPS, "b", "x", PLAN_UPGRADE, "x(-b+x)" },
	{ G_DEPS, "x", "x", PLAN_DOWNGRADE, "x(-x+b)" },
	/* A down revision missing, a child or dependent applied, or the
	 * revision already where it would go. */
	{ G_MERGED, "b", "m", PLAN_UPGRADE, NULL },
	{ G_MERGED, "n", "m", PLAN_DOWNGRADE, NULL },
	{ G_MERGED, "m", "m", PLAN_UPGRADE, NULL },
	{ G_MERGED, "b", "c", PLAN_DOWNGRADE, NULL },
	{ G_DEPS, "a", "x", PLAN_UPGRADE, NULL },
	{ G_DEPS, "y", "b", PLAN_DOWNGRADE, NULL },
};

START_TEST(test_plan_one_table)
{
	const struct plan_one_case *c = &plan_one_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st;
	struct plan plan;
	struct retort_error err;
	char buf[256];
	int rc;

	error_clear(&err);
	state_of(map, c->rows, &st);
	rc = revmap_plan_one(map, &st, find(map, c->rev), c->dir, &plan, &err);
	if (c->want == NULL) {
		ck_assert_int_eq(rc, -1);
		assert_error(&err, "cannot be", NULL);
		ck_assert_uint_eq(plan.n, 0);
	} else {
		assert_ok(rc, err);
		ck_assert_str_eq(plan_str(map, &plan, buf, sizeof(buf)),
				 c->want);
	}
	plan_release(&plan);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* ---- revmap_plan_undo ---- */

static const struct plan_undo_case {
	enum graph graph;
	const char *rows;    /* where the database stands now */
	const char *undo;    /* what the run upgraded, "" for nothing */
	const char *want;    /* plan_str(), or NULL: refused */
	const char *refusal; /* in the refusal's message */
} plan_undo_cases[] = {
	/* Linear: newest first, down to where the run began. */
	{ G_CHAIN, "d", "c,d", "d(-d+c) c(-c+b)", NULL },
	{ G_CHAIN, "d", "b,c,d", "d(-d+c) c(-c+b) b(-b+a)", NULL },
	{ G_CHAIN, "d", "a,b,c,d", "d(-d+c) c(-c+b) b(-b+a) a(-a)", NULL },
	{ G_CHAIN, "d", "", "", NULL },
	/* Branched: only the run's line moves; the other keeps its row. */
	{ G_BRANCHED, "d,c", "c", "c(-c)", NULL },
	{ G_BRANCHED, "d,c", "b,d", "d(-d+b) b(-b)", NULL },
	{ G_BRANCHED, "d", "b,d", "d(-d+b) b(-b+a)", NULL },
	/* Merged: the merge gives both rows back; a branch the run
	 * upgraded below the merge goes after it. */
	{ G_MERGED, "n", "m,n", "n(-n+m) m(-m+b+c)", NULL },
	{ G_MERGED, "m", "c,m", "m(-m+b+c) c(-c)", NULL },
	/* A dependency the run applied goes after what depends on it. */
	{ G_DEPS, "y", "x,y", "y(-y+x) x(-x+b)", NULL },
	{ G_DEPS, "y", "b,x,y", "y(-y+x) x(-x+b) b(-b+a)", NULL },
	/* Moved since: a revision the run upgraded was downgraded... */
	{ G_CHAIN, "c", "c,d", NULL, "revision d is no longer applied" },
	{ G_BRANCHED, "d", "c", NULL, "revision c is no longer applied" },
	/* ...or something applied since builds on one: a child, a merge,
	 * a dependent. */
	{ G_CHAIN, "d", "c", NULL,
	  "revision d, applied since the run, "
	  "builds on c" },
	{ G_MERGED, "n", "c,m", NULL,
	  "revision n, applied since the run, "
	  "builds on m" },
	{ G_DEPS, "y", "b", NULL,
	  "revision x, applied since the run, "
	  "builds on b" },
};

/* "c,d" as revision indices. */
static void undo_of(const struct revmap *map, const char *ids, size_t *items,
		    struct revlist *out)
{
	char copy[256];

	out->items = items;
	out->n = 0;
	snprintf(copy, sizeof(copy), "%s", ids);
	for (char *t = strtok(copy, ","); t != NULL; t = strtok(NULL, ","))
		items[out->n++] = find(map, t);
}

START_TEST(test_plan_undo_table)
{
	const struct plan_undo_case *c = &plan_undo_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st;
	struct plan plan;
	struct retort_error err;
	struct revlist undo;
	size_t items[8];
	char buf[256];
	int rc;

	error_clear(&err);
	state_of(map, c->rows, &st);
	undo_of(map, c->undo, items, &undo);
	rc = revmap_plan_undo(map, &st, &undo, &plan, &err);
	if (c->want == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.status, RETORT_FAILED);
		ck_assert_msg(strstr(err.msg, c->refusal) != NULL,
			      "msg \"%s\" lacks \"%s\"", err.msg, c->refusal);
		ck_assert_msg(err.hint[0] != '\0', "no hint");
		ck_assert_uint_eq(plan.n, 0);
	} else {
		assert_ok(rc, err);
		ck_assert_str_eq(plan_str(map, &plan, buf, sizeof(buf)),
				 c->want);
	}
	plan_release(&plan);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* ---- real heads, effective heads and branch labels ---- */

START_TEST(test_real_heads)
{
	struct revmap *map = build_graph(G_DEPS);
	char buf[256];

	/* b is a head by down_revision, but x depends on it */
	ck_assert(revmap_is_head(map, find(map, "b")));
	ck_assert(!revmap_is_real_head(map, find(map, "b")));
	ck_assert(revmap_is_real_head(map, find(map, "y")));
	ck_assert(!revmap_is_real_head(map, find(map, "x")));
	ck_assert(!revmap_is_real_head(map, 99));
	ck_assert_str_eq(ids(map, &map->real_heads, buf, sizeof(buf)), "y");
	revmap_free(map);
}
END_TEST

/* Where Alembic applies each revision's branch labels. */
static const struct revision_meta labelled[] = {
	REV("a", NULL),
	REVX("b", "a", "lb", NULL),
	REV("c", "b"),
	REVX("d", "c", "ld", NULL),
	REV("e", "d"),
	REV("f", "a"),
	REVX("g", "f", "lg", NULL),
	REV("h", "g"),
	REV("i", "g"),
};

struct label_case {
	const char *rev;
	const char *owners; /* the revisions whose labels apply */
};

static const struct label_case label_cases[] = {
	/* a single line above b: lb spreads down to a, the branch point */
	{ "a", "" },	{ "b", "b,d" }, { "c", "b,d" },
	{ "d", "b,d" }, { "e", "b,d" }, { "f", "" },
	{ "g", "g" },	{ "h", "g" },	{ "i", "g" },
};

START_TEST(test_label_revs)
{
	const struct label_case *c = &label_cases[_i];
	struct revmap *map = build_ok(labelled, N(labelled));
	char buf[256];

	ck_assert_str_eq(ids(map, &map->revs[find(map, c->rev)].label_revs, buf,
			     sizeof(buf)),
			 c->owners);
	revmap_free(map);
}
END_TEST

/* ---- revmap_lookup ---- */

struct lookup_case {
	enum graph graph;
	const char *symbol;
	const char *want; /* or NULL for an error */
	const char *msg;
};

static const struct lookup_case lookup_cases[] = {
	{ G_LINEAR, "b3d8", "b3d8", NULL },
	{ G_LINEAR, "b3", "b3d8", NULL },
	{ G_LINEAR, "core", "a1f0", NULL },
	{ G_LINEAR, "heads", "c4c7", NULL },
	{ G_LINEAR, "base", "", NULL },
	{ G_LINEAR, "-1", "b3d8", NULL },
	{ G_LINEAR, "core@-2", "a2e9", NULL },
	{ G_LINEAR, "-4", NULL, "'-4' walks past base" },
	{ G_LINEAR, "b3d8+1", NULL, "Can't locate revision identified by" },
	{ G_LINEAR, "zz", NULL, "Can't locate revision identified by 'zz'" },
	{ G_BRANCHED, "heads", "c,d", NULL },
	{ G_BRANCHED, "head", NULL, "Multiple head revisions" },
	{ G_BRANCHED, "feat@head", "c", NULL },
	{ G_BRANCHED, "main@heads", "d", NULL },
	{ G_BRANCHED, "feat@d", NULL, "Revision d is not a member of branch" },
	{ G_BRANCHED, "-1", "a,b", NULL },
	{ G_DEPS, "heads", "y", NULL },
	{ G_DEPS, "head", NULL, "Multiple head revisions" },
	{ G_BASES, "other@base", "", NULL },
	{ G_BASES, "nolabel@base", "", NULL },
};

START_TEST(test_lookup_table)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revlist out = { (size_t *)1, 99 };
	struct retort_error err;
	char buf[256];
	int rc;

	error_clear(&err);
	rc = revmap_lookup(map, c->symbol, &out, &err);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "'%s' failed: %s", c->symbol, err.msg);
		ck_assert_str_eq(ids(map, &out, buf, sizeof(buf)), c->want);
	} else {
		ck_assert_msg(rc == -1, "'%s' named %s", c->symbol,
			      ids(map, &out, buf, sizeof(buf)));
		assert_error(&err, c->msg, NULL);
		ck_assert_ptr_null(out.items);
	}
	revlist_release(&out);
	revmap_free(map);
}
END_TEST

/* ---- revmap_current ---- */

struct current_case {
	enum graph graph;
	const char *rows;
	const char *want;
};

static const struct current_case current_cases[] = {
	{ G_CHAIN, "", "" },
	{ G_CHAIN, "c", "c" },
	{ G_BRANCHED, "d,c", "c,d" },
	/* b stays listed: x depends on it but is not its child */
	{ G_DEPS, "y", "b,y" },
	{ G_DEPS, "x", "b,x" },
	{ G_MERGED, "n", "n" },
};

START_TEST(test_current_table)
{
	const struct current_case *c = &current_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st;
	struct revlist out;
	struct retort_error err;
	char buf[256];

	state_of(map, c->rows, &st);
	error_clear(&err);
	assert_ok(revmap_current(map, &st, &out, &err), err);
	ck_assert_str_eq(ids(map, &out, buf, sizeof(buf)), c->want);
	revlist_release(&out);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* ---- revmap_history ---- */

struct history_case {
	enum graph graph;
	const char *rows; /* NULL: the database was not read */
	const char *range;
	const char *want; /* or NULL for an error */
	const char *msg;
};

static const struct history_case history_cases[] = {
	{ G_CHAIN, NULL, NULL, "d,c,b,a", NULL },
	{ G_CHAIN, NULL, "b:c", "c,b", NULL },
	{ G_CHAIN, NULL, ":b", "b,a", NULL },
	{ G_CHAIN, NULL, "c:", "d,c", NULL },
	{ G_CHAIN, NULL, " b:heads ", "d,c,b", NULL },
	{ G_CHAIN, NULL, "base:head", "d,c,b,a", NULL },
	{ G_CHAIN, NULL, "b:+1", "c,b", NULL },
	{ G_CHAIN, NULL, "-1:", "d,c", NULL },
	{ G_CHAIN, NULL, "c:b", NULL,
	  "Requested range c:b does not refer to ancestor/descendant revisions along the same branch" },
	{ G_CHAIN, NULL, "b", NULL,
	  "History range requires [start]:[end], [start]:, or :[end]" },
	{ G_CHAIN, NULL, "a:b:c", NULL, "History range requires" },
	{ G_CHAIN, NULL, "current:", NULL, "needs the database" },
	{ G_CHAIN, "b", "current:", "d,c,b", NULL },
	{ G_CHAIN, "b", ":current", "b,a", NULL },
	/* an empty database: Alembic reads "current" as the open end */
	{ G_CHAIN, "", ":current", "d,c,b,a", NULL },
	{ G_CHAIN, NULL, "zz:", NULL, "Can't locate revision identified by" },
	/* Alembic's order: each head's line in input order */
	{ G_BRANCHED, NULL, NULL, "c,d,b,a", NULL },
	{ G_BRANCHED, NULL, "b:", "d,b", NULL },
	{ G_MERGED, NULL, NULL, "n,m,b,c,a", NULL },
	{ G_BASES, NULL, NULL, "b,a,y,x", NULL },
	{ G_BASES, NULL, "other@base:", "y,x", NULL },
	{ G_DEPS, NULL, NULL, "y,x,b,a", NULL },
};

START_TEST(test_history_table)
{
	const struct history_case *c = &history_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st = { NULL, { NULL, 0 } };
	struct revlist out = { (size_t *)1, 99 };
	struct retort_error err;
	char buf[256];
	int rc;

	if (c->rows != NULL)
		state_of(map, c->rows, &st);
	error_clear(&err);
	rc = revmap_history(map, c->range, c->rows ? &st.rows : NULL, &out,
			    &err);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "'%s' failed: %s [%s]", c->range,
			      err.msg, err.detail);
		ck_assert_str_eq(ids(map, &out, buf, sizeof(buf)), c->want);
	} else {
		ck_assert_msg(rc == -1, "'%s' walked %s", c->range,
			      ids(map, &out, buf, sizeof(buf)));
		assert_error(&err, c->msg, NULL);
		ck_assert_ptr_null(out.items);
	}
	revlist_release(&out);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

START_TEST(test_range_needs_current)
{
	ck_assert(revmap_range_needs_current("current:"));
	ck_assert(revmap_range_needs_current(" base:current "));
	ck_assert(!revmap_range_needs_current("base:heads"));
	ck_assert(!revmap_range_needs_current("currently:"));
	ck_assert(!revmap_range_needs_current("current"));
	ck_assert(!revmap_range_needs_current(NULL));
}
END_TEST

START_TEST(test_history_not_ancestor_detail)
{
	struct revmap *map = build_graph(G_BRANCHED);
	struct revlist out;
	struct retort_error err;

	error_clear(&err);
	ck_assert_int_eq(revmap_history(map, "c:d", NULL, &out, &err), -1);
	assert_error(&err, "Requested range c:d",
		     "Revision c is not an ancestor of revision d");
	revmap_free(map);
}
END_TEST

/* ---- revmap_stamp ---- */

struct stamp_case {
	enum graph graph;
	const char *rows;
	const char *targets; /* comma-separated, "" for none */
	const char *want;    /* "from>to" per step, then "| rows", or NULL */
	const char *msg;
};

static const struct stamp_case stamp_cases[] = {
	{ G_CHAIN, "", "c", ">c | c", NULL },
	{ G_CHAIN, "c", "a", "c>a | a", NULL },
	{ G_CHAIN, "a", "d", "a>d | d", NULL },
	{ G_CHAIN, "b", "b", " | b", NULL },
	{ G_CHAIN, "c", "base", "c> | ", NULL },
	{ G_CHAIN, "c", "", "c> | ", NULL },
	{ G_CHAIN, "c", "heads", "c>d | d", NULL },
	/* both targets move the row a: the second finds it gone and adds
	 * a branch, as Alembic's HeadMaintainer does */
	{ G_BRANCHED, "a", "b,c", "a>b a>c | b,c", NULL },
	/* the second target moves a row the first already moved away:
	 * Alembic's HeadMaintainer fails, and so does retort */
	{ G_CHAIN, "b", "c,a", NULL, "stamp targets conflict" },
	{ G_BRANCHED, "", "b,c", ">b >c | b,c", NULL },
	{ G_BRANCHED, "d", "feat@head", ">c | c,d", NULL },
	{ G_BRANCHED, "d,c", "main@base", "d> | c", NULL },
	{ G_BRANCHED, "d,c", "heads", " | c,d", NULL },
	{ G_MERGED, "b,c", "n", "b,c>n | n", NULL },
	{ G_MERGED, "n", "b", "n>b | b", NULL },
	{ G_DEPS, "b", "x", "b>x | x", NULL },
	{ G_DEPS, "", "zz", NULL, "Can't locate revision identified by 'zz'" },
	{ G_LINEAR, "", "-4", NULL, "walks down to base" },
};

static const char *stamp_str(const struct revmap *map,
			     const struct revstate *st,
			     const struct stamp_plan *p, char *buf, size_t size)
{
	bool row[16] = { false };
	size_t used = 0;
	char ids_buf[64];

	buf[0] = '\0';
	for (size_t k = 0; k < st->rows.n; k++)
		row[st->rows.items[k]] = true;
	for (size_t k = 0; k < p->n && used < size; k++) {
		const struct stamp_step *s = &p->steps[k];

		used += (size_t)snprintf(
			buf + used, size - used, "%s%s>", k ? " " : "",
			ids(map, &s->from, ids_buf, sizeof(ids_buf)));
		used += (size_t)snprintf(
			buf + used, size - used, "%s",
			ids(map, &s->to, ids_buf, sizeof(ids_buf)));
		for (size_t i = 0; i < s->remove.n; i++)
			row[s->remove.items[i]] = false;
		for (size_t i = 0; i < s->insert.n; i++)
			row[s->insert.items[i]] = true;
	}
	if (used < size)
		used += (size_t)snprintf(buf + used, size - used, " | ");
	for (size_t r = 0, first = 1; r < map->n && used < size; r++)
		if (row[r])
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%s", first-- ? "" : ",",
						 map->revs[r].meta->id);
	return buf;
}

START_TEST(test_stamp_table)
{
	const struct stamp_case *c = &stamp_cases[_i];
	struct revmap *map = build_graph(c->graph);
	struct revstate st;
	struct stamp_plan plan = { (struct stamp_step *)1, 99 };
	struct retort_error err;
	char copy[64], buf[256];
	const char *tv[8];
	size_t nt = 0;
	int rc;

	state_of(map, c->rows, &st);
	snprintf(copy, sizeof(copy), "%s", c->targets);
	for (char *t = strtok(copy, ","); t != NULL && nt < N(tv);
	     t = strtok(NULL, ","))
		tv[nt++] = t;
	error_clear(&err);
	rc = revmap_stamp(map, &st.rows, tv, nt, &plan, &err);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "'%s' failed: %s", c->targets, err.msg);
		ck_assert_str_eq(stamp_str(map, &st, &plan, buf, sizeof(buf)),
				 c->want);
	} else {
		ck_assert_msg(rc == -1, "'%s' stamped", c->targets);
		assert_error(&err, c->msg, NULL);
		ck_assert_uint_eq(plan.n, 0);
		ck_assert_ptr_null(plan.steps);
	}
	stamp_plan_release(&plan);
	revstate_release(&st);
	revmap_free(map);
}
END_TEST

/* ---- scale ---- */

#define LONG_CHAIN 10000

struct long_chain {
	char ids[LONG_CHAIN][8];
	struct revision_meta metas[LONG_CHAIN];
};

static struct long_chain *long_chain_new(void)
{
	struct long_chain *lc = calloc(1, sizeof(*lc));

	ck_assert_ptr_nonnull(lc);
	for (size_t i = 0; i < LONG_CHAIN; i++) {
		snprintf(lc->ids[i], sizeof(lc->ids[i]), "r%05zu", i);
		lc->metas[i].id = lc->ids[i];
		lc->metas[i].down_revision = i > 0 ? lc->ids[i - 1] : NULL;
		lc->metas[i].path = "versions/chain.c";
	}
	return lc;
}

static void assert_resolves(const struct revmap *map, const char *target,
			    const char *want)
{
	struct revlist out;
	struct retort_error err;
	char buf[64];

	error_clear(&err);
	assert_ok(revmap_resolve(map, NULL, target, &out, &err), err);
	ck_assert_str_eq(ids(map, &out, buf, sizeof(buf)), want);
	revlist_release(&out);
}

START_TEST(test_long_chain)
{
	struct long_chain *lc = long_chain_new();
	struct revmap *map = build_ok(lc->metas, LONG_CHAIN);
	const char *top[] = { "r09999" };
	struct revlist out;
	struct revstate st;
	struct plan plan;
	struct retort_error err;

	ck_assert_uint_eq(map->order.n, LONG_CHAIN);
	ck_assert_uint_eq(map->order.items[LONG_CHAIN - 1], LONG_CHAIN - 1);
	assert_resolves(map, "head", "r09999");
	assert_resolves(map, "head-9999", "r00000");
	assert_resolves(map, "base+10000", "r09999");
	assert_resolves(map, "r05000+1", "r05001");
	error_clear(&err);
	ck_assert_int_eq(revmap_resolve(map, NULL, "r0500", &out, &err), -1);
	assert_error(&err,
		     "Multiple revisions start with 'r0500': r05000, r05001, ",
		     "r05009: versions/chain.c");
	error_clear(&err);
	assert_ok(revmap_plan(map, NULL, PLAN_UPGRADE, "heads", &plan, &err),
		  err);
	ck_assert_uint_eq(plan.n, LONG_CHAIN);
	ck_assert_uint_eq(plan.steps[0].remove.n, 0);
	ck_assert_uint_eq(plan.steps[LONG_CHAIN - 1].remove.items[0],
			  LONG_CHAIN - 2);
	ck_assert_uint_eq(plan.steps[LONG_CHAIN - 1].insert.items[0],
			  LONG_CHAIN - 1);
	plan_release(&plan);
	assert_ok(revmap_state(map, top, 1, &st, &err), err);
	ck_assert(st.applied[0]);
	assert_ok(revmap_plan(map, &st, PLAN_DOWNGRADE, "base", &plan, &err),
		  err);
	ck_assert_uint_eq(plan.n, LONG_CHAIN);
	ck_assert_uint_eq(plan.steps[0].rev, LONG_CHAIN - 1);
	ck_assert_uint_eq(plan.steps[LONG_CHAIN - 1].rev, 0);
	ck_assert_uint_eq(plan.steps[LONG_CHAIN - 1].insert.n, 0);
	plan_release(&plan);
	revstate_release(&st);
	revmap_free(map);
	free(lc);
}
END_TEST

/* A 10,000-long cycle is found without deep recursion. */
START_TEST(test_long_cycle)
{
	struct long_chain *lc = long_chain_new();
	struct revmap *map = NULL;
	struct retort_error err;

	lc->metas[0].down_revision = lc->ids[LONG_CHAIN - 1];
	error_clear(&err);
	ck_assert_int_eq(revmap_build(lc->metas, LONG_CHAIN, &map, &err), -1);
	assert_error(&err,
		     "Cycle is detected in revisions (r00000 -> r00001 -> ",
		     "r00000: versions/chain.c");
	free(lc);
}
END_TEST

/* ---- release functions ---- */

START_TEST(test_release_null)
{
	struct revlist list = { NULL, 0 };
	struct plan plan = { NULL, 0 };
	struct revstate st = { NULL, { NULL, 0 } };

	revlist_release(NULL);
	revlist_release(&list);
	plan_release(NULL);
	plan_release(&plan);
	revstate_release(NULL);
	revstate_release(&st);
	revmap_free(NULL);
	ck_assert_ptr_null(list.items);
	ck_assert_ptr_null(plan.steps);
	ck_assert_ptr_null(st.applied);
}
END_TEST

static Suite *revmap_suite(void)
{
	Suite *s = suite_create("revmap");
	TCase *tc;

	tc = tcase_create("revmap_build");
	tcase_add_test(tc, test_build_linear);
	tcase_add_test(tc, test_build_branched);
	tcase_add_test(tc, test_build_merged);
	tcase_add_test(tc, test_build_two_bases);
	tcase_add_test(tc, test_build_depends_on);
	tcase_add_test(tc, test_build_spaces_and_tiebreak);
	tcase_add_test(tc, test_build_wide_tiebreak);
	tcase_add_test(tc, test_build_empty);
	tcase_add_loop_test(tc, test_build_errors, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_build_create_dates, 0, N(good_dates));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_find");
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_is_head");
	tcase_add_test(tc, test_is_head);
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_state");
	tcase_add_test(tc, test_state_closure);
	tcase_add_test(tc, test_state_deps_and_branches);
	tcase_add_test(tc, test_state_unknown_row);
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_resolve");
	tcase_add_loop_test(tc, test_resolve_table, 0, N(resolve_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_plan");
	tcase_add_loop_test(tc, test_plan_table, 0, N(plan_cases));
	tcase_add_test(tc, test_plan_null_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_plan_one");
	tcase_add_loop_test(tc, test_plan_one_table, 0, N(plan_one_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_plan_undo");
	tcase_add_loop_test(tc, test_plan_undo_table, 0, N(plan_undo_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("real_heads");
	tcase_add_test(tc, test_real_heads);
	tcase_add_loop_test(tc, test_label_revs, 0, N(label_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_lookup");
	tcase_add_loop_test(tc, test_lookup_table, 0, N(lookup_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_current");
	tcase_add_loop_test(tc, test_current_table, 0, N(current_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_history");
	tcase_add_loop_test(tc, test_history_table, 0, N(history_cases));
	tcase_add_test(tc, test_range_needs_current);
	tcase_add_test(tc, test_history_not_ancestor_detail);
	suite_add_tcase(s, tc);

	tc = tcase_create("revmap_stamp");
	tcase_add_loop_test(tc, test_stamp_table, 0, N(stamp_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_add_test(tc, test_long_chain);
	tcase_add_test(tc, test_long_cycle);
	suite_add_tcase(s, tc);

	tc = tcase_create("release");
	tcase_add_test(tc, test_release_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(revmap_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

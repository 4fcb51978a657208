/*
 * test_suggest.c - unit tests for "did you mean" (graph/suggest.h): which
 * names of a graph are offered for a word that named none.  Pure.
 */
#include "graph/suggest.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define REV(i, d, l)                                                           \
	{                                                                      \
		.id = i, .down_revision = d, .branch_labels = l,               \
		.path = "versions/" i ".c"                                     \
	}

static const struct revision_meta metas[] = {
	REV("ae1027a6acf", NULL, NULL),
	REV("27c6a30d7c24", "ae1027a6acf", "feature"),
	REV("27c6b1e2f0aa", "27c6a30d7c24", NULL),
	REV("001", "27c6b1e2f0aa", NULL),
};

struct suggest_case {
	const char *word;
	const char *want; /* "" for no suggestion */
};

static const struct suggest_case cases[] = {
	{ "haed", "'head'" },		  /* a swap is one edit */
	{ "hed", "'head'" },		  /* a letter missing */
	{ "HEAD", "'head'" },		  /* case */
	{ "headz", "'head' or 'heads'" }, /* both one edit away */
	{ "headss", "'heads'" },	  /* the nearest only: not head */
	{ "bsae", "'base'" },
	{ "featrue", "'feature'" },	    /* a branch label */
	{ "ae1027a6acd", "'ae1027a6acf'" }, /* a whole id, one digit off */
	{ "ae2", "'ae1027a6acf'" },	    /* a prefix, one digit off */
	{ "27d6", "'27c6a30d7c24' or '27c6b1e2f0aa'" },
	{ "002", "'001'" },
	{ "zzzzzz", "" }, /* nothing near */
	{ "xy", "" },	  /* two edits of two letters: another word */
	{ "", "" },
	{ "q", "" },
};

START_TEST(test_suggest_table)
{
	const struct suggest_case *c = &cases[_i];
	struct revmap *map = NULL;
	struct retort_error err = { 0 };
	struct strbuf out = STRBUF_INIT;
	size_t n;

	ck_assert_int_eq(revmap_build(metas, N(metas), &map, &err), 0);
	n = suggest_targets(map, c->word, strlen(c->word), &out);
	ck_assert_msg(strcmp(strbuf_str(&out), c->want) == 0,
		      "for \"%s\": got \"%s\", expected \"%s\"", c->word,
		      strbuf_str(&out), c->want);
	ck_assert_int_eq(n > 0, c->want[0] != '\0');
	strbuf_release(&out);
	revmap_free(map);
}
END_TEST

/* Never more than SUGGEST_MAX names, however many are as near. */
START_TEST(test_suggest_at_most_three)
{
	static const struct revision_meta many[] = {
		REV("a1b1", NULL, NULL),   REV("a1b2", "a1b1", NULL),
		REV("a1b3", "a1b2", NULL), REV("a1b4", "a1b3", NULL),
		REV("a1b5", "a1b4", NULL),
	};
	struct revmap *map = NULL;
	struct retort_error err = { 0 };
	struct strbuf out = STRBUF_INIT;

	ck_assert_int_eq(revmap_build(many, N(many), &map, &err), 0);
	ck_assert_uint_eq(suggest_targets(map, "a1b9", 4, &out), SUGGEST_MAX);
	ck_assert_str_eq(strbuf_str(&out), "'a1b1', 'a1b2' or 'a1b3'");
	strbuf_release(&out);
	revmap_free(map);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("suggest");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_suggest_table, 0, N(cases));
	tcase_add_test(tc, test_suggest_at_most_three);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test_sqltext.c - unit tests for sqltext.c: statements end at a semicolon
 * outside every kind of quote and comment PostgreSQL knows, tokens carry
 * their exact text, and hostile text (a quote or comment never closed)
 * ends where the text ends without reading past it.
 */
#include "base/sqltext.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statements of text, each between [ and ]. */
static char *split(const char *text, size_t len)
{
	static char out[1024];
	struct sql_span sp;
	size_t pos = 0, n = 0;

	out[0] = '\0';
	while (sqltext_next_stmt(text, len, &pos, &sp)) {
		ck_assert_uint_le(pos, len);
		ck_assert_uint_lt(n + sp.len + 3, sizeof(out));
		out[n++] = '[';
		memcpy(out + n, sp.s, sp.len);
		n += sp.len;
		out[n++] = ']';
		out[n] = '\0';
	}
	ck_assert_uint_eq(pos, len);
	return out;
}

static const struct {
	const char *in, *out;
} split_cases[] = {
	{ "", "" },
	{ "  ;; -- nothing\n /* at all */ ;", "" },
	{ "SELECT 1", "[SELECT 1]" },
	{ "SELECT 1; SELECT 2;", "[SELECT 1][SELECT 2]" },
	{ "SELECT 'a;b'; SELECT 2", "[SELECT 'a;b'][SELECT 2]" },
	{ "SELECT 'it''s;'; x", "[SELECT 'it''s;'][x]" },
	{ "SELECT E'it\\'s;'; x", "[SELECT E'it\\'s;'][x]" },
	{ "SELECT e'\\\\'; x", "[SELECT e'\\\\'][x]" },
	/* Without E a backslash is an ordinary character. */
	{ "SELECT '\\'; x", "[SELECT '\\'][x]" },
	{ "SELECT \"a;\"\"b\"; x", "[SELECT \"a;\"\"b\"][x]" },
	{ "DO $$ BEGIN x; END $$; y", "[DO $$ BEGIN x; END $$][y]" },
	{ "DO $f$ a $$; $ f$ $f$; y", "[DO $f$ a $$; $ f$ $f$][y]" },
	{ "SELECT $1; y", "[SELECT $1][y]" },
	{ "SELECT a$b$ ; c$d$;", "[SELECT a$b$][c$d$]" },
	{ "-- a; comment\nSELECT 1 -- b;\n; x", "[SELECT 1][x]" },
	{ "/* a /* nested; */ still; */ SELECT 1; x", "[SELECT 1][x]" },
	{ "SELECT 1 /* trailing */ ; /* lone */", "[SELECT 1]" },
	{ "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
	  "SELECT 1; SELECT CASE WHEN true THEN 1 END; END; x",
	  "[CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
	  "SELECT 1; SELECT CASE WHEN true THEN 1 END; END][x]" },
	{ "BEGIN; SELECT 1; COMMIT", "[BEGIN][SELECT 1][COMMIT]" },
	/* Never closed: the text ends the statement, and nothing more. */
	{ "SELECT 'abc; x", "[SELECT 'abc; x]" },
	{ "SELECT E'abc\\", "[SELECT E'abc\\]" },
	{ "SELECT \"abc; x", "[SELECT \"abc; x]" },
	{ "SELECT $q$ abc; $q", "[SELECT $q$ abc; $q]" },
	{ "SELECT 1 /* /* */", "[SELECT 1]" },
	{ "SELECT 1 -- x", "[SELECT 1]" },
	{ "SELECT $", "[SELECT $]" },
	{ "SELECT $a", "[SELECT $a]" },
	{ "'", "[']" },
	{ "E'", "[E']" },
	{ "$$", "[$$]" },
	{ "/*", "" },
	{ "-", "[-]" },
};

START_TEST(test_split_cases)
{
	const char *in = split_cases[_i].in;

	ck_assert_str_eq(split(in, strlen(in)), split_cases[_i].out);
}
END_TEST

/*
 * Each hostile text is copied into a buffer of exactly its length, with no
 * terminator, so that ASan sees any read past the end.
 */
START_TEST(test_never_reads_past_end)
{
	const char *in = split_cases[_i].in;
	size_t len = strlen(in), i;
	char *exact = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(exact);
	memcpy(exact, in, len);
	/* Every prefix too: a text can end anywhere. */
	for (i = 0; i <= len; i++) {
		struct sql_lexer lx;
		struct sql_token t;

		split(exact, i);
		sqltext_lexer_init(&lx, exact, i);
		while (sqltext_next(&lx, &t))
			ck_assert_uint_le((size_t)(t.s - exact) + t.len, i);
	}
	free(exact);
}
END_TEST

/* The kinds and texts of the tokens of in, as "KIND:text " each. */
static char *tokens(const char *in)
{
	static const char *names[] = { "W", "Q", "S", "N", "P", "(",
				       ")", ",", ".", ";", "O" };
	static char out[512];
	struct sql_lexer lx;
	struct sql_token t;
	size_t n = 0;

	out[0] = '\0';
	sqltext_lexer_init(&lx, in, strlen(in));
	while (sqltext_next(&lx, &t)) {
		int w = snprintf(out + n, sizeof(out) - n, "%s:%.*s ",
				 names[t.kind], (int)t.len, t.s);

		ck_assert_int_gt(w, 0);
		n += (size_t)w;
		ck_assert_uint_lt(n, sizeof(out));
	}
	return out;
}

START_TEST(test_tokens)
{
	ck_assert_str_eq(tokens("ALTER TABLE \"My \"\"T\"\".x\".y ADD"),
			 "W:ALTER W:TABLE Q:\"My \"\"T\"\".x\" .:. W:y W:ADD ");
	ck_assert_str_eq(tokens("f(1.5, .5e3, $1)::int;"),
			 "W:f (:( N:1.5 ,:, N:.5e3 ,:, P:$1 ):) O:: O:: "
			 "W:int ;:; ");
	ck_assert_str_eq(tokens("x = E'a\\'b' || $t$c'$t$ -- c\n/* d */ y"),
			 "W:x O:= S:E'a\\'b' O:| O:| S:$t$c'$t$ W:y ");
	ck_assert_str_eq(tokens("  "), "");
}
END_TEST

START_TEST(test_is_and_name)
{
	struct sql_lexer lx;
	struct sql_token t;
	char buf[8];

	sqltext_lexer_init(&lx, "CoNcUrReNtLy \"Ab\"\"C\" Users", 26);
	ck_assert(sqltext_next(&lx, &t));
	ck_assert(sqltext_is(&t, "concurrently"));
	ck_assert(sqltext_is(&t, "CONCURRENTLY"));
	ck_assert(!sqltext_is(&t, "concurrent"));
	ck_assert_str_eq(sqltext_name(&t, buf, sizeof(buf)), "concurr");
	ck_assert(sqltext_next(&lx, &t));
	ck_assert(!sqltext_is(&t, "ab\"c"));
	ck_assert_str_eq(sqltext_name(&t, buf, sizeof(buf)), "Ab\"C");
	ck_assert(sqltext_next(&lx, &t));
	ck_assert_str_eq(sqltext_name(&t, buf, sizeof(buf)), "users");
	ck_assert(!sqltext_next(&lx, &t));
	/* An unterminated quoted identifier: what there is of it. */
	sqltext_lexer_init(&lx, "\"ab", 3);
	ck_assert(sqltext_next(&lx, &t));
	ck_assert_str_eq(sqltext_name(&t, buf, sizeof(buf)), "ab");
}
END_TEST

static Suite *sqltext_suite(void)
{
	Suite *s = suite_create("sqltext");
	TCase *split_tc = tcase_create("sqltext_next_stmt");
	TCase *lex_tc = tcase_create("sqltext_next");
	int n = (int)(sizeof(split_cases) / sizeof(split_cases[0]));

	tcase_add_loop_test(split_tc, test_split_cases, 0, n);
	tcase_add_loop_test(split_tc, test_never_reads_past_end, 0, n);
	tcase_add_test(lex_tc, test_tokens);
	tcase_add_test(lex_tc, test_is_and_name);
	suite_add_tcase(s, split_tc);
	suite_add_tcase(s, lex_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sqltext_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test_lint_rules.c - unit tests for lint/lint.c and lint/rules.c on
 * hand-built captures: every rule flags its unsafe form, naming the
 * revision's step, the statement and the table, and stays quiet on its
 * safe form; a table created in the same run is never flagged; waivers
 * silence a rule and an unknown id in one is refused.
 */
#include "lint/lint.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test_lint.h"

static struct capture cap;
static struct lint_report rep;
static struct table_facts facts[4];
static size_t nfacts;

static void setup(void)
{
	capture_init(&cap);
	lint_report_init(&rep);
	nfacts = 0;
}

static void teardown(void)
{
	capture_release(&cap);
	lint_report_release(&rep);
}

/* A table of the target: rows < 0 = never analyzed. */
static void target_table(const char *name, double rows)
{
	facts[nfacts++] = (struct table_facts){ .relation = (char *)name,
						.exists = true,
						.rows = rows < 0 ? 0 : rows,
						.rows_known = rows >= 0 };
}

static void step(const char *rev, enum capture_mode mode, const char *allow)
{
	struct retort_error err = { 0 };

	if (cap.nsteps > 0)
		capture_end_step(&cap, 0, false);
	ck_assert_int_eq(capture_begin_step(&cap, rev, "versions/x.so", true,
					    mode, &err),
			 0);
	cap.steps[cap.nsteps - 1].lint_allow = allow ? strdup(allow) : NULL;
}

static struct capture_stmt *sql(const char *text)
{
	struct capture_stmt *st =
		capture_add(&cap, CAPTURE_EXEC, text, strlen(text));

	ck_assert_ptr_nonnull(st);
	st->autocommit =
		cap.steps[cap.nsteps - 1].mode != CAPTURE_IN_TRANSACTION;
	st->lock_timeout = strdup("0");
	return st;
}

static void lock(struct capture_stmt *st, const char *rel, const char *mode,
		 bool existed)
{
	st->locks = realloc(st->locks, (st->nlocks + 1) * sizeof(*st->locks));
	st->locks[st->nlocks++] =
		(struct capture_lock){ .relation = strdup(rel),
				       .mode = strdup(mode),
				       .existed = existed };
}

static void rewrite(struct capture_stmt *st, const char *rel)
{
	st->rewrites = realloc(st->rewrites,
			       (st->nrewrites + 1) * sizeof(*st->rewrites));
	st->rewrites[st->nrewrites++] = strdup(rel);
}

static void with_timeout(struct capture_stmt *st, const char *value)
{
	free(st->lock_timeout);
	st->lock_timeout = strdup(value);
}

static const char *default_timeout;

static int lint_with(const char *const *only, size_t nonly,
		     struct retort_error *err)
{
	struct lint_settings set = { .large_rows = 1000,
				     .only = only,
				     .nonly = nonly,
				     .lock_timeout = default_timeout };

	capture_end_step(&cap, 0, false);
	return lint_capture(&cap, facts, nfacts, &set, &rep, err);
}

/* The findings as "step:rule:table " each, in order. */
static const char *lint(void)
{
	static char out[2048];
	struct retort_error err = { 0 };
	size_t i, n = 0;

	ck_assert_msg(lint_with(NULL, 0, &err) == 0, "%s: %s", err.msg,
		      err.detail);
	out[0] = '\0';
	for (i = 0; i < rep.n; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s:%s:%s ",
				      cap.steps[rep.items[i].step].revision,
				      rep.items[i].rule->id,
				      rep.items[i].table);
	return out;
}

START_TEST(test_index_not_concurrent)
{
	struct capture_stmt *st;

	target_table("public.users", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	st = sql("CREATE INDEX users_email ON users (email)");
	lock(st, "public.users", "ShareLock", true);
	with_timeout(st, "5s");
	step("b", CAPTURE_AUTOCOMMIT, NULL);
	with_timeout(sql("CREATE INDEX CONCURRENTLY users_name ON users "
			 "(name)"),
		     "5s");
	ck_assert_str_eq(lint(), "a:index-not-concurrent:users ");
	ck_assert_str_eq(rep.items[0].statement,
			 "CREATE INDEX users_email ON users (email)");
	ck_assert_uint_eq(rep.items[0].stmt, 0);
}
END_TEST

START_TEST(test_concurrently_in_transaction)
{
	target_table("users", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	sql("CREATE INDEX CONCURRENTLY ix ON users (a)");
	step("b", CAPTURE_AUTOCOMMIT, NULL);
	sql("SET lock_timeout = '2s'; CREATE INDEX CONCURRENTLY ix2 ON "
	    "users (b)");
	step("c", CAPTURE_AUTOCOMMIT, NULL);
	sql("SET lock_timeout = '2s'");
	sql("CREATE INDEX CONCURRENTLY ix3 ON users (c)");
	ck_assert_str_eq(lint(), "a:concurrently-in-transaction:users "
				 "b:concurrently-in-transaction:users ");
}
END_TEST

START_TEST(test_volatile_default)
{
	struct capture_stmt *st;

	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	st = sql("ALTER TABLE t ADD COLUMN id2 uuid DEFAULT gen_random_uuid()");
	with_timeout(st, "2s");
	st = sql("ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now(), ADD "
		 "n int");
	with_timeout(st, "2s");
	ck_assert_str_eq(lint(), "a:volatile-default:t ");
}
END_TEST

START_TEST(test_rewriting_type_change)
{
	struct capture_stmt *st;

	target_table("public.t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	st = sql("ALTER TABLE t ALTER COLUMN n TYPE bigint");
	lock(st, "public.t", "AccessExclusiveLock", true);
	rewrite(st, "public.t");
	with_timeout(st, "2s");
	/* Measured without a rewrite: quiet, whatever the text. */
	st = sql("ALTER TABLE t ALTER COLUMN s TYPE varchar(40)");
	with_timeout(st, "2s");
	/* Not measured (autocommit): the text decides. */
	step("b", CAPTURE_AUTOCOMMIT, NULL);
	with_timeout(sql("ALTER TABLE t ALTER COLUMN m TYPE numeric"), "2s");
	with_timeout(sql("ALTER TABLE t ALTER COLUMN s TYPE text"), "2s");
	ck_assert_str_eq(lint(), "a:rewriting-type-change:t "
				 "b:rewriting-type-change:t ");
}
END_TEST

START_TEST(test_set_not_null)
{
	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t ALTER COLUMN a SET NOT NULL"), "2s");
	with_timeout(sql("ALTER TABLE t ADD CONSTRAINT b_nn CHECK (b IS NOT "
			 "NULL) NOT VALID"),
		     "2s");
	step("b", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t VALIDATE CONSTRAINT b_nn"), "2s");
	step("c", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t ALTER COLUMN b SET NOT NULL"), "2s");
	ck_assert_str_eq(lint(), "a:set-not-null:t ");
}
END_TEST

START_TEST(test_constraint_not_not_valid)
{
	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) "
			 "REFERENCES u (id)"),
		     "2s");
	with_timeout(sql("ALTER TABLE t ADD CONSTRAINT pos CHECK (n > 0)"),
		     "2s");
	with_timeout(sql("ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (v) "
			 "REFERENCES v (id) NOT VALID"),
		     "2s");
	ck_assert_str_eq(lint(), "a:constraint-not-not-valid:t "
				 "a:constraint-not-not-valid:t ");
}
END_TEST

START_TEST(test_validate_in_same_transaction)
{
	target_table("big", 5000);
	target_table("small", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE big ADD CONSTRAINT c CHECK (n > 0) NOT "
			 "VALID"),
		     "2s");
	with_timeout(sql("ALTER TABLE big VALIDATE CONSTRAINT c"), "2s");
	with_timeout(sql("ALTER TABLE small ADD CONSTRAINT c CHECK (n > 0) NOT "
			 "VALID"),
		     "2s");
	with_timeout(sql("ALTER TABLE small VALIDATE CONSTRAINT c"), "2s");
	step("b", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE big ADD CONSTRAINT d CHECK (n > 0) NOT "
			 "VALID"),
		     "2s");
	step("c", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE big VALIDATE CONSTRAINT d"), "2s");
	ck_assert_str_eq(lint(), "a:validate-in-same-transaction:big ");
	ck_assert_str_eq(rep.items[0].fact,
			 "big has about 5000 rows in the target");
}
END_TEST

START_TEST(test_access_exclusive_on_large_table)
{
	struct capture_stmt *st;

	target_table("public.big", 5000);
	target_table("public.unknown", -1);
	step("a", CAPTURE_IN_TRANSACTION, "rewriting-type-change");
	st = sql("ALTER TABLE big ALTER COLUMN n TYPE bigint");
	lock(st, "public.big", "AccessExclusiveLock", true);
	rewrite(st, "public.big");
	with_timeout(st, "2s");
	/* A table never analyzed is not known to be large. */
	st = sql("ALTER TABLE unknown ALTER COLUMN n TYPE bigint");
	rewrite(st, "public.unknown");
	with_timeout(st, "2s");
	/* Catalog only: no rewrite, no scan. */
	with_timeout(sql("ALTER TABLE big ADD COLUMN x int"), "2s");
	step("b", CAPTURE_AUTOCOMMIT, NULL);
	with_timeout(sql("VACUUM FULL big"), "2s");
	ck_assert_str_eq(lint(), "a:access-exclusive-on-large-table:big "
				 "b:access-exclusive-on-large-table:big ");
	ck_assert_uint_eq(rep.waived, 2);
}
END_TEST

START_TEST(test_no_lock_timeout)
{
	struct capture_stmt *st;

	target_table("public.t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	st = sql("ALTER TABLE t ADD COLUMN x int");
	lock(st, "public.t", "AccessExclusiveLock", true);
	/* Measured: only a weak lock. */
	st = sql("ALTER TABLE t VALIDATE CONSTRAINT c");
	lock(st, "public.t", "ShareUpdateExclusiveLock", true);
	step("b", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t ADD COLUMN y int"), "5s");
	/* Autocommit, unmeasured: the SET before it tells. */
	step("c", CAPTURE_AUTOCOMMIT, NULL);
	free(sql("SET lock_timeout = '3s'")->lock_timeout);
	cap.stmts[cap.n - 1].lock_timeout = NULL;
	free(sql("ALTER TABLE t ADD COLUMN z int")->lock_timeout);
	cap.stmts[cap.n - 1].lock_timeout = NULL;
	step("d", CAPTURE_AUTOCOMMIT, NULL);
	free(sql("ALTER TABLE t ADD COLUMN w int")->lock_timeout);
	cap.stmts[cap.n - 1].lock_timeout = NULL;
	ck_assert_str_eq(lint(), "a:no-lock-timeout:t d:no-lock-timeout:t ");
	/* Unmeasured, without a SET: the ddl_lock_timeout the runner sets. */
	lint_report_release(&rep);
	lint_report_init(&rep);
	default_timeout = "4s";
	ck_assert_str_eq(lint(), "a:no-lock-timeout:t ");
	default_timeout = NULL;
	ck_assert_str_eq(rep.items[0].fact, "lock_timeout was 0 as it ran");
}
END_TEST

START_TEST(test_large_data_change)
{
	struct capture_stmt *st;

	target_table("big", 5000);
	target_table("small", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	sql("UPDATE big SET n = 0 WHERE n IS NULL");
	sql("DELETE FROM big");
	sql("UPDATE small SET n = 0");
	step("b", CAPTURE_BATCHED, NULL);
	st = capture_add(&cap, CAPTURE_BACKFILL,
			 "UPDATE big SET n = 0 WHERE id BETWEEN $1 AND $2", 47);
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(lint(), "a:large-data-change:big "
				 "a:large-data-change:big ");
}
END_TEST

START_TEST(test_drop_and_rename)
{
	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t DROP COLUMN a"), "2s");
	with_timeout(sql("ALTER TABLE t RENAME COLUMN b TO c"), "2s");
	with_timeout(sql("ALTER TABLE t RENAME TO u"), "2s");
	with_timeout(sql("DROP TABLE IF EXISTS t"), "2s");
	ck_assert_str_eq(lint(), "a:drop-column:t a:rename-column:t "
				 "a:rename-table:t a:drop-table:t ");
}
END_TEST

/* Nothing uses a table created earlier in the same run. */
START_TEST(test_created_in_run_is_quiet)
{
	struct capture_stmt *st;

	step("a", CAPTURE_IN_TRANSACTION, NULL);
	st = sql("CREATE TABLE fresh (id int, a int)");
	lock(st, "public.fresh", "AccessExclusiveLock", false);
	step("b", CAPTURE_IN_TRANSACTION, NULL);
	sql("CREATE INDEX ON fresh (a); ALTER TABLE fresh ADD COLUMN u uuid "
	    "DEFAULT gen_random_uuid(), ALTER a SET NOT NULL, ADD CHECK (a > "
	    "0)");
	sql("ALTER TABLE fresh RENAME TO fresher");
	sql("ALTER TABLE fresher DROP COLUMN a; DROP TABLE fresher");
	ck_assert_str_eq(lint(), "");
}
END_TEST

START_TEST(test_only_named_revisions)
{
	static const char *const only[] = { "b" };
	struct retort_error err = { 0 };

	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t DROP COLUMN x"), "2s");
	step("b", CAPTURE_IN_TRANSACTION, NULL);
	with_timeout(sql("ALTER TABLE t DROP COLUMN y"), "2s");
	ck_assert_int_eq(lint_with(only, 1, &err), 0);
	ck_assert_uint_eq(rep.n, 1);
	ck_assert_uint_eq(rep.items[0].step, 1);
}
END_TEST

START_TEST(test_waivers)
{
	struct retort_error err = { 0 };

	target_table("t", 10);
	step("a", CAPTURE_IN_TRANSACTION, "drop-column, rename-column");
	with_timeout(sql("ALTER TABLE t DROP COLUMN x, RENAME y TO z"), "2s");
	ck_assert_str_eq(lint(), "");
	ck_assert_uint_eq(rep.waived, 2);
	teardown();
	setup();
	step("a", CAPTURE_IN_TRANSACTION, "drop-column,drop-colum");
	ck_assert_int_eq(lint_with(NULL, 0, &err), -1);
	ck_assert_int_eq(err.status, RETORT_USAGE);
	ck_assert_str_eq(
		err.msg,
		"revision a waives an unknown lint rule \"drop-colum\"");
	ck_assert_ptr_nonnull(strstr(err.detail, "index-not-concurrent"));
	ck_assert_ptr_nonnull(strstr(err.detail, "rename-table"));
}
END_TEST

START_TEST(test_relation_names)
{
	ck_assert(rules_same_relation("public.users", "users"));
	ck_assert(rules_same_relation("users", "public.users"));
	ck_assert(rules_same_relation("public.\"My T\"", "\"My T\""));
	ck_assert(!rules_same_relation("public.\"My T\"", "my t"));
	ck_assert(!rules_same_relation("a.users", "b.users"));
	ck_assert(rules_same_relation("App.Users", "app.users"));
	ck_assert(!rules_same_relation("", ""));
}
END_TEST

static Suite *lint_suite(void)
{
	Suite *s = suite_create("lint_rules");
	TCase *tc = tcase_create("lint_capture");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_index_not_concurrent);
	tcase_add_test(tc, test_concurrently_in_transaction);
	tcase_add_test(tc, test_volatile_default);
	tcase_add_test(tc, test_rewriting_type_change);
	tcase_add_test(tc, test_set_not_null);
	tcase_add_test(tc, test_constraint_not_not_valid);
	tcase_add_test(tc, test_validate_in_same_transaction);
	tcase_add_test(tc, test_access_exclusive_on_large_table);
	tcase_add_test(tc, test_no_lock_timeout);
	tcase_add_test(tc, test_large_data_change);
	tcase_add_test(tc, test_drop_and_rename);
	tcase_add_test(tc, test_created_in_run_is_quiet);
	tcase_add_test(tc, test_only_named_revisions);
	tcase_add_test(tc, test_waivers);
	tcase_add_test(tc, test_relation_names);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, classify_tcase());
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lint_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

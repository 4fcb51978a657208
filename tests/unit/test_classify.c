/*
 * test_classify.c - unit tests for lint/classify.c: each statement form
 * the lint rules judge is recognised with its table and details, and its
 * near neighbours are not mistaken for it.  Linked into the lint_rules
 * suite (test_lint_rules.c runs it).
 */
#include "lint/classify.h"

#include <check.h>
#include <string.h>

#include "test_lint.h"

static struct sql_class cls;

static const struct sql_class *classify(const char *sql)
{
	classify_sql(sql, strlen(sql), &cls);
	return &cls;
}

START_TEST(test_create_index)
{
	const struct sql_class *c;

	c = classify("CREATE INDEX ix ON app.users (email)");
	ck_assert_int_eq(c->kind, SQL_CREATE_INDEX);
	ck_assert_str_eq(c->table, "app.users");
	ck_assert_str_eq(c->index, "ix");
	ck_assert(!c->concurrently && !c->unique);
	c = classify("create unique index concurrently if not exists \"Ix\" "
		     "on only \"Users\"(a)");
	ck_assert_int_eq(c->kind, SQL_CREATE_INDEX);
	ck_assert(c->unique && c->concurrently && c->if_not_exists);
	ck_assert_str_eq(c->index, "Ix");
	ck_assert_str_eq(c->table, "Users");
	c = classify("CREATE INDEX ON t USING btree (a) WHERE a > 0");
	ck_assert_str_eq(c->index, "");
	ck_assert_str_eq(c->table, "t");
}
END_TEST

START_TEST(test_create_table)
{
	ck_assert_int_eq(
		classify("CREATE TABLE IF NOT EXISTS s.t (a int)")->kind,
		SQL_CREATE_TABLE);
	ck_assert_str_eq(cls.table, "s.t");
	ck_assert_int_eq(classify("create unlogged table t (a int)")->kind,
			 SQL_CREATE_TABLE);
	ck_assert_int_eq(classify("CREATE VIEW v AS SELECT 1")->kind,
			 SQL_OTHER);
	ck_assert_int_eq(classify("CREATE UNIQUE TABLE t")->kind, SQL_OTHER);
}
END_TEST

START_TEST(test_add_column)
{
	const struct sql_alter *a;

	classify("ALTER TABLE t ADD COLUMN a int, ADD b text DEFAULT 'x' NOT "
		 "NULL, ADD COLUMN IF NOT EXISTS c uuid DEFAULT "
		 "gen_random_uuid(), ADD d timestamptz DEFAULT now() "
		 "REFERENCES u(id), ADD e int GENERATED ALWAYS AS (a * 2) "
		 "STORED");
	ck_assert_int_eq(cls.kind, SQL_ALTER_TABLE);
	ck_assert_uint_eq(cls.nalters, 5);
	a = cls.alters;
	ck_assert_int_eq(a[0].kind, ALTER_ADD_COLUMN);
	ck_assert_str_eq(a[0].column, "a");
	ck_assert(!a[0].has_default && !a[0].volatile_default);
	ck_assert_str_eq(a[1].column, "b");
	ck_assert(a[1].has_default && !a[1].volatile_default);
	ck_assert_str_eq(a[2].column, "c");
	ck_assert(a[2].has_default && a[2].volatile_default);
	ck_assert(a[3].has_default && !a[3].volatile_default);
	ck_assert(a[4].volatile_default);
}
END_TEST

static const struct {
	const char *expr;
	bool is_volatile;
} defaults[] = {
	{ "0", false },
	{ "'x'::text", false },
	{ "now()", false },
	{ "CURRENT_TIMESTAMP", false },
	{ "0::numeric(10,2)", false },
	{ "lower('A')", false },
	{ "random()", true },
	{ "gen_random_uuid()", true },
	{ "clock_timestamp()", true },
	{ "nextval('s')", true },
	{ "uuid_generate_v4()", true },
	{ "coalesce(random(), 1)", true },
	{ "'random()'", false },
};

START_TEST(test_volatile_default)
{
	const char *e = defaults[_i].expr;

	ck_assert_msg(classify_volatile_default(e, strlen(e)) ==
			      defaults[_i].is_volatile,
		      "%s", e);
}
END_TEST

START_TEST(test_alter_column)
{
	classify(
		"ALTER TABLE ONLY t ALTER COLUMN a TYPE bigint USING a::bigint,"
		" ALTER b SET DATA TYPE text, ALTER c TYPE varchar(20), "
		"ALTER d SET NOT NULL, ALTER e DROP NOT NULL, ALTER f SET "
		"DEFAULT 1");
	ck_assert_str_eq(cls.table, "t");
	ck_assert_uint_eq(cls.nalters, 6);
	ck_assert_int_eq(cls.alters[0].kind, ALTER_COLUMN_TYPE);
	ck_assert(cls.alters[0].using_clause && !cls.alters[0].to_text);
	ck_assert_int_eq(cls.alters[1].kind, ALTER_COLUMN_TYPE);
	ck_assert(cls.alters[1].to_text && !cls.alters[1].using_clause);
	ck_assert(!cls.alters[2].to_text);
	ck_assert_int_eq(cls.alters[3].kind, ALTER_SET_NOT_NULL);
	ck_assert_str_eq(cls.alters[3].column, "d");
	ck_assert_int_eq(cls.alters[4].kind, ALTER_OTHER);
	ck_assert_int_eq(cls.alters[5].kind, ALTER_OTHER);
}
END_TEST

START_TEST(test_constraints)
{
	const struct sql_alter *a = cls.alters;

	classify("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES "
		 "u (id) NOT VALID, ADD CHECK (a > 0), ADD CONSTRAINT nn "
		 "CHECK ((b IS NOT NULL)) NOT VALID, ADD CONSTRAINT uq UNIQUE "
		 "(a), ADD PRIMARY KEY (id), VALIDATE CONSTRAINT fk, DROP "
		 "CONSTRAINT x");
	ck_assert_uint_eq(cls.nalters, 7);
	ck_assert_int_eq(a[0].kind, ALTER_ADD_CONSTRAINT);
	ck_assert_int_eq(a[0].constraint_kind, CONSTRAINT_FOREIGN_KEY);
	ck_assert_str_eq(a[0].constraint, "fk");
	ck_assert(a[0].not_valid);
	ck_assert_int_eq(a[1].constraint_kind, CONSTRAINT_CHECK);
	ck_assert(!a[1].not_valid);
	ck_assert_str_eq(a[1].checks_not_null, "");
	ck_assert_str_eq(a[2].checks_not_null, "b");
	ck_assert(a[2].not_valid);
	ck_assert_int_eq(a[3].constraint_kind, CONSTRAINT_UNIQUE);
	ck_assert_int_eq(a[4].constraint_kind, CONSTRAINT_PRIMARY_KEY);
	ck_assert_int_eq(a[5].kind, ALTER_VALIDATE_CONSTRAINT);
	ck_assert_str_eq(a[5].constraint, "fk");
	ck_assert_int_eq(a[6].kind, ALTER_OTHER);
	classify("ALTER TABLE t ADD CONSTRAINT c CHECK (b IS NOT NULL AND a)");
	ck_assert_str_eq(cls.alters[0].checks_not_null, "");
}
END_TEST

START_TEST(test_drop_and_rename)
{
	classify("ALTER TABLE t DROP COLUMN IF EXISTS a, DROP b");
	ck_assert_int_eq(cls.alters[0].kind, ALTER_DROP_COLUMN);
	ck_assert_str_eq(cls.alters[0].column, "a");
	ck_assert_str_eq(cls.alters[1].column, "b");
	classify("ALTER TABLE t RENAME COLUMN a TO b");
	ck_assert_int_eq(cls.alters[0].kind, ALTER_RENAME_COLUMN);
	ck_assert_str_eq(cls.alters[0].new_name, "b");
	classify("ALTER TABLE t RENAME a TO b");
	ck_assert_int_eq(cls.alters[0].kind, ALTER_RENAME_COLUMN);
	classify("ALTER TABLE IF EXISTS t RENAME TO u");
	ck_assert_int_eq(cls.alters[0].kind, ALTER_RENAME_TABLE);
	ck_assert_str_eq(cls.alters[0].new_name, "u");
	classify("ALTER TABLE t RENAME CONSTRAINT a TO b");
	ck_assert_int_eq(cls.alters[0].kind, ALTER_OTHER);
	ck_assert_int_eq(classify("DROP TABLE IF EXISTS s.t CASCADE")->kind,
			 SQL_DROP_TABLE);
	ck_assert_str_eq(cls.table, "s.t");
	ck_assert_int_eq(classify("DROP INDEX ix")->kind, SQL_OTHER);
}
END_TEST

START_TEST(test_dml)
{
	ck_assert_int_eq(classify("UPDATE t SET a = 1")->kind, SQL_UPDATE);
	ck_assert(!cls.has_where);
	classify("UPDATE ONLY t SET a = (SELECT 1 FROM u WHERE u.x) WHERE b");
	ck_assert(cls.has_where);
	ck_assert_str_eq(cls.table, "t");
	ck_assert_int_eq(classify("DELETE FROM s.t")->kind, SQL_DELETE);
	ck_assert(!cls.has_where);
	ck_assert_str_eq(cls.table, "s.t");
	ck_assert(classify("delete from t where id = $1")->has_where);
	ck_assert_int_eq(classify("INSERT INTO t SELECT * FROM u")->kind,
			 SQL_INSERT_SELECT);
	ck_assert_int_eq(classify("INSERT INTO t VALUES (1)")->kind, SQL_OTHER);
	ck_assert_int_eq(classify("INSERT INTO t VALUES ((SELECT 1))")->kind,
			 SQL_OTHER);
}
END_TEST

START_TEST(test_set_and_maintenance)
{
	ck_assert_int_eq(classify("SET LOCAL lock_timeout = '5s'")->kind,
			 SQL_SET_LOCK_TIMEOUT);
	ck_assert(cls.local);
	ck_assert_str_eq(cls.value, "5s");
	classify("set lock_timeout to 0");
	ck_assert_str_eq(cls.value, "0");
	ck_assert(!cls.local);
	ck_assert_int_eq(classify("SET statement_timeout = 0")->kind,
			 SQL_OTHER);
	ck_assert_int_eq(classify("VACUUM FULL t")->kind, SQL_VACUUM_FULL);
	ck_assert_str_eq(cls.table, "t");
	ck_assert_int_eq(classify("VACUUM (FULL, ANALYZE) t")->kind,
			 SQL_VACUUM_FULL);
	ck_assert_str_eq(cls.table, "t");
	ck_assert_int_eq(classify("VACUUM t")->kind, SQL_OTHER);
	ck_assert_int_eq(classify("CLUSTER VERBOSE t USING ix")->kind,
			 SQL_CLUSTER);
	ck_assert_str_eq(cls.table, "t");
	ck_assert_int_eq(classify("REINDEX TABLE CONCURRENTLY t")->kind,
			 SQL_REINDEX);
	ck_assert(cls.concurrently);
	ck_assert_int_eq(classify("")->kind, SQL_OTHER);
	ck_assert_int_eq(classify("ALTER TABLE")->kind, SQL_ALTER_TABLE);
	ck_assert_uint_eq(cls.nalters, 0);
}
END_TEST

TCase *classify_tcase(void)
{
	TCase *tc = tcase_create("classify_sql");

	tcase_add_test(tc, test_create_index);
	tcase_add_test(tc, test_create_table);
	tcase_add_test(tc, test_add_column);
	tcase_add_loop_test(tc, test_volatile_default, 0,
			    (int)(sizeof(defaults) / sizeof(defaults[0])));
	tcase_add_test(tc, test_alter_column);
	tcase_add_test(tc, test_constraints);
	tcase_add_test(tc, test_drop_and_rename);
	tcase_add_test(tc, test_dml);
	tcase_add_test(tc, test_set_and_maintenance);
	return tc;
}

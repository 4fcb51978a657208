/*
 * Integration: `retort plan`, the rehearsal of a plan, against a real
 * database with the `capture` fixture.  Each statement a revision sends,
 * whichever way it sends it (plugin_api.h's calls, or libpq on the raw
 * connection), is in plan --json in order with its origin, text and
 * parameters; the locks and rewrites are PostgreSQL's own; a failing
 * revision is exit 1 with PostgreSQL's error and the statements up to it;
 * and the target is the same afterwards.  Documents are read with json-c.
 */
#include "harness.h"

#include <signal.h>
#include <unistd.h>

#include "json_doc.h"

/* The step of revision id. */
static json_object *step(json_object *doc, const char *id)
{
	json_object *steps = doc_field(doc, "steps");

	for (size_t i = 0; i < json_object_array_length(steps); i++)
		if (strcmp(doc_str(doc_at(steps, i), "revision"), id) == 0)
			return doc_at(steps, i);
	ck_abort_msg("no step %s in %s", id, json_object_to_json_string(doc));
	return NULL;
}

/* The facts of relation in "tables". */
static json_object *table(json_object *doc, const char *relation)
{
	json_object *tables = doc_field(doc, "tables");

	for (size_t i = 0; i < json_object_array_length(tables); i++)
		if (strcmp(doc_str(doc_at(tables, i), "relation"), relation) ==
		    0)
			return doc_at(tables, i);
	ck_abort_msg("no table %s in %s", relation,
		     json_object_to_json_string(tables));
	return NULL;
}

static json_object *stmt(json_object *doc, const char *id, size_t i)
{
	return doc_at(doc_field(step(doc, id), "statements"), i);
}

/* "relation mode" pairs of a statement's locks, joined by commas. */
static const char *locks(json_object *st)
{
	json_object *arr = doc_field(st, "locks");
	const char *out = "";

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		out = harness_fmt("%s%s%s %s", out, i ? "," : "",
				  doc_str(doc_at(arr, i), "relation"),
				  doc_str(doc_at(arr, i), "mode"));
	return out;
}

/* A database at 001 (users, notes), where the rehearsals start. */
static const struct harness_db *at_001(const char *test)
{
	const struct harness_db *db = harness_db_fresh(test);

	assert_ok(harness_at(db, "capture", "-q", "upgrade", "001", NULL));
	return db;
}

static json_object *plan_json(const struct harness_db *db, const char *target)
{
	const struct harness_result *r =
		harness_at(db, "capture", "plan", "--rehearse-on-target",
			   "--json", target, NULL);

	assert_ok(r);
	return doc_parse(r);
}

START_TEST(test_every_way_in_order)
{
	const struct harness_db *db = at_001(__func__);
	json_object *doc = plan_json(db, "004");
	static const char *const origins[] = {
		"retort_exec",	  "retort_exec",    "retort_exec_params",
		"retort_query",	  "retort_copy_in", "retort_copy_out",
		"raw connection", "raw connection", "raw connection",
		"raw connection",
	};
	json_object *sts = doc_field(step(doc, "002"), "statements");

	assert_str_eq(doc_str(doc, "command"), "plan");
	ck_assert_int_eq(json_object_get_int(doc_field(doc, "format_version")),
			 1);
	assert_str_eq(doc_str(doc, "rehearsal"), "on_target");
	ck_assert_uint_eq(json_object_array_length(sts), 10);
	for (size_t i = 0; i < 10; i++)
		assert_str_eq(doc_str(doc_at(sts, i), "origin"), origins[i]);
	/* Several statements in one retort_exec(), byte for byte. */
	assert_str_eq(doc_str(doc_at(sts, 0), "sql"),
		      "ALTER TABLE users ADD COLUMN email text;\n"
		      "COMMENT ON TABLE users IS 'people'");
	assert_str_eq(doc_strings(doc_field(doc_at(sts, 2), "params")),
		      "1,NULL");
	ck_assert(json_object_get_type(
			  doc_at(doc_field(doc_at(sts, 2), "params"), 1)) ==
		  json_type_null);
	assert_starts_with(doc_str(doc_at(sts, 0), "call_site"), "upgrade+0x");
	assert_str_eq(doc_str(doc_at(sts, 4), "sql"),
		      "COPY notes (id, body) FROM STDIN");
	assert_str_eq(doc_str(doc_at(sts, 5), "sql"),
		      "COPY (SELECT id FROM notes) TO STDOUT");
	/* The raw connection: PQexec, PQexecParams, PQsendQuery, a COPY. */
	assert_str_eq(doc_str(doc_at(sts, 6), "sql"),
		      "INSERT INTO notes VALUES (20, 'raw exec')");
	assert_str_eq(doc_str(doc_at(sts, 7), "sql"),
		      "INSERT INTO notes VALUES (21, $1)");
	assert_str_eq(doc_strings(doc_field(doc_at(sts, 7), "params")),
		      "raw params");
	assert_str_eq(doc_str(doc_at(sts, 8), "sql"),
		      "UPDATE notes SET body = 'sent' WHERE id = 20");
	assert_str_eq(doc_str(doc_at(sts, 9), "sql"),
		      "COPY notes (id, body) FROM STDIN");
	ck_assert_int_eq(
		json_object_get_int(doc_field(doc_at(sts, 9), "copy_bytes")),
		20);
	/* Raw statements are measured as one group, on its last. */
	ck_assert_int_eq(
		json_object_get_int(doc_field(doc_at(sts, 8), "measured_with")),
		json_object_get_int(doc_field(doc_at(sts, 6), "index")));
	/* Read before: the count, then everything after it. */
	ck_assert(!doc_flag(doc_at(sts, 3), "after_read"));
	ck_assert(doc_flag(doc_at(sts, 4), "after_read"));
	ck_assert(doc_flag(doc_at(sts, 6), "after_read"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_backfills)
{
	const struct harness_db *db = at_001(__func__);
	json_object *doc = plan_json(db, "004");
	json_object *sts = doc_field(step(doc, "004"), "statements");

	assert_str_eq(doc_str(doc_at(sts, 0), "origin"), "retort_backfill");
	assert_str_eq(
		doc_str(doc_at(sts, 0), "sql"),
		"UPDATE users SET email = name || '@example.com' WHERE id BETWEEN $1 AND $2");
	assert_str_eq(doc_str(doc_at(sts, 1), "origin"), "retort_backfill");
	assert_str_eq(
		doc_str(doc_at(sts, 1), "sql"),
		"-- backfill of users: a C batch function runs for each batch");
	/* The C batch function's own statement, on the raw connection. */
	assert_str_eq(doc_str(doc_at(sts, 2), "origin"), "raw connection");
	assert_starts_with(doc_str(doc_at(sts, 2), "sql"),
			   "UPDATE users SET name");
	assert_str_eq(doc_strings(doc_field(doc_at(sts, 2), "params")), "1,50");
	json_object_put(doc);
}
END_TEST

START_TEST(test_locks_and_rewrites)
{
	const struct harness_db *db = at_001(__func__);
	json_object *doc = plan_json(db, "003");

	assert_contains(locks(stmt(doc, "002", 0)),
			"public.users AccessExclusiveLock");
	assert_contains(locks(stmt(doc, "002", 1)), "public.users ShareLock");
	assert_str_eq(doc_str(stmt(doc, "002", 0), "lock_timeout"), "2s");
	/* int -> bigint rewrites users; varchar(10) -> (20) does not. */
	assert_contains(doc_strings(doc_field(stmt(doc, "003", 0), "rewrites")),
			"public.users");
	assert_str_eq(doc_strings(doc_field(stmt(doc, "003", 1), "rewrites")),
		      "");
	json_object_put(doc);
}
END_TEST

START_TEST(test_text)
{
	const struct harness_db *db = at_001(__func__);
	const struct harness_result *r = harness_at(
		db, "capture", "plan", "--rehearse-on-target", "003", NULL);

	assert_ok(r);
	assert_contains(
		r->out,
		"Rehearsal on the target, in one transaction rolled back");
	assert_contains(
		r->out,
		"upgrade 002, every way to send (transaction, lock_timeout 2s");
	assert_contains(
		r->out,
		"      ALTER TABLE users ADD COLUMN email text;\n      COMMENT ON TABLE users IS 'people'\n");
	assert_contains(r->out, "lock: ACCESS EXCLUSIVE on public.users (");
	assert_contains(r->out, "lock: SHARE on public.users (");
	assert_contains(r->out, "rewrites public.users\n");
	assert_contains(r->out, "parameters: $1='1' $2=NULL\n");
	assert_contains(r->out, "note: sent after the revision read rows");
	assert_contains(r->out, "retort_exec at upgrade+0x");
	/* The runner's own statements, one line each; in full in --json. */
	assert_contains(r->out, "\n    runner: BEGIN\n");
	r = harness_at(db, "capture", "plan", "003", NULL);
	assert_ok(r);
	assert_contains(r->out,
			"\n    runner: INSERT INTO \"retort_history\" (");
	assert_contains(r->out, " ...\n    runner: COMMIT\n");
}
END_TEST

/* What a rehearsal must leave as it found: schema, rows, version rows,
 * retort's own tables. */
static const char *state_of(const struct harness_db *db)
{
	return harness_fmt(
		"%s|%s|%s|%s",
		harness_scalar(
			db,
			"SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || c.relfilenode, ',' ORDER BY c.relname)"
			" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
			" WHERE n.nspname = 'public'"),
		harness_scalar(
			db,
			"SELECT string_agg(attrelid::regclass || '.' || attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY 1)"
			" FROM pg_attribute WHERE attnum > 0 AND attrelid IN"
			" (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)"),
		harness_scalar(
			db,
			"SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u"),
		harness_scalar(
			db,
			"SELECT coalesce(string_agg(version_num, ','), '') FROM alembic_version"));
}

/* 006 refused by PostgreSQL: exit 1 with its error, the statements up
 * to it shown, the target as it was (before: state_of() then). */
static void assert_failed_at_006(const struct harness_db *db,
				 const struct harness_result *r,
				 const char *before)
{
	assert_exit(r, 1);
	assert_contains(r->err, "retort: error: revision 006");
	assert_contains(
		r->err,
		"multiple primary keys for table \"users\" are not allowed");
	assert_contains(r->err, "SQLSTATE 42P16");
	assert_contains(r->err, "the target is unchanged");
	assert_contains(r->out, "CREATE TABLE audit_trail (id int)");
	assert_contains(r->out, "ALTER TABLE users ADD PRIMARY KEY (n)");
	assert_contains(r->out, "FAILED");
	assert_contains(r->out, "upgrade 005, index concurrently (autocommit");
	ck_assert(!harness_table_exists(db, "audit_trail"));
	assert_str_eq(state_of(db), before);
}

START_TEST(test_target_unchanged)
{
	const struct harness_db *db = at_001(__func__);
	const char *before = state_of(db);
	long history = harness_count(db, "SELECT * FROM retort_history");
	const char *lock_rows = harness_scalar(
		db,
		"SELECT coalesce(string_agg(t::text, ','), '') FROM retort_lock t");

	assert_ok(harness_at(db, "capture", "plan", "--rehearse-on-target",
			     "004", NULL));
	assert_str_eq(state_of(db), before);
	ck_assert_int_eq(harness_count(db, "SELECT * FROM retort_history"),
			 history);
	ck_assert_int_eq(harness_count(db, "SELECT * FROM notes"), 0);
	ck_assert(!harness_table_exists(db, "retort_backfill"));
	assert_str_eq(
		harness_scalar(
			db,
			"SELECT coalesce(string_agg(t::text, ','), '') FROM retort_lock t"),
		lock_rows);
}
END_TEST

START_TEST(test_failure)
{
	const struct harness_db *db = at_001(__func__);
	const char *before = state_of(db);
	const struct harness_result *r = harness_at(
		db, "capture", "plan", "--rehearse-on-target", "head", NULL);

	assert_failed_at_006(db, r, before);
	assert_contains(r->out, "not rehearsed: it runs outside a transaction");
}
END_TEST

START_TEST(test_failure_json)
{
	const struct harness_db *db = at_001(__func__);
	const struct harness_result *r =
		harness_at(db, "capture", "plan", "--rehearse-on-target",
			   "--json", "head", NULL);
	json_object *doc, *sts;

	assert_exit(r, 1);
	assert_contains(r->err, "revision 006");
	doc = doc_parse(r);
	ck_assert(!doc_flag(doc, "ok"));
	ck_assert(doc_flag(step(doc, "005"), "skipped"));
	ck_assert(doc_flag(step(doc, "006"), "failed"));
	sts = doc_field(step(doc, "006"), "statements");
	ck_assert_uint_eq(json_object_array_length(sts), 2);
	ck_assert(!doc_flag(doc_at(sts, 0), "failed"));
	ck_assert(doc_flag(doc_at(sts, 1), "failed"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_downgrade)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;
	json_object *doc;

	assert_ok(harness_at(db, "capture", "-q", "upgrade", "003", NULL));
	r = harness_at(db, "capture", "plan", "--rehearse-on-target", "--json",
		       "--downgrade", "001", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_str_eq(doc_str(doc, "direction"), "downgrade");
	assert_str_eq(doc_str(doc_at(doc_field(doc, "steps"), 0), "revision"),
		      "003");
	assert_str_eq(doc_str(doc_at(doc_field(doc, "steps"), 1), "revision"),
		      "002");
	assert_str_eq(doc_str(doc_at(doc_field(doc, "steps"), 0), "direction"),
		      "downgrade");
	assert_str_eq(harness_versions(db, NULL), "003");
	json_object_put(doc);
}
END_TEST

START_TEST(test_nothing_to_do)
{
	const struct harness_db *db = at_001(__func__);
	const struct harness_result *r = harness_at(
		db, "capture", "plan", "--rehearse-on-target", "001", NULL);

	assert_ok(r);
	assert_contains(r->out, "Nothing to do");
}
END_TEST

/* The writes the target's tables have seen, from the statistics. */
static const char *writes_of(const struct harness_db *db)
{
	harness_exec(db, "SELECT pg_stat_clear_snapshot()");
	return harness_scalar(
		db,
		"SELECT string_agg(relname || ':' || n_tup_ins || ':' || n_tup_upd || ':' || n_tup_del, ',' ORDER BY relname)"
		" FROM pg_stat_user_tables");
}

/* The scratch shadow a run of this test's revisions sleeps in, or "". */
static const char *sleeping_shadow(const struct harness_db *db)
{
	return harness_scalar(
		db, "SELECT coalesce(max(datname), '') FROM pg_stat_activity"
		    " WHERE datname LIKE 'retort\\_shadow\\_%'"
		    " AND query LIKE '%pg_sleep%' AND state = 'active'");
}

/* Without --rehearse-on-target: run for real in a shadow of the target's
 * schema, each step committed with its version and audit rows. */
START_TEST(test_shadow)
{
	const struct harness_db *db = at_001(__func__);
	const char *before, *writes;
	const struct harness_result *r;
	json_object *doc, *sts, *users;
	size_t n;

	harness_exec(db, "ANALYZE users");
	before = state_of(db);
	writes = writes_of(db);
	r = harness_at(db, "capture", "plan", "--json", "003", NULL);
	assert_ok(r);
	doc = doc_parse(r);
	assert_str_eq(doc_str(doc, "rehearsal"), "shadow");
	sts = doc_field(step(doc, "002"), "statements");
	n = json_object_array_length(sts);
	assert_str_eq(doc_str(doc_at(sts, 0), "origin"), "runner");
	assert_str_eq(doc_str(doc_at(sts, 0), "sql"), "BEGIN");
	assert_str_eq(doc_str(doc_at(sts, n - 1), "sql"), "COMMIT");
	assert_contains(doc_str(doc_at(sts, n - 3), "sql"), "alembic_version");
	assert_contains(doc_str(doc_at(sts, n - 2), "sql"), "retort_history");
	assert_contains(locks(stmt(doc, "002", 2)),
			"public.users AccessExclusiveLock");
	assert_contains(doc_strings(doc_field(stmt(doc, "003", 2), "rewrites")),
			"public.users");
	users = table(doc, "public.users");
	ck_assert(doc_flag(users, "exists"));
	ck_assert_int_eq(json_object_get_int(doc_field(users, "rows")), 50);
	ck_assert_int_gt(json_object_get_int64(doc_field(users, "bytes")), 0);
	ck_assert(!doc_flag(table(doc, "public.users_name"), "exists"));
	r = harness_at(db, "capture", "plan", "003", NULL);
	assert_ok(r);
	assert_contains(r->out, "Rehearsal in a shadow database");
	assert_contains(r->out,
			"lock: ACCESS EXCLUSIVE on public.users (50 rows, ");
	assert_contains(r->out, " in the target)\n");
	assert_str_eq(state_of(db), before);
	assert_str_eq(writes_of(db), writes);
	json_object_put(doc);
}
END_TEST

START_TEST(test_shadow_failure)
{
	const struct harness_db *db = at_001(__func__);
	const char *before = state_of(db);
	const struct harness_result *r =
		harness_at(db, "capture", "plan", "head", NULL);

	assert_failed_at_006(db, r, before);
	/* In the shadow, 005 runs outside a transaction as upgrade runs it. */
	assert_contains(r->out, "CREATE INDEX CONCURRENTLY notes_body");
}
END_TEST

/* Ctrl-C while a revision runs in the shadow: stopped, the shadow
 * dropped, the target as it was. */
START_TEST(test_shadow_interrupted)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .url = db->url, .versions = "slow" };
	const char *const args[] = { "plan", "head", NULL };
	struct harness_proc *p = harness_spawn(&how, args);
	const struct harness_result *r;
	const char *shadow = "";

	for (int i = 0; i < 200 && !shadow[0]; i++) {
		harness_sleep_ms(25);
		shadow = sleeping_shadow(db);
	}
	ck_assert_msg(shadow[0], "the rehearsal never reached pg_sleep");
	harness_signal(p, SIGINT);
	r = harness_wait(p);
	assert_exit(r, 130);
	assert_contains(r->err, "SIGINT");
	ck_assert_int_eq(
		harness_count(db, harness_fmt("SELECT 1 FROM pg_database"
					      " WHERE datname = '%s'",
					      shadow)),
		0);
	ck_assert(harness_versions(db, NULL) == NULL ||
		  harness_versions(db, NULL)[0] == '\0');
	ck_assert(!harness_table_exists(db, "s"));
}
END_TEST

/* A user who may not create databases: the shadow cannot be made, and
 * the hint says what plan needs, not what autogenerate needs. */
START_TEST(test_no_createdb)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *role = harness_fmt("rt_noshadow_%ld", (long)getpid());
	const struct harness_run how = { .url = harness_url(
						 false, db->name, "user", role,
						 "password", "pw", NULL),
					 .versions = "capture" };
	const char *const args[] = { "plan", "head", NULL };
	const struct harness_result *r;

	harness_exec(db, harness_fmt("DROP ROLE IF EXISTS %s", role));
	harness_exec(db, harness_fmt("CREATE ROLE %s LOGIN PASSWORD 'pw'"
				     " NOCREATEDB",
				     role));
	r = harness_wait(harness_spawn(&how, args));
	harness_exec(db, harness_fmt("DROP ROLE %s", role));
	assert_exit(r, 1);
	assert_contains(r->err, "retort: error: cannot create the shadow"
				" database: permission denied to create"
				" database\n");
	assert_contains(r->err,
			"retort: hint: This command works in a scratch database"
			" on the same server: grant the user CREATEDB, or pass"
			" --shadow-url with an empty database it may use.\n");
	assert_str_eq(r->out, "");
}
END_TEST

/* Through PgBouncer in transaction pooling: the rehearsal is one
 * transaction, so it keeps its server connection throughout. */
START_TEST(test_through_pooler)
{
	const char *pooler = getenv("RETORT_TEST_POOLER_URL");
	const struct harness_db *db;
	const char *slash;
	struct harness_run how = { .versions = "capture" };
	const struct harness_result *r;

	if (pooler == NULL || pooler[0] == '\0') {
		const char *required = getenv("RETORT_REQUIRE_DB");

		ck_assert_msg(required == NULL || strcmp(required, "1") != 0,
			      "RETORT_REQUIRE_DB=1 but no "
			      "RETORT_TEST_POOLER_URL");
		printf("# no RETORT_TEST_POOLER_URL: plan through PgBouncer "
		       "not tested\n");
		return;
	}
	db = at_001(__func__);
	slash = strrchr(pooler, '/');
	how.url =
		harness_fmt("%.*s/%s", (int)(slash - pooler), pooler, db->name);
	r = harness_retort(&how, "plan", "--rehearse-on-target", "004", NULL);
	assert_ok(r);
	assert_contains(r->out, "lock: ACCESS EXCLUSIVE on public.users");
	assert_contains(r->out, "INSERT INTO notes VALUES (21, $1)");
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = harness_tcase("plan");

	tcase_add_test(tc, test_every_way_in_order);
	tcase_add_test(tc, test_backfills);
	tcase_add_test(tc, test_locks_and_rewrites);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_target_unchanged);
	tcase_add_test(tc, test_failure);
	tcase_add_test(tc, test_failure_json);
	tcase_add_test(tc, test_downgrade);
	tcase_add_test(tc, test_nothing_to_do);
	tcase_add_test(tc, test_shadow);
	tcase_add_test(tc, test_shadow_failure);
	tcase_add_test(tc, test_shadow_interrupted);
	tcase_add_test(tc, test_no_createdb);
	tcase_add_test(tc, test_through_pooler);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(plan_suite(), HARNESS_NEEDS_DB);
}

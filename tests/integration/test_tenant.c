/*
 * Integration: --tenant-schema, one tenant's schema in a shared database.
 * retort's tables live in the tenant's schema, each revision runs with
 * that schema first in search_path for its transaction only (safe through
 * a transaction-pooling PgBouncer), the migration lock is the tenant's
 * own, and what cannot be served is refused before anything is touched.
 *
 * The tenant fixture's revisions name their table without a schema and
 * record current_setting('search_path') as each step saw it, and as each
 * batch of its backfill (003, one row a batch) saw it.
 * RETORT_TEST_POOLER_URL (scripts/dev-db pgbouncer start, transaction
 * pooling) runs the PgBouncer test; without it that test says so and
 * passes, unless RETORT_REQUIRE_DB=1.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* What each step of the tenant fixture saw, "1:path|2:path". */
#define PATHS(schema)                                                          \
	"SELECT string_agg(id || ':' || path, '|' ORDER BY id) FROM " schema   \
	".items"

/* retort at db with --tenant-schema schema and the fixture scenario. */
static const struct harness_result *tenant(const struct harness_db *db,
					   const char *scenario,
					   const char *schema,
					   const char *const *args)
{
	const char *argv[16] = { "--tenant-schema", schema };
	const struct harness_run how = { .url = db->url, .versions = scenario };
	size_t n = 2;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	return harness_retortv(&how, argv);
}

#define TENANT(db, scenario, schema, ...)                                      \
	tenant(db, scenario, schema, (const char *const[]){ __VA_ARGS__, NULL })

static const struct harness_db *two_tenants(const char *test)
{
	const struct harness_db *db = harness_db_fresh(test);

	harness_exec(db, "CREATE SCHEMA tenant_1; CREATE SCHEMA tenant_2");
	return db;
}

START_TEST(test_two_tenants_upgraded_separately)
{
	const struct harness_db *db = two_tenants(__func__);
	const struct harness_result *r;

	assert_ok(TENANT(db, "tenant", "tenant_1", "-q", "upgrade", "heads"));
	assert_ok(TENANT(db, "tenant", "tenant_2", "-q", "upgrade", "001"));
	assert_str_eq(harness_versions(db, "tenant_1.alembic_version"), "003");
	assert_str_eq(harness_versions(db, "tenant_2.alembic_version"), "001");
	ck_assert(harness_table_exists(db, "tenant_1.items"));
	ck_assert(harness_table_exists(db, "tenant_2.items"));
	ck_assert(harness_table_exists(db, "tenant_1.retort_history"));
	ck_assert(harness_table_exists(db, "tenant_2.retort_lock"));
	ck_assert(!harness_table_exists(db, "public.items"));
	ck_assert(!harness_table_exists(db, "public.alembic_version"));
	ck_assert(!harness_table_exists(db, "public.retort_history"));
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM "
					   "tenant_2.retort_history"),
			 1);

	r = TENANT(db, "tenant", "tenant_1", "current");
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");
	r = TENANT(db, "tenant", "tenant_2", "current");
	assert_ok(r);
	assert_str_eq(r->out, "001\n");
	assert_ok(TENANT(db, "tenant", "tenant_1", "check"));
	assert_exit(TENANT(db, "tenant", "tenant_2", "check"), 1);
	r = TENANT(db, "tenant", "tenant_2", "log");
	assert_ok(r);
	assert_contains(r->out, "001");
	assert_not_contains(r->out, "002");
	r = TENANT(db, "tenant", "tenant_2", "history", "-i");
	assert_ok(r);
	assert_contains(r->out, "<base> -> 001 (current), items");
	assert_ok(TENANT(db, "tenant", "tenant_2", "-q", "downgrade", "base"));
	assert_str_eq(harness_versions(db, "tenant_2.alembic_version"), "");
	ck_assert(!harness_table_exists(db, "tenant_2.items"));
	assert_str_eq(harness_versions(db, "tenant_1.alembic_version"), "003");
}
END_TEST

/* Each step saw the tenant once, before the session's own path: the
 * first step's setting did not outlive its transaction. */
START_TEST(test_search_path_is_per_transaction)
{
	const struct harness_db *db = two_tenants(__func__);

	harness_exec(db, harness_fmt("ALTER DATABASE %s SET search_path "
				     "= shared, public",
				     db->name));
	assert_ok(TENANT(db, "tenant", "tenant_1", "-q", "upgrade", "heads"));
	/* Each step, and each batch of 003's backfill after it. */
	assert_str_eq(harness_scalar(db, PATHS("tenant_1")),
		      "1:\"tenant_1\", shared, public / \"tenant_1\", shared, "
		      "public|"
		      "2:\"tenant_1\", shared, public / \"tenant_1\", shared, "
		      "public");
	ck_assert(harness_table_exists(db, "tenant_1.retort_backfill"));
	ck_assert(!harness_table_exists(db, "public.retort_backfill"));
	/* stamp and the ini's tenant_schema: the same tenant's tables. */
	harness_write_file("retort.ini",
			   "[retort]\ntenant_schema = tenant_2\n");
	assert_ok(
		harness_retort(&(struct harness_run){ .url = db->url,
						      .versions = "tenant",
						      .cwd = harness_tmpdir() },
			       "stamp", "001", NULL));
	assert_str_eq(harness_versions(db, "tenant_2.alembic_version"), "001");
}
END_TEST

/*
 * A RETORT_NO_TRANSACTION revision would run with the session's path:
 * refused (exit 2) before anything runs.
 */
START_TEST(test_no_transaction_revision_refused)
{
	const struct harness_db *db = two_tenants(__func__);
	const struct harness_result *r;

	r = TENANT(db, "no_transaction", "tenant_1", "upgrade", "heads");
	assert_exit(r, 2);
	assert_contains(r->err,
			"retort: error: revision 002 runs outside a "
			"transaction (RETORT_NO_TRANSACTION): --tenant-schema "
			"cannot serve it");
	ck_assert(!harness_table_exists(db, "tenant_1.nt_items"));
	ck_assert(!harness_table_exists(db, "tenant_1.alembic_version"));
}
END_TEST

START_TEST(test_missing_schema)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r;

	r = TENANT(db, "tenant", "tenant_9", "upgrade", "heads");
	assert_exit(r, 1);
	assert_contains(r->err, "retort: error: the tenant schema "
				"\"tenant_9\" does not exist\n");
	assert_contains(r->err, "retort: hint: Create the tenant's schema");
	assert_str_eq(r->out, "");
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM pg_namespace "
					 "WHERE nspname = 'tenant_9'"),
		      "0");
	ck_assert(!harness_table_exists(db, "public.alembic_version"));
	ck_assert(!harness_table_exists(db, "public.items"));
}
END_TEST

START_TEST(test_both_schemas_set_is_usage)
{
	const struct harness_db *db = two_tenants(__func__);
	const struct harness_result *r;

	harness_write_file("retort.ini",
			   "[retort]\nversion_table_schema = tenant_2\n");
	r = harness_retort(&(struct harness_run){ .url = db->url,
						  .versions = "tenant",
						  .cwd = harness_tmpdir() },
			   "--tenant-schema", "tenant_1", "upgrade", "heads",
			   NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: a tenant schema and "
				"version_table_schema are both set\n");
	assert_contains(r->err, "retort: hint: Set one");
	ck_assert(!harness_table_exists(db, "tenant_1.alembic_version"));
	ck_assert(!harness_table_exists(db, "tenant_2.alembic_version"));
	r = TENANT(db, "tenant", "", "current");
	assert_exit(r, 2);
	assert_contains(r->err, "the tenant schema is empty");
}
END_TEST

/* Commands that run revisions on a copy or into a script: refused. */
START_TEST(test_rehearsals_refused)
{
	const struct harness_db *db = two_tenants(__func__);
	const char *const cmds[][4] = {
		{ "plan", "heads", NULL },
		{ "upgrade", "--sql", "heads" },
		{ "lint", NULL, NULL },
		{ "test", NULL, NULL },
		{ "upgrade", "--lint", "heads" },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct harness_result *r =
			tenant(db, "tenant", "tenant_1", cmds[i]);

		assert_exit(r, 2);
		assert_contains(r->err, "does not run with --tenant-schema");
	}
	ck_assert(!harness_table_exists(db, "tenant_1.items"));
	ck_assert(!harness_table_exists(db, "tenant_1.alembic_version"));
}
END_TEST

/* tenant_1's lock held keeps tenant_1 out, never tenant_2. */
START_TEST(test_lock_is_per_tenant)
{
	const struct harness_db *db = two_tenants(__func__);
	const struct harness_run how = { .url = db->url, .versions = "leased" };
	const char *const first[] = {
		"--tenant-schema", "tenant_1", "-x", "tx_sleep=3", "-q",
		"upgrade",	   "001",      NULL
	};
	struct harness_proc *a = harness_spawn(&how, first);
	const struct harness_result *r;

	harness_wait_for(
		db,
		"SELECT count(*) FROM pg_stat_activity WHERE datname = "
		"current_database() AND query LIKE '%pg_sleep%' AND state = "
		"'active' AND pid <> pg_backend_pid()",
		"1");
	r = TENANT(db, "leased", "tenant_2", "--lock-timeout", "500ms", "-q",
		   "upgrade", "001");
	assert_ok(r);
	r = TENANT(db, "leased", "tenant_1", "--lock-timeout", "500ms",
		   "upgrade", "001");
	assert_exit(r, 1);
	assert_contains(r->err, "timed out after 500ms waiting for the "
				"migration lock");
	assert_ok(harness_wait(a));
	assert_str_eq(harness_versions(db, "tenant_1.alembic_version"), "001");
	assert_str_eq(harness_versions(db, "tenant_2.alembic_version"), "001");
}
END_TEST

/* The pooler's URL with this test's database. */
static const char *pooled_url(const char *dbname)
{
	const char *base = getenv("RETORT_TEST_POOLER_URL");
	const char *host = strstr(base, "://");
	const char *end = host ? strchr(host + 3, '/') : NULL;

	ck_assert_msg(end, "RETORT_TEST_POOLER_URL is no postgresql:// URL");
	return harness_fmt("%.*s/%s", (int)(end - base), base, dbname);
}

/* search_path as a new client of the pooler sees it, several times over
 * (the pool's server connections are few: each is met). */
static void assert_pool_paths_clean(const char *url)
{
	for (int i = 0; i < 6; i++) {
		PGconn *c = PQconnectdb(url);
		PGresult *res;

		ck_assert_msg(PQstatus(c) == CONNECTION_OK, "pooler: %s",
			      PQerrorMessage(c));
		res = PQexec(c, "SHOW search_path");
		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_str_eq(PQgetvalue(res, 0, 0), "\"$user\", public");
		PQclear(res);
		PQfinish(c);
	}
}

START_TEST(test_through_transaction_pooling)
{
	const struct harness_db *db;
	const char *url;

	if (!getenv("RETORT_TEST_POOLER_URL")) {
		ck_assert_msg(!getenv("RETORT_REQUIRE_DB") ||
				      strcmp(getenv("RETORT_REQUIRE_DB"), "1"),
			      "RETORT_TEST_POOLER_URL is not set");
		fprintf(stderr, "# no RETORT_TEST_POOLER_URL: the PgBouncer "
				"test did not run\n");
		return;
	}
	db = two_tenants(__func__);
	url = pooled_url(db->name);
	assert_ok(harness_retort(
		&(struct harness_run){ .url = url, .versions = "tenant" },
		"--tenant-schema", "tenant_1", "-q", "upgrade", "heads", NULL));
	assert_ok(harness_retort(
		&(struct harness_run){ .url = url, .versions = "tenant" },
		"--tenant-schema", "tenant_2", "-q", "upgrade", "heads", NULL));
	assert_str_eq(
		harness_scalar(db, PATHS("tenant_1")),
		"1:\"tenant_1\", \"$user\", public / \"tenant_1\", \"$user\", "
		"public|"
		"2:\"tenant_1\", \"$user\", public / \"tenant_1\", \"$user\", "
		"public");
	assert_str_eq(
		harness_scalar(db, PATHS("tenant_2")),
		"1:\"tenant_2\", \"$user\", public / \"tenant_2\", \"$user\", "
		"public|"
		"2:\"tenant_2\", \"$user\", public / \"tenant_2\", \"$user\", "
		"public");
	assert_pool_paths_clean(url);
}
END_TEST

static Suite *tenant_suite(void)
{
	Suite *s = suite_create("tenant");
	TCase *tc = harness_tcase("tenants");

	tcase_add_test(tc, test_two_tenants_upgraded_separately);
	tcase_add_test(tc, test_search_path_is_per_transaction);
	tcase_add_test(tc, test_lock_is_per_tenant);
	tcase_add_test(tc, test_through_transaction_pooling);
	suite_add_tcase(s, tc);

	tc = harness_tcase("refused");
	tcase_add_test(tc, test_no_transaction_revision_refused);
	tcase_add_test(tc, test_missing_schema);
	tcase_add_test(tc, test_both_schemas_set_is_usage);
	tcase_add_test(tc, test_rehearsals_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(tenant_suite(), HARNESS_NEEDS_DB);
}

/*
 * Integration: where the database URL and the version table come from.
 * --url beats DATABASE_URL beats ./.env beats retort.ini's url; each test
 * points the losing sources at a database that does not exist, so only
 * the winner can succeed, then removes the winner to prove the next one
 * in line really was read.
 */
#include <unistd.h>

#include "harness.h"

enum source { SRC_FLAG, SRC_ENV, SRC_DOTENV, SRC_INI, SRC_COUNT };

/* Each losing source names its own missing database, to tell them apart. */
static const char *const missing_db[SRC_COUNT] = {
	"rt_missing_flag",
	"rt_missing_env",
	"rt_missing_dotenv",
	"rt_missing_ini",
};

/* Write name with one line holding url, or remove it when url is NULL. */
static void put_file(const char *name, const char *key, const char *url)
{
	if (url != NULL)
		harness_write_file(name, "%s%s\n", key, url);
	else
		unlink(harness_fmt("%s/%s", harness_tmpdir(), name));
}

/*
 * `upgrade head` with the sources above `level` absent, `level` holding
 * good (absent too when NULL) and those below it their missing database;
 * last in line, libpq's PG* variables name one too.
 */
static const struct harness_result *run_from(enum source level,
					     const char *good)
{
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .versions = "linear",
				   .env = harness_pg_env("rt_missing_pgenv") };
	const char *url[SRC_COUNT];
	int s;

	for (s = SRC_FLAG; s < SRC_COUNT; s++)
		url[s] = s < (int)level ? NULL
			 : s == (int)level
				 ? good
				 : harness_url(false, missing_db[s], NULL);
	how.url = url[SRC_FLAG];
	how.database_url = url[SRC_ENV];
	put_file(".env", "DATABASE_URL=", url[SRC_DOTENV]);
	put_file("retort.ini", "[retort]\nurl = ", url[SRC_INI]);
	return harness_retort(&how, "upgrade", "head", NULL);
}

START_TEST(test_url_precedence)
{
	enum source level = (enum source)_i;
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_result *r = run_from(level, db->url);

	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "003");

	/* Without the winner, the next source in line is the one used. */
	r = run_from(level, NULL);
	assert_exit(r, 1);
	assert_contains(r->err, level == SRC_INI ? "rt_missing_pgenv"
						 : missing_db[level + 1]);
}
END_TEST

/* What each source says when it is given but empty. */
static const char *const empty_msg[SRC_COUNT] = {
	"retort: error: the database URL given with --url is empty\n",
	"retort: error: the database URL in the DATABASE_URL environment "
	"variable is empty\n",
	"retort: error: .env: DATABASE_URL is empty\n",
	"retort: error: retort.ini:2: url is empty\n",
};

/*
 * A source given but empty is a usage error, even though every source
 * after it, and libpq's PG* variables, name a database that would work.
 */
START_TEST(test_empty_url)
{
	enum source level = (enum source)_i;
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .versions = "linear",
				   .env = harness_pg_env(db->name) };
	const char *url[SRC_COUNT];
	const struct harness_result *r;
	int s;

	for (s = SRC_FLAG; s < SRC_COUNT; s++)
		url[s] = s < (int)level ? NULL : s == (int)level ? "" : db->url;
	how.url = url[SRC_FLAG];
	how.database_url = url[SRC_ENV];
	put_file(".env", "DATABASE_URL=", url[SRC_DOTENV]);
	put_file("retort.ini", "[retort]\nurl = ", url[SRC_INI]);
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_starts_with(r->err, "retort: error: ");
	assert_contains(r->err, empty_msg[level]);
	assert_contains(r->err, "retort: detail: an empty database URL does "
				"not fall back");
	assert_contains(r->err, "retort: hint: ");
	assert_str_eq(r->out, "");
	ck_assert_ptr_null(harness_versions(db, NULL));
}
END_TEST

/* With no URL at all, libpq's PG* variables still reach the database. */
START_TEST(test_libpq_environment)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear",
				   .env = harness_pg_env(db->name) };

	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_ini_url_alone)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .versions = "linear" };

	harness_write_file("retort.ini", "[retort]\nurl = %s\n", db->url);
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_config_flag)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *ini = harness_write_file("elsewhere.ini",
					     "[retort]\nurl = %s\n", db->url);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .versions = "linear" };

	assert_ok(harness_retort(&how, "-c", ini, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_config_flag_missing_file)
{
	const char *ini = harness_fmt("%s/missing.ini", harness_tmpdir());
	const struct harness_result *r =
		harness_at(NULL, "linear", "-c", ini, "heads", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "missing.ini");
}
END_TEST

/* The spellings of one URL a user may paste. */
static const char *url_form(const struct harness_db *db, int form)
{
	const char *tail = db->url + strlen("postgresql://");

	switch (form) {
	case 0:
		return db->url;
	case 1:
		return harness_fmt("postgres://%s", tail);
	case 2:
		return harness_fmt("postgresql+asyncpg://%s", tail);
	default:
		return db->conninfo;
	}
}

START_TEST(test_url_forms)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *url = url_form(db, _i);
	struct harness_run how = { .versions = "linear", .url = url };

	ck_assert(harness_starts_with(db->url, "postgresql://"));
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

START_TEST(test_version_table_in_schema)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .url = db->url,
				   .versions = "linear" };
	const struct harness_result *r;

	harness_exec(db, "CREATE SCHEMA rt_meta");
	harness_write_file("retort.ini", "[retort]\n"
					 "version_table = my_versions\n"
					 "version_table_schema = rt_meta\n");
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, "rt_meta.my_versions"), "003");
	ck_assert_ptr_null(harness_versions(db, NULL));
	ck_assert_ptr_null(harness_versions(db, "rt_meta.alembic_version"));

	r = harness_retort(&how, "current", NULL);
	assert_ok(r);
	assert_str_eq(r->out, "003 (head)\n");

	assert_ok(harness_retort(&how, "downgrade", "-1", NULL));
	assert_str_eq(harness_versions(db, "rt_meta.my_versions"), "002");
}
END_TEST

START_TEST(test_version_table_renamed)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .url = db->url,
				   .versions = "linear" };

	harness_write_file("retort.ini",
			   "[retort]\nversion_table = my_versions\n");
	assert_ok(harness_retort(&how, "upgrade", "002", NULL));
	assert_str_eq(harness_versions(db, "public.my_versions"), "002");
	ck_assert_ptr_null(harness_versions(db, NULL));
}
END_TEST

/*
 * The primary key is "<version_table>_pkc", as Alembic names it, and must
 * fit PostgreSQL's 63 bytes: 59 works, 60 is refused before connecting.
 */
START_TEST(test_version_table_longest)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .cwd = harness_tmpdir(),
				   .url = db->url,
				   .versions = "linear" };
	const char *name59 = harness_fmt("v%058d", 0);
	const char *name60 = harness_fmt("v%059d", 0);
	const struct harness_result *r;

	harness_write_file("retort.ini", "[retort]\nversion_table = %s\n",
			   name60);
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: ");
	assert_contains(
		r->err,
		"retort.ini:2: version_table is longer than 59 bytes\n");
	assert_contains(r->err, "retort: detail: version_table is 60 bytes; ");
	assert_contains(r->err, "\"_pkc\"");
	assert_contains(r->err,
			"retort: hint: Choose a name of at most 59 bytes.\n");
	ck_assert_ptr_null(harness_versions(db, name60));

	harness_write_file("retort.ini", "[retort]\nversion_table = %s\n",
			   name59);
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, name59), "003");
	assert_str_eq(
		harness_scalar(db,
			       harness_fmt("SELECT conname FROM pg_constraint"
					   " WHERE conname = '%s_pkc'",
					   name59)),
		harness_fmt("%s_pkc", name59));
	assert_ok(harness_retort(&how, "downgrade", "base", NULL));
}
END_TEST

static Suite *sources_suite(void)
{
	Suite *s = suite_create("sources");
	TCase *tc = harness_tcase("url");

	tcase_add_loop_test(tc, test_url_precedence, SRC_FLAG, SRC_COUNT);
	tcase_add_loop_test(tc, test_empty_url, SRC_FLAG, SRC_COUNT);
	tcase_add_test(tc, test_libpq_environment);
	tcase_add_test(tc, test_ini_url_alone);
	tcase_add_test(tc, test_config_flag);
	tcase_add_test(tc, test_config_flag_missing_file);
	/* URI, postgres://, SQLAlchemy's +driver, keyword/value */
	tcase_add_loop_test(tc, test_url_forms, 0, 4);
	suite_add_tcase(s, tc);

	tc = harness_tcase("version_table");
	tcase_add_test(tc, test_version_table_in_schema);
	tcase_add_test(tc, test_version_table_renamed);
	tcase_add_test(tc, test_version_table_longest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(sources_suite(), HARNESS_NEEDS_DB);
}

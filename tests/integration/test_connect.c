/*
 * Integration: how retort reaches the database.  Where the URL comes from
 * and what it may hold: a password with URL syntax in it is never printed,
 * a misspelt setting is an error rather than a fall-back to libpq's PG*
 * variables, a bad port or sslmode is a usage error before connecting,
 * asyncpg's parameters are dropped with a note, and a server that never
 * answers is given up on (or interrupted) instead of waited for.
 */
#include "harness.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#define at harness_at

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* No three bytes in a row of the password anywhere in the output. */
static void assert_no_password(const struct harness_result *r,
			       const char *password)
{
	char window[4] = { 0 };

	for (size_t i = 0; password[i] && password[i + 1] && password[i + 2];
	     i++) {
		memcpy(window, password + i, 3);
		assert_not_contains(r->err, window);
		assert_not_contains(r->out, window);
	}
}

/* ---- A: passwords that look like URL syntax ---- */

/*
 * The tester's URL: libpq would take "ss_wr0ng@127.0.0.1" for the host and
 * print it.  Refused before connecting, without a byte of the password.
 */
START_TEST(test_raw_at_in_password)
{
	const char *url =
		harness_fmt("postgresql://app:p@ss_wr0ng@%s:%s/db",
			    harness_server_host(), harness_server_port());
	const struct harness_result *r =
		at(NULL, "linear", "--url", url, "upgrade", "head", NULL);

	assert_exit(r, 2);
	assert_starts_with(r->err,
			   "retort: error: the database URL has an '@'");
	assert_contains(r->err, "%40");
	assert_contains(r->err, "the URL came from --url");
	assert_not_contains(r->err, "ss_wr0ng");
	assert_not_contains(r->err, "p@ss");
}
END_TEST

static const char *const nasty[] = {
	"Zq7@Xw9Kv3",	   "Zq7/Xw9Kv3",
	"Zq7?Xw9Kv3",	   "Zq7#Xw9Kv3",
	"Zq7%Xw9Kv3",	   "Zq7 Xw9 Kv3",
	"Zq7:Xw9Kv3",	   "Zq7@Xw9/Kv3?Jm5#Hn2%Yt4 Lp6:Rb8",
	"Zq7/Xw9?Kv3@Jm5", "Zq7%41Xw9Kv3",
};

#define NNASTY ((int)(sizeof(nasty) / sizeof(nasty[0])))

/* The ways a URL reaches retort, each with one URL form. */
enum url_form {
	FORM_URL,     /* --url postgresql:// */
	FORM_ENV,     /* DATABASE_URL=postgres:// */
	FORM_DOTENV,  /* .env: DATABASE_URL=postgresql+asyncpg:// */
	FORM_INI,     /* retort.ini: url = postgresql+psycopg2:// */
	FORM_KV,      /* --url "host=... password='...'" */
	FORM_KV_BARE, /* --url "host=... password=..." unquoted */
	NFORMS
};

static const char *nasty_url(enum url_form form, const char *password)
{
	static const char *const schemes[] = { "postgresql", "postgres",
					       "postgresql+asyncpg",
					       "postgresql+psycopg2" };

	if (form == FORM_KV)
		return harness_fmt(
			"host=%s port=%s dbname=rt_nasty user=retort_nobody password='%s'",
			harness_server_host(), harness_server_port(), password);
	if (form == FORM_KV_BARE)
		return harness_fmt(
			"host=%s port=%s dbname=rt_nasty user=retort_nobody password=%s",
			harness_server_host(), harness_server_port(), password);
	return harness_fmt("%s://retort_nobody:%s@%s:%s/rt_nasty",
			   schemes[form], password, harness_server_host(),
			   harness_server_port());
}

/*
 * Every nasty password in every form: the login fails (exit 1) or the URL
 * is refused (exit 2); either way no part of the password is printed.
 */
START_TEST(test_nasty_passwords)
{
	const char *password = nasty[_i % NNASTY];
	enum url_form form = (enum url_form)(_i / NNASTY);
	const char *url = nasty_url(form, password);
	const char *env[2] = { NULL, NULL };
	struct harness_run how = { .versions = "linear", .env = env };
	const struct harness_result *r;

	if (form == FORM_URL || form == FORM_KV || form == FORM_KV_BARE)
		how.url = url;
	else if (form == FORM_ENV)
		how.database_url = url;
	else if (form == FORM_DOTENV)
		harness_write_file(".env", "DATABASE_URL='%s'\n", url);
	else
		harness_write_file("retort.ini", "[retort]\nurl = %s\n", url);
	r = harness_retort(&how, "upgrade", "head", NULL);
	ck_assert_msg(r->exit_code == 1 || r->exit_code == 2, "exit %d: %s",
		      r->exit_code, harness_oneline(r->err));
	assert_starts_with(r->err, "retort: error: ");
	assert_contains(r->err, "retort: detail: the URL came from ");
	assert_no_password(r, password);
}
END_TEST

/* ---- B: misspelt settings, and where the URL came from ---- */

/*
 * The tester's retort.ini: "ulr" was ignored and PG* variables chose the
 * database, which retort migrated.  Now: exit 2, the database untouched.
 */
START_TEST(test_misspelt_ini_key)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear",
				   .env = harness_pg_env(db->name) };
	const struct harness_result *r;

	harness_write_file("retort.ini", "[retort]\n# the database\nulr = %s\n",
			   db->url);
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(
		r->err,
		"retort: error: retort.ini:3: unknown key \"ulr\" in [retort]\n");
	assert_contains(r->err, "retort: detail: did you mean \"url\"?\n");
	assert_str_eq(r->out, "");
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

START_TEST(test_misspelt_ini_section)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear",
				   .env = harness_pg_env(db->name) };
	const struct harness_result *r;

	harness_write_file("settings.ini", "[retrot]\nurl = %s\n", db->url);
	r = harness_retort(&how, "-c", "settings.ini", "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "settings.ini:2: unknown section [retrot]");
	assert_contains(r->err, "did you mean [retort]?");
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

START_TEST(test_binary_ini)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear",
				   .env = harness_pg_env(db->name) };
	const struct harness_result *r;
	const char *path = harness_write_file("retort.ini", "[retort]\n");
	FILE *f = fopen(path, "a");

	ck_assert_ptr_nonnull(f);
	fwrite("url\0\xff\xfe\n", 1, 7, f);
	fclose(f);
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort.ini:2: not a text file");
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

/* Every connection error says where the URL came from, never the URL. */
START_TEST(test_url_source_named)
{
	const char *port = harness_free_port();
	const char *url = harness_fmt(
		"postgresql://retort_user:s3cr3t-Wr0ng@127.0.0.1:%s/app", port);
	const char *pg_env[] = { "PGHOST=127.0.0.1",
				 harness_fmt("PGPORT=%s", port), NULL };
	struct harness_run how = { .versions = "linear" };
	const char *want = NULL;
	const struct harness_result *r;

	switch (_i) {
	case 0:
		how.url = url;
		want = "the URL came from --url\n";
		break;
	case 1:
		how.database_url = url;
		want = "the URL came from the DATABASE_URL environment variable\n";
		break;
	case 2:
		harness_write_file(".env", "# app\nDATABASE_URL=%s\n", url);
		want = "the URL came from DATABASE_URL in .env\n";
		break;
	case 3:
		harness_write_file("retort.ini", "[retort]\n\nurl = %s\n", url);
		want = "the URL came from url in retort.ini:3\n";
		break;
	default:
		how.env = pg_env;
		want = "the URL came from nowhere: no --url, DATABASE_URL, .env or ini url, so libpq's PG* variables and defaults chose the server\n";
		break;
	}
	r = harness_retort(&how, "current", NULL);
	assert_exit(r, 1);
	assert_starts_with(r->err,
			   "retort: error: cannot connect to the database\n");
	assert_contains(r->err, harness_fmt("retort: detail: %s", want));
	assert_contains(r->err, port);
	assert_not_contains(r->err, "s3cr3t");
	assert_not_contains(r->err, "postgresql://");
}
END_TEST

/* ---- C: a server that never answers ---- */

START_TEST(test_silent_server_timeout)
{
	const char *port = harness_silent_port();
	const char *url = harness_fmt(
		"postgresql://app:s3cr3t-Wr0ng@127.0.0.1:%s/app", port);
	double start = now();
	const struct harness_result *r =
		at(NULL, "linear", "--connect-timeout", "2", "--url", url,
		   "upgrade", "head", NULL);
	double took = now() - start;

	assert_exit(r, 1);
	assert_starts_with(
		r->err,
		"retort: error: cannot connect to the database: no answer within 2 seconds\n");
	assert_contains(r->err, port);
	assert_contains(r->err, "the URL came from --url");
	assert_not_contains(r->err, "s3cr3t");
	ck_assert_msg(took >= 1.5 && took < 8, "took %.1f s", took);
}
END_TEST

/* The URL's own connect_timeout wins over --connect-timeout and the ini. */
START_TEST(test_url_timeout_wins)
{
	const char *port = harness_silent_port();
	const char *url = harness_fmt(
		"postgresql://app@127.0.0.1:%s/app?connect_timeout=2", port);
	struct harness_run how = { .versions = "linear", .url = url };
	double start;
	const struct harness_result *r;

	harness_write_file("retort.ini", "[retort]\nconnect_timeout = 300\n");
	start = now();
	r = harness_retort(&how, "--connect-timeout", "0", "current", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "no answer within 2 seconds");
	ck_assert_msg(now() - start < 8, "took %.1f s", now() - start);
}
END_TEST

/* The ini's connect_timeout, when no option or URL says otherwise. */
START_TEST(test_ini_timeout)
{
	const char *port = harness_silent_port();
	struct harness_run how = {
		.versions = "linear",
		.url = harness_fmt("postgresql://app@127.0.0.1:%s/app", port)
	};
	const struct harness_result *r;

	harness_write_file("retort.ini", "[retort]\nconnect_timeout = 3\n");
	r = harness_retort(&how, "current", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "no answer within 3 seconds");
}
END_TEST

/* With nothing set, retort waits 10 s, where libpq would wait for ever. */
START_TEST(test_default_timeout)
{
	const char *port = harness_silent_port();
	double start = now();
	const struct harness_result *r =
		at(NULL, "linear", "--url",
		   harness_fmt("postgresql://app@127.0.0.1:%s/app", port),
		   "current", NULL);
	double took = now() - start;

	assert_exit(r, 1);
	assert_contains(r->err, "no answer within 10 seconds");
	ck_assert_msg(took >= 9 && took < 20, "took %.1f s", took);
}
END_TEST

START_TEST(test_bad_connect_timeout)
{
	const struct harness_result *r =
		at(NULL, "linear", "--connect-timeout", "5s", "--url",
		   "postgresql://h/db", "current", NULL);

	assert_exit(r, 2);
	assert_contains(
		r->err,
		"--connect-timeout: \"5s\" is not a whole number of seconds");
}
END_TEST

/*
 * Ctrl-C (or SIGTERM) while waiting for a silent server stops at once:
 * 0: current (in-process), 1: upgrade (in its worker), 2: SIGTERM.
 */
START_TEST(test_interrupt_connect)
{
	static const char *const cmds[][3] = { { "current", NULL, NULL },
					       { "upgrade", "head", NULL },
					       { "upgrade", "head", NULL } };
	int sig = _i == 2 ? SIGTERM : SIGINT;
	const char *port = harness_silent_port();
	struct harness_run how = {
		.versions = "linear",
		.url = harness_fmt("postgresql://app:s3cr3t@127.0.0.1:%s/app",
				   port)
	};
	const char *args[] = { "--connect-timeout", "60", cmds[_i][0],
			       cmds[_i][1], NULL };
	struct harness_proc *p = harness_spawn(&how, args);
	const struct harness_result *r;
	double start;

	nanosleep(&(struct timespec){ .tv_nsec = 500 * 1000 * 1000 }, NULL);
	start = now();
	harness_signal(p, sig);
	r = harness_wait(p);
	assert_exit(r, sig == SIGTERM ? 143 : 130);
	assert_starts_with(
		r->err,
		harness_fmt(
			"retort: error: interrupted by %s: cannot connect to the database",
			sig == SIGTERM ? "SIGTERM" : "SIGINT"));
	assert_contains(r->err, port);
	assert_not_contains(r->err, "s3cr3t");
	ck_assert_msg(now() - start < 3, "took %.1f s after the signal",
		      now() - start);
}
END_TEST

/* ---- D: URL parameters ---- */

struct usage_case {
	const char *url_tail; /* after postgresql://host:port */
	const char *msg;
};

static const struct usage_case usage_cases[] = {
	{ ":99999/db",
	  "retort: error: invalid port \"99999\" in the database URL\n" },
	{ ":abc/db",
	  "retort: error: invalid port \"abc\" in the database URL\n" },
	{ ":0/db", "retort: error: invalid port \"0\" in the database URL\n" },
	{ "/db?sslmode=bogus",
	  "retort: error: invalid sslmode \"bogus\" in the database URL\n" },
	{ "/db?ssl=bogus",
	  "retort: error: invalid value \"bogus\" for the URL parameter \"ssl\"\n" },
	{ "/db?connect_timeout=soon",
	  "retort: error: invalid connect_timeout \"soon\" in the database URL\n" },
	{ "/db?foo=1", "retort: error: unknown URL parameter \"foo\"\n" },
	{ "/db?sslmode=disable&pool_size=5",
	  "retort: error: unknown URL parameter \"pool_size\"\n" },
};

/* Usage errors (exit 2), before anything is connected. */
START_TEST(test_bad_url_parameter)
{
	const struct usage_case *c = &usage_cases[_i];
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *url = harness_fmt(
		"postgresql://postgres:s3cr3t@%s%s", harness_server_host(),
		c->url_tail[0] == ':'
			? c->url_tail
			: harness_fmt(":%s%s", harness_server_port(),
				      c->url_tail));
	struct harness_run how = { .versions = "linear",
				   .database_url = url,
				   .env = harness_pg_env(db->name) };
	const struct harness_result *r =
		harness_retort(&how, "upgrade", "head", NULL);

	assert_exit(r, 2);
	assert_starts_with(r->err, c->msg);
	assert_contains(
		r->err,
		"the URL came from the DATABASE_URL environment variable");
	assert_not_contains(r->err, "s3cr3t");
	ck_assert(!harness_table_exists(db, "alembic_version"));
}
END_TEST

/* The same checks for a keyword/value string. */
START_TEST(test_bad_kv_values)
{
	const struct harness_result *r =
		at(NULL, "linear", "--url", "host=h port=99999 dbname=x",
		   "current", NULL);

	assert_exit(r, 2);
	assert_contains(r->err, "invalid port \"99999\"");
	r = at(NULL, "linear", "--url", "host=h sslmode=bogus dbname=x",
	       "current", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "invalid sslmode \"bogus\"");
}
END_TEST

/*
 * A .env written for SQLAlchemy's asyncpg dialect works: its own
 * parameters are dropped with a note, ?ssl= becomes sslmode.
 */
START_TEST(test_asyncpg_dotenv)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct harness_run how = { .versions = "linear" };
	const char *url = harness_url(false, db->name, NULL);
	const char *asyncpg;
	const struct harness_result *r;

	ck_assert(harness_starts_with(url, "postgresql://"));
	asyncpg = harness_fmt(
		"postgresql+asyncpg://%s%sprepared_statement_cache_size=0&ssl=disable&command_timeout=60",
		url + strlen("postgresql://"), strchr(url, '?') ? "&" : "?");
	harness_write_file(".env", "DATABASE_URL=%s\n", asyncpg);
	r = harness_retort(&how, "upgrade", "head", NULL);
	assert_exit(r, 0);
	assert_contains(
		r->err,
		"retort: note: ignoring the asyncpg parameter \"prepared_statement_cache_size\" in DATABASE_URL in .env\n");
	assert_contains(
		r->err,
		"retort: note: ignoring the asyncpg parameter \"command_timeout\" in DATABASE_URL in .env\n");
	ck_assert(harness_table_exists(db, "alembic_version"));
}
END_TEST

static Suite *connect_suite(void)
{
	Suite *s = suite_create("connect");
	TCase *tc = harness_tcase("passwords");

	tcase_add_test(tc, test_raw_at_in_password);
	tcase_add_loop_test(tc, test_nasty_passwords, 0, NNASTY * NFORMS);
	suite_add_tcase(s, tc);

	tc = harness_tcase("settings");
	tcase_add_test(tc, test_misspelt_ini_key);
	tcase_add_test(tc, test_misspelt_ini_section);
	tcase_add_test(tc, test_binary_ini);
	/* 0 --url, 1 DATABASE_URL, 2 .env, 3 retort.ini, 4 PG* */
	tcase_add_loop_test(tc, test_url_source_named, 0, 5);
	suite_add_tcase(s, tc);

	tc = harness_tcase("timeouts");
	tcase_add_test(tc, test_silent_server_timeout);
	tcase_add_test(tc, test_url_timeout_wins);
	tcase_add_test(tc, test_ini_timeout);
	tcase_add_test(tc, test_default_timeout);
	tcase_add_test(tc, test_bad_connect_timeout);
	tcase_add_loop_test(tc, test_interrupt_connect, 0, 3);
	suite_add_tcase(s, tc);

	tc = harness_tcase("parameters");
	tcase_add_loop_test(
		tc, test_bad_url_parameter, 0,
		(int)(sizeof(usage_cases) / sizeof(usage_cases[0])));
	tcase_add_test(tc, test_bad_kv_values);
	tcase_add_test(tc, test_asyncpg_dotenv);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(connect_suite(), HARNESS_NEEDS_DB);
}

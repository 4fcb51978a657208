/*
 * Integration: `retort test`, the stairway.  Every revision is upgraded,
 * downgraded and upgraded again on a throwaway database, in the graph's
 * order across a branch and its merge; a downgrade that leaves a column
 * behind, one that fails, a re-upgrade that fails, two heads and a head
 * that does not match the declared schema each exit 1 naming what is
 * wrong.  The database the URL names is never written, and the scratch
 * database is gone afterwards, also after a crash or Ctrl-C.
 */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define at harness_at

/* One run of the binary, the process id it had, and the scratch
 * databases there were before it. */
struct run {
	const struct harness_result *r;
	pid_t pid;
	const char *before;
};

/* The scratch databases on the server now, a comma list. */
static const char *scratch_now(const struct harness_db *db)
{
	return harness_scalar(db, "SELECT coalesce(string_agg(datname, ','),"
				  " '') FROM pg_database WHERE datname LIKE"
				  " 'retort\\_shadow\\_%'");
}

/*
 * retort --url db --versions fixture [-x extra] test [more], spawned so
 * that its pid names its scratch database (retort_shadow_<pid>_...).
 */
static struct run run_test(const struct harness_db *db, const char *fixture,
			   const char *extra, const char *more)
{
	const char *argv[12];
	struct harness_run how = { 0 };
	struct harness_proc *p;
	struct run out = { .before = scratch_now(db) };
	int n = 0;

	argv[n++] = "--url";
	argv[n++] = db->url;
	argv[n++] = "--versions";
	argv[n++] = harness_fixture(fixture);
	if (extra) {
		argv[n++] = "-x";
		argv[n++] = extra;
	}
	argv[n++] = "test";
	if (more)
		argv[n++] = more;
	argv[n] = NULL;
	p = harness_spawn(&how, argv);
	out.pid = harness_proc_pid(p);
	out.r = harness_wait(p);
	return out;
}

/* The scratch databases a run of that pid left on the server (not one a
 * run of an earlier process with the same pid left before it). */
static long scratch_left(const struct harness_db *db, pid_t pid,
			 const char *before)
{
	return harness_count(
		db,
		harness_fmt("SELECT 1 FROM pg_database WHERE datname LIKE"
			    " 'retort\\_shadow\\_%ld\\_%%' AND NOT datname ="
			    " ANY (string_to_array('%s', ','))",
			    (long)pid, before));
}

/* The database the URL names: nothing of retort's, no table at all. */
static void assert_untouched(const struct harness_db *db)
{
	ck_assert_msg(harness_versions(db, NULL) == NULL,
		      "a version table is left in %s", db->name);
	ck_assert(!harness_table_exists(db, "retort_lock"));
	ck_assert(!harness_table_exists(db, "retort_history"));
	assert_str_eq(harness_scalar(db, "SELECT count(*) FROM pg_class c"
					 " JOIN pg_namespace n ON n.oid ="
					 " c.relnamespace WHERE n.nspname ="
					 " 'public'"),
		      "0");
}

/* Nothing written to the target, no scratch database of the run's left. */
static void assert_left_nothing(const struct harness_db *db,
				const struct run *run)
{
	assert_untouched(db);
	ck_assert_int_eq(scratch_left(db, run->pid, run->before), 0);
}

/* A branch (002a, 002b) and its merge (003): every revision, in the
 * graph's order, up, down and up again; 004 says it is irreversible. */
START_TEST(test_stairway_ok)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run = run_test(db, "stairway_ok", NULL, NULL);

	assert_exit(run.r, 0);
	assert_contains(run.r->out, "REVISION  VERDICT");
	assert_contains(run.r->out, "\n001       ok ");
	assert_contains(run.r->out, "\n002a      ok ");
	assert_contains(run.r->out, "\n002b      ok ");
	assert_contains(run.r->out, "\n003       ok ");
	assert_contains(run.r->out, "\n004       irreversible ");
	assert_contains(run.r->out, "4 revisions ok: each upgraded, "
				    "downgraded to the schema it had before, "
				    "and upgraded again\n"
				    "1 irreversible: upgraded, and its "
				    "downgrade() refuses as retort_fail(ctx, "
				    "\"irreversible: ...\") declares\n");
	assert_contains(run.r->out, "No db/schema.sql: the schema at head "
				    "was not compared");
	/* The merge point runs once both of its down revisions are in. */
	assert_contains(run.r->err,
			"Running upgrade 001 -> 002b, add orders\n"
			"Running downgrade 002b -> 001, add orders\n"
			"Running upgrade 001 -> 002b, add orders\n"
			"Running upgrade 002a, 002b -> 003, ");
	assert_left_nothing(db, &run);
}
END_TEST

/*
 * A revision that fails the walk, and how: its line of the table and
 * what stderr says (the difference as check --schema lists it, or
 * PostgreSQL's error with its SQLSTATE).
 */
static const struct failing {
	const char *fixture, *x; /* the set, and its -x KEY=VALUE or NULL */
	const char *line;
	const char *says[3];
} failings[] = {
	/* downgrade() forgets the column upgrade() added. */
	{ "stairway_leftover",
	  NULL,
	  "\n002       downgrade leaves a difference   add nickname\n"
	  "  drop column public.users.nickname\n",
	  { "retort: error: revision 002: downgrade() leaves the schema "
	    "different from before its upgrade()\n"
	    "retort: detail: drop column public.users.nickname\n" } },
	/* downgrade() fails. */
	{ "stairway_leftover",
	  "downgrade=typo",
	  "\n002       downgrade failed ",
	  { "retort: error: downgrade failed: revision 002 (",
	    "column \"nick_name\" of relation \"users\" does not exist\n",
	    "retort: detail: SQLSTATE 42703\n" } },
	/* The schema is the same after downgrade(), but the row it left
	 * makes the second upgrade() fail. */
	{ "stairway_reupgrade",
	  NULL,
	  "\n002       re-upgrade failed ",
	  { "retort: error: re-upgrade failed: revision 002 (",
	    "retort: detail: Key (id)=(1) already exists.\n",
	    "retort: detail: SQLSTATE 23505\n" } },
};

START_TEST(test_stairway_failing)
{
	const struct failing *f = &failings[_i];
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run = run_test(db, f->fixture, f->x, NULL);

	assert_exit(run.r, 1);
	assert_contains(run.r->out, "\n001       ok ");
	assert_contains(run.r->out, f->line);
	assert_contains(run.r->out,
			"Stopped at revision 002: 1 revision passed "
			"below it, 0 not run");
	for (size_t i = 0; i < 3 && f->says[i]; i++)
		assert_contains(run.r->err, f->says[i]);
	assert_contains(run.r->err, "the database the URL names was only read");
	assert_left_nothing(db, &run);
}
END_TEST

/* Two heads: exit 1 naming both, suggesting a merge; nothing created. */
START_TEST(test_stairway_two_heads)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run = run_test(db, "twoheads", NULL, NULL);

	assert_exit(run.r, 1);
	assert_str_eq(run.r->out, "");
	assert_contains(run.r->err, "retort: error: Multiple heads are "
				    "present: 002a, 002b\n");
	assert_contains(run.r->err, "retort merge");
	assert_left_nothing(db, &run);
}
END_TEST

/* A declared schema beside the ini: head is compared with it. */
static void declare(const char *sql)
{
	harness_write_file("retort.ini", "[retort]\nschema = declared.sql\n");
	harness_write_file("declared.sql", "%s", sql);
}

static const char declared_ok[] =
	"CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL,"
	" nickname text);\n"
	"CREATE INDEX ix_users_email ON users (email);\n"
	"CREATE INDEX ix_users_nickname ON users (nickname);\n"
	"CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');\n"
	"CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY"
	" PRIMARY KEY, user_id bigint NOT NULL REFERENCES users,"
	" status order_status NOT NULL DEFAULT 'new');\n";

START_TEST(test_stairway_head_matches_declared)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run;

	declare(declared_ok);
	run = run_test(db, "stairway_ok", NULL, NULL);
	assert_exit(run.r, 0);
	assert_contains(run.r->out, "The schema at head matches "
				    "declared.sql\n");
	assert_untouched(db);
}
END_TEST

START_TEST(test_stairway_head_differs_from_declared)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run;

	declare(harness_fmt("%sCREATE TABLE audit (id int);\n", declared_ok));
	run = run_test(db, "stairway_ok", NULL, NULL);
	assert_exit(run.r, 1);
	assert_contains(run.r->out, "\n003       ok ");
	assert_contains(run.r->out, "The schema at head differs from "
				    "declared.sql:\n"
				    "  create table public.audit\n");
	assert_contains(run.r->err, "retort: error: the schema at head does "
				    "not match declared.sql\n");
	assert_left_nothing(db, &run);
}
END_TEST

/* A configured version table schema is made on the throwaway database,
 * as a real database has it before its first run; not on the target. */
START_TEST(test_stairway_version_table_schema)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run;

	harness_write_file("retort.ini", "[retort]\n"
					 "version_table_schema = migr\n");
	run = run_test(db, "stairway_ok", NULL, NULL);
	assert_exit(run.r, 0);
	assert_contains(run.r->out, "4 revisions ok");
	assert_left_nothing(db, &run);
	ck_assert_int_eq(harness_count(db, "SELECT 1 FROM pg_namespace"
					   " WHERE nspname = 'migr'"),
			 0);
}
END_TEST

/* --json: one document, the verdicts and the problem. */
START_TEST(test_stairway_json)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct run run = run_test(db, "stairway_leftover", NULL, "--json");

	assert_exit(run.r, 1);
	assert_starts_with(run.r->out, "{\"format_version\":1,\"command\":"
				       "\"test\",\"ok\":false,");
	assert_contains(run.r->out, "{\"id\":\"001\",\"message\":\"create "
				    "users\",\"verdict\":\"ok\","
				    "\"differences\":[]}");
	assert_contains(run.r->out,
			"{\"id\":\"002\",\"message\":\"add nickname\","
			"\"verdict\":\"downgrade_differs\",\"differences\":"
			"[\"drop column public.users.nickname\"]}");
	assert_contains(run.r->out, "\"problems\":[{\"kind\":"
				    "\"downgrade_differs\",");
	ck_assert_int_eq(run.r->out[strlen(run.r->out) - 1], '\n');
}
END_TEST

/* A revision that crashes its worker: exit 1 naming it; the scratch
 * database is dropped all the same. */
START_TEST(test_stairway_crash_drops_scratch)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	/* abort(): under AddressSanitizer a SIGSEGV would be its report. */
	struct run run = run_test(db, "crash", "fault=abort", NULL);

	assert_exit(run.r, 1);
	assert_contains(run.r->err, "revision 002 (");
	assert_contains(run.r->err, "crashed: signal 6");
	assert_left_nothing(db, &run);
}
END_TEST

/* Ctrl-C while a revision runs: exit 130, and the scratch database,
 * seen while the walk ran, is gone. */
START_TEST(test_stairway_sigint_drops_scratch)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *argv[] = { "--url",	     db->url,
			       "--versions", harness_fixture("slow"),
			       "test",	     NULL };
	struct harness_run how = { 0 };
	struct run run = { .before = scratch_now(db) };
	struct harness_proc *p = harness_spawn(&how, argv);
	long start = harness_now_ms();

	run.pid = harness_proc_pid(p);
	while (scratch_left(db, run.pid, run.before) == 0 &&
	       harness_now_ms() - start < 20000)
		harness_sleep_ms(50);
	ck_assert_int_eq(scratch_left(db, run.pid, run.before), 1);
	harness_sleep_ms(500); /* inside 001's pg_sleep(1) */
	harness_signal(p, SIGINT);
	run.r = harness_wait(p);
	assert_exit(run.r, 130);
	assert_contains(run.r->err, "interrupted by SIGINT");
	assert_left_nothing(db, &run);
}
END_TEST

/* The lent database as it was found: no table, type or schema left. */
static void assert_emptied(const struct harness_db *lent)
{
	assert_untouched(lent);
	assert_str_eq(harness_scalar(lent, "SELECT count(*) FROM pg_type"
					   " WHERE oid >= 16384"),
		      "0");
	assert_str_eq(harness_scalar(lent, "SELECT count(*) FROM pg_namespace"
					   " WHERE oid >= 16384"),
		      "0");
}

/* --shadow-url: a database that holds anything is refused (exit 2), as
 * autogenerate refuses it; an empty one is used and left empty. */
START_TEST(test_stairway_shadow_url)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_db *lent = harness_db_fresh("stairway_lent");
	const struct harness_result *r;

	harness_exec(lent, "CREATE TABLE mine (id int)");
	r = at(db, "stairway_ok", "--shadow-url", lent->url, "test", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: the shadow database is not "
				"empty\n");
	assert_not_contains(r->err, "postgres:postgres@");
	harness_exec(lent, "DROP TABLE mine");
	r = at(db, "stairway_ok", "-q", "--shadow-url", lent->url, "test",
	       NULL);
	assert_ok(r);
	assert_contains(r->out, "4 revisions ok");
	assert_emptied(lent);
	assert_untouched(db);
	/* A walk that fails empties it too: the next run is not refused. */
	r = at(db, "stairway_leftover", "-q", "--shadow-url", lent->url, "test",
	       NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "downgrade() leaves the schema different");
	assert_emptied(lent);
	assert_ok(at(db, "stairway_ok", "-q", "--shadow-url", lent->url, "test",
		     NULL));
	assert_emptied(lent);
}
END_TEST

/* This repository's own revisions pass, and match db/schema.sql. */
START_TEST(test_stairway_own_versions)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *root = getenv("RETORT_SOURCE_ROOT");
	const char *versions = getenv("RETORT_OWN_VERSIONS");
	struct harness_run how = { .cwd = root,
				   .url = db->url,
				   .versions = versions };
	const struct harness_result *r;

	ck_assert_msg(root && versions, "RETORT_SOURCE_ROOT and "
					"RETORT_OWN_VERSIONS are not set");
	r = harness_retort(&how, "-q", "test", NULL);
	assert_ok(r);
	assert_contains(r->out, "The schema at head matches db/schema.sql\n");
	assert_untouched(db);
}
END_TEST

static Suite *stairway_suite(void)
{
	Suite *s = suite_create("stairway");
	TCase *tc = harness_tcase("stairway");

	tcase_add_test(tc, test_stairway_ok);
	tcase_add_loop_test(tc, test_stairway_failing, 0,
			    (int)(sizeof(failings) / sizeof(failings[0])));
	tcase_add_test(tc, test_stairway_two_heads);
	tcase_add_test(tc, test_stairway_head_matches_declared);
	tcase_add_test(tc, test_stairway_head_differs_from_declared);
	tcase_add_test(tc, test_stairway_version_table_schema);
	tcase_add_test(tc, test_stairway_json);
	tcase_add_test(tc, test_stairway_crash_drops_scratch);
	tcase_add_test(tc, test_stairway_sigint_drops_scratch);
	tcase_add_test(tc, test_stairway_shadow_url);
	tcase_add_test(tc, test_stairway_own_versions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(stairway_suite(), HARNESS_NEEDS_DB);
}

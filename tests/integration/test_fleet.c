/*
 * Integration: retort fleet over several real databases of the test
 * server, each made fresh for the test.  What a user would notice: the
 * exit status, the table and the lines on stderr, the --json document,
 * and what each database holds afterwards.
 */
#include "harness.h"

#include <signal.h>

#include "json_doc.h"

#define NDB 8
#define PASSWORD "Fl33t-Sekr3t"

/* The test's databases, db[0..n-1], labelled t0, t1, ... */
static const struct harness_db *db[NDB];

static void make_dbs(const char *test, int n)
{
	for (int i = 0; i < n; i++)
		db[i] = harness_db_fresh(harness_fmt("%s_%d", test, i));
}

/* A targets file naming db[0..n-1] as t0.., then the extra lines. */
static const char *targets(int n, const char *extra)
{
	const char *text = "# the test's fleet\n\n";

	for (int i = 0; i < n; i++)
		text = harness_fmt("%st%d %s\n", text, i, db[i]->url);
	return harness_write_file("targets", "%s%s", text, extra ? extra : "");
}

/* retort --versions linear fleet ARGS... */
static const struct harness_result *fleet(const char *const *args)
{
	struct harness_run how = { .versions = "linear" };

	return harness_retortv(&how, args);
}

static void assert_at(int i, const char *version)
{
	assert_str_eq(harness_versions(db[i], NULL), version);
}

/* The line of target label in the table. */
static const char *row_of(const struct harness_result *r, const char *label)
{
	const char *at = strstr(r->out, harness_fmt("\n%s ", label));

	ck_assert_msg(at != NULL, "no row for %s in %s", label,
		      harness_oneline(r->out));
	return harness_fmt("%.*s", (int)strcspn(at + 1, "\n"), at + 1);
}

START_TEST(test_all_ok_then_up_to_date)
{
	const char *file;
	const struct harness_result *r;

	make_dbs(__func__, 6);
	file = targets(6, NULL);
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "-j", "3", "head", NULL });
	assert_exit(r, 0);
	assert_starts_with(r->out, "TARGET");
	assert_contains(r->out, "6 targets: 6 ok in ");
	assert_contains(row_of(r, "t4"), "base  003   ok");
	assert_contains(r->err, "retort: fleet run ");
	assert_contains(r->err, "t2: base -> 003 ok, ");
	for (int i = 0; i < 6; i++) {
		assert_at(i, "003");
		ck_assert_int_eq(
			harness_count(db[i], "SELECT * FROM retort_history"),
			3);
	}
	/* A rerun takes no lock and writes nothing. */
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "head", NULL });
	assert_exit(r, 0);
	assert_contains(r->out, "6 targets: 6 up-to-date in ");
	assert_contains(row_of(r, "t0"), "003   003   up-to-date");
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(
			harness_count(db[i], "SELECT * FROM retort_history"),
			3);
}
END_TEST

/* -j 1 and -j 4 leave their fleets alike. */
START_TEST(test_jobs_same_end_state)
{
	const char *jobs[] = { "1", "4" };
	const struct harness_result *r;

	make_dbs(__func__, 8);
	for (int k = 0; k < 2; k++) {
		const char *text = "";

		for (int i = 4 * k; i < 4 * k + 4; i++)
			text = harness_fmt("%st%d %s\n", text, i, db[i]->url);
		r = fleet((const char *const[]){
			"fleet", "upgrade", "-j", jobs[k], "--targets",
			harness_write_file(harness_fmt("t%d", k), "%s", text),
			"002", NULL });
		assert_exit(r, 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_at(i, "002");
		ck_assert(harness_table_exists(db[i], "b"));
		ck_assert(!harness_table_exists(db[i], "c"));
	}
}
END_TEST

/* A revision that fails on one target's data: that target stops at the
 * revision before, once, and the others go on. */
START_TEST(test_data_failure)
{
	const struct harness_result *r;
	const char *file;

	make_dbs(__func__, 4);
	file = targets(4, NULL);
	assert_exit(
		fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					     file, "002", NULL }),
		0);
	harness_exec(db[1], "INSERT INTO a (id) VALUES (1)");
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "--on-error", "continue", "-j", "2",
					 "head", NULL });
	assert_exit(r, 1);
	assert_contains(row_of(r, "t1"), "002   002   failed");
	assert_contains(row_of(r, "t1"), "at 003: ");
	assert_contains(row_of(r, "t1"), "(SQLSTATE 23505)");
	assert_contains(r->err, "t1: failed at 003: ");
	assert_not_contains(r->err, "trying again later");
	assert_contains(r->out, "4 targets: 3 ok, 1 failed");
	assert_contains(r->err, "retort: error: fleet run ");
	assert_at(1, "002");
	ck_assert(!harness_table_exists(db[1], "c"));
	for (int i = 0; i < 4; i++)
		if (i != 1)
			assert_at(i, "003");
}
END_TEST

/* A target whose server is not there: retried --retries times, then
 * failed, its password never shown. */
START_TEST(test_target_down)
{
	const struct harness_result *r;
	const char *file;
	json_object *doc, *t, *v;

	make_dbs(__func__, 2);
	file = targets(2, harness_fmt("postgresql://app:" PASSWORD
				      "@127.0.0.1:%s/gone\n",
				      harness_free_port()));
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "--retries", "2", "--json", "head",
					 NULL });
	assert_exit(r, 1);
	assert_not_contains(r->out, PASSWORD);
	assert_not_contains(r->err, PASSWORD);
	doc = doc_parse(r);
	t = doc_field(doc, "targets");
	ck_assert_int_eq(json_object_array_length(t), 3);
	v = doc_at(t, 2);
	assert_str_eq(doc_str(v, "status"), "failed");
	/* Never reached: where it stands is not known. */
	ck_assert(doc_is_null(v, "from"));
	ck_assert(doc_is_null(v, "to"));
	ck_assert_int_eq(json_object_get_int(doc_field(v, "attempts")), 3);
	assert_contains(doc_str(v, "error"), "cannot connect");
	json_object_put(doc);
	/* Two "trying again later", then the final line. */
	assert_contains(r->err, "gone: failed: cannot connect");
	assert_contains(strstr(strstr(r->err, "trying again later") + 1,
			       "trying again later"),
			"gone: failed: cannot connect");
	assert_at(0, "003");
	assert_at(1, "003");
}
END_TEST

/* A target whose lock another runner holds: locked, naming the holder;
 * nothing run there. */
START_TEST(test_locked)
{
	const struct harness_result *r;
	const char *file;

	make_dbs(__func__, 2);
	file = targets(2, NULL);
	assert_exit(
		fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					     file, "001", NULL }),
		0);
	harness_exec(
		db[0],
		"UPDATE retort_lock SET released = NULL, token = token + 1,"
		" runner = 'retort 9.9', host = 'other-host', pid = 4242,"
		" holder_id = 'someone-else',"
		" expires = now() + interval '1 hour'");
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "--retries", "1", "--on-error",
					 "continue", "head", NULL });
	assert_exit(r, 1);
	assert_contains(row_of(r, "t0"), "locked");
	assert_contains(row_of(r, "t0"), "held by ");
	assert_contains(row_of(r, "t0"), "pid 4242 on other-host");
	assert_contains(r->err, "t0: locked, held by ");
	assert_contains(r->err, "trying again later");
	assert_contains(r->out, "2 targets: 1 ok, 1 locked");
	assert_at(0, "001");
	assert_at(1, "003");
}
END_TEST

/* A version row naming a revision this set does not have: left alone. */
START_TEST(test_unknown_revision)
{
	const struct harness_result *r;

	make_dbs(__func__, 2);
	harness_exec(db[0], "CREATE TABLE alembic_version (version_num "
			    "varchar(32) PRIMARY KEY);"
			    " INSERT INTO alembic_version VALUES ('999')");
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					 targets(2, NULL), "--on-error",
					 "continue", "head", NULL });
	assert_exit(r, 1);
	assert_contains(row_of(r, "t0"), "999   999   unknown-revision");
	assert_contains(row_of(r, "t0"), "\"999\"");
	assert_at(0, "999");
	ck_assert(!harness_table_exists(db[0], "a"));
	assert_at(1, "003");
}
END_TEST

/* A table that makes 001 fail, on target i. */
static void break_target(int i)
{
	harness_exec(db[i], "CREATE TABLE a (x int)");
}

START_TEST(test_canary_stops)
{
	const struct harness_result *r;

	make_dbs(__func__, 5);
	break_target(1);
	r = fleet((const char *const[]){
		"fleet", "upgrade", "--targets", targets(5, NULL), "--canary",
		"2", "--on-error", "continue", "head", NULL });
	assert_exit(r, 3);
	assert_contains(row_of(r, "t0"), "ok");
	assert_contains(row_of(r, "t1"), "failed");
	for (int i = 2; i < 5; i++) {
		assert_contains(row_of(r, harness_fmt("t%d", i)), "skipped");
		ck_assert_ptr_null(harness_versions(db[i], NULL));
	}
	assert_contains(r->out, "5 targets: 1 ok, 1 failed, 3 skipped");
	assert_contains(r->err, "3 of 5 targets not attempted");
}
END_TEST

/* --on-error stop (the default) against continue, one target at a time. */
START_TEST(test_on_error)
{
	const struct harness_result *r;

	make_dbs(__func__, 4);
	break_target(1);
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					 targets(4, NULL), "-j", "1", "head",
					 NULL });
	assert_exit(r, 3);
	assert_contains(row_of(r, "t2"), "skipped");
	assert_contains(row_of(r, "t3"), "skipped");
	ck_assert_ptr_null(harness_versions(db[3], NULL));
	r = fleet((const char *const[]){
		"fleet", "upgrade", "--targets", targets(4, NULL), "-j", "1",
		"--on-error", "continue", "head", NULL });
	assert_exit(r, 1);
	assert_contains(r->out, "4 targets: 2 ok, 1 up-to-date, 1 failed");
	assert_at(3, "003");
}
END_TEST

START_TEST(test_json)
{
	const struct harness_result *r;
	json_object *doc, *v, *t;

	make_dbs(__func__, 3);
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					 targets(3, NULL), "--json", "002",
					 NULL });
	assert_exit(r, 0);
	doc = doc_parse(r);
	ck_assert_int_eq((int)strlen(doc_str(doc, "run")), 23);
	assert_contains(r->err, doc_str(doc, "run"));
	ck_assert_int_eq(json_object_get_int(doc_field(doc, "format_version")),
			 1);
	assert_str_eq(doc_str(doc, "command"), "fleet upgrade");
	assert_str_eq(doc_str(doc, "target"), "002");
	ck_assert_int_eq(
		json_object_get_int(doc_field(doc_field(doc, "counts"), "ok")),
		3);
	t = doc_field(doc, "targets");
	ck_assert_int_eq(json_object_array_length(t), 3);
	v = doc_at(t, 1);
	assert_str_eq(doc_str(v, "label"), "t1");
	assert_str_eq(doc_strings(doc_field(v, "from")), "");
	assert_str_eq(doc_strings(doc_field(v, "to")), "002");
	ck_assert(json_object_get_int(doc_field(v, "duration_ms")) >= 0);
	ck_assert(doc_is_null(v, "error"));
	json_object_put(doc);
}
END_TEST

START_TEST(test_stamp_and_downgrade)
{
	const struct harness_result *r;
	const char *file;

	make_dbs(__func__, 3);
	file = targets(3, NULL);
	r = fleet((const char *const[]){ "fleet", "stamp", "--targets", file,
					 "001", NULL });
	assert_exit(r, 0);
	for (int i = 0; i < 3; i++) {
		assert_at(i, "001");
		ck_assert(!harness_table_exists(db[i], "a"));
	}
	/* Make them real, then move them all down. */
	for (int i = 0; i < 3; i++)
		harness_exec(db[i], "CREATE TABLE a (id int PRIMARY KEY)");
	assert_exit(
		fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					     file, "head", NULL }),
		0);
	r = fleet((const char *const[]){ "fleet", "downgrade", "--targets",
					 file, "001", NULL });
	assert_exit(r, 0);
	assert_contains(row_of(r, "t2"), "003   001   ok");
	for (int i = 0; i < 3; i++) {
		assert_at(i, "001");
		ck_assert(!harness_table_exists(db[i], "b"));
	}
}
END_TEST

START_TEST(test_status)
{
	const struct harness_result *r;
	const char *file;

	make_dbs(__func__, 3);
	file = targets(3, NULL);
	assert_exit(
		fleet((const char *const[]){ "fleet", "upgrade", "--targets",
					     file, "head", NULL }),
		0);
	r = fleet((const char *const[]){ "fleet", "status", "--targets", file,
					 NULL });
	assert_exit(r, 0);
	assert_contains(r->out, "003 (heads)  3 targets\n");
	assert_contains(r->out, "3 of 3 targets at heads");
	harness_exec(db[2], "UPDATE alembic_version SET version_num = '001'");
	r = fleet((const char *const[]){ "fleet", "status", "--targets", file,
					 NULL });
	assert_exit(r, 1);
	assert_contains(r->out, "003 (heads)  2 targets\n");
	assert_contains(r->out, "001  1 target: t2\n");
	assert_contains(r->err, "1 of 3 targets are not at heads");
	/* It only read: no lock table where there was none before. */
	assert_at(2, "001");
}
END_TEST

/* A targets file with no target, or two of one label: exit 2, nothing
 * touched. */
START_TEST(test_bad_targets_file)
{
	const struct harness_result *r;

	make_dbs(__func__, 1);
	r = fleet((const char *const[]){
		"fleet", "upgrade", "--targets",
		harness_write_file("empty", "# nothing\n\n"), "head", NULL });
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: ");
	r = fleet((const char *const[]){
		"fleet", "upgrade", "--targets",
		targets(1, harness_fmt("t0 %s\n", db[0]->url)), "head", NULL });
	assert_exit(r, 2);
	assert_contains(r->err, "t0");
	ck_assert_ptr_null(harness_versions(db[0], NULL));
}
END_TEST

/* SIGTERM to the fleet (as Kubernetes stops a Job): the running target
 * rolls back, nothing new starts, the table still comes, exit 143. */
START_TEST(test_sigterm)
{
	struct harness_run how = { .versions = "slow" };
	const struct harness_result *r;
	struct harness_proc *p;

	make_dbs(__func__, 4);
	p = harness_spawn(&how,
			  (const char *const[]){ "fleet", "upgrade",
						 "--targets", targets(4, NULL),
						 "-j", "1", "head", NULL });
	harness_sleep_ms(500);
	harness_signal(p, SIGTERM);
	r = harness_wait(p);
	assert_exit(r, 143);
	assert_contains(row_of(r, "t0"), "failed");
	assert_contains(row_of(r, "t3"), "-     -     skipped");
	assert_contains(r->err, "stopped by a signal; 3 targets not attempted");
	ck_assert(!harness_table_exists(db[0], "s"));
	for (int i = 1; i < 4; i++)
		ck_assert_ptr_null(harness_versions(db[i], NULL));
}
END_TEST

/* A revision that crashes its worker: the target fails naming it and
 * the signal, stays at the revision before, and its lock is given back,
 * so that the next run goes on from there at once. */
START_TEST(test_crash)
{
	/* The sanitizers would turn the crash into exit(1): let it be one. */
	static const char *const env[] = {
		"ASAN_OPTIONS=handle_segv=0:detect_leaks=0", NULL
	};
	struct harness_run how = { .versions = "crash", .env = env };
	const char *file;
	const struct harness_result *r;

	make_dbs(__func__, 2);
	file = targets(2, NULL);
	r = harness_retortv(&how,
			    (const char *const[]){ "-x", "fault=segv", "fleet",
						   "upgrade", "--targets", file,
						   "--on-error", "continue",
						   "head", NULL });
	assert_exit(r, 1);
	for (int i = 0; i < 2; i++) {
		const char *row = row_of(r, harness_fmt("t%d", i));

		assert_contains(row, "failed");
		assert_contains(row, "revision 002");
		assert_contains(row, "crashed: signal 11");
		assert_at(i, "001");
	}
	r = harness_retortv(&how, (const char *const[]){
					  "fleet", "upgrade", "--targets", file,
					  "--retries", "0", "head", NULL });
	assert_exit(r, 0);
	assert_contains(row_of(r, "t0"), "001   003   ok");
	assert_at(0, "003");
	assert_at(1, "003");
}
END_TEST

static Suite *fleet_suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = harness_tcase("fleet");

	tcase_add_test(tc, test_all_ok_then_up_to_date);
	tcase_add_test(tc, test_jobs_same_end_state);
	tcase_add_test(tc, test_data_failure);
	tcase_add_test(tc, test_target_down);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_unknown_revision);
	tcase_add_test(tc, test_canary_stops);
	tcase_add_test(tc, test_on_error);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_stamp_and_downgrade);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_bad_targets_file);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_crash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(fleet_suite(), HARNESS_NEEDS_DB);
}

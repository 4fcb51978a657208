/*
 * Integration: loading a plugin can never end the runner silently.  A
 * plugin whose constructor calls exit(0), one whose constructor faults,
 * and a plugin file cut short (which faults with SIGBUS when a page past
 * its end is touched) are each loaded where the runner survives them:
 * every command that reads the plugins stops with exit status 2, naming
 * the file and how loading ended, and the database keeps what it had.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * Under AddressSanitizer the runner's own handlers would turn a fault into
 * a report and an abort, and LeakSanitizer could change an exit status:
 * let the plugins' faults and exits be what they are.  Ignored otherwise.
 */
static const char *const sanitizer_env[] = {
	"ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:detect_leaks=0", NULL
};

/* How each misbehaving plugin ends the process that loads it. */
enum misbehaviour { CTOR_EXIT, CTOR_SEGV, TRUNCATED };

static const char *copy_file(const char *from, const char *to, long keep)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	long total = 0;
	size_t n;

	ck_assert_msg(in && out, "cannot copy %s to %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (keep >= 0 && total + (long)n > keep)
			n = (size_t)(keep - total);
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
		total += (long)n;
	}
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	return to;
}

static const char *fixture_so(const char *name)
{
	return harness_fmt("%s/%s.so", harness_fixture("load_crash"), name);
}

/* A directory of the test's own holding 001 and 002, well behaved. */
static const char *good_versions(void)
{
	const char *dir = harness_fmt("%s/versions", harness_tmpdir());

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	copy_file(fixture_so("001_load_base"),
		  harness_fmt("%s/001_load_base.so", dir), -1);
	copy_file(fixture_so("002_load_next"),
		  harness_fmt("%s/002_load_next.so", dir), -1);
	return dir;
}

static long file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (long)st.st_size;
}

/*
 * Put the misbehaving plugin into dir, as `to` (a file name); returns its
 * path.  The truncated one is 002 cut in half, as a build or a copy
 * interrupted mid-write leaves it: its headers are whole, its pages
 * are not.
 */
static const char *add_bad(const char *dir, enum misbehaviour how,
			   const char *to)
{
	const char *path = harness_fmt("%s/%s", dir, to);
	const char *from;

	switch (how) {
	case CTOR_EXIT:
		return copy_file(fixture_so("003_ctor_exit"), path, -1);
	case CTOR_SEGV:
		return copy_file(fixture_so("003_ctor_segv"), path, -1);
	case TRUNCATED:
		from = fixture_so("002_load_next");
		return copy_file(from, path, file_size(from) / 2);
	}
	return NULL;
}

static const char *ending(enum misbehaviour how)
{
	switch (how) {
	case CTOR_EXIT:
		return "exit status 0";
	case CTOR_SEGV:
		return harness_fmt("killed by signal %d (%s)", SIGSEGV,
				   strsignal(SIGSEGV));
	case TRUNCATED:
		return harness_fmt("killed by signal %d (%s)", SIGBUS,
				   strsignal(SIGBUS));
	}
	return NULL;
}

static const char *history_rows(const struct harness_db *db)
{
	return harness_scalar(db, "SELECT count(*) FROM retort_history");
}

/* The command stopped at the plugin, saying so, and touched nothing. */
static void assert_refused(const struct harness_db *db,
			   const struct harness_result *r, const char *bad,
			   enum misbehaviour how, const char *rows)
{
	assert_exit(r, 2);
	assert_contains(r->err,
			harness_fmt("retort: error: revision plugin \"%s\" "
				    "ended the process while loading: %s\n",
				    bad, ending(how)));
	assert_not_contains(r->out, "Running");
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(history_rows(db), rows);
}

/*
 * At 002, a misbehaving plugin appears: upgrade, check, history and
 * downgrade each refuse it the same way, every time (the index never
 * vouches for a plugin that could not be read).
 */
static void every_command_refuses(enum misbehaviour how, const char *to)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = good_versions();
	struct harness_run run = { .url = db->url,
				   .versions = dir,
				   .env = sanitizer_env };
	const char *bad, *rows;

	assert_ok(harness_retort(&run, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "002");
	rows = history_rows(db);
	bad = add_bad(dir, how, to);
	assert_refused(db, harness_retort(&run, "upgrade", "head", NULL), bad,
		       how, rows);
	assert_refused(db, harness_retort(&run, "check", NULL), bad, how, rows);
	assert_refused(db, harness_retort(&run, "history", NULL), bad, how,
		       rows);
	assert_refused(db, harness_retort(&run, "downgrade", "base", NULL), bad,
		       how, rows);
	assert_refused(db, harness_retort(&run, "upgrade", "head", NULL), bad,
		       how, rows);
}

START_TEST(test_constructor_exit_refused)
{
	every_command_refuses(CTOR_EXIT, "003_ctor_exit.so");
}
END_TEST

START_TEST(test_constructor_segv_refused)
{
	every_command_refuses(CTOR_SEGV, "003_ctor_segv.so");
}
END_TEST

START_TEST(test_truncated_plugin_refused)
{
	every_command_refuses(TRUNCATED, "003_truncated.so");
}
END_TEST

/* The first plugin in name order that cannot be loaded is the one named,
 * and loading stops there. */
START_TEST(test_first_bad_plugin_named)
{
	const char *dir = good_versions();
	struct harness_run run = { .versions = dir, .env = sanitizer_env };
	const char *first = add_bad(dir, CTOR_SEGV, "002_b_segv.so");
	const struct harness_result *r;

	add_bad(dir, CTOR_EXIT, "002_c_exit.so");
	r = harness_retort(&run, "history", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, harness_fmt("\"%s\" ended the process", first));
	assert_not_contains(r->err, "002_c_exit.so");
}
END_TEST

/*
 * Let the directory settle, as test_index.c does: the index records the
 * directory's stamp, and the next runs take the graph from it without
 * looking at any plugin file.
 */
static void settle(const struct harness_run *run)
{
	const struct timespec pause = { 0, 300 * 1000 * 1000 };

	assert_ok(harness_retort(run, "history", NULL));
	nanosleep(&pause, NULL);
	assert_ok(harness_retort(run, "history", NULL));
	nanosleep(&pause, NULL);
	assert_ok(harness_retort(run, "history", NULL));
}

/*
 * A plugin overwritten in place after the index vouched for the directory:
 * the graph still comes from the index, so the first dlopen of the new
 * file is the check before the run's first step.  That too is done where
 * an exit() cannot end the run unreported.
 */
START_TEST(test_overwritten_plugin_refused_before_first_step)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = good_versions();
	struct harness_run run = { .url = db->url,
				   .versions = dir,
				   .env = sanitizer_env };
	const char *next = harness_fmt("%s/002_load_next.so", dir);
	const struct harness_result *r;
	struct timespec times[2];
	struct stat before;

	assert_ok(harness_retort(&run, "upgrade", "001", NULL));
	settle(&run);
	ck_assert_int_eq(stat(next, &before), 0);
	copy_file(fixture_so("003_ctor_exit"), next, -1);
	times[0] = before.st_atim;
	times[1] = before.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, next, times, 0), 0);
	r = harness_retort(&run, "upgrade", "head", NULL);
	assert_exit(r, 2);
	assert_contains(r->err,
			harness_fmt("revision plugin \"%s\" ended the process "
				    "while loading: exit status 0",
				    next));
	assert_str_eq(harness_versions(db, NULL), "001");
	assert_str_eq(history_rows(db), "1");
}
END_TEST

/*
 * A plugin that loads well when its metadata is read but ends the worker
 * when it is loaded again to run: the worker's end names the plugin and
 * says it was loading.  Exit 1, as for any step that fails: the steps
 * before it in a run stay applied; here there are none.
 */
START_TEST(test_worker_ended_while_loading_named)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = good_versions();
	const char *counter = harness_fmt("%s/loads", harness_tmpdir());
	const char *const env[] = {
		sanitizer_env[0],
		harness_fmt("RETORT_TEST_LOAD_COUNTER=%s", counter), NULL
	};
	struct harness_run run = { .url = db->url,
				   .versions = dir,
				   .env = sanitizer_env };
	const char *later, *rows;
	const struct harness_result *r;

	assert_ok(harness_retort(&run, "upgrade", "head", NULL));
	rows = history_rows(db);
	later = copy_file(fixture_so("003_ctor_exit_later"),
			  harness_fmt("%s/003_ctor_exit_later.so", dir), -1);
	run.env = env;
	r = harness_retort(&run, "upgrade", "head", NULL);
	assert_exit(r, 1);
	assert_contains(r->err,
			harness_fmt("retort: error: revision plugin \"%s\" "
				    "ended the process while loading: "
				    "exit status 0\n",
				    later));
	assert_str_eq(harness_versions(db, NULL), "002");
	assert_str_eq(history_rows(db), rows);
	ck_assert(!harness_table_exists(db, "l2"));
}
END_TEST

static Suite *loading_suite(void)
{
	Suite *s = suite_create("loading");
	TCase *tc = harness_tcase("loading");

	tcase_add_test(tc, test_constructor_exit_refused);
	tcase_add_test(tc, test_constructor_segv_refused);
	tcase_add_test(tc, test_truncated_plugin_refused);
	tcase_add_test(tc, test_first_bad_plugin_named);
	tcase_add_test(tc, test_overwritten_plugin_refused_before_first_step);
	tcase_add_test(tc, test_worker_ended_while_loading_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(loading_suite(), HARNESS_NEEDS_DB);
}

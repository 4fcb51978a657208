/*
 * Integration: the metadata index (<versions>/.retort-index).  It is a
 * cache: used while each plugin file is the very file an entry was made
 * from, or, once a scan found every entry current and recorded the
 * directory's stamp, while the directory keeps that stamp; a plugin run
 * is checked against its entry when loaded.  Each test forges an entry's
 * message and watches whether the runner believes it; a stale, missing, corrupt
 * or unsafe index must give exactly the answers the plugins give.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define FORGED "forged message"

static const char *copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;

	ck_assert_msg(in && out, "cannot copy %s to %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	return to;
}

/* A private copy of a fixture's plugins, so tests can change them. */
static const char *copy_fixture(const char *scenario)
{
	const char *from = harness_fixture(scenario);
	const char *dir = harness_fmt("%s/versions", harness_tmpdir());
	struct dirent *ent;
	DIR *d = opendir(from);

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	while ((ent = readdir(d)) != NULL) {
		size_t len = strlen(ent->d_name);

		if (len > 3 && strcmp(ent->d_name + len - 3, ".so") == 0)
			copy_file(harness_fmt("%s/%s", from, ent->d_name),
				  harness_fmt("%s/%s", dir, ent->d_name));
	}
	closedir(d);
	return dir;
}

static const char *index_of(const char *dir)
{
	return harness_fmt("%s/.retort-index", dir);
}

/* The file's text, in a buffer reused by the next call. */
static char *slurp(const char *path)
{
	static char text[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void spit(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* Replace every entry's message with FORGED, keeping the stat fields. */
static void forge_messages(const char *dir, mode_t mode)
{
	char *text = slurp(index_of(dir)), *out = calloc(1, 1 << 20);
	char *line = text, *o = out;

	ck_assert_ptr_nonnull(out);
	while (*line) {
		char *end = strchr(line, '\n');
		int field = 0;

		ck_assert_ptr_nonnull(end);
		*end = '\0';
		for (char *p = line; *p; p++) {
			if (*p == '\t')
				field++;
			/* The message is the 20th field (after 19 tabs). */
			if (field == 19 && *p == '\t') {
				o += sprintf(o, "\t%s", FORGED);
				while (p[1] && p[1] != '\t')
					p++;
				continue;
			}
			*o++ = *p;
		}
		*o++ = '\n';
		line = end + 1;
	}
	spit(index_of(dir), out, mode);
	free(out);
}

static const struct harness_result *history(const char *dir)
{
	struct harness_run how = { .versions = dir };

	return harness_retort(&how, "history", NULL);
}

static const char *const linear_history = "002 -> 003 (head), seed a\n"
					  "001 -> 002, add table b\n"
					  "<base> -> 001, create table a\n";

/* Overwrite a plugin in place, keeping its modification time. */
static void overwrite_in_place(const char *from, const char *plugin)
{
	struct stat before;
	struct timespec times[2];

	ck_assert_int_eq(stat(plugin, &before), 0);
	copy_file(from, plugin);
	times[0] = before.st_atim;
	times[1] = before.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, plugin, times, 0), 0);
}

START_TEST(test_index_written_and_used)
{
	const char *dir = copy_fixture("linear");

	assert_ok(history(dir));
	ck_assert_int_eq(access(index_of(dir), F_OK), 0);
	ck_assert(harness_starts_with(slurp(index_of(dir)),
				      "retort-index 4\ndir "));
	/* An entry matching its file is believed: the cache is used. */
	forge_messages(dir, 0644);
	ck_assert_ptr_nonnull(strstr(history(dir)->out, FORGED));
}
END_TEST

START_TEST(test_index_edited_plugin_detected)
{
	const char *dir = copy_fixture("linear");

	assert_ok(history(dir));
	forge_messages(dir, 0644);
	/* Rewrite the plugin in place, then put its mtime back (cp -p):
	 * the change time still tells. */
	overwrite_in_place(
		harness_fmt("%s/003_seed_a.so", harness_fixture("linear")),
		harness_fmt("%s/003_seed_a.so", dir));
	ck_assert_ptr_nonnull(strstr(history(dir)->out, "(head), seed a\n"));
}
END_TEST

START_TEST(test_index_deleted_plugin_not_planned)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = copy_fixture("linear");
	struct harness_run how = { .url = db->url, .versions = dir };

	assert_ok(history(dir));
	ck_assert_int_eq(unlink(harness_fmt("%s/003_seed_a.so", dir)), 0);
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "002");
	ck_assert(!harness_table_exists(db, "a") ||
		  harness_count(db, "SELECT * FROM a") == 0);
}
END_TEST

START_TEST(test_index_corrupt_ignored_and_rewritten)
{
	const char *dir = copy_fixture("linear");

	spit(index_of(dir), "retort-index 4\nthis\tis\tnot\tan\tentry\n", 0644);
	assert_str_eq(history(dir)->out, linear_history);
	ck_assert(harness_starts_with(slurp(index_of(dir)),
				      "retort-index 4\ndir 0000"));
	ck_assert_ptr_nonnull(
		strstr(slurp(index_of(dir)), "\n001_create_a.so\t"));
}
END_TEST

/*
 * An index written by a retort before lint waivers (format 3) cannot tell
 * a plugin's .lint_allow: it is not believed, and it is written again.
 */
START_TEST(test_index_format_3_reread)
{
	const char *dir = copy_fixture("linear");
	char *text;

	assert_ok(history(dir));
	forge_messages(dir, 0644);
	text = slurp(index_of(dir));
	ck_assert(harness_starts_with(text, "retort-index 4\n"));
	text[strlen("retort-index ")] = '3';
	spit(index_of(dir), text, 0644);
	assert_str_eq(history(dir)->out, linear_history);
	ck_assert(harness_starts_with(slurp(index_of(dir)),
				      "retort-index 4\ndir "));
}
END_TEST

START_TEST(test_index_missing_rebuilt)
{
	const char *dir = copy_fixture("linear");

	assert_ok(history(dir));
	ck_assert_int_eq(unlink(index_of(dir)), 0);
	assert_str_eq(history(dir)->out, linear_history);
	ck_assert_int_eq(access(index_of(dir), F_OK), 0);
}
END_TEST

START_TEST(test_index_writable_by_others_ignored)
{
	const char *dir = copy_fixture("linear");

	assert_ok(history(dir));
	forge_messages(dir, 0666);
	assert_str_eq(history(dir)->out, linear_history);
}
END_TEST

static const char *const unrecorded =
	"retort-index 4\ndir 00000000000000000000 00000000000000000000 "
	"00000000000000000000 00000000000000000000 00000000000000000000 "
	"00000000000000000000\n";

/*
 * Let the directory settle: the scan after the one that wrote the index
 * finds every entry current and, the directory's last change being older
 * than the racy margin (0.1 s where times have nanoseconds), records the
 * directory's stamp.  From then on the fast path lists nothing.
 */
static void settle(const char *dir)
{
	const struct timespec pause = { 0, 300 * 1000 * 1000 };

	assert_ok(history(dir));
	nanosleep(&pause, NULL);
	assert_ok(history(dir));
	ck_assert_msg(!harness_starts_with(slurp(index_of(dir)), unrecorded),
		      "no directory stamp recorded in %s", index_of(dir));
}

START_TEST(test_index_dir_stamp_used)
{
	static const char *const linear[] = { "001_create_a.so", "002_add_b.so",
					      "003_seed_a.so" };
	const char *dir = copy_fixture("linear");

	settle(dir);
	forge_messages(dir, 0644);
	/* A new change time on every plugin would send a scan that stats
	 * them to dlopen each: the forged entries still being believed
	 * shows that no plugin was stat()ed. */
	for (size_t i = 0; i < sizeof(linear) / sizeof(linear[0]); i++) {
		const char *plugin = harness_fmt("%s/%s", dir, linear[i]);

		ck_assert_int_eq(chmod(plugin, 0600), 0);
		ck_assert_int_eq(chmod(plugin, 0644), 0);
	}
	ck_assert_ptr_nonnull(strstr(history(dir)->out, FORGED));
}
END_TEST

START_TEST(test_index_dir_stamp_added_plugin_seen)
{
	const char *dir = copy_fixture("linear");
	const char *plugin = harness_fmt("%s/003_seed_a.so", dir);

	ck_assert_int_eq(unlink(plugin), 0);
	settle(dir);
	forge_messages(dir, 0644);
	copy_file(harness_fmt("%s/003_seed_a.so", harness_fixture("linear")),
		  plugin);
	/* The new file changed the directory: every plugin is stat()ed,
	 * and the one no entry describes is read. */
	ck_assert_ptr_nonnull(
		strstr(history(dir)->out, "002 -> 003 (head), seed a\n"));
}
END_TEST

START_TEST(test_index_dir_stamp_removed_plugin_seen)
{
	const char *dir = copy_fixture("linear");

	settle(dir);
	ck_assert_int_eq(unlink(harness_fmt("%s/003_seed_a.so", dir)), 0);
	assert_str_eq(history(dir)->out, "001 -> 002 (head), add table b\n"
					 "<base> -> 001, create table a\n");
}
END_TEST

/*
 * A plugin overwritten in place leaves the directory's stamp alone, so the
 * graph may still come from its old entry; every plugin a plan will run is
 * checked before its first step, so the run stops before anything is
 * applied, and none of the plugin's code runs.  The next run reads every
 * plugin afresh.
 */
START_TEST(test_index_dir_stamp_overwritten_plugin_refused)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = copy_fixture("integrity_v1");
	struct harness_run how = { .url = db->url, .versions = dir };
	const struct harness_result *r;

	settle(dir);
	overwrite_in_place(harness_fmt("%s/002_edited.so",
				       harness_fixture("integrity_v2")),
			   harness_fmt("%s/002_edited.so", dir));
	r = harness_retort(&how, "upgrade", "head", NULL);
	ck_assert_int_eq(r->exit_code, 2);
	ck_assert_ptr_nonnull(strstr(
		r->err, "002_edited.so\" changed since its metadata was read"));
	ck_assert_ptr_nonnull(strstr(r->err, "Run the command again"));
	/* Refused before 001, the step before it, ran. */
	ck_assert_ptr_null(strstr(r->out, "Running upgrade"));
	ck_assert(!harness_table_exists(db, "alembic_version") ||
		  harness_count(db, "SELECT * FROM alembic_version") == 0);
	/* Nothing stays trusted: the next run reads the plugin as it is. */
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

/* Safe loading holds on the fast path too: checked before the first step. */
START_TEST(test_index_dir_stamp_unsafe_plugin_refused)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = copy_fixture("linear");
	struct harness_run how = { .url = db->url, .versions = dir };
	const struct harness_result *r;

	settle(dir);
	ck_assert_int_eq(chmod(harness_fmt("%s/003_seed_a.so", dir), 0666), 0);
	r = harness_retort(&how, "upgrade", "head", NULL);
	ck_assert_int_eq(r->exit_code, 2);
	ck_assert_ptr_nonnull(strstr(r->err, "003_seed_a.so\" is writable by"));
	ck_assert_ptr_null(strstr(r->out, "Running upgrade"));
	ck_assert(!harness_table_exists(db, "a"));
}
END_TEST

/* A plugin rebuilt alike (new times, same revision) is no reason to stop. */
START_TEST(test_index_dir_stamp_touched_plugin_runs)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = copy_fixture("integrity_v1");
	struct harness_run how = { .url = db->url, .versions = dir };

	settle(dir);
	overwrite_in_place(harness_fmt("%s/002_edited.so",
				       harness_fixture("integrity_v1")),
			   harness_fmt("%s/002_edited.so", dir));
	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	assert_str_eq(harness_versions(db, NULL), "003");
}
END_TEST

/* `retort check` answers for every file as it is: it takes no plugin on
 * the index's word, even while the directory keeps its stamp. */
START_TEST(test_index_dir_stamp_not_trusted_by_check)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *dir = copy_fixture("integrity_v1");
	struct harness_run how = { .url = db->url, .versions = dir };
	const struct harness_result *r;

	assert_ok(harness_retort(&how, "upgrade", "head", NULL));
	settle(dir);
	assert_ok(harness_retort(&how, "check", NULL));
	overwrite_in_place(harness_fmt("%s/002_edited.so",
				       harness_fixture("integrity_v2")),
			   harness_fmt("%s/002_edited.so", dir));
	r = harness_retort(&how, "check", NULL);
	ck_assert_int_eq(r->exit_code, 2);
	ck_assert_ptr_nonnull(strstr(
		r->err, "applied revision '002' was changed after it ran"));
}
END_TEST

static Suite *index_suite(void)
{
	Suite *s = suite_create("index");
	TCase *tc = harness_tcase("index");

	tcase_add_test(tc, test_index_written_and_used);
	tcase_add_test(tc, test_index_edited_plugin_detected);
	tcase_add_test(tc, test_index_deleted_plugin_not_planned);
	tcase_add_test(tc, test_index_corrupt_ignored_and_rewritten);
	tcase_add_test(tc, test_index_format_3_reread);
	tcase_add_test(tc, test_index_missing_rebuilt);
	tcase_add_test(tc, test_index_writable_by_others_ignored);
	tcase_add_test(tc, test_index_dir_stamp_used);
	tcase_add_test(tc, test_index_dir_stamp_added_plugin_seen);
	tcase_add_test(tc, test_index_dir_stamp_removed_plugin_seen);
	tcase_add_test(tc, test_index_dir_stamp_overwritten_plugin_refused);
	tcase_add_test(tc, test_index_dir_stamp_touched_plugin_runs);
	tcase_add_test(tc, test_index_dir_stamp_unsafe_plugin_refused);
	tcase_add_test(tc, test_index_dir_stamp_not_trusted_by_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(index_suite(), HARNESS_NEEDS_DB);
}

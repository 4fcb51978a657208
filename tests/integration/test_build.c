/*
 * Integration: retort builds what it runs.  Projects are written into the
 * test's directory (a retort init project, or this repository's layout)
 * and run with no Meson at all: every command that reads the graph first
 * compiles the sources with no current plugin, with the real compiler;
 * --no-build and build = never refuse them instead; a removed source is a
 * removed revision.  Links the runner's core to compare the metadata of a
 * plugin built here with the one Meson built from the same source.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/plugin.h"

#define CREATE_DATE "2026-12-07 10:00:00+00"

/* A project directory in the test's scratch directory: versions/ and a
 * retort.ini with the given extra lines. */
static const char *project(const char *name, const char *ini_extra)
{
	const char *dir = harness_fmt("%s/%s", harness_tmpdir(), name);

	mkdir(dir, 0755);
	mkdir(harness_fmt("%s/versions", dir), 0755);
	harness_write_file(harness_fmt("%s/retort.ini", name),
			   "[retort]\nversions = build/versions\n"
			   "sources = versions\n%s",
			   ini_extra ? ini_extra : "");
	return dir;
}

/* Write a revision source proj/versions/<id>_<slug>.c creating table. */
static const char *write_rev(const char *proj, const char *id, const char *down,
			     const char *message, const char *table)
{
	const char *name = harness_fmt("%s/versions/%s_rev.c",
				       proj + strlen(harness_tmpdir()) + 1, id);

	harness_write_file(
		name,
		"#include \"plugin_api.h\"\n\n"
		"RETORT_REVISION(.revision = \"%s\", .down_revision = %s%s%s,\n"
		"\t\t.message = \"%s\", .create_date = \"" CREATE_DATE
		"\", );\n\n"
		"int upgrade(retort_ctx *ctx)\n{\n"
		"\treturn retort_exec(ctx, \"CREATE TABLE %s (id int)\");\n}\n\n"
		"int downgrade(retort_ctx *ctx)\n{\n"
		"\treturn retort_exec(ctx, \"DROP TABLE %s\");\n}\n",
		id, down ? "\"" : "", down ? down : "NULL", down ? "\"" : "",
		message, table, table);
	return harness_fmt("%s/versions/%s_rev.c", proj, id);
}

/* Run retort in dir with --url (db may be NULL: a closed port). */
static const struct harness_result *in_dir(const char *dir,
					   const struct harness_db *db,
					   const char *const *env,
					   const char *const *args)
{
	struct harness_run how = {
		.cwd = dir,
		.url = db ? db->url
			  : harness_fmt("postgresql://u:p@127.0.0.1:%s/x",
					harness_free_port()),
		.env = env,
	};

	return harness_retortv(&how, args);
}

#define RUN(dir, db, ...)                                                      \
	in_dir(dir, db, NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_ENV(dir, db, env, ...)                                             \
	in_dir(dir, db, env, (const char *const[]){ __VA_ARGS__, NULL })

/* A small file's text, in harness-owned memory ("" if absent). */
static const char *read_text(const char *path)
{
	char buf[4096] = "";
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return harness_fmt("%s", buf);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A retort init project, `retort revision`, an edit, `upgrade head`. */
START_TEST(test_init_project_without_meson)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = harness_fmt("%s/shop", harness_tmpdir());
	const struct harness_result *r;

	assert_ok(RUN(harness_tmpdir(), NULL, "init", "shop"));
	r = RUN(proj, NULL, "revision", "-m", "add portfolios", "--rev-id",
		"3f2a9c1d7e0b");
	assert_exit(r, 0);
	write_rev(proj, "3f2a9c1d7e0b", NULL, "add portfolios", "portfolios");
	unlink(harness_fmt("%s/versions/3f2a9c1d7e0b_add_portfolios.c", proj));

	r = RUN(proj, db, "upgrade", "head");
	assert_exit(r, 0);
	assert_contains(r->err, "Building 3f2a9c1d7e0b add portfolios\n");
	assert_contains(r->out, "Running upgrade  -> 3f2a9c1d7e0b");
	ck_assert(harness_table_exists(db, "portfolios"));
	assert_str_eq(harness_versions(db, NULL), "3f2a9c1d7e0b");
	ck_assert(exists(
		harness_fmt("%s/build/versions/3f2a9c1d7e0b_rev.so", proj)));

	/* Built once: the next command builds nothing. */
	r = RUN(proj, db, "current");
	assert_ok(r);
	assert_contains(r->out, "3f2a9c1d7e0b (head)");
}
END_TEST

/* This repository's layout: retort.ini, plugin_api.h and versions/. */
START_TEST(test_repository_layout)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *root = getenv("RETORT_SOURCE_ROOT");
	const char *proj = harness_fmt("%s/repo", harness_tmpdir());
	const struct harness_result *r;
	int rc;

	ck_assert_ptr_nonnull(root);
	mkdir(proj, 0755);
	rc = system(harness_fmt(
		"cp '%s/retort.ini' '%s/plugin_api.h' '%s/' && "
		"mkdir '%s/versions' && cp '%s'/versions/*.c '%s/versions/'",
		root, root, proj, proj, root, proj));
	ck_assert_int_eq(rc, 0);

	r = RUN(proj, db, "upgrade", "head");
	assert_exit(r, 0);
	assert_contains(r->err, "Building 001 create users table\n");
	ck_assert(harness_table_exists(db, "users"));
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

/* Project p with the source of revision a1 (table t1). */
static const char *project_a1(void)
{
	const char *proj = project("p", NULL);

	write_rev(proj, "a1", NULL, "first", "t1");
	return proj;
}

/* Project p with revision a1 (table t1) built and applied to db. */
static const char *applied_project(const struct harness_db *db)
{
	const char *proj = project_a1();

	assert_exit(RUN(proj, db, "upgrade", "head"), 0);
	return proj;
}

/* A compile error: the compiler's file:line, exit 2, nothing touched. */
START_TEST(test_compile_error)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = applied_project(db);
	const struct harness_result *r;

	harness_write_file(
		"p/versions/b2_rev.c",
		"#include \"plugin_api.h\"\n"
		"RETORT_REVISION(.revision = \"b2\", "
		".down_revision = \"a1\", .message = \"broken\");\n"
		"int upgrade(retort_ctx *ctx)\n{\n"
		"\treturn retort_exec(ctx, \"CREATE TABLE t2 (id int)\")\n"
		"}\n"
		"int downgrade(retort_ctx *ctx) { (void)ctx; return 0; }\n");

	r = RUN(proj, db, "upgrade", "head");
	assert_exit(r, 2);
	assert_contains(r->err, "Building b2 broken\n");
	assert_contains(r->err, "versions/b2_rev.c:5:");
	assert_contains(
		r->err,
		"retort: error: cannot build versions/b2_rev.c: the compiler exited with status 1\n");
	assert_contains(r->err, "retort: hint: ");
	assert_str_eq(r->out, "");
	assert_str_eq(harness_versions(db, NULL), "a1");
	ck_assert(!harness_table_exists(db, "t2"));
	ck_assert(!exists(harness_fmt("%s/build/versions/b2_rev.so", proj)));

	/* Before any connection: behind an unreachable URL, the same. */
	r = RUN(proj, NULL, "upgrade", "head");
	assert_exit(r, 2);
	assert_contains(r->err, "cannot build versions/b2_rev.c");
	assert_not_contains(r->err, "connect");
}
END_TEST

/* An edited source is rebuilt; a current one is not. */
START_TEST(test_edit_rebuilds)
{
	const char *proj = project("p", NULL);
	const struct harness_result *r;

	write_rev(proj, "a1", NULL, "first words", "t1");
	r = RUN(proj, NULL, "history");
	assert_exit(r, 0);
	assert_contains(r->out, "first words");
	assert_contains(r->err, "Building a1 first words\n");

	r = RUN(proj, NULL, "history");
	assert_ok(r);

	harness_sleep_ms(20);
	write_rev(proj, "a1", NULL, "second words", "t1");
	r = RUN(proj, NULL, "history");
	assert_exit(r, 0);
	assert_contains(r->err, "Building a1 second words\n");
	assert_contains(r->out, "second words");
	assert_not_contains(r->out, "first words");

	/* -q: no progress line, the build still happens. */
	harness_sleep_ms(20);
	write_rev(proj, "a1", NULL, "third words", "t1");
	r = RUN(proj, NULL, "-q", "history");
	assert_ok(r);
	assert_contains(r->out, "third words");
}
END_TEST

/* An applied revision edited: rebuilt, then refused as changed. */
START_TEST(test_applied_edit_still_refused)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = applied_project(db);
	const struct harness_result *r;

	harness_sleep_ms(20);
	write_rev(proj, "a1", NULL, "first", "t1x");

	r = RUN(proj, db, "check");
	assert_exit(r, 2);
	assert_contains(r->err, "Building a1 first\n");
	assert_contains(r->err,
			"applied revision 'a1' was changed after it ran");
	r = RUN(proj, db, "downgrade", "base");
	assert_exit(r, 2);
	assert_contains(r->err, "changed after it ran");
	ck_assert(harness_table_exists(db, "t1"));
	assert_str_eq(harness_versions(db, NULL), "a1");
	assert_exit(RUN(proj, db, "--allow-changed", "check"), 0);
}
END_TEST

/* --no-build and build = never name the unbuilt source; exit 2. */
START_TEST(test_no_build)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = project_a1();
	const char *never = project("q", "build = never\n");
	const char *bad = project("r", "build = sometimes\n");
	const struct harness_result *r;

	r = RUN(proj, db, "--no-build", "upgrade", "head");
	assert_exit(r, 2);
	assert_contains(
		r->err,
		"retort: error: versions/a1_rev.c has no current plugin in build/versions (--no-build)\n");
	assert_contains(r->err, "retort build");
	assert_not_contains(r->err, "Building");
	ck_assert(!exists(harness_fmt("%s/build/versions", proj)));
	ck_assert_ptr_null(harness_versions(db, NULL));

	write_rev(never, "a1", NULL, "first", "t1");
	r = RUN(never, NULL, "history");
	assert_exit(r, 2);
	assert_contains(r->err, "versions/a1_rev.c has no current plugin in "
				"build/versions (build = never)");

	r = RUN(bad, NULL, "history");
	assert_exit(r, 2);
	assert_contains(
		r->err,
		"retort.ini:4: build is \"sometimes\", neither auto nor never");

	/* retort build builds whatever the ini says; then it runs. */
	r = RUN(never, NULL, "build");
	assert_exit(r, 0);
	assert_contains(r->err, "Building a1 first\n");
	assert_ok(RUN(never, NULL, "history"));
	/* An edit is stale again. */
	harness_sleep_ms(20);
	write_rev(never, "a1", NULL, "edited", "t1");
	r = RUN(never, NULL, "history");
	assert_exit(r, 2);
	assert_contains(r->err, "is older than its source");
}
END_TEST

/* A plugin with no source beside it (an image) runs under --no-build. */
START_TEST(test_plugin_without_source)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const char *proj = project("p", NULL);
	const char *src = write_rev(proj, "a1", NULL, "first", "t1");
	const struct harness_result *r;

	assert_exit(RUN(proj, NULL, "build"), 0);
	ck_assert_int_eq(rename(src, harness_fmt("%s/kept.c.txt", proj)), 0);
	r = RUN(proj, db, "--no-build", "upgrade", "head");
	assert_ok(r);
	assert_str_eq(harness_versions(db, NULL), "a1");
	ck_assert(harness_table_exists(db, "t1"));
}
END_TEST

/* Removing a source removes its revision. */
START_TEST(test_removed_source)
{
	const char *proj = project_a1();
	const struct harness_result *r;
	const char *src;

	src = write_rev(proj, "b2", "a1", "second", "t2");
	r = RUN(proj, NULL, "heads");
	assert_exit(r, 0);
	assert_contains(r->out, "b2 (head)");

	unlink(src);
	/* --no-build: the plugin still counts, as an image's would. */
	r = RUN(proj, NULL, "--no-build", "heads");
	assert_ok(r);
	assert_contains(r->out, "b2 (head)");

	r = RUN(proj, NULL, "heads");
	assert_exit(r, 0);
	assert_contains(r->err, "Removing build/versions/b2_rev.so: its source "
				"versions/b2_rev.c is gone\n");
	assert_contains(r->out, "a1 (head)");
	assert_not_contains(r->out, "b2");
	ck_assert(!exists(harness_fmt("%s/build/versions/b2_rev.so", proj)));
	assert_ok(RUN(proj, NULL, "heads"));
}
END_TEST

/* retort build: the lines, "Nothing to build", --force, -q. */
START_TEST(test_build_command)
{
	const char *proj = project_a1();
	const struct harness_result *r;

	write_rev(proj, "b2", "a1", "second", "t2");
	r = RUN(proj, NULL, "build");
	assert_exit(r, 0);
	assert_str_eq(r->err, "Building a1 first\nBuilding b2 second\n");
	assert_str_eq(r->out, "");

	r = RUN(proj, NULL, "build");
	assert_ok(r);
	assert_str_eq(
		r->out,
		"Nothing to build: the plugins in build/versions are current\n");

	r = RUN(proj, NULL, "build", "--force");
	assert_exit(r, 0);
	assert_str_eq(r->err, "Building a1 first\nBuilding b2 second\n");

	r = RUN(proj, NULL, "-q", "build", "--force");
	assert_ok(r);
	assert_str_eq(r->out, "");

	/* No sources directory: nothing to build from, said so. */
	r = RUN(proj, NULL, "--sources", "nosuch", "build");
	assert_exit(r, 2);
	assert_contains(r->err, "cannot read the sources directory \"nosuch\"");
}
END_TEST

/* The same source built by Meson and by retort: the same metadata. */
START_TEST(test_same_as_meson)
{
	const char *root = getenv("RETORT_SOURCE_ROOT");
	const char *out = harness_fmt("%s/out", harness_tmpdir());
	struct retort_error err = { 0 };
	struct plugin_set meson, ours;
	const struct harness_result *r;

	ck_assert_ptr_nonnull(root);
	r = RUN(harness_tmpdir(), NULL, "--sources",
		harness_fmt("%s/tests/fixtures/integrity_v1", root),
		"--versions", out, "build");
	assert_exit(r, 0);
	ck_assert_int_eq(
		plugin_discover(harness_fixture("integrity_v1"), &meson, &err),
		0);
	ck_assert_int_eq(plugin_discover(out, &ours, &err), 0);
	ck_assert_uint_eq(meson.n, ours.n);
	ck_assert_uint_gt(ours.n, 0);
	for (size_t i = 0; i < ours.n; i++) {
		const struct revision_meta *a = &meson.items[i].meta,
					   *b = &ours.items[i].meta;

		assert_str_eq(b->id, a->id);
		assert_str_eq(b->message, a->message);
		assert_str_eq(b->create_date, a->create_date);
		ck_assert(!a->checksum_of_binary && !b->checksum_of_binary);
		assert_str_eq(b->checksum, a->checksum);
		assert_str_eq(b->source_path, a->source_path);
		ck_assert_uint_eq(b->flags, a->flags);
	}
	plugin_set_release(&meson);
	plugin_set_release(&ours);
}
END_TEST

/* CC with arguments, split on blanks; the ini's cc wins over CC. */
START_TEST(test_cc_with_arguments)
{
	const char *proj = project("p", NULL);
	const char *wrap = harness_write_file(
		"wrapcc", "#!/bin/sh\n[ \"$1\" = --tag ] || exit 9\n"
			  "echo \"$2\" >>\"$(dirname \"$0\")/used\"\n"
			  "shift 2\nexec cc \"$@\"\n");
	const char *env[2];
	const struct harness_result *r;

	chmod(wrap, 0755);
	env[0] = harness_fmt("CC=%s --tag  from-env", wrap);
	env[1] = NULL;
	write_rev(proj, "a1", NULL, "first", "t1");
	r = RUN_ENV(proj, NULL, env, "build");
	assert_exit(r, 0);
	ck_assert(exists(harness_fmt("%s/build/versions/a1_rev.so", proj)));

	harness_write_file("p/retort.ini",
			   "[retort]\nversions = build/versions\n"
			   "cc = %s --tag from-ini\n",
			   wrap);
	r = RUN_ENV(proj, NULL, env, "build", "--force");
	assert_exit(r, 0);
	assert_str_eq(read_text(harness_fmt("%s/used", harness_tmpdir())),
		      "from-env\nfrom-ini\n");
}
END_TEST

/* A compiler that does not exist: exit 2 naming it and where it came
 * from. */
START_TEST(test_missing_compiler)
{
	const char *proj = project_a1();
	const char *env[] = { "CC=/nonexistent/bin/cc", NULL };
	const struct harness_result *r;

	r = RUN_ENV(proj, NULL, env, "history");
	assert_exit(r, 2);
	assert_contains(
		r->err,
		"retort: error: cannot run the C compiler \"/nonexistent/bin/cc\": No such file or directory\n");
	assert_contains(r->err, "the CC environment variable");
	assert_contains(r->err, "retort: hint: ");
}
END_TEST

/* Two runners building the same 20 sources at once agree. */
START_TEST(test_two_builders)
{
	const char *proj = project("p", NULL);
	const char *args[] = { "history", NULL };
	struct harness_run how = { .cwd = proj };
	struct harness_proc *a, *b;
	const struct harness_result *ra, *rb;
	char id[16], down[16];

	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		snprintf(down, sizeof(down), "r%02d", i - 1);
		write_rev(proj, id, i ? down : NULL, "step",
			  harness_fmt("t%02d", i));
	}
	a = harness_spawn(&how, args);
	b = harness_spawn(&how, args);
	ra = harness_wait(a);
	rb = harness_wait(b);
	assert_exit(ra, 0);
	assert_exit(rb, 0);
	assert_str_eq(ra->out, rb->out);
	assert_contains(ra->out, "r18 -> r19 (head), step");
	assert_contains(ra->out, "<base> -> r00, step");
	assert_ok(RUN(proj, NULL, "history"));
}
END_TEST

/* --versions alone names other plugins: the ini's sources are not
 * theirs, so nothing is built into them nor required of them. */
START_TEST(test_versions_alone)
{
	const char *proj = project_a1();
	const struct harness_result *r;

	r = RUN(proj, NULL, "--versions", harness_fixture("linear"), "history");
	assert_ok(r);
	assert_contains(r->out, "-> 003 (head)");
	assert_not_contains(r->out, "a1");
	r = RUN(proj, NULL, "--versions", harness_fixture("linear"),
		"--no-build", "history");
	assert_ok(r);
	ck_assert(!exists(harness_fmt("%s/build", proj)));

	r = RUN(proj, NULL, "--versions", "elsewhere", "build");
	assert_exit(r, 2);
	assert_contains(r->err, "--versions without --sources");
	r = RUN(proj, NULL, "--versions", "elsewhere", "--sources", "versions",
		"build");
	assert_exit(r, 0);
	assert_contains(r->err, "Building a1 first\n");
	ck_assert(exists(harness_fmt("%s/elsewhere/a1_rev.so", proj)));
}
END_TEST

/* A hazard autogenerate marked is not built until a person deletes the
 * mark, as Meson's -Werror build refused it. */
START_TEST(test_hazard_marked)
{
	const char *proj = project("p", NULL);
	const char *src = write_rev(proj, "a1", NULL, "first", "t1");
	const struct harness_result *r;

	harness_write_file(
		"p/versions/a1_rev.c", "%s\n%s",
		"#warning \"retort HAZARD (data loss): review, then delete this line\"",
		read_text(src));
	r = RUN(proj, NULL, "history");
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: versions/a1_rev.c:1: a hazard "
				"is still marked for review\n");
	ck_assert(!exists(harness_fmt("%s/build/versions/a1_rev.so", proj)));
	write_rev(proj, "a1", NULL, "first", "t1");
	assert_exit(RUN(proj, NULL, "history"), 0);
}
END_TEST

/* A "*.c" that is not a revision (no RETORT_REVISION) is not built, as
 * the source scanner skips it. */
START_TEST(test_not_a_revision)
{
	const char *proj = project_a1();
	const struct harness_result *r;

	harness_write_file("p/versions/helper.c", "%s",
			   "this is not C, and not a revision\n");
	r = RUN(proj, NULL, "history");
	assert_exit(r, 0);
	assert_str_eq(r->err, "Building a1 first\n");
	assert_ok(RUN(proj, NULL, "--no-build", "history"));
	ck_assert(!exists(harness_fmt("%s/build/versions/helper.so", proj)));
}
END_TEST

/*
 * A sources or versions path that is a file, not a directory: exit 2
 * naming it, before any connection, and nothing built.
 */
START_TEST(test_unusable_directories)
{
	const char *proj = project_a1();
	const struct harness_result *r;

	harness_write_file("p/afile", "%s", "not a directory\n");
	r = RUN(proj, NULL, "--sources", "afile", "history");
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: cannot read the sources "
				"directory \"afile\": Not a directory");

	r = RUN(proj, NULL, "--versions", "afile/plugins", "--sources",
		"versions", "history");
	assert_exit(r, 2);
	assert_contains(r->err, "retort: error: cannot create the versions "
				"directory \"afile/plugins\"");
	assert_not_contains(r->err, "Building");
}
END_TEST

/* How many half-written plugins (".x.so.<pid>.<n>.tmp") dir holds. */
static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] == '.' &&
		     harness_ends_with(e->d_name, ".tmp");
	if (d != NULL)
		closedir(d);
	return n;
}

/*
 * SIGTERM sent to retort alone (as a deploy system stops a container's
 * main process) in the middle of a build: the compilers are stopped, no
 * half-written plugin is left behind, the exit status says so, and the
 * next run builds what is missing.
 */
START_TEST(test_stopped_build)
{
	const char *proj = project("p", "cc = ./slowcc\n");
	const char *args[] = { "build", NULL };
	struct harness_run how = { .cwd = proj };
	const struct harness_result *r;
	struct harness_proc *p;
	char id[16], down[16];

	/* A compiler that writes its output, then dawdles while told to. */
	harness_write_file("p/slowcc", "#!/bin/sh\ncc \"$@\" || exit\n"
				       "[ -e slow ] && sleep 20\nexit 0\n");
	chmod(harness_fmt("%s/slowcc", proj), 0755);
	harness_write_file("p/slow", "%s", "");
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "s%02d", i);
		snprintf(down, sizeof(down), "s%02d", i - 1);
		write_rev(proj, id, i ? down : NULL, "step",
			  harness_fmt("t%02d", i));
	}
	p = harness_spawn(&how, args);
	harness_sleep_ms(2000);
	kill(harness_pid(p), SIGTERM);
	r = harness_wait(p);
	assert_exit(r, 143);
	assert_contains(r->err, "retort: error: interrupted by SIGTERM");
	ck_assert_int_eq(count_tmp(harness_fmt("%s/build/versions", proj)), 0);
	unlink(harness_fmt("%s/slow", proj));
	r = RUN(proj, NULL, "history");
	assert_exit(r, 0);
	assert_contains(r->out, "s02 -> s03 (head), step");
}
END_TEST

static Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = harness_tcase("build");

	tcase_add_test(tc, test_init_project_without_meson);
	tcase_add_test(tc, test_repository_layout);
	tcase_add_test(tc, test_compile_error);
	tcase_add_test(tc, test_edit_rebuilds);
	tcase_add_test(tc, test_applied_edit_still_refused);
	tcase_add_test(tc, test_no_build);
	tcase_add_test(tc, test_plugin_without_source);
	tcase_add_test(tc, test_removed_source);
	tcase_add_test(tc, test_build_command);
	tcase_add_test(tc, test_same_as_meson);
	tcase_add_test(tc, test_cc_with_arguments);
	tcase_add_test(tc, test_missing_compiler);
	tcase_add_test(tc, test_two_builders);
	tcase_add_test(tc, test_versions_alone);
	tcase_add_test(tc, test_hazard_marked);
	tcase_add_test(tc, test_not_a_revision);
	tcase_add_test(tc, test_stopped_build);
	tcase_add_test(tc, test_unusable_directories);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(build_suite(), HARNESS_NEEDS_DB);
}

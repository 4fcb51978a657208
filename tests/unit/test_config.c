/*
 * test_config.c - unit tests for config.c: retort.ini, .env, URL choice and
 * normalisation, -x arguments.  Files are written to a fresh temporary
 * directory per test; nothing here touches a database or the environment.
 */
#define _DEFAULT_SOURCE /* setgroups(), to read a file as nobody */
#include "config/config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* In every table the password is this, so no error may contain it. */
#define SECRET "hunter2"

static char tmpdir[] = "/tmp/retort-test-config-XXXXXX";
static char tmpdir_template[] = "/tmp/retort-test-config-XXXXXX";
static char saved_cwd[4096];

#define assert_ok(call, err)                                                   \
	ck_assert_msg((call) == 0, "%s failed: %s [%s]", #call, (err).msg,     \
		      (err).detail)

#define assert_str_or_null(got, want)                                          \
	do {                                                                   \
		if ((want) == NULL)                                            \
			ck_assert_ptr_null(got);                               \
		else                                                           \
			ck_assert_str_eq(got, want);                           \
	} while (0)

/* The error says what failed and how to fix it, and never leaks SECRET. */
static void assert_error(const struct retort_error *err, const char *in_msg)
{
	ck_assert_int_eq(err->status, RETORT_USAGE);
	ck_assert_msg(strstr(err->msg, in_msg) != NULL,
		      "msg \"%s\" lacks \"%s\"", err->msg, in_msg);
	ck_assert_msg(err->hint[0] != '\0', "no hint for \"%s\"", err->msg);
	ck_assert_ptr_null(strstr(err->msg, SECRET));
	ck_assert_ptr_null(strstr(err->detail, SECRET));
	ck_assert_ptr_null(strstr(err->hint, SECRET));
}

static void make_tmpdir(void)
{
	memcpy(tmpdir, tmpdir_template, sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_ptr_nonnull(getcwd(saved_cwd, sizeof(saved_cwd)));
}

/* Files and empty directories only: that is all the tests create. */
static void remove_tmpdir(void)
{
	char path[4096];
	struct dirent *e;
	DIR *dir;

	ck_assert_int_eq(chdir(saved_cwd), 0);
	dir = opendir(tmpdir);
	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	closedir(dir);
	rmdir(tmpdir);
}

/* Write name in the temporary directory; path receives its full path. */
static void write_file_n(char *path, size_t size, const char *name,
			 const char *text, size_t len)
{
	FILE *f;

	snprintf(path, size, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_file(char *path, size_t size, const char *name,
		       const char *text)
{
	write_file_n(path, size, name, text, strlen(text));
}

/* ---- config_init ---- */

START_TEST(test_init_defaults)
{
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(config_init(&cfg, &err), err);
	ck_assert_str_eq(cfg.versions, "build/versions");
	ck_assert_str_eq(cfg.sources, "versions");
	ck_assert_str_eq(cfg.version_table, "alembic_version");
	ck_assert_ptr_null(cfg.version_table_schema);
	ck_assert_ptr_null(cfg.ini_url);
	ck_assert_ptr_null(cfg.url);
	ck_assert_ptr_null(cfg.url_origin);
	ck_assert_ptr_null(cfg.args);
	ck_assert_uint_eq(cfg.nargs, 0);
	config_release(&cfg);
}
END_TEST

/* ---- config_release ---- */

START_TEST(test_release_zeroed_and_twice)
{
	struct retort_error err = { 0 };
	struct config cfg = { 0 };

	config_release(&cfg);
	config_release(NULL);
	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_add_arg(&cfg, "a=b", &err), err);
	assert_ok(config_resolve_url(&cfg, "postgres://h", NULL, NULL, &err),
		  err);
	config_release(&cfg);
	ck_assert_ptr_null(cfg.versions);
	ck_assert_ptr_null(cfg.args);
	ck_assert_uint_eq(cfg.nargs, 0);
	config_release(&cfg);
}
END_TEST

/* ---- config_read_ini ---- */

static void read_ini_text(struct config *cfg, const char *text, char *path,
			  size_t size, struct retort_error *err, int want)
{
	write_file(path, size, "retort.ini", text);
	assert_ok(config_init(cfg, err), *err);
	if (want == 0)
		assert_ok(config_read_ini(cfg, path, false, err), *err);
	else
		ck_assert_int_eq(config_read_ini(cfg, path, false, err), -1);
}

START_TEST(test_ini_full)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "# alembic.ini style\n"
		      "; both comment styles\n"
		      "[alembic]\n"
		      "script_location = migrations\n"
		      "url = postgresql://other/ignored\n"
		      "\n"
		      "[retort]\n"
		      "versions = out/versions\n"
		      "sources=src/versions\n"
		      "version_table = my_versions  \n"
		      "version_table_schema = ops\n"
		      "URL = postgresql+asyncpg://app:" SECRET "@db/app\n"
		      "[loggers]\n"
		      "keys = root\n",
		      path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.versions, "out/versions");
	ck_assert_str_eq(cfg.sources, "src/versions");
	ck_assert_str_eq(cfg.version_table, "my_versions");
	ck_assert_str_eq(cfg.version_table_schema, "ops");
	/* Stored as written; config_resolve_url normalises. */
	ck_assert_str_eq(cfg.ini_url,
			 "postgresql+asyncpg://app:" SECRET "@db/app");
	ck_assert_ptr_null(cfg.url);
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_partial_keeps_defaults)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\nversion_table = v\n", path, sizeof(path),
		      &err, 0);
	ck_assert_str_eq(cfg.versions, "build/versions");
	ck_assert_str_eq(cfg.sources, "versions");
	ck_assert_str_eq(cfg.version_table, "v");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_empty_optional_values_unset)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\nversion_table_schema =\nurl =\n", path,
		      sizeof(path), &err, 0);
	ck_assert_ptr_null(cfg.version_table_schema);
	/* url stays "" (set, empty): config_resolve_url refuses it. */
	ck_assert_str_eq(cfg.ini_url, "");
	ck_assert_ptr_nonnull(strstr(cfg.ini_url_at, "retort.ini:3"));
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_here_absolute)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];
	char want[4200];

	read_ini_text(&cfg,
		      "[retort]\n"
		      "versions = %(here)s/build/versions\n"
		      "sources = %(here)s\n",
		      path, sizeof(path), &err, 0);
	snprintf(want, sizeof(want), "%s/build/versions", tmpdir);
	ck_assert_str_eq(cfg.versions, want);
	ck_assert_str_eq(cfg.sources, tmpdir);
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_here_relative)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	write_file(path, sizeof(path), "retort.ini",
		   "[retort]\nversions = %(here)s/build\n");
	ck_assert_int_eq(chdir(tmpdir), 0);
	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_read_ini(&cfg, "retort.ini", false, &err), err);
	ck_assert_str_eq(cfg.versions, "./build");
	config_release(&cfg);
}
END_TEST

/* Files saved on Windows: a byte-order mark and CRLF line endings. */
START_TEST(test_ini_bom_crlf)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "\xef\xbb\xbf[retort]\r\n  versions = v\r\n", path,
		      sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.versions, "v");
	config_release(&cfg);
}
END_TEST

/* alembic.ini doubles every % of a URL's percent-encoding. */
START_TEST(test_ini_percent)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(
		&cfg,
		"[retort]\n"
		"url = postgresql://u:p%%40ss@h/db?application_name=a%20b\n",
		path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.ini_url,
			 "postgresql://u:p%40ss@h/db?application_name=a%20b");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_unsupported_interpolation)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\n\nurl = postgresql://u:%(pw)s@h/db\n",
		      path, sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:3:");
	ck_assert_ptr_nonnull(strstr(err.msg, "url"));
	ck_assert_ptr_null(strstr(err.msg, "pw"));
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_missing_ok)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	snprintf(path, sizeof(path), "%s/absent.ini", tmpdir);
	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_read_ini(&cfg, path, true, &err), err);
	ck_assert_str_eq(cfg.versions, "build/versions");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_missing_required)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	snprintf(path, sizeof(path), "%s/absent.ini", tmpdir);
	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_read_ini(&cfg, path, false, &err), -1);
	assert_error(&err, path);
	ck_assert_ptr_nonnull(strstr(err.hint, "-c"));
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_directory)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	snprintf(path, sizeof(path), "%s/dir.ini", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_read_ini(&cfg, path, true, &err), -1);
	assert_error(&err, path);
	ck_assert_str_eq(err.detail, strerror(EISDIR));
	config_release(&cfg);
}
END_TEST

/*
 * What reading the unreadable ini at path got wrong, or "" when it was
 * refused as it must be: -1 and a usage error naming the file, with
 * EACCES's text and a hint.
 */
static void check_unreadable(const char *path, char *why, size_t size)
{
	struct retort_error err = { 0 };
	struct config cfg;
	int rc;

	why[0] = '\0';
	if (config_init(&cfg, &err) != 0) {
		snprintf(why, size, "config_init: %s", err.msg);
		return;
	}
	rc = config_read_ini(&cfg, path, true, &err);
	if (rc != -1)
		snprintf(why, size, "config_read_ini returned %d", rc);
	else if (err.status != RETORT_USAGE || !strstr(err.msg, path) ||
		 err.hint[0] == '\0')
		snprintf(why, size,
			 "the error \"%s\" (status %d) is not a "
			 "usage error naming the file, with a hint",
			 err.msg, (int)err.status);
	else if (strcmp(err.detail, strerror(EACCES)) != 0)
		snprintf(why, size, "detail \"%s\", expected \"%s\"",
			 err.detail, strerror(EACCES));
	config_release(&cfg);
}

/* check_unreadable() in a child that has become pw's user. */
static void check_unreadable_as(const struct passwd *pw, const char *path,
				char *why, size_t size)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0)
			snprintf(why, size, "cannot become %s: %s", pw->pw_name,
				 strerror(errno));
		else
			check_unreadable(path, why, size);
		n = write(fds[1], why, strlen(why));
		_exit(n < 0);
	}
	close(fds[1]);
	n = read(fds[0], why, size - 1);
	close(fds[0]);
	why[n > 0 ? n : 0] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the reader running as %s died (status 0x%x)",
		      pw->pw_name, (unsigned)status);
}

/*
 * Root reads a file whatever its mode, so as root the read runs as nobody:
 * the refusal is tested whoever runs the suite.  Where there is no nobody,
 * it is not tested, and under CI (CI=true) that fails.
 */
START_TEST(test_ini_unreadable)
{
	const struct passwd *pw = NULL;
	const char *ci = getenv("CI");
	char path[4096], why[4096];

	write_file(path, sizeof(path), "retort.ini", "[retort]\n");
	ck_assert_int_eq(chmod(path, 0), 0);
	if (geteuid() != 0) {
		check_unreadable(path, why, sizeof(why));
		ck_assert_msg(why[0] == '\0', "%s: %s", path, why);
		return;
	}
	pw = getpwnam("nobody");
	if (pw == NULL && ci != NULL && strcmp(ci, "true") == 0)
		ck_abort_msg("under CI this test must read as user nobody, "
			     "and there is no such user");
	if (pw == NULL) {
		fprintf(stderr, "# unreadable ini not tested: running as root, "
				"with no user nobody to read as\n");
		return;
	}
	/* mkdtemp made the directory 0700: nobody must reach the file. */
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	check_unreadable_as(pw, path, why, sizeof(why));
	ck_assert_msg(why[0] == '\0', "%s, read as %s: %s", path, pw->pw_name,
		      why);
}
END_TEST

START_TEST(test_ini_malformed_line)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "[retort]\n"
		      "versions: elsewhere\n"
		      "password " SECRET "\n"
		      "sources = x\n",
		      path, sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:3: malformed line");
	ck_assert_ptr_nonnull(strstr(err.detail, "line 3"));
	/* A failed read changes nothing. */
	ck_assert_str_eq(cfg.versions, "build/versions");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_unclosed_section)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort\nversions = x\n", path, sizeof(path), &err,
		      -1);
	assert_error(&err, "retort.ini:1: malformed line");
	config_release(&cfg);
}
END_TEST

/* The earliest of inih's errors and ours is the one reported. */
START_TEST(test_ini_first_error_wins)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\nversion_table =\njunk\n", path,
		      sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:2: version_table is empty");
	config_release(&cfg);
	read_ini_text(&cfg, "[retort]\njunk\nversion_table =\n", path,
		      sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:2: malformed line");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_version_table_empty)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\n# c\nversion_table =\n", path,
		      sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:3: version_table is empty");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_identifier_length)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];
	char text[256];
	char name[65];

	/* The version table: 59 bytes, so that "<name>_pkc" fits in 63. */
	memset(name, 'v', 59);
	name[59] = '\0';
	snprintf(text, sizeof(text), "[retort]\nversion_table = %s\n", name);
	read_ini_text(&cfg, text, path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.version_table, name);
	config_release(&cfg);

	strcat(name, "v");
	snprintf(text, sizeof(text), "[retort]\nversion_table = %s\n", name);
	read_ini_text(&cfg, text, path, sizeof(path), &err, -1);
	assert_error(&err,
		     "retort.ini:2: version_table is longer than 59 bytes");
	ck_assert_ptr_nonnull(strstr(err.detail, "_pkc"));
	ck_assert_ptr_nonnull(strstr(err.hint, "59 bytes"));
	config_release(&cfg);

	/* The schema: PostgreSQL's 63. */
	memset(name, 'v', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "[retort]\nversion_table_schema = %s\n",
		 name);
	read_ini_text(&cfg, text, path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.version_table_schema, name);
	config_release(&cfg);

	strcat(name, "v");
	snprintf(text, sizeof(text), "[retort]\nversion_table_schema = %s\n",
		 name);
	read_ini_text(&cfg, text, path, sizeof(path), &err, -1);
	assert_error(&err, "version_table_schema is longer than 63 bytes");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_empty_path)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\nversions =\n", path, sizeof(path), &err,
		      -1);
	assert_error(&err, "retort.ini:2: versions is empty");
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_duplicate_key)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "[retort]\nurl = postgres://a\nurl = postgres://b\n",
		      path, sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:3: url is set twice");
	ck_assert_ptr_nonnull(strstr(err.detail, "line 2"));
	config_release(&cfg);
}
END_TEST

START_TEST(test_ini_continuation_line)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "[retort]\nurl = postgres://a\n    ?sslmode=require\n",
		      path, sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:3: indented line continues url");
	config_release(&cfg);
}
END_TEST

/* inih would cut the line in two; the URL must not arrive truncated. */
START_TEST(test_ini_long_line)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];
	char text[1024];
	char value[600];

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "[retort]\nurl = postgres://h/%s?a=b\nsources = s\n", value);
	read_ini_text(&cfg, text, path, sizeof(path), &err, -1);
	assert_error(&err, "retort.ini:2: line too long");
	config_release(&cfg);
}
END_TEST

/*
 * A misspelt key or section is an error naming the line and the nearest
 * known name: ignored, it would let libpq's PG* variables pick the
 * database.
 */
struct ini_refused_case {
	const char *text;
	const char *msg;    /* in the error's message */
	const char *detail; /* in its detail; NULL: no "did you mean" */
};

static const struct ini_refused_case ini_refused_cases[] = {
	{ "[retort]\nversions = v\nulr = postgresql://u:" SECRET "@h/db\n",
	  "retort.ini:3: unknown key \"ulr\" in [retort]",
	  "did you mean \"url\"?" },
	{ "[retort]\nversion_tabel = v\n",
	  "retort.ini:2: unknown key \"version_tabel\"",
	  "did you mean \"version_table\"?" },
	{ "[retort]\nconect_timeout = 5\n", "unknown key \"conect_timeout\"",
	  "did you mean \"connect_timeout\"?" },
	{ "[retort]\nbackfill_batchsize = 5\n",
	  "unknown key \"backfill_batchsize\"",
	  "did you mean \"backfill_batch_size\"?" },
	{ "[retort]\ndatabase = x\n", "unknown key \"database\"", NULL },
	/* A line of junk may be a password: only a plain name is quoted. */
	{ "[retort]\n" SECRET "@x" SECRET " = 1\n",
	  "retort.ini:2: unknown key in [retort]", NULL },
	{ "[retrot]\nurl = postgresql://h/db\n",
	  "retort.ini:2: unknown section [retrot]", "did you mean [retort]?" },
	{ "[Retort]\nurl = postgresql://h/db\n", "unknown section [Retort]",
	  "did you mean [retort]?" },
	{ "[myapp]\nkey = 1\n", "retort.ini:2: unknown section [myapp]", NULL },
	{ "url = postgresql://h/db\n[retort]\n",
	  "retort.ini:1: setting outside any section", NULL },
	{ "[retort]\nconnect_timeout = 5s\n",
	  "retort.ini:2: connect_timeout is not a whole number of seconds",
	  NULL },
	{ "[retort]\nconnect_timeout = -1\n",
	  "connect_timeout is not a whole number of seconds", NULL },
};

START_TEST(test_ini_refused)
{
	const struct ini_refused_case *c = &ini_refused_cases[_i];
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, c->text, path, sizeof(path), &err, -1);
	assert_error(&err, c->msg);
	if (c->detail != NULL)
		ck_assert_msg(strstr(err.detail, c->detail) != NULL,
			      "detail \"%s\" lacks \"%s\"", err.detail,
			      c->detail);
	else
		ck_assert_ptr_null(strstr(err.detail, "did you mean"));
	config_release(&cfg);
}
END_TEST

/* What alembic.ini holds besides [retort] stays allowed. */
START_TEST(test_ini_alembic_sections)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "[alembic]\nscript_location = migrations\n"
		      "sqlalchemy.url = driver://user:pass@localhost/dbname\n"
		      "[post_write_hooks]\nhooks = black\n"
		      "[loggers]\nkeys = root\n[handlers]\nkeys = console\n"
		      "[formatters]\nkeys = generic\n"
		      "[logger_root]\nlevel = WARN\n"
		      "[handler_console]\nclass = StreamHandler\n"
		      "[formatter_generic]\nformat = %(message)s\n"
		      "[retort]\nversions = v\nconnect_timeout = 7\n"
		      "backfill_batch_size = 50\nBackfill_Pause_MS = 3\n",
		      path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.versions, "v");
	ck_assert_str_eq(cfg.connect_timeout, "7");
	ck_assert_str_eq(config_ini_backfill(&cfg, "backfill_batch_size"),
			 "50");
	ck_assert_str_eq(config_ini_backfill(&cfg, "backfill_pause_ms"), "3");
	config_release(&cfg);
}
END_TEST

/* A file that is not UTF-8 text: a NUL, a stray byte, an overlong form. */
struct ini_binary_case {
	const char *text;
	size_t len;
	const char *detail;
};

#define BIN(s) s, sizeof(s) - 1

static const struct ini_binary_case ini_binary_cases[] = {
	{ BIN("[retort]\nversions = a\0b\n"), "line 2 has a NUL byte" },
	{ BIN("[retort]\n\nversions = \xff\xfe\n"),
	  "line 3 is not valid UTF-8" },
	{ BIN("\x7f"
	      "ELF\x02\x01\x01\0\0\0"),
	  "line 1 has a NUL byte" },
	{ BIN("[retort]\nversions = \xc0\xaf\n"), "line 2 is not valid UTF-8" },
	{ BIN("[retort]\nversions = \xed\xa0\x80\n"),
	  "line 2 is not valid UTF-8" },
	{ BIN("[retort]\nversions = caf\xc3"), "line 2 is not valid UTF-8" },
};

START_TEST(test_ini_not_text)
{
	const struct ini_binary_case *c = &ini_binary_cases[_i];
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	write_file_n(path, sizeof(path), "retort.ini", c->text, c->len);
	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_read_ini(&cfg, path, false, &err), -1);
	assert_error(&err, "retort.ini:");
	ck_assert_ptr_nonnull(strstr(err.msg, "not a text file"));
	ck_assert_msg(strstr(err.detail, c->detail) != NULL,
		      "detail \"%s\" lacks \"%s\"", err.detail, c->detail);
	config_release(&cfg);
}
END_TEST

/* Text in other scripts is text. */
START_TEST(test_ini_utf8_text)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg,
		      "# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"
		      "[retort]\nversions = v\xc3\xa9\n",
		      path, sizeof(path), &err, 0);
	ck_assert_str_eq(cfg.versions, "v\xc3\xa9");
	config_release(&cfg);
}
END_TEST

/* ---- config_read_dotenv ---- */

struct dotenv_case {
	const char *text;
	const char *want; /* NULL: key absent */
	int bad_line;	  /* nonzero: an error naming this line */
};

static const struct dotenv_case dotenv_cases[] = {
	{ "DATABASE_URL=postgresql://h/db\n", "postgresql://h/db", 0 },
	{ "DATABASE_URL=x", "x", 0 },
	{ "export DATABASE_URL=x\n", "x", 0 },
	{ "export\tDATABASE_URL = x\n", "x", 0 },
	{ "  DATABASE_URL =   spaced value  \n", "spaced value", 0 },
	{ "DATABASE_URL=x # comment\n", "x", 0 },
	{ "DATABASE_URL=x\t# comment\n", "x", 0 },
	{ "DATABASE_URL=pa#ss\n", "pa#ss", 0 },
	{ "DATABASE_URL= # only a comment\n", "", 0 },
	{ "DATABASE_URL=\n", "", 0 },
	{ "DATABASE_URL='a b # c'\n", "a b # c", 0 },
	{ "DATABASE_URL='a\\nb\"c'\n", "a\\nb\"c", 0 },
	{ "DATABASE_URL=\"a\\\"b\\\\c\\nd\"\n", "a\"b\\c\nd", 0 },
	{ "DATABASE_URL=\"a\\qb\"\n", "a\\qb", 0 },
	{ "DATABASE_URL = 'x' # comment\n", "x", 0 },
	{ "DATABASE_URL=\"x\"#comment\n", "x", 0 },
	{ "DATABASE_URL=\"two\nlines\"\nB=1\n", "two\nlines", 0 },
	{ "# comment\n\n   \n\t# indented comment\nDATABASE_URL=x\n", "x", 0 },
	{ "DATABASE_URL=a\r\nOTHER=b\r\n", "a", 0 },
	{ "DATABASE_URL=\"a\"\r\n", "a", 0 },
	{ "DATABASE_URL=a\nDATABASE_URL=b\n", "b", 0 },
	{ "DATABASE_URL=a\nexport DATABASE_URL='b'\nDATABASE_URL_2=c\n", "b",
	  0 },
	{ "OTHER=x\n", NULL, 0 },
	{ "database_url=x\n", NULL, 0 },
	{ "", NULL, 0 },
	{ "\n\n", NULL, 0 },
	{ "A.B-C=1\n_X=2\nexport=3\nDATABASE_URL=y\n", "y", 0 },
	{ "A=1\njunk line " SECRET "\n", NULL, 2 },
	{ "A=1\n\nB\n", NULL, 3 },
	{ "DATABASE_URL='" SECRET "\n", NULL, 1 },
	{ "DATABASE_URL=\"" SECRET "\nB=1\n", NULL, 1 },
	{ "DATABASE_URL='a' " SECRET "\n", NULL, 1 },
	{ "1X=" SECRET "\n", NULL, 1 },
	{ "A=1\r\n=" SECRET "\r\n", NULL, 2 },
	{ "A=\"multi\nline\"\n" SECRET "\n", NULL, 3 },
	{ "export " SECRET "\n", NULL, 1 },
	{ "DATABASE_URL=ok\nA B=" SECRET "\n", NULL, 2 },
};

START_TEST(test_dotenv_table)
{
	const struct dotenv_case *c = &dotenv_cases[_i];
	struct retort_error err = { 0 };
	char line[32];
	char path[4096];
	char *value = NULL;
	int rc;

	write_file(path, sizeof(path), ".env", c->text);
	rc = config_read_dotenv(path, "DATABASE_URL", &value, &err);
	if (c->bad_line == 0) {
		assert_ok(rc, err);
		assert_str_or_null(value, c->want);
		free(value);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(value);
	snprintf(line, sizeof(line), ".env:%d: malformed line", c->bad_line);
	assert_error(&err, line);
	snprintf(line, sizeof(line), "line %d", c->bad_line);
	ck_assert_ptr_nonnull(strstr(err.detail, line));
}
END_TEST

START_TEST(test_dotenv_missing_file)
{
	struct retort_error err = { 0 };
	char path[4096];
	char *value = (char *)"unchanged";

	snprintf(path, sizeof(path), "%s/.env", tmpdir);
	assert_ok(config_read_dotenv(path, "DATABASE_URL", &value, &err), err);
	ck_assert_ptr_null(value);
}
END_TEST

START_TEST(test_dotenv_directory)
{
	struct retort_error err = { 0 };
	char path[4096];
	char *value = NULL;

	snprintf(path, sizeof(path), "%s/.env", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(config_read_dotenv(path, "DATABASE_URL", &value, &err),
			 -1);
	assert_error(&err, path);
	ck_assert_str_eq(err.detail, strerror(EISDIR));
	ck_assert_ptr_null(value);
}
END_TEST

START_TEST(test_dotenv_nul_byte)
{
	static const char text[] = "A=1\nB=x\0y\n";
	struct retort_error err = { 0 };
	char path[4096];
	char *value = NULL;

	write_file_n(path, sizeof(path), ".env", text, sizeof(text) - 1);
	ck_assert_int_eq(config_read_dotenv(path, "A", &value, &err), -1);
	assert_error(&err, ".env:2: malformed line");
	ck_assert_ptr_null(value);
}
END_TEST

START_TEST(test_dotenv_other_key)
{
	struct retort_error err = { 0 };
	char path[4096];
	char *value = NULL;

	write_file(path, sizeof(path), ".env", "DATABASE_URL=a\nPGHOST=b\n");
	assert_ok(config_read_dotenv(path, "PGHOST", &value, &err), err);
	ck_assert_str_eq(value, "b");
	free(value);
}
END_TEST

/* ---- config_resolve_url ---- */

struct resolve_case {
	const char *cli;
	const char *env;
	const char *dotenv; /* the .env text; NULL: no file */
	const char *ini;    /* the ini's url; NULL: unset */
	const char *want;
	const char *origin;
};

static const char ORIGIN_INI[] = "the ini file's url";

static const struct resolve_case resolve_cases[] = {
	{ "postgres://cli", "postgres://env", "DATABASE_URL=postgres://dotenv",
	  "postgres://ini", "postgres://cli", "--url" },
	{ NULL, "postgres://env", "DATABASE_URL=postgres://dotenv",
	  "postgres://ini", "postgres://env", "DATABASE_URL" },
	{ NULL, NULL, "DATABASE_URL=postgres://dotenv", "postgres://ini",
	  "postgres://dotenv", ".env" },
	{ NULL, NULL, NULL, "postgres://ini", "postgres://ini", ORIGIN_INI },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
	{ "postgres://cli", NULL, NULL, NULL, "postgres://cli", "--url" },
	{ "postgres://cli", NULL, NULL, "postgres://ini", "postgres://cli",
	  "--url" },
	{ NULL, "postgres://env", NULL, "postgres://ini", "postgres://env",
	  "DATABASE_URL" },
	{ "postgres://cli", NULL, "DATABASE_URL=postgres://dotenv", NULL,
	  "postgres://cli", "--url" },
	/* An empty source below the one chosen is never looked at. */
	{ "postgres://cli", "", "DATABASE_URL=\n", "", "postgres://cli",
	  "--url" },
	{ NULL, "postgres://env", "DATABASE_URL=\n", "", "postgres://env",
	  "DATABASE_URL" },
	{ NULL, NULL, "DATABASE_URL=postgres://dotenv", "", "postgres://dotenv",
	  ".env" },
	{ NULL, NULL, "OTHER=postgres://x\n", "postgres://ini",
	  "postgres://ini", ORIGIN_INI },
	/* --url wins without reading a broken .env. */
	{ "postgres://cli", NULL, "junk\n", NULL, "postgres://cli", "--url" },
	{ NULL, "postgres://env", "junk\n", NULL, "postgres://env",
	  "DATABASE_URL" },
	/* Whatever the source, the URL comes out normalised. */
	{ "postgresql+asyncpg://h/db?ssl=require", NULL, NULL, NULL,
	  "postgresql://h/db?sslmode=require", "--url" },
	{ NULL, NULL, "DATABASE_URL=\"postgresql+psycopg2://h/db\"", NULL,
	  "postgresql://h/db", ".env" },
	{ NULL, NULL, NULL, "postgres+asyncpg://h", "postgres://h",
	  ORIGIN_INI },
};

/* config_resolve_url() with a .env of that text (NULL: none) and ini url. */
static int resolve(struct config *cfg, const char *cli, const char *env,
		   const char *dotenv, const char *ini,
		   struct retort_error *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/.env", tmpdir);
	if (dotenv != NULL)
		write_file(path, sizeof(path), ".env", dotenv);
	assert_ok(config_init(cfg, err), *err);
	if (ini != NULL)
		cfg->ini_url = strdup(ini);
	return config_resolve_url(cfg, cli, env, path, err);
}

START_TEST(test_resolve_table)
{
	const struct resolve_case *c = &resolve_cases[_i];
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(resolve(&cfg, c->cli, c->env, c->dotenv, c->ini, &err), err);
	assert_str_or_null(cfg.url, c->want);
	assert_str_or_null(cfg.url_origin, c->origin);
	config_release(&cfg);
}
END_TEST

/* A source given but empty is an error, not the next source or libpq's. */
struct empty_case {
	const char *cli;
	const char *env;
	const char *dotenv;
	const char *ini;
	const char *msg;  /* in the error's message */
	const char *hint; /* in its hint */
};

static const struct empty_case empty_cases[] = {
	{ "", "postgres://env", "DATABASE_URL=postgres://dotenv",
	  "postgres://ini", "given with --url is empty", "leave --url out" },
	{ " \t", NULL, NULL, NULL, "given with --url is empty", "--url" },
	{ NULL, "", "DATABASE_URL=postgres://dotenv", "postgres://ini",
	  "DATABASE_URL environment variable is empty", "unset DATABASE_URL" },
	{ NULL, "", NULL, NULL, "DATABASE_URL environment variable is empty",
	  "unset DATABASE_URL" },
	{ NULL, NULL, "DATABASE_URL=\n", "postgres://ini",
	  ".env: DATABASE_URL is empty", "remove the line" },
	{ NULL, NULL, "DATABASE_URL= # only a comment\n", NULL,
	  ".env: DATABASE_URL is empty", "remove the line" },
	{ NULL, NULL, "DATABASE_URL=''\n", NULL, ".env: DATABASE_URL is empty",
	  "remove the line" },
	{ NULL, NULL, NULL, "", "the ini file: url is empty", "Set url" },
};

START_TEST(test_resolve_empty)
{
	const struct empty_case *c = &empty_cases[_i];
	struct retort_error err = { 0 };
	struct config cfg;

	ck_assert_int_eq(resolve(&cfg, c->cli, c->env, c->dotenv, c->ini, &err),
			 -1);
	assert_error(&err, c->msg);
	ck_assert_msg(strstr(err.hint, c->hint) != NULL,
		      "hint \"%s\" lacks \"%s\"", err.hint, c->hint);
	ck_assert_ptr_nonnull(strstr(err.detail, "libpq's defaults"));
	ck_assert_ptr_null(cfg.url);
	ck_assert_ptr_null(cfg.url_origin);
	config_release(&cfg);
}
END_TEST

/* An empty url in the ini file is named by its file and line. */
START_TEST(test_resolve_empty_ini_url)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\n\nurl =\n", path, sizeof(path), &err, 0);
	ck_assert_int_eq(config_resolve_url(&cfg, NULL, NULL, NULL, &err), -1);
	assert_error(&err, "retort.ini:3: url is empty");
	/* Given a URL elsewhere, the empty ini url is not looked at. */
	assert_ok(config_resolve_url(&cfg, NULL, "host=env", NULL, &err), err);
	ck_assert_str_eq(cfg.url, "host=env");
	config_release(&cfg);
}
END_TEST

START_TEST(test_resolve_from_ini_file)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	read_ini_text(&cfg, "[retort]\nurl = postgresql+asyncpg://ini/db\n",
		      path, sizeof(path), &err, 0);
	assert_ok(config_resolve_url(&cfg, NULL, NULL, NULL, &err), err);
	ck_assert_str_eq(cfg.url, "postgresql://ini/db");
	ck_assert_str_eq(cfg.url_origin, ORIGIN_INI);
	/* Resolving again replaces the URL. */
	assert_ok(config_resolve_url(&cfg, "host=cli", NULL, NULL, &err), err);
	ck_assert_str_eq(cfg.url, "host=cli");
	ck_assert_str_eq(cfg.url_origin, "--url");
	assert_ok(config_resolve_url(&cfg, NULL, NULL, NULL, &err), err);
	ck_assert_str_eq(cfg.url_origin, ORIGIN_INI);
	config_release(&cfg);
}
END_TEST

START_TEST(test_resolve_broken_dotenv)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	write_file(path, sizeof(path), ".env", "A=1\n" SECRET "\n");
	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_resolve_url(&cfg, NULL, NULL, path, &err), -1);
	assert_error(&err, ".env:2: malformed line");
	ck_assert_ptr_null(cfg.url);
	config_release(&cfg);
}
END_TEST

START_TEST(test_resolve_bad_scheme_names_origin)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_resolve_url(&cfg, NULL,
					    "mysql://root:" SECRET "@h/db",
					    NULL, &err),
			 -1);
	assert_error(&err, "unsupported database URL scheme \"mysql\"");
	ck_assert_ptr_nonnull(strstr(err.detail, "DATABASE_URL"));
	ck_assert_ptr_null(cfg.url);
	ck_assert_ptr_null(cfg.url_origin);

	write_file(path, sizeof(path), ".env",
		   "DATABASE_URL=sqlite:///" SECRET ".db\n");
	ck_assert_int_eq(config_resolve_url(&cfg, NULL, NULL, path, &err), -1);
	assert_error(&err, "\"sqlite\"");
	ck_assert_ptr_nonnull(strstr(err.detail, path));
	config_release(&cfg);
}
END_TEST

/* ---- config_normalize_url ---- */

struct url_case {
	const char *in;
	const char *want;  /* NULL: an error */
	const char *error; /* part of the error's msg */
};

static const struct url_case url_cases[] = {
	{ "postgresql://u:" SECRET "@h:5432/db",
	  "postgresql://u:" SECRET "@h:5432/db", NULL },
	{ "postgres://h/db", "postgres://h/db", NULL },
	{ "postgresql://", "postgresql://", NULL },
	{ "postgresql:///db?host=/run/postgresql",
	  "postgresql:///db?host=/run/postgresql", NULL },
	{ "postgresql+asyncpg://u:" SECRET "@h/db",
	  "postgresql://u:" SECRET "@h/db", NULL },
	{ "postgresql+psycopg2://u@h/db?sslmode=require",
	  "postgresql://u@h/db?sslmode=require", NULL },
	{ "postgresql+psycopg://h", "postgresql://h", NULL },
	{ "postgres+pg8000://h/db", "postgres://h/db", NULL },
	{ "PostgreSQL+AsyncPG://h/db", "postgresql://h/db", NULL },
	{ "postgresql+asyncpg://h/db?ssl=require",
	  "postgresql://h/db?sslmode=require", NULL },
	{ "postgresql+asyncpg://h/db?ssl=true",
	  "postgresql://h/db?sslmode=require", NULL },
	{ "postgresql+asyncpg://h/db?ssl=True",
	  "postgresql://h/db?sslmode=require", NULL },
	{ "postgresql+asyncpg://h/db?ssl=disable",
	  "postgresql://h/db?sslmode=disable", NULL },
	{ "postgresql+asyncpg://h/db?ssl=false",
	  "postgresql://h/db?sslmode=disable", NULL },
	{ "postgresql://h/db?ssl=verify-full",
	  "postgresql://h/db?sslmode=verify-full", NULL },
	{ "postgresql://h/db?application_name=x&ssl=require&connect_timeout=5",
	  "postgresql://h/db?application_name=x&sslmode=require&connect_timeout=5",
	  NULL },
	{ "postgresql://h/db?sslcert=/c&sslmode=verify-ca",
	  "postgresql://h/db?sslcert=/c&sslmode=verify-ca", NULL },
	/* libpq knows ssl=true alone: any other value is refused here. */
	{ "postgresql://h/db?ssl=bogus", NULL,
	  "invalid value \"bogus\" for the URL parameter \"ssl\"" },
	{ "postgresql://h/db?ssl=", NULL,
	  "invalid value for the URL parameter \"ssl\"" },
	{ "postgresql://h/db?", "postgresql://h/db", NULL },
	{ "postgresql://h/db?&sslmode=disable&",
	  "postgresql://h/db?sslmode=disable", NULL },
	/* libpq allows '?' in the password: it is not the query. */
	{ "postgresql://u:pa?ssl=true@h/db?ssl=true",
	  "postgresql://u:pa?ssl=true@h/db?sslmode=require", NULL },
	{ "host=localhost dbname=app", "host=localhost dbname=app", NULL },
	{ "dbname=app password=" SECRET "://x ssl=true",
	  "dbname=app password=" SECRET "://x ssl=true", NULL },
	{ "  host=h", "  host=h", NULL },
	{ "mysql://root:" SECRET "@h/db", NULL,
	  "unsupported database URL scheme \"mysql\"" },
	{ "mysql+pymysql://root:" SECRET "@h/db", NULL,
	  "unsupported database URL scheme \"mysql+pymysql\"" },
	{ "sqlite:///" SECRET ".db", NULL,
	  "unsupported database URL scheme \"sqlite\"" },
	{ "postgresqlx://u:" SECRET "@h", NULL, "\"postgresqlx\"" },
	{ "postgresql:u:" SECRET "@h/db", NULL, "not followed by \"//\"" },
	{ "", NULL, "empty database URL" },
};

START_TEST(test_normalize_table)
{
	const struct url_case *c = &url_cases[_i];
	struct retort_error err = { 0 };
	char *out = NULL;
	int rc;

	rc = config_normalize_url(c->in, &out, &err);
	if (c->want != NULL) {
		assert_ok(rc, err);
		ck_assert_str_eq(out, c->want);
		free(out);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(out);
	assert_error(&err, c->error);
}
END_TEST

/*
 * Passwords with every character that means something in a URL, in each
 * form of URL retort takes.  Normalised or refused, no error may hold any
 * three bytes in a row of the password; a raw '@' or '/' (which libpq
 * would read as the end of the password) and a bad '%' are refused.
 */
static const char *const nasty_passwords[] = {
	"Zq7@Xw9Kv3",
	"Zq7/Xw9Kv3",
	"Zq7?Xw9Kv3",
	"Zq7#Xw9Kv3",
	"Zq7%Xw9Kv3",
	"Zq7 Xw9 Kv3",
	"Zq7:Xw9Kv3",
	"Zq7@Xw9@Kv3",
	"Zq7@Xw9/Kv3?Jm5#Hn2%Yt4 Lp6:Rb8",
	"Zq7/Xw9?Kv3=Jm5@Hn2",
	"Zq7/Xw9?Kv3@Jm5",
	"Zq7%zzXw9",
	"Zq7%00Xw9",
};

static const char *const nasty_schemes[] = {
	"postgresql",
	"postgres",
	"postgresql+asyncpg",
	"postgres+psycopg2",
};

static void assert_no_password_bytes(const struct retort_error *err,
				     const char *password)
{
	char window[4];
	size_t i;

	for (i = 0; password[i] && password[i + 1] && password[i + 2]; i++) {
		memcpy(window, password + i, 3);
		window[3] = '\0';
		ck_assert_msg(strstr(err->msg, window) == NULL &&
				      strstr(err->detail, window) == NULL &&
				      strstr(err->hint, window) == NULL,
			      "\"%s\" of the password in: %s | %s | %s", window,
			      err->msg, err->detail, err->hint);
	}
}

static bool is_hex_digit(char c)
{
	return strchr("0123456789abcdefABCDEF", c) != NULL && c != '\0';
}

/* '@' or '/' before the host's '@', or a '%' that starts no %XX. */
static bool refused_by_retort(const char *password)
{
	const char *p;

	if (strpbrk(password, "@/") != NULL)
		return true;
	for (p = strchr(password, '%'); p != NULL; p = strchr(p + 1, '%'))
		if (!is_hex_digit(p[1]) || !is_hex_digit(p[2]) ||
		    strncmp(p, "%00", 3) == 0)
			return true;
	return false;
}

START_TEST(test_normalize_nasty_passwords)
{
	size_t np = sizeof(nasty_passwords) / sizeof(nasty_passwords[0]);
	const char *password = nasty_passwords[(size_t)_i % np];
	const char *scheme = nasty_schemes[(size_t)_i / np];
	struct retort_error err = { 0 };
	char url[512];
	char *out = NULL;
	int rc;

	snprintf(url, sizeof(url),
		 "%s://app:%s@db.example:5432/app?sslmode=disable", scheme,
		 password);
	rc = config_normalize_url(url, &out, &err);
	if (refused_by_retort(password)) {
		ck_assert_msg(rc == -1, "accepted %s as %s", url,
			      out ? out : "");
		ck_assert_int_eq(err.status, RETORT_USAGE);
		ck_assert_ptr_nonnull(strstr(err.hint, "%25"));
		assert_no_password_bytes(&err, password);
	} else {
		ck_assert_msg(rc == 0, "refused %s: %s", url, err.msg);
		ck_assert_ptr_nonnull(strstr(out, password));
	}
	free(out);
}
END_TEST

/* What libpq reads right stays accepted: '@' in a query value, %40. */
static const struct url_case url_at_cases[] = {
	{ "postgresql://h:5432/db?user=me@corp",
	  "postgresql://h:5432/db?user=me@corp", NULL },
	{ "postgresql:///db?host=/tmp&user=a@b",
	  "postgresql:///db?host=/tmp&user=a@b", NULL },
	{ "postgresql://me%40corp:p%40ss%2Fx@h/db%40x",
	  "postgresql://me%40corp:p%40ss%2Fx@h/db%40x", NULL },
	{ "postgresql://[::1]:5432,h2:5433/db?user=a@b",
	  "postgresql://[::1]:5432,h2:5433/db?user=a@b", NULL },
	{ "postgresql://u@h/db@x", NULL, "an '@' that libpq would not read" },
	{ "postgresql://u:" SECRET "@h@h2/db", NULL,
	  "an '@' that libpq would not read" },
	{ "postgresql://u:" SECRET "/x@h/db", NULL,
	  "an '@' that libpq would not read" },
	{ "postgresql://u:" SECRET "/x?k=v@h/db", NULL,
	  "an '@' that libpq would not read" },
	{ "postgresql://h/db?" SECRET "@x=1", NULL,
	  "an '@' that libpq would not read" },
	{ "postgresql://u:" SECRET "%4@h/db", NULL,
	  "a '%' that does not start a percent-encoded byte" },
};

START_TEST(test_normalize_at_table)
{
	const struct url_case *c = &url_at_cases[_i];
	struct retort_error err = { 0 };
	char *out = NULL;
	int rc;

	rc = config_normalize_url(c->in, &out, &err);
	if (c->want != NULL) {
		assert_ok(rc, err);
		ck_assert_str_eq(out, c->want);
		free(out);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(out);
	assert_error(&err, c->error);
}
END_TEST

/* asyncpg's and SQLAlchemy's own parameters go, with a note each. */
static bool known_keyword(const char *name)
{
	static const char *const known[] = { "sslmode", "connect_timeout",
					     "application_name", "user" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i]) == 0)
			return true;
	return false;
}

START_TEST(test_resolve_drops_asyncpg_params)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	write_file(path, sizeof(path), ".env",
		   "DATABASE_URL=postgresql+asyncpg://u:" SECRET
		   "@h/db?prepared_statement_cache_size=0&ssl=require"
		   "&command_timeout=60&statement_cache_size=0"
		   "&server_settings=x&async_fallback=true\n");
	assert_ok(config_init(&cfg, &err), err);
	cfg.url_keyword = known_keyword;
	assert_ok(config_resolve_url(&cfg, NULL, NULL, path, &err), err);
	ck_assert_str_eq(cfg.url,
			 "postgresql://u:" SECRET "@h/db?sslmode=require");
	ck_assert_ptr_nonnull(strstr(
		cfg.url_notes,
		"ignoring the asyncpg parameter \"prepared_statement_cache_size\" in DATABASE_URL in "));
	ck_assert_ptr_nonnull(
		strstr(cfg.url_notes,
		       "ignoring the asyncpg parameter \"command_timeout\""));
	ck_assert_ptr_nonnull(strstr(
		cfg.url_notes,
		"ignoring the asyncpg parameter \"statement_cache_size\""));
	ck_assert_ptr_nonnull(
		strstr(cfg.url_notes,
		       "ignoring the SQLAlchemy parameter \"async_fallback\""));
	ck_assert_ptr_null(strstr(cfg.url_notes, SECRET));
	config_release(&cfg);
}
END_TEST

START_TEST(test_resolve_unknown_param)
{
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(config_init(&cfg, &err), err);
	cfg.url_keyword = known_keyword;
	ck_assert_int_eq(config_resolve_url(&cfg, NULL,
					    "postgresql://u:" SECRET
					    "@h/db?sslmode=disable&foo=1",
					    NULL, &err),
			 -1);
	assert_error(&err, "unknown URL parameter \"foo\"");
	ck_assert_ptr_nonnull(strstr(
		err.detail,
		"the URL came from the DATABASE_URL environment variable"));
	ck_assert_int_eq(config_resolve_url(&cfg, "postgresql://h/db?nokey",
					    NULL, NULL, &err),
			 -1);
	assert_error(&err, "URL parameter without '=' and value \"nokey\"");
	ck_assert_ptr_nonnull(strstr(err.detail, "the URL came from --url"));
	/* Without a keyword list, libpq judges the parameter. */
	cfg.url_keyword = NULL;
	assert_ok(config_resolve_url(&cfg, NULL, "postgresql://h/db?foo=1",
				     NULL, &err),
		  err);
	config_release(&cfg);
}
END_TEST

/* Where the URL came from, for connection errors: never the URL. */
START_TEST(test_resolve_source)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];
	char want[4200];

	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_resolve_url(&cfg, "postgresql://h", "x", NULL, &err),
		  err);
	ck_assert_str_eq(cfg.url_source, "--url");
	assert_ok(config_resolve_url(&cfg, NULL, "postgresql://h", NULL, &err),
		  err);
	ck_assert_str_eq(cfg.url_source,
			 "the DATABASE_URL environment variable");
	write_file(path, sizeof(path), ".env", "DATABASE_URL=postgresql://h\n");
	assert_ok(config_resolve_url(&cfg, NULL, NULL, path, &err), err);
	snprintf(want, sizeof(want), "DATABASE_URL in %s", path);
	ck_assert_str_eq(cfg.url_source, want);
	unlink(path);
	assert_ok(config_resolve_url(&cfg, NULL, NULL, path, &err), err);
	ck_assert_ptr_nonnull(strstr(cfg.url_source, "libpq's PG* variables"));
	ck_assert_ptr_null(cfg.url);
	config_release(&cfg);

	write_file(path, sizeof(path), "retort.ini",
		   "[retort]\n\nurl = postgresql://h\n");
	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_read_ini(&cfg, path, false, &err), err);
	assert_ok(config_resolve_url(&cfg, NULL, NULL, NULL, &err), err);
	snprintf(want, sizeof(want), "url in %s:3", path);
	ck_assert_str_eq(cfg.url_source, want);
	config_release(&cfg);
}
END_TEST

/* ---- config_add_arg ---- */

START_TEST(test_add_arg)
{
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(config_init(&cfg, &err), err);
	assert_ok(config_add_arg(&cfg, "tenant=acme", &err), err);
	assert_ok(config_add_arg(&cfg, "filter=a=b=c", &err), err);
	assert_ok(config_add_arg(&cfg, "empty=", &err), err);
	ck_assert_uint_eq(cfg.nargs, 3);
	ck_assert_str_eq(cfg.args[0].key, "tenant");
	ck_assert_str_eq(cfg.args[0].value, "acme");
	ck_assert_str_eq(cfg.args[1].key, "filter");
	ck_assert_str_eq(cfg.args[1].value, "a=b=c");
	ck_assert_str_eq(cfg.args[2].key, "empty");
	ck_assert_str_eq(cfg.args[2].value, "");
	config_release(&cfg);
}
END_TEST

START_TEST(test_add_arg_malformed)
{
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_add_arg(&cfg, SECRET, &err), -1);
	assert_error(&err, "-x argument has no '='");
	ck_assert_ptr_nonnull(strstr(err.hint, "key=value"));
	ck_assert_int_eq(config_add_arg(&cfg, "=" SECRET, &err), -1);
	assert_error(&err, "-x argument has an empty key");
	ck_assert_ptr_nonnull(strstr(err.hint, "key=value"));
	ck_assert_int_eq(config_add_arg(&cfg, "", &err), -1);
	assert_error(&err, "-x argument has no '='");
	ck_assert_uint_eq(cfg.nargs, 0);
	config_release(&cfg);
}
END_TEST

/* ---- config_arg ---- */

START_TEST(test_arg_last_wins)
{
	struct retort_error err = { 0 };
	struct config cfg;

	assert_ok(config_init(&cfg, &err), err);
	ck_assert_ptr_null(config_arg(&cfg, "a"));
	assert_ok(config_add_arg(&cfg, "a=1", &err), err);
	assert_ok(config_add_arg(&cfg, "b=2", &err), err);
	assert_ok(config_add_arg(&cfg, "a=3", &err), err);
	ck_assert_str_eq(config_arg(&cfg, "a"), "3");
	ck_assert_str_eq(config_arg(&cfg, "b"), "2");
	ck_assert_ptr_null(config_arg(&cfg, "c"));
	ck_assert_ptr_null(config_arg(&cfg, "A"));
	ck_assert_ptr_null(config_arg(&cfg, ""));
	config_release(&cfg);
}
END_TEST

START_TEST(test_arg_zeroed_config)
{
	struct config cfg = { 0 };

	ck_assert_ptr_null(config_arg(&cfg, "a"));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
	return tc;
}

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase("config_init");
	tcase_add_test(tc, test_init_defaults);
	suite_add_tcase(s, tc);

	tc = tcase("config_release");
	tcase_add_test(tc, test_release_zeroed_and_twice);
	suite_add_tcase(s, tc);

	tc = tcase("config_read_ini");
	tcase_add_test(tc, test_ini_full);
	tcase_add_test(tc, test_ini_partial_keeps_defaults);
	tcase_add_test(tc, test_ini_empty_optional_values_unset);
	tcase_add_test(tc, test_ini_here_absolute);
	tcase_add_test(tc, test_ini_here_relative);
	tcase_add_test(tc, test_ini_bom_crlf);
	tcase_add_test(tc, test_ini_percent);
	tcase_add_test(tc, test_ini_unsupported_interpolation);
	tcase_add_test(tc, test_ini_missing_ok);
	tcase_add_test(tc, test_ini_missing_required);
	tcase_add_test(tc, test_ini_directory);
	tcase_add_test(tc, test_ini_unreadable);
	tcase_add_test(tc, test_ini_malformed_line);
	tcase_add_test(tc, test_ini_unclosed_section);
	tcase_add_test(tc, test_ini_first_error_wins);
	tcase_add_test(tc, test_ini_version_table_empty);
	tcase_add_test(tc, test_ini_identifier_length);
	tcase_add_test(tc, test_ini_empty_path);
	tcase_add_test(tc, test_ini_duplicate_key);
	tcase_add_test(tc, test_ini_continuation_line);
	tcase_add_test(tc, test_ini_long_line);
	tcase_add_loop_test(tc, test_ini_refused, 0, N(ini_refused_cases));
	tcase_add_test(tc, test_ini_alembic_sections);
	tcase_add_loop_test(tc, test_ini_not_text, 0, N(ini_binary_cases));
	tcase_add_test(tc, test_ini_utf8_text);
	suite_add_tcase(s, tc);

	tc = tcase("config_read_dotenv");
	tcase_add_loop_test(tc, test_dotenv_table, 0, N(dotenv_cases));
	tcase_add_test(tc, test_dotenv_missing_file);
	tcase_add_test(tc, test_dotenv_directory);
	tcase_add_test(tc, test_dotenv_nul_byte);
	tcase_add_test(tc, test_dotenv_other_key);
	suite_add_tcase(s, tc);

	tc = tcase("config_resolve_url");
	tcase_add_loop_test(tc, test_resolve_table, 0, N(resolve_cases));
	tcase_add_loop_test(tc, test_resolve_empty, 0, N(empty_cases));
	tcase_add_test(tc, test_resolve_empty_ini_url);
	tcase_add_test(tc, test_resolve_from_ini_file);
	tcase_add_test(tc, test_resolve_broken_dotenv);
	tcase_add_test(tc, test_resolve_bad_scheme_names_origin);
	tcase_add_test(tc, test_resolve_drops_asyncpg_params);
	tcase_add_test(tc, test_resolve_unknown_param);
	tcase_add_test(tc, test_resolve_source);
	suite_add_tcase(s, tc);

	tc = tcase("config_normalize_url");
	tcase_add_loop_test(tc, test_normalize_table, 0, N(url_cases));
	tcase_add_loop_test(tc, test_normalize_nasty_passwords, 0,
			    N(nasty_passwords) * N(nasty_schemes));
	tcase_add_loop_test(tc, test_normalize_at_table, 0, N(url_at_cases));
	suite_add_tcase(s, tc);

	tc = tcase("config_add_arg");
	tcase_add_test(tc, test_add_arg);
	tcase_add_test(tc, test_add_arg_malformed);
	suite_add_tcase(s, tc);

	tc = tcase("config_arg");
	tcase_add_test(tc, test_arg_last_wins);
	tcase_add_test(tc, test_arg_zeroed_config);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

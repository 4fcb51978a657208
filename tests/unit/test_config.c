/*
 * test_config.c - unit tests for config.c: retort.ini, .env, URL choice and
 * normalisation, -x arguments.  Files are written to a fresh temporary
 * directory per test; nothing here touches a database or the environment.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		      "top = ignored before any section\n"
		      "[alembic]\n"
		      "script_location = migrations\n"
		      "url = postgresql://other/ignored\n"
		      "\n"
		      "[retort]\n"
		      "versions = out/versions\n"
		      "sources=src/versions\n"
		      "version_table = my_versions  \n"
		      "version_table_schema = ops\n"
		      "unknown_key = whatever\n"
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

START_TEST(test_ini_unreadable)
{
	struct retort_error err = { 0 };
	struct config cfg;
	char path[4096];

	/* root reads a file whatever its mode: nothing to test then. */
	if (geteuid() == 0)
		return;
	write_file(path, sizeof(path), "retort.ini", "[retort]\n");
	ck_assert_int_eq(chmod(path, 0), 0);
	assert_ok(config_init(&cfg, &err), err);
	ck_assert_int_eq(config_read_ini(&cfg, path, true, &err), -1);
	assert_error(&err, path);
	ck_assert_str_eq(err.detail, strerror(EACCES));
	config_release(&cfg);
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
	{ "postgresql://h/db?ssl=bogus", "postgresql://h/db?ssl=bogus", NULL },
	{ "postgresql://h/db?ssl=", "postgresql://h/db?ssl=", NULL },
	{ "postgresql://h/db?", "postgresql://h/db?", NULL },
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
	suite_add_tcase(s, tc);

	tc = tcase("config_normalize_url");
	tcase_add_loop_test(tc, test_normalize_table, 0, N(url_cases));
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

/*
 * roundtrip.c - projects, builds and schema comparisons for the
 * autogenerate suites (see roundtrip.h).
 */
#include "roundtrip.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/catalog.h"
#include "schema/schemadiff.h"
#include "store/db.h"

#define MAX_ARGS 32

/* The project's warnings (meson.build, warning_level=2), no -Werror. */
#define REVISION_CFLAGS                                                        \
	"-std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes "     \
	"-Wstrict-prototypes -Wvla -Wwrite-strings -Wundef "                   \
	"-Wimplicit-fallthrough"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

const char *rt_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	path = harness_fmt("%s", text);
	free(text);
	return path;
}

static void make_dir(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s failed", path);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

struct project rt_project(const char *name, const struct harness_db *db)
{
	struct project p = { harness_fmt("%s/%s", harness_tmpdir(), name), db,
			     NULL };

	make_dir(p.dir);
	make_dir(harness_fmt("%s/versions", p.dir));
	make_dir(harness_fmt("%s/build", p.dir));
	make_dir(harness_fmt("%s/db", p.dir));
	write_text(harness_fmt("%s/retort.ini", p.dir),
		   "[retort]\nversions = build\nsources = versions\n");
	write_text(harness_fmt("%s/versions/meson.build", p.dir),
		   "revision_sources = [\n]\n");
	return p;
}

void rt_declare(const struct project *p, const char *sql)
{
	write_text(harness_fmt("%s/db/schema.sql", p->dir), sql);
}

const struct harness_result *rt_retort(const struct project *p, ...)
{
	const char *args[MAX_ARGS + 1];
	/* --versions alone: the suite compiles the revisions itself (plain
	 * cc, hazard #warnings and all), so retort builds nothing. */
	struct harness_run how = { .cwd = p->dir,
				   .url = p->db ? p->db->url : NULL,
				   .versions =
					   harness_fmt("%s/build", p->dir) };
	size_t k = 0;
	va_list ap;

	if (p->shadow) {
		args[k++] = "--shadow-url";
		args[k++] = p->shadow->url;
	}
	va_start(ap, p);
	while ((args[k] = va_arg(ap, const char *)) != NULL)
		ck_assert(++k < MAX_ARGS);
	va_end(ap);
	return harness_retortv(&how, args);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names ending in suffix in dir, sorted. */
static char **list_dir(const char *dir, const char *suffix, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = calloc(256, sizeof(char *));

	*n = 0;
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL && *n < 255) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);

		if (len > sl && strcmp(e->d_name + len - sl, suffix) == 0)
			names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)*n, sizeof(char *), cmp_names);
	return names;
}

const char *rt_sources(const struct project *p, int *n)
{
	char **names = list_dir(harness_fmt("%s/versions", p->dir), ".c", n);
	const char *joined = "";

	for (int i = 0; i < *n; i++) {
		joined = harness_fmt("%s%s%s", joined, i ? "\n" : "", names[i]);
		free(names[i]);
	}
	free(names);
	return joined;
}

const char *rt_source_text(const struct project *p)
{
	int n;
	char **names = list_dir(harness_fmt("%s/versions", p->dir), ".c", &n);
	const char *all = "";

	for (int i = 0; i < n; i++) {
		all = harness_fmt("%s%s", all,
				  rt_read(harness_fmt("%s/versions/%s", p->dir,
						      names[i])));
		free(names[i]);
	}
	free(names);
	return all;
}

static void build_one(const struct project *p, const char *src)
{
	const char *base = harness_fmt("%.*s", (int)(strlen(src) - 2), src);
	const char *so = harness_fmt("%s/build/%s.so", p->dir, base);
	const char *cmd;
	int rc;

	if (access(so, F_OK) == 0)
		return;
	cmd = harness_fmt("cd '%s' && %s %s -shared -fPIC -I'%s' %s "
			  "-o 'build/%s.so' 'versions/%s' >>cc.log 2>&1",
			  p->dir, env_or("RETORT_CC", "cc"), REVISION_CFLAGS,
			  env_or("RETORT_SOURCE_ROOT", "."),
			  env_or("RETORT_LIBPQ_CFLAGS", ""), base, src);
	rc = system(cmd);
	ck_assert_msg(
		rc == 0, "cannot build %s: %s", src,
		harness_oneline(rt_read(harness_fmt("%s/cc.log", p->dir))));
}

/* Fail the test on a compiler warning that is not a hazard's #warning. */
static void assert_only_hazards(const char *log)
{
	char *copy = strdup(log), *save = NULL;

	ck_assert_ptr_nonnull(copy);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		ck_assert_msg(!strstr(l, "warning:") ||
				      strstr(l, "\"retort HAZARD ("),
			      "a generated revision has a warning: %s", l);
	free(copy);
}

const char *rt_build(const struct project *p)
{
	int n;
	char **names = list_dir(harness_fmt("%s/versions", p->dir), ".c", &n);
	const char *log;

	for (int i = 0; i < n; i++) {
		build_one(p, names[i]);
		free(names[i]);
	}
	free(names);
	log = rt_read(harness_fmt("%s/cc.log", p->dir));
	log = log ? log : "";
	assert_only_hazards(log);
	return log;
}

const struct harness_db *rt_db_with(const char *label, const char *sql)
{
	const struct harness_db *db = harness_db_fresh(label);

	if (sql && *sql)
		harness_exec(db, sql);
	return db;
}

void rt_reset(const struct harness_db *db)
{
	harness_exec(db, "DO $$DECLARE r record; BEGIN FOR r IN SELECT "
			 "format('%I.%I', schemaname, tablename) AS t FROM "
			 "pg_tables WHERE schemaname = 'public' LOOP EXECUTE "
			 "'DROP TABLE IF EXISTS ' || r.t || ' CASCADE'; "
			 "END LOOP; END$$");
}

/* ---- retort's own comparison ---- */

static void read_catalog(const struct harness_db *db, struct catalog *out)
{
	static const char *const exclude[] = { "alembic_version",
					       "retort_history",
					       "retort_lock" };
	struct retort_error err = { 0 };
	struct db conn;

	ck_assert_msg(
		db_connect(&conn, db->url, "alembic_version", NULL, &err) == 0,
		"db_connect: %s [%s]", err.msg, err.detail);
	ck_assert_msg(db_exec(&conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0,
			      NULL, &err) == 0,
		      "BEGIN: %s", err.msg);
	ck_assert_msg(catalog_read(&conn, exclude, 3, NULL, out, &err) == 0,
		      "catalog_read: %s [%s]", err.msg, err.detail);
	db_close(&conn);
}

static void assert_same_catalog(const struct harness_db *db,
				const struct harness_db *ref, const char *what)
{
	struct catalog a, b;
	struct sd_plan plan;
	struct retort_error err = { 0 };
	const char *diff = "";

	read_catalog(ref, &a);
	read_catalog(db, &b);
	ck_assert_msg(schemadiff_plan(&a, &b, &plan, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < plan.up.n; i++)
		diff = harness_fmt("%s; %s", diff, plan.up.items[i].summary);
	for (size_t i = 0; i < plan.nproblems; i++)
		diff = harness_fmt("%s; %s", diff, plan.problems[i]);
	ck_assert_msg(sd_plan_is_empty(&plan),
		      "%s: the catalogs differ from the reference:%s", what,
		      harness_oneline(diff));
	sd_plan_release(&plan);
	catalog_release(&a);
	catalog_release(&b);
}

/* ---- pg_dump's ---- */

/* pg_dump --schema-only of db, with more options (already quoted). */
static const char *run_pg_dump(const struct harness_db *db, const char *more)
{
	const char *out =
		harness_fmt("%s/dump.%s.sql", harness_tmpdir(), db->name);
	const char *cmd = harness_fmt(
		"'%s' --schema-only %s -d '%s' -f '%s' 2>'%s.err'",
		getenv("RETORT_PG_DUMP"), more, db->conninfo, out, out);

	ck_assert_msg(system(cmd) == 0, "pg_dump failed: %s",
		      harness_oneline(rt_read(harness_fmt("%s.err", out))));
	return rt_read(out);
}

bool rt_have_pg_dump(void)
{
	const char *pg_dump = getenv("RETORT_PG_DUMP");

	return pg_dump && *pg_dump;
}

const char *rt_dump_declared(const struct harness_db *db)
{
	const char *dump = run_pg_dump(db, ""), *out = "";

	for (const char *l = dump; *l;) {
		size_t len = strcspn(l, "\n");

		if (l[0] != '\\')
			out = harness_fmt("%s%.*s\n", out, (int)len, l);
		l += len + (l[len] == '\n');
	}
	return out;
}

static bool noise(const char *line)
{
	static const char *const prefixes[] = {
		"--",	      "SET ",	      "SELECT pg_catalog.set_config",
		"\\restrict", "\\unrestrict",
	};

	if (line[0] == '\0')
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A statement with the lines inside CREATE TABLE (...) sorted. */
static char *normal_statement(char *stmt)
{
	char *lines[512], *save = NULL, *out;
	int n = 0;
	size_t len = strlen(stmt) + 2;

	if (strstr(stmt, "TABLE ") == NULL || strncmp(stmt, "CREATE", 6))
		return strdup(stmt);
	for (char *l = strtok_r(stmt, "\n", &save); l && n < 512;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t ll = strlen(l);

		if (ll && l[ll - 1] == ',')
			l[ll - 1] = '\0';
		lines[n++] = l;
	}
	if (n > 2)
		qsort(lines + 1, (size_t)n - 2, sizeof(char *), cmp_str);
	out = calloc(1, len + (size_t)n);
	for (int i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	return out;
}

/* The dump without its preamble, statements sorted, tables' lines too. */
static const char *normalize_dump(const char *dump)
{
	char *text = strdup(dump), *clean = calloc(1, strlen(dump) + 1);
	char *save = NULL, *stmts[4096];
	const char *result = "";
	int n = 0;

	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (!noise(l))
			strcat(strcat(clean, l), "\n");
	for (char *s = clean; *s && n < 4096;) {
		char *end = strstr(s, ";\n");

		if (end)
			*end = '\0';
		stmts[n++] = normal_statement(s);
		s = end ? end + 2 : s + strlen(s);
	}
	qsort(stmts, (size_t)n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++) {
		result = harness_fmt("%s%s;\n", result, stmts[i]);
		free(stmts[i]);
	}
	free(text);
	free(clean);
	return result;
}

static void assert_same_dump(const struct harness_db *db,
			     const struct harness_db *ref, const char *what)
{
	const char *a, *b;
	size_t i = 0;

	static const char runner_tables[] =
		"-T alembic_version -T retort_history -T retort_history_id_seq"
		" -T retort_lock";

	if (!rt_have_pg_dump())
		return;
	a = normalize_dump(run_pg_dump(ref, runner_tables));
	b = normalize_dump(run_pg_dump(db, runner_tables));
	while (a[i] && a[i] == b[i])
		i++;
	while (i > 0 && a[i - 1] != '\n')
		i--;
	ck_assert_msg(
		strcmp(a, b) == 0,
		"%s: pg_dump differs from the reference's at: \"%s\" vs \"%s\"",
		what, harness_oneline(harness_fmt("%.300s", a + i)),
		harness_oneline(harness_fmt("%.300s", b + i)));
}

void rt_assert_same_schema(const struct harness_db *db,
			   const struct harness_db *reference, const char *what)
{
	assert_same_catalog(db, reference, what);
	assert_same_dump(db, reference, what);
}

bool rt_database_exists(const struct harness_db *db, const char *prefix)
{
	return harness_count(db, harness_fmt("SELECT 1 FROM pg_database WHERE "
					     "left(datname, %zu) = '%s'",
					     strlen(prefix), prefix)) > 0;
}

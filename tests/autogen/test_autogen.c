/*
 * Integration: `retort revision --autogenerate` and `retort check --schema`
 * against a real PostgreSQL.
 *
 * Each schema pair cases/<name>/{A,B}.sql is round-tripped: load A, see
 * that A against A is "No changes detected", declare B, generate, build
 * (plain cc, no -Werror: the #warning lines must show), upgrade: the
 * database then has B's schema by retort's catalog comparison and by
 * pg_dump; downgrade: A's again.  cases/<name>/expect says what the
 * sources must hold ("has TEXT", "lacks TEXT", "files N", "downgrade
 * irreversible", and "downgrade says TEXT": its error, in full).  Each
 * refused/<name> pair must fail loudly, naming the object, while A against
 * A and B against B are "No changes detected".  README.md's walkthrough
 * runs with its own schema and output.  The shadow database must be gone
 * after success, failure, refusal and SIGINT/SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "roundtrip.h"

#define MAX_CASES 64

static char *case_names[MAX_CASES], *refused_names[MAX_CASES];
static int ncases, nrefused;

static const char *cases_dir(void)
{
	const char *d = getenv("RETORT_AUTOGEN_CASES");

	return d ? d : "tests/autogen";
}

static const char *case_file(const char *kind, const char *name,
			     const char *file)
{
	return harness_fmt("%s/%s/%s/%s", cases_dir(), kind, name, file);
}

/* ---- expectations ---- */

struct expect {
	int files; /* -1: any */
	bool irreversible;
	const char *says; /* what the failed downgrade's error holds */
};

/*
 * The sources with each statement's string literal pieces joined, so that
 * expectations can name SQL whatever the line breaks.
 */
static const char *joined(const char *sources)
{
	static const char piece[] = "\"\n\t\t\t     \"";
	char *s = strdup(sources), *p;
	const char *out;

	while ((p = strstr(s, piece)) != NULL)
		memmove(p, p + strlen(piece), strlen(p + strlen(piece)) + 1);
	out = harness_fmt("%s", s);
	free(s);
	return out;
}

static void expect_text(const char *sources, const char *needle, bool want)
{
	bool has = strstr(sources, needle) != NULL;

	if (has != want)
		fprintf(stderr, "# sources:\n%s\n", sources);
	ck_assert_msg(has == want, "the sources %s \"%s\"",
		      want ? "lack" : "hold", needle);
}

/* Check the sources against cases/<name>/expect; return its verdicts. */
static struct expect check_expect(const char *name, const char *sources)
{
	const char *text = rt_read(case_file("cases", name, "expect"));
	struct expect e = { -1, false, NULL };
	char *copy = strdup(text ? text : ""), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "has ", 4) == 0)
			expect_text(sources, l + 4, true);
		else if (strncmp(l, "lacks ", 6) == 0)
			expect_text(sources, l + 6, false);
		else if (strncmp(l, "files ", 6) == 0)
			e.files = atoi(l + 6);
		else if (strcmp(l, "downgrade irreversible") == 0)
			e.irreversible = true;
		else if (strncmp(l, "downgrade says ", 15) == 0)
			e.says = harness_fmt("%s", l + 15);
	}
	free(copy);
	return e;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- the round trip ---- */

static void assert_no_changes(const struct project *p)
{
	const struct harness_result *r =
		rt_retort(p, "revision", "--autogenerate", "-m", "again", NULL);

	assert_ok(r);
	assert_str_eq(r->out, "No changes detected\n");
	assert_ok(rt_retort(p, "check", "--schema", NULL));
}

/* Generate A -> B and check what was written. */
static struct expect generate(const struct project *p, const char *name)
{
	const struct harness_result *r;
	const char *sources, *log, *meson;
	struct expect e;
	int n;

	r = rt_retort(p, "check", "--schema", NULL);
	assert_exit(r, 1);
	assert_contains(r->out, "The database differs from db/schema.sql:");
	r = rt_retort(p, "revision", "--autogenerate", "-m", "to B", NULL);
	assert_ok(r);
	assert_contains(r->out, "Generating ");
	rt_sources(p, &n);
	sources = joined(rt_source_text(p));
	e = check_expect(name, sources);
	if (e.files >= 0)
		ck_assert_int_eq(n, e.files);
	meson = rt_read(harness_fmt("%s/versions/meson.build", p->dir));
	ck_assert_int_eq(count_lines(meson), 2 + n);
	log = rt_build(p);
	/* Hazards show in the build, until a reviewer deletes them. */
	if (strstr(sources, "\n#warning "))
		ck_assert_msg(strstr(log, "#warning"),
			      "no #warning in the build");
	else
		ck_assert_msg(!strstr(log, "#warning"),
			      "a #warning in the build");
	return e;
}

START_TEST(test_round_trip)
{
	const char *name = case_names[_i];
	const char *a = rt_read(case_file("cases", name, "A.sql"));
	const char *b = rt_read(case_file("cases", name, "B.sql"));
	const struct harness_db *db = rt_db_with(name, a);
	const struct harness_db *ref_a = rt_db_with("ref_a", a);
	const struct harness_db *ref_b = rt_db_with("ref_b", b);
	struct project p = rt_project("project", db);
	const struct harness_result *r;
	struct expect e;

	p.shadow = harness_db_fresh("shadow");
	rt_declare(&p, a);
	assert_no_changes(&p);
	rt_declare(&p, b);
	e = generate(&p, name);
	assert_ok(rt_retort(&p, "upgrade", "head", NULL));
	rt_assert_same_schema(db, ref_b, "after upgrade");
	assert_no_changes(&p);
	r = rt_retort(&p, "downgrade", "base", NULL);
	if (e.irreversible) {
		assert_exit(r, 1);
		assert_contains(r->err, "irreversible");
		if (e.says)
			assert_contains(r->err, e.says);
		return;
	}
	assert_ok(r);
	rt_assert_same_schema(db, ref_a, "after downgrade");
}
END_TEST

/* ---- what autogenerate refuses ---- */

START_TEST(test_refused)
{
	const char *name = refused_names[_i];
	const char *a = rt_read(case_file("refused", name, "A.sql"));
	const char *b = rt_read(case_file("refused", name, "B.sql"));
	const char *what = rt_read(case_file("refused", name, "expect"));
	const struct harness_db *db = rt_db_with(name, a);
	struct project p = rt_project("project", db);
	const struct harness_result *r;
	int n;

	what = harness_fmt("%.*s", (int)strcspn(what, "\n"), what);
	/* Objects of a refused kind are fine where both sides agree. */
	rt_declare(&p, a);
	assert_no_changes(&p);
	rt_declare(&p, b);
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "refused", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "must be written by hand");
	assert_contains(r->err, what);
	rt_sources(&p, &n);
	ck_assert_int_eq(n, 0);
	r = rt_retort(&p, "check", "--schema", NULL);
	assert_exit(r, 1);
	assert_contains(r->out, what);
	p = rt_project("project_b", rt_db_with("b", b));
	rt_declare(&p, b);
	assert_no_changes(&p);
}
END_TEST

/* ---- the repository's own declared schema ---- */

/* The repository's own first revision, built into the project. */
static void add_repository_revision(const struct project *p)
{
	const char *root = getenv("RETORT_SOURCE_ROOT");
	const char *rev = rt_read(
		harness_fmt("%s/versions/001_create_users_table.c", root));
	FILE *f;

	ck_assert_ptr_nonnull(rev);
	f = fopen(harness_fmt("%s/versions/001_create_users_table.c", p->dir),
		  "w");
	ck_assert_ptr_nonnull(f);
	fputs(rev, f);
	ck_assert_int_eq(fclose(f), 0);
	rt_build(p);
}

static const char *repository_file(const char *name)
{
	const char *text = rt_read(
		harness_fmt("%s/%s", getenv("RETORT_SOURCE_ROOT"), name));

	ck_assert_msg(text != NULL, "cannot read %s", name);
	return text;
}

START_TEST(test_repository_schema)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);

	add_repository_revision(&p);
	assert_ok(rt_retort(&p, "upgrade", "head", NULL));
	rt_declare(&p, repository_file("db/schema.sql"));
	assert_no_changes(&p);
}
END_TEST

/* The text of the first ``` block after the line that starts with intro. */
static const char *readme_block(const char *readme, const char *intro)
{
	const char *p = strstr(readme, harness_fmt("\n%s", intro));
	const char *start = p ? strstr(p, "\n```") : NULL;
	const char *end;

	ck_assert_msg(start != NULL, "README.md has no block after \"%s\"",
		      intro);
	start = strchr(start + 1, '\n') + 1;
	end = strstr(start, "\n```");
	ck_assert_ptr_nonnull(end);
	return harness_fmt("%.*s", (int)(end - start + 1), start);
}

/*
 * Each line the README shows is printed: in full, or from what follows an
 * <id> placeholder ("Generating /.../versions/<id>_add_orders.c ...").
 */
static void assert_shown(const char *shown, const char *out)
{
	for (const char *l = shown; *l;) {
		size_t len = strcspn(l, "\n");
		const char *line = harness_fmt("%.*s", (int)len, l);
		const char *id = strstr(line, "<id");

		if (strcmp(line, "...") != 0)
			assert_contains(out, id ? strchr(id, '>') + 1
						: harness_fmt("%s\n", line));
		l += len + (l[len] == '\n');
	}
}

/* README.md's autogenerate walkthrough, with its own schema and output. */
START_TEST(test_readme_walkthrough)
{
	const char *readme = repository_file("README.md");
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;
	int n;

	add_repository_revision(&p);
	assert_ok(rt_retort(&p, "upgrade", "head", NULL));
	rt_declare(&p, repository_file("db/schema.sql"));
	assert_ok(rt_retort(&p, "check", "--schema", NULL));
	rt_declare(&p,
		   harness_fmt("%s\n%s", repository_file("db/schema.sql"),
			       readme_block(readme, "The lines to append")));
	assert_exit(rt_retort(&p, "check", "--schema", NULL), 1);
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "add orders",
		      NULL);
	assert_ok(r);
	assert_shown(readme_block(readme, "`revision --autogenerate` lists"),
		     r->out);
	rt_sources(&p, &n);
	ck_assert_int_eq(n, 3);
	ck_assert_msg(strstr(rt_build(&p), "#warning"), "no #warning shown");
	r = rt_retort(&p, "upgrade", "head", NULL);
	assert_ok(r);
	assert_contains(r->out, "Running upgrade 001 -> ");
	assert_contains(r->out, ", add orders\n");
	assert_ok(rt_retort(&p, "check", "--schema", NULL));
	assert_ok(rt_retort(&p, "downgrade", "001", NULL));
	assert_str_eq(harness_versions(db, NULL), "001");
}
END_TEST

/*
 * The runner's own tables are no part of the schema: the version table,
 * retort_history, retort_lock, and retort_backfill, which stays once a
 * backfill ran.
 */
START_TEST(test_runner_tables)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const char *table = "CREATE TABLE t (id int PRIMARY KEY, v int)";

	harness_write_file(
		"project/versions/001_table.c",
		"#include \"plugin_api.h\"\n"
		"RETORT_REVISION(.revision = \"001\", "
		".down_revision = NULL, .message = \"table\", );\n"
		"int upgrade(retort_ctx *c)\n"
		"{\n\treturn retort_exec(c, \"%s; INSERT INTO t "
		"SELECT g, NULL FROM generate_series(1, 10) g\");\n}\n"
		"int downgrade(retort_ctx *c)\n"
		"{\n\treturn retort_exec(c, \"DROP TABLE t\");\n}\n",
		table);
	harness_write_file("project/versions/002_backfill.c",
			   "#include \"plugin_api.h\"\n"
			   "RETORT_REVISION(.revision = \"002\", "
			   ".down_revision = \"001\", .message = \"backfill\", "
			   ".flags = RETORT_BATCHED, );\n"
			   "int upgrade(retort_ctx *c)\n"
			   "{\n\treturn retort_backfill(c, &RETORT_BACKFILL("
			   ".table = \"t\", .sql = \"UPDATE t SET v = id "
			   "WHERE id BETWEEN $1 AND $2\"));\n}\n"
			   "int downgrade(retort_ctx *c)\n{\n\t(void)c;\n"
			   "\treturn 0;\n}\n");
	rt_build(&p);
	assert_ok(rt_retort(&p, "upgrade", "head", NULL));
	ck_assert(harness_table_exists(db, "retort_backfill"));
	ck_assert(harness_table_exists(db, "retort_lock"));
	rt_declare(&p, harness_fmt("%s;\n", table));
	assert_no_changes(&p);
	/* pg_dump's output holds them, after emptying the search_path. */
	if (rt_have_pg_dump()) {
		rt_declare(&p, rt_dump_declared(db));
		assert_no_changes(&p);
		p.shadow = harness_db_fresh("shadow");
		assert_no_changes(&p);
	}
}
END_TEST

/*
 * A COMMIT or ROLLBACK in the declared schema would end the transaction
 * it is loaded in: with --shadow-url, what ran before would stay.
 */
static const char *const transaction_control[] = {
	"BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n",
	"CREATE TABLE t (id int);\nROLLBACK;\n",
	"CREATE TABLE t (id int);\nEND;\nBEGIN;\nCREATE TABLE u (id int);\n",
};

START_TEST(test_transaction_control)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;
	int n;

	rt_declare(&p, transaction_control[_i]);
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "x", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "db/schema.sql ends the transaction it is "
				"loaded in");
	assert_contains(r->err, "Remove the transaction control statements");
	rt_sources(&p, &n);
	ck_assert_int_eq(n, 0);
	p.shadow = harness_db_fresh("shadow");
	r = rt_retort(&p, "check", "--schema", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "ends the transaction it is loaded in");
	assert_contains(r->err, harness_fmt("stays in the shadow database %s",
					    p.shadow->name));
}
END_TEST

START_TEST(test_not_at_head)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;

	harness_write_file(
		"project/versions/001_base.c",
		"#include \"plugin_api.h\"\n"
		"RETORT_REVISION(.revision = \"001\", "
		".down_revision = NULL, .message = \"base\", );\n"
		"int upgrade(retort_ctx *c) { (void)c; return 0; }\n"
		"int downgrade(retort_ctx *c) { (void)c; return 0; }\n");
	rt_declare(&p, "CREATE TABLE t (id int);\n");
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "x", NULL);
	assert_exit(r, 1);
	assert_contains(r->err, "Target database is not up to date.");
	assert_contains(r->err, "retort upgrade head");
}
END_TEST

START_TEST(test_options)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;

	rt_declare(&p, "CREATE TABLE t (id int);\n");
	r = rt_retort(&p, "revision", "--autogenerate", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "a message is required");
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "x", "--splice",
		      NULL);
	assert_exit(r, 2);
	r = rt_retort(&p, "revision", "--autogenerate", "-m", "first",
		      "--rev-id", "first_one", NULL);
	assert_ok(r);
	assert_contains(r->out, "first_one_first.c");
	unlink(harness_fmt("%s/db/schema.sql", p.dir));
	r = rt_retort(&p, "check", "--schema", NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "db/schema.sql");
}
END_TEST

/* ---- the shadow database ---- */

struct child {
	pid_t pid;
	const char *out, *err;
};

/* retort in the project, stdout and stderr to files; no PG* variables. */
static struct child spawn(const struct project *p, const char *const *args)
{
	struct child c = { 0, harness_fmt("%s/out.txt", p->dir),
			   harness_fmt("%s/err.txt", p->dir) };
	const char *argv[24] = { getenv("RETORT_BIN"), "--url", p->db->url };
	size_t n = 3;

	for (; *args && n < 23; args++)
		argv[n++] = *args;
	fflush(NULL);
	c.pid = fork();
	ck_assert(c.pid >= 0);
	if (c.pid == 0) {
		static const char *const vars[] = {
			"DATABASE_URL", "PGHOST",     "PGPORT",
			"PGUSER",	"PGPASSWORD", "PGDATABASE"
		};

		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			unsetenv(vars[i]);
		if (chdir(p->dir) != 0 || !freopen(c.out, "w", stdout) ||
		    !freopen(c.err, "w", stderr))
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return c;
}

static int wait_child(const struct child *c)
{
	int status;

	while (waitpid(c->pid, &status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *shadow_prefix(const struct child *c)
{
	return harness_fmt("retort_shadow_%ld_", (long)c->pid);
}

static const char *const autogen_args[] = { "revision", "--autogenerate", "-m",
					    "shadow", NULL };

/* Ways a run ends; the shadow database is gone after each. */
static const struct ending {
	const char *schema;
	int exit;
	const char *says[2];
} endings[] = {
	{ "CREATE TABLE t (id int);\n", 0, { NULL, NULL } },
	/* The schema does not load. */
	{ "CREATE TABLE t (id int);\n\nCREATE TABLE oops (;\n",
	  1,
	  { "db/schema.sql:3", "syntax error" } },
	/* It loads, but ends the transaction it is loaded in. */
	{ "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n",
	  2,
	  { "ends the transaction", NULL } },
	/* It loads, but holds what autogenerate refuses. */
	{ "CREATE VIEW v AS SELECT 1 AS one;\n",
	  2,
	  { "view public.v", "must be written by hand" } },
};

START_TEST(test_shadow_dropped_after_exit)
{
	const struct ending *e = &endings[_i];
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	struct child c;

	rt_declare(&p, e->schema);
	c = spawn(&p, autogen_args);
	ck_assert_int_eq(wait_child(&c), e->exit);
	for (int i = 0; i < 2; i++)
		if (e->says[i])
			assert_contains(rt_read(c.err), e->says[i]);
	ck_assert(!rt_database_exists(db, shadow_prefix(&c)));
}
END_TEST

/* Wait until the shadow's schema is loading (a pg_sleep in it). */
static bool wait_loading(const struct harness_db *db, const struct child *c)
{
	const char *sql = harness_fmt(
		"SELECT 1 FROM pg_stat_activity WHERE left(datname, %zu) = '%s'"
		" AND state = 'active' AND query LIKE '%%pg_sleep%%'",
		strlen(shadow_prefix(c)), shadow_prefix(c));

	for (int i = 0; i < 200; i++) {
		struct timespec t = { 0, 50 * 1000 * 1000 };

		if (harness_count(db, sql) > 0)
			return true;
		nanosleep(&t, NULL);
	}
	return false;
}

START_TEST(test_shadow_dropped_after_signal)
{
	int sig = _i == 0 ? SIGINT : SIGTERM;
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	struct child c;

	rt_declare(&p, "CREATE TABLE t (id int);\nSELECT pg_sleep(60);\n");
	c = spawn(&p, autogen_args);
	ck_assert_msg(wait_loading(db, &c), "the shadow never started loading");
	ck_assert(rt_database_exists(db, shadow_prefix(&c)));
	kill(c.pid, sig);
	ck_assert_int_eq(wait_child(&c), 128 + sig);
	assert_contains(rt_read(c.err), sig == SIGINT
						? "interrupted by SIGINT"
						: "interrupted by SIGTERM");
	assert_contains(rt_read(c.err), "was dropped");
	ck_assert(!rt_database_exists(db, shadow_prefix(&c)));
}
END_TEST

START_TEST(test_shadow_url)
{
	const struct harness_db *db = harness_db_fresh(__func__);
	const struct harness_db *shadow = harness_db_fresh("shadow");
	struct project p = rt_project("project", db);
	const struct harness_result *r;

	rt_declare(&p, "CREATE TABLE t (id int);\n");
	r = rt_retort(&p, "--shadow-url", shadow->url, "revision",
		      "--autogenerate", "-m", "given shadow", NULL);
	assert_ok(r);
	/* Loaded in a transaction that was rolled back: still empty. */
	ck_assert_int_eq(harness_count(shadow, "SELECT 1 FROM pg_class "
					       "WHERE oid >= 16384"),
			 0);
	harness_exec(shadow, "CREATE TABLE junk (x int)");
	r = rt_retort(&p, "--shadow-url", shadow->url, "check", "--schema",
		      NULL);
	assert_exit(r, 2);
	assert_contains(r->err, "the shadow database is not empty");
}
END_TEST

/*
 * --shadow-url is connected to as the database is.  A server that takes
 * the connection and never answers is given up after the connect timeout
 * (0: --connect-timeout; 1: the shadow URL's own connect_timeout, which
 * wins), exit 1, naming the shadow's server, never its password.
 */
START_TEST(test_shadow_url_silent)
{
	const char *port = harness_silent_port();
	const char *url =
		harness_fmt("postgresql://app:s3cr3t@127.0.0.1:%s/app%s", port,
			    _i ? "?connect_timeout=2" : "");
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;
	long start, took;

	rt_declare(&p, "CREATE TABLE t (id int);\n");
	start = harness_now_ms();
	r = rt_retort(&p, "--connect-timeout", _i ? "300" : "2", "--shadow-url",
		      url, "check", "--schema", NULL);
	took = harness_now_ms() - start;
	assert_exit(r, 1);
	assert_starts_with(
		r->err,
		"retort: error: cannot connect to the database: no answer within 2 seconds\n");
	assert_contains(r->err, harness_fmt("port %s", port));
	assert_contains(r->err, "the URL came from --shadow-url");
	assert_not_contains(r->err, "s3cr3t");
	ck_assert_msg(took >= 1500 && took < 8000, "took %ld ms", took);
}
END_TEST

/* Nothing listens there: refused at once, exit 1, with what to check. */
START_TEST(test_shadow_url_refused)
{
	const char *port = harness_free_port();
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	const struct harness_result *r;

	rt_declare(&p, "CREATE TABLE t (id int);\n");
	r = rt_retort(
		&p, "--shadow-url",
		harness_fmt("postgresql://app:s3cr3t@127.0.0.1:%s/app", port),
		"revision", "--autogenerate", "-m", "x", NULL);
	assert_exit(r, 1);
	assert_starts_with(r->err,
			   "retort: error: cannot connect to the database\n");
	assert_contains(r->err, harness_fmt("port %s", port));
	assert_contains(r->err, "the URL came from --shadow-url");
	assert_contains(r->err,
			"Check that --shadow-url names a running server");
	assert_not_contains(r->err, "s3cr3t");
	assert_str_eq(rt_sources(&p, &(int){ 0 }), "");
}
END_TEST

/* Whether a client is connected to 127.0.0.1:port (the kernel's view). */
static bool connected_to(const char *port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	unsigned want = (unsigned)atoi(port), remote, state;
	char line[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*d: %*x:%*x %*x:%x %x", &remote,
			       &state) == 2 &&
			remote == want && state == 1 /* ESTABLISHED */;
	if (f)
		fclose(f);
	return found;
}

/* Ctrl-C (or SIGTERM) while waiting for a silent shadow stops at once. */
START_TEST(test_shadow_url_interrupted)
{
	int sig = _i == 0 ? SIGINT : SIGTERM;
	const char *port = harness_silent_port();
	const struct harness_db *db = harness_db_fresh(__func__);
	struct project p = rt_project("project", db);
	struct harness_run how = { .cwd = p.dir, .url = db->url };
	const char *args[] = {
		"--connect-timeout",
		"60",
		"--shadow-url",
		harness_fmt("postgresql://app:s3cr3t@127.0.0.1:%s/app", port),
		"check",
		"--schema",
		NULL
	};
	struct harness_proc *proc;
	const struct harness_result *r;
	long start;

	rt_declare(&p, "CREATE TABLE t (id int);\n");
	proc = harness_spawn(&how, args);
	/* Past the database's own connection and catalog read: waiting for
	 * the shadow's server to answer. */
	for (int i = 0; i < 200 && !connected_to(port); i++)
		harness_sleep_ms(50);
	ck_assert_msg(connected_to(port), "retort never reached the shadow");
	harness_sleep_ms(200);
	start = harness_now_ms();
	harness_signal(proc, sig);
	r = harness_wait(proc);
	assert_exit(r, 128 + sig);
	assert_starts_with(
		r->err,
		harness_fmt(
			"retort: error: interrupted by %s: cannot connect to the database",
			sig == SIGTERM ? "SIGTERM" : "SIGINT"));
	assert_contains(r->err, "the URL came from --shadow-url");
	assert_not_contains(r->err, "s3cr3t");
	ck_assert_msg(harness_now_ms() - start < 3000,
		      "took %ld ms after the signal", harness_now_ms() - start);
}
END_TEST

/* ---- the suite ---- */

static int list_cases(const char *kind, char **names)
{
	DIR *d = opendir(harness_fmt("%s/%s", cases_dir(), kind));
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL && n < MAX_CASES)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	return n;
}

static Suite *autogen_suite(void)
{
	Suite *s = suite_create("autogen");
	TCase *tc;

	ncases = list_cases("cases", case_names);
	nrefused = list_cases("refused", refused_names);

	tc = harness_tcase("round_trip");
	tcase_add_loop_test(tc, test_round_trip, 0, ncases);
	suite_add_tcase(s, tc);

	tc = harness_tcase("refused");
	tcase_add_loop_test(tc, test_refused, 0, nrefused);
	suite_add_tcase(s, tc);

	tc = harness_tcase("workflow");
	tcase_add_test(tc, test_repository_schema);
	tcase_add_test(tc, test_readme_walkthrough);
	tcase_add_test(tc, test_runner_tables);
	tcase_add_loop_test(tc, test_transaction_control, 0,
			    sizeof(transaction_control) /
				    sizeof(transaction_control[0]));
	tcase_add_test(tc, test_not_at_head);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);

	tc = harness_tcase("shadow");
	tcase_add_loop_test(tc, test_shadow_dropped_after_exit, 0,
			    sizeof(endings) / sizeof(endings[0]));
	tcase_add_loop_test(tc, test_shadow_dropped_after_signal, 0, 2);
	tcase_add_test(tc, test_shadow_url);
	tcase_add_loop_test(tc, test_shadow_url_silent, 0, 2);
	tcase_add_test(tc, test_shadow_url_refused);
	tcase_add_loop_test(tc, test_shadow_url_interrupted, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(autogen_suite(), HARNESS_NEEDS_DB);
}

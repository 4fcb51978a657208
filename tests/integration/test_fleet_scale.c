/*
 * Integration: fleets at scale.  `retort fleet` over a hundred databases
 * on three clusters of their own (tests/lib/clusters.h), and over two
 * hundred tenant schemas, with the fleet fixture's 20 revisions: every
 * target at head and its history rows carrying the run id, a rerun that
 * writes nothing, failures injected into one run (data that breaks
 * revision 012, a backend killed mid-revision, a closed port, a lock held
 * by another runner, an unknown revision) each reported with its status
 * while the others reach head, a run through a transaction-pooling
 * PgBouncer, fleet status, and fleet downgrade --run putting back exactly
 * what a run moved.  While the runs go, a sampler counts each cluster's
 * connections to the test's databases: a fleet opens at most two per
 * running target (-j N: 2N; --per-host M: 2M on one host).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clusters.h"
#include "harness.h"

#define N_CLUSTERS 3
#define MAX_TARGETS 128
#define HEAD "020"

static const char *const no_env[] = { NULL };

/* ---- databases on the extra clusters ---- */

/* A target of a test: a database on one of the extra clusters. */
struct target {
	char label[32];
	char db[48];
	int cluster; /* 1..N_CLUSTERS */
};

static struct target targets[MAX_TARGETS];
static int n_targets;

/* The server's notices (DROP DATABASE IF EXISTS...) are no news here. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *connect_to(int cluster, const char *db)
{
	PGconn *c = PQconnectdb(clusters_url(cluster, db));

	PQsetNoticeProcessor(c, quiet, NULL);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK,
		      "cannot connect to cluster %d, database %s: %s", cluster,
		      db, harness_oneline(PQerrorMessage(c)));
	return c;
}

/* Run sql on db of cluster; the first value of the first row, "" for no
 * row, in harness memory. */
static const char *sql_on(int cluster, const char *db, const char *sql)
{
	PGconn *c = connect_to(cluster, db);
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *v;

	ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK,
		      "%s on %s: %s", sql, db,
		      harness_oneline(PQerrorMessage(c)));
	v = harness_fmt("%s", st == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
					      !PQgetisnull(r, 0, 0)
				      ? PQgetvalue(r, 0, 0)
				      : "");
	PQclear(r);
	PQfinish(c);
	return v;
}

static const char *sql_at(const struct target *t, const char *sql)
{
	return sql_on(t->cluster, t->db, sql);
}

/* A target's URL in a targets file, or NULL to leave it out. */
typedef const char *(*url_fn)(const struct target *t);

static const char *direct_url(const struct target *t)
{
	return clusters_url(t->cluster, t->db);
}

/* The targets file ("LABEL URL" a line) of this test's targets. */
static const char *targets_file(const char *name, url_fn url_of)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *path;

	fputs("# fleet_scale targets\n\n", f);
	for (int i = 0; i < n_targets; i++) {
		const char *url = url_of(&targets[i]);

		if (url)
			fprintf(f, "%s %s\n", targets[i].label, url);
	}
	fclose(f);
	path = harness_write_file(name, "%s", text);
	free(text);
	return path;
}

/*
 * n fresh databases spread over the clusters, labelled prefix-K, and the
 * targets file that lists them.
 */
static const char *make_targets(const char *prefix, int n)
{
	PGconn *admin[N_CLUSTERS + 1] = { NULL };

	ck_assert_int_le(n, MAX_TARGETS);
	for (int i = 1; i <= N_CLUSTERS; i++)
		admin[i] = connect_to(i, "postgres");
	for (n_targets = 0; n_targets < n; n_targets++) {
		struct target *t = &targets[n_targets];
		PGresult *r;

		t->cluster = 1 + n_targets % N_CLUSTERS;
		snprintf(t->label, sizeof t->label, "%s-%03d", prefix,
			 n_targets);
		snprintf(t->db, sizeof t->db, "fs_%s_%03d", prefix, n_targets);
		PQclear(PQexec(admin[t->cluster],
			       harness_fmt("DROP DATABASE IF EXISTS %s WITH "
					   "(FORCE)",
					   t->db)));
		r = PQexec(admin[t->cluster],
			   harness_fmt("CREATE DATABASE %s STRATEGY FILE_COPY",
				       t->db));
		ck_assert_msg(
			PQresultStatus(r) == PGRES_COMMAND_OK,
			"CREATE DATABASE %s: %s", t->db,
			harness_oneline(PQerrorMessage(admin[t->cluster])));
		PQclear(r);
	}
	for (int i = 1; i <= N_CLUSTERS; i++)
		PQfinish(admin[i]);
	return targets_file(harness_fmt("%s.targets", prefix), direct_url);
}

/* Drop the test's databases (the clusters are in memory). */
static void drop_targets(void)
{
	for (int i = 0; i < n_targets; i++)
		sql_on(targets[i].cluster, "postgres",
		       harness_fmt("DROP DATABASE IF EXISTS %s WITH (FORCE)",
				   targets[i].db));
	n_targets = 0;
}

/* The version table's rows, comma-joined; "-" when there is none. */
static const char *version_of(const struct target *t)
{
	if (strcmp(sql_at(t, "SELECT to_regclass('alembic_version') IS NULL"),
		   "t") == 0)
		return "-";
	return sql_at(t, "SELECT coalesce(string_agg(version_num, ','), '') "
			 "FROM alembic_version");
}

/* ---- the connection sampler ---- */

/*
 * A thread that counts, every 5 ms, each cluster's sessions on the
 * databases whose names start with fs_<prefix>_, and keeps the largest
 * count seen.
 */
struct sampler {
	pthread_t thread;
	volatile int stop;
	char like[48];
	int peak[N_CLUSTERS + 1];
};

static void *sample(void *arg)
{
	struct sampler *s = arg;
	PGconn *c[N_CLUSTERS + 1] = { NULL };
	char sql[256];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE "
		 "'%s' AND pid <> pg_backend_pid()",
		 s->like);
	for (int i = 1; i <= N_CLUSTERS; i++)
		c[i] = PQconnectdb(clusters_url(i, "postgres"));
	while (!s->stop) {
		for (int i = 1; i <= N_CLUSTERS; i++) {
			PGresult *r = PQexec(c[i], sql);

			if (PQresultStatus(r) == PGRES_TUPLES_OK &&
			    atoi(PQgetvalue(r, 0, 0)) > s->peak[i])
				s->peak[i] = atoi(PQgetvalue(r, 0, 0));
			PQclear(r);
		}
		usleep(5000);
	}
	for (int i = 1; i <= N_CLUSTERS; i++)
		PQfinish(c[i]);
	return NULL;
}

static void sampler_start(struct sampler *s, const char *prefix)
{
	memset(s->peak, 0, sizeof s->peak);
	s->stop = 0;
	snprintf(s->like, sizeof s->like, "fs\\_%s\\_%%", prefix);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, sample, s), 0);
}

/* Stop sampling; fail when a cluster saw more than bound sessions. */
static void sampler_check(struct sampler *s, int bound)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	for (int i = 1; i <= N_CLUSTERS; i++)
		ck_assert_msg(s->peak[i] <= bound,
			      "cluster %d (%s) saw %d sessions of the fleet at "
			      "once; the bound is %d",
			      i, clusters_host_port(i), s->peak[i], bound);
}

/* ---- running the fleet ---- */

/* retort --versions fleet, then args (NULL-terminated). */
static const struct harness_result *fleet(const char *const *args)
{
	const struct harness_run how = { .versions = "fleet", .env = no_env };

	return harness_retortv(&how, args);
}

static struct harness_proc *fleet_spawn(const char *const *args)
{
	const struct harness_run how = { .versions = "fleet", .env = no_env };

	return harness_spawn(&how, args);
}

/* The run id (YYYYMMDDTHHMMSSZ-xxxxxx) the output names first. */
static const char *run_id_of(const char *text)
{
	regex_t re;
	regmatch_t m;
	const char *id = NULL;

	ck_assert_int_eq(
		regcomp(&re, "[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}", REG_EXTENDED),
		0);
	if (regexec(&re, text, 1, &m, 0) == 0)
		id = harness_fmt("%.*s", (int)(m.rm_eo - m.rm_so),
				 text + m.rm_so);
	regfree(&re);
	ck_assert_msg(id != NULL, "no fleet run id in \"%s\"",
		      harness_oneline(text));
	return id;
}

/* The status the table on stdout gives the target label. */
static const char *status_of(const char *out, const char *label)
{
	static const char *const statuses[] = {
		"unknown-revision", "up-to-date", "ok",
		"failed",	    "locked",	  "skipped"
	};
	size_t n = strlen(label);

	for (const char *p = out; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		const char *end = strchr(p, '\n');
		const char *line;

		if (strncmp(p, label, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
			continue;
		line = harness_fmt("%.*s ",
				   end ? (int)(end - p) : (int)strlen(p), p);
		for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
			if (strstr(line, harness_fmt(" %s ", statuses[i])))
				return statuses[i];
		return line;
	}
	return "(no line)";
}

/* How many lines of text start with prefix and hold word as a word. */
static int lines_with(const char *text, const char *prefix, const char *word)
{
	int n = 0;

	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		const char *line = harness_fmt(
			" %.*s ", end ? (int)(end - p) : (int)strlen(p), p);

		n += harness_starts_with(p, prefix) &&
		     strstr(line, harness_fmt(" %s ", word)) != NULL;
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

static void assert_status(const struct harness_result *r, const char *label,
			  const char *want)
{
	const char *got = status_of(r->out, label);

	ck_assert_msg(strcmp(got, want) == 0,
		      "%s: status \"%s\", expected \"%s\"; stdout: \"%s\" | "
		      "stderr: \"%s\"",
		      label, harness_oneline(got), want,
		      harness_oneline(r->out), harness_oneline(r->err));
}

/*
 * The exit status of a fleet run; on a mismatch its stderr's start and
 * its stdout's end (a table of hundreds of lines does not fit a message).
 */
#define assert_fleet_exit(r, code)                                             \
	do {                                                                   \
		const struct harness_result *f_ = (r);                         \
		size_t n_ = strlen(f_->out);                                   \
		ck_assert_msg(f_->exit_code == (code),                         \
			      "expected exit %d, got %d (signal %d) | stderr " \
			      "starts \"%.1000s\" | stdout ends \"%s\"",       \
			      (code), f_->exit_code, f_->signal,               \
			      harness_oneline(f_->err),                        \
			      harness_oneline(n_ > 800 ? f_->out + n_ - 800    \
						       : f_->out));            \
	} while (0)

/* ---- a hundred databases ---- */

/* Every target at head with 20 history rows of run id and no other. */
static void assert_all_at_head(const char *id)
{
	for (int i = 0; i < n_targets; i++) {
		const struct target *t = &targets[i];

		assert_str_eq(version_of(t), HEAD);
		assert_str_eq(
			sql_at(t, harness_fmt("SELECT count(*) FILTER (WHERE "
					      "fleet_run = '%s') || '/' || "
					      "count(*) FROM retort_history",
					      id)),
			"20/20");
	}
}

START_TEST(test_hundred_databases)
{
	struct sampler s;
	const char *file = make_targets("h", 100), *id;
	const struct harness_result *r;

	sampler_start(&s, "h");
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "-j", "8", "head", NULL });
	sampler_check(&s, 16);
	assert_fleet_exit(r, 0);
	id = run_id_of(r->out);
	assert_contains(r->err, id);
	ck_assert_int_eq(lines_with(r->out, "h-", "ok"), 100);
	assert_all_at_head(id);

	/* Again: all up to date, nothing written. */
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "-j", "8", "head", NULL });
	assert_fleet_exit(r, 0);
	ck_assert_int_eq(lines_with(r->out, "h-", "up-to-date"), 100);
	assert_all_at_head(id);

	r = fleet((const char *const[]){ "fleet", "status", "--targets", file,
					 NULL });
	assert_fleet_exit(r, 0);

	/* Back down by run id, at most two targets per host at once. */
	sampler_start(&s, "h");
	r = fleet((const char *const[]){ "fleet", "downgrade", "--targets",
					 file, "-j", "8", "--per-host", "2",
					 "--run", id, NULL });
	sampler_check(&s, 4);
	assert_fleet_exit(r, 0);
	for (int i = 0; i < n_targets; i++)
		assert_str_eq(version_of(&targets[i]), "");
	r = fleet((const char *const[]){ "fleet", "status", "--targets", file,
					 NULL });
	assert_fleet_exit(r, 1);
	drop_targets();
}
END_TEST

/* ---- failures injected into one run ---- */

enum { DUP, KILLED, DOWN, LOCKED, UNKNOWN, N_FAULTS };

static const char *closed_port;

/* targets[DOWN] at a port where nothing listens. */
static const char *fault_url(const struct target *t)
{
	if (t == &targets[DOWN])
		return harness_fmt(
			"postgresql://postgres:postgres@127.0.0.1:%s/%s",
			closed_port, t->db);
	return direct_url(t);
}

/* Seed the faults that need no runner: duplicate emails at 011, an
 * unknown revision, a closed port.  The targets file of the run. */
static const char *seed_faults(void)
{
	const struct target *dup = &targets[DUP];
	const struct harness_result *r = fleet((const char *const[]){
		"--url", direct_url(dup), "upgrade", "011", NULL });

	assert_fleet_exit(r, 0);
	sql_at(dup, "INSERT INTO accounts (email) VALUES ('a@x'), ('a@x')");
	sql_at(&targets[UNKNOWN],
	       "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY "
	       "KEY); INSERT INTO alembic_version VALUES ('ffff99')");
	closed_port = harness_free_port();
	return targets_file("faults.targets", fault_url);
}

/* Wait (up to 30 s) until a backend of db sleeps in revision 007. */
static int sleeping_pid(const struct target *t)
{
	const char *pid = "";

	for (int i = 0; i < 600 && pid[0] == '\0'; i++) {
		pid = sql_on(t->cluster, "postgres",
			     harness_fmt("SELECT pid FROM pg_stat_activity "
					 "WHERE datname = '%s' AND query LIKE "
					 "'%%AS fleet_sleep%%' AND state = "
					 "'active'",
					 t->db));
		if (pid[0] == '\0')
			harness_sleep_ms(50);
	}
	ck_assert_msg(pid[0] != '\0', "%s never slept in revision 007", t->db);
	return atoi(pid);
}

/* Another runner holding targets[LOCKED]'s lock: asleep in 007. */
static struct harness_proc *hold_lock(void)
{
	const struct target *t = &targets[LOCKED];
	struct harness_proc *p = fleet_spawn((const char *const[]){
		"--url", clusters_url(t->cluster, t->db), "-x",
		"fleet_sleep_ms=50000", "upgrade", "head", NULL });

	sleeping_pid(t);
	return p;
}

START_TEST(test_injected_failures)
{
	const struct target *killed = &targets[KILLED];
	struct harness_proc *holder, *run;
	const struct harness_result *r;
	const char *file;

	make_targets("f", 12);
	file = seed_faults();
	holder = hold_lock();
	run = fleet_spawn((const char *const[]){
		"-x", "fleet_sleep_ms=3000", "-x",
		harness_fmt("fleet_sleep_on=%s", killed->db), "fleet",
		"upgrade", "--targets", file, "-j", "4", "--on-error",
		"continue", "head", NULL });
	sql_on(killed->cluster, "postgres",
	       harness_fmt("SELECT pg_terminate_backend(%d)",
			   sleeping_pid(killed)));
	r = harness_wait(run);
	harness_signal(holder, SIGTERM);
	harness_wait(holder);

	assert_fleet_exit(r, 1);
	assert_status(r, targets[DUP].label, "failed");
	/* Its first error line, in the table and in its line on stderr. */
	assert_contains(r->out, "accounts_email_key");
	assert_contains(r->err, "accounts_email_key");
	assert_str_eq(version_of(&targets[DUP]), "011");
	/* 57P01 is transient: the killed target is retried, whole. */
	assert_status(r, killed->label, "ok");
	assert_str_eq(version_of(killed), HEAD);
	assert_status(r, targets[DOWN].label, "failed");
	assert_status(r, targets[LOCKED].label, "locked");
	assert_status(r, targets[UNKNOWN].label, "unknown-revision");
	assert_str_eq(version_of(&targets[UNKNOWN]), "ffff99");
	for (int i = N_FAULTS; i < n_targets; i++) {
		assert_status(r, targets[i].label, "ok");
		assert_str_eq(version_of(&targets[i]), HEAD);
	}
	drop_targets();
}
END_TEST

/* A cluster stopped in the middle of a run: its targets fail or are
 * retried, and none is left half-way through a revision. */
START_TEST(test_cluster_stopped_mid_run)
{
	const char *file = make_targets("s", 9);
	const struct target *t = &targets[2]; /* on cluster 3 */
	struct harness_proc *run;
	const struct harness_result *r;

	run = fleet_spawn((const char *const[]){
		"-x", "fleet_sleep_ms=2000", "fleet", "upgrade", "--targets",
		file, "-j", "8", "--on-error", "continue", "--retries", "0",
		"head", NULL });
	sleeping_pid(t);
	ck_assert_int_eq(clusters_pause(3), 0);
	r = harness_wait(run);
	ck_assert_int_eq(clusters_resume(3), 0);

	assert_fleet_exit(r, 1);
	for (int i = 0; i < n_targets; i++) {
		const char *v = version_of(&targets[i]);

		if (targets[i].cluster != 3) {
			assert_status(r, targets[i].label, "ok");
			assert_str_eq(v, HEAD);
			continue;
		}
		assert_status(r, targets[i].label, "failed");
		/* Stopped inside 007 (006 applied, 007 rolled back whole),
		 * or never reached. */
		ck_assert_msg(strcmp(v, "006") == 0 || strcmp(v, "-") == 0,
			      "%s is at \"%s\"", targets[i].db, v);
		assert_str_eq(
			sql_at(&targets[i],
			       "SELECT to_regclass('sleep_marks') IS NULL"),
			"t");
	}
	drop_targets();
}
END_TEST

/* ---- through PgBouncer ---- */

/* Through the pooler in front of cluster 1; the others left out. */
static const char *pooled_url(const struct target *t)
{
	return t->cluster == 1 ? clusters_pooler_url(1, t->db) : NULL;
}

START_TEST(test_through_pgbouncer)
{
	const struct harness_result *r;
	const char *file;

	make_targets("p", 24);
	ck_assert_msg(clusters_pooler_url(1, "postgres") != NULL,
		      "PgBouncer did not start");
	file = targets_file("pooled.targets", pooled_url);
	r = fleet((const char *const[]){ "fleet", "upgrade", "--targets", file,
					 "-j", "8", "head", NULL });
	assert_fleet_exit(r, 0);
	for (int i = 0; i < n_targets; i++)
		if (targets[i].cluster == 1)
			assert_str_eq(version_of(&targets[i]), HEAD);
	drop_targets();
}
END_TEST

/* ---- two hundred tenant schemas ---- */

/* How many tenant_* schemas of db have a version table at version. */
static int schemas_at(const struct target *db, const char *version)
{
	PGconn *c = connect_to(db->cluster, db->db);
	PGresult *list = PQexec(
		c,
		"SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname "
		"LIKE 'tenant\\_%' AND to_regclass(quote_ident(nspname) || "
		"'.alembic_version') IS NOT NULL");
	int n = 0;

	ck_assert_int_eq(PQresultStatus(list), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(list); i++) {
		PGresult *r = PQexec(
			c,
			harness_fmt("SELECT coalesce(string_agg(version_num, "
				    "','), '') FROM %s.alembic_version",
				    PQgetvalue(list, i, 0)));

		n += PQresultStatus(r) == PGRES_TUPLES_OK &&
		     strcmp(PQgetvalue(r, 0, 0), version) == 0;
		PQclear(r);
	}
	PQclear(list);
	PQfinish(c);
	return n;
}

/* Tenants 1-5 at head and 6-15 at 010 before the fleet run. */
static void seed_tenants(const char *url)
{
	for (int g = 1; g <= 15; g++) {
		const struct harness_result *r = fleet((const char *const[]){
			"--url", url, "--tenant-schema",
			harness_fmt("tenant_%d", g), "-q", "upgrade",
			g <= 5 ? HEAD : "010", NULL });

		assert_fleet_exit(r, 0);
	}
}

START_TEST(test_two_hundred_schemas)
{
	const char *url, *id;
	const struct harness_result *r;
	const char *query = "SELECT nspname FROM pg_namespace WHERE nspname "
			    "LIKE 'tenant\\_%' ORDER BY 1";

	make_targets("t", 1);
	url = clusters_url(1, targets[0].db);
	sql_at(&targets[0], "DO $$ BEGIN FOR g IN 1..200 LOOP EXECUTE "
			    "format('CREATE SCHEMA tenant_%s', g); END LOOP; "
			    "END $$");
	seed_tenants(url);
	r = fleet((const char *const[]){ "--url", url, "fleet", "upgrade",
					 "--schemas-query", query, "-j", "8",
					 "head", NULL });
	assert_fleet_exit(r, 0);
	id = run_id_of(r->out);
	ck_assert_int_eq(schemas_at(&targets[0], HEAD), 200);
	/* Nothing landed in public. */
	assert_str_eq(sql_at(&targets[0],
			     "SELECT to_regclass('public.accounts') IS NULL"),
		      "t");

	/* Back by run id: each schema to where the run found it. */
	r = fleet((const char *const[]){ "--url", url, "fleet", "downgrade",
					 "--schemas-query", query, "-j", "8",
					 "--run", id, NULL });
	assert_fleet_exit(r, 0);
	ck_assert_int_eq(schemas_at(&targets[0], HEAD), 5);
	ck_assert_int_eq(schemas_at(&targets[0], "010"), 10);
	ck_assert_int_eq(schemas_at(&targets[0], ""), 185);
	drop_targets();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet_scale");
	TCase *tc = harness_tcase("fleet_scale");

	if (clusters_start(N_CLUSTERS) != 0) {
		printf("Bail out! the extra clusters did not start\n");
		return 1;
	}
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_hundred_databases);
	tcase_add_test(tc, test_injected_failures);
	tcase_add_test(tc, test_cluster_stopped_mid_run);
	tcase_add_test(tc, test_through_pgbouncer);
	tcase_add_test(tc, test_two_hundred_schemas);
	suite_add_tcase(s, tc);
	return harness_main(s, HARNESS_NEEDS_DB);
}

/*
 * shadow_clone.c - a shadow holding the target's schema at its current
 * revision: pg_dump --schema-only of the target, loaded into the shadow,
 * and the target's version-table rows copied over, so that a plan run on
 * the shadow starts where the target stands.
 *
 * pg_dump is found on PATH and run with the target's settings as a
 * keyword/value string without the password, which reaches it only
 * through its environment (PGPASSWORD): never on a command line that ps
 * shows.  Its stdout is the script; its stderr is kept for the error.  A
 * stop signal (the shadow's handler, shadow.c) is passed on to it.
 * Reads the target, never writes it.  Never prints.
 */
#include "store/shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/strbuf.h"
#include "base/wait_status.h"
#include "config/config.h"

extern char **environ;

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ---- pg_dump's command line and environment ---- */

struct dump_cmd {
	char *argv[8];
	char **envp;
	char *conninfo;
	char *password_env;
};

static void dump_cmd_release(struct dump_cmd *c)
{
	free(c->envp);
	free(c->conninfo);
	if (c->password_env) {
		memset(c->password_env, 0, strlen(c->password_env));
		free(c->password_env);
	}
}

/* environ without PGPASSWORD, plus the target's password when it has one. */
static int dump_env(struct dump_cmd *c, const char *password)
{
	size_t n = 0, k = 0;

	while (environ[n])
		n++;
	c->envp = calloc(n + 2, sizeof(*c->envp));
	if (!c->envp)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			c->envp[k++] = environ[i];
	if (password && password[0]) {
		size_t len = strlen(password) + sizeof("PGPASSWORD=");

		c->password_env = malloc(len);
		if (!c->password_env)
			return -1;
		snprintf(c->password_env, len, "PGPASSWORD=%s", password);
		c->envp[k++] = c->password_env;
	}
	return 0;
}

static int dump_cmd_init(struct dump_cmd *c, struct db *target)
{
	static const char *const fixed[] = { "pg_dump",	      "--schema-only",
					     "--no-owner",    "--no-privileges",
					     "--no-password", "-d" };
	const char *db = PQdb(target->conn);

	c->conninfo = shadow_conninfo(target->conn, db ? db : "", false);
	if (!c->conninfo || dump_env(c, PQpass(target->conn)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		c->argv[i] = (char *)fixed[i];
	c->argv[6] = c->conninfo;
	c->argv[7] = NULL;
	return 0;
}

/* ---- running it ---- */

struct dump_run {
	pid_t pid;
	int out, err; /* read ends of its stdout and stderr */
	struct strbuf script, errors;
	int status;
};

static int cannot_run(int errnum, int server, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot run pg_dump: %s",
		  strerror(errnum));
	error_detail(
		err,
		"retort copies the target's schema into the shadow database with pg_dump --schema-only, looked for on PATH");
	error_hint(
		err,
		"Install PostgreSQL's client programs of the server's major version or newer (Debian: apt-get install postgresql-client-%d), and put their pg_dump on PATH.",
		server / 10000);
	return -1;
}

/* A pipe whose ends the child does not keep but where it dup2()s them. */
static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static int spawn_dump(struct dump_run *r, struct dump_cmd *c, int server,
		      struct retort_error *err)
{
	posix_spawn_file_actions_t fa;
	int out[2], errp[2], rc;

	if (cloexec_pipe(out) < 0)
		return error_set(err, RETORT_FAILED, "cannot make a pipe: %s",
				 strerror(errno));
	if (cloexec_pipe(errp) < 0) {
		close(out[0]);
		close(out[1]);
		return error_set(err, RETORT_FAILED, "cannot make a pipe: %s",
				 strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	rc = posix_spawnp(&r->pid, c->argv[0], &fa, NULL, c->argv, c->envp);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errp[1]);
	r->out = out[0];
	r->err = errp[0];
	if (rc == 0)
		return 0;
	r->pid = 0;
	return cannot_run(rc, server, err);
}

/* Read what is there on fd into b; -1 at its end. */
static int drain(int *fd, struct strbuf *b)
{
	char chunk[65536];
	ssize_t got = read(*fd, chunk, sizeof(chunk));

	if (got < 0 && errno == EINTR)
		return 0;
	if (got <= 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	strbuf_addn(b, chunk, (size_t)got);
	return 0;
}

/* Both pipes to their end; a stop signal is passed on to pg_dump. */
static void collect(struct dump_run *r)
{
	bool stopped = false;

	while (r->out >= 0 || r->err >= 0) {
		struct pollfd p[2] = { { .fd = r->out, .events = POLLIN },
				       { .fd = r->err, .events = POLLIN } };
		int sig = shadow_interrupted(&(struct retort_error){ 0 });

		if (sig < 0 && !stopped) {
			kill(r->pid, SIGTERM);
			stopped = true;
		}
		if (poll(p, 2, -1) < 0)
			continue;
		if (r->out >= 0 && p[0].revents)
			drain(&r->out, &r->script);
		if (r->err >= 0 && p[1].revents)
			drain(&r->err, &r->errors);
	}
	while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
		;
}

/* pg_dump's own messages, one detail line each, as it wrote them. */
static void add_stderr(struct retort_error *err, const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\n");

		if (len)
			error_detail(err, "%.*s", (int)len, text);
		text += len + (text[len] == '\n');
	}
}

static int dump_failed(struct dump_run *r, struct db *target,
		       struct retort_error *err)
{
	char how[96];

	if (shadow_interrupted(err) < 0)
		return -1;
	describe_wait_status(r->status, how, sizeof(how));
	error_set(err, RETORT_FAILED,
		  "cannot copy the target's schema: pg_dump failed (%s)", how);
	error_detail(err, "target: %s", target->target);
	add_stderr(err, strbuf_str(&r->errors));
	error_hint(
		err,
		"pg_dump must reach the target as retort does and be as new as its server (it refuses a newer one): install the client of the server's major version (Debian: postgresql-client-NN) and put its pg_dump first on PATH.");
	return -1;
}

/* The target's schema as pg_dump writes it, into *script. */
static int run_dump(struct db *target, char **script, struct retort_error *err)
{
	struct dump_cmd c = { 0 };
	struct dump_run r = { .out = -1, .err = -1 };
	int rc = -1;

	if (dump_cmd_init(&c, target) < 0) {
		oom(err);
		goto out;
	}
	if (spawn_dump(&r, &c, PQserverVersion(target->conn), err) < 0)
		goto out;
	collect(&r);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		dump_failed(&r, target, err);
		goto out;
	}
	*script = strbuf_finish(&r.script);
	rc = *script ? 0 : oom(err);
out:
	if (r.out >= 0)
		close(r.out);
	if (r.err >= 0)
		close(r.err);
	strbuf_release(&r.script);
	strbuf_release(&r.errors);
	dump_cmd_release(&c);
	return rc;
}

/* ---- loading it ---- */

/*
 * Without psql's meta-commands: recent pg_dump opens and closes its
 * script with \restrict and \unrestrict, which only psql understands.
 */
static char *plain_sql(const char *script)
{
	struct strbuf b = STRBUF_INIT;

	for (const char *p = script; *p;) {
		size_t len = strcspn(p, "\n");
		bool last = p[len] == '\0';

		if (p[strspn(p, " \t")] != '\\')
			strbuf_addn(&b, p, len + !last);
		p += len + !last;
	}
	return strbuf_finish(&b);
}

static int load_dump(struct shadow *s, const char *script,
		     struct retort_error *err)
{
	char *sql = plain_sql(script);
	long position;
	int rc;

	if (!sql)
		return oom(err);
	rc = shadow_run_script(s, sql, &position, err);
	free(sql);
	if (rc < 0) {
		error_prefix(
			err,
			"cannot load the target's schema into the shadow database %s",
			s->name);
		return -1;
	}
	/* pg_dump's script empties search_path for its session, among other
	 * settings: the plan must see the defaults the target's runs see. */
	if (db_exec(&s->db, "RESET ALL", 0, NULL, err) < 0)
		return -1;
	return shadow_interrupted(err);
}

/* The target's version rows into the shadow's version table. */
static int copy_versions(struct shadow *s, struct db *target,
			 struct retort_error *err)
{
	char **rows = NULL;
	size_t n = 0;
	int rc = -1;

	if (db_read_versions(target, &rows, &n, err) < 0)
		return -1;
	s->db.version_table_known = -1;
	if (db_ensure_version_table(&s->db, err) < 0)
		goto out;
	rc = db_update_versions(&s->db, NULL, 0, (const char *const *)rows, n,
				err);
	if (rc < 0)
		error_prefix(
			err,
			"cannot copy the version rows into the shadow database %s",
			s->name);
out:
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
	s->db.version_table_known = -1;
	return rc;
}

static int open_clone_target(struct shadow *s, struct db *target,
			     const char *shadow_url, struct retort_error *err)
{
	char *url = NULL;
	int rc;

	if (!shadow_url)
		return shadow_create(s, target, err);
	if (config_normalize_url(shadow_url, &url, err) < 0)
		return -1;
	rc = shadow_connect(s, target, url, err);
	free(url);
	if (rc < 0) {
		error_detail(err, "the URL came from --shadow-url");
		if (err->status == RETORT_FAILED)
			error_hint(
				err,
				"Check that --shadow-url names a running server and the right host, port, database, user and password.");
		return -1;
	}
	return shadow_check_empty(s, err);
}

/*
 * Whether target is a database as CREATE DATABASE makes it: nothing of
 * its own in public, no other schema, no extension but plpgsql, no
 * database-wide object pg_dump would write.  Then a scratch shadow
 * already holds all a schema-only dump would, and pg_dump (a process
 * and a dozen catalog queries) is skipped.
 */
static const char blank_sql[] =
	"WITH p AS (SELECT oid FROM pg_catalog.pg_namespace"
	" WHERE nspname = 'public')"
	" SELECT (SELECT count(*) FROM p) = 1"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace"
	"  WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema')"
	"  AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%')"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class"
	"  WHERE relnamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc"
	"  WHERE pronamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type"
	"  WHERE typnamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_collation"
	"  WHERE collnamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator"
	"  WHERE oprnamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_conversion"
	"  WHERE connamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config"
	"  WHERE cfgnamespace IN (SELECT oid FROM p))"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension"
	"  WHERE extname <> 'plpgsql')"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger)"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication)"
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server)";

static int target_is_blank(struct db *target, bool *blank,
			   struct retort_error *err)
{
	struct db_rows *rows = db_query(target, blank_sql, 0, NULL, err);

	if (!rows) {
		error_prefix(err, "cannot read the target's catalog");
		return -1;
	}
	*blank = strcmp(db_value(rows, 0, 0), "t") == 0;
	db_rows_free(rows);
	return 0;
}

/* The target's schema into the shadow, by pg_dump unless there is none. */
static int copy_schema(struct shadow *s, struct db *target,
		       struct retort_error *err)
{
	char *script = NULL;
	bool blank;
	int rc;

	if (target_is_blank(target, &blank, err) < 0)
		return -1;
	if (!blank) {
		if (run_dump(target, &script, err) < 0)
			return -1;
		rc = load_dump(s, script, err);
		free(script);
		if (rc < 0)
			return -1;
	}
	/* What a rehearsal commits is thrown away: no commit needs to wait
	 * for the shadow's WAL to reach the disk. */
	return db_exec(&s->db, "SET synchronous_commit = off", 0, NULL, err);
}

int shadow_clone_schema(struct shadow *s, struct db *target,
			const char *target_url, const char *shadow_url,
			struct retort_error *err)
{
	int rc;

	(void)target_url; /* the connection says it all, password included */
	if (open_clone_target(s, target, shadow_url, err) < 0)
		return -1;
	rc = copy_schema(s, target, err);
	if (rc == 0)
		rc = copy_versions(s, target, err);
	if (rc == 0)
		s->cloned = true;
	return rc;
}

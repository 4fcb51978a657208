/*
 * autogen.c - revision --autogenerate and check --schema: the database at
 * head against the declared schema, through a shadow database.
 *
 * Both sides are read with the same catalog queries (catalog.c) and
 * compared by schemadiff.c; codegen.c writes the revisions and scaffold.c
 * puts them in place.  The temporary shadow database is dropped whatever
 * happens: on success, on error, and on SIGINT or SIGTERM, whose handler
 * only cancels the running statement (PQcancel is signal-safe) so that the
 * cleanup below runs.  Only a SIGKILL can leave one behind; its name says
 * what it is (retort_shadow_<pid>_<random>).  Never prints an error.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "schema/autogen.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/audit.h"
#include "base/clock.h"
#include "schema/catalog.h"
#include "data/checkpoint.h"
#include "schema/codegen.h"
#include "store/lease.h"
#include "plugins/scaffold.h"
#include "schema/schemadiff.h"

/* The runner's own tables, left out of both sides (struct exclusions). */
#define NEXCLUDED 4

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ---- stopping cleanly on SIGINT and SIGTERM ---- */

static volatile sig_atomic_t stop_signal;
static PGcancel *volatile stop_cancel[2]; /* the admin's, the shadow's */

static void on_stop(int sig)
{
	char buf[256];
	int saved = errno;

	stop_signal = sig;
	for (int i = 0; i < 2; i++)
		if (stop_cancel[i])
			PQcancel(stop_cancel[i], buf, sizeof(buf));
	errno = saved;
}

struct traps {
	struct sigaction old_int, old_term;
};

static void traps_set(struct traps *t, PGcancel *admin)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	stop_cancel[0] = admin;
	stop_cancel[1] = NULL;
	sigaction(SIGINT, &sa, &t->old_int);
	sigaction(SIGTERM, &sa, &t->old_term);
}

/* From here on a signal only marks the run as stopped: the drop runs. */
static void traps_quiet(void)
{
	stop_cancel[0] = NULL;
	stop_cancel[1] = NULL;
}

static void traps_clear(struct traps *t)
{
	traps_quiet();
	sigaction(SIGINT, &t->old_int, NULL);
	sigaction(SIGTERM, &t->old_term, NULL);
}

static int check_stop(struct retort_error *err)
{
	if (!stop_signal)
		return 0;
	return error_set(err,
			 stop_signal == SIGTERM ? RETORT_INTERRUPTED_TERM
						: RETORT_INTERRUPTED_INT,
			 "interrupted by %s",
			 stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- small libpq helpers ---- */

static int pq_command(PGconn *conn, const char *sql, const char *what,
		      struct retort_error *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return 0;
	}
	db_error_from_result(err, conn, res);
	PQclear(res);
	error_prefix(err, "%s", what);
	return -1;
}

static void describe(PGconn *conn, char *buf, size_t size)
{
	snprintf(buf, size, "host %s port %s database %s user %s",
		 PQhost(conn) ? PQhost(conn) : "(default)",
		 PQport(conn) ? PQport(conn) : "(default)",
		 PQdb(conn) ? PQdb(conn) : "?",
		 PQuser(conn) ? PQuser(conn) : "?");
}

static void ignore_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* The connection to dbname with everything else as admin's. */
static PGconn *connect_like(PGconn *admin, const char *dbname)
{
	PQconninfoOption *opts = PQconninfo(admin), *o;
	const char **keys, **vals;
	size_t n = 0;
	PGconn *conn = NULL;

	if (opts == NULL)
		return NULL;
	for (o = opts; o->keyword; o++)
		n++;
	keys = calloc(n + 2, sizeof(*keys));
	vals = calloc(n + 2, sizeof(*vals));
	if (keys && vals) {
		n = 0;
		for (o = opts; o->keyword; o++)
			if (o->val && o->val[0] &&
			    strcmp(o->keyword, "dbname")) {
				keys[n] = o->keyword;
				vals[n++] = o->val;
			}
		keys[n] = "dbname";
		vals[n] = dbname;
		conn = PQconnectdbParams(keys, vals, 0);
	}
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	return conn;
}

static int connected(PGconn *conn, const char *what, struct retort_error *err)
{
	char where[512];

	if (conn == NULL)
		return oom(err);
	if (PQstatus(conn) == CONNECTION_OK) {
		PQsetNoticeReceiver(conn, ignore_notice, NULL);
		return 0;
	}
	describe(conn, where, sizeof(where));
	error_set(err, RETORT_FAILED, "cannot connect to the %s", what);
	error_detail(err, "%s", where);
	error_detail(err, "%s", PQerrorMessage(conn));
	return -1;
}

/* ---- the declared schema's text ---- */

static int read_schema_file(const char *path, char **out,
			    struct retort_error *err)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, got;

	if (f == NULL) {
		error_set(err, RETORT_USAGE,
			  "cannot read the declared schema \"%s\": %s", path,
			  strerror(errno));
		error_hint(
			err,
			"Write the schema you want as plain SQL in that file (CREATE TABLE ...), or name another with `schema = PATH` in retort.ini.");
		return -1;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *grown = realloc(text, cap = 2 * cap + 8192);

			if (grown == NULL) {
				free(text);
				fclose(f);
				return oom(err);
			}
			text = grown;
		}
		got = fread(text + len, 1, 4096, f);
		len += got;
	} while (got > 0);
	text[len] = '\0';
	fclose(f);
	*out = text;
	return 0;
}

/* psql's backslash commands are not SQL: say so before the server does. */
static int check_plain_sql(const char *path, const char *text,
			   struct retort_error *err)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *start = p + strspn(p, " \t");
		const char *end = strchr(p, '\n');

		if (*start == '\\') {
			error_set(err, RETORT_USAGE,
				  "%s:%d: psql meta-command \"%.*s\"", path,
				  line, (int)strcspn(start, " \t\r\n"), start);
			error_hint(
				err,
				"The declared schema is loaded as plain SQL: remove psql commands (pg_dump's \\restrict lines too).");
			return -1;
		}
		p = end ? end + 1 : p + strlen(p);
	}
	return 0;
}

/* The line of a 1-based character position in text (UTF-8). */
static int line_of(const char *text, long position)
{
	int line = 1;

	for (const char *p = text; *p && position > 1; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80)
			position--;
		line += *p == '\n';
	}
	return line;
}

static int load_failed(PGconn *conn, PGresult *res, const char *path,
		       const char *text, struct retort_error *err)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);

	db_error_from_result(err, conn, res);
	if (pos)
		error_prefix(err, "%s:%d", path, line_of(text, atol(pos)));
	else
		error_prefix(err, "%s", path);
	if (!err->hint[0])
		error_hint(
			err,
			"Fix the declared schema so that it loads into an empty database, then run again.");
	return -1;
}

/* ---- the shadow database ---- */

struct shadow {
	PGconn *admin;	  /* the database's connection: creates and drops */
	PGconn *conn;	  /* the shadow's */
	PGcancel *cancel; /* its cancel handle, for the signal handler */
	char name[64];	  /* the temporary database, "" with --shadow-url */
	bool created;	  /* CREATE DATABASE was sent: drop it */
};

static int random_hex(char *out, size_t nbytes, struct retort_error *err)
{
	unsigned char bytes[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = 0;

	if (nbytes > sizeof(bytes))
		nbytes = sizeof(bytes);
	if (f != NULL) {
		got = fread(bytes, 1, nbytes, f);
		fclose(f);
	}
	if (got != nbytes)
		return error_set(err, RETORT_FAILED,
				 "cannot read /dev/urandom");
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int create_shadow(struct shadow *s, struct retort_error *err)
{
	char hex[9], sql[128];

	if (random_hex(hex, 4, err) < 0)
		return -1;
	snprintf(s->name, sizeof(s->name), "retort_shadow_%ld_%s",
		 (long)getpid(), hex);
	/* A plain name: no quoting needed.  template0: nothing but what
	 * the declared schema creates. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0",
		 s->name);
	s->created = true;
	if (pq_command(s->admin, sql, "cannot create the shadow database",
		       err) < 0) {
		error_detail(err, "database: %s", s->name);
		error_hint(
			err,
			"autogenerate loads the declared schema into a scratch database: grant the user CREATEDB, or pass --shadow-url with an empty database it may use.");
		return -1;
	}
	s->conn = connect_like(s->admin, s->name);
	return connected(s->conn, "shadow database", err);
}

static const char sql_user_objects[] =
	"SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_type WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_proc WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_extension WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_namespace WHERE oid >= 16384"
	" AND nspname OPERATOR(pg_catalog.!~) '^pg_')";

static int open_given_shadow(struct shadow *s, const char *url,
			     struct retort_error *err)
{
	char *normal = NULL;
	PGresult *res;
	bool empty;

	if (config_normalize_url(url, &normal, err) < 0)
		return -1;
	s->conn = PQconnectdb(normal);
	free(normal);
	if (connected(s->conn, "shadow database (--shadow-url)", err) < 0)
		return -1;
	res = PQexec(s->conn, sql_user_objects);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_error_from_result(err, s->conn, res);
		PQclear(res);
		error_prefix(err, "cannot inspect the shadow database");
		return -1;
	}
	empty = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	if (empty)
		return 0;
	error_set(err, RETORT_USAGE, "the shadow database is not empty");
	error_detail(err, "database %s holds %s objects of its own",
		     PQdb(s->conn), "user");
	error_hint(
		err,
		"Give --shadow-url an empty database: autogenerate loads the declared schema there inside a transaction it rolls back.");
	return -1;
}

/*
 * Drop what create_shadow made, and return rc, or -1 when the drop fails
 * (added to err's detail when rc already failed).
 */
static int close_shadow(struct shadow *s, int rc, struct retort_error *err)
{
	struct retort_error drop = { 0 };
	char sql[128];

	traps_quiet();
	PQfreeCancel(s->cancel);
	s->cancel = NULL;
	PQfinish(s->conn);
	s->conn = NULL;
	if (!s->created)
		return rc;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		 s->name);
	if (pq_command(s->admin, sql, "cannot drop the shadow database",
		       &drop) == 0) {
		if (rc < 0 && stop_signal)
			error_detail(err, "the shadow database %s was dropped",
				     s->name);
		return rc;
	}
	if (rc == 0)
		*err = drop;
	else
		error_detail(
			err,
			"and the shadow database %s could not be dropped: %s",
			s->name, drop.msg);
	error_hint(err, "Drop it by hand: DROP DATABASE %s;", s->name);
	return -1;
}

/* The single value sql returns, into buf. */
static int pq_value(PGconn *conn, const char *sql, char *buf, size_t size,
		    struct retort_error *err)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		db_error_from_result(err, conn, res);
		PQclear(res);
		error_prefix(err, "cannot use the shadow database");
		return -1;
	}
	snprintf(buf, size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/*
 * A COMMIT, ROLLBACK or END in the declared schema ends retort's
 * transaction (PostgreSQL only warns about a BEGIN inside it): what ran
 * before it is committed, into the --shadow-url database too, or undone.
 * The transaction's id tells: another one, or none, after the script.
 */
static int check_same_transaction(struct shadow *s, const char *path,
				  const char *xid, struct retort_error *err)
{
	char now[32];

	if (pq_value(s->conn,
		     "SELECT pg_catalog.pg_current_xact_id_if_assigned()", now,
		     sizeof(now), err) < 0)
		return -1;
	if (strcmp(now, xid) == 0)
		return 0;
	error_set(
		err, RETORT_USAGE,
		"%s ends the transaction it is loaded in (COMMIT, ROLLBACK or END)",
		path);
	if (!s->created)
		error_detail(
			err,
			"anything it committed stays in the shadow database %s: empty it before the next run",
			PQdb(s->conn));
	error_hint(
		err,
		"Remove the transaction control statements from the declared schema: retort loads it in one transaction of its own.");
	return -1;
}

/* The declared schema, loaded in a transaction that is rolled back. */
static int load_and_read(struct shadow *s, const char *path, const char *text,
			 const char *const *exclude, const char *exclude_schema,
			 struct catalog *out, struct retort_error *err)
{
	PGresult *res;
	ExecStatusType st;
	char xid[32];
	int rc;

	s->cancel = PQgetCancel(s->conn);
	stop_cancel[1] = s->cancel;
	if (pq_value(s->conn, "BEGIN; SELECT pg_catalog.pg_current_xact_id()",
		     xid, sizeof(xid), err) < 0 ||
	    check_stop(err) < 0)
		return -1;
	res = PQexec(s->conn, text);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		load_failed(s->conn, res, path, text, err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (check_stop(err) < 0 ||
	    check_same_transaction(s, path, xid, err) < 0)
		return -1;
	rc = catalog_read(s->conn, exclude, NEXCLUDED, exclude_schema, out,
			  err);
	pq_command(s->conn, "ROLLBACK", "cannot roll back the shadow database",
		   rc < 0 ? &(struct retort_error){ 0 } : err);
	return rc;
}

/* ---- both sides ---- */

/*
 * What the runner owns: the version table, retort_history, retort_lock
 * and retort_backfill (which stays once a backfill has run), the last
 * three beside the version table.  Named with their schema on both sides: the
 * declared schema may set a search_path of its own (pg_dump's output
 * empties it), so the shadow cannot resolve bare names as the database does.
 */
struct exclusions {
	const char *names[NEXCLUDED];
	char version[300], history[300], lock[300], backfill[300];
};

/*
 * The version table's schema: as configured, else the one the database's
 * search_path finds it in (or would create it in); NULL when there is none.
 */
static int runner_schema(struct app *app, char **out, struct retort_error *err)
{
	static const char sql[] =
		"SELECT COALESCE((SELECT n.nspname FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_namespace n"
		" ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
		" WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)),"
		" pg_catalog.current_schema())";
	const char *params[1] = { app->db.version_table };
	PGresult *res;
	int rc = 0;

	*out = NULL;
	if (app->db.schema) {
		*out = strdup(app->db.schema);
		return *out ? 0 : oom(err);
	}
	res = PQexecParams(app->db.conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		db_error_from_result(err, app->db.conn, res);
		error_prefix(err, "cannot find the version table's schema");
		rc = -1;
	} else if (!PQgetisnull(res, 0, 0)) {
		*out = strdup(PQgetvalue(res, 0, 0));
		rc = *out ? 0 : oom(err);
	}
	PQclear(res);
	return rc;
}

static int runner_tables(struct app *app, struct exclusions *x,
			 struct retort_error *err)
{
	char *schema = NULL, *quoted = NULL;
	char *table = PQescapeIdentifier(app->db.conn, app->db.table,
					 strlen(app->db.table));
	const char *dot = "";
	int rc = -1;

	if (table == NULL) {
		oom(err);
		goto out;
	}
	if (runner_schema(app, &schema, err) < 0)
		goto out;
	if (schema) {
		quoted = PQescapeIdentifier(app->db.conn, schema,
					    strlen(schema));
		if (quoted == NULL) {
			oom(err);
			goto out;
		}
		dot = ".";
	}
	snprintf(x->version, sizeof(x->version), "%s%s%s", quoted ? quoted : "",
		 dot, table);
	snprintf(x->history, sizeof(x->history), "%s%s%s", quoted ? quoted : "",
		 dot, AUDIT_TABLE);
	snprintf(x->backfill, sizeof(x->backfill), "%s%s%s",
		 quoted ? quoted : "", dot, CHECKPOINT_TABLE);
	snprintf(x->lock, sizeof(x->lock), "%s%s%s", quoted ? quoted : "", dot,
		 LEASE_TABLE);
	x->names[0] = x->version;
	x->names[1] = x->history;
	x->names[2] = x->backfill;
	x->names[3] = x->lock;
	rc = 0;
out:
	PQfreemem(quoted);
	free(schema);
	PQfreemem(table);
	return rc;
}

static int read_database(struct app *app, const struct exclusions *x,
			 struct catalog *out, struct retort_error *err)
{
	PGconn *conn = app->db.conn;
	int rc;

	if (pq_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
		       "cannot read the database's schema", err) < 0)
		return -1;
	rc = catalog_read(conn, x->names, NEXCLUDED, app->db.schema, out, err);
	if (rc == 0)
		rc = pq_command(conn, "COMMIT",
				"cannot read the database's schema", err);
	else
		pq_command(conn, "ROLLBACK", "", &(struct retort_error){ 0 });
	return rc;
}

static int read_declared(struct app *app, const struct exclusions *x,
			 struct catalog *out, struct retort_error *err)
{
	const char *path = app->cfg.schema ? app->cfg.schema : "db/schema.sql";
	struct shadow s = { .admin = app->db.conn };
	struct traps traps;
	char *text = NULL;
	int rc;

	if (read_schema_file(path, &text, err) < 0)
		return -1;
	if (check_plain_sql(path, text, err) < 0) {
		free(text);
		return -1;
	}
	traps_set(&traps, app->db.cancel);
	if (app->cfg.shadow_url)
		rc = open_given_shadow(&s, app->cfg.shadow_url, err);
	else
		rc = create_shadow(&s, err);
	if (rc == 0)
		rc = check_stop(err);
	if (rc == 0)
		rc = load_and_read(&s, path, text, x->names, app->db.schema,
				   out, err);
	if (stop_signal)
		rc = check_stop(err);
	rc = close_shadow(&s, rc, err);
	traps_clear(&traps);
	free(text);
	if (rc < 0)
		catalog_release(out);
	return rc;
}

/* The two catalogs and their difference. */
static int compare(struct app *app, struct sd_plan *plan,
		   struct retort_error *err)
{
	struct catalog db = { 0 }, declared = { 0 };
	struct exclusions x;
	int rc = -1;

	if (app_connect(app, err) < 0 || runner_tables(app, &x, err) < 0)
		return -1;
	if (read_database(app, &x, &db, err) < 0)
		return -1;
	if (read_declared(app, &x, &declared, err) < 0)
		goto out;
	rc = schemadiff_plan(&db, &declared, plan, err);
out:
	catalog_release(&declared);
	catalog_release(&db);
	return rc;
}

/* ---- check --schema ---- */

static const char *schema_path(const struct app *app)
{
	return app->cfg.schema ? app->cfg.schema : "db/schema.sql";
}

static void print_differences(struct app *app, const struct sd_plan *plan)
{
	fprintf(app->out, "The database differs from %s:\n", schema_path(app));
	for (size_t i = 0; i < plan->up.n; i++)
		fprintf(app->out, "  %s\n", plan->up.items[i].summary);
	for (size_t i = 0; i < plan->nproblems; i++)
		fprintf(app->out, "  cannot autogenerate: %s\n",
			plan->problems[i]);
}

int autogen_check_schema(struct app *app, struct retort_error *err)
{
	struct sd_plan plan;

	if (compare(app, &plan, err) < 0)
		return -1;
	if (sd_plan_is_empty(&plan)) {
		sd_plan_release(&plan);
		return 0;
	}
	print_differences(app, &plan);
	error_set(err, RETORT_FAILED, "the database at head does not match %s",
		  schema_path(app));
	error_detail(err, "%zu difference%s, listed above",
		     plan.up.n + plan.nproblems,
		     plan.up.n + plan.nproblems == 1 ? "" : "s");
	error_hint(
		err,
		"Write a revision for them with `retort revision --autogenerate -m MESSAGE`, or change %s.",
		schema_path(app));
	sd_plan_release(&plan);
	return -1;
}

/* ---- revision --autogenerate: where it starts ---- */

static int check_args(const struct cmd_args *args, struct retort_error *err)
{
	const char *m = args->message;

	if (m == NULL || m[strspn(m, " \t\r\n\v\f")] == '\0') {
		error_set(err, RETORT_USAGE, "%s",
			  m ? "the message is empty" : "a message is required");
		error_hint(
			err,
			"retort revision --autogenerate -m \"add portfolios table\"");
		return -1;
	}
	if (args->head || args->splice || args->branch_label ||
	    args->depends_on) {
		error_set(
			err, RETORT_USAGE,
			"--autogenerate takes -m, --rev-id and --version-path only");
		error_detail(
			err,
			"--head, --splice, --branch-label and --depends-on are for revisions written by hand");
		error_hint(
			err,
			"Autogenerate builds on the single head the database is at.");
		return -1;
	}
	return 0;
}

/* The one head the sources have, or NULL for none. */
static int source_head(const struct revmap *map, const char **head,
		       struct retort_error *err)
{
	if (map->heads.n > 1) {
		error_set(
			err, RETORT_USAGE,
			"Multiple heads are present; autogenerate needs the database at a single head");
		error_hint(
			err,
			"Join them first with `retort merge -m MESSAGE heads`, upgrade, then autogenerate.");
		return -1;
	}
	*head = map->heads.n ? map->revs[map->heads.items[0]].meta->id : NULL;
	return 0;
}

static void free_rows(char **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

/* Alembic: "Target database is not up to date." */
static int check_at_head(struct app *app, const char *head,
			 struct retort_error *err)
{
	char **rows = NULL;
	size_t n = 0;
	bool at_head;

	if (db_read_versions(&app->db, &rows, &n, err) < 0)
		return -1;
	at_head = head ? n == 1 && strcmp(rows[0], head) == 0 : n == 0;
	if (!at_head) {
		error_set(err, RETORT_FAILED,
			  "Target database is not up to date.");
		error_detail(err, "database at: %s", n ? rows[0] : "(base)");
		if (n > 1)
			error_detail(err, "and %zu more", n - 1);
		error_detail(err, "head: %s", head ? head : "(no revisions)");
		error_hint(
			err,
			"Run `retort upgrade head` first: autogenerate compares the declared schema with the database at head.");
	}
	free_rows(rows, n);
	return at_head ? 0 : -1;
}

/* ---- writing the revisions ---- */

static bool is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int check_rev_id(const struct revmap *map, const char *id,
			struct retort_error *err)
{
	size_t len = strlen(id), rev;
	bool ok = len > 0 && len <= REVMAP_ID_MAX && strcmp(id, "head") &&
		  strcmp(id, "heads") && strcmp(id, "base");

	for (size_t i = 0; ok && i < len; i++)
		ok = is_id_char(id[i]);
	if (!ok) {
		error_set(err, RETORT_USAGE, "invalid revision id \"%s\"", id);
		error_hint(
			err,
			"An id is 1 to %d characters of A-Z, a-z, 0-9 and _, other than head, heads and base.",
			REVMAP_ID_MAX);
		return -1;
	}
	if (revmap_find(map, id, &rev)) {
		error_set(err, RETORT_USAGE,
			  "revision \"%s\" already exists in %s", id,
			  map->revs[rev].meta->path);
		error_hint(
			err,
			"Pick another --rev-id, or leave it out for a random one.");
		return -1;
	}
	return 0;
}

struct draft {
	enum sd_part part;
	char id[REVMAP_ID_MAX + 1];
	char *message;
	char *name;
	char *text;
};

static void drafts_release(struct draft *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].message);
		free(d[i].name);
		free(d[i].text);
	}
}

static int new_id(const struct revmap *map, const struct draft *drafts,
		  size_t n, char *id, struct retort_error *err)
{
	size_t rev;
	bool taken;

	do {
		if (random_hex(id, 6, err) < 0)
			return -1;
		taken = revmap_find(map, id, &rev);
		for (size_t i = 0; i < n; i++)
			taken = taken || !strcmp(drafts[i].id, id);
	} while (taken);
	return 0;
}

static bool part_has_index(const struct sd_list *l, enum sd_part part)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].part == part && l->items[i].sql &&
		    strstr(l->items[i].sql, "INDEX CONCURRENTLY ") &&
		    strncmp(l->items[i].sql, "CREATE", 6) == 0)
			return true;
	return false;
}

static char *part_message(const char *message, const struct sd_plan *plan,
			  enum sd_part part, size_t nparts)
{
	const char *suffix = "";
	size_t len;
	char *s;

	if (nparts > 1 && part == SD_PART_PRE)
		suffix = " (enum values)";
	else if (nparts > 1 && part == SD_PART_POST)
		suffix = part_has_index(&plan->up, part)
				 ? " (concurrent indexes)"
				 : " (validate constraints)";
	len = strlen(message) + strlen(suffix) + 1;
	s = malloc(len);
	if (s)
		snprintf(s, len, "%s%s", message, suffix);
	return s;
}

/* One draft per part that has anything, chained from head. */
static int make_drafts(struct app *app, const struct cmd_args *args,
		       const struct revmap *map, const char *head,
		       const struct sd_plan *plan, struct draft *d, size_t *nd,
		       struct retort_error *err)
{
	char date[32];
	size_t nparts = 0;

	clock_now_utc(date, sizeof(date));
	for (int p = 0; p < SD_NPARTS; p++)
		nparts += sd_list_has_part(&plan->up, (enum sd_part)p) ||
			  sd_list_has_part(&plan->down, (enum sd_part)p);
	for (int p = 0; p < SD_NPARTS; p++) {
		struct draft *x = &d[*nd];
		struct codegen_revision rev;

		if (!sd_list_has_part(&plan->up, (enum sd_part)p) &&
		    !sd_list_has_part(&plan->down, (enum sd_part)p))
			continue;
		x->part = (enum sd_part)p;
		if (*nd == 0 && args->rev_id) {
			if (check_rev_id(map, args->rev_id, err) < 0)
				return -1;
			snprintf(x->id, sizeof(x->id), "%s", args->rev_id);
		} else if (new_id(map, d, *nd, x->id, err) < 0) {
			return -1;
		}
		(*nd)++;
		x->message = part_message(args->message, plan, x->part, nparts);
		if (x->message == NULL)
			return oom(err);
		x->name = scaffold_file_name(x->id, x->message);
		rev = (struct codegen_revision){
			x->id,
			*nd > 1 ? d[*nd - 2].id : head,
			x->message,
			date,
			schema_path(app),
			x->part,
			&plan->up,
			&plan->down,
		};
		x->text = codegen_render(&rev);
		if (x->name == NULL || x->text == NULL)
			return oom(err);
	}
	return 0;
}

static void print_generated(FILE *out, const char *dir, const char *name)
{
	char *real = realpath(dir, NULL);

	fprintf(out, "Generating %s/%s ...  done\n", real ? real : dir, name);
	free(real);
}

static unsigned count_warnings(const char *text)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, "\n#warning ")) != NULL; p++)
		n++;
	return n;
}

static int write_drafts(struct app *app, const char *dir, const struct draft *d,
			size_t n, struct retort_error *err)
{
	for (size_t i = 0; i < n; i++) {
		bool listed;
		unsigned warnings = count_warnings(d[i].text);

		if (scaffold_write_revision(dir, d[i].name, d[i].text, &listed,
					    err) < 0) {
			if (i > 0)
				error_detail(
					err,
					"%s/%s was written already: remove it, or finish the set by hand",
					dir, d[0].name);
			return -1;
		}
		print_generated(app->out, dir, d[i].name);
		if (!listed)
			fprintf(app->out,
				"No meson.build in %s: add %s to your build.\n",
				dir, d[i].name);
		if (warnings)
			fprintf(app->out,
				"  %u hazard%s marked with #warning: review each, then delete its #warning line\n",
				warnings, warnings == 1 ? "" : "s");
	}
	return 0;
}

static void print_detected(struct app *app, const struct sd_plan *plan)
{
	for (size_t i = 0; i < plan->up.n; i++)
		fprintf(app->out, "Detected %s\n", plan->up.items[i].summary);
}

static int refuse(const struct sd_plan *plan, struct app *app,
		  struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"autogenerate cannot write %zu change%s: %s must be written by hand",
		plan->nproblems, plan->nproblems == 1 ? "" : "s",
		plan->nproblems == 1 ? "it" : "they");
	for (size_t i = 0; i < plan->nproblems; i++)
		error_detail(err, "%s", plan->problems[i]);
	error_hint(
		err,
		"Write a revision by hand for these objects (retort revision -m ...), upgrade, then autogenerate again; %s must declare them as the database will have them.",
		schema_path(app));
	return -1;
}

struct sources {
	struct source_set set;
	struct revmap *map;
};

static int generate(struct app *app, const struct cmd_args *args,
		    struct sources *src, const char *dir,
		    struct retort_error *err)
{
	struct sd_plan plan;
	struct draft drafts[SD_NPARTS];
	const char *head;
	size_t nd = 0;
	int rc = -1;

	memset(drafts, 0, sizeof(drafts));
	if (source_head(src->map, &head, err) < 0 ||
	    app_connect(app, err) < 0 || check_at_head(app, head, err) < 0 ||
	    compare(app, &plan, err) < 0)
		return -1;
	if (plan.nproblems) {
		refuse(&plan, app, err);
	} else if (sd_plan_is_empty(&plan)) {
		fprintf(app->out, "No changes detected\n");
		rc = 0;
	} else if (make_drafts(app, args, src->map, head, &plan, drafts, &nd,
			       err) == 0) {
		print_detected(app, &plan);
		rc = write_drafts(app, dir, drafts, nd, err);
	}
	drafts_release(drafts, nd);
	sd_plan_release(&plan);
	return rc;
}

int autogen_revision(struct app *app, const struct cmd_args *args,
		     struct retort_error *err)
{
	const char *dir =
		args->version_path ? args->version_path : app->cfg.sources;
	struct sources src = { 0 };
	int rc = -1;

	if (check_args(args, err) < 0)
		return -1;
	if (scaffold_scan(dir, &src.set, err) == 0 &&
	    revmap_build(src.set.metas, src.set.n, &src.map, err) == 0)
		rc = generate(app, args, &src, dir, err);
	revmap_free(src.map);
	source_set_release(&src.set);
	return rc;
}

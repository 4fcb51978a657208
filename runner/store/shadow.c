/*
 * shadow.c - the shadow database: connecting to one, creating and
 * dropping a scratch one, loading a script into it, and stopping cleanly
 * on SIGINT and SIGTERM.
 *
 * Connections are made by db_connect_timeout(), so a shadow gets the
 * main connection's timeout, its checks of the URL and its care never to
 * put a connection string in an error.  While a shadow is open the signal
 * handler only cancels the running statements (PQcancel is signal-safe):
 * the scratch database is dropped by the code that then returns.  Never
 * prints.
 */
#include "store/shadow.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/strbuf.h"

/* ---- stopping cleanly on SIGINT and SIGTERM ---- */

static volatile sig_atomic_t stop_signal;
static PGcancel *volatile stop_cancel[2]; /* the admin's, the shadow's */
static struct sigaction old_int, old_term;
static bool catching;

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

/* From here on a signal cancels what runs on the admin's connection. */
static void catch_signals(struct shadow *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	stop_cancel[0] = s->admin->cancel;
	stop_cancel[1] = NULL;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	catching = true;
}

/* Before the handles are freed: a signal then only marks the run. */
static void cancel_nothing(void)
{
	stop_cancel[0] = NULL;
	stop_cancel[1] = NULL;
}

static void stop_catching(void)
{
	cancel_nothing();
	if (!catching)
		return;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	catching = false;
}

int shadow_interrupted(struct retort_error *err)
{
	if (!stop_signal)
		return 0;
	return error_set(err,
			 stop_signal == SIGTERM ? RETORT_INTERRUPTED_TERM
						: RETORT_INTERRUPTED_INT,
			 "interrupted by %s",
			 stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- connecting ---- */

/* A setting of conn as libpq settled it (URL, options, PG* variables). */
static char *conn_setting(PGconn *conn, const char *keyword)
{
	PQconninfoOption *opts = PQconninfo(conn);
	char *value = NULL;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val && o->val[0])
			value = strdup(o->val);
	PQconninfoFree(opts);
	return value;
}

static void add_setting(struct strbuf *b, const char *keyword,
			const char *value)
{
	strbuf_addf(b, "%s%s='", b->len ? " " : "", keyword);
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addc(b, '\\');
		strbuf_addc(b, *p);
	}
	strbuf_addc(b, '\'');
}

/* The settings a command line must not show. */
static bool is_secret(const char *keyword)
{
	return strcmp(keyword, "password") == 0 ||
	       strcmp(keyword, "sslpassword") == 0;
}

char *shadow_conninfo(struct pg_conn *conn, const char *dbname, bool password)
{
	PQconninfoOption *opts = PQconninfo(conn);
	struct strbuf b = STRBUF_INIT;

	if (opts == NULL)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "dbname") != 0 &&
		    (password || !is_secret(o->keyword)))
			add_setting(&b, o->keyword, o->val);
	add_setting(&b, "dbname", dbname);
	PQconninfoFree(opts);
	return strbuf_finish(&b);
}

int shadow_connect(struct shadow *s, struct db *admin, const char *url,
		   struct retort_error *err)
{
	char *timeout = conn_setting(admin->conn, "connect_timeout");
	const char *name;
	int rc;

	s->admin = admin;
	/* No handler of ours yet: db_connect_timeout() then stops the
	 * attempt on SIGINT or SIGTERM itself. */
	rc = db_connect_timeout(&s->db, url, timeout, admin->table,
				admin->schema, err);
	free(timeout);
	if (rc < 0)
		return -1;
	name = PQdb(s->db.conn);
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	catch_signals(s);
	stop_cancel[1] = s->db.cancel;
	return 0;
}

/* retort_shadow_<pid>_<8 hex digits>: a plain name that says what it is. */
static int scratch_name(char *out, size_t size, struct retort_error *err)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return error_set(err, RETORT_FAILED,
				 "cannot read random bytes: %s",
				 strerror(errno));
	snprintf(out, size, "retort_shadow_%ld_%08" PRIx32, (long)getpid(), r);
	return 0;
}

int shadow_create(struct shadow *s, struct db *admin, struct retort_error *err)
{
	char sql[128], *conninfo;
	int rc;

	s->admin = admin;
	catch_signals(s);
	if (scratch_name(s->name, sizeof(s->name), err) < 0)
		return -1;
	/* A plain name: no quoting needed.  template0: nothing but what
	 * the declared schema creates. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0",
		 s->name);
	s->created = true;
	if (db_exec(admin, sql, 0, NULL, err) < 0) {
		error_prefix(err, "cannot create the shadow database");
		error_detail(err, "database: %s", s->name);
		error_hint(
			err,
			"This command works in a scratch database on the same server: grant the user CREATEDB, or pass --shadow-url with an empty database it may use.");
		return -1;
	}
	conninfo = shadow_conninfo(admin->conn, s->name, true);
	if (conninfo == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	rc = db_connect_timeout(&s->db, conninfo, NULL, admin->table,
				admin->schema, err);
	free(conninfo);
	stop_cancel[1] = s->db.cancel;
	return rc;
}

char *shadow_settings(const struct shadow *s)
{
	return s->db.conn ? shadow_conninfo(s->db.conn, s->name, true) : NULL;
}

void shadow_catch_again(struct shadow *s)
{
	catch_signals(s);
	stop_cancel[1] = s->db.conn ? s->db.cancel : NULL;
}

/* ---- using it ---- */

int shadow_run_script(struct shadow *s, const char *script, long *position,
		      struct retort_error *err)
{
	PGresult *res = PQexec(s->db.conn, script);
	ExecStatusType st = PQresultStatus(res);
	const char *pos;

	*position = 0;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return 0;
	}
	pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	if (pos)
		*position = atol(pos);
	db_error_from_result(err, s->db.conn, res);
	PQclear(res);
	return -1;
}

static const char sql_user_objects[] =
	"SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_type WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_proc WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_extension WHERE oid >= 16384)"
	" + (SELECT count(*) FROM pg_catalog.pg_namespace WHERE oid >= 16384"
	" AND nspname OPERATOR(pg_catalog.!~) '^pg_')";

int shadow_check_empty(struct shadow *s, struct retort_error *err)
{
	struct db_rows *rows = db_query(&s->db, sql_user_objects, 0, NULL, err);
	bool empty;

	if (rows == NULL) {
		error_prefix(err, "cannot inspect the shadow database");
		return -1;
	}
	empty = db_nrows(rows) == 1 && db_value(rows, 0, 0) &&
		strcmp(db_value(rows, 0, 0), "0") == 0;
	db_rows_free(rows);
	if (empty)
		return 0;
	error_set(err, RETORT_USAGE, "the shadow database is not empty");
	error_detail(err, "database %s holds user objects of its own", s->name);
	error_hint(err, "Give --shadow-url an empty database.");
	return -1;
}

/*
 * What a clone and the plan run on it created in a --shadow-url database,
 * as DROP statements: every extension and schema of the user's, then the
 * relations, types and routines left in the schemas that come with a new
 * database (public).  The kinds shadow_check_empty() counts, so that the
 * next run finds the database empty again.
 */
static const char sql_drop_user_objects[] =
	"SELECT pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE',"
	" extname) FROM pg_catalog.pg_extension WHERE oid >= 16384"
	" UNION ALL SELECT pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE',"
	" nspname) FROM pg_catalog.pg_namespace WHERE oid >= 16384"
	" AND nspname OPERATOR(pg_catalog.!~) '^pg_'"
	" UNION ALL SELECT pg_catalog.format('DROP %s IF EXISTS %s CASCADE',"
	" CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
	" WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'"
	" ELSE 'TABLE' END, oid::pg_catalog.regclass)"
	" FROM pg_catalog.pg_class WHERE oid >= 16384"
	" AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
	" UNION ALL SELECT pg_catalog.format('DROP %s IF EXISTS %s CASCADE',"
	" CASE typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,"
	" oid::pg_catalog.regtype) FROM pg_catalog.pg_type t"
	" WHERE oid >= 16384 AND (typtype IN ('e', 'd', 'r') OR (typtype = 'c'"
	" AND (SELECT relkind FROM pg_catalog.pg_class"
	" WHERE oid OPERATOR(pg_catalog.=) t.typrelid) = 'c'))"
	" UNION ALL SELECT pg_catalog.format('DROP %s IF EXISTS %s CASCADE',"
	" CASE prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE'"
	" ELSE 'FUNCTION' END, oid::pg_catalog.regprocedure)"
	" FROM pg_catalog.pg_proc WHERE oid >= 16384";

/* Empty a --shadow-url database a clone filled. */
static int empty_given(struct shadow *s, struct retort_error *err)
{
	struct db_rows *rows;
	int rc = 0;

	if (db_exec(&s->db, "RESET ALL", 0, NULL, err) < 0)
		return -1;
	rows = db_query(&s->db, sql_drop_user_objects, 0, NULL, err);
	if (rows == NULL)
		return -1;
	for (size_t i = 0; i < db_nrows(rows) && rc == 0; i++)
		rc = db_exec(&s->db, db_value(rows, i, 0), 0, NULL, err);
	db_rows_free(rows);
	return rc;
}

/* ---- closing ---- */

static int drop_failed(struct shadow *s, int rc, struct retort_error *drop,
		       struct retort_error *err)
{
	if (rc == 0)
		*err = *drop;
	else
		error_detail(
			err,
			"and the shadow database %s could not be dropped: %s",
			s->name, drop->msg);
	error_hint(err, "Drop it by hand: DROP DATABASE %s;", s->name);
	return -1;
}

static int empty_failed(struct shadow *s, int rc, struct retort_error *drop,
			struct retort_error *err)
{
	if (rc == 0) {
		*err = *drop;
		error_prefix(err, "cannot empty the shadow database %s",
			     s->name);
	} else {
		error_detail(
			err,
			"and the shadow database %s could not be emptied: %s",
			s->name, drop->msg);
	}
	error_hint(
		err,
		"Empty it by hand (drop what it holds), or give --shadow-url another empty database.");
	return -1;
}

int shadow_close(struct shadow *s, int rc, struct retort_error *err)
{
	struct retort_error drop = { 0 };
	char sql[128];

	if (s->cloned && !s->created && s->db.conn) {
		db_rollback(&s->db);
		if (empty_given(s, &drop) < 0)
			rc = empty_failed(s, rc, &drop, err);
		s->cloned = false;
	}
	cancel_nothing();
	db_close(&s->db);
	if (s->created) {
		snprintf(sql, sizeof(sql),
			 "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->name);
		if (db_exec(s->admin, sql, 0, NULL, &drop) < 0) {
			error_prefix(&drop, "cannot drop the shadow database");
			rc = drop_failed(s, rc, &drop, err);
		} else if (rc < 0 && stop_signal) {
			error_detail(err, "the shadow database %s was dropped",
				     s->name);
		}
		s->created = false;
	}
	stop_catching();
	return rc;
}

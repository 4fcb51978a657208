/*
 * db.c - the connection, the runner's statements and transactions, the one
 * round trip per revision.
 *
 * Identifiers are quoted with libpq; values are parameters but where a
 * statement travels with a revision's BEGIN or COMMIT (db.h, "Values in
 * SQL").  The version table's rows are version_table.c's.  Never prints,
 * and never puts a connection string in an error: it may hold a password.
 */
#include "store/db.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "proc/isolate.h"

/* How often a connection attempt looks for a signal or its deadline. */
#define CONNECT_SLICE_MS 100

/*
 * libpq's parse errors quote the connection text, which may hold a
 * password (and quotes nest: "]" inside "postgresql://..."): keep only
 * what comes before the first quote.
 */
static void cut_at_quote(char *msg)
{
	size_t n = strcspn(msg, "\"");

	while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == ':'))
		n--;
	msg[n] = '\0';
}

static void strip_newline(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

bool db_is_keyword(const char *name)
{
	PQconninfoOption *opts = PQconndefaults();
	bool found = opts == NULL; /* out of memory: libpq judges later */

	for (PQconninfoOption *o = opts; o && o->keyword && !found; o++)
		found = strcmp(o->keyword, name) == 0;
	PQconninfoFree(opts);
	return found;
}

/* A value plain enough to quote in a message (not a password's bytes). */
static bool is_plain(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 32 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+") == len;
}

static bool is_port(const char *s, size_t len)
{
	long port = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

static int bad_value(const char *keyword, const char *value, const char *hint,
		     struct retort_error *err)
{
	if (is_plain(value))
		error_set(err, RETORT_USAGE,
			  "invalid %s \"%s\" in the database URL", keyword,
			  value);
	else
		error_set(err, RETORT_USAGE, "invalid %s in the database URL",
			  keyword);
	error_hint(err, "%s", hint);
	return -1;
}

/* Each of a multi-host URL's ports: empty (the default) or 1 to 65535. */
static int check_ports(const char *ports, struct retort_error *err)
{
	char one[64];
	size_t len;

	for (;;) {
		len = strcspn(ports, ",");
		if (len > 0 && !is_port(ports, len)) {
			snprintf(one, sizeof(one), "%.*s", (int)len, ports);
			return bad_value(
				"port", len < sizeof(one) ? one : "",
				"A port is a number from 1 to 65535 (PostgreSQL's default is 5432).",
				err);
		}
		if (ports[len] == '\0')
			return 0;
		ports += len + 1;
	}
}

static int check_sslmode(const char *mode, struct retort_error *err)
{
	static const char *const modes[] = { "disable",	  "allow",
					     "prefer",	  "require",
					     "verify-ca", "verify-full" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(mode, modes[i]) == 0)
			return 0;
	return bad_value(
		"sslmode", mode,
		"sslmode is one of disable, allow, prefer, require, verify-ca, verify-full.",
		err);
}

static int check_timeout(const char *secs, struct retort_error *err)
{
	size_t digits = strspn(secs, "0123456789");

	if (digits > 0 && digits <= 9 && secs[digits] == '\0')
		return 0;
	return bad_value(
		"connect_timeout", secs,
		"connect_timeout is a whole number of seconds (0 = wait for ever).",
		err);
}

/*
 * Values libpq would refuse only once it tries to connect, as a failed
 * connection (exit 1): they are usage errors, found before connecting.
 */
static int check_values(const PQconninfoOption *opts, struct retort_error *err)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "port") == 0 &&
		    check_ports(o->val, err) < 0)
			return -1;
		if (strcmp(o->keyword, "sslmode") == 0 &&
		    check_sslmode(o->val, err) < 0)
			return -1;
		if (strcmp(o->keyword, "connect_timeout") == 0 &&
		    check_timeout(o->val, err) < 0)
			return -1;
	}
	return 0;
}

/* libpq's parse error without the connection text it quotes. */
static void parse_error_detail(char *why, struct retort_error *err)
{
	static const char missing[] = "missing \"=\"";
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", why);
	strip_newline(buf);
	/* 'missing "=" after "WORD"': the word may be part of a password. */
	if (strncmp(buf, missing, sizeof(missing) - 1) == 0) {
		error_detail(
			err,
			"a word without \"=\": a value holding spaces must be quoted (password='a b')");
		return;
	}
	cut_at_quote(buf);
	error_detail(err, "%s", buf);
}

/* A bad URL is found before any connection is tried. */
static int check_url(const char *url, struct retort_error *err)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &why);
	int rc;

	if (opts) {
		rc = check_values(opts, err);
		PQconninfoFree(opts);
		return rc;
	}
	error_set(err, RETORT_USAGE, "invalid database URL");
	if (why) {
		parse_error_detail(why, err);
		PQfreemem(why);
	}
	error_hint(
		err,
		"Use postgresql://user:password@host:port/dbname or keyword=value pairs (host=... dbname=...).");
	return -1;
}

static void describe_target(struct db *db)
{
	const char *host = PQhost(db->conn), *port = PQport(db->conn);
	const char *name = PQdb(db->conn), *user = PQuser(db->conn);
	size_t len;

	len = strlen(host ? host : "") + strlen(port ? port : "") +
	      strlen(name ? name : "") + strlen(user ? user : "") + 64;
	db->target = malloc(len);
	if (db->target)
		snprintf(db->target, len, "host %s port %s database %s user %s",
			 host && *host ? host : "(default)",
			 port && *port ? port : "(default)", name ? name : "",
			 user ? user : "");
}

static int connect_failed(struct db *db, struct retort_error *err)
{
	char why[768];

	snprintf(why, sizeof(why), "%s", PQerrorMessage(db->conn));
	strip_newline(why);
	error_set(err, RETORT_FAILED, "cannot connect to the database");
	error_detail(err, "%s", db->target ? db->target : "");
	error_detail(err, "%s", why);
	error_hint(
		err,
		"Check that the server is running and that the URL (--url, DATABASE_URL, .env or retort.ini) names the right host, port, database, user and password.");
	return -1;
}

/* libpq's quoting, in memory of our own (libpq's needs PQfreemem). */
static char *quoted(PGconn *conn, const char *s, bool ident)
{
	char *q = ident ? PQescapeIdentifier(conn, s, strlen(s))
			: PQescapeLiteral(conn, s, strlen(s));
	char *copy = q ? strdup(q) : NULL;

	PQfreemem(q);
	return copy;
}

char *db_quote_ident(PGconn *conn, const char *name)
{
	return quoted(conn, name, true);
}

char *db_quote_literal(PGconn *conn, const char *value)
{
	return quoted(conn, value, false);
}

char *db_quote_qualified(PGconn *conn, const char *schema, const char *name)
{
	char *qschema = schema ? db_quote_ident(conn, schema) : NULL;
	char *qname = db_quote_ident(conn, name);
	struct strbuf b = STRBUF_INIT;
	char *out = NULL;

	if (qname && (qschema || !schema)) {
		strbuf_addf(&b, "%s%s%s", qschema ? qschema : "",
			    qschema ? "." : "", qname);
		out = strbuf_finish(&b);
	}
	free(qschema);
	free(qname);
	return out;
}

void db_add_literal(struct strbuf *sql, PGconn *conn, const char *value)
{
	char *lit = value ? db_quote_literal(conn, value) : NULL;

	if (value && !lit)
		sql->failed = true;
	else
		strbuf_add(sql, value ? lit : "NULL");
	free(lit);
}

/* The version table's name, and its primary key's: Alembic's
 * <table>_pkc, so that both tools agree. */
static int quote_version_table(struct db *db, const char *table,
			       const char *schema, struct retort_error *err)
{
	struct strbuf pkey = STRBUF_INIT;
	char *pkey_name;

	strbuf_addf(&pkey, "%s_pkc", table);
	pkey_name = strbuf_finish(&pkey);
	db->version_pkey =
		pkey_name ? db_quote_ident(db->conn, pkey_name) : NULL;
	free(pkey_name);
	db->version_table = db_quote_qualified(db->conn, schema, table);
	if (!db->version_pkey || !db->version_table)
		return error_set(err, RETORT_FAILED,
				 "cannot quote the version table name");
	return 0;
}

static void ignore_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static volatile sig_atomic_t connect_signal;

static void on_connect_signal(int sig)
{
	connect_signal = sig;
}

/*
 * Catch SIGINT and SIGTERM while connecting, unless someone (the worker of
 * isolate.c) already does: libpq's own wait would sleep through them.
 */
static void catch_stop(bool on, struct sigaction old[2])
{
	static const int sigs[2] = { SIGINT, SIGTERM };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_connect_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 2; i++) {
		if (!on) {
			sigaction(sigs[i], &old[i], NULL);
			continue;
		}
		sigaction(sigs[i], NULL, &old[i]);
		if (old[i].sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
}

/* The signal that asks to stop, ours or the worker's; 0 if none. */
static int stop_requested(void)
{
	return connect_signal ? connect_signal : isolate_interrupted();
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* connect_timeout as libpq settled it (URL, option, PGCONNECT_TIMEOUT). */
static int effective_timeout(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn);
	int secs = 0;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
			secs = atoi(o->val);
	PQconninfoFree(opts);
	/* libpq waits at least 2 s: 1 s could pass before the first try. */
	return secs == 1 ? 2 : secs < 0 ? 0 : secs;
}

enum wait_end { WAIT_DONE, WAIT_TIMEOUT, WAIT_STOPPED };

/*
 * PQconnectPoll's loop, as PQconnectdb runs it, but waking every slice to
 * see a signal (libpq's own wait retries through EINTR) or the deadline.
 */
static enum wait_end connect_wait(PGconn *conn)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int secs = effective_timeout(conn);
	double deadline = now_seconds() + secs;
	struct pollfd p;
	int rc;

	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		if (stop_requested())
			return WAIT_STOPPED;
		if (secs > 0 && now_seconds() >= deadline)
			return WAIT_TIMEOUT;
		p.fd = PQsocket(conn);
		p.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		p.revents = 0;
		if (p.fd < 0)
			return WAIT_DONE;
		rc = poll(&p, 1, CONNECT_SLICE_MS);
		if (rc == 0 || (rc < 0 && errno == EINTR))
			continue;
		st = PQconnectPoll(conn);
	}
	return WAIT_DONE;
}

static int connect_timed_out(struct db *db, struct retort_error *err)
{
	error_set(err, RETORT_FAILED,
		  "cannot connect to the database: no answer within %d seconds",
		  effective_timeout(db->conn));
	error_detail(err, "%s", db->target ? db->target : "");
	error_hint(
		err,
		"Check that the server is running and reachable at that host and port; --connect-timeout SECONDS (or connect_timeout in retort.ini or the URL) waits longer, 0 for ever.");
	return -1;
}

static int connect_stopped(struct db *db, int sig, bool ours,
			   struct retort_error *err)
{
	error_set(err,
		  sig == SIGTERM ? RETORT_INTERRUPTED_TERM
				 : RETORT_INTERRUPTED_INT,
		  "cannot connect to the database: the attempt was stopped");
	error_detail(err, "%s", db->target ? db->target : "");
	/* The worker's own reporting names the signal; say it here too. */
	if (ours)
		error_prefix(err, "interrupted by %s",
			     sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return -1;
}

/* Connect, or fill err; db->conn is set either way unless memory ran out. */
static int open_conn(struct db *db, const char *url, const char *timeout,
		     struct retort_error *err)
{
	const char *keys[4], *values[4];
	struct sigaction old[2];
	enum wait_end end;
	int n = 0, sig;

	/* Before "dbname": a connect_timeout in the URL overrides it. */
	if (timeout) {
		keys[n] = "connect_timeout";
		values[n++] = timeout;
	}
	/* expand_dbname lets "dbname" carry a whole URL or keyword string. */
	if (url) {
		keys[n] = "dbname";
		values[n++] = url;
	}
	keys[n] = "fallback_application_name";
	values[n++] = "retort";
	keys[n] = values[n] = NULL;
	connect_signal = 0;
	catch_stop(true, old);
	db->conn = PQconnectStartParams(keys, values, 1);
	end = db->conn && PQstatus(db->conn) != CONNECTION_BAD
		      ? connect_wait(db->conn)
		      : WAIT_DONE;
	sig = connect_signal;
	catch_stop(false, old);
	if (!db->conn)
		return error_set(err, RETORT_FAILED, "out of memory");
	describe_target(db);
	if (end == WAIT_STOPPED)
		return connect_stopped(db, sig ? sig : isolate_interrupted(),
				       sig != 0, err);
	if (end == WAIT_TIMEOUT)
		return connect_timed_out(db, err);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return connect_failed(db, err);
	return 0;
}

int db_connect(struct db *db, const char *url, const char *version_table,
	       const char *version_table_schema, struct retort_error *err)
{
	return db_connect_timeout(db, url, NULL, version_table,
				  version_table_schema, err);
}

int db_connect_timeout(struct db *db, const char *url,
		       const char *connect_timeout, const char *version_table,
		       const char *version_table_schema,
		       struct retort_error *err)
{
	memset(db, 0, sizeof(*db));
	db->version_table_known = -1;
	if (url && check_url(url, err) < 0)
		return -1;
	if (connect_timeout && check_timeout(connect_timeout, err) < 0)
		return -1;
	if (open_conn(db, url, connect_timeout, err) < 0) {
		db_close(db);
		return -1;
	}
	PQsetNoticeReceiver(db->conn, ignore_notice, NULL);
	db->cancel = PQgetCancel(db->conn);
	db->table = strdup(version_table);
	db->schema = version_table_schema ? strdup(version_table_schema) : NULL;
	if (!db->table || (version_table_schema && !db->schema)) {
		db_close(db);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	if (quote_version_table(db, version_table, version_table_schema, err) <
	    0) {
		db_close(db);
		return -1;
	}
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	free(db->prelude);
	if (db->cancel)
		PQfreeCancel(db->cancel);
	if (db->conn)
		PQfinish(db->conn);
	free(db->version_table);
	free(db->version_pkey);
	free(db->schema);
	free(db->table);
	free(db->target);
	free(db->tenant_path);
	memset(db, 0, sizeof(*db));
}

/* The lock's fence failed: another runner holds the lease now. */
static int lock_lost(struct retort_error *err)
{
	error_set(
		err, RETORT_FAILED,
		"this runner no longer holds the migration lock: another runner took it over after this one's lease expired");
	error_detail(err, "SQLSTATE 42704 (from the lock's fence)");
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", "42704");
	error_hint(
		err,
		"Nothing more was committed by this runner. Run `retort current` to see where the database stands; if runs stall longer than the lease, raise --lock-lease.");
	return -1;
}

int db_error_from_result(struct retort_error *err, PGconn *conn,
			 const PGresult *res)
{
	const char *primary = NULL, *detail = NULL, *hint = NULL;
	const char *state = NULL, *context = NULL;

	if (res) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	}
	/* libpq's own messages (a lost connection) have no fields and span
	 * several lines: "server closed the connection unexpectedly\n\tThis
	 * probably means ...". */
	if (!primary)
		primary = conn ? PQerrorMessage(conn) : "unknown error";
	if (state && strcmp(state, "42704") == 0 &&
	    strstr(primary, DB_LOCK_LOST_SETTING))
		return lock_lost(err);
	error_set_text(err, RETORT_FAILED, primary);
	if (detail)
		error_detail(err, "%s", detail);
	if (context)
		error_detail(err, "context: %s", context);
	if (state) {
		error_detail(err, "SQLSTATE %s", state);
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	}
	if (hint)
		error_hint(err, "%s", hint);
	return -1;
}

/* Run a statement with text parameters; the caller clears the result. */
PGresult *db_run(struct db *db, const char *sql, int nparams,
		 const char *const *values, struct retort_error *err)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, values, NULL,
				     NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	db_error_from_result(err, db->conn, res);
	PQclear(res);
	return NULL;
}

/* A db_rows is libpq's result under another name: nothing to allocate. */
struct db_rows *db_query(struct db *db, const char *sql, int nparams,
			 const char *const *values, struct retort_error *err)
{
	return (struct db_rows *)db_run(db, sql, nparams, values, err);
}

int db_exec(struct db *db, const char *sql, int nparams,
	    const char *const *values, struct retort_error *err)
{
	PGresult *res = db_run(db, sql, nparams, values, err);

	PQclear(res);
	return res ? 0 : -1;
}

size_t db_nrows(const struct db_rows *rows)
{
	return (size_t)PQntuples((const PGresult *)rows);
}

const char *db_value(const struct db_rows *rows, size_t row, int col)
{
	const PGresult *res = (const PGresult *)rows;

	if (PQgetisnull(res, (int)row, col))
		return NULL;
	return PQgetvalue(res, (int)row, col);
}

unsigned long db_affected(const struct db_rows *rows)
{
	return strtoul(PQcmdTuples((PGresult *)rows), NULL, 10);
}

void db_rows_free(struct db_rows *rows)
{
	PQclear((PGresult *)rows);
}

int db_table_exists(struct db *db, const char *table, bool *exists,
		    struct retort_error *err)
{
	const char *params[] = { table };
	struct db_rows *rows = db_query(
		db, "SELECT to_regclass($1) IS NOT NULL", 1, params, err);

	if (!rows)
		return -1;
	*exists = strcmp(db_value(rows, 0, 0), "t") == 0;
	db_rows_free(rows);
	return 0;
}

enum db_state db_state(const struct db *db)
{
	if (PQstatus(db->conn) == CONNECTION_BAD)
		return DB_LOST;
	switch (PQtransactionStatus(db->conn)) {
	case PQTRANS_IDLE:
		return DB_IDLE;
	case PQTRANS_INTRANS:
		return DB_IN_TRANSACTION;
	case PQTRANS_INERROR:
		return DB_IN_FAILED_TRANSACTION;
	case PQTRANS_ACTIVE:
		return DB_BUSY;
	default:
		return DB_LOST;
	}
}

/*
 * Per-revision limits.  In a transaction they are SET LOCAL (is_local),
 * so nothing outlives the revision; an autocommit revision sets them for
 * the session and resets them after with db_reset_timeouts().
 */
int db_set_timeouts(struct db *db, const char *lock_timeout,
		    const char *statement_timeout, bool is_local,
		    struct retort_error *err)
{
	const char *params[] = { lock_timeout ? lock_timeout : "",
				 statement_timeout ? statement_timeout : "",
				 is_local ? "t" : "f" };
	PGresult *res;

	if (!lock_timeout && !statement_timeout)
		return 0;
	res = db_run(db,
		     "SELECT CASE WHEN $1 <> '' THEN"
		     " set_config('lock_timeout', $1, $3::boolean) END,"
		     " CASE WHEN $2 <> '' THEN"
		     " set_config('statement_timeout', $2, $3::boolean) END",
		     3, params, err);
	if (!res) {
		error_prefix(err, "cannot set the revision's timeouts");
		return -1;
	}
	PQclear(res);
	return 0;
}

void db_reset_timeouts(struct db *db)
{
	PQclear(PQexec(db->conn,
		       "RESET lock_timeout; RESET statement_timeout"));
}

/* ---- one round trip per revision ---- */

static int append_sql(struct db *db, char **buf, const char *sql,
		      struct retort_error *err)
{
	size_t old = *buf ? strlen(*buf) : 0, add = strlen(sql);
	char *grown = realloc(*buf, old + add + 3);

	(void)db;
	if (!grown)
		return error_set(err, RETORT_FAILED, "out of memory");
	memcpy(grown + old, sql, add);
	memcpy(grown + old + add, ";\n", 3);
	*buf = grown;
	return 0;
}

int db_prelude(struct db *db, const char *sql, struct retort_error *err)
{
	return append_sql(db, &db->prelude, sql, err);
}

bool db_prelude_pending(const struct db *db)
{
	return db->prelude != NULL;
}

/* Read every result of the query in flight; keep the first error. */
static int drain(struct db *db, PGresult **last, bool track,
		 struct retort_error *err)
{
	PGresult *res;
	int rc = 0;

	if (last)
		*last = NULL;
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		/* A revision's own COMMIT or ROLLBACK ends the step's
		 * transaction: remember it, to tell what stays applied. */
		if (track && (strcmp(PQcmdStatus(res), "COMMIT") == 0 ||
			      strcmp(PQcmdStatus(res), "ROLLBACK") == 0))
			db->ended_by_revision = true;

		if (st == PGRES_FATAL_ERROR && rc == 0) {
			db_error_from_result(err, db->conn, res);
			rc = -1;
		}
		if (last && rc == 0 && st != PGRES_FATAL_ERROR) {
			PQclear(*last);
			*last = res;
		} else {
			PQclear(res);
		}
	}
	if (rc < 0 && last) {
		PQclear(*last);
		*last = NULL;
	}
	return rc;
}

int db_collect(struct db *db, struct retort_error *err)
{
	if (!db->in_flight)
		return 0;
	db->in_flight = false;
	return drain(db, NULL, false, err);
}

static int send_query(struct db *db, const char *sql, struct retort_error *err)
{
	if (PQsendQuery(db->conn, sql) && PQflush(db->conn) == 0)
		return 0;
	return db_error_from_result(err, db->conn, NULL);
}

/* The prelude, then sql, as one message: one round trip. */
static char *with_prelude(struct db *db, const char *sql,
			  struct retort_error *err)
{
	char *text = db->prelude;

	db->prelude = NULL;
	if (sql && append_sql(db, &text, sql, err) < 0) {
		free(text);
		return NULL;
	}
	if (!text)
		text = strdup("");
	if (!text)
		error_set(err, RETORT_FAILED, "out of memory");
	return text;
}

PGresult *db_exec_batch(struct db *db, const char *sql,
			struct retort_error *err)
{
	PGresult *last = NULL;
	char *text;
	int rc;

	if (db_collect(db, err) < 0)
		return NULL;
	text = with_prelude(db, sql, err);
	if (!text)
		return NULL;
	rc = send_query(db, text, err);
	free(text);
	if (rc < 0 || drain(db, &last, true, err) < 0)
		return NULL;
	if (!last)
		last = PQmakeEmptyPGresult(db->conn, PGRES_EMPTY_QUERY);
	return last;
}

int db_send_async(struct db *db, const char *sql, struct retort_error *err)
{
	char *text;
	int rc;

	if (db_collect(db, err) < 0)
		return -1;
	text = with_prelude(db, sql, err);
	if (!text)
		return -1;
	rc = send_query(db, text, err);
	free(text);
	if (rc == 0)
		db->in_flight = true;
	return rc;
}

void db_discard_prelude(struct db *db)
{
	free(db->prelude);
	db->prelude = NULL;
}

int db_flush(struct db *db, struct retort_error *err)
{
	PGresult *res;

	if (db_collect(db, err) < 0)
		return -1;
	if (!db->prelude)
		return 0;
	res = db_exec_batch(db, NULL, err);
	PQclear(res);
	return res ? 0 : -1;
}

/* "; SET LOCAL name = 'value'" (see "Values in SQL" in db.h). */
static void add_set_local(struct strbuf *sql, PGconn *conn, const char *name,
			  const char *value)
{
	if (!value)
		return;
	strbuf_addf(sql, "%sSET LOCAL %s = ", sql->len ? ";\n" : "", name);
	db_add_literal(sql, conn, value);
}

static int prelude_setting(struct db *db, const char *name, const char *value,
			   struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	char *text;
	int rc;

	if (!value)
		return 0;
	add_set_local(&sql, db->conn, name, value);
	text = strbuf_finish(&sql);
	if (!text)
		return error_set(err, RETORT_FAILED, "out of memory");
	rc = db_prelude(db, text, err);
	free(text);
	return rc;
}

/*
 * A mark that lives exactly as long as the step's transaction: SET LOCAL
 * ends with it.  If a revision COMMITs and BEGINs again on its own, the
 * mark is gone by the time the runner would commit, and the step's guard
 * (db_step_guard_sql) fails instead of committing the rest as if nothing
 * had happened.
 */
static void step_mark(char *buf, size_t size)
{
	static unsigned long steps;
	static long pid;

	/* A worker is forked before its first step: ask once per process. */
	if (steps == 0)
		pid = (long)getpid();
	snprintf(buf, size, "%ld.%lu", pid, ++steps);
}

int db_prelude_open(struct db *db, struct retort_error *err)
{
	if (db_prelude(db, "BEGIN", err) < 0 ||
	    (db->tenant_path && db_prelude(db, db->tenant_path, err) < 0))
		return -1;
	return db->fence_begin ? db_prelude(db, db->fence_begin, err) : 0;
}

int db_fence_check(struct db *db, struct retort_error *err)
{
	char *sql;
	PGresult *res;
	size_t len;

	if (!db->fence_begin)
		return 0;
	/* One implicit transaction: checked, then renewed. */
	len = strlen(db->fence_begin) + strlen(db->fence_end) + 3;
	sql = malloc(len);
	if (!sql)
		return error_set(err, RETORT_FAILED, "out of memory");
	snprintf(sql, len, "%s;\n%s", db->fence_begin, db->fence_end);
	res = db_exec_batch(db, sql, err);
	free(sql);
	PQclear(res);
	return res ? 0 : -1;
}

int db_prelude_begin(struct db *db, const char *lock_timeout,
		     const char *statement_timeout, struct retort_error *err)
{
	step_mark(db->mark, sizeof(db->mark));
	db->ended_by_revision = false;
	/* The fence before the revision's lock_timeout: waiting for a
	 * runner that took the lease over is not the revision's wait. */
	if (db_prelude_open(db, err) < 0 ||
	    prelude_setting(db, "lock_timeout", lock_timeout, err) < 0 ||
	    prelude_setting(db, "statement_timeout", statement_timeout, err) <
		    0 ||
	    prelude_setting(db, "retort.step", db->mark, err) < 0)
		return -1;
	return 0;
}

int db_step_guard_sql(struct db *db, const char *literal, char **out,
		      struct retort_error *err)
{
	/* current_setting() is stable, so the planner leaves the ELSE arm
	 * alone: it is evaluated, and fails, only when the mark is gone. */
	static const char fmt[] =
		"CASE WHEN pg_catalog.current_setting('retort.step', true) = '%s'"
		" THEN %s ELSE pg_catalog.current_setting('" DB_STEP_ENDED_SETTING
		"') END";
	size_t len = sizeof(fmt) + strlen(db->mark) + strlen(literal);

	/* The mark is digits and a dot: safe inside the literal. */
	*out = malloc(len);
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	snprintf(*out, len, fmt, db->mark, literal);
	return 0;
}

bool db_is_step_ended(const struct retort_error *err)
{
	return strcmp(err->sqlstate, "42704") == 0 &&
	       strstr(err->msg, DB_STEP_ENDED_SETTING) != NULL;
}

/* ---- transactions of the runner's own ---- */

/* Statements of the runner's, several in one message, waited for: the
 * last one's result (the caller clears it), or NULL with err filled. */
static PGresult *run_script(struct db *db, const char *sql,
			    struct retort_error *err)
{
	PGresult *last = NULL;

	if (db_collect(db, err) < 0 || send_query(db, sql, err) < 0 ||
	    drain(db, &last, false, err) < 0)
		return NULL;
	if (!last)
		last = PQmakeEmptyPGresult(db->conn, PGRES_EMPTY_QUERY);
	return last;
}

/* The lock's fence, then the settings, in BEGIN's message: waiting for a
 * runner that took the lease over is not the transaction's lock_timeout. */
int db_begin_with(struct db *db, const struct db_setting *set, size_t n,
		  struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	PGresult *res = NULL;
	char *text;

	strbuf_add(&sql, "BEGIN");
	if (db->tenant_path)
		strbuf_addf(&sql, ";\n%s", db->tenant_path);
	if (db->fence_begin)
		strbuf_addf(&sql, ";\n%s", db->fence_begin);
	for (size_t i = 0; i < n; i++)
		add_set_local(&sql, db->conn, set[i].name, set[i].value);
	text = strbuf_finish(&sql);
	if (!text)
		return error_set(err, RETORT_FAILED, "out of memory");
	res = run_script(db, text, err);
	free(text);
	if (!res) {
		db_rollback(db);
		return -1;
	}
	PQclear(res);
	return 0;
}

int db_begin(struct db *db, struct retort_error *err)
{
	return db_begin_with(db, NULL, 0, err);
}

/* The lease is renewed in COMMIT's message: a failed renewal aborts the
 * transaction, and the server skips the COMMIT behind it. */
int db_commit(struct db *db, struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	PGresult *res;
	char *text;
	bool rolled_back;

	if (db->fence_end)
		strbuf_addf(&sql, "%s;\n", db->fence_end);
	strbuf_add(&sql, "COMMIT");
	text = strbuf_finish(&sql);
	if (!text)
		return error_set(err, RETORT_FAILED, "out of memory");
	res = run_script(db, text, err);
	free(text);
	if (!res)
		return -1;
	/* COMMIT of a failed transaction "succeeds" as ROLLBACK. */
	rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
	PQclear(res);
	if (rolled_back)
		return error_set(
			err, RETORT_FAILED,
			"the transaction was rolled back by the server at COMMIT");
	return 0;
}

void db_rollback(struct db *db)
{
	struct retort_error ignored;

	db_discard_prelude(db);
	db_collect(db, &ignored);
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(db->conn, "ROLLBACK"));
}

void db_cancel_from_signal(void *cancel)
{
	char buf[256];

	if (cancel)
		PQcancel(cancel, buf, sizeof(buf));
}

int db_step_mark(struct db *db, struct retort_error *err)
{
	const char *params[1];

	step_mark(db->mark, sizeof(db->mark));
	db->ended_by_revision = false;
	params[0] = db->mark;
	return db_exec(db,
		       "SELECT pg_catalog.set_config('retort.step', $1, true)",
		       1, params, err);
}

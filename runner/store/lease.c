/*
 * lease.c - the migration lock as a lease row in retort_lock (see lease.h).
 *
 * Every statement stands alone and every transaction is short: no
 * session-scoped advisory lock, no SET, no prepared statement, so a pooler
 * may run each transaction on another server connection.  A step's
 * transaction holds the lease row locked from its first statement to its
 * COMMIT, so nobody takes the lease over while a step runs; between steps
 * the row's expiry decides.  Part of the database layer; prints only the
 * "waiting for" lines to the progress stream it is given.
 */
#include "store/lease.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "proc/isolate.h"
#include "base/clock.h"
#include "base/text.h"

/* retort's own first advisory key ("RETR"), for creating the table only. */
#define CREATE_LOCK_CLASS "1380275282"
/* How long an attempt waits for a row that a holder's step has locked. */
#define ATTEMPT_LOCK_TIMEOUT "100ms"
/* Waiters poll: quickly at first, then every half second. */
#define POLL_FIRST_MS 50
#define POLL_MAX_MS 500

/* This runner's holder id, made before its worker is forked, so that the
 * parent can give back what a dead worker held. */
static char holder_id[17];

struct lease {
	char *table; /* retort_lock, quoted, beside the version table */
	char *name;  /* the lock's name ("schema.table"), an SQL literal */
	char secs[32];
	long long token;
	long long ms;
	char *fence_begin, *fence_end, *renew_sql, *release_sql;
	/* The heartbeat: a thread with a connection of its own. */
	char **keys, **values; /* the main connection's options */
	PGconn *beat;
	pthread_t thread;
	bool running, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

void lease_init_holder(void)
{
	unsigned char bytes[8];
	struct timespec ts;

	if (holder_id[0])
		return;
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
		/* No entropy yet: the time and pid still tell runners apart. */
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (unsigned char)((ts.tv_nsec >> (i * 4)) ^
						   (getpid() >> i));
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(holder_id + 2 * i, 3, "%02x", bytes[i]);
}

long long lease_duration_ms(const char *s)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = { { "", 1 },
		      { "ms", 1 },
		      { "s", 1000 },
		      { "min", 60000 },
		      { "h", 3600000 } };
	size_t digits = s ? strspn(s, "0123456789") : 0;
	long long n = 0;

	if (digits == 0 || digits > 9)
		return -1;
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (s[i] - '0');
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + digits, units[i].unit) == 0)
			return n * units[i].ms;
	return -1;
}

static char *printf_alloc(const char *fmt, ...) ERROR_PRINTF(1, 2);

static char *printf_alloc(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *out;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || !(out = malloc((size_t)len + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(out, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return out;
}

/* retort_lock in the version table's schema, or on the search_path as the
 * version table is when no schema is configured. */
static char *lock_table(struct db *db)
{
	char *schema, *out;

	if (!db->schema)
		return strdup(LEASE_TABLE);
	schema = db_quote_ident(db->conn, db->schema);
	out = schema ? printf_alloc("%s." LEASE_TABLE, schema) : NULL;
	free(schema);
	return out;
}

static void lease_free(struct lease *l)
{
	if (!l)
		return;
	free(l->table);
	free(l->name);
	free(l->fence_begin);
	free(l->fence_end);
	free(l->renew_sql);
	free(l->release_sql);
	for (size_t i = 0; l->keys && l->keys[i]; i++) {
		free(l->keys[i]);
		free(l->values[i]);
	}
	free(l->keys);
	free(l->values);
	free(l);
}

/* ---- creating the table ---- */

/*
 * Two runners may create it at once; a transaction-scoped advisory lock
 * (it ends with its transaction, so a pooler cannot strand it) makes the
 * second wait and find the table there.
 */
static const char create_sql[] =
	"SELECT pg_catalog.pg_advisory_xact_lock(" CREATE_LOCK_CLASS
	", pg_catalog.hashtext(%s));"
	" CREATE TABLE IF NOT EXISTS %s ("
	" lock_name text PRIMARY KEY," /* the version table it guards */
	" token bigint NOT NULL,"      /* the fencing token */
	" runner text NOT NULL, host text NOT NULL, pid integer NOT NULL,"
	" db_user text NOT NULL, acquired timestamptz NOT NULL,"
	" renewed timestamptz NOT NULL, expires timestamptz NOT NULL,"
	" released timestamptz," /* NULL while held */
	" holder_id text NOT NULL,"
	" took_over text)"; /* whose expired lease it took, if any */

static int create_table(struct db *db, const struct lease *l,
			struct retort_error *err)
{
	char *tlit = db_quote_literal(db->conn, l->table);
	char *sql = tlit ? printf_alloc(create_sql, tlit, l->table) : NULL;
	PGresult *res;
	int rc = 0;

	free(tlit);
	if (!sql)
		return error_set(err, RETORT_FAILED, "out of memory");
	res = PQexec(db->conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_error_from_result(err, db->conn, res);
		error_prefix(err, "cannot create the lock table %s", l->table);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* ---- one attempt ---- */

enum attempt { ATTEMPT_GOT, ATTEMPT_BUSY, ATTEMPT_NO_TABLE, ATTEMPT_FAILED };

/*
 * The lease is free when it was given back or has expired; taking it
 * raises the token, so a holder that lost it can tell.  A row that a
 * holder's step has locked is busy: the attempt gives up after a moment
 * rather than queue behind the step.
 */
static char *attempt_sql(struct db *db, const struct lease *l)
{
	char host[256] = "unknown", pid[32];
	char *schema =
		db->schema ? db_quote_literal(db->conn, db->schema) : NULL;
	char *table = db_quote_literal(db->conn, db->table);
	char *vt = db_quote_literal(db->conn, db->version_table);
	char *hostlit, *runner, *sql = NULL;

	lease_init_holder();
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%ld", isolate_runner_pid());
	hostlit = db_quote_literal(db->conn, host);
	runner = db_quote_literal(db->conn, "retort " RETORT_VERSION);
	if ((!db->schema || schema) && table && vt && hostlit && runner)
		sql = printf_alloc(
			"SET LOCAL lock_timeout = '" ATTEMPT_LOCK_TIMEOUT "';"
			" INSERT INTO %s AS l (lock_name, token, runner, host,"
			" pid, db_user, acquired, renewed, expires, holder_id)"
			" VALUES (coalesce(%s, pg_catalog.current_schema())"
			" || '.' || %s, 1, %s, %s, %s, current_user,"
			" clock_timestamp(), clock_timestamp(),"
			" clock_timestamp() + make_interval(secs => %s), '%s')"
			" ON CONFLICT (lock_name) DO UPDATE SET"
			" token = l.token + 1, runner = excluded.runner,"
			" host = excluded.host, pid = excluded.pid,"
			" db_user = excluded.db_user,"
			" acquired = excluded.acquired,"
			" renewed = excluded.renewed,"
			" expires = excluded.expires, released = NULL,"
			" holder_id = excluded.holder_id,"
			" took_over = CASE WHEN l.released IS NULL THEN"
			" l.runner || ' pid ' || l.pid || ' on ' || l.host"
			" || ' (user ' || l.db_user || '), whose lease expired at '"
			" || to_char(l.expires AT TIME ZONE 'UTC',"
			" 'YYYY-MM-DD HH24:MI:SS') || ' UTC' END"
			" WHERE l.released IS NOT NULL"
			" OR l.expires < clock_timestamp()"
			" RETURNING token, lock_name, took_over,"
			" pg_catalog.to_regclass(%s) IS NOT NULL",
			l->table, schema ? schema : "NULL", table, runner,
			hostlit, pid, l->secs, holder_id, vt);
	free(schema);
	free(table);
	free(vt);
	free(hostlit);
	free(runner);
	return sql;
}

/* What one attempt's results say; fills the lease and db when it got it. */
static enum attempt read_attempt(struct db *db, struct lease *l,
				 char **took_over, struct retort_error *err)
{
	enum attempt outcome = ATTEMPT_BUSY;
	bool failed = false;
	PGresult *res;

	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_FATAL_ERROR && !failed) {
			failed = true;
			db_error_from_result(err, db->conn, res);
		} else if (st == PGRES_TUPLES_OK && PQnfields(res) == 4 &&
			   PQntuples(res) == 1) {
			l->token = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			l->name = db_quote_literal(db->conn,
						   PQgetvalue(res, 0, 1));
			if (!PQgetisnull(res, 0, 2))
				*took_over = strdup(PQgetvalue(res, 0, 2));
			db->version_table_known =
				strcmp(PQgetvalue(res, 0, 3), "t") == 0;
			outcome = ATTEMPT_GOT;
		}
		PQclear(res);
	}
	if (!failed)
		return outcome;
	if (strcmp(err->sqlstate, "42P01") == 0)
		return ATTEMPT_NO_TABLE;
	if (strcmp(err->sqlstate, "55P03") == 0)
		return ATTEMPT_BUSY;
	return ATTEMPT_FAILED;
}

static enum attempt attempt(struct db *db, struct lease *l, char **took_over,
			    struct retort_error *err)
{
	char *sql = attempt_sql(db, l);
	enum attempt outcome;

	if (!sql) {
		error_set(err, RETORT_FAILED, "out of memory");
		return ATTEMPT_FAILED;
	}
	if (!PQsendQuery(db->conn, sql)) {
		free(sql);
		db_error_from_result(err, db->conn, NULL);
		return ATTEMPT_FAILED;
	}
	free(sql);
	outcome = read_attempt(db, l, took_over, err);
	if (outcome == ATTEMPT_GOT && !l->name) {
		error_set(err, RETORT_FAILED, "out of memory");
		return ATTEMPT_FAILED;
	}
	return outcome;
}

/* ---- waiting ---- */

/*
 * "retort 0.1.0 pid 4983 on web-1 (user app) since 2026-12-07 10:14:02
 * UTC; its lease expires at 2026-12-07 10:14:32 UTC unless renewed", and
 * its token (0 if it was given back meanwhile).
 */
static long long describe_holder(struct db *db, const char *table, char *buf,
				 size_t size)
{
	const char *params[] = { db->schema, db->table };
	char *sql = printf_alloc(
		"SELECT runner || ' pid ' || pid || ' on ' || host"
		" || ' (user ' || db_user || ')',"
		" to_char(acquired AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
		" to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
		" expires < clock_timestamp(), token FROM %s"
		" WHERE lock_name = coalesce($1, pg_catalog.current_schema())"
		" || '.' || $2 AND released IS NULL",
		table);
	PGresult *res = sql ? PQexecParams(db->conn, sql, 2, NULL, params, NULL,
					   NULL, 0)
			    : NULL;
	long long token = 0;

	free(sql);
	snprintf(buf, size, "another runner, which has just given it back");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		bool expired = strcmp(PQgetvalue(res, 0, 3), "t") == 0;

		snprintf(
			buf, size,
			expired ? "%s since %s UTC; its lease expired at %s UTC, but a step of its is still running (its transaction is open)"
				: "%s since %s UTC; its lease expires at %s UTC unless renewed",
			PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			PQgetvalue(res, 0, 2));
		token = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	}
	PQclear(res);
	return token;
}

static int wait_failed(struct db *db, const char *timeout, const char *holder,
		       struct retort_error *err)
{
	if (isolate_interrupted()) {
		error_set(err, RETORT_FAILED,
			  "stopped while waiting for the migration lock on %s",
			  db->version_table);
		error_detail(err, "held by %s", holder);
		error_detail(err, "nothing was applied");
		return -1;
	}
	error_set(err, RETORT_FAILED,
		  "timed out after %s waiting for the migration lock on %s",
		  timeout, db->version_table);
	error_detail(err, "held by %s", holder);
	error_hint(
		err,
		"Another retort is migrating this database; let it finish, or raise --lock-timeout. A runner that died gives the lock up when its lease expires.");
	return -1;
}

/* Say who holds the lock, once per holder. */
static void report_holder(struct db *db, const struct lease *l,
			  const struct lease_opts *opts, long long *seen,
			  char *holder, size_t size)
{
	long long token = describe_holder(db, l->table, holder, size);

	if (!opts->progress || token == 0 || token == *seen)
		return;
	*seen = token;
	fprintf(opts->progress,
		"retort: waiting for the migration lock on %s, held by ",
		db->version_table);
	text_fput(holder, opts->progress);
	fputc('\n', opts->progress);
	fflush(opts->progress);
}

static int take(struct db *db, struct lease *l, const struct lease_opts *opts,
		long long timeout_ms, char **took_over,
		struct retort_error *err)
{
	long long start = clock_monotonic_ms(), poll = POLL_FIRST_MS, seen = 0;
	bool created = false;
	char holder[768] = "another runner";

	for (;;) {
		switch (attempt(db, l, took_over, err)) {
		case ATTEMPT_GOT:
			return 0;
		case ATTEMPT_FAILED:
			error_prefix(err,
				     "cannot take the migration lock on %s",
				     db->version_table);
			return -1;
		case ATTEMPT_NO_TABLE:
			if (created) {
				error_prefix(
					err,
					"cannot take the migration lock on %s",
					db->version_table);
				return -1;
			}
			if (create_table(db, l, err) < 0)
				return -1;
			created = true;
			continue;
		case ATTEMPT_BUSY:
			break;
		}
		report_holder(db, l, opts, &seen, holder, sizeof(holder));
		if (isolate_interrupted() ||
		    (timeout_ms > 0 &&
		     clock_monotonic_ms() - start >= timeout_ms))
			return wait_failed(db, opts->timeout, holder, err);
		clock_sleep_ms(poll);
		poll = poll * 2 > POLL_MAX_MS ? POLL_MAX_MS : poll * 2;
	}
}

int lease_holder(struct db *db, char *buf, size_t size,
		 struct retort_error *err)
{
	char *table = lock_table(db);
	bool exists = false;
	int rc = -1;

	buf[0] = '\0';
	if (table == NULL) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	/* Never taken here: no table, and none is created to find out. */
	if (db_table_exists(db, table, &exists, err) < 0)
		goto out;
	rc = exists && describe_holder(db, table, buf, size) != 0;
	if (rc == 0)
		buf[0] = '\0';
out:
	free(table);
	return rc;
}

/* ---- the statements that fence a holder ---- */

/*
 * The fence that opens each of the runner's transactions: it fails unless
 * the lease is still this runner's, and locks the row until COMMIT so that
 * nobody takes it over while the step runs.  Like the step guard, it fails
 * by reading a setting that does not exist (db_error_from_result names it).
 */
static int build_statements(struct lease *l, struct retort_error *err)
{
	l->fence_begin = printf_alloc(
		"WITH held AS (SELECT 1 FROM %s WHERE lock_name = %s"
		" AND token = %lld AND released IS NULL FOR UPDATE)"
		" SELECT CASE WHEN (SELECT count(*) FROM held) = 1 THEN NULL"
		" ELSE pg_catalog.current_setting('" DB_LOCK_LOST_SETTING
		"') END",
		l->table, l->name, l->token);
	l->fence_end = printf_alloc(
		"UPDATE %s SET renewed = clock_timestamp(),"
		" expires = clock_timestamp() + make_interval(secs => %s)"
		" WHERE lock_name = %s AND token = %lld",
		l->table, l->secs, l->name, l->token);
	/* The heartbeat leaves a row that a step holds alone: that step
	 * renews it at its COMMIT. */
	l->renew_sql = printf_alloc(
		"WITH mine AS (SELECT lock_name FROM %s WHERE lock_name = %s"
		" AND token = %lld AND released IS NULL FOR UPDATE SKIP LOCKED)"
		" UPDATE %s AS l SET renewed = clock_timestamp(),"
		" expires = clock_timestamp() + make_interval(secs => %s)"
		" FROM mine WHERE l.lock_name = mine.lock_name",
		l->table, l->name, l->token, l->table, l->secs);
	l->release_sql =
		printf_alloc("UPDATE %s SET released = clock_timestamp()"
			     " WHERE lock_name = %s AND token = %lld",
			     l->table, l->name, l->token);
	if (!l->fence_begin || !l->fence_end || !l->renew_sql ||
	    !l->release_sql)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* ---- the heartbeat ---- */

/* The main connection's options, to open another one like it. */
static int copy_options(struct lease *l, PGconn *conn, struct retort_error *err)
{
	PQconninfoOption *opts = PQconninfo(conn);
	size_t n = 0, k = 0;

	if (!opts)
		return error_set(err, RETORT_FAILED, "out of memory");
	while (opts[n].keyword)
		n++;
	l->keys = calloc(n + 1, sizeof(*l->keys));
	l->values = calloc(n + 1, sizeof(*l->values));
	for (size_t i = 0; l->keys && l->values && i < n; i++) {
		if (!opts[i].val)
			continue;
		l->keys[k] = strdup(opts[i].keyword);
		l->values[k] = strdup(opts[i].val);
		if (!l->keys[k] || !l->values[k++])
			break;
	}
	PQconninfoFree(opts);
	if (!l->keys || !l->values || (k > 0 && !l->values[k - 1]))
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* One renewal; a failure is tried again at the next beat. */
static void renew(struct lease *l)
{
	if (!l->beat) {
		l->beat = PQconnectdbParams((const char *const *)l->keys,
					    (const char *const *)l->values, 0);
		if (PQstatus(l->beat) != CONNECTION_OK) {
			PQfinish(l->beat);
			l->beat = NULL;
			return;
		}
	}
	PQclear(PQexec(l->beat, l->renew_sql));
	if (PQstatus(l->beat) != CONNECTION_OK) {
		PQfinish(l->beat);
		l->beat = NULL;
	}
}

static void deadline_after(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Renew three times per lease; the connection opens at the first beat, so
 * a run shorter than that never opens it. */
static void *heartbeat(void *arg)
{
	struct lease *l = arg;
	struct timespec until;

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		deadline_after(&until, l->ms / 3);
		while (!l->stop &&
		       pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0)
			;
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		renew(l);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int start_heartbeat(struct lease *l, struct retort_error *err)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&l->mu, NULL);
	/* Signals stay with the thread that runs the revisions. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&l->thread, NULL, heartbeat, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&l->cv);
		pthread_mutex_destroy(&l->mu);
		return error_set(err, RETORT_FAILED,
				 "cannot start the lock's heartbeat: %s",
				 strerror(rc));
	}
	l->running = true;
	return 0;
}

static void stop_heartbeat(struct lease *l)
{
	if (!l->running)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	l->running = false;
	PQfinish(l->beat);
	l->beat = NULL;
}

/* ---- the interface ---- */

static int parse_opts(const struct lease_opts *opts, struct lease *l,
		      long long *timeout_ms, struct retort_error *err)
{
	const char *length = opts->length ? opts->length : LEASE_DEFAULT;

	*timeout_ms = opts->timeout ? lease_duration_ms(opts->timeout) : 0;
	l->ms = lease_duration_ms(length);
	if (*timeout_ms < 0)
		return error_set(err, RETORT_USAGE,
				 "lock timeout \"%s\" is not a duration",
				 opts->timeout);
	if (l->ms < 1000) {
		error_set(err, RETORT_USAGE,
			  "lock lease \"%s\" is not a duration of 1s or more",
			  length);
		error_hint(err, "Write a whole number with a unit: 30s, 2min.");
		return -1;
	}
	snprintf(l->secs, sizeof(l->secs), "%lld.%03lld", l->ms / 1000,
		 l->ms % 1000);
	return 0;
}

static void report_takeover(const struct db *db, const struct lease_opts *opts,
			    const char *took_over)
{
	if (!took_over || !opts->progress)
		return;
	fprintf(opts->progress,
		"retort: took the migration lock on %s over from ",
		db->version_table);
	text_fput(took_over, opts->progress);
	fputc('\n', opts->progress);
	fflush(opts->progress);
}

int lease_acquire(struct db *db, const struct lease_opts *opts,
		  struct retort_error *err)
{
	struct lease *l = calloc(1, sizeof(*l));
	char *took_over = NULL;
	long long timeout_ms = 0;

	if (!l)
		return error_set(err, RETORT_FAILED, "out of memory");
	if (parse_opts(opts, l, &timeout_ms, err) < 0)
		goto fail;
	l->table = lock_table(db);
	if (!l->table) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto fail;
	}
	if (take(db, l, opts, timeout_ms, &took_over, err) < 0)
		goto fail;
	report_takeover(db, opts, took_over);
	free(took_over);
	db->lease = l;
	if (build_statements(l, err) < 0 ||
	    copy_options(l, db->conn, err) < 0 || start_heartbeat(l, err) < 0) {
		lease_release(db);
		return -1;
	}
	db->fence_begin = l->fence_begin;
	db->fence_end = l->fence_end;
	return 0;
fail:
	free(took_over);
	lease_free(l);
	return -1;
}

void lease_give_back(struct db *db)
{
	char *table, *sql = NULL;

	if (!holder_id[0] || !db->conn || !(table = lock_table(db)))
		return;
	/* The hex digits of the id are safe inside the literal. */
	sql = printf_alloc("UPDATE %s SET released = clock_timestamp()"
			   " WHERE holder_id = '%s' AND released IS NULL",
			   table, holder_id);
	if (sql)
		PQclear(PQexec(db->conn, sql));
	free(sql);
	free(table);
}

/* Run sql on conn; whether it did. */
static bool run_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok;
}

/*
 * The run's connection is gone (the server ended it, or the network did):
 * give the lease back over a new one rather than leave it to expire, but
 * wait for that one at most 2 s, so a server that cannot be reached does
 * not hold the exit up.
 */
static void release_on_new_connection(const struct lease *l)
{
	size_t n = 0, k = 0;
	const char **keys, **values;
	PGconn *conn;

	while (l->keys && l->keys[n])
		n++;
	keys = calloc(n + 2, sizeof(*keys));
	values = calloc(n + 2, sizeof(*values));
	if (keys && values && l->keys) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(l->keys[i], "connect_timeout") != 0) {
				keys[k] = l->keys[i];
				values[k++] = l->values[i];
			}
		keys[k] = "connect_timeout";
		values[k] = "2";
		conn = PQconnectdbParams(keys, values, 0);
		if (PQstatus(conn) == CONNECTION_OK)
			run_ok(conn, l->release_sql);
		PQfinish(conn);
	}
	free(keys);
	free(values);
}

void lease_release(struct db *db)
{
	struct lease *l = db ? db->lease : NULL;
	struct retort_error ignored;
	bool given_back = false;

	if (!l)
		return;
	stop_heartbeat(l);
	db->fence_begin = db->fence_end = NULL;
	db->lease = NULL;
	/* The run is over: whatever it left open is rolled back first. */
	if (l->release_sql && db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    db_collect(db, &ignored) == 0) {
		db_rollback(db);
		given_back = run_ok(db->conn, l->release_sql);
	}
	if (!given_back && l->release_sql && !isolate_interrupted())
		release_on_new_connection(l);
	lease_free(l);
}

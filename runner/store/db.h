/*
 * db.h - the connection, the version table and transactions.
 *
 * The database layer, with version_table.c (the version table's half),
 * lease.c (the migration lock), audit.c (retort_history) and shadow.c
 * (autogenerate's scratch databases): the only place on the runner's
 * side, with the host side that hands a PGconn to revisions, that talks
 * to libpq.  Identifiers are quoted with PQescapeIdentifier; how
 * values reach SQL is said once, below ("Values in SQL").  No SQL is built
 * from user text.
 */
#ifndef RETORT_DB_H
#define RETORT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/strbuf.h"

/*
 * libpq's types by their struct names, so that including this header
 * does not bring in libpq: a file outside the database layer and the host
 * side that called libpq would not compile.  libpq-fe.h typedefs PGconn,
 * PGresult and PGcancel to these.
 */
struct pg_conn;
struct pg_result;
struct pg_cancel;

struct db {
	struct pg_conn *conn;
	char *version_table; /* quoted, schema-qualified when a schema is set */
	char *version_pkey;  /* its primary key's name, quoted */
	char *schema;	     /* the version table's schema as given, or NULL */
	char *table;	     /* the version table's name as given */
	char *target; /* "host H port P database D user U", for messages */
	struct pg_cancel
		*cancel; /* cancels the running statement from a signal */
	char *prelude;	 /* statements sent ahead of the next query, or NULL */
	bool in_flight;	 /* a db_send_async() batch awaits db_collect() */
	char mark[48];	 /* this step\'s transaction-local mark (retort.step) */
	/* Whether the version table exists, as learnt with the lock: 1 yes,
	 * 0 no, -1 not known (ask). */
	int version_table_known;
	bool ended_by_revision; /* its own COMMIT/ROLLBACK was seen */
	/* The migration lock (lease.c), while held: the statement that opens
	 * each of the runner's transactions and fails unless the lease is
	 * still this runner's, and the one before COMMIT that renews it.
	 * Borrowed from the lease; NULL when no lock is held. */
	struct lease *lease;
	const char *fence_begin;
	const char *fence_end;
	/* The fleet run whose steps this connection runs, carried by each
	 * retort_history row it writes; NULL outside a fleet.  Borrowed from
	 * the configuration. */
	const char *fleet_run;
	/* With a tenant schema (db_use_tenant): the statement that puts it
	 * first in search_path, sent with each transaction's BEGIN; owned. */
	char *tenant_path;
};

/*
 * Connect with a URL or keyword string (NULL: libpq's defaults and PG*
 * variables).  A bad URL is RETORT_USAGE; a failed connection is
 * RETORT_FAILED naming host, port, database and user, never the password.
 * version_table/schema name the version table (schema may be NULL).
 */
int db_connect(struct db *db, const char *url, const char *version_table,
	       const char *version_table_schema, struct retort_error *err);
/*
 * db_connect, waiting at most connect_timeout seconds (a string of digits,
 * "0" = for ever; NULL = libpq's PGCONNECT_TIMEOUT or none) unless the URL
 * has its own connect_timeout, which wins.  A bad port, sslmode or
 * connect_timeout in the URL is RETORT_USAGE, before connecting.  SIGINT
 * or SIGTERM stops the attempt at once: RETORT_INTERRUPTED_INT/TERM.
 */
int db_connect_timeout(struct db *db, const char *url,
		       const char *connect_timeout, const char *version_table,
		       const char *version_table_schema,
		       struct retort_error *err);

/*
 * One tenant's schema, which db_connect() was given as the version
 * table's: from now on each transaction the runner opens (a revision's,
 * a backfill batch's, its own) has it first in search_path, for that
 * transaction only, the rest of the path the session's ("tenant_7",
 * "$user", public).  A schema that does not exist is RETORT_FAILED:
 * retort never creates it.
 */
int db_use_tenant(struct db *db, const char *schema, struct retort_error *err);
/* The tenant's schema db_use_tenant() was given, or NULL.  Borrowed. */
const char *db_tenant_schema(const struct db *db);

/* Whether libpq knows a connection keyword (for config_keyword_fn). */
bool db_is_keyword(const char *name);
/* An identifier or a value quoted for SQL text; the caller frees it.
 * NULL when out of memory. */
char *db_quote_ident(struct pg_conn *conn, const char *name);
char *db_quote_literal(struct pg_conn *conn, const char *value);

/* Close; accepts a zeroed struct. */
void db_close(struct db *db);

/*
 * The version table's rows, sorted.  An absent table is no rows.  The
 * caller frees each row and the array.
 */
int db_read_versions(struct db *db, char ***rows, size_t *nrows,
		     struct retort_error *err);

/* CREATE TABLE IF NOT EXISTS, as Alembic creates it. */
int db_ensure_version_table(struct db *db, struct retort_error *err);
/* Its CREATE TABLE statement (IF NOT EXISTS when asked) into sql; 768
 * bytes hold it. */
void db_version_table_sql(const struct db *db, bool if_not_exists, char *sql,
			  size_t size);

/* Delete rows remove[] and insert rows insert[] (ids), in the open transaction.
 */
int db_update_versions(struct db *db, const char *const *remove, size_t nremove,
		       const char *const *insert, size_t ninsert,
		       struct retort_error *err);

/*
 * Apply a revision's lock_timeout and statement_timeout (PostgreSQL
 * durations; NULL leaves one alone): SET LOCAL when is_local, else for the
 * session until db_reset_timeouts().
 */
int db_set_timeouts(struct db *db, const char *lock_timeout,
		    const char *statement_timeout, bool is_local,
		    struct retort_error *err);
void db_reset_timeouts(struct db *db);

/*
 * Values in SQL.  Every statement of the runner's own passes its values as
 * parameters ($1, $2...: db_query, db_exec, db_run): they never go through
 * the SQL parser as text, so nothing a value holds can change the
 * statement.  The exception is what makes one round trip per revision.  A
 * parameterised statement travels alone (libpq's PQexecParams is the
 * extended protocol: one statement per message); several statements in
 * one message are the simple protocol's Query, which takes no parameters.
 * So the statements that travel with a revision's BEGIN or COMMIT carry
 * their values as escaped literals: its SET LOCALs (db_prelude_begin, and
 * db_begin_with for a backfill's batches), its version-row change
 * (db_version_change_sql), its audit row (audit_record_sql) and the
 * cleanup of its checkpoint rows (checkpoint_cleanup_sql).  Literals are
 * quoted by libpq's PQescapeLiteral (db_quote_literal, db_add_literal),
 * which knows the connection's encoding and standard_conforming_strings
 * and writes E'...' when a backslash needs it; identifiers by
 * PQescapeIdentifier (db_quote_ident).  tests/integration/test_escaping.c
 * sends hostile values through each and reads them back.
 *
 * The round trip: a revision's BEGIN and SET LOCALs wait in the prelude
 * and travel with its first statement; its version-row change and COMMIT
 * are sent without waiting (db_send_async) and confirmed by db_collect()
 * before the next revision's code runs.
 */

/* Queue a statement to send ahead of the next query. */
int db_prelude(struct db *db, const char *sql, struct retort_error *err);
bool db_prelude_pending(const struct db *db);
/* Queue BEGIN and the revision's SET LOCAL timeouts (NULL: leave alone). */
int db_prelude_begin(struct db *db, const char *lock_timeout,
		     const char *statement_timeout, struct retort_error *err);
void db_discard_prelude(struct db *db);

/*
 * One statement with text parameters (values may be NULL for SQL NULL),
 * waited for: its result (the caller clears it), or NULL after filling
 * err with PostgreSQL's error.  Nothing may be in flight.
 */
struct pg_result *db_run(struct db *db, const char *sql, int nparams,
			 const char *const *values, struct retort_error *err);

/*
 * The rows of one query, read as text.  Everything outside the database
 * layer reads results through these, never through libpq: a statement of
 * the runner's own runs with db_query() or db_exec(), with its values as
 * parameters ($1, $2...).
 */
struct db_rows;

/* One statement with text parameters (NULL: SQL NULL), waited for: its
 * rows (free them with db_rows_free), or NULL after filling err with
 * PostgreSQL's message, detail, hint and SQLSTATE. */
struct db_rows *db_query(struct db *db, const char *sql, int nparams,
			 const char *const *values, struct retort_error *err);
/* The same when no rows are wanted: 0, or -1 with err filled. */
int db_exec(struct db *db, const char *sql, int nparams,
	    const char *const *values, struct retort_error *err);
size_t db_nrows(const struct db_rows *rows);
/* Row row's column col as text; NULL for SQL NULL. */
const char *db_value(const struct db_rows *rows, size_t row, int col);
/* How many rows the statement inserted, updated or deleted. */
unsigned long db_affected(const struct db_rows *rows);
void db_rows_free(struct db_rows *rows);

/*
 * Collect the batch in flight, then send the prelude and sql (one or more
 * statements, as psql sends them; NULL: the prelude alone) in one message.
 * Returns the last statement's result (the caller clears it), or NULL
 * after filling err with the first failure.
 */
struct pg_result *db_exec_batch(struct db *db, const char *sql,
				struct retort_error *err);

/* Send the prelude and sql without waiting for the results. */
int db_send_async(struct db *db, const char *sql, struct retort_error *err);

/* Wait for the batch in flight, if any; its first error fails it. */
int db_collect(struct db *db, struct retort_error *err);

/* Collect, then send the prelude if one waits: for raw libpq use. */
int db_flush(struct db *db, struct retort_error *err);

/*
 * The version-row change (delete remove[], insert insert[]) as one
 * statement that fails unless every removed row existed; the caller frees
 * *out.  db_is_version_mismatch() tells that failure from others.
 */
int db_version_change_sql(struct db *db, const char *const *remove,
			  size_t nremove, const char *const *insert,
			  size_t ninsert, char **out, struct retort_error *err);
bool db_is_version_mismatch(const struct retort_error *err);

/*
 * An expression that is literal (an SQL literal) while the transaction is
 * still the one db_prelude_begin() opened, and fails otherwise: a value of
 * a row the step writes before COMMIT, so that a revision which committed
 * and began again on its own cannot have the rest committed as if nothing
 * had happened.  Plain SQL, no PL/pgSQL block to compile per step; it
 * fails by reading a setting that does not exist, which
 * db_is_step_ended() recognises.
 */
int db_step_guard_sql(struct db *db, const char *literal, char **out,
		      struct retort_error *err);
#define DB_STEP_ENDED_SETTING "retort.step_ended_by_the_revision"
/* What the lock's fence reads when the lease is no longer this runner's. */
#define DB_LOCK_LOST_SETTING "retort.migration_lock_taken_over"

/*
 * In autocommit, before revision code that runs outside a transaction:
 * fail unless the lease is still this runner's, and renew it.  0 when no
 * lock is held.
 */
int db_fence_check(struct db *db, struct retort_error *err);
bool db_is_step_ended(const struct retort_error *err);

/*
 * BEGIN (with the lock's fence when a lock is held), queued as a prelude
 * or run now; db_commit() renews the lock's lease in the message of its
 * COMMIT.  A failed db_begin() leaves no transaction open.
 */
int db_prelude_open(struct db *db, struct retort_error *err);
int db_begin(struct db *db, struct retort_error *err);
int db_commit(struct db *db, struct retort_error *err);
/* Roll back whatever is open; safe to call when nothing is. */
void db_rollback(struct db *db);

/*
 * Fill err from a failed result: PostgreSQL's primary message, detail,
 * hint and SQLSTATE.  res may be NULL (the connection's message is used).
 * Returns -1.
 */
int db_error_from_result(struct retort_error *err, struct pg_conn *conn,
			 const struct pg_result *res);

/* ---- quoting, retort's own tables, transactions' settings ---- */

/* "schema"."name", or "name" when schema is NULL, each part quoted by
 * libpq; the caller frees it.  NULL when out of memory. */
char *db_quote_qualified(struct pg_conn *conn, const char *schema,
			 const char *name);

/*
 * Append value to sql as an escaped literal (see "Values in SQL"), or
 * NULL for a NULL value; out of memory marks sql failed, as strbuf does.
 */
void db_add_literal(struct strbuf *sql, struct pg_conn *conn,
		    const char *value);

/*
 * retort's own table `name` (retort_history, retort_backfill) beside the
 * version table: in its schema, or unqualified when none is configured,
 * so that the search_path finds it as it finds the version table.  Quoted;
 * the caller frees it.  NULL when out of memory.
 */
char *db_table_beside(const struct db *db, const char *name);

/* Whether the table (a quoted, perhaps qualified, name) exists. */
int db_table_exists(struct db *db, const char *table, bool *exists,
		    struct retort_error *err);

/* SET LOCAL name = 'value' for the transaction (value NULL: left alone). */
struct db_setting {
	const char *name;
	const char *value;
};

/*
 * db_begin() and then the settings, in one round trip; on failure nothing
 * stays open.
 */
int db_begin_with(struct db *db, const struct db_setting *set, size_t n,
		  struct retort_error *err);

/* Where the connection stands between statements. */
enum db_state {
	DB_IDLE,		  /* no transaction open */
	DB_IN_TRANSACTION,	  /* a transaction open and well */
	DB_IN_FAILED_TRANSACTION, /* one that a failed statement aborted */
	DB_BUSY,		  /* a statement still running */
	DB_LOST			  /* the connection is gone */
};
enum db_state db_state(const struct db *db);

/*
 * From a signal handler: ask the server to cancel the statement running
 * on the connection whose cancel handle (struct db's cancel) is given;
 * NULL does nothing.  Async-signal-safe, as libpq documents PQcancel.
 */
void db_cancel_from_signal(void *cancel);

/*
 * Inside a transaction already open (upgrade --sample's): a new mark for
 * the next step, set at once with SET LOCAL, so that db_step_guard_sql()
 * fails if a revision ends the transaction and begins another.
 */
int db_step_mark(struct db *db, struct retort_error *err);

#endif

/*
 * version_table.c - db.h's version table: reading its rows, creating it,
 * changing its rows; and the names of retort's own tables beside it.
 *
 * The version table is Alembic's, byte for byte, so Alembic and retort can
 * take turns on one database.  Its name was quoted once, at connection
 * (db.c); the tables beside it are quoted here, one way for all.  Values
 * are parameters, but for the version-row change that travels with a
 * revision's COMMIT (db.h, "Values in SQL").  Never prints.
 */
#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

char *db_table_beside(const struct db *db, const char *name)
{
	return db_quote_qualified(db->conn, db->schema, name);
}

static int version_table_exists(struct db *db, bool *exists,
				struct retort_error *err)
{
	/* Learnt in the lock's round trip, and nobody else changes it since. */
	if (db->version_table_known >= 0) {
		*exists = db->version_table_known == 1;
		return 0;
	}
	if (db_table_exists(db, db->version_table, exists, err) == 0)
		return 0;
	error_prefix(err, "cannot look for the version table %s",
		     db->version_table);
	return -1;
}

static int collect_rows(const struct db_rows *res, char ***rows, size_t *nrows,
			struct retort_error *err)
{
	size_t n = db_nrows(res);
	char **out = calloc(n ? n : 1, sizeof(*out));

	if (!out)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(db_value(res, i, 0));
		if (!out[i]) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return error_set(err, RETORT_FAILED, "out of memory");
		}
	}
	*rows = out;
	*nrows = n;
	return 0;
}

int db_read_versions(struct db *db, char ***rows, size_t *nrows,
		     struct retort_error *err)
{
	char sql[512];
	struct db_rows *res;
	bool exists = false;
	int rc;

	*rows = NULL;
	*nrows = 0;
	if (version_table_exists(db, &exists, err) < 0)
		return -1;
	if (!exists)
		return 0;
	snprintf(sql, sizeof(sql),
		 "SELECT version_num FROM %s ORDER BY version_num",
		 db->version_table);
	res = db_query(db, sql, 0, NULL, err);
	if (!res) {
		error_prefix(err, "cannot read the version table %s",
			     db->version_table);
		return -1;
	}
	rc = collect_rows(res, rows, nrows, err);
	db_rows_free(res);
	return rc;
}

/* The primary key's name is Alembic's, <table>_pkc, so both tools agree. */
void db_version_table_sql(const struct db *db, bool if_not_exists, char *sql,
			  size_t size)
{
	snprintf(sql, size,
		 "CREATE TABLE %s%s (version_num varchar(32) NOT NULL, "
		 "CONSTRAINT %s PRIMARY KEY (version_num))",
		 if_not_exists ? "IF NOT EXISTS " : "", db->version_table,
		 db->version_pkey);
}

static int create_version_table(struct db *db, struct retort_error *err)
{
	char sql[768];

	db_version_table_sql(db, false, sql, sizeof(sql));
	if (db_exec(db, sql, 0, NULL, err) < 0) {
		error_prefix(err, "cannot create the version table %s",
			     db->version_table);
		return -1;
	}
	db->version_table_known = -1; /* until the transaction commits */
	return 0;
}

int db_ensure_version_table(struct db *db, struct retort_error *err)
{
	bool exists = false;

	if (version_table_exists(db, &exists, err) < 0)
		return -1;
	if (exists)
		return 0;
	return create_version_table(db, err);
}

static int delete_version(struct db *db, const char *id,
			  struct retort_error *err)
{
	char sql[512];
	const char *params[] = { id };
	struct db_rows *res;
	bool one;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE version_num = $1",
		 db->version_table);
	res = db_query(db, sql, 1, params, err);
	if (!res)
		return -1;
	one = db_affected(res) == 1;
	db_rows_free(res);
	if (one)
		return 0;
	/* Alembic checks the same: another writer moved the table under us. */
	error_set(err, RETORT_FAILED,
		  "version table %s has no row '%s' to remove",
		  db->version_table, id);
	error_hint(
		err,
		"Another process changed the version table during the run; run `retort current` and try again.");
	return -1;
}

static int insert_version(struct db *db, const char *id,
			  struct retort_error *err)
{
	char sql[512];
	const char *params[] = { id };

	snprintf(sql, sizeof(sql), "INSERT INTO %s (version_num) VALUES ($1)",
		 db->version_table);
	return db_exec(db, sql, 1, params, err);
}

int db_update_versions(struct db *db, const char *const *remove, size_t nremove,
		       const char *const *insert, size_t ninsert,
		       struct retort_error *err)
{
	for (size_t i = 0; i < nremove; i++)
		if (delete_version(db, remove[i], err) < 0)
			return -1;
	for (size_t i = 0; i < ninsert; i++)
		if (insert_version(db, insert[i], err) < 0)
			return -1;
	return 0;
}

/* 'a', 'b' or, as rows, ('a'), ('b'): escaped literals. */
static void add_literals(struct strbuf *sql, struct db *db,
			 const char *const *ids, size_t n, bool as_rows)
{
	for (size_t i = 0; i < n; i++) {
		strbuf_add(sql, i ? ", " : "");
		strbuf_add(sql, as_rows ? "(" : "");
		db_add_literal(sql, db->conn, ids[i]);
		strbuf_add(sql, as_rows ? ")" : "");
	}
}

/* DELETE of the rows remove[], then, when removing them fails, the
 * division by zero that stops the step. */
static void add_removal(struct strbuf *sql, struct db *db,
			const char *const *remove, size_t nremove,
			size_t ninsert)
{
	strbuf_addf(sql, "WITH d AS (DELETE FROM %s WHERE version_num IN (",
		    db->version_table);
	add_literals(sql, db, remove, nremove, false);
	strbuf_add(sql, ") RETURNING 1) ");
	if (ninsert == 0)
		strbuf_addf(sql,
			    "SELECT 1 / ((SELECT count(*) FROM d) = %zu)::int",
			    nremove);
	else
		strbuf_addf(sql,
			    "INSERT INTO %s (version_num) SELECT CASE WHEN "
			    "(SELECT count(*) FROM d) = %zu THEN n END FROM "
			    "(VALUES ",
			    db->version_table, nremove);
}

/*
 * The version-row change as one statement that fails unless every row it
 * removes was there: with the lock held this never fires, but a version
 * table moved by another tool must abort the step, not commit over it.
 * The ids are escaped literals: the statement travels with the step's
 * COMMIT (db.h, "Values in SQL").
 */
int db_version_change_sql(struct db *db, const char *const *remove,
			  size_t nremove, const char *const *insert,
			  size_t ninsert, char **out, struct retort_error *err)
{
	struct strbuf sql = STRBUF_INIT;

	if (nremove == 0) {
		strbuf_addf(&sql, "INSERT INTO %s (version_num) VALUES ",
			    db->version_table);
		add_literals(&sql, db, insert, ninsert, true);
	} else {
		add_removal(&sql, db, remove, nremove, ninsert);
		if (ninsert > 0) {
			add_literals(&sql, db, insert, ninsert, true);
			strbuf_add(&sql, ") AS t(n)");
		}
	}
	*out = strbuf_finish(&sql);
	if (!*out)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

bool db_is_version_mismatch(const struct retort_error *err)
{
	/* What db_version_change_sql's checks raise. */
	return strcmp(err->sqlstate, "23502") == 0 ||
	       strcmp(err->sqlstate, "22012") == 0;
}

/*
 * tenant.c - one tenant's schema (--tenant-schema): retort's tables live
 * in it, and each of the runner's transactions puts it first in
 * search_path for that transaction only.
 *
 * The setting is transaction-local (set_config(..., true)) and travels in
 * the message of the transaction's BEGIN, so it costs no round trip and
 * holds through a transaction-pooling PgBouncer: a session-wide SET would
 * stay on a server connection that other clients then get.  The rest of
 * the path is the session's own, read inside the transaction.  Never
 * prints; never creates the schema.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static int schema_exists(struct db *db, const char *schema, bool *exists,
			 struct retort_error *err)
{
	const char *params[] = { schema };
	struct db_rows *rows = db_query(
		db,
		"SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1",
		1, params, err);

	if (!rows)
		return -1;
	*exists = strcmp(db_value(rows, 0, 0), "0") != 0;
	db_rows_free(rows);
	return 0;
}

static int no_such_schema(struct db *db, const char *schema,
			  struct retort_error *err)
{
	error_set(err, RETORT_FAILED, "the tenant schema \"%s\" does not exist",
		  schema);
	error_detail(err, "on %s", db->target ? db->target : "the database");
	error_hint(
		err,
		"Create the tenant's schema first (CREATE SCHEMA ...), or check the name given to --tenant-schema (ini tenant_schema): retort does not create it.");
	return -1;
}

/* SELECT set_config('search_path', '"schema", ' || the session's path,
 * true): the schema quoted as an identifier, the whole as a literal. */
static char *path_statement(struct db *db, const char *schema)
{
	struct strbuf sql = STRBUF_INIT;
	char *ident = db_quote_ident(db->conn, schema);

	if (!ident)
		return NULL;
	strbuf_add(&sql, "SELECT pg_catalog.set_config('search_path', "
			 "pg_catalog.concat_ws(', ', ");
	db_add_literal(&sql, db->conn, ident);
	strbuf_add(&sql, ", nullif(pg_catalog.current_setting("
			 "'search_path'), '')), true)");
	free(ident);
	return strbuf_finish(&sql);
}

int db_use_tenant(struct db *db, const char *schema, struct retort_error *err)
{
	bool exists = false;

	if (schema_exists(db, schema, &exists, err) < 0) {
		error_prefix(err, "cannot look for the tenant schema \"%s\"",
			     schema);
		return -1;
	}
	if (!exists)
		return no_such_schema(db, schema, err);
	free(db->tenant_path);
	db->tenant_path = path_statement(db, schema);
	if (!db->tenant_path)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

const char *db_tenant_schema(const struct db *db)
{
	return db->tenant_path ? db->schema : NULL;
}

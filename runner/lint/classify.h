/*
 * classify.h - what one SQL statement does, as far as the lint rules need
 * to know: which table it touches, and how (CREATE INDEX, each ALTER TABLE
 * subcommand, DROP, UPDATE without WHERE, SET lock_timeout...).
 *
 * Pure: it reads the text alone, through base/sqltext.h, with no catalog.
 * Names are kept as written, folded as PostgreSQL folds them ("Users" in
 * double quotes stays Users, users unquoted is users); a qualified name
 * keeps its schema ("app.users").  What it does not recognise is
 * SQL_OTHER: the rules then say nothing about the text.
 */
#ifndef RETORT_CLASSIFY_H
#define RETORT_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

/* NAMEDATALEN: PostgreSQL cuts identifiers to 63 bytes. */
#define CLASSIFY_NAME 64
#define CLASSIFY_QNAME (2 * CLASSIFY_NAME)
#define CLASSIFY_MAX_ALTERS 16

enum sql_kind {
	SQL_OTHER,
	SQL_CREATE_INDEX,
	SQL_ALTER_TABLE,
	SQL_DROP_TABLE,
	SQL_CREATE_TABLE,
	SQL_UPDATE,
	SQL_DELETE,
	SQL_INSERT_SELECT,
	SQL_SET_LOCK_TIMEOUT,
	SQL_REINDEX,
	SQL_VACUUM_FULL,
	SQL_CLUSTER,
};

enum alter_kind {
	ALTER_OTHER,
	ALTER_ADD_COLUMN,
	ALTER_COLUMN_TYPE,
	ALTER_SET_NOT_NULL,
	ALTER_ADD_CONSTRAINT,
	ALTER_VALIDATE_CONSTRAINT,
	ALTER_DROP_COLUMN,
	ALTER_RENAME_COLUMN,
	ALTER_RENAME_TABLE,
};

enum constraint_kind {
	CONSTRAINT_OTHER,
	CONSTRAINT_FOREIGN_KEY,
	CONSTRAINT_CHECK,
	CONSTRAINT_UNIQUE,
	CONSTRAINT_PRIMARY_KEY,
};

/* One subcommand of ALTER TABLE. */
struct sql_alter {
	enum alter_kind kind;
	char column[CLASSIFY_NAME];	/* the column it names, if any */
	char constraint[CLASSIFY_NAME]; /* ADD/VALIDATE CONSTRAINT's name */
	char new_name[CLASSIFY_NAME];	/* RENAME ... TO's */
	enum constraint_kind constraint_kind;
	bool not_valid;	       /* ADD CONSTRAINT ... NOT VALID */
	bool has_default;      /* ADD COLUMN ... DEFAULT */
	bool volatile_default; /* a default PostgreSQL computes per row */
	/* CHECK (col IS NOT NULL): the column it proves not null, or "". */
	char checks_not_null[CLASSIFY_NAME];
	/* ALTER COLUMN TYPE: the new type is text or an unbounded varchar,
	 * the one change the text alone shows needs no rewrite. */
	bool to_text;
	bool using_clause; /* ALTER COLUMN TYPE ... USING */
};

struct sql_class {
	enum sql_kind kind;
	char table[CLASSIFY_QNAME]; /* the table acted on, as written */
	char index[CLASSIFY_NAME];  /* CREATE INDEX's name, if given */
	bool unique;		    /* CREATE UNIQUE INDEX */
	bool concurrently;	    /* CREATE/REINDEX ... CONCURRENTLY */
	bool if_not_exists;
	bool has_where;		   /* UPDATE/DELETE ... WHERE */
	bool local;		   /* SET LOCAL */
	char value[CLASSIFY_NAME]; /* SET lock_timeout's value, unquoted */
	struct sql_alter alters[CLASSIFY_MAX_ALTERS];
	size_t nalters; /* the first CLASSIFY_MAX_ALTERS subcommands */
};

/* What the statement sql[0..len) does; never fails. */
void classify_sql(const char *sql, size_t len, struct sql_class *out);

/*
 * Whether the default expression in sql[0..len) is volatile: it calls a
 * function other than the ones PostgreSQL 11+ evaluates once for the
 * whole ADD COLUMN (now(), current_timestamp, ...).  random(),
 * gen_random_uuid(), clock_timestamp() and nextval() are.
 */
bool classify_volatile_default(const char *sql, size_t len);

#endif

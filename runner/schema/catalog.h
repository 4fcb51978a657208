/*
 * catalog.h - a database's schema read into memory, for autogenerate.
 *
 * The objects `retort revision --autogenerate` understands are modelled
 * (schemas, extensions, enum types, sequences, tables with their columns,
 * constraints and indexes); every other user object (views, functions,
 * triggers, policies, domains, comments, grants, ...) is kept as a kind, an
 * identity and a definition, so that a difference there is reported and
 * never silently ignored.  Definitions are PostgreSQL's own text
 * (pg_get_*def, format_type, pg_get_expr), read with an empty search_path so
 * that every name in them is schema-qualified and the text of two databases
 * can be compared.
 */
#ifndef RETORT_CATALOG_H
#define RETORT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct db;

/* A sequence's options; numbers as decimal text. */
struct cat_seqopts {
	const char *type; /* format_type(): "bigint" */
	const char *start, *increment, *min, *max, *cache;
	bool cycle;
};

struct cat_column {
	const char *name;
	const char *type;      /* format_type() */
	const char *collation; /* quoted, qualified; NULL: the type's own */
	bool not_null;
	const char *default_expr;	  /* pg_get_expr(); NULL: none */
	char identity;			  /* 0, 'a' ALWAYS or 'd' BY DEFAULT */
	struct cat_seqopts identity_opts; /* when identity */
	const char *generated;		  /* STORED expression, or NULL */
};

struct cat_constraint {
	const char *name;
	char kind;	 /* 'p', 'u', 'c', 'f', 'x' (pg_constraint.contype) */
	const char *def; /* pg_get_constraintdef(), without " NOT VALID" */
	bool validated;	 /* false: added NOT VALID, not validated since */
	const char *ref_schema, *ref_table; /* 'f': the referenced table */
};

struct cat_index {
	const char *name;
	const char *def; /* pg_get_indexdef(): CREATE [UNIQUE] INDEX ... */
	bool unique;
	bool valid; /* false: left INVALID by a failed concurrent build */
};

struct cat_table {
	const char *schema, *name;
	bool unlogged;
	struct cat_column *cols; /* in attnum order */
	size_t ncols;
	struct cat_constraint *cons; /* by name */
	size_t ncons;
	struct cat_index *idx; /* by name; not those of constraints */
	size_t nidx;
};

struct cat_enum {
	const char *schema, *name;
	const char **labels; /* in sort order */
	size_t nlabels;
};

struct cat_sequence {
	const char *schema, *name;
	struct cat_seqopts opts;
	/* OWNED BY table.column (same schema), or NULL; identity sequences
	 * are not listed: they belong to their column. */
	const char *owned_table, *owned_column;
};

struct cat_extension {
	const char *name, *schema;
};

/* An object of a kind autogenerate does not model. */
struct cat_other {
	const char *kind;     /* "view", "function", "comment on table", ... */
	const char *identity; /* pg_identify_object()'s, schema-qualified */
	const char *def;      /* its definition, or NULL: existence only */
};

/*
 * A cast the server knows (pg_cast), for judging a column's type change:
 * types as format_type() names them without a modifier.
 */
struct cat_cast {
	const char *source, *target;
	char context; /* 'i' implicit, 'a' assignment, 'e' explicit only */
	char method;  /* 'f' function, 'i' I/O, 'b' binary coercible */
};

/*
 * A schema.  Every array is sorted by (schema, name), with strcmp, so two
 * catalogs can be merged in one pass.  The memory belongs to the catalog
 * (catalog_release); a catalog built by hand (unit tests) leaves arena NULL
 * and owns nothing.
 */
struct catalog {
	const char **schemas;
	size_t nschemas;
	struct cat_extension *exts;
	size_t nexts;
	struct cat_enum *enums;
	size_t nenums;
	struct cat_sequence *seqs;
	size_t nseqs;
	struct cat_table *tables;
	size_t ntables;
	struct cat_other *others; /* by (kind, identity) */
	size_t nothers;
	struct cat_cast *casts; /* by (source, target) */
	size_t ncasts;
	struct cat_arena *arena;
};

/*
 * Read the schema of db's database, one query per object kind.  Run it
 * inside a transaction the caller opened (REPEATABLE READ for a consistent
 * picture): it sets search_path to '' for that transaction.  The relations
 * named in exclude (as regclass text, e.g. the quoted version table, NULL
 * entries skipped), with their indexes and owned sequences, and the schema
 * exclude_schema (NULL: none) as a schema, are left out: they are the
 * runner's.  Objects that belong to an extension are left out too.
 */
int catalog_read(struct db *db, const char *const *exclude, size_t nexclude,
		 const char *exclude_schema, struct catalog *out,
		 struct retort_error *err);

/* Free what catalog_read() allocated; accepts a zeroed catalog. */
void catalog_release(struct catalog *cat);

/* The table schema.name, or NULL. */
const struct cat_table *catalog_table(const struct catalog *cat,
				      const char *schema, const char *name);

/*
 * t's column, constraint or index of that name, or NULL (also when t is
 * NULL).
 */
const struct cat_column *catalog_column(const struct cat_table *t,
					const char *name);
const struct cat_constraint *catalog_constraint(const struct cat_table *t,
						const char *name);
const struct cat_index *catalog_index(const struct cat_table *t,
				      const char *name);

/*
 * The orders a catalog's arrays are sorted in, for qsort() and bsearch()
 * (strcmp, NULL as ""): schemas; extensions by name; enum types, sequences
 * and tables by (schema, name); other objects by (kind, identity).
 */
int catalog_cmp_schema(const void *a, const void *b);
int catalog_cmp_extension(const void *a, const void *b);
int catalog_cmp_enum(const void *a, const void *b);
int catalog_cmp_sequence(const void *a, const void *b);
int catalog_cmp_table(const void *a, const void *b);
int catalog_cmp_other(const void *a, const void *b);

/* The cast from source to target, or NULL. */
const struct cat_cast *catalog_cast(const struct catalog *cat,
				    const char *source, const char *target);

#endif

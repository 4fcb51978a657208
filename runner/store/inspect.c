/*
 * inspect.c - a rehearsal's view of its own backend (inspect.h): the
 * relation locks pg_locks shows for pg_backend_pid() and the relfilenode
 * of each relation, so that a statement's new locks and the tables it
 * rewrote can be told apart.  Only catalog reads; never a table scan.
 */
#include "store/inspect.h"

#include <stdlib.h>
#include <string.h>

/* pg_catalog, information_schema, TOAST and temporary schemas are
 * PostgreSQL's own: every statement touches them. */
/* Always schema-qualified, each part quoted as needed: regclass alone
 * leaves out a schema on the search_path. */
#define QUALIFIED_NAME                                                         \
	"pg_catalog.quote_ident(n.nspname) || '.' ||"                          \
	" pg_catalog.quote_ident(c.relname)"

#define USER_NAMESPACE                                                         \
	"n.nspname NOT IN ('pg_catalog', 'information_schema')"                \
	" AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"

static const char relations_sql[] =
	"SELECT c.oid::pg_catalog.text, " QUALIFIED_NAME ","
	" c.relfilenode::pg_catalog.text"
	" FROM pg_catalog.pg_class c"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE " USER_NAMESPACE " ORDER BY c.oid";

/* A dropped relation keeps its lock but loses its pg_class row: its name
 * comes from the baseline, and no relfilenode. */
static const char locks_sql[] =
	"SELECT pg_catalog.current_setting('lock_timeout'), l.relation::pg_catalog.text,"
	" CASE WHEN c.oid IS NOT NULL THEN " QUALIFIED_NAME " END,"
	" c.relfilenode::pg_catalog.text, l.mode"
	" FROM (SELECT 1) AS one LEFT JOIN (pg_catalog.pg_locks l"
	" LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation"
	" LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)"
	" ON l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'"
	" AND l.granted AND l.database = (SELECT oid FROM pg_catalog.pg_database"
	" WHERE datname = pg_catalog.current_database())"
	" AND (c.oid IS NULL OR (" USER_NAMESPACE "))"
	" ORDER BY 2, 5";

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void rel_release(struct inspect_rel *rel)
{
	free(rel->oid);
	free(rel->name);
	free(rel->relfilenode);
}

void inspect_rels_release(struct inspect_rels *r)
{
	for (size_t i = 0; i < r->n; i++)
		rel_release(&r->items[i]);
	free(r->items);
	*r = (struct inspect_rels){ 0 };
}

struct inspect_rel *inspect_rels_find(struct inspect_rels *r, const char *oid)
{
	for (size_t i = 0; oid && i < r->n; i++)
		if (strcmp(r->items[i].oid, oid) == 0)
			return &r->items[i];
	return NULL;
}

struct inspect_rel *inspect_rels_add(struct inspect_rels *r,
				     const struct inspect_rel *rel)
{
	struct inspect_rel *item;

	if (r->n == r->cap) {
		size_t want = r->cap ? r->cap * 2 : 64;
		void *bigger = realloc(r->items, want * sizeof(*r->items));

		if (!bigger)
			return NULL;
		r->items = bigger;
		r->cap = want;
	}
	item = &r->items[r->n];
	*item = (struct inspect_rel){ .oid = dup_or_null(rel->oid),
				      .name = dup_or_null(rel->name),
				      .relfilenode =
					      dup_or_null(rel->relfilenode),
				      .existed = rel->existed };
	if (!item->oid || (rel->name && !item->name) ||
	    (rel->relfilenode && !item->relfilenode)) {
		rel_release(item);
		return NULL;
	}
	r->n++;
	return item;
}

int inspect_relations(struct db *db, struct inspect_rels *out,
		      struct retort_error *err)
{
	struct db_rows *rows = db_query(db, relations_sql, 0, NULL, err);

	*out = (struct inspect_rels){ 0 };
	if (!rows) {
		error_prefix(err, "cannot read the relations");
		return -1;
	}
	for (size_t i = 0; i < db_nrows(rows); i++) {
		struct inspect_rel rel = { .oid = (char *)db_value(rows, i, 0),
					   .name = (char *)db_value(rows, i, 1),
					   .relfilenode =
						   (char *)db_value(rows, i, 2),
					   .existed = true };

		if (!inspect_rels_add(out, &rel)) {
			db_rows_free(rows);
			inspect_rels_release(out);
			return error_set(err, RETORT_FAILED, "out of memory");
		}
	}
	db_rows_free(rows);
	return 0;
}

void inspect_snapshot_release(struct inspect_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		rel_release(&s->locks[i].rel);
		free(s->locks[i].mode);
	}
	free(s->locks);
	free(s->lock_timeout);
	*s = (struct inspect_snapshot){ 0 };
}

static bool fill_lock(struct inspect_lock *l, const struct db_rows *rows,
		      size_t i)
{
	*l = (struct inspect_lock){
		.rel = { .oid = dup_or_null(db_value(rows, i, 1)),
			 .name = dup_or_null(db_value(rows, i, 2)),
			 .relfilenode = dup_or_null(db_value(rows, i, 3)) },
		.mode = dup_or_null(db_value(rows, i, 4)),
	};
	return l->rel.oid && l->mode &&
	       (!db_value(rows, i, 2) || l->rel.name) &&
	       (!db_value(rows, i, 3) || l->rel.relfilenode);
}

int inspect_read(struct db *db, struct inspect_snapshot *out,
		 struct retort_error *err)
{
	struct db_rows *rows = db_query(db, locks_sql, 0, NULL, err);
	bool ok;
	size_t n;

	*out = (struct inspect_snapshot){ 0 };
	if (!rows) {
		error_prefix(err, "cannot read the rehearsal's locks");
		return -1;
	}
	n = db_nrows(rows);
	out->lock_timeout = dup_or_null(n ? db_value(rows, 0, 0) : "0");
	out->locks = calloc(n ? n : 1, sizeof(*out->locks));
	ok = out->lock_timeout && out->locks;
	for (size_t i = 0; ok && i < n; i++) {
		/* The left join's one row when no lock is held. */
		if (db_value(rows, i, 1))
			ok = fill_lock(&out->locks[out->n++], rows, i);
	}
	db_rows_free(rows);
	if (ok)
		return 0;
	inspect_snapshot_release(out);
	return error_set(err, RETORT_FAILED, "out of memory");
}

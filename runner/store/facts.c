/*
 * facts.c - the catalog's figures for a list of tables in the target
 * (facts.h).  One query for the whole list: the names travel as one text
 * array parameter, so that no name is ever part of the SQL text, and
 * to_regclass() resolves each as the server would, without failing on a
 * name that resolves to nothing.  Reads only pg_class and pg_index and
 * the relation's size functions: no table is scanned.  Never prints.
 */
#include "store/facts.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

static const char sql_facts[] =
	"SELECT n.ord, c.oid IS NOT NULL, COALESCE(c.reltuples, 0),"
	" COALESCE(pg_catalog.pg_total_relation_size(c.oid), 0),"
	" (SELECT count(*) FROM pg_catalog.pg_index i"
	" WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid)"
	" FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY"
	" AS n(name, ord)"
	" LEFT JOIN pg_catalog.pg_class c"
	" ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(n.name)"
	" ORDER BY n.ord";

/* {"a","b"}: an array literal of the names, each quoted for it. */
static char *array_literal(const char *const *names, size_t n)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		strbuf_add(&b, i ? ",\"" : "\"");
		for (const char *p = names[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addc(&b, '\\');
			strbuf_addc(&b, *p);
		}
		strbuf_addc(&b, '"');
	}
	strbuf_addc(&b, '}');
	return strbuf_finish(&b);
}

static void fill_one(struct table_facts *f, const struct db_rows *rows,
		     size_t row)
{
	double tuples = strtod(db_value(rows, row, 2), NULL);

	f->exists = strcmp(db_value(rows, row, 1), "t") == 0;
	/* PostgreSQL 14 and later say -1 for "never estimated"; earlier
	 * ones say 0, which cannot be told from an empty table. */
	f->rows_known = f->exists && tuples >= 0;
	f->rows = tuples >= 0 ? tuples : 0;
	f->bytes = strtoll(db_value(rows, row, 3), NULL, 10);
	f->nindexes = atoi(db_value(rows, row, 4));
}

int facts_read(struct db *target, const char *const *relations, size_t n,
	       struct table_facts *out, struct retort_error *err)
{
	struct db_rows *rows = NULL;
	char *names;
	const char *params[1];

	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		if (!(out[i].relation = strdup(relations[i])))
			return error_set(err, RETORT_FAILED, "out of memory");
	if (n == 0)
		return 0;
	names = array_literal(relations, n);
	if (!names)
		return error_set(err, RETORT_FAILED, "out of memory");
	params[0] = names;
	rows = db_query(target, sql_facts, 1, params, err);
	free(names);
	if (!rows) {
		error_prefix(
			err,
			"cannot read the sizes of the tables in the target");
		return -1;
	}
	for (size_t i = 0; i < n && i < db_nrows(rows); i++)
		fill_one(&out[i], rows, i);
	db_rows_free(rows);
	return 0;
}

void facts_release(struct table_facts *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++) {
		free(f[i].relation);
		f[i].relation = NULL;
	}
}

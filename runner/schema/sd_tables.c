/*
 * sd_tables.c - tables: created with their constraints and indexes,
 * dropped (with a note when a created one has the same columns: maybe a
 * rename), or altered through their columns and keys.  Pure: no I/O.
 */
#include "schema/sd_tables.h"

#include <stdlib.h>

#include "base/strbuf.h"
#include "schema/sd_columns.h"
#include "schema/sd_keys.h"

static bool same_columns(const struct cat_table *a, const struct cat_table *b)
{
	if (a->ncols != b->ncols || !sd_eq(a->schema, b->schema))
		return false;
	for (size_t i = 0; i < a->ncols; i++)
		if (!sd_eq(a->cols[i].name, b->cols[i].name) ||
		    !sd_eq(a->cols[i].type, b->cols[i].type))
			return false;
	return true;
}

/* A table on the other side, absent on this one, with the same columns. */
static const struct cat_table *table_twin(const struct catalog *there,
					  const struct catalog *here,
					  const struct cat_table *t)
{
	for (size_t i = 0; i < there->ntables; i++) {
		const struct cat_table *c = &there->tables[i];

		if (c->ncols > 0 && same_columns(c, t) &&
		    catalog_table(here, c->schema, c->name) == NULL)
			return c;
	}
	return NULL;
}

static const char *table_rename(struct differ *d, const struct cat_table *old,
				const struct cat_table *new_)
{
	if (old == NULL || new_ == NULL)
		return NULL;
	return sd_keep(
		d,
		sd_fmt(d,
		       "if table %s became %s, replace its DROP TABLE and CREATE TABLE with ALTER TABLE %s RENAME TO %s, which keeps the data",
		       sd_tname(d, old), sd_tname(d, new_), sd_tname(d, old),
		       sd_qi(d, new_->name)));
}

static void create_table(struct differ *d, const struct cat_table *t)
{
	const char *rename = table_rename(d, table_twin(d->from, d->to, t), t);
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "CREATE %sTABLE %s (", t->unlogged ? "UNLOGGED " : "",
		    sd_tname(d, t));
	for (size_t i = 0; i < t->ncols; i++) {
		strbuf_addf(&b, "%s\n    %s", i ? "," : "",
			    sd_column_def(d, &t->cols[i]));
	}
	strbuf_add(&b, t->ncols ? "\n)" : ")");
	sd_emit(d,
		(struct sd_stmt){ PH_TABLE, SD_PART_MAIN,
				  rename ? SD_RENAME : 0, strbuf_finish(&b),
				  sd_fmt(d, "create table %s", sd_tname(d, t)),
				  rename ? sd_fmt(d, "%s", rename) : NULL });
	for (size_t i = 0; i < t->ncons; i++)
		sd_add_constraint(d, t, &t->cons[i], false);
	for (size_t i = 0; i < t->nidx; i++)
		sd_create_index(d, t, &t->idx[i], false);
}

static void drop_table(struct differ *d, const struct cat_table *t)
{
	const char *rename = table_rename(d, t, table_twin(d->to, d->from, t));
	char *loss =
		sd_fmt(d, "drops table %s and every row in it", sd_tname(d, t));

	/* Keys between dropped tables would stop DROP TABLE. */
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == 'f')
			sd_drop_constraint(d, t, &t->cons[i]);
	sd_emit(d, (struct sd_stmt){ PH_DROP_TABLE, SD_PART_MAIN,
				     SD_DATA_LOSS | (rename ? SD_RENAME : 0),
				     sd_fmt(d, "DROP TABLE %s", sd_tname(d, t)),
				     sd_fmt(d, "drop table %s", sd_tname(d, t)),
				     sd_join_notes(d, loss, rename) });
	free(loss);
}

static void alter_table(struct differ *d, const struct cat_table *a,
			const struct cat_table *b)
{
	if (a->unlogged != b->unlogged)
		sd_emit(d,
			(struct sd_stmt){
				PH_COLUMN, SD_PART_MAIN, SD_REWRITE | SD_LOCK,
				sd_fmt(d, "ALTER TABLE %s SET %s",
				       sd_tname(d, b),
				       b->unlogged ? "UNLOGGED" : "LOGGED"),
				sd_fmt(d, "set table %s %s", sd_tname(d, b),
				       b->unlogged ? "unlogged" : "logged"),
				sd_fmt(d,
				       "rewrites %s under an ACCESS EXCLUSIVE lock",
				       sd_tname(d, b)) });
	sd_diff_columns(d, a, b);
	sd_diff_keys(d, a, b);
}

static void table_pair(struct differ *d, const void *a, const void *b)
{
	if (b == NULL)
		drop_table(d, a);
	else if (a == NULL)
		create_table(d, b);
	else
		alter_table(d, a, b);
}

void sd_diff_tables(struct differ *d)
{
	sd_walk(d, d->from->tables, d->from->ntables, d->to->tables,
		d->to->ntables, sizeof(*d->to->tables), catalog_cmp_table,
		table_pair);
}

/*
 * sd_keys.c - a table's constraints and indexes.  On a table that exists,
 * the upgrade avoids long locks where PostgreSQL allows: checks and
 * foreign keys are added NOT VALID and validated outside the transaction,
 * new indexes built CONCURRENTLY in a part of their own.  What a changed
 * unique key is referenced by is dropped first and added again after.
 * Pure: no I/O.
 */
#include "schema/sd_keys.h"

#include <string.h>

#include "schema/sd_columns.h"

/* ---- constraints ---- */

/*
 * Whether the unique keys of a table (primary key, unique constraints,
 * unique indexes) lose or change one: a foreign key that references the
 * table must then be dropped first and added again after.
 */
static bool keys_change(struct differ *d, const char *schema, const char *name)
{
	const struct cat_table *a = catalog_table(d->from, schema, name);
	const struct cat_table *b = catalog_table(d->to, schema, name);

	if (a == NULL || b == NULL)
		return false;
	for (size_t i = 0; i < a->ncons; i++) {
		const struct cat_constraint *k = &a->cons[i];
		const struct cat_constraint *m = catalog_constraint(b, k->name);

		if ((k->kind == 'p' || k->kind == 'u') &&
		    (m == NULL || !sd_eq(m->def, k->def)))
			return true;
	}
	for (size_t i = 0; i < a->nidx; i++) {
		const struct cat_index *x = &a->idx[i];
		const struct cat_index *y = catalog_index(b, x->name);

		if (x->unique && (y == NULL || !sd_eq(x->def, y->def)))
			return true;
	}
	return false;
}

/* A constraint that stays as it is, from a to b. */
static bool constraint_kept(struct differ *d, const struct cat_table *a,
			    const struct cat_table *b,
			    const struct cat_constraint *k)
{
	const struct cat_constraint *m = catalog_constraint(b, k->name);
	const struct cat_constraint *o = catalog_constraint(a, k->name);

	if (m == NULL || o == NULL || o->kind != m->kind ||
	    !sd_eq(o->def, m->def))
		return false;
	if (m->kind == 'f' && keys_change(d, m->ref_schema, m->ref_table))
		return false;
	return !sd_touches_replaced(d, a, b, m->def);
}

void sd_drop_constraint(struct differ *d, const struct cat_table *t,
			const struct cat_constraint *k)
{
	sd_emit_plain(d, k->kind == 'f' ? PH_DROP_FK : PH_DROP_CONSTRAINT,
		      sd_fmt(d, "drop constraint %s on %s", sd_qi(d, k->name),
			     sd_tname(d, t)),
		      sd_fmt(d, "ALTER TABLE %s DROP CONSTRAINT %s",
			     sd_tname(d, t), sd_qi(d, k->name)));
}

static void validate_constraint(struct differ *d, const struct cat_table *t,
				const struct cat_constraint *k)
{
	sd_emit(d,
		(struct sd_stmt){
			PH_VALIDATE, d->down ? SD_PART_MAIN : SD_PART_POST, 0,
			sd_fmt(d, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
			       sd_tname(d, t), sd_qi(d, k->name)),
			sd_fmt(d, "validate constraint %s on %s",
			       sd_qi(d, k->name), sd_tname(d, t)),
			NULL });
}

/*
 * On a table that exists, the upgrade adds a check or foreign key NOT
 * VALID (a short lock, no scan) and validates it in the part that runs
 * outside a transaction, where the scan holds only a SHARE UPDATE
 * EXCLUSIVE lock and lets writes through.
 */
void sd_add_constraint(struct differ *d, const struct cat_table *t,
		       const struct cat_constraint *k, bool existed)
{
	bool checked = k->kind == 'c' || k->kind == 'f';
	bool split = existed && checked && k->validated && !d->down;
	bool keyed = k->kind == 'p' || k->kind == 'u' || k->kind == 'x';
	unsigned hazards = existed && keyed ? SD_LOCK : 0;
	char *note = NULL;

	if (hazards)
		note = sd_fmt(
			d,
			"builds an index for %s under an ACCESS EXCLUSIVE lock on %s: reads and writes wait until it ends (for a large table, CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX)",
			sd_qi(d, k->name), sd_tname(d, t));
	sd_emit(d, (struct sd_stmt){
			   k->kind == 'f' ? PH_FK : PH_CONSTRAINT, SD_PART_MAIN,
			   hazards,
			   sd_fmt(d, "ALTER TABLE %s ADD CONSTRAINT %s %s%s",
				  sd_tname(d, t), sd_qi(d, k->name), k->def,
				  split || !k->validated ? " NOT VALID" : ""),
			   sd_fmt(d, "add constraint %s on %s",
				  sd_qi(d, k->name), sd_tname(d, t)),
			   note });
	if (split)
		validate_constraint(d, t, k);
}

static void diff_constraints(struct differ *d, const struct cat_table *a,
			     const struct cat_table *b)
{
	for (size_t i = 0; i < a->ncons; i++)
		if (!constraint_kept(d, a, b, &a->cons[i]))
			sd_drop_constraint(d, b, &a->cons[i]);
	for (size_t i = 0; i < b->ncons; i++) {
		const struct cat_constraint *k = &b->cons[i];
		const struct cat_constraint *o = catalog_constraint(a, k->name);

		if (!constraint_kept(d, a, b, k))
			sd_add_constraint(d, b, k, true);
		else if (k->validated && !o->validated)
			validate_constraint(d, b, k);
	}
}

/* ---- indexes ---- */

/*
 * Whether a new foreign key of the upgrade references table schema.name:
 * then its new unique indexes are built in the main part, before the key
 * needs them, not concurrently after it.
 */
static bool referenced_by_new_key(struct differ *d, const char *schema,
				  const char *name)
{
	for (size_t i = 0; i < d->new_->ntables; i++) {
		const struct cat_table *t = &d->new_->tables[i];
		const struct cat_table *o =
			catalog_table(d->old, t->schema, t->name);

		for (size_t j = 0; j < t->ncons; j++) {
			const struct cat_constraint *k = &t->cons[j];
			const struct cat_constraint *m =
				catalog_constraint(o, k->name);

			if (k->kind == 'f' && sd_eq(k->ref_schema, schema) &&
			    sd_eq(k->ref_table, name) &&
			    (m == NULL || !sd_eq(m->def, k->def)))
				return true;
		}
	}
	return false;
}

/*
 * An index the upgrade builds CONCURRENTLY in its own part: new (its name
 * unknown to the old table) on a table that exists on both sides.
 */
static bool index_deferred(struct differ *d, const struct cat_table *t,
			   const struct cat_index *x)
{
	const struct cat_table *o = catalog_table(d->old, t->schema, t->name);
	const struct cat_table *n = catalog_table(d->new_, t->schema, t->name);

	if (o == NULL || n == NULL || catalog_index(o, x->name) ||
	    !catalog_index(n, x->name))
		return false;
	return !(x->unique && referenced_by_new_key(d, t->schema, t->name));
}

/* "CREATE [UNIQUE] INDEX name ..." with CONCURRENTLY after INDEX. */
static char *concurrent_def(struct differ *d, const char *def)
{
	const char *at = strstr(def, "INDEX ");

	if (at == NULL)
		return sd_fmt(d, "%s", def);
	return sd_fmt(d, "%.*sINDEX CONCURRENTLY %s", (int)(at - def), def,
		      at + strlen("INDEX "));
}

void sd_create_index(struct differ *d, const struct cat_table *t,
		     const struct cat_index *x, bool existed)
{
	const char *name = sd_qn(d, t->schema, x->name);

	if (existed && !d->down && index_deferred(d, t, x)) {
		/* Re-runnable: a failed concurrent build leaves an INVALID
		 * index of this name behind, which goes first. */
		sd_emit_guarded(
			d,
			(struct sd_stmt){
				PH_INDEX, SD_PART_POST, 0,
				concurrent_def(d, x->def),
				sd_fmt(d, "create index %s on %s concurrently",
				       name, sd_tname(d, t)),
				NULL },
			sd_fmt(d, "DROP INDEX CONCURRENTLY IF EXISTS %s",
			       name));
		return;
	}
	sd_emit(d,
		(struct sd_stmt){
			PH_INDEX, SD_PART_MAIN, existed ? SD_BLOCKS_WRITES : 0,
			sd_fmt(d, "%s", x->def),
			sd_fmt(d, "create index %s on %s", name,
			       sd_tname(d, t)),
			existed ? sd_fmt(d,
					 "builds the index while writes to %s wait (CREATE INDEX CONCURRENTLY in a RETORT_NO_TRANSACTION revision lets them through)",
					 sd_tname(d, t))
				: NULL });
}

static void drop_index(struct differ *d, const struct cat_table *t,
		       const struct cat_index *x)
{
	const char *name = sd_qn(d, t->schema, x->name);

	if (d->down && index_deferred(d, t, x)) {
		sd_emit(d,
			(struct sd_stmt){
				PH_DROP_CONSTRAINT, SD_PART_POST, 0,
				sd_fmt(d,
				       "DROP INDEX CONCURRENTLY IF EXISTS %s",
				       name),
				sd_fmt(d, "drop index %s", name), NULL });
		return;
	}
	sd_emit_plain(d, PH_DROP_CONSTRAINT, sd_fmt(d, "drop index %s", name),
		      sd_fmt(d, "DROP INDEX %s", name));
}

static bool index_kept(struct differ *d, const struct cat_table *a,
		       const struct cat_table *b, const struct cat_index *x)
{
	const struct cat_index *o = catalog_index(a, x->name);
	const struct cat_index *n = catalog_index(b, x->name);

	return o && n && o->valid && sd_eq(o->def, n->def) &&
	       !sd_touches_replaced(d, a, b, n->def);
}

static void diff_indexes(struct differ *d, const struct cat_table *a,
			 const struct cat_table *b)
{
	for (size_t i = 0; i < a->nidx; i++)
		if (!index_kept(d, a, b, &a->idx[i]))
			drop_index(d, b, &a->idx[i]);
	for (size_t i = 0; i < b->nidx; i++)
		if (!index_kept(d, a, b, &b->idx[i]))
			sd_create_index(d, b, &b->idx[i], true);
}

void sd_diff_keys(struct differ *d, const struct cat_table *a,
		  const struct cat_table *b)
{
	diff_constraints(d, a, b);
	diff_indexes(d, a, b);
}

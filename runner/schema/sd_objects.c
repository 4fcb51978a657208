/*
 * sd_objects.c - the objects around the tables: schemas, extensions,
 * enum types, and every kind autogenerate does not model (views,
 * functions, triggers, grants, ...), whose differences it refuses to
 * write rather than ignore.  Pure: no I/O.
 */
#include "schema/sd_objects.h"

#include <string.h>

#include "base/strbuf.h"

/* ---- schemas and extensions ---- */

static void schema_pair(struct differ *d, const void *a, const void *b)
{
	const char *const *old = a, *const *new_ = b;

	if (new_ == NULL)
		sd_emit_plain(d, PH_DROP_SCHEMA,
			      sd_fmt(d, "drop schema %s", sd_qi(d, *old)),
			      sd_fmt(d, "DROP SCHEMA %s", sd_qi(d, *old)));
	else if (old == NULL)
		sd_emit_plain(d, PH_SCHEMA,
			      sd_fmt(d, "create schema %s", sd_qi(d, *new_)),
			      sd_fmt(d, "CREATE SCHEMA %s", sd_qi(d, *new_)));
}

static void extension_pair(struct differ *d, const void *x, const void *y)
{
	const struct cat_extension *a = x, *b = y;

	if (b == NULL)
		sd_emit_plain(
			d, PH_DROP_EXTENSION,
			sd_fmt(d, "drop extension %s", sd_qi(d, a->name)),
			sd_fmt(d, "DROP EXTENSION %s", sd_qi(d, a->name)));
	else if (a == NULL)
		sd_emit_plain(
			d, PH_EXTENSION,
			sd_fmt(d, "create extension %s", sd_qi(d, b->name)),
			sd_fmt(d, "CREATE EXTENSION %s WITH SCHEMA %s",
			       sd_qi(d, b->name), sd_qi(d, b->schema)));
	else if (!sd_eq(a->schema, b->schema))
		sd_emit_plain(d, PH_EXTENSION,
			      sd_fmt(d, "move extension %s to schema %s",
				     sd_qi(d, b->name), sd_qi(d, b->schema)),
			      sd_fmt(d, "ALTER EXTENSION %s SET SCHEMA %s",
				     sd_qi(d, b->name), sd_qi(d, b->schema)));
}

void sd_diff_schemas(struct differ *d)
{
	sd_walk(d, d->from->schemas, d->from->nschemas, d->to->schemas,
		d->to->nschemas, sizeof(*d->to->schemas), catalog_cmp_schema,
		schema_pair);
	sd_walk(d, d->from->exts, d->from->nexts, d->to->exts, d->to->nexts,
		sizeof(*d->to->exts), catalog_cmp_extension, extension_pair);
}

/* ---- enum types ---- */

static const char *label_list(struct differ *d, const struct cat_enum *e)
{
	struct strbuf b = STRBUF_INIT;

	for (size_t i = 0; i < e->nlabels; i++)
		strbuf_addf(&b, "%s%s", i ? ", " : "", sd_ql(d, e->labels[i]));
	return sd_keep_text(d, &b);
}

static bool has_label(const struct cat_enum *e, const char *label)
{
	for (size_t i = 0; i < e->nlabels; i++)
		if (strcmp(e->labels[i], label) == 0)
			return true;
	return false;
}

/* Whether a's labels appear in b in the same order (b may add more). */
static bool labels_kept(const struct cat_enum *a, const struct cat_enum *b)
{
	size_t j = 0;

	for (size_t i = 0; i < a->nlabels; i++) {
		while (j < b->nlabels && strcmp(b->labels[j], a->labels[i]))
			j++;
		if (j == b->nlabels)
			return false;
		j++;
	}
	return true;
}

static void create_enum(struct differ *d, const struct cat_enum *e)
{
	const char *name = sd_qn(d, e->schema, e->name);

	sd_emit_plain(d, PH_TYPE, sd_fmt(d, "create enum type %s", name),
		      sd_fmt(d, "CREATE TYPE %s AS ENUM (%s)", name,
			     label_list(d, e)));
}

/*
 * ADD VALUE for each label of b that a lacks, each placed next to one
 * that exists by the time it runs, in PRE: PostgreSQL lets a transaction
 * use a new value only once the ADD VALUE has committed.
 */
static void add_enum_values(struct differ *d, const struct cat_enum *a,
			    const struct cat_enum *b)
{
	const char *name = sd_qn(d, b->schema, b->name);

	for (size_t i = 0; i < b->nlabels; i++) {
		const char *label = b->labels[i], *where = "", *next = NULL;

		if (has_label(a, label))
			continue;
		if (i > 0) {
			where = " AFTER ";
			next = b->labels[i - 1];
		} else if (a->nlabels > 0) {
			where = " BEFORE ";
			for (size_t k = 1; k < b->nlabels && next == NULL; k++)
				if (has_label(a, b->labels[k]))
					next = b->labels[k];
		}
		sd_emit(d,
			(struct sd_stmt){
				PH_ENUM_VALUE, SD_PART_PRE, 0,
				sd_fmt(d, "ALTER TYPE %s ADD VALUE %s%s%s",
				       name, sd_ql(d, label), next ? where : "",
				       next ? sd_ql(d, next) : ""),
				sd_fmt(d, "add value %s to enum type %s",
				       sd_ql(d, label), name),
				NULL });
	}
}

static void enum_refused(struct differ *d, const struct cat_enum *a,
			 const struct cat_enum *b)
{
	const char *name = sd_qn(d, b->schema, b->name);
	const char *was = label_list(d, a), *now = label_list(d, b);

	if (d->down) {
		sd_emit(d,
			(struct sd_stmt){
				PH_ENUM_VALUE, SD_PART_PRE, 0, NULL,
				sd_fmt(d, "remove values from enum type %s",
				       name),
				sd_fmt(d,
				       "enum type %s cannot go back from (%s) to (%s): PostgreSQL cannot remove a value from an enum type",
				       name, was, now) });
	} else {
		sd_add_problem(
			d,
			sd_fmt(d,
			       "enum type %s: the database has (%s), the declared schema (%s): PostgreSQL cannot remove or reorder enum values; write that change by hand (a new type, the columns converted to it, the old type dropped)",
			       name, was, now));
	}
}

static void enum_pair(struct differ *d, const void *x, const void *y)
{
	const struct cat_enum *a = x, *b = y;

	if (b == NULL)
		sd_emit_plain(d, PH_DROP_TYPE,
			      sd_fmt(d, "drop enum type %s",
				     sd_qn(d, a->schema, a->name)),
			      sd_fmt(d, "DROP TYPE %s",
				     sd_qn(d, a->schema, a->name)));
	else if (a == NULL)
		create_enum(d, b);
	else if (labels_kept(a, b))
		add_enum_values(d, a, b);
	else
		enum_refused(d, a, b);
}

void sd_diff_enums(struct differ *d)
{
	sd_walk(d, d->from->enums, d->from->nenums, d->to->enums, d->to->nenums,
		sizeof(*d->to->enums), catalog_cmp_enum, enum_pair);
}

/* ---- everything else: refused, never ignored ---- */

static void refuse_other(struct differ *d, const struct cat_other *o,
			 const char *how)
{
	sd_add_problem(
		d,
		sd_fmt(d,
		       "%s %s %s; autogenerate does not write %ss: write this change by hand",
		       o->kind, o->identity, how, o->kind));
}

static void other_pair(struct differ *d, const void *x, const void *y)
{
	const struct cat_other *a = x, *b = y;

	if (b == NULL)
		refuse_other(
			d, a,
			"is in the database but not in the declared schema");
	else if (a == NULL)
		refuse_other(
			d, b,
			"is in the declared schema but not in the database");
	else if (!sd_eq(a->def, b->def))
		refuse_other(
			d, b,
			"differs between the database and the declared schema");
}

void sd_diff_others(struct differ *d)
{
	sd_walk(d, d->from->others, d->from->nothers, d->to->others,
		d->to->nothers, sizeof(*d->to->others), catalog_cmp_other,
		other_pair);
}

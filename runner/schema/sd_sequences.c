/*
 * sd_sequences.c - sequences, and the options they share with identity
 * columns, written as PostgreSQL would default them: only what differs
 * from the defaults of the type and direction.  Pure: no I/O.
 */
#include "schema/sd_sequences.h"

#include <stdlib.h>
#include <string.h>

/* The limits of an integer type, as text; NULL for another type. */
static bool int_limits(const char *type, const char **min, const char **max)
{
	static const struct {
		const char *type, *min, *max;
	} types[] = {
		{ "smallint", "-32768", "32767" },
		{ "integer", "-2147483648", "2147483647" },
		{ "bigint", "-9223372036854775808", "9223372036854775807" },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (sd_eq(type, types[i].type)) {
			*min = types[i].min;
			*max = types[i].max;
			return true;
		}
	return false;
}

/* PostgreSQL's defaults for a sequence of type and direction. */
static void seq_defaults(const char *type, const char *increment,
			 struct cat_seqopts *out)
{
	const char *tmin = NULL, *tmax = NULL;
	bool descending = increment != NULL && increment[0] == '-';

	int_limits(type ? type : "bigint", &tmin, &tmax);
	out->type = "bigint";
	out->increment = "1";
	out->min = descending ? tmin : "1";
	out->max = descending ? "-1" : tmax;
	out->start = descending ? "-1" : "1";
	out->cache = "1";
	out->cycle = false;
}

void sd_seq_options(struct strbuf *b, const struct cat_seqopts *o,
		    const char *prefix, bool with_type, bool every)
{
	struct cat_seqopts def;
	const char *sep = "";

	seq_defaults(o->type, o->increment, &def);
#define SEQ_OPT(cond, ...)                                                     \
	do {                                                                   \
		if (every || (cond)) {                                         \
			strbuf_addf(b, "%s%s", sep, prefix);                   \
			strbuf_addf(b, __VA_ARGS__);                           \
			sep = " ";                                             \
		}                                                              \
	} while (0)
	if (with_type)
		SEQ_OPT(!sd_eq(o->type, def.type), "AS %s", o->type);
	SEQ_OPT(!sd_eq(o->increment, def.increment), "INCREMENT BY %s",
		o->increment);
	SEQ_OPT(!sd_eq(o->min, def.min), "MINVALUE %s", o->min);
	SEQ_OPT(!sd_eq(o->max, def.max), "MAXVALUE %s", o->max);
	SEQ_OPT(!sd_eq(o->start, def.start), "START WITH %s", o->start);
	SEQ_OPT(!sd_eq(o->cache, def.cache), "CACHE %s", o->cache);
	SEQ_OPT(o->cycle, "%s", o->cycle ? "CYCLE" : "NO CYCLE");
#undef SEQ_OPT
}

bool sd_seqopts_equal(const struct cat_seqopts *a, const struct cat_seqopts *b,
		      bool with_type)
{
	return (!with_type || sd_eq(a->type, b->type)) &&
	       sd_eq(a->increment, b->increment) && sd_eq(a->min, b->min) &&
	       sd_eq(a->max, b->max) && sd_eq(a->start, b->start) &&
	       sd_eq(a->cache, b->cache) && a->cycle == b->cycle;
}

static void set_sequence_owner(struct differ *d, const struct cat_sequence *s)
{
	const char *name = sd_qn(d, s->schema, s->name);

	if (s->owned_table == NULL)
		sd_emit_plain(
			d, PH_SEQUENCE_OWNER,
			sd_fmt(d, "sequence %s owned by no column", name),
			sd_fmt(d, "ALTER SEQUENCE %s OWNED BY NONE", name));
	else
		sd_emit_plain(d, PH_SEQUENCE_OWNER,
			      sd_fmt(d, "sequence %s owned by %s.%s", name,
				     sd_qn(d, s->schema, s->owned_table),
				     sd_qi(d, s->owned_column)),
			      sd_fmt(d, "ALTER SEQUENCE %s OWNED BY %s.%s",
				     name, sd_qn(d, s->schema, s->owned_table),
				     sd_qi(d, s->owned_column)));
}

static void create_sequence(struct differ *d, const struct cat_sequence *s)
{
	struct strbuf b = STRBUF_INIT, opts = STRBUF_INIT;
	const char *text;

	sd_seq_options(&opts, &s->opts, "", true, false);
	text = sd_keep_text(d, &opts);
	strbuf_addf(&b, "CREATE SEQUENCE %s%s%s", sd_qn(d, s->schema, s->name),
		    *text ? " " : "", text);
	sd_emit_plain(
		d, PH_SEQUENCE,
		sd_fmt(d, "create sequence %s", sd_qn(d, s->schema, s->name)),
		strbuf_finish(&b));
	if (s->owned_table)
		set_sequence_owner(d, s);
}

static long long number(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* A narrower range fails if the current value falls outside it. */
static void alter_sequence(struct differ *d, const struct cat_sequence *a,
			   const struct cat_sequence *s)
{
	const char *name = sd_qn(d, s->schema, s->name);
	bool narrower = number(s->opts.min) > number(a->opts.min) ||
			number(s->opts.max) < number(a->opts.max);
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "ALTER SEQUENCE %s ", name);
	sd_seq_options(&b, &s->opts, "", true, true);
	sd_emit(d,
		(struct sd_stmt){
			PH_SEQUENCE, SD_PART_MAIN, narrower ? SD_ROWS : 0,
			strbuf_finish(&b), sd_fmt(d, "alter sequence %s", name),
			narrower
				? sd_fmt(d,
					 "fails if the current value of %s is outside the new range: add RESTART WITH a value inside it if so (never one already used)",
					 name)
				: NULL });
}

/* A sequence goes with the table or column that owns it. */
static bool dropped_with_owner(struct differ *d, const struct cat_sequence *s)
{
	const struct cat_table *t;

	if (s->owned_table == NULL)
		return false;
	t = catalog_table(d->to, s->schema, s->owned_table);
	return t == NULL || catalog_column(t, s->owned_column) == NULL;
}

static void drop_sequence(struct differ *d, const struct cat_sequence *s)
{
	const char *name = sd_qn(d, s->schema, s->name);

	if (dropped_with_owner(d, s))
		return;
	sd_emit(d, (struct sd_stmt){
			   PH_DROP_SEQUENCE, SD_PART_MAIN, SD_DATA_LOSS,
			   sd_fmt(d, "DROP SEQUENCE %s", name),
			   sd_fmt(d, "drop sequence %s", name),
			   sd_fmt(d, "drops sequence %s and its current value",
				  name) });
}

static void sequence_pair(struct differ *d, const void *x, const void *y)
{
	const struct cat_sequence *a = x, *b = y;

	if (b == NULL) {
		drop_sequence(d, a);
	} else if (a == NULL) {
		create_sequence(d, b);
	} else {
		if (!sd_seqopts_equal(&a->opts, &b->opts, true))
			alter_sequence(d, a, b);
		if (!sd_eq(a->owned_table, b->owned_table) ||
		    !sd_eq(a->owned_column, b->owned_column))
			set_sequence_owner(d, b);
	}
}

void sd_diff_sequences(struct differ *d)
{
	sd_walk(d, d->from->seqs, d->from->nseqs, d->to->seqs, d->to->nseqs,
		sizeof(*d->to->seqs), catalog_cmp_sequence, sequence_pair);
}

/*
 * schemadiff.c - two schemas in, the statements between them out.
 *
 * The upgrade and the downgrade are each computed from the two catalogs
 * (from -> to), never by inverting one another, so both get the same
 * ordering and hazard rules.  Statements are sorted by phase: schemas,
 * extensions, types and sequences first; then the foreign keys,
 * constraints and indexes about to change are dropped; tables and columns;
 * constraints, indexes, foreign keys; the drops of columns, tables,
 * sequences, types, extensions and schemas last.  Identifiers are quoted
 * here as quote_ident() would; every other piece of SQL is PostgreSQL's own
 * deparsed text from the catalogs.  Pure: no I/O, never prints.
 */
#include "schema/schemadiff.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase {
	PH_SCHEMA,
	PH_EXTENSION,
	PH_TYPE,
	PH_ENUM_VALUE,
	PH_SEQUENCE,
	PH_DROP_FK,
	PH_DROP_CONSTRAINT, /* and indexes */
	PH_TABLE,
	PH_COLUMN,
	PH_SEQUENCE_OWNER,
	PH_CONSTRAINT,
	PH_INDEX,
	PH_FK,
	PH_VALIDATE,
	PH_DROP_COLUMN,
	PH_DROP_TABLE,
	PH_DROP_SEQUENCE,
	PH_DROP_TYPE,
	PH_DROP_EXTENSION,
	PH_DROP_SCHEMA
};

/* ---- text ---- */

struct sb {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sb *b, const char *p, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = 2 * (b->len + n + 1);
		char *s = realloc(b->s, cap);

		if (s == NULL) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) ERROR_PRINTF(2, 3);

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
	} else if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);

		if (big == NULL) {
			b->failed = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		sb_add(b, big, (size_t)n);
		free(big);
	}
}

/* The text, owned by the caller; NULL if memory ran out. */
static char *sb_finish(struct sb *b)
{
	sb_add(b, "", 0);
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* Keywords quote_ident() quotes: every category but unreserved (PG 15). */
static const char *const keywords[] = {
	"all",
	"analyse",
	"analyze",
	"and",
	"any",
	"array",
	"as",
	"asc",
	"asymmetric",
	"authorization",
	"between",
	"bigint",
	"binary",
	"bit",
	"boolean",
	"both",
	"case",
	"cast",
	"char",
	"character",
	"check",
	"coalesce",
	"collate",
	"collation",
	"column",
	"concurrently",
	"constraint",
	"create",
	"cross",
	"current_catalog",
	"current_date",
	"current_role",
	"current_schema",
	"current_time",
	"current_timestamp",
	"current_user",
	"dec",
	"decimal",
	"default",
	"deferrable",
	"desc",
	"distinct",
	"do",
	"else",
	"end",
	"except",
	"exists",
	"extract",
	"false",
	"fetch",
	"float",
	"for",
	"foreign",
	"freeze",
	"from",
	"full",
	"grant",
	"greatest",
	"group",
	"grouping",
	"having",
	"ilike",
	"in",
	"initially",
	"inner",
	"inout",
	"int",
	"integer",
	"intersect",
	"interval",
	"into",
	"is",
	"isnull",
	"join",
	"lateral",
	"leading",
	"least",
	"left",
	"like",
	"limit",
	"localtime",
	"localtimestamp",
	"national",
	"natural",
	"nchar",
	"none",
	"normalize",
	"not",
	"notnull",
	"null",
	"nullif",
	"numeric",
	"offset",
	"on",
	"only",
	"or",
	"order",
	"out",
	"outer",
	"overlaps",
	"overlay",
	"placing",
	"position",
	"precision",
	"primary",
	"real",
	"references",
	"returning",
	"right",
	"row",
	"select",
	"session_user",
	"setof",
	"similar",
	"smallint",
	"some",
	"substring",
	"symmetric",
	"table",
	"tablesample",
	"then",
	"time",
	"timestamp",
	"to",
	"trailing",
	"treat",
	"trim",
	"true",
	"union",
	"unique",
	"user",
	"using",
	"values",
	"varchar",
	"variadic",
	"verbose",
	"when",
	"where",
	"window",
	"with",
	"xmlattributes",
	"xmlconcat",
	"xmlelement",
	"xmlexists",
	"xmlforest",
	"xmlnamespaces",
	"xmlparse",
	"xmlpi",
	"xmlroot",
	"xmlserialize",
	"xmltable",
};

static int cmp_keyword(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

static bool is_keyword(const char *s)
{
	return bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
		       sizeof(keywords[0]), cmp_keyword) != NULL;
}

static bool is_plain_ident(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return !is_keyword(s);
}

char *sd_quote_ident(const char *name)
{
	struct sb b = { 0 };

	if (is_plain_ident(name)) {
		sb_puts(&b, name);
		return sb_finish(&b);
	}
	sb_puts(&b, "\"");
	for (const char *p = name; *p; p++)
		sb_add(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
	sb_puts(&b, "\"");
	return sb_finish(&b);
}

char *sd_quote_literal(const char *s)
{
	struct sb b = { 0 };

	sb_puts(&b, strchr(s, '\\') ? "E'" : "'");
	for (const char *p = s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			sb_add(&b, p, 1);
		sb_add(&b, p, 1);
	}
	sb_puts(&b, "'");
	return sb_finish(&b);
}

const char *sd_hazard_name(enum sd_hazard hazard)
{
	switch (hazard) {
	case SD_DATA_LOSS:
		return "data loss";
	case SD_LOCK:
		return "lock";
	case SD_REWRITE:
		return "rewrite";
	case SD_USING:
		return "USING";
	case SD_RENAME:
		return "rename";
	case SD_ROWS:
		return "existing rows";
	case SD_BLOCKS_WRITES:
		return "blocks writes";
	}
	return "hazard";
}

/* ---- the differ ---- */

struct differ {
	const struct catalog *from, *to;  /* this direction */
	const struct catalog *old, *new_; /* the upgrade's sides */
	bool down;
	struct sd_list *out;
	struct sd_plan *plan;
	char **scratch; /* quoted names, freed at the end */
	size_t nscratch, capscratch;
	bool oom;
};

static bool eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Remember s until the differ ends; "" when memory ran out. */
static const char *keep(struct differ *d, char *s)
{
	if (s != NULL && d->nscratch == d->capscratch) {
		size_t cap = d->capscratch ? 2 * d->capscratch : 64;
		char **grown = realloc(d->scratch, cap * sizeof(*grown));

		if (grown == NULL) {
			free(s);
			s = NULL;
		} else {
			d->scratch = grown;
			d->capscratch = cap;
		}
	}
	if (s == NULL) {
		d->oom = true;
		return "";
	}
	d->scratch[d->nscratch++] = s;
	return s;
}

static const char *qi(struct differ *d, const char *name)
{
	return keep(d, sd_quote_ident(name));
}

static const char *ql(struct differ *d, const char *s)
{
	return keep(d, sd_quote_literal(s));
}

/* schema.name, each quoted. */
static const char *qn(struct differ *d, const char *schema, const char *name)
{
	struct sb b = { 0 };

	sb_printf(&b, "%s.%s", qi(d, schema), qi(d, name));
	return keep(d, sb_finish(&b));
}

static char *fmt(struct differ *d, const char *f, ...) ERROR_PRINTF(2, 3);

static char *fmt(struct differ *d, const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n >= 0)
		s = malloc((size_t)n + 1);
	if (s == NULL) {
		d->oom = true;
		return NULL;
	}
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

/* One statement; takes sql, summary and note (each may be NULL). */
struct stmt {
	int phase;
	enum sd_part part;
	unsigned hazards;
	char *sql;
	char *summary;
	char *note;
};

static void change_free(struct sd_change *c)
{
	free(c->sql);
	free(c->summary);
	free(c->note);
	free(c->guard);
}

static void emit(struct differ *d, struct stmt s)
{
	struct sd_list *l = d->out;
	struct sd_change c = { s.part,	  s.phase, s.hazards, s.sql,
			       s.summary, s.note,  NULL };

	/* fmt() marks the differ when it runs out of memory; sb_finish()
	 * returns NULL. */
	if (s.summary == NULL || (s.sql == NULL && s.note == NULL) ||
	    (s.hazards && s.note == NULL))
		goto fail;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct sd_change *grown = realloc(l->items, cap * sizeof(c));

		if (grown == NULL)
			goto fail;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = c;
	return;
fail:
	d->oom = true;
	change_free(&c);
}

/* A statement with a guard (see struct sd_change) run before it. */
static void emit_guarded(struct differ *d, struct stmt s, char *guard)
{
	size_t n = d->out->n;

	emit(d, s);
	if (guard == NULL || d->out->n == n) {
		d->oom = true;
		free(guard);
		return;
	}
	d->out->items[n].guard = guard;
}

/* A statement in the main part without hazards. */
static void emit_plain(struct differ *d, int phase, char *summary, char *sql)
{
	emit(d, (struct stmt){ phase, SD_PART_MAIN, 0, sql, summary, NULL });
}

static void add_problem(struct differ *d, char *text)
{
	struct sd_plan *p = d->plan;
	char **grown;

	if (text == NULL) {
		d->oom = true;
		return;
	}
	grown = realloc(p->problems, (p->nproblems + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(text);
		d->oom = true;
		return;
	}
	p->problems = grown;
	p->problems[p->nproblems++] = text;
}

/* ---- schemas and extensions ---- */

static int cmp_names(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_qualified(const char *s1, const char *n1, const char *s2,
			 const char *n2)
{
	int c = cmp_names(s1, s2);

	return c ? c : cmp_names(n1, n2);
}

static void diff_schemas(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->nschemas || j < t->nschemas) {
		int c = i == f->nschemas ? 1
			: j == t->nschemas
				? -1
				: cmp_names(f->schemas[i], t->schemas[j]);
		const char *name = c < 0 ? f->schemas[i] : t->schemas[j];

		if (c < 0)
			emit_plain(d, PH_DROP_SCHEMA,
				   fmt(d, "drop schema %s", qi(d, name)),
				   fmt(d, "DROP SCHEMA %s", qi(d, name)));
		else if (c > 0)
			emit_plain(d, PH_SCHEMA,
				   fmt(d, "create schema %s", qi(d, name)),
				   fmt(d, "CREATE SCHEMA %s", qi(d, name)));
		i += c <= 0;
		j += c >= 0;
	}
}

static void diff_extensions(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->nexts || j < t->nexts) {
		int c = i == f->nexts ? 1
			: j == t->nexts
				? -1
				: cmp_names(f->exts[i].name, t->exts[j].name);
		const struct cat_extension *a = c <= 0 ? &f->exts[i] : NULL;
		const struct cat_extension *b = c >= 0 ? &t->exts[j] : NULL;

		if (b == NULL)
			emit_plain(d, PH_DROP_EXTENSION,
				   fmt(d, "drop extension %s", qi(d, a->name)),
				   fmt(d, "DROP EXTENSION %s", qi(d, a->name)));
		else if (a == NULL)
			emit_plain(
				d, PH_EXTENSION,
				fmt(d, "create extension %s", qi(d, b->name)),
				fmt(d, "CREATE EXTENSION %s WITH SCHEMA %s",
				    qi(d, b->name), qi(d, b->schema)));
		else if (!eq(a->schema, b->schema))
			emit_plain(d, PH_EXTENSION,
				   fmt(d, "move extension %s to schema %s",
				       qi(d, b->name), qi(d, b->schema)),
				   fmt(d, "ALTER EXTENSION %s SET SCHEMA %s",
				       qi(d, b->name), qi(d, b->schema)));
		i += c <= 0;
		j += c >= 0;
	}
}

/* ---- enum types ---- */

static char *label_list(struct differ *d, const struct cat_enum *e)
{
	struct sb b = { 0 };

	for (size_t i = 0; i < e->nlabels; i++)
		sb_printf(&b, "%s%s", i ? ", " : "", ql(d, e->labels[i]));
	return sb_finish(&b);
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
	const char *name = qn(d, e->schema, e->name);
	char *labels = label_list(d, e);

	emit_plain(d, PH_TYPE, fmt(d, "create enum type %s", name),
		   fmt(d, "CREATE TYPE %s AS ENUM (%s)", name,
		       labels ? labels : ""));
	if (labels == NULL)
		d->oom = true;
	free(labels);
}

/*
 * ADD VALUE for each label of b that a lacks, each placed next to one
 * that exists by the time it runs, in PRE: PostgreSQL lets a transaction
 * use a new value only once the ADD VALUE has committed.
 */
static void add_enum_values(struct differ *d, const struct cat_enum *a,
			    const struct cat_enum *b)
{
	const char *name = qn(d, b->schema, b->name);

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
		emit(d,
		     (struct stmt){ PH_ENUM_VALUE, SD_PART_PRE, 0,
				    fmt(d, "ALTER TYPE %s ADD VALUE %s%s%s",
					name, ql(d, label), next ? where : "",
					next ? ql(d, next) : ""),
				    fmt(d, "add value %s to enum type %s",
					ql(d, label), name),
				    NULL });
	}
}

static void enum_refused(struct differ *d, const struct cat_enum *a,
			 const struct cat_enum *b)
{
	const char *name = qn(d, b->schema, b->name);
	char *was = label_list(d, a), *now = label_list(d, b);

	if (d->down) {
		emit(d,
		     (struct stmt){
			     PH_ENUM_VALUE, SD_PART_PRE, 0, NULL,
			     fmt(d, "remove values from enum type %s", name),
			     fmt(d,
				 "enum type %s cannot go back from (%s) to (%s): PostgreSQL cannot remove a value from an enum type",
				 name, was ? was : "", now ? now : "") });
	} else {
		add_problem(
			d,
			fmt(d,
			    "enum type %s: the database has (%s), the declared schema (%s): PostgreSQL cannot remove or reorder enum values; write that change by hand (a new type, the columns converted to it, the old type dropped)",
			    name, was ? was : "", now ? now : ""));
	}
	if (was == NULL || now == NULL)
		d->oom = true;
	free(was);
	free(now);
}

static void diff_enums(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->nenums || j < t->nenums) {
		int c = i == f->nenums	 ? 1
			: j == t->nenums ? -1
					 : cmp_qualified(f->enums[i].schema,
							 f->enums[i].name,
							 t->enums[j].schema,
							 t->enums[j].name);
		const struct cat_enum *a = c <= 0 ? &f->enums[i] : NULL;
		const struct cat_enum *b = c >= 0 ? &t->enums[j] : NULL;

		if (b == NULL)
			emit_plain(d, PH_DROP_TYPE,
				   fmt(d, "drop enum type %s",
				       qn(d, a->schema, a->name)),
				   fmt(d, "DROP TYPE %s",
				       qn(d, a->schema, a->name)));
		else if (a == NULL)
			create_enum(d, b);
		else if (labels_kept(a, b))
			add_enum_values(d, a, b);
		else
			enum_refused(d, a, b);
		i += c <= 0;
		j += c >= 0;
	}
}

/* ---- sequences and identity options ---- */

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
		if (eq(type, types[i].type)) {
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

/*
 * The options of o, all of them (every) or those that differ from the
 * defaults, each after prefix ("" or "SET "); the type only when with_type.
 */
static void seq_options(struct sb *b, const struct cat_seqopts *o,
			const char *prefix, bool with_type, bool every)
{
	struct cat_seqopts def;
	const char *sep = "";

	seq_defaults(o->type, o->increment, &def);
#define SEQ_OPT(cond, ...)                                                     \
	do {                                                                   \
		if (every || (cond)) {                                         \
			sb_printf(b, "%s%s", sep, prefix);                     \
			sb_printf(b, __VA_ARGS__);                             \
			sep = " ";                                             \
		}                                                              \
	} while (0)
	if (with_type)
		SEQ_OPT(!eq(o->type, def.type), "AS %s", o->type);
	SEQ_OPT(!eq(o->increment, def.increment), "INCREMENT BY %s",
		o->increment);
	SEQ_OPT(!eq(o->min, def.min), "MINVALUE %s", o->min);
	SEQ_OPT(!eq(o->max, def.max), "MAXVALUE %s", o->max);
	SEQ_OPT(!eq(o->start, def.start), "START WITH %s", o->start);
	SEQ_OPT(!eq(o->cache, def.cache), "CACHE %s", o->cache);
	SEQ_OPT(o->cycle, "%s", o->cycle ? "CYCLE" : "NO CYCLE");
#undef SEQ_OPT
}

static bool seqopts_equal(const struct cat_seqopts *a,
			  const struct cat_seqopts *b, bool with_type)
{
	return (!with_type || eq(a->type, b->type)) &&
	       eq(a->increment, b->increment) && eq(a->min, b->min) &&
	       eq(a->max, b->max) && eq(a->start, b->start) &&
	       eq(a->cache, b->cache) && a->cycle == b->cycle;
}

static void set_sequence_owner(struct differ *d, const struct cat_sequence *s)
{
	const char *name = qn(d, s->schema, s->name);

	if (s->owned_table == NULL)
		emit_plain(d, PH_SEQUENCE_OWNER,
			   fmt(d, "sequence %s owned by no column", name),
			   fmt(d, "ALTER SEQUENCE %s OWNED BY NONE", name));
	else
		emit_plain(d, PH_SEQUENCE_OWNER,
			   fmt(d, "sequence %s owned by %s.%s", name,
			       qn(d, s->schema, s->owned_table),
			       qi(d, s->owned_column)),
			   fmt(d, "ALTER SEQUENCE %s OWNED BY %s.%s", name,
			       qn(d, s->schema, s->owned_table),
			       qi(d, s->owned_column)));
}

static void create_sequence(struct differ *d, const struct cat_sequence *s)
{
	struct sb b = { 0 }, opts = { 0 };
	char *text;

	seq_options(&opts, &s->opts, "", true, false);
	text = sb_finish(&opts);
	if (text == NULL)
		d->oom = true;
	sb_printf(&b, "CREATE SEQUENCE %s%s%s", qn(d, s->schema, s->name),
		  text && *text ? " " : "", text ? text : "");
	free(text);
	emit_plain(d, PH_SEQUENCE,
		   fmt(d, "create sequence %s", qn(d, s->schema, s->name)),
		   sb_finish(&b));
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
	const char *name = qn(d, s->schema, s->name);
	bool narrower = number(s->opts.min) > number(a->opts.min) ||
			number(s->opts.max) < number(a->opts.max);
	struct sb b = { 0 };

	sb_printf(&b, "ALTER SEQUENCE %s ", name);
	seq_options(&b, &s->opts, "", true, true);
	emit(d,
	     (struct stmt){
		     PH_SEQUENCE, SD_PART_MAIN, narrower ? SD_ROWS : 0,
		     sb_finish(&b), fmt(d, "alter sequence %s", name),
		     narrower
			     ? fmt(d,
				   "fails if the current value of %s is outside the new range: add RESTART WITH a value inside it if so (never one already used)",
				   name)
			     : NULL });
}

static bool has_column(const struct cat_table *t, const char *name);

/* A sequence goes with the table or column that owns it. */
static bool dropped_with_owner(struct differ *d, const struct cat_sequence *s)
{
	const struct cat_table *t;

	if (s->owned_table == NULL)
		return false;
	t = catalog_table(d->to, s->schema, s->owned_table);
	return t == NULL || !has_column(t, s->owned_column);
}

static void drop_sequence(struct differ *d, const struct cat_sequence *s)
{
	const char *name = qn(d, s->schema, s->name);

	if (dropped_with_owner(d, s))
		return;
	emit(d, (struct stmt){ PH_DROP_SEQUENCE, SD_PART_MAIN, SD_DATA_LOSS,
			       fmt(d, "DROP SEQUENCE %s", name),
			       fmt(d, "drop sequence %s", name),
			       fmt(d, "drops sequence %s and its current value",
				   name) });
}

static void diff_sequences(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->nseqs || j < t->nseqs) {
		int c = i == f->nseqs	? 1
			: j == t->nseqs ? -1
					: cmp_qualified(f->seqs[i].schema,
							f->seqs[i].name,
							t->seqs[j].schema,
							t->seqs[j].name);
		const struct cat_sequence *a = c <= 0 ? &f->seqs[i] : NULL;
		const struct cat_sequence *b = c >= 0 ? &t->seqs[j] : NULL;

		if (b == NULL) {
			drop_sequence(d, a);
		} else if (a == NULL) {
			create_sequence(d, b);
		} else {
			if (!seqopts_equal(&a->opts, &b->opts, true))
				alter_sequence(d, a, b);
			if (!eq(a->owned_table, b->owned_table) ||
			    !eq(a->owned_column, b->owned_column))
				set_sequence_owner(d, b);
		}
		i += c <= 0;
		j += c >= 0;
	}
}

/* ---- columns ---- */

static const struct cat_column *find_column(const struct cat_table *t,
					    const char *name)
{
	for (size_t i = 0; t != NULL && i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

static bool has_column(const struct cat_table *t, const char *name)
{
	return find_column(t, name) != NULL;
}

static void identity_clause(struct differ *d, struct sb *b,
			    const struct cat_column *c)
{
	struct sb opts = { 0 };
	char *text;

	sb_printf(b, " GENERATED %s AS IDENTITY",
		  c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
	seq_options(&opts, &c->identity_opts, "", false, false);
	text = sb_finish(&opts);
	if (text == NULL)
		d->oom = true;
	else if (*text)
		sb_printf(b, " (%s)", text);
	free(text);
}

/* "name type [COLLATE c] [GENERATED ...] [DEFAULT e] [NOT NULL]" */
static char *column_def(struct differ *d, const struct cat_column *c)
{
	struct sb b = { 0 };

	sb_printf(&b, "%s %s", qi(d, c->name), c->type);
	if (c->collation)
		sb_printf(&b, " COLLATE %s", c->collation);
	if (c->generated)
		sb_printf(&b, " GENERATED ALWAYS AS (%s) STORED", c->generated);
	if (c->default_expr)
		sb_printf(&b, " DEFAULT %s", c->default_expr);
	if (c->identity)
		identity_clause(d, &b, c);
	if (c->not_null)
		sb_puts(&b, " NOT NULL");
	return sb_finish(&b);
}

/* Functions whose default makes ADD COLUMN rewrite the table. */
static bool is_volatile_default(const char *expr)
{
	static const char *const volatile_calls[] = {
		"nextval(",	   "random(",	       "gen_random_uuid(",
		"uuid_generate_v", "clock_timestamp(", "timeofday(",
		"txid_current(",   "setseed(",
	};

	for (size_t i = 0;
	     expr && i < sizeof(volatile_calls) / sizeof(volatile_calls[0]);
	     i++)
		if (strstr(expr, volatile_calls[i]))
			return true;
	return false;
}

/* The table a statement is about, for messages: schema.table. */
static const char *tname(struct differ *d, const struct cat_table *t)
{
	return qn(d, t->schema, t->name);
}

static const char *cname(struct differ *d, const struct cat_table *t,
			 const char *column)
{
	return keep(d, fmt(d, "%s.%s", tname(d, t), qi(d, column)));
}

/* A note: the parts joined, each a clause; NULL parts skipped. */
static char *join_notes(struct differ *d, const char *a, const char *b)
{
	if (a && b)
		return fmt(d, "%s; %s", a, b);
	if (a || b)
		return fmt(d, "%s", a ? a : b);
	return NULL;
}

static void add_column(struct differ *d, const struct cat_table *t,
		       const struct cat_column *c, const char *rename)
{
	unsigned hazards = rename ? SD_RENAME : 0;
	const char *why = NULL;
	char *def = column_def(d, c);

	if (c->generated || c->identity ||
	    is_volatile_default(c->default_expr)) {
		hazards |= SD_REWRITE | SD_LOCK;
		why = keep(
			d,
			fmt(d,
			    "fills every existing row of %s: rewrites the table under an ACCESS EXCLUSIVE lock, reads and writes wait until it ends",
			    tname(d, t)));
	} else if (c->not_null && c->default_expr == NULL) {
		hazards |= SD_ROWS;
		why = keep(
			d,
			fmt(d,
			    "NOT NULL without a default fails if %s has rows: give the column a default, or add it nullable, backfill, then SET NOT NULL",
			    tname(d, t)));
	}
	emit(d, (struct stmt){ PH_COLUMN, SD_PART_MAIN, hazards,
			       fmt(d, "ALTER TABLE %s ADD COLUMN %s",
				   tname(d, t), def ? def : ""),
			       fmt(d, "add column %s", cname(d, t, c->name)),
			       join_notes(d, rename, why) });
	if (def == NULL)
		d->oom = true;
	free(def);
}

static void drop_column(struct differ *d, const struct cat_table *t,
			const struct cat_column *c, const char *rename)
{
	char *loss = fmt(d, "drops column %s and the data in it",
			 cname(d, t, c->name));

	emit(d, (struct stmt){ PH_DROP_COLUMN, SD_PART_MAIN,
			       SD_DATA_LOSS | (rename ? SD_RENAME : 0),
			       fmt(d, "ALTER TABLE %s DROP COLUMN %s",
				   tname(d, t), qi(d, c->name)),
			       fmt(d, "drop column %s", cname(d, t, c->name)),
			       join_notes(d, loss, rename) });
	free(loss);
}

/* ---- column types ---- */

/*
 * A type without its modifiers ("character varying(20)" -> "character
 * varying", "timestamp(3) with time zone" -> "timestamp with time zone"),
 * and the modifiers' numbers.
 */
struct typeinfo {
	char base[256];
	long mods[2];
	int nmods;
};

static void parse_mods(const char *p, const char *end, struct typeinfo *ti)
{
	while (p < end && ti->nmods < 2) {
		char *next;
		long v = strtol(p, &next, 10);

		if (next == p)
			break;
		ti->mods[ti->nmods++] = v;
		p = next + strspn(next, ", ");
	}
}

static void parse_type(const char *type, struct typeinfo *ti)
{
	size_t n = 0;
	bool quoted = false;
	const char *p = type;

	memset(ti, 0, sizeof(*ti));
	while (*p) {
		if (*p == '"')
			quoted = !quoted;
		if (!quoted && *p == '(') {
			const char *close = strchr(p, ')');

			if (close == NULL)
				close = p + strlen(p) - 1;
			if (ti->nmods == 0)
				parse_mods(p + 1, close, ti);
			p = close + 1;
			continue;
		}
		if (n + 1 < sizeof(ti->base))
			ti->base[n++] = *p;
		p++;
	}
	/* "timestamp(3) with time zone" left "timestamp with time zone" */
	ti->base[n] = '\0';
}

static bool is_string_type(const char *base)
{
	return eq(base, "text") || eq(base, "character varying") ||
	       eq(base, "character") || eq(base, "name");
}

/* A USING clause is needed when no implicit or assignment cast exists. */
static bool needs_using(struct differ *d, const struct typeinfo *a,
			const struct typeinfo *b)
{
	const struct cat_cast *c;

	if (eq(a->base, b->base) || is_string_type(b->base))
		return false;
	c = catalog_cast(d->to, a->base, b->base);
	if (c == NULL)
		c = catalog_cast(d->from, a->base, b->base);
	return c == NULL || c->context == 'e';
}

/*
 * Whether PostgreSQL rewrites the table: not for a binary-coercible cast,
 * a longer varchar or a wider numeric of the same scale.
 */
static bool type_change_rewrites(struct differ *d, const struct typeinfo *a,
				 const struct typeinfo *b)
{
	const struct cat_cast *c;

	if (eq(a->base, b->base)) {
		if (b->nmods == 0)
			return !(eq(b->base, "character varying") ||
				 eq(b->base, "numeric"));
		if (eq(b->base, "character varying"))
			return a->nmods == 0 || b->mods[0] < a->mods[0];
		if (eq(b->base, "numeric"))
			return a->nmods == 0 || b->mods[0] < a->mods[0] ||
			       (a->nmods > 1 ? a->mods[1] : 0) !=
				       (b->nmods > 1 ? b->mods[1] : 0);
		return true;
	}
	c = catalog_cast(d->to, a->base, b->base);
	return c == NULL || c->method != 'b';
}

static void alter_type(struct differ *d, const struct cat_table *t,
		       const struct cat_column *a, const struct cat_column *b)
{
	struct typeinfo ta, tb;
	unsigned hazards = SD_LOCK;
	const char *using = "", *why_using = NULL, *why_lock;
	const char *col = cname(d, t, b->name);

	parse_type(a->type, &ta);
	parse_type(b->type, &tb);
	if (needs_using(d, &ta, &tb)) {
		hazards |= SD_USING;
		using = keep(d,
			     fmt(d, " USING %s::%s", qi(d, b->name), b->type));
		why_using = keep(
			d,
			fmt(d,
			    "no implicit cast from %s to %s: check that USING converts every existing value as meant (the upgrade fails on a value it cannot convert)",
			    a->type, b->type));
	}
	if (type_change_rewrites(d, &ta, &tb)) {
		hazards |= SD_REWRITE;
		why_lock = keep(
			d,
			fmt(d,
			    "rewrites %s and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends",
			    tname(d, t)));
	} else {
		why_lock = keep(
			d,
			fmt(d,
			    "takes an ACCESS EXCLUSIVE lock on %s (no rewrite: the types are binary compatible)",
			    tname(d, t)));
	}
	emit(d, (struct stmt){
			PH_COLUMN, SD_PART_MAIN, hazards,
			fmt(d, "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s%s%s",
			    tname(d, t), qi(d, b->name), b->type,
			    b->collation ? " COLLATE " : "",
			    b->collation ? b->collation : "", using),
			fmt(d, "alter column %s: type %s -> %s", col, a->type,
			    b->type),
			join_notes(d, why_lock, why_using) });
}

/* ALTER TABLE t ALTER COLUMN c <action>, no hazards. */
static void alter_plain(struct differ *d, const struct cat_table *t,
			const char *column, const char *what,
			const char *action)
{
	emit_plain(d, PH_COLUMN,
		   fmt(d, "alter column %s: %s", cname(d, t, column), what),
		   fmt(d, "ALTER TABLE %s ALTER COLUMN %s %s", tname(d, t),
		       qi(d, column), action));
}

static void set_not_null(struct differ *d, const struct cat_table *t,
			 const struct cat_column *b)
{
	emit(d,
	     (struct stmt){
		     PH_COLUMN, SD_PART_MAIN, SD_LOCK | SD_ROWS,
		     fmt(d, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
			 tname(d, t), qi(d, b->name)),
		     fmt(d, "alter column %s: set not null",
			 cname(d, t, b->name)),
		     fmt(d,
			 "scans %s under an ACCESS EXCLUSIVE lock, and fails if a row holds NULL: backfill first",
			 tname(d, t)) });
}

static void add_identity(struct differ *d, const struct cat_table *t,
			 const struct cat_column *b)
{
	struct sb b2 = { 0 };
	char *clause;

	identity_clause(d, &b2, b);
	clause = sb_finish(&b2);
	emit(d,
	     (struct stmt){
		     PH_COLUMN, SD_PART_MAIN, SD_ROWS,
		     fmt(d, "ALTER TABLE %s ALTER COLUMN %s ADD%s", tname(d, t),
			 qi(d, b->name), clause ? clause : ""),
		     fmt(d, "alter column %s: add identity",
			 cname(d, t, b->name)),
		     fmt(d,
			 "the new identity starts at its START WITH value: on a table with rows, restart it above the column's largest value (ALTER TABLE %s ALTER COLUMN %s RESTART WITH ...)",
			 tname(d, t), qi(d, b->name)) });
	if (clause == NULL)
		d->oom = true;
	free(clause);
}

static void alter_identity(struct differ *d, const struct cat_table *t,
			   const struct cat_column *a,
			   const struct cat_column *b)
{
	if (a->identity != b->identity)
		alter_plain(d, t, b->name,
			    b->identity == 'a' ? "generated always"
					       : "generated by default",
			    b->identity == 'a' ? "SET GENERATED ALWAYS"
					       : "SET GENERATED BY DEFAULT");
	if (!seqopts_equal(&a->identity_opts, &b->identity_opts, false)) {
		struct sb s = { 0 };
		char *opts;

		seq_options(&s, &b->identity_opts, "SET ", false, true);
		opts = sb_finish(&s);
		alter_plain(d, t, b->name, "identity options",
			    opts ? opts : "");
		if (opts == NULL)
			d->oom = true;
		free(opts);
	}
}

/*
 * A column made generated, or generated differently, cannot be altered
 * in place: it is dropped and added again (its values are computed anew).
 */
static void replace_column(struct differ *d, const struct cat_table *t,
			   const struct cat_column *a,
			   const struct cat_column *b)
{
	char *def = column_def(d, b);
	const char *col = cname(d, t, b->name);

	emit(d,
	     (struct stmt){
		     PH_COLUMN, SD_PART_MAIN, SD_DATA_LOSS,
		     fmt(d, "ALTER TABLE %s DROP COLUMN %s", tname(d, t),
			 qi(d, a->name)),
		     fmt(d, "drop column %s (to add it generated)", col),
		     fmt(d,
			 "drops column %s and the data in it, to add it again as a generated column",
			 col) });
	emit(d,
	     (struct stmt){
		     PH_COLUMN, SD_PART_MAIN, SD_REWRITE | SD_LOCK,
		     fmt(d, "ALTER TABLE %s ADD COLUMN %s", tname(d, t),
			 def ? def : ""),
		     fmt(d, "add column %s (generated)", col),
		     fmt(d,
			 "computes the column for every row of %s: rewrites the table under an ACCESS EXCLUSIVE lock",
			 tname(d, t)) });
	if (def == NULL)
		d->oom = true;
	free(def);
}

static bool type_changes(const struct cat_column *a, const struct cat_column *b)
{
	return !eq(a->type, b->type) || !eq(a->collation, b->collation);
}

/*
 * The steps of one column, in the order PostgreSQL accepts them: a default
 * goes before the type changes (it may not cast) and before an identity is
 * added; NOT NULL before the identity, which needs it.
 */
static void alter_column(struct differ *d, const struct cat_table *t,
			 const struct cat_column *a, const struct cat_column *b)
{
	bool retyped = type_changes(a, b), default_dropped = false;

	if (!eq(a->generated, b->generated) && b->generated) {
		replace_column(d, t, a, b);
		return;
	}
	if (a->default_expr &&
	    (!eq(a->default_expr, b->default_expr) || retyped)) {
		alter_plain(d, t, b->name, "drop default", "DROP DEFAULT");
		default_dropped = true;
	}
	if (a->identity && !b->identity)
		alter_plain(d, t, b->name, "drop identity", "DROP IDENTITY");
	if (a->generated && !b->generated)
		alter_plain(d, t, b->name, "no longer generated",
			    "DROP EXPRESSION");
	if (retyped)
		alter_type(d, t, a, b);
	if (b->not_null && !a->not_null)
		set_not_null(d, t, b);
	if (!b->not_null && a->not_null)
		alter_plain(d, t, b->name, "drop not null", "DROP NOT NULL");
	if (b->identity && !a->identity)
		add_identity(d, t, b);
	else if (b->identity)
		alter_identity(d, t, a, b);
	if (b->default_expr && (default_dropped || !a->default_expr)) {
		const char *action =
			keep(d, fmt(d, "SET DEFAULT %s", b->default_expr));

		alter_plain(d, t, b->name, action, action);
	}
}

/* Whether sql names column (quoted as in deparsed text) as a whole word. */
static bool mentions(struct differ *d, const char *sql, const char *column)
{
	const char *q = qi(d, column), *p = sql;
	size_t n = strlen(q);

	while (sql && (p = strstr(p, q)) != NULL) {
		char before = p > sql ? p[-1] : ' ', after = p[n];
		bool word = !(before == '_' || before == '"' ||
			      (before >= 'a' && before <= 'z') ||
			      (before >= '0' && before <= '9')) &&
			    !(after == '_' || after == '"' ||
			      (after >= 'a' && after <= 'z') ||
			      (after >= '0' && after <= '9'));

		if (word)
			return true;
		p += n;
	}
	return false;
}

/* Columns of a that are dropped and added again (see replace_column). */
static bool touches_replaced(struct differ *d, const struct cat_table *a,
			     const struct cat_table *b, const char *def)
{
	for (size_t i = 0; b && i < b->ncols; i++) {
		const struct cat_column *old = find_column(a, b->cols[i].name);

		if (old && b->cols[i].generated &&
		    !eq(old->generated, b->cols[i].generated) &&
		    mentions(d, def, b->cols[i].name))
			return true;
	}
	return false;
}

/* ---- possible renames ---- */

/* The rename note of a dropped column, if the same table adds one. */
static const char *column_rename(struct differ *d, const struct cat_table *b,
				 const struct cat_column *dropped,
				 const struct cat_column *added)
{
	if (dropped == NULL || added == NULL)
		return NULL;
	return keep(
		d,
		fmt(d,
		    "if column %s became %s, replace this DROP COLUMN and the ADD COLUMN of %s with ALTER TABLE %s RENAME COLUMN %s TO %s, which keeps the data",
		    qi(d, dropped->name), qi(d, added->name),
		    qi(d, added->name), tname(d, b), qi(d, dropped->name),
		    qi(d, added->name)));
}

/*
 * Pair each dropped column with an added one, the same type first: the
 * pairs are flagged as possible renames.  pair[i] is the added column
 * paired with a's column i, or NULL.
 */
static void pair_renames(const struct cat_table *a, const struct cat_table *b,
			 const struct cat_column **pair)
{
	bool *taken = calloc(b->ncols + 1, sizeof(bool));

	for (int pass = 0; pass < 2 && taken; pass++)
		for (size_t i = 0; i < a->ncols; i++) {
			if (pair[i] || has_column(b, a->cols[i].name))
				continue;
			for (size_t j = 0; j < b->ncols && !pair[i]; j++) {
				const struct cat_column *c = &b->cols[j];

				if (taken[j] || has_column(a, c->name) ||
				    (pass == 0 &&
				     !eq(c->type, a->cols[i].type)))
					continue;
				taken[j] = true;
				pair[i] = c;
			}
		}
	free(taken);
}

/* ---- constraints and indexes ---- */

static const struct cat_constraint *find_constraint(const struct cat_table *t,
						    const char *name)
{
	for (size_t i = 0; t != NULL && i < t->ncons; i++)
		if (strcmp(t->cons[i].name, name) == 0)
			return &t->cons[i];
	return NULL;
}

static const struct cat_index *find_index(const struct cat_table *t,
					  const char *name)
{
	for (size_t i = 0; t != NULL && i < t->nidx; i++)
		if (strcmp(t->idx[i].name, name) == 0)
			return &t->idx[i];
	return NULL;
}

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
		const struct cat_constraint *m = find_constraint(b, k->name);

		if ((k->kind == 'p' || k->kind == 'u') &&
		    (m == NULL || !eq(m->def, k->def)))
			return true;
	}
	for (size_t i = 0; i < a->nidx; i++) {
		const struct cat_index *x = &a->idx[i];
		const struct cat_index *y = find_index(b, x->name);

		if (x->unique && (y == NULL || !eq(x->def, y->def)))
			return true;
	}
	return false;
}

/* A constraint that stays as it is, from a to b. */
static bool constraint_kept(struct differ *d, const struct cat_table *a,
			    const struct cat_table *b,
			    const struct cat_constraint *k)
{
	const struct cat_constraint *m = find_constraint(b, k->name);
	const struct cat_constraint *o = find_constraint(a, k->name);

	if (m == NULL || o == NULL || o->kind != m->kind || !eq(o->def, m->def))
		return false;
	if (m->kind == 'f' && keys_change(d, m->ref_schema, m->ref_table))
		return false;
	return !touches_replaced(d, a, b, m->def);
}

static void drop_constraint(struct differ *d, const struct cat_table *t,
			    const struct cat_constraint *k)
{
	emit_plain(
		d, k->kind == 'f' ? PH_DROP_FK : PH_DROP_CONSTRAINT,
		fmt(d, "drop constraint %s on %s", qi(d, k->name), tname(d, t)),
		fmt(d, "ALTER TABLE %s DROP CONSTRAINT %s", tname(d, t),
		    qi(d, k->name)));
}

static void validate_constraint(struct differ *d, const struct cat_table *t,
				const struct cat_constraint *k)
{
	emit(d, (struct stmt){ PH_VALIDATE,
			       d->down ? SD_PART_MAIN : SD_PART_POST, 0,
			       fmt(d, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
				   tname(d, t), qi(d, k->name)),
			       fmt(d, "validate constraint %s on %s",
				   qi(d, k->name), tname(d, t)),
			       NULL });
}

/*
 * On a table that exists, the upgrade adds a check or foreign key NOT
 * VALID (a short lock, no scan) and validates it in the part that runs
 * outside a transaction, where the scan holds only a SHARE UPDATE
 * EXCLUSIVE lock and lets writes through.
 */
static void add_constraint(struct differ *d, const struct cat_table *t,
			   const struct cat_constraint *k, bool existed)
{
	bool checked = k->kind == 'c' || k->kind == 'f';
	bool split = existed && checked && k->validated && !d->down;
	bool keyed = k->kind == 'p' || k->kind == 'u' || k->kind == 'x';
	unsigned hazards = existed && keyed ? SD_LOCK : 0;
	char *note = NULL;

	if (hazards)
		note = fmt(
			d,
			"builds an index for %s under an ACCESS EXCLUSIVE lock on %s: reads and writes wait until it ends (for a large table, CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX)",
			qi(d, k->name), tname(d, t));
	emit(d, (struct stmt){ k->kind == 'f' ? PH_FK : PH_CONSTRAINT,
			       SD_PART_MAIN, hazards,
			       fmt(d, "ALTER TABLE %s ADD CONSTRAINT %s %s%s",
				   tname(d, t), qi(d, k->name), k->def,
				   split || !k->validated ? " NOT VALID" : ""),
			       fmt(d, "add constraint %s on %s", qi(d, k->name),
				   tname(d, t)),
			       note });
	if (split)
		validate_constraint(d, t, k);
}

static void diff_constraints(struct differ *d, const struct cat_table *a,
			     const struct cat_table *b)
{
	for (size_t i = 0; i < a->ncons; i++)
		if (!constraint_kept(d, a, b, &a->cons[i]))
			drop_constraint(d, b, &a->cons[i]);
	for (size_t i = 0; i < b->ncons; i++) {
		const struct cat_constraint *k = &b->cons[i];
		const struct cat_constraint *o = find_constraint(a, k->name);

		if (!constraint_kept(d, a, b, k))
			add_constraint(d, b, k, true);
		else if (k->validated && !o->validated)
			validate_constraint(d, b, k);
	}
}

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
				find_constraint(o, k->name);

			if (k->kind == 'f' && eq(k->ref_schema, schema) &&
			    eq(k->ref_table, name) &&
			    (m == NULL || !eq(m->def, k->def)))
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

	if (o == NULL || n == NULL || find_index(o, x->name) ||
	    !find_index(n, x->name))
		return false;
	return !(x->unique && referenced_by_new_key(d, t->schema, t->name));
}

/* "CREATE [UNIQUE] INDEX name ..." with CONCURRENTLY after INDEX. */
static char *concurrent_def(struct differ *d, const char *def)
{
	const char *at = strstr(def, "INDEX ");

	if (at == NULL)
		return fmt(d, "%s", def);
	return fmt(d, "%.*sINDEX CONCURRENTLY %s", (int)(at - def), def,
		   at + strlen("INDEX "));
}

static void create_index(struct differ *d, const struct cat_table *t,
			 const struct cat_index *x, bool existed)
{
	const char *name = qn(d, t->schema, x->name);

	if (existed && !d->down && index_deferred(d, t, x)) {
		/* Re-runnable: a failed concurrent build leaves an INVALID
		 * index of this name behind, which goes first. */
		emit_guarded(
			d,
			(struct stmt){ PH_INDEX, SD_PART_POST, 0,
				       concurrent_def(d, x->def),
				       fmt(d,
					   "create index %s on %s concurrently",
					   name, tname(d, t)),
				       NULL },
			fmt(d, "DROP INDEX CONCURRENTLY IF EXISTS %s", name));
		return;
	}
	emit(d,
	     (struct stmt){
		     PH_INDEX, SD_PART_MAIN, existed ? SD_BLOCKS_WRITES : 0,
		     fmt(d, "%s", x->def),
		     fmt(d, "create index %s on %s", name, tname(d, t)),
		     existed ? fmt(d,
				   "builds the index while writes to %s wait (CREATE INDEX CONCURRENTLY in a RETORT_NO_TRANSACTION revision lets them through)",
				   tname(d, t))
			     : NULL });
}

static void drop_index(struct differ *d, const struct cat_table *t,
		       const struct cat_index *x)
{
	const char *name = qn(d, t->schema, x->name);

	if (d->down && index_deferred(d, t, x)) {
		emit(d, (struct stmt){
				PH_DROP_CONSTRAINT, SD_PART_POST, 0,
				fmt(d, "DROP INDEX CONCURRENTLY IF EXISTS %s",
				    name),
				fmt(d, "drop index %s", name), NULL });
		return;
	}
	emit_plain(d, PH_DROP_CONSTRAINT, fmt(d, "drop index %s", name),
		   fmt(d, "DROP INDEX %s", name));
}

static bool index_kept(struct differ *d, const struct cat_table *a,
		       const struct cat_table *b, const struct cat_index *x)
{
	const struct cat_index *o = find_index(a, x->name);
	const struct cat_index *n = find_index(b, x->name);

	return o && n && o->valid && eq(o->def, n->def) &&
	       !touches_replaced(d, a, b, n->def);
}

static void diff_indexes(struct differ *d, const struct cat_table *a,
			 const struct cat_table *b)
{
	for (size_t i = 0; i < a->nidx; i++)
		if (!index_kept(d, a, b, &a->idx[i]))
			drop_index(d, b, &a->idx[i]);
	for (size_t i = 0; i < b->nidx; i++)
		if (!index_kept(d, a, b, &b->idx[i]))
			create_index(d, b, &b->idx[i], true);
}

/* ---- tables ---- */

static bool same_columns(const struct cat_table *a, const struct cat_table *b)
{
	if (a->ncols != b->ncols || !eq(a->schema, b->schema))
		return false;
	for (size_t i = 0; i < a->ncols; i++)
		if (!eq(a->cols[i].name, b->cols[i].name) ||
		    !eq(a->cols[i].type, b->cols[i].type))
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
	return keep(
		d,
		fmt(d,
		    "if table %s became %s, replace its DROP TABLE and CREATE TABLE with ALTER TABLE %s RENAME TO %s, which keeps the data",
		    tname(d, old), tname(d, new_), tname(d, old),
		    qi(d, new_->name)));
}

static void create_table(struct differ *d, const struct cat_table *t)
{
	const char *rename = table_rename(d, table_twin(d->from, d->to, t), t);
	struct sb b = { 0 };

	sb_printf(&b, "CREATE %sTABLE %s (", t->unlogged ? "UNLOGGED " : "",
		  tname(d, t));
	for (size_t i = 0; i < t->ncols; i++) {
		char *def = column_def(d, &t->cols[i]);

		sb_printf(&b, "%s\n    %s", i ? "," : "", def ? def : "");
		if (def == NULL)
			d->oom = true;
		free(def);
	}
	sb_puts(&b, t->ncols ? "\n)" : ")");
	emit(d, (struct stmt){ PH_TABLE, SD_PART_MAIN, rename ? SD_RENAME : 0,
			       sb_finish(&b),
			       fmt(d, "create table %s", tname(d, t)),
			       rename ? fmt(d, "%s", rename) : NULL });
	for (size_t i = 0; i < t->ncons; i++)
		add_constraint(d, t, &t->cons[i], false);
	for (size_t i = 0; i < t->nidx; i++)
		create_index(d, t, &t->idx[i], false);
}

static void drop_table(struct differ *d, const struct cat_table *t)
{
	const char *rename = table_rename(d, t, table_twin(d->to, d->from, t));
	char *loss = fmt(d, "drops table %s and every row in it", tname(d, t));

	/* Keys between dropped tables would stop DROP TABLE. */
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == 'f')
			drop_constraint(d, t, &t->cons[i]);
	emit(d, (struct stmt){ PH_DROP_TABLE, SD_PART_MAIN,
			       SD_DATA_LOSS | (rename ? SD_RENAME : 0),
			       fmt(d, "DROP TABLE %s", tname(d, t)),
			       fmt(d, "drop table %s", tname(d, t)),
			       join_notes(d, loss, rename) });
	free(loss);
}

static void diff_columns(struct differ *d, const struct cat_table *a,
			 const struct cat_table *b)
{
	const struct cat_column **pair = calloc(a->ncols + 1, sizeof(*pair));

	if (pair == NULL) {
		d->oom = true;
		return;
	}
	pair_renames(a, b, pair);
	for (size_t j = 0; j < b->ncols; j++) {
		const struct cat_column *c = &b->cols[j];
		const struct cat_column *o = find_column(a, c->name);
		const struct cat_column *from = NULL;

		for (size_t i = 0; i < a->ncols && !o; i++)
			if (pair[i] == c)
				from = &a->cols[i];
		if (o)
			alter_column(d, b, o, c);
		else
			add_column(d, b, c, column_rename(d, b, from, c));
	}
	for (size_t i = 0; i < a->ncols; i++)
		if (!has_column(b, a->cols[i].name))
			drop_column(d, b, &a->cols[i],
				    column_rename(d, b, &a->cols[i], pair[i]));
	free(pair);
}

static void alter_table(struct differ *d, const struct cat_table *a,
			const struct cat_table *b)
{
	if (a->unlogged != b->unlogged)
		emit(d,
		     (struct stmt){
			     PH_COLUMN, SD_PART_MAIN, SD_REWRITE | SD_LOCK,
			     fmt(d, "ALTER TABLE %s SET %s", tname(d, b),
				 b->unlogged ? "UNLOGGED" : "LOGGED"),
			     fmt(d, "set table %s %s", tname(d, b),
				 b->unlogged ? "unlogged" : "logged"),
			     fmt(d,
				 "rewrites %s under an ACCESS EXCLUSIVE lock",
				 tname(d, b)) });
	diff_columns(d, a, b);
	diff_constraints(d, a, b);
	diff_indexes(d, a, b);
}

static void diff_tables(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->ntables || j < t->ntables) {
		int c = i == f->ntables	  ? 1
			: j == t->ntables ? -1
					  : cmp_qualified(f->tables[i].schema,
							  f->tables[i].name,
							  t->tables[j].schema,
							  t->tables[j].name);

		if (c < 0)
			drop_table(d, &f->tables[i]);
		else if (c > 0)
			create_table(d, &t->tables[j]);
		else
			alter_table(d, &f->tables[i], &t->tables[j]);
		i += c <= 0;
		j += c >= 0;
	}
}

/* ---- everything else: refused, never ignored ---- */

static int cmp_other(const struct cat_other *a, const struct cat_other *b)
{
	int c = cmp_names(a->kind, b->kind);

	return c ? c : cmp_names(a->identity, b->identity);
}

static void refuse_other(struct differ *d, const struct cat_other *o,
			 const char *how)
{
	add_problem(
		d,
		fmt(d,
		    "%s %s %s; autogenerate does not write %ss: write this change by hand",
		    o->kind, o->identity, how, o->kind));
}

static void diff_others(struct differ *d)
{
	const struct catalog *f = d->from, *t = d->to;
	size_t i = 0, j = 0;

	while (i < f->nothers || j < t->nothers) {
		int c = i == f->nothers ? 1
			: j == t->nothers
				? -1
				: cmp_other(&f->others[i], &t->others[j]);

		if (c < 0)
			refuse_other(
				d, &f->others[i],
				"is in the database but not in the declared schema");
		else if (c > 0)
			refuse_other(
				d, &t->others[j],
				"is in the declared schema but not in the database");
		else if (!eq(f->others[i].def, t->others[j].def))
			refuse_other(
				d, &t->others[j],
				"differs between the database and the declared schema");
		i += c <= 0;
		j += c >= 0;
	}
}

/* ---- the plan ---- */

/* Stable: statements of one phase keep the order they were written in. */
static void sort_by_phase(struct sd_list *l)
{
	for (size_t i = 1; i < l->n; i++) {
		struct sd_change c = l->items[i];
		size_t j = i;

		for (; j > 0 && l->items[j - 1].phase > c.phase; j--)
			l->items[j] = l->items[j - 1];
		l->items[j] = c;
	}
}

static void run_differ(struct differ *d)
{
	diff_schemas(d);
	diff_extensions(d);
	diff_enums(d);
	diff_sequences(d);
	diff_tables(d);
	if (!d->down)
		diff_others(d);
	sort_by_phase(d->out);
	for (size_t i = 0; i < d->nscratch; i++)
		free(d->scratch[i]);
	free(d->scratch);
	d->scratch = NULL;
	d->nscratch = d->capscratch = 0;
}

int schemadiff_plan(const struct catalog *old, const struct catalog *new_,
		    struct sd_plan *out, struct retort_error *err)
{
	struct differ up = { .from = old,
			     .to = new_,
			     .old = old,
			     .new_ = new_,
			     .out = &out->up,
			     .plan = out };
	struct differ down = { .from = new_,
			       .to = old,
			       .old = old,
			       .new_ = new_,
			       .down = true,
			       .out = &out->down,
			       .plan = out };

	memset(out, 0, sizeof(*out));
	run_differ(&up);
	run_differ(&down);
	if (up.oom || down.oom) {
		sd_plan_release(out);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	return 0;
}

static void list_release(struct sd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		change_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void sd_plan_release(struct sd_plan *plan)
{
	if (plan == NULL)
		return;
	list_release(&plan->up);
	list_release(&plan->down);
	for (size_t i = 0; i < plan->nproblems; i++)
		free(plan->problems[i]);
	free(plan->problems);
	memset(plan, 0, sizeof(*plan));
}

bool sd_plan_is_empty(const struct sd_plan *plan)
{
	return plan->up.n == 0 && plan->nproblems == 0;
}

bool sd_list_has_part(const struct sd_list *list, enum sd_part part)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].part == part)
			return true;
	return false;
}

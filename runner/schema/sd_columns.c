/*
 * sd_columns.c - a table's columns: added, dropped (with a note when the
 * pair may be a rename), and altered step by step in the order PostgreSQL
 * accepts, with what each step costs on a table that has rows: a rewrite,
 * an ACCESS EXCLUSIVE lock, a scan, a USING conversion.  Pure: no I/O.
 */
#include "schema/sd_columns.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "schema/sd_sequences.h"

/* ---- adding and dropping ---- */

static void identity_clause(struct differ *d, struct strbuf *b,
			    const struct cat_column *c)
{
	struct strbuf opts = STRBUF_INIT;
	const char *text;

	strbuf_addf(b, " GENERATED %s AS IDENTITY",
		    c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
	sd_seq_options(&opts, &c->identity_opts, "", false, false);
	text = sd_keep_text(d, &opts);
	if (*text)
		strbuf_addf(b, " (%s)", text);
}

const char *sd_column_def(struct differ *d, const struct cat_column *c)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "%s %s", sd_qi(d, c->name), c->type);
	if (c->collation)
		strbuf_addf(&b, " COLLATE %s", c->collation);
	if (c->generated)
		strbuf_addf(&b, " GENERATED ALWAYS AS (%s) STORED",
			    c->generated);
	if (c->default_expr)
		strbuf_addf(&b, " DEFAULT %s", c->default_expr);
	if (c->identity)
		identity_clause(d, &b, c);
	if (c->not_null)
		strbuf_add(&b, " NOT NULL");
	return sd_keep_text(d, &b);
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

static void add_column(struct differ *d, const struct cat_table *t,
		       const struct cat_column *c, const char *rename)
{
	unsigned hazards = rename ? SD_RENAME : 0;
	const char *why = NULL;
	const char *def = sd_column_def(d, c);

	if (c->generated || c->identity ||
	    is_volatile_default(c->default_expr)) {
		hazards |= SD_REWRITE | SD_LOCK;
		why = sd_keep(
			d,
			sd_fmt(d,
			       "fills every existing row of %s: rewrites the table under an ACCESS EXCLUSIVE lock, reads and writes wait until it ends",
			       sd_tname(d, t)));
	} else if (c->not_null && c->default_expr == NULL) {
		hazards |= SD_ROWS;
		why = sd_keep(
			d,
			sd_fmt(d,
			       "NOT NULL without a default fails if %s has rows: give the column a default, or add it nullable, backfill, then SET NOT NULL",
			       sd_tname(d, t)));
	}
	sd_emit(d, (struct sd_stmt){
			   PH_COLUMN, SD_PART_MAIN, hazards,
			   sd_fmt(d, "ALTER TABLE %s ADD COLUMN %s",
				  sd_tname(d, t), def),
			   sd_fmt(d, "add column %s", sd_cname(d, t, c->name)),
			   sd_join_notes(d, rename, why) });
}

static void drop_column(struct differ *d, const struct cat_table *t,
			const struct cat_column *c, const char *rename)
{
	char *loss = sd_fmt(d, "drops column %s and the data in it",
			    sd_cname(d, t, c->name));

	sd_emit(d, (struct sd_stmt){
			   PH_DROP_COLUMN, SD_PART_MAIN,
			   SD_DATA_LOSS | (rename ? SD_RENAME : 0),
			   sd_fmt(d, "ALTER TABLE %s DROP COLUMN %s",
				  sd_tname(d, t), sd_qi(d, c->name)),
			   sd_fmt(d, "drop column %s", sd_cname(d, t, c->name)),
			   sd_join_notes(d, loss, rename) });
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
	return sd_eq(base, "text") || sd_eq(base, "character varying") ||
	       sd_eq(base, "character") || sd_eq(base, "name");
}

/* A USING clause is needed when no implicit or assignment cast exists. */
static bool needs_using(struct differ *d, const struct typeinfo *a,
			const struct typeinfo *b)
{
	const struct cat_cast *c;

	if (sd_eq(a->base, b->base) || is_string_type(b->base))
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

	if (sd_eq(a->base, b->base)) {
		if (b->nmods == 0)
			return !(sd_eq(b->base, "character varying") ||
				 sd_eq(b->base, "numeric"));
		if (sd_eq(b->base, "character varying"))
			return a->nmods == 0 || b->mods[0] < a->mods[0];
		if (sd_eq(b->base, "numeric"))
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
	const char *col = sd_cname(d, t, b->name);

	parse_type(a->type, &ta);
	parse_type(b->type, &tb);
	if (needs_using(d, &ta, &tb)) {
		hazards |= SD_USING;
		using = sd_keep(d, sd_fmt(d, " USING %s::%s", sd_qi(d, b->name),
					  b->type));
		why_using = sd_keep(
			d,
			sd_fmt(d,
			       "no implicit cast from %s to %s: check that USING converts every existing value as meant (the upgrade fails on a value it cannot convert)",
			       a->type, b->type));
	}
	if (type_change_rewrites(d, &ta, &tb)) {
		hazards |= SD_REWRITE;
		why_lock = sd_keep(
			d,
			sd_fmt(d,
			       "rewrites %s and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends",
			       sd_tname(d, t)));
	} else {
		why_lock = sd_keep(
			d,
			sd_fmt(d,
			       "takes an ACCESS EXCLUSIVE lock on %s (no rewrite: the types are binary compatible)",
			       sd_tname(d, t)));
	}
	sd_emit(d,
		(struct sd_stmt){
			PH_COLUMN, SD_PART_MAIN, hazards,
			sd_fmt(d,
			       "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s%s%s",
			       sd_tname(d, t), sd_qi(d, b->name), b->type,
			       b->collation ? " COLLATE " : "",
			       b->collation ? b->collation : "", using),
			sd_fmt(d, "alter column %s: type %s -> %s", col,
			       a->type, b->type),
			sd_join_notes(d, why_lock, why_using) });
}

/* ALTER TABLE t ALTER COLUMN c <action>, no hazards. */
static void alter_plain(struct differ *d, const struct cat_table *t,
			const char *column, const char *what,
			const char *action)
{
	sd_emit_plain(
		d, PH_COLUMN,
		sd_fmt(d, "alter column %s: %s", sd_cname(d, t, column), what),
		sd_fmt(d, "ALTER TABLE %s ALTER COLUMN %s %s", sd_tname(d, t),
		       sd_qi(d, column), action));
}

static void set_not_null(struct differ *d, const struct cat_table *t,
			 const struct cat_column *b)
{
	sd_emit(d,
		(struct sd_stmt){
			PH_COLUMN, SD_PART_MAIN, SD_LOCK | SD_ROWS,
			sd_fmt(d, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL",
			       sd_tname(d, t), sd_qi(d, b->name)),
			sd_fmt(d, "alter column %s: set not null",
			       sd_cname(d, t, b->name)),
			sd_fmt(d,
			       "scans %s under an ACCESS EXCLUSIVE lock, and fails if a row holds NULL: backfill first",
			       sd_tname(d, t)) });
}

static void add_identity(struct differ *d, const struct cat_table *t,
			 const struct cat_column *b)
{
	struct strbuf text = STRBUF_INIT;
	const char *clause;

	identity_clause(d, &text, b);
	clause = sd_keep_text(d, &text);
	sd_emit(d,
		(struct sd_stmt){
			PH_COLUMN, SD_PART_MAIN, SD_ROWS,
			sd_fmt(d, "ALTER TABLE %s ALTER COLUMN %s ADD%s",
			       sd_tname(d, t), sd_qi(d, b->name), clause),
			sd_fmt(d, "alter column %s: add identity",
			       sd_cname(d, t, b->name)),
			sd_fmt(d,
			       "the new identity starts at its START WITH value: on a table with rows, restart it above the column's largest value (ALTER TABLE %s ALTER COLUMN %s RESTART WITH ...)",
			       sd_tname(d, t), sd_qi(d, b->name)) });
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
	if (!sd_seqopts_equal(&a->identity_opts, &b->identity_opts, false)) {
		struct strbuf opts = STRBUF_INIT;

		sd_seq_options(&opts, &b->identity_opts, "SET ", false, true);
		alter_plain(d, t, b->name, "identity options",
			    sd_keep_text(d, &opts));
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
	const char *def = sd_column_def(d, b);
	const char *col = sd_cname(d, t, b->name);

	sd_emit(d,
		(struct sd_stmt){
			PH_COLUMN, SD_PART_MAIN, SD_DATA_LOSS,
			sd_fmt(d, "ALTER TABLE %s DROP COLUMN %s",
			       sd_tname(d, t), sd_qi(d, a->name)),
			sd_fmt(d, "drop column %s (to add it generated)", col),
			sd_fmt(d,
			       "drops column %s and the data in it, to add it again as a generated column",
			       col) });
	sd_emit(d,
		(struct sd_stmt){
			PH_COLUMN, SD_PART_MAIN, SD_REWRITE | SD_LOCK,
			sd_fmt(d, "ALTER TABLE %s ADD COLUMN %s",
			       sd_tname(d, t), def),
			sd_fmt(d, "add column %s (generated)", col),
			sd_fmt(d,
			       "computes the column for every row of %s: rewrites the table under an ACCESS EXCLUSIVE lock",
			       sd_tname(d, t)) });
}

static bool type_changes(const struct cat_column *a, const struct cat_column *b)
{
	return !sd_eq(a->type, b->type) || !sd_eq(a->collation, b->collation);
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

	if (!sd_eq(a->generated, b->generated) && b->generated) {
		replace_column(d, t, a, b);
		return;
	}
	if (a->default_expr &&
	    (!sd_eq(a->default_expr, b->default_expr) || retyped)) {
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
		const char *action = sd_keep(
			d, sd_fmt(d, "SET DEFAULT %s", b->default_expr));

		alter_plain(d, t, b->name, action, action);
	}
}

/* Whether sql names column (quoted as in deparsed text) as a whole word. */
static bool mentions(struct differ *d, const char *sql, const char *column)
{
	const char *q = sd_qi(d, column), *p = sql;
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

bool sd_touches_replaced(struct differ *d, const struct cat_table *a,
			 const struct cat_table *b, const char *def)
{
	for (size_t i = 0; b && i < b->ncols; i++) {
		const struct cat_column *old =
			catalog_column(a, b->cols[i].name);

		if (old && b->cols[i].generated &&
		    !sd_eq(old->generated, b->cols[i].generated) &&
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
	return sd_keep(
		d,
		sd_fmt(d,
		       "if column %s became %s, replace this DROP COLUMN and the ADD COLUMN of %s with ALTER TABLE %s RENAME COLUMN %s TO %s, which keeps the data",
		       sd_qi(d, dropped->name), sd_qi(d, added->name),
		       sd_qi(d, added->name), sd_tname(d, b),
		       sd_qi(d, dropped->name), sd_qi(d, added->name)));
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
			if (pair[i] ||
			    catalog_column(b, a->cols[i].name) != NULL)
				continue;
			for (size_t j = 0; j < b->ncols && !pair[i]; j++) {
				const struct cat_column *c = &b->cols[j];

				if (taken[j] ||
				    catalog_column(a, c->name) != NULL ||
				    (pass == 0 &&
				     !sd_eq(c->type, a->cols[i].type)))
					continue;
				taken[j] = true;
				pair[i] = c;
			}
		}
	free(taken);
}

void sd_diff_columns(struct differ *d, const struct cat_table *a,
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
		const struct cat_column *o = catalog_column(a, c->name);
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
		if (catalog_column(b, a->cols[i].name) == NULL)
			drop_column(d, b, &a->cols[i],
				    column_rename(d, b, &a->cols[i], pair[i]));
	free(pair);
}

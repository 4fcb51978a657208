/*
 * classify.c - a statement's kind, table and ALTER TABLE subcommands, read
 * from its tokens.  A recognised prefix is enough: the rest of a
 * statement is skipped up to the comma or end that closes the part being
 * read, so text it does not understand leaves it quiet, never confused.
 * Pure: no catalog, no I/O, no allocation.
 */
#include "lint/classify.h"

#include <string.h>

#include "base/sqltext.h"

/* A token cursor: the current token and the lexer after it. */
struct cur {
	struct sql_lexer lx;
	struct sql_token t;
	bool ok; /* t holds a token; false at the end */
};

static void advance(struct cur *c)
{
	c->ok = sqltext_next(&c->lx, &c->t);
}

static bool is(const struct cur *c, const char *keyword)
{
	return c->ok && sqltext_is(&c->t, keyword);
}

static bool accept(struct cur *c, const char *keyword)
{
	if (!is(c, keyword))
		return false;
	advance(c);
	return true;
}

/* Both keywords, in order; the cursor moves only when both are there. */
static bool accept2(struct cur *c, const char *first, const char *second)
{
	struct cur look = *c;

	if (!accept(&look, first) || !is(&look, second))
		return false;
	advance(&look);
	*c = look;
	return true;
}

static bool is_kind(const struct cur *c, enum sql_tok_kind kind)
{
	return c->ok && c->t.kind == kind;
}

static bool is_name(const struct cur *c)
{
	return is_kind(c, SQL_TOK_WORD) || is_kind(c, SQL_TOK_QIDENT);
}

/* A name into buf (CLASSIFY_NAME bytes), or "" when there is none. */
static void read_name(struct cur *c, char *buf)
{
	buf[0] = '\0';
	if (!is_name(c))
		return;
	sqltext_name(&c->t, buf, CLASSIFY_NAME);
	advance(c);
}

/* A name, qualified or not, into buf (CLASSIFY_QNAME bytes). */
static void read_qname(struct cur *c, char *buf)
{
	size_t n;

	read_name(c, buf);
	while (buf[0] && is_kind(c, SQL_TOK_DOT)) {
		advance(c);
		n = strlen(buf);
		buf[n] = '.';
		read_name(c, buf + n + 1);
	}
}

/* Parentheses opened minus closed by the current token. */
static int depth_step(const struct cur *c)
{
	if (is_kind(c, SQL_TOK_LPAREN))
		return 1;
	if (is_kind(c, SQL_TOK_RPAREN))
		return -1;
	return 0;
}

/* Whether keyword appears outside parentheses before the end. */
static bool has_top_level(struct cur c, const char *keyword)
{
	int depth = 0;

	for (; c.ok; advance(&c)) {
		if (depth == 0 && is(&c, keyword))
			return true;
		depth += depth_step(&c);
	}
	return false;
}

/* Functions that PostgreSQL 11+ evaluates once for ADD COLUMN ... DEFAULT,
 * and type names that take a modifier in parentheses. */
static const char *const not_volatile[] = {
	"now",
	"current_timestamp",
	"current_date",
	"statement_timestamp",
	"transaction_timestamp",
	"localtimestamp",
	"current_time",
	"localtime",
	"coalesce",
	"nullif",
	"greatest",
	"least",
	"lower",
	"upper",
	"cast",
	"row",
	"array",
	"numeric",
	"decimal",
	"varchar",
	"char",
	"character",
	"varying",
	"timestamp",
	"timestamptz",
	"time",
	"interval",
	"bit",
	"float",
	"jsonb_build_object",
	"json_build_object",
	"to_jsonb",
	"concat",
	"length",
	"make_interval",
	"make_date",
};

static bool known_not_volatile(const struct sql_token *t)
{
	size_t i;

	for (i = 0; i < sizeof(not_volatile) / sizeof(not_volatile[0]); i++)
		if (sqltext_is(t, not_volatile[i]))
			return true;
	return false;
}

bool classify_volatile_default(const char *sql, size_t len)
{
	struct cur c = { .ok = false };
	struct sql_token prev = { .kind = SQL_TOK_SEMI };

	sqltext_lexer_init(&c.lx, sql, len);
	for (advance(&c); c.ok; advance(&c)) {
		if (c.t.kind == SQL_TOK_LPAREN &&
		    (prev.kind == SQL_TOK_WORD ||
		     prev.kind == SQL_TOK_QIDENT) &&
		    !known_not_volatile(&prev))
			return true;
		prev = c.t;
	}
	return false;
}

/* Words that end a column's DEFAULT expression at the top level. */
static bool ends_default(const struct cur *c)
{
	static const char *const words[] = {
		"not",	   "null",   "constraint", "references", "check",
		"primary", "unique", "generated",  "collate"
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (is(c, words[i]))
			return true;
	return is_kind(c, SQL_TOK_COMMA);
}

/* At DEFAULT's expression: whether it is volatile; moves past it. */
static bool read_default(struct cur *c)
{
	const char *start = c->ok ? c->t.s : NULL, *end = start;
	int depth = 0;

	for (; c->ok && (depth > 0 || !ends_default(c)); advance(c)) {
		depth += depth_step(c);
		end = c->t.s + c->t.len;
	}
	return start && classify_volatile_default(start, (size_t)(end - start));
}

/*
 * Past the rest of a subcommand, to the comma after it or the end, noting
 * what it says at its top level: NOT VALID, USING, its DEFAULT, STORED
 * (a generated column, computed for every row).
 */
static void skip_subcommand(struct cur *c, struct sql_alter *a)
{
	int depth = 0;

	while (c->ok) {
		if (depth == 0 && is_kind(c, SQL_TOK_COMMA)) {
			advance(c);
			return;
		}
		if (depth == 0 && accept2(c, "not", "valid")) {
			a->not_valid = true;
			continue;
		}
		if (depth == 0 && accept(c, "default")) {
			a->has_default = true;
			a->volatile_default |= read_default(c);
			continue;
		}
		if (depth == 0 && is(c, "using"))
			a->using_clause = true;
		if (depth == 0 && is(c, "stored"))
			a->volatile_default = true;
		depth += depth_step(c);
		advance(c);
	}
}

/* CHECK (col IS NOT NULL), with the cursor after CHECK. */
static void read_check(struct cur *c, struct sql_alter *a)
{
	struct cur look = *c;
	char col[CLASSIFY_NAME];
	int parens = 0;

	while (is_kind(&look, SQL_TOK_LPAREN)) {
		advance(&look);
		parens++;
	}
	read_name(&look, col);
	if (!col[0] || !accept(&look, "is") || !accept(&look, "not") ||
	    !accept(&look, "null"))
		return;
	for (; parens > 0 && is_kind(&look, SQL_TOK_RPAREN); parens--)
		advance(&look);
	if (parens == 0 && (!look.ok || is_kind(&look, SQL_TOK_COMMA) ||
			    is(&look, "not") || is(&look, "no")))
		strcpy(a->checks_not_null, col);
}

static void read_add_constraint(struct cur *c, struct sql_alter *a)
{
	a->kind = ALTER_ADD_CONSTRAINT;
	if (accept(c, "constraint"))
		read_name(c, a->constraint);
	if (accept(c, "check")) {
		a->constraint_kind = CONSTRAINT_CHECK;
		read_check(c, a);
	} else if (accept(c, "foreign")) {
		a->constraint_kind = CONSTRAINT_FOREIGN_KEY;
	} else if (accept(c, "unique")) {
		a->constraint_kind = CONSTRAINT_UNIQUE;
	} else if (accept(c, "primary")) {
		a->constraint_kind = CONSTRAINT_PRIMARY_KEY;
	}
}

static bool starts_constraint(const struct cur *c)
{
	return is(c, "constraint") || is(c, "check") || is(c, "foreign") ||
	       is(c, "unique") || is(c, "primary") || is(c, "exclude");
}

static void read_add(struct cur *c, struct sql_alter *a)
{
	if (starts_constraint(c)) {
		read_add_constraint(c, a);
		return;
	}
	a->kind = ALTER_ADD_COLUMN;
	accept(c, "column");
	if (accept2(c, "if", "not"))
		accept(c, "exists");
	read_name(c, a->column);
}

/* ALTER [COLUMN] col TYPE t / SET DATA TYPE t / SET NOT NULL. */
static void read_alter_column(struct cur *c, struct sql_alter *a)
{
	accept(c, "column");
	read_name(c, a->column);
	if (accept2(c, "set", "not")) {
		if (accept(c, "null"))
			a->kind = ALTER_SET_NOT_NULL;
		return;
	}
	if (!accept(c, "type") &&
	    !(accept2(c, "set", "data") && accept(c, "type")))
		return;
	a->kind = ALTER_COLUMN_TYPE;
	if (accept(c, "text")) {
		a->to_text = true;
	} else if (accept(c, "varchar") || accept2(c, "character", "varying")) {
		a->to_text = !is_kind(c, SQL_TOK_LPAREN);
	}
}

/* RENAME [COLUMN] a TO b, RENAME TO t, RENAME CONSTRAINT (other). */
static void read_rename(struct cur *c, struct sql_alter *a)
{
	if (accept(c, "to")) {
		a->kind = ALTER_RENAME_TABLE;
		read_name(c, a->new_name);
		return;
	}
	if (is(c, "constraint"))
		return;
	accept(c, "column");
	read_name(c, a->column);
	if (!accept(c, "to"))
		return;
	a->kind = ALTER_RENAME_COLUMN;
	read_name(c, a->new_name);
}

static void read_drop(struct cur *c, struct sql_alter *a)
{
	if (is(c, "constraint"))
		return;
	accept(c, "column");
	accept2(c, "if", "exists");
	a->kind = ALTER_DROP_COLUMN;
	read_name(c, a->column);
}

static void read_subcommand(struct cur *c, struct sql_alter *a)
{
	memset(a, 0, sizeof(*a));
	if (accept(c, "add"))
		read_add(c, a);
	else if (accept(c, "alter"))
		read_alter_column(c, a);
	else if (accept2(c, "validate", "constraint")) {
		a->kind = ALTER_VALIDATE_CONSTRAINT;
		read_name(c, a->constraint);
	} else if (accept(c, "drop"))
		read_drop(c, a);
	else if (accept(c, "rename"))
		read_rename(c, a);
	skip_subcommand(c, a);
}

static void read_alter_table(struct cur *c, struct sql_class *out)
{
	struct sql_alter scratch;

	out->kind = SQL_ALTER_TABLE;
	accept2(c, "if", "exists");
	accept(c, "only");
	read_qname(c, out->table);
	while (c->ok) {
		bool keep = out->nalters < CLASSIFY_MAX_ALTERS;

		read_subcommand(c,
				keep ? &out->alters[out->nalters] : &scratch);
		out->nalters += keep ? 1 : 0;
	}
}

static void read_create_index(struct cur *c, struct sql_class *out)
{
	out->kind = SQL_CREATE_INDEX;
	out->concurrently = accept(c, "concurrently");
	if (accept2(c, "if", "not")) {
		accept(c, "exists");
		out->if_not_exists = true;
	}
	if (!is(c, "on"))
		read_name(c, out->index);
	if (!accept(c, "on"))
		return;
	accept(c, "only");
	read_qname(c, out->table);
}

static void read_create(struct cur *c, struct sql_class *out)
{
	out->unique = accept(c, "unique");
	if (accept(c, "index")) {
		read_create_index(c, out);
		return;
	}
	if (out->unique)
		return;
	if (!accept(c, "temp") && !accept(c, "temporary"))
		accept(c, "unlogged");
	if (!accept(c, "table"))
		return;
	out->kind = SQL_CREATE_TABLE;
	if (accept2(c, "if", "not"))
		accept(c, "exists");
	read_qname(c, out->table);
}

/* UPDATE t ... / DELETE FROM t ...: the table, and a top-level WHERE. */
static void read_dml(struct cur *c, struct sql_class *out, enum sql_kind kind)
{
	if (kind == SQL_DELETE && !accept(c, "from"))
		return;
	out->kind = kind;
	accept(c, "only");
	read_qname(c, out->table);
	out->has_where = has_top_level(*c, "where");
}

static void read_insert(struct cur *c, struct sql_class *out)
{
	if (!accept(c, "into"))
		return;
	read_qname(c, out->table);
	if (has_top_level(*c, "select"))
		out->kind = SQL_INSERT_SELECT;
}

static void read_set(struct cur *c, struct sql_class *out)
{
	out->local = accept(c, "local");
	if (!out->local)
		accept(c, "session");
	if (!accept(c, "lock_timeout"))
		return;
	if (!accept(c, "to") && is_kind(c, SQL_TOK_OP))
		advance(c);
	if (!c->ok)
		return;
	out->kind = SQL_SET_LOCK_TIMEOUT;
	if (c->t.kind == SQL_TOK_STRING && c->t.s[0] == '\'' && c->t.len >= 2) {
		struct sql_token inner = { SQL_TOK_WORD, c->t.s + 1,
					   c->t.len - 2 };

		sqltext_name(&inner, out->value, sizeof(out->value));
	} else {
		sqltext_name(&c->t, out->value, sizeof(out->value));
	}
}

static void read_maintenance(struct cur *c, struct sql_class *out,
			     const char *verb)
{
	if (strcmp(verb, "reindex") == 0) {
		out->kind = SQL_REINDEX;
		if (accept(c, "table") || accept(c, "index"))
			out->concurrently = accept(c, "concurrently");
	} else if (strcmp(verb, "cluster") == 0) {
		out->kind = SQL_CLUSTER;
		accept(c, "verbose");
	} else {
		bool parens = is_kind(c, SQL_TOK_LPAREN);

		if (parens)
			advance(c);
		if (!accept(c, "full"))
			return;
		out->kind = SQL_VACUUM_FULL;
		while (parens && c->ok && !is_kind(c, SQL_TOK_RPAREN))
			advance(c);
		if (parens)
			advance(c);
	}
	read_qname(c, out->table);
}

void classify_sql(const char *sql, size_t len, struct sql_class *out)
{
	struct cur c = { .ok = false };

	memset(out, 0, sizeof(*out));
	sqltext_lexer_init(&c.lx, sql, len);
	advance(&c);
	if (accept(&c, "create"))
		read_create(&c, out);
	else if (accept2(&c, "alter", "table"))
		read_alter_table(&c, out);
	else if (accept2(&c, "drop", "table")) {
		out->kind = SQL_DROP_TABLE;
		accept2(&c, "if", "exists");
		read_qname(&c, out->table);
	} else if (accept(&c, "update"))
		read_dml(&c, out, SQL_UPDATE);
	else if (accept(&c, "delete"))
		read_dml(&c, out, SQL_DELETE);
	else if (accept(&c, "insert"))
		read_insert(&c, out);
	else if (accept(&c, "set"))
		read_set(&c, out);
	else if (accept(&c, "reindex"))
		read_maintenance(&c, out, "reindex");
	else if (accept(&c, "cluster"))
		read_maintenance(&c, out, "cluster");
	else if (accept(&c, "vacuum"))
		read_maintenance(&c, out, "vacuum");
}

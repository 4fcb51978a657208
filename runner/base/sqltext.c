/*
 * sqltext.c - PostgreSQL's lexical rules, as far as statements and DDL
 * classification need them.  Every loop is bounded by the length given:
 * text that ends inside a quote or a comment ends the token there.
 * Never allocates, never prints.
 */
#include "base/sqltext.h"

#include <string.h>

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Past a -- comment: its line ends it. */
static size_t skip_line_comment(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '\n')
		i++;
	return i;
}

/* Past a block comment, which nests in PostgreSQL (not in the standard). */
static size_t skip_block_comment(const char *s, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
		} else {
			i++;
		}
	}
	return len;
}

/*
 * Past a quoted run opened at s[i] by q: a doubled q stands for itself,
 * and in an E'' string a backslash escapes the next byte.
 */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q,
			  bool backslash)
{
	for (i++; i < len; i++) {
		if (backslash && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] != q)
			continue;
		if (i + 1 < len && s[i + 1] == q)
			i++;
		else
			return i + 1;
	}
	return len;
}

/* The length of a dollar-quote tag at s[i] ("$$", "$body$"), else 0. */
static size_t dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && is_ident_start((unsigned char)s[j]))
		while (j < len && is_ident_char((unsigned char)s[j]) &&
		       s[j] != '$')
			j++;
	if (j < len && s[j] == '$')
		return j - i + 1;
	return 0;
}

/* Past $tag$...$tag$ opened at s[i] with a tag of tag_len bytes. */
static size_t skip_dollar(const char *s, size_t len, size_t i, size_t tag_len)
{
	const char *tag = s + i;

	for (i += tag_len; i + tag_len <= len; i++)
		if (s[i] == '$' && memcmp(s + i, tag, tag_len) == 0)
			return i + tag_len;
	return len;
}

/* Past white space and comments from i. */
static size_t skip_blank(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (is_space((unsigned char)s[i]))
			i++;
		else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-')
			i = skip_line_comment(s, len, i);
		else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*')
			i = skip_block_comment(s, len, i);
		else
			break;
	}
	return i;
}

void sqltext_lexer_init(struct sql_lexer *lx, const char *s, size_t len)
{
	lx->s = s;
	lx->len = len;
	lx->pos = 0;
}

static enum sql_tok_kind single(char c)
{
	switch (c) {
	case '(':
		return SQL_TOK_LPAREN;
	case ')':
		return SQL_TOK_RPAREN;
	case ',':
		return SQL_TOK_COMMA;
	case '.':
		return SQL_TOK_DOT;
	case ';':
		return SQL_TOK_SEMI;
	default:
		return SQL_TOK_OP;
	}
}

static size_t skip_number(const char *s, size_t len, size_t i)
{
	while (i < len && (is_ident_char((unsigned char)s[i]) || s[i] == '.'))
		i++;
	return i;
}

/* The token at s[i]: its kind, and where it ends. */
static size_t scan_token(const char *s, size_t len, size_t i,
			 enum sql_tok_kind *kind)
{
	unsigned char c = (unsigned char)s[i];
	size_t tag;

	if ((c == 'E' || c == 'e') && i + 1 < len && s[i + 1] == '\'') {
		*kind = SQL_TOK_STRING;
		return skip_quoted(s, len, i + 1, '\'', true);
	}
	if (is_ident_start(c)) {
		*kind = SQL_TOK_WORD;
		while (i < len && is_ident_char((unsigned char)s[i]))
			i++;
		return i;
	}
	if (c == '\'' || c == '"') {
		*kind = c == '"' ? SQL_TOK_QIDENT : SQL_TOK_STRING;
		return skip_quoted(s, len, i, (char)c, false);
	}
	if (c == '$' && i + 1 < len && is_digit((unsigned char)s[i + 1])) {
		*kind = SQL_TOK_PARAM;
		for (i++; i < len && is_digit((unsigned char)s[i]);)
			i++;
		return i;
	}
	if (c == '$' && (tag = dollar_tag(s, len, i)) > 0) {
		*kind = SQL_TOK_STRING;
		return skip_dollar(s, len, i, tag);
	}
	if (is_digit(c) ||
	    (c == '.' && i + 1 < len && is_digit((unsigned char)s[i + 1]))) {
		*kind = SQL_TOK_NUMBER;
		return skip_number(s, len, i + 1);
	}
	*kind = single((char)c);
	return i + 1;
}

bool sqltext_next(struct sql_lexer *lx, struct sql_token *tok)
{
	size_t start = skip_blank(lx->s, lx->len, lx->pos);

	lx->pos = start;
	if (start >= lx->len)
		return false;
	lx->pos = scan_token(lx->s, lx->len, start, &tok->kind);
	tok->s = lx->s + start;
	tok->len = lx->pos - start;
	return true;
}

bool sqltext_is(const struct sql_token *tok, const char *keyword)
{
	size_t i;

	if (tok->kind != SQL_TOK_WORD || strlen(keyword) != tok->len)
		return false;
	for (i = 0; i < tok->len; i++) {
		char a = tok->s[i], b = keyword[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

char *sqltext_name(const struct sql_token *tok, char *buf, size_t size)
{
	size_t i = 0, n = 0, end = tok->len;

	if (tok->kind == SQL_TOK_QIDENT) {
		i = 1;
		if (end >= 2 && tok->s[end - 1] == '"')
			end--;
	}
	for (; i < end && n + 1 < size; i++) {
		char c = tok->s[i];

		if (tok->kind == SQL_TOK_QIDENT) {
			if (c == '"' && i + 1 < end)
				i++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * A body of BEGIN ATOMIC ... END (SQL-standard function bodies, PostgreSQL
 * 14) holds semicolons that do not end the statement; psql counts its
 * depth the same way, with CASE ... END nested inside.
 */
static int atomic_depth(const struct sql_token *t, bool after_begin, int depth)
{
	if (depth == 0)
		return after_begin && sqltext_is(t, "atomic") ? 1 : 0;
	if (sqltext_is(t, "case"))
		return depth + 1;
	if (sqltext_is(t, "end"))
		return depth - 1;
	return depth;
}

bool sqltext_next_stmt(const char *text, size_t len, size_t *pos,
		       struct sql_span *out)
{
	struct sql_lexer lx = { text, len, *pos };
	struct sql_token t;
	size_t start = 0, end = 0;
	bool any = false, after_begin = false;
	int depth = 0;

	while (sqltext_next(&lx, &t)) {
		if (t.kind == SQL_TOK_SEMI && depth == 0) {
			if (any)
				break;
			continue;
		}
		if (!any)
			start = (size_t)(t.s - text);
		any = true;
		end = lx.pos;
		depth = atomic_depth(&t, after_begin, depth);
		after_begin = sqltext_is(&t, "begin");
	}
	*pos = lx.pos;
	if (!any)
		return false;
	out->s = text + start;
	out->len = end - start;
	return true;
}

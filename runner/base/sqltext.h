/*
 * sqltext.h - PostgreSQL text cut into statements and tokens, well enough
 * to tell what a DDL or DML statement does (lint/classify.c).
 *
 * It knows PostgreSQL's lexical rules that decide where a statement ends:
 * single quotes with '' inside, E'' strings with backslash escapes,
 * double-quoted identifiers, dollar quotes ($tag$...$tag$), -- comments
 * and nested block comments.  It is no parser: it never fails, and text
 * that ends inside a quote or a comment ends there, as the server would
 * refuse it anyway.  Never reads past the length it is given, never
 * allocates.
 */
#ifndef RETORT_SQLTEXT_H
#define RETORT_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A piece of the text given; not terminated. */
struct sql_span {
	const char *s;
	size_t len;
};

/*
 * The next statement of text[0..len) from *pos: its text without the
 * comments and white space before it and without its ';'.  *pos moves past
 * the ';'.  Returns false when only white space, comments and empty
 * statements remain.
 */
bool sqltext_next_stmt(const char *text, size_t len, size_t *pos,
		       struct sql_span *out);

enum sql_tok_kind {
	SQL_TOK_WORD,	/* a keyword or unquoted identifier */
	SQL_TOK_QIDENT, /* "a double-quoted identifier" */
	SQL_TOK_STRING, /* '...', E'...', $tag$...$tag$ */
	SQL_TOK_NUMBER,
	SQL_TOK_PARAM, /* $1 */
	SQL_TOK_LPAREN,
	SQL_TOK_RPAREN,
	SQL_TOK_COMMA,
	SQL_TOK_DOT,
	SQL_TOK_SEMI,
	SQL_TOK_OP, /* any other operator character run: = :: + ... */
};

struct sql_token {
	enum sql_tok_kind kind;
	const char *s; /* its text in the input, quotes included */
	size_t len;
};

/* Reads tokens from s[0..len), skipping white space and comments. */
struct sql_lexer {
	const char *s;
	size_t len, pos;
};

void sqltext_lexer_init(struct sql_lexer *lx, const char *s, size_t len);

/* The next token; false at the end of the text. */
bool sqltext_next(struct sql_lexer *lx, struct sql_token *tok);

/* Whether tok is the word keyword (case-insensitively). */
bool sqltext_is(const struct sql_token *tok, const char *keyword);

/*
 * tok as a name into buf (size > 0, always terminated, cut short when it
 * does not fit): a word lower-cased, as PostgreSQL folds it; a quoted
 * identifier without its quotes, "" read as ".  Returns buf.
 */
char *sqltext_name(const struct sql_token *tok, char *buf, size_t size);

#endif

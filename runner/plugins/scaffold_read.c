/*
 * scaffold_read.c - revision metadata read back from sources.
 *
 * The scanner reads C text, never builds or loads it: a revision written a
 * moment ago counts before it is compiled.  It understands just enough C to
 * find RETORT_REVISION(...) outside comments, strings and preprocessor
 * lines, and reads its designated initialisers.  Never prints.
 */
#include "plugins/scaffold.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "plugins/files.h"

/* ---- reading C: tokens ---- */

enum tok_kind { TOK_END, TOK_IDENT, TOK_STRING, TOK_PUNCT, TOK_OTHER };

struct token {
	enum tok_kind kind;
	const char *s;
	size_t len;
	unsigned line;
};

struct lexer {
	const char *p, *end;
	unsigned line;
	bool line_start; /* only blanks since the last newline: '#' directs */
};

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static bool at(const struct lexer *lx, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(lx->end - lx->p) >= n && memcmp(lx->p, s, n) == 0;
}

static void advance(struct lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->line_start = true;
	}
	lx->p++;
}

/* Up to (not past) the end of the line, minding backslash-newline. */
static void skip_line(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			advance(lx);
		advance(lx);
	}
}

static void skip_block_comment(struct lexer *lx)
{
	lx->p += 2;
	while (lx->p < lx->end && !at(lx, "*/"))
		advance(lx);
	lx->p = lx->p < lx->end ? lx->p + 2 : lx->end;
}

/* Blanks, comments, line splices and preprocessor lines. */
static void skip_blank(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (at(lx, "\\\n")) {
			/* A splice joins lines: no new line starts. */
			lx->p += 2;
			lx->line++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
			   c == '\v' || c == '\n') {
			advance(lx);
		} else if (at(lx, "/*")) {
			skip_block_comment(lx);
		} else if (at(lx, "//") || (c == '#' && lx->line_start)) {
			skip_line(lx);
		} else {
			return;
		}
	}
}

/* A string or character literal; an unterminated one ends at the line. */
static enum tok_kind lex_quoted(struct lexer *lx)
{
	char quote = *lx->p;

	lx->p++;
	while (lx->p < lx->end && *lx->p != quote && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			advance(lx);
		advance(lx);
	}
	if (lx->p >= lx->end || *lx->p != quote)
		return TOK_OTHER;
	lx->p++;
	return quote == '"' ? TOK_STRING : TOK_OTHER;
}

static void next_token(struct lexer *lx, struct token *t)
{
	skip_blank(lx);
	lx->line_start = false;
	t->s = lx->p;
	t->line = lx->line;
	if (lx->p >= lx->end) {
		t->kind = TOK_END;
	} else if (*lx->p == '"' || *lx->p == '\'') {
		t->kind = lex_quoted(lx);
	} else if (is_ident_char(*lx->p)) {
		bool digit = *lx->p >= '0' && *lx->p <= '9';

		while (lx->p < lx->end && is_ident_char(*lx->p))
			lx->p++;
		t->kind = digit ? TOK_OTHER : TOK_IDENT;
	} else {
		lx->p++;
		t->kind = TOK_PUNCT;
	}
	t->len = (size_t)(lx->p - t->s);
}

/* strchr() without its match of the terminator: source text may hold NULs. */
static bool is_one_of(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool tok_is(const struct token *t, enum tok_kind kind, const char *text)
{
	return t->kind == kind && t->len == strlen(text) &&
	       memcmp(t->s, text, t->len) == 0;
}

/* ---- reading C: string literals ---- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape sequence after the backslash at *p; moves *p past it. */
static char unescape(const char **p, const char *end)
{
	static const char from[] = "abfnrtv", to[] = "\a\b\f\n\r\t\v";
	const char *hit;
	char c = *(*p)++;
	int v = 0, n = 0;

	if (c == 'x') {
		while (*p < end && hex_value(**p) >= 0)
			v = v * 16 + hex_value(*(*p)++);
		return (char)v;
	}
	if (c >= '0' && c <= '7') {
		v = c - '0';
		while (++n < 3 && *p < end && **p >= '0' && **p <= '7')
			v = v * 8 + (*(*p)++ - '0');
		return (char)v;
	}
	hit = c != '\0' ? strchr(from, c) : NULL;
	return hit != NULL ? to[hit - from] : c; /* \" \' \\ \? and the rest */
}

/* Append the value of the literal t (quotes included) to b. */
static void decode_string(const struct token *t, struct strbuf *b)
{
	const char *p = t->s + 1, *end = t->s + t->len - 1;

	while (p < end) {
		if (*p == '\\' && p + 1 < end && p[1] == '\n') {
			p += 2;
		} else if (*p == '\\' && p + 1 < end) {
			p++;
			strbuf_addc(b, unescape(&p, end));
		} else {
			strbuf_addc(b, *p++);
		}
	}
}

/* ---- reading C: RETORT_REVISION(...) ---- */

struct parser {
	struct lexer lx;
	const char *path;
	struct source_rev *out;
};

static int syntax_error(const struct parser *ps, unsigned line,
			const char *what, struct retort_error *err)
{
	error_set(err, RETORT_USAGE,
		  "cannot read RETORT_REVISION(...) in %s:%u", ps->path, line);
	error_detail(err, "%s", what);
	error_hint(
		err,
		"retort reads revision metadata from the source: write each field as .name = \"string\" or NULL.");
	return -1;
}

/* Where a field of interest goes, or NULL for one retort does not read. */
static char **field_slot(struct source_rev *out, const struct token *name)
{
	if (tok_is(name, TOK_IDENT, "revision"))
		return &out->id;
	if (tok_is(name, TOK_IDENT, "down_revision"))
		return &out->down_revision;
	if (tok_is(name, TOK_IDENT, "message"))
		return &out->message;
	if (tok_is(name, TOK_IDENT, "branch_labels"))
		return &out->branch_labels;
	if (tok_is(name, TOK_IDENT, "depends_on"))
		return &out->depends_on;
	return NULL;
}

/* The parts of a value: how many literals, and whether anything else. */
struct value {
	struct strbuf text;
	size_t strings;
	size_t others;
	bool null;
};

static void take_value_token(struct value *v, const struct token *t)
{
	if (t->kind == TOK_STRING) {
		decode_string(t, &v->text);
		v->strings++;
	} else if (tok_is(t, TOK_IDENT, "NULL") && !v->null) {
		v->null = true;
	} else {
		v->others++;
	}
}

/*
 * The tokens up to the ',' or ')' that ends the value, at bracket depth 0;
 * *last is that token.
 */
static int read_value(struct parser *ps, struct value *v, struct token *last,
		      struct retort_error *err)
{
	int depth = 0;

	for (;;) {
		next_token(&ps->lx, last);
		if (last->kind == TOK_END)
			return syntax_error(ps, last->line,
					    "RETORT_REVISION( is never closed",
					    err);
		if (last->kind == TOK_PUNCT && depth == 0 &&
		    (*last->s == ',' || *last->s == ')'))
			return 0;
		if (last->kind == TOK_PUNCT && is_one_of(*last->s, "([{"))
			depth++;
		else if (last->kind == TOK_PUNCT && is_one_of(*last->s, ")]}"))
			depth--;
		take_value_token(v, last);
	}
}

static int store_value(struct parser *ps, char **slot, const struct token *name,
		       struct value *v, struct retort_error *err)
{
	bool literal = v->strings > 0 && !v->null && v->others == 0;
	bool null = v->null && v->strings == 0 && v->others == 0;
	char what[96];

	if (!literal && !null) {
		snprintf(what, sizeof(what),
			 ".%.*s is neither string literals nor NULL",
			 (int)name->len, name->s);
		return syntax_error(ps, name->line, what, err);
	}
	free(*slot);
	*slot = NULL;
	if (null)
		return 0;
	*slot = strbuf_finish(&v->text);
	if (*slot == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/* ".name = value" and the ',' or ')' after it; *closed after ')'. */
static int read_field(struct parser *ps, const struct token *dot, bool *closed,
		      struct retort_error *err)
{
	struct token name, eq, last;
	struct value v = { STRBUF_INIT, 0, 0, false };
	char **slot;
	int rc = 0;

	next_token(&ps->lx, &name);
	next_token(&ps->lx, &eq);
	if (!tok_is(dot, TOK_PUNCT, ".") || name.kind != TOK_IDENT ||
	    !tok_is(&eq, TOK_PUNCT, "="))
		return syntax_error(ps, dot->line,
				    "expected a field written as .name = value",
				    err);
	if (read_value(ps, &v, &last, err) < 0) {
		strbuf_release(&v.text);
		return -1;
	}
	slot = field_slot(ps->out, &name);
	if (slot != NULL)
		rc = store_value(ps, slot, &name, &v, err);
	*closed = *last.s == ')';
	strbuf_release(&v.text);
	return rc;
}

/* The fields after "RETORT_REVISION(", through the closing ')'. */
static int read_fields(struct parser *ps, struct retort_error *err)
{
	struct token t;
	bool closed = false;

	while (!closed) {
		next_token(&ps->lx, &t);
		if (tok_is(&t, TOK_PUNCT, ")"))
			return 0;
		if (tok_is(&t, TOK_PUNCT, ","))
			continue;
		if (t.kind == TOK_END)
			return syntax_error(ps, t.line,
					    "RETORT_REVISION( is never closed",
					    err);
		if (read_field(ps, &t, &closed, err) < 0)
			return -1;
	}
	return 0;
}

void source_rev_release(struct source_rev *rev)
{
	if (rev == NULL)
		return;
	free(rev->path);
	free(rev->id);
	free(rev->down_revision);
	free(rev->message);
	free(rev->branch_labels);
	free(rev->depends_on);
	memset(rev, 0, sizeof(*rev));
}

static int find_macro(struct parser *ps, bool *found, struct retort_error *err)
{
	struct token t, open;

	for (;;) {
		next_token(&ps->lx, &t);
		if (t.kind == TOK_END)
			return 0;
		if (!tok_is(&t, TOK_IDENT, "RETORT_REVISION"))
			continue;
		next_token(&ps->lx, &open);
		if (!tok_is(&open, TOK_PUNCT, "("))
			continue;
		if (*found)
			return syntax_error(
				ps, t.line,
				"a second RETORT_REVISION(...): a source defines one revision",
				err);
		*found = true;
		if (read_fields(ps, err) < 0)
			return -1;
	}
}

int scaffold_parse(const char *text, size_t len, const char *path,
		   struct source_rev *out, bool *found,
		   struct retort_error *err)
{
	struct parser ps = { { text, text + len, 1, true }, path, out };

	memset(out, 0, sizeof(*out));
	*found = false;
	out->path = strdup(path);
	if (out->path == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	if (find_macro(&ps, found, err) < 0)
		goto fail;
	if (*found && out->id == NULL) {
		error_set(err, RETORT_USAGE, "no .revision in %s", path);
		error_detail(err, "RETORT_REVISION(...) names no .revision");
		error_hint(err,
			   "Give the revision an id: .revision = \"...\".");
		goto fail;
	}
	return 0;
fail:
	source_rev_release(out);
	return -1;
}

/* ---- reading a directory of sources ---- */

static bool is_source_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 2 && strcmp(name + n - 2, ".c") == 0;
}

/* The "*.c" names in dir, sorted. */
static int list_sources(const char *dir, char ***out, size_t *n,
			struct retort_error *err)
{
	DIR *d = opendir(dir);
	int rc;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		error_set(err, RETORT_USAGE,
			  "cannot read the sources directory \"%s\": %s", dir,
			  strerror(errno));
		error_hint(
			err,
			"Pass --version-path DIR, or set sources in retort.ini.");
		return -1;
	}
	rc = files_list(d, is_source_name, out, n);
	closedir(d);
	if (rc < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

static int scan_one(const char *dir, const char *name, struct source_set *set,
		    struct retort_error *err)
{
	char *path = files_path(dir, name), *text = NULL;
	size_t len;
	bool found = false;
	int rc = -1;

	if (path == NULL) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto out;
	}
	if (files_read(path, &text, &len, err) < 0 ||
	    scaffold_parse(text, len, path, &set->items[set->n], &found, err) <
		    0)
		goto out;
	if (found)
		set->n++;
	else
		source_rev_release(&set->items[set->n]);
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

static void fill_metas(struct source_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct source_rev *r = &set->items[i];

		set->metas[i] = (struct revision_meta){
			.id = r->id,
			.down_revision = r->down_revision,
			.message = r->message,
			.branch_labels = r->branch_labels,
			.depends_on = r->depends_on,
			.path = r->path,
		};
	}
}

int scaffold_scan(const char *dir, struct source_set *out,
		  struct retort_error *err)
{
	char **names = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (list_sources(dir, &names, &n, err) < 0)
		return -1;
	/* One spare slot, so that a caller may append the revision it is
	 * about to write and validate the whole graph. */
	out->items = calloc(n + 1, sizeof(*out->items));
	out->metas = calloc(n + 1, sizeof(*out->metas));
	if (out->items == NULL || out->metas == NULL) {
		error_set(err, RETORT_FAILED, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (scan_one(dir, names[i], out, err) < 0)
			goto fail;
	fill_metas(out);
	files_free_names(names, n);
	return 0;
fail:
	files_free_names(names, n);
	source_set_release(out);
	return -1;
}

void source_set_release(struct source_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		source_rev_release(&set->items[i]);
	free(set->items);
	free(set->metas);
	memset(set, 0, sizeof(*set));
}

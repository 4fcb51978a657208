/*
 * scaffold.c - revision metadata read back from sources, and the files
 * `retort revision`, `merge` and `init` write.
 *
 * The scanner reads C text, never builds or loads it: a revision written a
 * moment ago counts before it is compiled.  It understands just enough C to
 * find RETORT_REVISION(...) outside comments, strings and preprocessor
 * lines, and reads its designated initialisers.
 *
 * Every file is written to a temporary name in its own directory and
 * renamed into place once everything is ready, so an error or a crash
 * leaves the sources as they were.  Never prints, never runs a shell.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "plugins/scaffold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a growing string ---- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void buf_putn(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->s, cap);
		if (grown == NULL) {
			b->oom = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
	buf_putn(b, &c, 1);
}

/* The text, owned by the caller, or NULL (and nothing) when memory ran out.
 */
static char *buf_finish(struct buf *b)
{
	if (b->oom || b->s == NULL) {
		free(b->s);
		return b->oom ? NULL : strdup("");
	}
	return b->s;
}

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

static char *join_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);

	if (path != NULL)
		snprintf(path, len, "%s/%s", dir, name);
	return path;
}

static int read_file(const char *path, char **out, size_t *len,
		     struct retort_error *err)
{
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return error_set(err, RETORT_USAGE, "cannot read \"%s\": %s",
				 path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_putn(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		free(b.s);
		return error_set(err, RETORT_USAGE, "cannot read \"%s\"", path);
	}
	fclose(f);
	*len = b.len;
	*out = buf_finish(&b);
	return *out == NULL ? oom(err) : 0;
}

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
static void decode_string(const struct token *t, struct buf *b)
{
	const char *p = t->s + 1, *end = t->s + t->len - 1;

	while (p < end) {
		if (*p == '\\' && p + 1 < end && p[1] == '\n') {
			p += 2;
		} else if (*p == '\\' && p + 1 < end) {
			p++;
			buf_putc(b, unescape(&p, end));
		} else {
			buf_putc(b, *p++);
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
	struct buf text;
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
	*slot = buf_finish(&v->text);
	v->text.s = NULL;
	return *slot == NULL ? oom(err) : 0;
}

/* ".name = value" and the ',' or ')' after it; *closed after ')'. */
static int read_field(struct parser *ps, const struct token *dot, bool *closed,
		      struct retort_error *err)
{
	struct token name, eq, last;
	struct value v = { { 0 }, 0, 0, false };
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
		free(v.text.s);
		return -1;
	}
	slot = field_slot(ps->out, &name);
	if (slot != NULL)
		rc = store_value(ps, slot, &name, &v, err);
	*closed = *last.s == ')';
	free(v.text.s);
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
		return oom(err);
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

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The "*.c" names in dir, sorted. */
static int list_sources(const char *dir, char ***out, size_t *n,
			struct retort_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

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
	while ((e = readdir(d)) != NULL) {
		char **grown;

		if (!is_source_name(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(*out, cap * sizeof(**out));
			if (grown == NULL)
				goto fail;
			*out = grown;
		}
		if (((*out)[*n] = strdup(e->d_name)) == NULL)
			goto fail;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(*out, *n, sizeof(**out), compare_names);
	return 0;
fail:
	closedir(d);
	free_names(*out, *n);
	*out = NULL;
	*n = 0;
	return oom(err);
}

static int scan_one(const char *dir, const char *name, struct source_set *set,
		    struct retort_error *err)
{
	char *path = join_path(dir, name), *text = NULL;
	size_t len;
	bool found = false;
	int rc = -1;

	if (path == NULL) {
		oom(err);
		goto out;
	}
	if (read_file(path, &text, &len, err) < 0 ||
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
		oom(err);
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (scan_one(dir, names[i], out, err) < 0)
			goto fail;
	fill_metas(out);
	free_names(names, n);
	return 0;
fail:
	free_names(names, n);
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

/* ---- writing a revision source ---- */

/* As scripts/new-revision always made it: [a-z0-9] runs joined by '_'. */
static void slugify(const char *message, char *slug, size_t size)
{
	size_t n = 0;
	bool gap = false;

	for (const char *p = message; *p != '\0' && n + 1 < size; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			gap = true;
			continue;
		}
		if (gap && n > 0) {
			if (n + 2 >= size)
				break;
			slug[n++] = '_';
		}
		gap = false;
		slug[n++] = c;
	}
	slug[n] = '\0';
}

char *scaffold_file_name(const char *id, const char *message)
{
	struct buf b = { 0 };
	char slug[41]; /* Alembic's truncate_slug_length */

	slugify(message, slug, sizeof(slug));
	buf_puts(&b, id);
	if (slug[0] != '\0') {
		buf_putc(&b, '_');
		buf_puts(&b, slug);
	}
	buf_puts(&b, ".c");
	return buf_finish(&b);
}

static bool is_control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/*
 * The message inside a C string literal: control characters become spaces
 * (one line in `history`), '\\' and '"' are escaped, and a '?' right after
 * a '?' is written "\?" so that no trigraph (C11 reads "??/" as '\\') can
 * form.
 */
static void put_c_string(struct buf *b, const char *s)
{
	char prev = '\0';

	for (; *s != '\0'; s++) {
		char c = is_control(*s) ? ' ' : *s;

		if (c == '\\' || c == '"' || (c == '?' && prev == '?'))
			buf_putc(b, '\\');
		buf_putc(b, c);
		prev = c;
	}
}

/*
 * One line of the message inside a block comment: no "*" "/" to end it
 * early, no "/" "*" (gcc's -Wcomment), no "??" (trigraphs), no control
 * characters, no trailing blanks.
 */
static void put_comment_line(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	char prev = '\0';

	buf_puts(b, " *");
	if (n > 0)
		buf_putc(b, ' ');
	for (size_t i = 0; i < n; i++) {
		char c = is_control(s[i]) ? ' ' : s[i];

		if ((prev == '*' && c == '/') || (prev == '/' && c == '*') ||
		    (prev == '?' && c == '?'))
			buf_putc(b, ' ');
		buf_putc(b, c);
		prev = c;
	}
	while (!b->oom && b->len > start + 2 && b->s[b->len - 1] == ' ')
		b->s[--b->len] = '\0';
	buf_putc(b, '\n');
}

static void put_comment(struct buf *b, const char *message)
{
	const char *p = message;

	buf_puts(b, "/*\n");
	for (;;) {
		size_t n = strcspn(p, "\n");

		put_comment_line(b, p, n);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	buf_puts(b, " */\n");
}

/* ", .name = \"value\"" on a line of its own, when value is set. */
static void put_field(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_puts(b, ",\n\t\t.");
	buf_puts(b, name);
	buf_puts(b, " = \"");
	put_c_string(b, value);
	buf_putc(b, '"');
}

static const char revision_body[] =
	"int upgrade(retort_ctx *ctx)\n"
	"{\n"
	"\t/* write the schema change here: return retort_exec(ctx, \"...\"); */\n"
	"\t(void)ctx;\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"int downgrade(retort_ctx *ctx)\n"
	"{\n"
	"\t/* undo upgrade() here, or return retort_fail(ctx, \"irreversible\"); */\n"
	"\t(void)ctx;\n"
	"\treturn 0;\n"
	"}\n";

char *scaffold_render(const struct scaffold_revision *rev)
{
	struct buf b = { 0 };

	put_comment(&b, rev->message);
	buf_puts(&b, "#include \"plugin_api.h\"\n\n"
		     "RETORT_REVISION(.revision = \"");
	put_c_string(&b, rev->id);
	buf_puts(&b, "\", .down_revision = ");
	if (rev->down_revision != NULL) {
		buf_putc(&b, '"');
		put_c_string(&b, rev->down_revision);
		buf_putc(&b, '"');
	} else {
		buf_puts(&b, "NULL");
	}
	put_field(&b, "message", rev->message);
	put_field(&b, "create_date", rev->create_date);
	put_field(&b, "branch_labels", rev->branch_labels);
	put_field(&b, "depends_on", rev->depends_on);
	buf_puts(&b, ", );\n\n");
	buf_puts(&b, revision_body);
	return buf_finish(&b);
}

/* ---- adding a file to meson.build's list ---- */

static const char *line_start(const char *text, const char *p)
{
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

static bool same_line(const char *a, const char *b)
{
	return memchr(a, '\n', (size_t)(b - a)) == NULL;
}

/* The '[' of a line "revision_sources = [", or NULL. */
static const char *find_list(const char *text)
{
	static const char name[] = "revision_sources";

	for (const char *line = text; line != NULL;) {
		const char *p = line + strspn(line, " \t");

		if (strncmp(p, name, strlen(name)) == 0) {
			p += strlen(name);
			p += strspn(p, " \t");
			if (*p == '=') {
				p++;
				p += strspn(p, " \t");
				if (*p == '[')
					return p;
			}
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return NULL;
}

/* Past a meson string at p: '...' with escapes, or '''...'''. */
static const char *skip_meson_string(const char *p)
{
	if (strncmp(p, "'''", 3) == 0) {
		const char *end = strstr(p + 3, "'''");

		return end != NULL ? end + 2 : p + strlen(p) - 1;
	}
	for (p++; *p != '\0' && *p != '\'' && *p != '\n'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p == '\0' ? p - 1 : p;
}

/*
 * The list's closing ']' (NULL when unclosed) and its last character that
 * is neither blank nor comment (the '[' itself for an empty list).
 */
static const char *find_close(const char *open, const char **last)
{
	int depth = 0;

	*last = open;
	for (const char *p = open; *p != '\0'; p++) {
		if (*p == '#') {
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
		} else if (*p == '\'') {
			p = skip_meson_string(p);
			*last = p;
		} else if (strchr("[({", *p)) {
			depth++;
			*last = p;
		} else if (strchr("])}", *p)) {
			if (--depth == 0)
				return *p == ']' ? p : NULL;
			*last = p;
		} else if (!strchr(" \t\r\n", *p)) {
			*last = p;
		}
	}
	return NULL;
}

static void put_range(struct buf *b, const char *from, const char *to)
{
	buf_putn(b, from, (size_t)(to - from));
}

/*
 * Entries on their own lines: a new line before the ']' line, indented as
 * the last entry (two spaces when the entries start on the '[' line).
 */
static void add_as_line(struct buf *b, const char *text, const char *open,
			const char *last, const char *close, const char *file)
{
	const char *eol = line_start(text, close);
	const char *from = line_start(text, last);

	put_range(b, text, last + 1);
	if (last != open && *last != ',')
		buf_putc(b, ',');
	put_range(b, last + 1, eol);
	if (from == line_start(text, open))
		buf_puts(b, "  ");
	else
		buf_putn(b, from, strspn(from, " \t"));
	buf_putc(b, '\'');
	buf_puts(b, file);
	buf_puts(b, "',\n");
	buf_puts(b, eol);
}

int scaffold_meson_add(const char *meson_text, const char *file, char **out,
		       struct retort_error *err)
{
	const char *open = find_list(meson_text), *last = NULL, *close = NULL;
	struct buf b = { 0 };

	if (open != NULL)
		close = find_close(open, &last);
	if (close == NULL)
		return error_set(
			err, RETORT_USAGE,
			"no \"revision_sources = [ ... ]\" list in meson.build");
	if (same_line(last, close)) {
		/* A one-line list stays one line. */
		put_range(&b, meson_text, last + 1);
		if (last != open)
			buf_puts(&b, *last == ',' ? " " : ", ");
		buf_putc(&b, '\'');
		buf_puts(&b, file);
		buf_putc(&b, '\'');
		buf_puts(&b, close);
	} else {
		add_as_line(&b, meson_text, open, last, close, file);
	}
	*out = buf_finish(&b);
	return *out == NULL ? oom(err) : 0;
}

/* ---- writing files all or nothing ---- */

/* A file written under a temporary name next to where it goes. */
struct staged {
	char *tmp;
	char *path;
};

static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path) + sizeof("/..XXXXXX");
	char *tmp = malloc(len);

	/* A dot name, so that neither the scanner nor an editor sees it. */
	if (tmp != NULL)
		snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dir, path,
			 path + dir);
	return tmp;
}

static int stage(const char *path, const char *text, mode_t mode,
		 struct staged *s, struct retort_error *err)
{
	int fd, saved;

	s->path = strdup(path);
	s->tmp = temp_name(path);
	if (s->path == NULL || s->tmp == NULL)
		return oom(err);
	fd = mkstemp(s->tmp);
	if (fd < 0) {
		saved = errno;
		free(s->tmp);
		s->tmp = NULL;
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(saved));
	}
	if (write_all(fd, text, strlen(text)) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(saved));
	}
	if (close(fd) < 0)
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(errno));
	return 0;
}

/* link() refuses to replace; without hard links, look first, then rename. */
static int put_in_place(const char *tmp, const char *path)
{
	struct stat st;

	if (link(tmp, path) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	if (lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(tmp, path);
}

/* Put a new file in place; an existing one there is an error, not lost. */
static int commit_new(struct staged *s, struct retort_error *err)
{
	if (put_in_place(s->tmp, s->path) == 0)
		return 0;
	if (errno == EEXIST) {
		error_set(err, RETORT_USAGE, "\"%s\" already exists", s->path);
		error_hint(err, "Pick another --rev-id, or move that file.");
		return -1;
	}
	return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s", s->path,
			 strerror(errno));
}

static int commit_replace(struct staged *s, struct retort_error *err)
{
	if (rename(s->tmp, s->path) == 0) {
		free(s->tmp);
		s->tmp = NULL;
		return 0;
	}
	return error_set(err, RETORT_FAILED, "cannot replace \"%s\": %s",
			 s->path, strerror(errno));
}

/* Remove the temporary file, if still there, and forget it. */
static void discard(struct staged *s)
{
	if (s->tmp != NULL)
		unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
}

/*
 * Stage meson.build with file added.  Written where a symlinked
 * meson.build points, in the mode it has.
 */
static int stage_meson(const char *meson, const char *file, struct staged *s,
		       struct retort_error *err)
{
	char *real = realpath(meson, NULL), *text = NULL, *edited = NULL;
	struct stat st;
	size_t len;
	int rc = -1;

	if (real == NULL || stat(real, &st) < 0) {
		error_set(err, RETORT_USAGE, "cannot read \"%s\": %s", meson,
			  strerror(errno));
		goto out;
	}
	if (read_file(real, &text, &len, err) < 0)
		goto out;
	if (scaffold_meson_add(text, file, &edited, err) < 0) {
		if (err->status == RETORT_USAGE) {
			error_set(
				err, RETORT_USAGE,
				"no \"revision_sources = [ ... ]\" list in \"%s\"",
				meson);
			error_hint(
				err,
				"Add the list (see `retort init`), or pass --version-path to a directory that has one.");
		}
		goto out;
	}
	rc = stage(real, edited, st.st_mode & 07777, s, err);
out:
	free(edited);
	free(text);
	free(real);
	return rc;
}

int scaffold_write_revision(const char *dir, const char *name, const char *text,
			    bool *listed, struct retort_error *err)
{
	struct staged src = { 0 }, meson = { 0 };
	char *path = join_path(dir, name);
	char *meson_path = join_path(dir, "meson.build");
	struct stat st;
	int rc = -1;

	if (path == NULL || meson_path == NULL) {
		oom(err);
		goto out;
	}
	*listed = stat(meson_path, &st) == 0;
	if (lstat(path, &st) == 0) {
		error_set(err, RETORT_USAGE, "\"%s\" already exists", path);
		error_hint(err, "Pick another --rev-id, or move that file.");
		goto out;
	}
	if ((*listed && stage_meson(meson_path, name, &meson, err) < 0) ||
	    stage(path, text, new_file_mode(), &src, err) < 0 ||
	    commit_new(&src, err) < 0)
		goto out;
	if (*listed && commit_replace(&meson, err) < 0) {
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	discard(&src);
	discard(&meson);
	free(meson_path);
	free(path);
	return rc;
}

/* ---- a new project ---- */

const char *const scaffold_project_files[] = {
	"meson.build",	"versions/meson.build", "retort.ini",
	".env.example", ".gitignore",
};
const size_t scaffold_nproject_files =
	sizeof(scaffold_project_files) / sizeof(scaffold_project_files[0]);

/* "@NAME@" stands for the project's name. */
static const char project_meson[] =
	"# Database migrations run by retort, the Alembic of C.\n"
	"#\n"
	"#   retort revision -m \"add orders\"   writes versions/<id>_add_orders.c\n"
	"#   meson setup build                 once\n"
	"#   meson compile -C build            builds build/versions/*.so\n"
	"#   retort upgrade head               applies them (DATABASE_URL)\n"
	"project('@NAME@', 'c',\n"
	"  version: '0.1.0',\n"
	"  meson_version: '>=0.56.0',\n"
	"  default_options: ['c_std=c11', 'warning_level=2'],\n"
	")\n"
	"\n"
	"# plugin_api.h, installed with retort (pkg-config: retort.pc).  A\n"
	"# revision takes headers only and links against nothing: libpq's\n"
	"# symbols resolve against the retort binary that loads it.\n"
	"retort = dependency('retort')\n"
	"retort_headers = retort.partial_dependency(compile_args: true,\n"
	"  includes: true)\n"
	"libpq_headers = dependency('libpq').partial_dependency(\n"
	"  compile_args: true, includes: true)\n"
	"\n"
	"# Each revision carries its source's SHA-256, written at build time by\n"
	"# retort's source-checksum (installed with it), so that retort refuses\n"
	"# a plugin older than its source and an applied revision edited since.\n"
	"source_checksum = find_program(\n"
	"  retort.get_variable(pkgconfig: 'source_checksum'))\n"
	"\n"
	"subdir('versions')\n";

static const char versions_meson[] =
	"# The revisions, one shared object each, built in parallel.\n"
	"# `retort revision` and `retort merge` append to this list.\n"
	"revision_sources = [\n"
	"]\n"
	"\n"
	"foreach src : revision_sources\n"
	"  sha = custom_target(src.substring(0, -2) + '.sha', input: src,\n"
	"    output: '@BASENAME@.sha.h',\n"
	"    command: [source_checksum, '@INPUT@', '@OUTPUT@'])\n"
	"  shared_module(src.substring(0, -2), src, sha,\n"
	"    c_args: ['-include', sha.full_path()],\n"
	"    name_prefix: '',\n"
	"    name_suffix: 'so',\n"
	"    gnu_symbol_visibility: 'hidden',\n"
	"    dependencies: [retort_headers, libpq_headers],\n"
	"  )\n"
	"endforeach\n";

static const char project_ini[] =
	"# retort configuration, the counterpart of alembic.ini.  retort reads\n"
	"# ./retort.ini unless -c names another file; run it from this directory.\n"
	"[retort]\n"
	"# Where the built revisions are: `meson compile -C build` writes one\n"
	"# .so per revision there.\n"
	"versions = build/versions\n"
	"\n"
	"# Where `retort revision` and `retort merge` write new revisions;\n"
	"# versions/meson.build lists them.\n"
	"sources = versions\n"
	"\n"
	"# The version table, the same as Alembic's, so either tool can carry on\n"
	"# a database the other has migrated.\n"
	"version_table = alembic_version\n"
	"\n"
	"# The database URL is normally not written here: retort takes, first to\n"
	"# last, --url, the DATABASE_URL environment variable, DATABASE_URL in a\n"
	"# .env file here (see .env.example), then this setting.  Leave passwords\n"
	"# out of committed files.\n"
	"# url = postgresql://postgres:postgres@localhost:5432/postgres\n";

static const char project_env[] =
	"# Copy to .env (git ignores it) and point it at your database.\n"
	"DATABASE_URL=postgresql://postgres:postgres@localhost:5432/postgres\n";

static const char project_gitignore[] = "build/\n.env\n";

static const char *project_text(size_t i)
{
	static const char *const texts[] = {
		project_meson, versions_meson,	  project_ini,
		project_env,   project_gitignore,
	};

	return texts[i];
}

/* The directory's last component if it makes a plain project name. */
static void project_name(const char *dir, char *name, size_t size)
{
	size_t len = strlen(dir), start;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	snprintf(name, size, "%.*s", (int)(len - start), dir + start);
	for (char *p = name; *p != '\0'; p++)
		if (!is_ident_char(*p) && *p != '-' && *p != '.')
			*p = '_';
	if (name[0] == '\0' || name[0] == '.' || strlen(name) != len - start)
		snprintf(name, size, "%s", "migrations");
}

static char *render_project_file(size_t i, const char *dir)
{
	const char *text = project_text(i), *mark = strstr(text, "@NAME@");
	struct buf b = { 0 };
	char name[64];

	if (mark == NULL)
		return strdup(text);
	project_name(dir, name, sizeof(name));
	put_range(&b, text, mark);
	buf_puts(&b, name);
	buf_puts(&b, mark + strlen("@NAME@"));
	return buf_finish(&b);
}

/* What init made, to be removed again if a later step fails. */
struct made {
	char *paths[32];
	bool is_dir[32];
	size_t n;
};

static void made_undo(struct made *m)
{
	while (m->n > 0) {
		m->n--;
		if (m->is_dir[m->n])
			rmdir(m->paths[m->n]);
		else
			unlink(m->paths[m->n]);
		free(m->paths[m->n]);
	}
}

static void made_forget(struct made *m)
{
	while (m->n > 0)
		free(m->paths[--m->n]);
}

static int made_add(struct made *m, const char *path, bool is_dir,
		    struct retort_error *err)
{
	if (m->n == sizeof(m->paths) / sizeof(m->paths[0]))
		return error_set(err, RETORT_USAGE,
				 "\"%s\" is too deeply nested for init", path);
	if ((m->paths[m->n] = strdup(path)) == NULL)
		return oom(err);
	m->is_dir[m->n++] = is_dir;
	return 0;
}

/* mkdir -p, recording each directory made. */
static int make_dirs(const char *dir, struct made *m, struct retort_error *err)
{
	char *path = strdup(dir);
	int rc = 0;

	if (path == NULL)
		return oom(err);
	for (char *p = path + 1; rc == 0; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) == 0)
			rc = made_add(m, path, true, err);
		else if (errno != EEXIST)
			rc = error_set(err, RETORT_FAILED,
				       "cannot create directory \"%s\": %s",
				       path, strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	return rc;
}

/* Alembic's rule: init works in a new or an empty directory only. */
static int check_init_dir(const char *dir, struct retort_error *err)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	bool empty = true;

	if (stat(dir, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return error_set(err, RETORT_USAGE,
				 "\"%s\" exists and is not a directory", dir);
	if ((d = opendir(dir)) == NULL)
		return error_set(err, RETORT_USAGE, "cannot read \"%s\": %s",
				 dir, strerror(errno));
	while (empty && (e = readdir(d)) != NULL)
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (empty)
		return 0;
	error_set(err, RETORT_USAGE,
		  "Directory %s already exists and is not empty", dir);
	error_hint(err, "Pick a new or empty directory.");
	return -1;
}

static int write_project_file(const char *dir, size_t i, struct made *m,
			      struct retort_error *err)
{
	struct staged s = { 0 };
	char *path = join_path(dir, scaffold_project_files[i]);
	char *text = render_project_file(i, dir);
	int rc = -1;

	if (path == NULL || text == NULL) {
		oom(err);
		goto out;
	}
	if (stage(path, text, new_file_mode(), &s, err) < 0 ||
	    commit_new(&s, err) < 0 || made_add(m, path, false, err) < 0)
		goto out;
	rc = 0;
out:
	discard(&s);
	free(text);
	free(path);
	return rc;
}

int scaffold_init(const char *dir, struct retort_error *err)
{
	struct made m = { .n = 0 };
	char *versions = join_path(dir, "versions");
	int rc = -1;

	if (versions == NULL) {
		oom(err);
		goto out;
	}
	if (check_init_dir(dir, err) < 0 || make_dirs(versions, &m, err) < 0)
		goto out;
	for (size_t i = 0; i < scaffold_nproject_files; i++)
		if (write_project_file(dir, i, &m, err) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0)
		made_undo(&m);
	made_forget(&m);
	free(versions);
	return rc;
}

/*
 * config_dotenv.c - one key of a .env file, as python-dotenv reads it:
 * KEY=VALUE lines, "export ", single and double quotes, # comments.
 *
 * Reads only the file it is given; never prints.  The text of a .env line
 * never reaches an error message (it may hold a password): errors name
 * the file and the line number instead.
 */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

/*
 * A cursor over a whole .env file: quoted values may span lines.  why says
 * what is wrong with a refused entry; NULL there means memory ran out.
 */
struct dotenv {
	const char *p;
	const char *end;
	int line; /* the line p is on */
	const char *why;
};

static void dotenv_skip_blanks(struct dotenv *d)
{
	while (d->p < d->end && config_is_blank(*d->p))
		d->p++;
}

static bool dotenv_at_eol(const struct dotenv *d)
{
	return d->p == d->end || *d->p == '\n';
}

static void dotenv_skip_line(struct dotenv *d)
{
	while (!dotenv_at_eol(d))
		d->p++;
}

static bool is_name_char(char c)
{
	return config_is_alpha(c) || config_is_digit(c) || c == '_' ||
	       c == '.' || c == '-';
}

/* "export " NAME blanks "=" */
static int dotenv_name(struct dotenv *d, const char **name, size_t *len)
{
	if (strncmp(d->p, "export", 6) == 0 && config_is_blank(d->p[6])) {
		d->p += 6;
		dotenv_skip_blanks(d);
	}
	if (!config_is_alpha(*d->p) && *d->p != '_') {
		d->why = "a name must start with a letter or '_'";
		return -1;
	}
	*name = d->p;
	while (d->p < d->end && is_name_char(*d->p))
		d->p++;
	*len = (size_t)(d->p - *name);
	dotenv_skip_blanks(d);
	if (*d->p != '=') {
		d->why = "the name is not followed by '='";
		return -1;
	}
	d->p++;
	return 0;
}

/* Single quotes: every character literal, up to the next quote. */
static int dotenv_single(struct dotenv *d, struct strbuf *b)
{
	const char *close = memchr(d->p + 1, '\'', (size_t)(d->end - d->p - 1));
	const char *q;

	if (close == NULL) {
		d->why = "the single-quoted value is not closed";
		return -1;
	}
	for (q = d->p + 1; q < close; q++)
		d->line += *q == '\n';
	strbuf_addn(b, d->p + 1, (size_t)(close - d->p - 1));
	d->p = close + 1;
	return 0;
}

/* As python-dotenv decodes them; an unknown escape stays as written. */
static void dotenv_escape(struct strbuf *b, char c)
{
	static const char from[] = "nrt\"'\\";
	static const char to[] = "\n\r\t\"'\\";
	const char *hit = strchr(from, c);

	if (c != '\0' && hit != NULL) {
		strbuf_addc(b, to[hit - from]);
		return;
	}
	strbuf_addc(b, '\\');
	strbuf_addc(b, c);
}

/* Double quotes: backslash escapes, up to the next unescaped quote. */
static int dotenv_double(struct dotenv *d, struct strbuf *b)
{
	d->p++;
	while (d->p < d->end && *d->p != '"') {
		if (*d->p == '\\' && d->p + 1 < d->end) {
			d->line += d->p[1] == '\n';
			dotenv_escape(b, d->p[1]);
			d->p += 2;
			continue;
		}
		d->line += *d->p == '\n';
		strbuf_addc(b, *d->p);
		d->p++;
	}
	if (d->p == d->end) {
		d->why = "the double-quoted value is not closed";
		return -1;
	}
	d->p++;
	return 0;
}

/* Unquoted: to the end of the line or a '#' after white space, trimmed. */
static void dotenv_bare(struct dotenv *d, struct strbuf *b)
{
	const char *start = d->p;
	const char *end;

	while (!dotenv_at_eol(d) &&
	       !(*d->p == '#' && d->p > start && config_is_blank(d->p[-1])))
		d->p++;
	end = d->p;
	while (start < end && config_is_blank(*start))
		start++;
	while (end > start && config_is_blank(end[-1]))
		end--;
	strbuf_addn(b, start, (size_t)(end - start));
}

/* The value after '=', then nothing but a comment to the end of the line. */
static int dotenv_value(struct dotenv *d, char **value)
{
	const char *after_eq = d->p;
	struct strbuf b = STRBUF_INIT;
	int rc = 0;

	dotenv_skip_blanks(d);
	if (*d->p == '\'') {
		rc = dotenv_single(d, &b);
	} else if (*d->p == '"') {
		rc = dotenv_double(d, &b);
	} else {
		/* From just after '=': a blank before '#' makes a comment. */
		d->p = after_eq;
		dotenv_bare(d, &b);
	}
	dotenv_skip_blanks(d);
	if (rc == 0 && *d->p == '#')
		dotenv_skip_line(d);
	if (rc == 0 && !dotenv_at_eol(d)) {
		d->why = "text follows the closing quote";
		rc = -1;
	}
	if (rc < 0) {
		strbuf_release(&b);
		return -1;
	}
	*value = strbuf_finish(&b);
	if (*value == NULL) {
		d->why = NULL;
		return -1;
	}
	return 0;
}

/* One NAME=VALUE entry; the last one naming key wins. */
static int dotenv_entry(struct dotenv *d, const char *key, char **out)
{
	const char *name;
	char *value = NULL;
	size_t len;

	if (dotenv_name(d, &name, &len) < 0 || dotenv_value(d, &value) < 0)
		return -1;
	if (len == strlen(key) && strncmp(name, key, len) == 0) {
		free(*out);
		*out = value;
		return 0;
	}
	free(value);
	return 0;
}

/* Every entry is checked, not only key's: junk is an error anywhere. */
static int dotenv_parse(struct dotenv *d, const char *key, char **out,
			int *bad_line)
{
	while (d->p < d->end) {
		*bad_line = d->line;
		dotenv_skip_blanks(d);
		if (*d->p == '#')
			dotenv_skip_line(d);
		else if (!dotenv_at_eol(d) && dotenv_entry(d, key, out) < 0)
			return -1;
		if (d->p < d->end) {
			d->p++;
			d->line++;
		}
	}
	return 0;
}

/* Windows editors end lines with CRLF; the CR is not part of a value. */
static void drop_crlf(char *text, size_t *len)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i < *len; i++)
		if (text[i] != '\r' || (i + 1 < *len && text[i + 1] != '\n'))
			text[j++] = text[i];
	text[j] = '\0';
	*len = j;
}

static int read_failed(const char *path, int errnum, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot read .env file \"%s\"", path);
	error_detail(err, "%s", strerror(errnum));
	error_hint(
		err,
		"Check the file's permissions, or set DATABASE_URL or --url instead.");
	return -1;
}

/* The whole file, NUL-terminated; *text stays NULL if it does not exist. */
static int read_text(const char *path, char **text, size_t *len,
		     struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	FILE *file;
	int ret = 0;

	file = fopen(path, "r");
	if (file == NULL)
		return errno == ENOENT ? 0 : read_failed(path, errno, err);
	config_read_rest(file, &b);
	if (ferror(file))
		ret = read_failed(path, errno ? errno : EIO, err);
	fclose(file);
	*len = b.len;
	if (ret == 0) {
		*text = strbuf_finish(&b);
		if (*text == NULL)
			ret = config_out_of_memory(err);
	}
	strbuf_release(&b);
	return ret;
}

static int dotenv_malformed(const char *path, int line, const char *why,
			    struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s:%d: malformed line", path, line);
	error_detail(err, "line %d: %s", line, why);
	error_hint(
		err,
		"Lines of a .env file are NAME=VALUE, export NAME=VALUE, # comments or blank; quote a value with ' or \".");
	return -1;
}

static int line_of(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

int config_read_dotenv(const char *path, const char *key, char **out,
		       struct retort_error *err)
{
	struct dotenv d = { 0 };
	char *text = NULL;
	const char *nul;
	size_t len = 0;
	int bad_line = 0;
	int ret = -1;

	*out = NULL;
	if (read_text(path, &text, &len, err) < 0)
		goto out;
	ret = 0;
	if (text == NULL)
		goto out;
	drop_crlf(text, &len);
	nul = memchr(text, '\0', len);
	if (nul != NULL) {
		ret = dotenv_malformed(path, line_of(text, nul), "a NUL byte",
				       err);
		goto out;
	}
	d = (struct dotenv){ .p = text, .end = text + len, .line = 1 };
	if (dotenv_parse(&d, key, out, &bad_line) == 0)
		goto out;
	free(*out);
	*out = NULL;
	if (d.why == NULL)
		ret = config_out_of_memory(err);
	else
		ret = dotenv_malformed(path, bad_line, d.why, err);
out:
	free(text);
	return ret;
}

/*
 * meta.c - a revision's metadata read and checked field by field, before
 * the graph links anything.  Pure: no I/O.
 */
#include "graph/meta.h"

#include <stdio.h>
#include <string.h>

/* ---- comma lists ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

size_t meta_list_count(const char *s)
{
	size_t n = 1;
	const char *p = s;

	if (p == NULL)
		return 0;
	while (is_space(*p))
		p++;
	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == ',')
			n++;
	return n;
}

bool meta_list_next(const char **cur, struct token *tok)
{
	const char *p = *cur;
	const char *end;

	if (p == NULL)
		return false;
	end = strchr(p, ',');
	if (end == NULL)
		end = p + strlen(p);
	while (p < end && is_space(*p))
		p++;
	tok->s = p;
	tok->len = (size_t)(end - p);
	while (tok->len > 0 && is_space(p[tok->len - 1]))
		tok->len--;
	*cur = *end == ',' ? end + 1 : NULL;
	return true;
}

bool revmap_list_next(const char **cur, const char **item, size_t *len)
{
	struct token tok;

	if (!meta_list_next(cur, &tok))
		return false;
	*item = tok.s;
	*len = tok.len;
	return true;
}

int meta_check_entry(const struct revision_meta *m, const char *field,
		     const char *value, struct token tok,
		     struct retort_error *err)
{
	if (tok.len > 0)
		return 0;
	error_set(err, RETORT_USAGE, "empty entry in %s of revision %s", field,
		  m->id);
	error_detail(err, "file: %s", path_of(m));
	error_detail(err, "%s: \"%s\"", field, value);
	error_hint(err,
		   "Separate the entries with single commas, as in \"a, b\".");
	return -1;
}

/* ---- validating names ---- */

/* The characters of name outside [A-Za-z0-9_], each once, for a message. */
static void bad_chars(const char *name, size_t len, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && used + 8 < size; i++) {
		unsigned char c = (unsigned char)name[i];
		const char *sep = used > 0 ? ", " : "";

		if (is_name_char(name[i]) || memchr(name, name[i], i) != NULL)
			continue;
		if (c >= 0x20 && c < 0x7f)
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%c", sep, c);
		else
			used += (size_t)snprintf(buf + used, size - used,
						 "%s\\x%02x", sep, c);
	}
}

int meta_check_id(const struct revision_meta *m, struct retort_error *err)
{
	const char *id = m->id ? m->id : "";
	struct token t = { id, strlen(id) };
	char bad[64];

	bad_chars(t.s, t.len, bad, sizeof(bad));
	if (t.len == 0)
		error_set(err, RETORT_USAGE, "empty revision identifier");
	else if (t.len > REVMAP_ID_MAX)
		error_set(
			err, RETORT_USAGE,
			"revision identifier '%s' is longer than %d characters",
			id, REVMAP_ID_MAX);
	else if (bad[0] != '\0')
		error_set(
			err, RETORT_USAGE,
			"Character(s) '%s' not allowed in revision identifier '%s'",
			bad, id);
	else if (is_keyword(t))
		error_set(
			err, RETORT_USAGE,
			"revision identifier '%s' is reserved: it is a target keyword",
			id);
	else
		return 0;
	error_detail(err, "file: %s", path_of(m));
	error_hint(
		err,
		"A revision identifier is 1 to %d letters, digits or '_', other than head, heads and base.",
		REVMAP_ID_MAX);
	return -1;
}

int meta_check_label(const struct revision_meta *m, struct token t,
		     struct retort_error *err)
{
	char bad[64];

	bad_chars(t.s, t.len, bad, sizeof(bad));
	if (bad[0] != '\0')
		error_set(
			err, RETORT_USAGE,
			"Character(s) '%s' not allowed in branch label '%.*s' of revision %s",
			bad, (int)t.len, t.s, m->id);
	else if (is_keyword(t))
		error_set(
			err, RETORT_USAGE,
			"branch label '%.*s' of revision %s is reserved: it is a target keyword",
			(int)t.len, t.s, m->id);
	else
		return 0;
	error_detail(err, "file: %s", path_of(m));
	error_hint(
		err,
		"A branch label is letters, digits or '_', other than head, heads and base.");
	return -1;
}

/* ---- validating create_date ---- */

/* n digits at *s, as a number in [lo, hi]; advances *s past them. */
static bool take_number(const char **s, int n, int lo, int hi, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	if (out)
		*out = v;
	return v >= lo && v <= hi;
}

static bool take_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* ".ffffff": Python's str(datetime) writes six digits; fewer are fine. */
static bool take_fraction(const char **s)
{
	size_t n;

	if (!take_char(s, '.'))
		return true;
	n = strspn(*s, "0123456789");
	*s += n;
	return n >= 1 && n <= 6;
}

/* "+00" as retort writes it, "+00:00" or "+0000" as Alembic may. */
static bool take_offset(const char **s)
{
	if (!take_char(s, '+') && !take_char(s, '-'))
		return true;
	if (!take_number(s, 2, 0, 15, NULL))
		return false;
	if (**s == '\0')
		return true;
	take_char(s, ':');
	return take_number(s, 2, 0, 59, NULL);
}

/*
 * "YYYY-MM-DD HH:MM:SS", then an optional fraction and UTC offset: what
 * `retort revision` writes ("...+00") and what Alembic writes in a
 * revision's Create Date ("... 10:00:00.123456", "...+00:00").
 */
static bool is_create_date(const char *s)
{
	int year, month, day;

	if (!take_number(&s, 4, 1, 9999, &year) || !take_char(&s, '-') ||
	    !take_number(&s, 2, 1, 12, &month) || !take_char(&s, '-') ||
	    !take_number(&s, 2, 1, days_in_month(year, month), &day) ||
	    !take_char(&s, ' ') || !take_number(&s, 2, 0, 23, NULL) ||
	    !take_char(&s, ':') || !take_number(&s, 2, 0, 59, NULL) ||
	    !take_char(&s, ':') || !take_number(&s, 2, 0, 59, NULL))
		return false;
	return take_fraction(&s) && take_offset(&s) && *s == '\0';
}

/* NULL and "" stay allowed: history then shows no date, as Alembic does
 * for a script without one. */
int meta_check_date(const struct revision_meta *m, struct retort_error *err)
{
	if (m->create_date == NULL || m->create_date[0] == '\0' ||
	    is_create_date(m->create_date))
		return 0;
	error_set(err, RETORT_USAGE,
		  "malformed create_date \"%.80s\" in revision %s",
		  m->create_date, m->id);
	error_detail(err, "file: %s", path_of(m));
	error_detail(
		err,
		"expected YYYY-MM-DD HH:MM:SS+00 (a fraction of a second and an offset such as +00:00 may follow, or no offset)");
	error_hint(
		err,
		"Set .create_date in RETORT_REVISION(...) to a real date and time, as in \"2026-11-24 10:00:00+00\", and rebuild.");
	return -1;
}

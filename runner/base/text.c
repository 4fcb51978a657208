/*
 * text.c - escaping control characters in text from outside retort before
 * it is printed (see text.h).  Pure: writes only where it is told to.
 */
#include "base/text.h"

#include <stdint.h>
#include <string.h>

/*
 * The escape for the character at s (n bytes left) in esc, and how many
 * bytes of s it stands for; 0 when the byte is printed as it is.
 */
static size_t escape_at(const unsigned char *s, size_t n, char esc[8])
{
	if (*s == '\n' || *s == '\r' || *s == '\t') {
		esc[0] = '\\';
		esc[1] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
		esc[2] = '\0';
		return 1;
	}
	if (*s < 0x20 || *s == 0x7f) {
		snprintf(esc, 8, "\\x%02x", *s);
		return 1;
	}
	/* U+0080..U+009F in UTF-8: 0xC2 followed by 0x80..0x9F. */
	if (*s == 0xc2 && n > 1 && s[1] >= 0x80 && s[1] <= 0x9f) {
		snprintf(esc, 8, "\\u00%02x", s[1]);
		return 2;
	}
	return 0;
}

void text_fputn(const char *s, size_t n, FILE *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t plain = 0;
	char esc[8];

	while (plain < n) {
		size_t used = escape_at(p + plain, n - plain, esc);

		if (used == 0) {
			plain++;
			continue;
		}
		fwrite(p, 1, plain, out);
		fputs(esc, out);
		p += plain + used;
		n -= plain + used;
		plain = 0;
	}
	fwrite(p, 1, plain, out);
}

void text_fput(const char *s, FILE *out)
{
	if (s)
		text_fputn(s, strlen(s), out);
}

const char *text_escape(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), used = 0;
	char esc[8];

	while (n > 0) {
		size_t took = escape_at(p, n, esc);
		size_t len = took ? strlen(esc) : 1;

		if (used + len >= size)
			break;
		if (took)
			memcpy(buf + used, esc, len);
		else
			buf[used] = (char)*p;
		used += len;
		p += took ? took : 1;
		n -= took ? took : 1;
	}
	buf[used] = '\0';
	return buf;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t text_edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[64][64];
	size_t i, j, cost;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = lower(a[i - 1]) != lower(b[j - 1]);
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 &&
			    lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

const char *text_next_line(const char **cursor, size_t *len)
{
	const char *p = *cursor, *line;

	do {
		p += strspn(p, " \t");
		line = p;
		*len = strcspn(p, "\r\n");
		p += *len;
		p += strspn(p, "\r\n");
	} while (*len == 0 && *p != '\0');
	*cursor = p;
	return *len > 0 ? line : NULL;
}

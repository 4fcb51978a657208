/*
 * json.c - writing one JSON document into a strbuf: structure (commas,
 * colons, nesting) and string escaping.  Never prints.
 */
#include "base/json.h"

#include <string.h>

/* Before any value: the comma that separates it from the previous one. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->has_items[j->depth - 1])
			strbuf_addc(&j->buf, ',');
		j->has_items[j->depth - 1] = true;
	} else if (j->buf.len > 0) {
		j->misused = true; /* a second document */
	}
}

static void open_container(struct json *j, char c)
{
	before_value(j);
	if (j->depth == JSON_MAX_DEPTH) {
		j->misused = true;
		return;
	}
	j->has_items[j->depth++] = false;
	strbuf_addc(&j->buf, c);
}

static void close_container(struct json *j, char c)
{
	if (j->depth == 0 || j->after_key) {
		j->misused = true;
		return;
	}
	j->depth--;
	strbuf_addc(&j->buf, c);
}

void json_object_begin(struct json *j)
{
	open_container(j, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j)
{
	open_container(j, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes), or 0
 * when the byte there starts none: RFC 3629's table, which leaves out
 * overlong forms, surrogates and code points past U+10FFFF.
 */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* One ASCII byte, escaped where JSON or a terminal needs it. */
static void add_ascii(struct strbuf *b, unsigned char c)
{
	switch (c) {
	case '"':
		strbuf_add(b, "\\\"");
		break;
	case '\\':
		strbuf_add(b, "\\\\");
		break;
	case '\n':
		strbuf_add(b, "\\n");
		break;
	case '\r':
		strbuf_add(b, "\\r");
		break;
	case '\t':
		strbuf_add(b, "\\t");
		break;
	case '\b':
		strbuf_add(b, "\\b");
		break;
	case '\f':
		strbuf_add(b, "\\f");
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			strbuf_addf(b, "\\u%04x", c);
		else
			strbuf_addc(b, (char)c);
	}
}

static void add_escaped(struct strbuf *b, const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if (s[i] < 0x80) {
			add_ascii(b, s[i++]);
			continue;
		}
		len = utf8_length(s + i, n - i);
		if (len == 0) {
			strbuf_add(b, "\\ufffd");
			i++;
		} else if (len == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f) {
			/* A C1 control: some terminals obey it like ESC. */
			strbuf_addf(b, "\\u%04x", s[i + 1]);
			i += 2;
		} else {
			strbuf_addn(b, (const char *)s + i, len);
			i += len;
		}
	}
}

void json_key(struct json *j, const char *key)
{
	if (j->depth == 0 || j->after_key) {
		j->misused = true;
		return;
	}
	before_value(j);
	strbuf_addc(&j->buf, '"');
	add_escaped(&j->buf, (const unsigned char *)key, strlen(key));
	strbuf_add(&j->buf, "\":");
	j->after_key = true;
}

void json_stringn(struct json *j, const char *s, size_t n)
{
	before_value(j);
	strbuf_addc(&j->buf, '"');
	add_escaped(&j->buf, (const unsigned char *)s, n);
	strbuf_addc(&j->buf, '"');
}

void json_string(struct json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_stringn(j, s, strlen(s));
}

void json_bool(struct json *j, bool value)
{
	before_value(j);
	strbuf_add(&j->buf, value ? "true" : "false");
}

void json_null(struct json *j)
{
	before_value(j);
	strbuf_add(&j->buf, "null");
}

void json_int(struct json *j, long long value)
{
	before_value(j);
	strbuf_addf(&j->buf, "%lld", value);
}

static size_t digits(const char *s)
{
	return strspn(s, "0123456789");
}

/* RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_number(const char *s)
{
	size_t n;

	s += *s == '-';
	n = digits(s);
	if (n == 0 || (s[0] == '0' && n > 1))
		return false;
	s += n;
	if (*s == '.') {
		if ((n = digits(++s)) == 0)
			return false;
		s += n;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		s += *s == '+' || *s == '-';
		if ((n = digits(s)) == 0)
			return false;
		s += n;
	}
	return *s == '\0';
}

void json_number_text(struct json *j, const char *text)
{
	if (text == NULL) {
		json_null(j);
	} else if (is_number(text)) {
		before_value(j);
		strbuf_add(&j->buf, text);
	} else {
		json_string(j, text);
	}
}

char *json_finish(struct json *j)
{
	char *text;

	if (j->misused || j->depth != 0 || j->after_key || j->buf.len == 0) {
		json_release(j);
		return NULL;
	}
	strbuf_addc(&j->buf, '\n');
	text = strbuf_finish(&j->buf);
	memset(j, 0, sizeof(*j));
	return text;
}

void json_release(struct json *j)
{
	strbuf_release(&j->buf);
	memset(j, 0, sizeof(*j));
}

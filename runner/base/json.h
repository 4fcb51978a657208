/*
 * json.h - writing one JSON document (RFC 8259) into a strbuf, for the
 * commands' --json output.
 *
 * The writer puts the commas and the colons: a caller opens objects and
 * arrays, names each member with json_key() and writes values.  Strings
 * come from outside retort (messages, labels, paths, what the database
 * holds), so json_string() escapes everything a parser or a terminal
 * could trip on: '"' and '\\'; \n, \r, \t, \b and \f as such; every
 * other C0 control character, DEL and every C1 control character
 * (U+0080 to U+009F) as \u00XX.  Valid UTF-8 passes through as it is;
 * each byte that is not part of a valid UTF-8 sequence (a stray
 * continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF, a cut-off sequence) becomes \ufffd, the replacement
 * character, so that the document is always valid UTF-8.
 *
 * Like strbuf, appending never fails on the spot: json_finish() reports
 * a failed allocation once.  Start from JSON_INIT (or a zeroed struct).
 */
#ifndef RETORT_JSON_H
#define RETORT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/* How deep objects and arrays may nest; deeper ones are a bug. */
#define JSON_MAX_DEPTH 16

struct json {
	struct strbuf buf;
	int depth;
	/* Per open object or array: a value was written, so the next one
	 * needs a comma. */
	bool has_items[JSON_MAX_DEPTH];
	bool after_key; /* a key was written: the value needs no comma */
	bool misused;	/* nesting or keys out of place: a bug */
};

#define JSON_INIT                                                              \
	{                                                                      \
		STRBUF_INIT, 0, { false }, false, false                        \
	}

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* The name of the next member of the open object. */
void json_key(struct json *j, const char *key);

/* A string, escaped as above; NULL writes null. */
void json_string(struct json *j, const char *s);
/* The first n bytes of s as a string. */
void json_stringn(struct json *j, const char *s, size_t n);
void json_bool(struct json *j, bool value);
void json_null(struct json *j);
void json_int(struct json *j, long long value);
/*
 * A number given as text (what PostgreSQL prints for a numeric, say);
 * text that is not a JSON number is written as a string instead.
 */
void json_number_text(struct json *j, const char *text);

/*
 * The document, with a newline after it, handed to the caller (who frees
 * it); NULL after an allocation failed or a misuse (an unclosed object,
 * a key outside an object).  Empties the writer.
 */
char *json_finish(struct json *j);
/* Free what was written and empty the writer. */
void json_release(struct json *j);

#endif

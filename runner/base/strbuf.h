/*
 * strbuf.h - the runner's one growing string.
 *
 * Appending never fails on the spot: after a failed allocation the buffer
 * only remembers that, and strbuf_finish() reports it once, so that code
 * building SQL or a source file reads as a list of appends with one check
 * at the end.  Start from STRBUF_INIT (or a zeroed struct).
 */
#ifndef RETORT_STRBUF_H
#define RETORT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct strbuf {
	char *s;    /* NUL-terminated once anything was added; may be NULL */
	size_t len; /* bytes before the NUL */
	size_t cap;
	bool failed; /* an allocation failed: the text is incomplete */
};

#define STRBUF_INIT                                                            \
	{                                                                      \
		NULL, 0, 0, false                                              \
	}

void strbuf_addn(struct strbuf *b, const char *s, size_t n);
void strbuf_add(struct strbuf *b, const char *s);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) ERROR_PRINTF(2, 3);
/* Drop what was added after the first len bytes. */
void strbuf_truncate(struct strbuf *b, size_t len);
/* The text so far, "" when empty; valid until the next append. */
const char *strbuf_str(const struct strbuf *b);

/*
 * Hand the text to the caller (who frees it) and empty the buffer; NULL
 * when an allocation failed, after freeing what there was.  An empty
 * buffer gives "".
 */
char *strbuf_finish(struct strbuf *b);
/* Free the text and empty the buffer. */
void strbuf_release(struct strbuf *b);

#endif

/*
 * config_internal.h - what the parts of the configuration reader (config.c,
 * config_ini.c, config_dotenv.c, config_url.c) share, and nothing else uses.
 */
#ifndef RETORT_CONFIG_INTERNAL_H
#define RETORT_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "base/strbuf.h"

static inline int config_out_of_memory(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ASCII only: the C library's classes follow the locale. */
static inline bool config_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool config_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool config_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * What is left of file, appended to b, NUL bytes and all; the caller asks
 * ferror() and strbuf_finish() how it went.
 */
static inline void config_read_rest(FILE *file, struct strbuf *b)
{
	char chunk[4096];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		strbuf_addn(b, chunk, n);
}

#endif

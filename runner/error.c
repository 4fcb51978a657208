/*
 * error.c - filling struct retort_error.  Formats text only: never prints,
 * never allocates, so it works when memory has run out.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

void error_clear(struct retort_error *err)
{
	memset(err, 0, sizeof(*err));
}

int error_set(struct retort_error *err, enum retort_status status,
	      const char *fmt, ...)
{
	va_list ap;

	error_clear(err);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int error_set_text(struct retort_error *err, enum retort_status status,
		   const char *text)
{
	size_t len = strcspn(text, "\r\n");
	const char *rest = text + len;

	error_set(err, status, "%.*s", (int)len, text);
	while (*rest != '\0') {
		rest += strspn(rest, "\r\n \t");
		len = strcspn(rest, "\r\n");
		if (len > 0)
			error_detail(err, "%.*s", (int)len, rest);
		rest += len;
	}
	return -1;
}

void error_detail(struct retort_error *err, const char *fmt, ...)
{
	size_t used = strlen(err->detail);
	va_list ap;

	if (used > 0 && used + 1 < sizeof(err->detail))
		err->detail[used++] = '\n';
	if (used + 1 >= sizeof(err->detail))
		return;
	err->detail[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->detail + used, sizeof(err->detail) - used, fmt, ap);
	va_end(ap);
}

void error_hint(struct retort_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void error_prefix(struct retort_error *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)];
	char old[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the front: the context and the start of the cause.
	 */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
}

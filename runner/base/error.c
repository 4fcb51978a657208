/*
 * error.c - filling struct retort_error.  Formats text only: never prints,
 * never allocates, so it works when memory has run out.
 */
#include "base/error.h"

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

/* Put line before the detail's other lines, cutting short what follows. */
static void detail_first(struct retort_error *err, const char *line)
{
	size_t cap = sizeof(err->detail) - 1;
	size_t n = strlen(line), rest = strlen(err->detail);
	size_t sep = rest > 0;

	if (n + sep > cap)
		n = cap - sep;
	if (n + sep + rest > cap)
		rest = cap - n - sep;
	memmove(err->detail + n + sep, err->detail, rest);
	memcpy(err->detail, line, n);
	if (sep)
		err->detail[n] = '\n';
	err->detail[n + sep + rest] = '\0';
}

void error_prefix(struct retort_error *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)];
	char old[sizeof(err->msg)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	if (n < 0) {
		err->msg[0] = '\0';
	} else if ((size_t)n >= sizeof(err->msg)) {
		/* The message keeps the context and the start of the cause;
		 * the first detail line keeps the whole cause, unless it was
		 * cut short already (a second prefix). */
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
		if (strlen(old) + 1 < sizeof(old))
			detail_first(err, old);
	}
}

/*
 * Header test: a method is called only when the running host's table has
 * it.  Fake host tables stand in for runners of each host API version: a
 * table of version 1 (whatever its size) makes the data-migration wrappers
 * fail with the "too old" message instead of calling through, a table of
 * version 2 calls through, and a short or NULL entry is never called.
 */
#include "plugin_api.h"

#include <stdio.h>
#include <string.h>

static int failures;
static int called;
static char failed_with[256];

static void expect(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static int fake_vfail(retort_ctx *ctx, const char *fmt, va_list ap)
{
	(void)ctx;
	vsnprintf(failed_with, sizeof(failed_with), fmt, ap);
	return -1;
}

static int fake_backfill(retort_ctx *ctx, const struct retort_backfill_job *job)
{
	(void)ctx;
	(void)job;
	called++;
	return 0;
}

static int fake_copy_in(retort_ctx *ctx, const char *copy_sql,
			retort_copy_source *source, void *arg)
{
	(void)ctx;
	(void)copy_sql;
	(void)source;
	(void)arg;
	called++;
	return 0;
}

static int fake_copy_out(retort_ctx *ctx, const char *copy_sql,
			 retort_copy_sink *sink, void *arg)
{
	(void)ctx;
	(void)copy_sql;
	(void)sink;
	(void)arg;
	called++;
	return 0;
}

static struct retort_host host_of(uint32_t version, uint32_t size)
{
	struct retort_host h;

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.size = size;
	h.vfail = fake_vfail;
	h.backfill = fake_backfill;
	h.copy_in = fake_copy_in;
	h.copy_out = fake_copy_out;
	return h;
}

/* Call each data-migration wrapper once; how many reached the host. */
static int run_wrappers(const struct retort_host *h)
{
	struct retort_ctx ctx = { h };

	called = 0;
	failed_with[0] = '\0';
	retort_backfill(&ctx, &RETORT_BACKFILL(.table = "t"));
	retort_copy_in(&ctx, "COPY t FROM STDIN", NULL, NULL);
	retort_copy_out(&ctx, "COPY t TO STDOUT", NULL, NULL);
	return called;
}

int main(void)
{
	const uint32_t v1_size =
		(uint32_t)offsetof(struct retort_host, backfill);
	const uint32_t full = (uint32_t)sizeof(struct retort_host);
	struct retort_host h;
	struct retort_ctx ctx = { &h };

	h = host_of(2, full);
	expect(RETORT_HOST_HAS(&ctx, backfill), "version 2 has backfill");
	expect(run_wrappers(&h) == 3, "version 2: every wrapper calls through");

	/* A version-1 host whose table happens to be long enough: the
	 * version, not the size alone, says what the entries are. */
	h = host_of(1, full);
	expect(!RETORT_HOST_HAS(&ctx, backfill),
	       "version 1 has no backfill, whatever its size");
	expect(RETORT_HOST_HAS(&ctx, vfail), "version 1 has vfail");
	expect(run_wrappers(&h) == 0, "version 1: no wrapper calls through");
	expect(strcmp(failed_with,
		      "this retort is too old for "
		      "retort_copy_out(); upgrade the runner") == 0,
	       "version 1: the revision fails, naming the runner too old");

	h = host_of(1, v1_size);
	expect(!RETORT_HOST_HAS(&ctx, copy_in),
	       "a version-1-sized table has no copy_in");
	expect(run_wrappers(&h) == 0, "a short table: nothing calls through");

	h = host_of(2, full);
	h.copy_out = NULL;
	expect(!RETORT_HOST_HAS(&ctx, copy_out), "a NULL entry is not had");
	expect(run_wrappers(&h) == 2, "a NULL entry is never called");

	printf("1..10\n");
	return failures != 0;
}

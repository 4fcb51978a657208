/*
 * fuzz_url.c - libFuzzer target for config_normalize_url().
 *
 * Whatever the string, normalising returns 0 with a URL or -1 with a
 * message and no URL, frees all it allocates, trips no sanitizer and never
 * quotes the password (FUZZ_SECRET, planted by the seeds and dictionary).
 */
#define _GNU_SOURCE /* memfd_create(), in fuzz.h */

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_strdup(data, size);
	struct retort_error err;
	char *out = NULL;
	int rc;

	error_clear(&err);
	rc = config_normalize_url(in, &out, &err);
	fuzz_check_result(rc, &err);
	if (rc < 0) {
		fuzz_check_no_secret(&err);
		if (out != NULL)
			fuzz_fail("failed but left a URL", &err);
	} else if (out == NULL) {
		fuzz_fail("succeeded without a URL", &err);
	}
	free(out);
	free(in);
	return 0;
}

/*
 * fuzz_dotenv.c - libFuzzer target for config_read_dotenv(): the input is
 * the whole .env file, in a scratch file since the reader takes a path, and
 * DATABASE_URL is looked up in it.
 *
 * Whatever the file, the read returns 0 or -1 with a message, frees all
 * it allocates, trips no sanitizer and never quotes a line's text (it may
 * hold a password).
 */
#define _GNU_SOURCE /* memfd_create(), in fuzz.h */

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_scratch_init(".env");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch_write(data, size);
	struct retort_error err;
	char *value = NULL;
	int rc;

	error_clear(&err);
	rc = config_read_dotenv(path, "DATABASE_URL", &value, &err);
	fuzz_check_result(rc, &err);
	if (rc < 0) {
		fuzz_check_no_secret(&err);
		if (value != NULL)
			fuzz_fail("failed but left a value", &err);
	}
	free(value);
	return 0;
}

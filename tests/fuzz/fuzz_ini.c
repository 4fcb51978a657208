/*
 * fuzz_ini.c - libFuzzer target for config_read_ini(): the input is the
 * whole retort.ini, in a scratch file since the reader takes a path.
 *
 * Whatever the file, the read returns 0 or -1 with a message, frees all
 * it allocates, trips no sanitizer and never quotes a password.
 */
#define _GNU_SOURCE /* memfd_create(), in fuzz.h */

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_scratch_init("retort.ini");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch_write(data, size);
	struct config cfg;
	struct retort_error err;
	int rc;

	error_clear(&err);
	if (config_init(&cfg, &err) < 0)
		fuzz_fail("config_init", &err);
	rc = config_read_ini(&cfg, path, false, &err);
	fuzz_check_result(rc, &err);
	if (rc < 0)
		fuzz_check_no_secret(&err);
	config_release(&cfg);
	return 0;
}

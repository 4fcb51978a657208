/*
 * fuzz.h - what the libFuzzer targets share: the entry points' prototypes,
 * a scratch file for the parsers that take a path, and the checks that
 * turn a broken promise of the runner into a crash libFuzzer reports.
 * Linux only (memfd_create()); include it after defining _GNU_SOURCE.
 *
 * Test code: it may print and abort(), which the runner never does.
 */
#ifndef RETORT_FUZZ_H
#define RETORT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/error.h"

/*
 * The password the seeds and dictionaries plant in URLs, .env and ini
 * files.  The '~' keeps it out of a URL scheme, which errors may quote:
 * wherever it shows up in an error, it came from a secret's position.
 */
#define FUZZ_SECRET "SECRET~PW"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *what, const struct retort_error *err)
{
	fprintf(stderr,
		"fuzz: %s\n  status: %d\n  msg: %s\n  detail: %s\n"
		"  hint: %s\n",
		what, (int)err->status, err->msg, err->detail, err->hint);
	abort();
}

/* 0 or -1, and a failure says what failed, with a usage or failure status. */
static inline void fuzz_check_result(int rc, const struct retort_error *err)
{
	if (rc != 0 && rc != -1)
		fuzz_fail("returned neither 0 nor -1", err);
	if (rc == -1 && err->msg[0] == '\0')
		fuzz_fail("failed without a message", err);
	if (rc == -1 && err->status != RETORT_USAGE &&
	    err->status != RETORT_FAILED)
		fuzz_fail("failed with a bad status", err);
}

/* "No password is ever printed": an error never quotes FUZZ_SECRET. */
static inline void fuzz_check_no_secret(const struct retort_error *err)
{
	if (strstr(err->msg, FUZZ_SECRET) != NULL ||
	    strstr(err->detail, FUZZ_SECRET) != NULL ||
	    strstr(err->hint, FUZZ_SECRET) != NULL)
		fuzz_fail("an error message quotes the password " FUZZ_SECRET,
			  err);
}

/* The input as a C string, cut at its first NUL as a C caller would see. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The scratch file for readers that take a path: an anonymous memory file
 * (memfd_create()) opened again through /proc.  Nothing touches the disk,
 * which is slow, and nothing is left behind.
 */
static inline int *fuzz_scratch_fd(void)
{
	static int fd = -1;

	return &fd;
}

static inline const char *fuzz_scratch_path(void)
{
	static char path[64];

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/proc/self/fd/%d",
			 *fuzz_scratch_fd());
	return path;
}

static inline void fuzz_scratch_failed(const char *what)
{
	perror(what);
	abort();
}

/* Replace the scratch file's contents with the input; its path. */
static inline const char *fuzz_scratch_write(const uint8_t *data, size_t size)
{
	int fd = *fuzz_scratch_fd();
	size_t done = 0;
	ssize_t n;

	if (ftruncate(fd, 0) < 0)
		fuzz_scratch_failed("fuzz: ftruncate");
	while (done < size) {
		n = pwrite(fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			fuzz_scratch_failed("fuzz: pwrite");
		done += (size_t)n;
	}
	return fuzz_scratch_path();
}

/* Make the scratch file, and check that it reads back through its path. */
static inline void fuzz_scratch_init(const char *name)
{
	static const uint8_t probe[] = "probe";
	char back[sizeof(probe)] = "";
	FILE *f;

	*fuzz_scratch_fd() = memfd_create(name, 0);
	if (*fuzz_scratch_fd() < 0)
		fuzz_scratch_failed("fuzz: memfd_create");
	f = fopen(fuzz_scratch_write(probe, sizeof(probe)), "r");
	if (f == NULL)
		fuzz_scratch_failed(fuzz_scratch_path());
	if (fread(back, 1, sizeof(back), f) != sizeof(probe) ||
	    memcmp(back, probe, sizeof(probe)) != 0) {
		fprintf(stderr, "fuzz: %s does not read back\n",
			fuzz_scratch_path());
		abort();
	}
	fclose(f);
}

#endif

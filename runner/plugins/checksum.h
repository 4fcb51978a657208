/*
 * checksum.h - SHA-256 of a buffer or a file, as lower-case hex (what
 * sha256sum prints), through OpenSSL's libcrypto.
 */
#ifndef RETORT_CHECKSUM_H
#define RETORT_CHECKSUM_H

#include <stddef.h>

#include "base/error.h"

/* 64 hex digits and the terminating NUL. */
#define CHECKSUM_HEX_SIZE 65

/* The SHA-256 of len bytes at buf into hex. */
int checksum_buffer(const void *buf, size_t len, char hex[CHECKSUM_HEX_SIZE],
		    struct retort_error *err);

/*
 * The SHA-256 of the file at path into hex.  A file that cannot be opened
 * or read is RETORT_USAGE naming it and the cause.
 */
int checksum_file(const char *path, char hex[CHECKSUM_HEX_SIZE],
		  struct retort_error *err);

#endif

/*
 * checksum.c - SHA-256 with libcrypto's EVP interface, streamed so a large
 * file never sits in memory.  Never prints.
 */
#include "plugins/checksum.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* SHA-256 is 32 bytes, so len * 2 + 1 == CHECKSUM_HEX_SIZE. */
static void to_hex(const unsigned char *md, unsigned len,
		   char hex[CHECKSUM_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * len] = '\0';
}

static int digest_failed(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED,
			 "cannot compute a SHA-256 digest (libcrypto failed)");
}

static int finish(EVP_MD_CTX *md, char hex[CHECKSUM_HEX_SIZE],
		  struct retort_error *err)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_DigestFinal_ex(md, out, &len) != 1 ||
	    2 * len + 1 != CHECKSUM_HEX_SIZE)
		return digest_failed(err);
	to_hex(out, len, hex);
	return 0;
}

int checksum_buffer(const void *buf, size_t len, char hex[CHECKSUM_HEX_SIZE],
		    struct retort_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (!md)
		return digest_failed(err);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, buf, len) != 1)
		digest_failed(err);
	else
		rc = finish(md, hex, err);
	EVP_MD_CTX_free(md);
	return rc;
}

static int read_failed(const char *path, const char *what, int errnum,
		       struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot %s \"%s\" to checksum it", what,
		  path);
	error_detail(err, "%s", strerror(errnum));
	return -1;
}

static int digest_stream(FILE *f, const char *path, EVP_MD_CTX *md,
			 struct retort_error *err)
{
	unsigned char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(md, buf, n) != 1)
			return digest_failed(err);
	if (ferror(f))
		return read_failed(path, "read", errno ? errno : EIO, err);
	return 0;
}

int checksum_file(const char *path, char hex[CHECKSUM_HEX_SIZE],
		  struct retort_error *err)
{
	EVP_MD_CTX *md = NULL;
	FILE *f = fopen(path, "rb");
	int rc = -1;

	if (!f)
		return read_failed(path, "open", errno, err);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		digest_failed(err);
	else if (digest_stream(f, path, md, err) == 0)
		rc = finish(md, hex, err);
	EVP_MD_CTX_free(md);
	fclose(f);
	return rc;
}

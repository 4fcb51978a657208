/*
 * bench/noop.c - the start-up baseline: a program that does nothing but is
 * linked against libpq, so the dynamic loader maps libpq and everything
 * beneath it (libssl, libcrypto, GSSAPI, LDAP, ...) as it does for retort.
 * PQlibVersion() keeps the link from being dropped (--as-needed).
 */
#include <libpq-fe.h>

int main(void)
{
	return PQlibVersion() > 0 ? 0 : 1;
}

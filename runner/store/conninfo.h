/*
 * conninfo.h - what a connection string names, read without connecting:
 * a fleet's labels and its per-host limits.  Never holds the password.
 */
#ifndef RETORT_CONNINFO_H
#define RETORT_CONNINFO_H

#include "base/error.h"

struct conninfo_names {
	char host[256];	   /* "" when libpq's default applies */
	char port[16];	   /* "" when libpq's default applies */
	char dbname[256];  /* "" when libpq's default applies */
	char service[128]; /* service=NAME, or "" */
};

/*
 * Parse url (a libpq URI or keyword/value string) into out.  A string
 * libpq cannot parse is RETORT_USAGE; the message never quotes it, as it
 * may hold a password.
 */
int conninfo_names(const char *url, struct conninfo_names *out,
		   struct retort_error *err);

#endif

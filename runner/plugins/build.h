/*
 * build.h - compiling revision sources into plugins, so that writing a
 * source is adding the revision.
 *
 * Before anything reads the graph, each "*.c" of the sources directory
 * whose plugin "<name>.so" in the versions directory is missing, older
 * than the source or than plugin_api.h, or carries another source's
 * checksum, is compiled with the flags Meson gives revisions and the
 * checksum scripts/source-checksum stamps.  Checking costs two stat()s a
 * source while nothing is stale (the plugin index remembers which source
 * texts matched).  Never prints an error; progress lines go to the FILE *
 * it is given, the compiler's own diagnostics to the runner's stderr.
 */
#ifndef RETORT_BUILD_H
#define RETORT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "plugins/plugin.h"

struct build_opts {
	const char *sources;   /* the sources; absent: nothing to build */
	const char *versions;  /* the plugins; made (with parents) if absent */
	const char *cc;	       /* the compiler, split on blanks as make does */
	const char *cc_origin; /* where cc came from, for a missing compiler */
	const char *api_dir;   /* the directory of the plugin_api.h to use */
	bool force;	       /* build every source, current or not */
	/* --no-build: build nothing, and refuse a source with no current
	 * plugin; check_why names the setting ("--no-build"). */
	bool check_only;
	const char *check_why;
	FILE *progress; /* "Building <id> <message>" lines; NULL: none */
};

/* What one run found; build_release() frees it. */
struct build {
	const char *sources; /* build_opts' sources, borrowed */
	char *sources_real;  /* the sources directory's real path, or NULL */
	char **names;	     /* its "*.c" file names, sorted */
	size_t n;
	size_t built; /* how many plugins it compiled */
};

/*
 * Compile every stale source (every one with force), up to one compiler
 * a CPU at once, each into a temporary file renamed into place, so that
 * another runner never loads half a plugin.  A compiler that fails or
 * cannot be run is RETORT_USAGE naming the source or the compiler; the
 * plugins that did build are kept.  With check_only, a stale source is
 * RETORT_USAGE naming it.  A sources directory that does not exist holds
 * no sources.
 */
int build_run(const struct build_opts *o, struct build *out,
	      struct retort_error *err);

/*
 * Remove from the versions directory each plugin of set built from a
 * source of b's sources directory that is gone (a line for each on
 * progress), so that deleting a source deletes its revision.  *removed
 * counts them; the caller discovers the plugins again when it is nonzero.
 */
int build_remove_leftovers(const struct build *b, const struct plugin_set *set,
			   FILE *progress, size_t *removed,
			   struct retort_error *err);

void build_release(struct build *b);

/*
 * The directory of the plugin_api.h to build against: the one beside the
 * configuration file (ini_dir, NULL if none was read), else the installed
 * one, else the one of the source tree retort was built from.  Borrowed
 * or static; NULL when there is none.
 */
const char *build_api_dir(const char *ini_dir, char *buf, size_t size);

#endif

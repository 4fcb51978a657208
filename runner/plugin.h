/*
 * plugin.h - finding revision plugins and loading their code.
 *
 * Two separate steps: plugin_discover() reads every plugin's metadata (and
 * checks its ABI and symbols) without keeping it loaded; plugin_load()
 * loads one plugin's code for the moment a plan runs it.  Reading metadata
 * must stay apart from running code, so that it can later come from an
 * index instead of dlopen.
 */
#ifndef RETORT_PLUGIN_H
#define RETORT_PLUGIN_H

#include <stddef.h>

#include "../plugin_api.h"
#include "checksum.h"
#include "error.h"
#include "revmap.h"

/* Owned copies of one plugin's metadata; meta's strings point into it. */
struct plugin_info {
	struct revision_meta meta;
	char *strings; /* one allocation holding every string of meta */
};

struct plugin_set {
	struct plugin_info *items; /* sorted by file name */
	size_t n;
	struct revision_meta *metas; /* items[i].meta, contiguous, for revmap */
};

/*
 * Read every "*.so" in dir (other files are ignored).  A file that is not
 * a loadable object, has no retort_revision, upgrade or downgrade symbol,
 * or was built for another ABI is an error (RETORT_USAGE) naming the file
 * and, for the ABI, both versions.  A missing directory is an error with a
 * hint to build.
 */
int plugin_discover(const char *dir, struct plugin_set *out,
		    struct retort_error *err);

enum plugin_discover_flags {
	/* Load what safe loading refuses (--unsafe-plugins). */
	PLUGIN_ALLOW_UNSAFE = 1 << 0,
};

/*
 * plugin_discover() with enum plugin_discover_flags.  Without
 * PLUGIN_ALLOW_UNSAFE (plugin_discover() never allows it), a versions
 * directory or plugin that is writable by group (other than the owner's
 * private group) or others, or owned by another user than the runner's or
 * root, is an error (RETORT_USAGE) naming the file, its mode and owner,
 * with the chmod go-w fix.
 *
 * Each plugin's meta.checksum is the SHA-256 of its source that the build
 * embedded, or else the SHA-256 of the plugin file (checksum_of_binary).
 */
int plugin_discover_with(const char *dir, unsigned flags,
			 struct plugin_set *out, struct retort_error *err);
void plugin_set_release(struct plugin_set *set);

/* A plugin's build against its source as the source is now. */
enum plugin_source {
	PLUGIN_SOURCE_UNKNOWN, /* no embedded source, or it is not readable */
	PLUGIN_SOURCE_CURRENT, /* the source is what the plugin was built from
				*/
	PLUGIN_SOURCE_CHANGED, /* the source changed since: a stale build */
};

/*
 * Compare meta's embedded checksum with its source file's current one,
 * which lands in current ("" when unknown).  Reads the source; never fails.
 */
enum plugin_source plugin_check_source(const struct revision_meta *meta,
				       char current[CHECKSUM_HEX_SIZE]);

/* One plugin's code, loaded to run. */
struct plugin_code {
	void *handle;
	int (*upgrade)(retort_ctx *ctx);
	int (*downgrade)(retort_ctx *ctx);
};

int plugin_load(const char *path, struct plugin_code *out,
		struct retort_error *err);
/* Unload; accepts a zeroed struct. */
void plugin_unload(struct plugin_code *code);

#endif

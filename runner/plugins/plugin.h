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

#include "plugin_api.h"
#include "plugins/checksum.h"
#include "base/error.h"
#include "plugins/index.h"
#include "graph/revmap.h"

/* Owned copies of one plugin's metadata; meta's strings point into it. */
struct plugin_info {
	struct revision_meta meta;
	char *strings; /* one allocation holding every string of meta */
	struct file_stamp stamp;       /* the plugin file's, when it was read */
	struct file_stamp source_seen; /* its source's, when last it matched */
};

struct plugin_set {
	struct plugin_info *items; /* sorted by file name */
	size_t n;
	struct revision_meta *metas; /* items[i].meta, contiguous, for revmap */
	/* Read from the index unchanged: the metas' strings point into its
	 * text and into paths, not into each item's own strings. */
	char *index_text, *paths;
};

/*
 * Read every "*.so" in dir (other files are ignored).  A file that is not
 * a loadable object, has no retort_revision, upgrade or downgrade symbol,
 * or was built for another ABI is an error (RETORT_USAGE) naming the file
 * and, for the ABI, both versions.  A missing directory is an error with a
 * hint to build.
 *
 * Plugins are loaded (dlopen) in one child process for the whole scan
 * (probe.h), only those the index cannot vouch for: one that ends that
 * process while loading (a constructor's exit() or fault, a truncated
 * file's SIGBUS) is an error (RETORT_USAGE) naming it and how it ended.
 */
int plugin_discover(const char *dir, struct plugin_set *out,
		    struct retort_error *err);

enum plugin_discover_flags {
	/* Load what safe loading refuses (--unsafe-plugins). */
	PLUGIN_ALLOW_UNSAFE = 1 << 0,
	/* stat() and check every plugin even when the index vouches for the
	 * directory: what `retort check` answers for must be every file as
	 * it is, a plugin overwritten in place included. */
	PLUGIN_CHECK_EVERY_FILE = 1 << 1,
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

/* Told of a stale plugin: its meta and its source's checksum now. */
typedef void plugin_stale_fn(const struct revision_meta *meta,
			     const char *current, void *arg);

/*
 * Compare each plugin's embedded source checksum with its source file as
 * it is now, calling stale() for each that changed; returns how many did.
 * Sources need not be deployed: an absent one is not stale.  A source is
 * read and hashed only when its stamp (size, times, inode) differs from
 * the one recorded in dir's index when it last matched; new matches are
 * recorded there.  With a plan, just the plugins it runs (NULL: all).
 * Never fails.
 */
size_t plugin_find_stale(struct plugin_set *set, const char *dir,
			 const struct plan *plan, plugin_stale_fn *stale,
			 void *arg);

/* One plugin's code, loaded to run. */
struct plugin_code {
	void *handle;
	int (*upgrade)(retort_ctx *ctx);
	int (*downgrade)(retort_ctx *ctx);
};

/*
 * Load meta's plugin to run it: checked for safety as discovery checks it
 * (flags: enum plugin_discover_flags), and refused (RETORT_USAGE, before
 * any of its code runs) unless its metadata and checksum are still the
 * ones meta holds, since meta may come from the index.  In the worker,
 * the load is noted (isolate_note_loading()), so a plugin that ends the
 * worker while loading is named.
 */
int plugin_load(const struct revision_meta *meta, unsigned flags,
		struct plugin_code *out, struct retort_error *err);
/*
 * Before a plan runs anything: each plugin it will load is safe to load
 * and still the file its metadata was read from (a stat; one whose file
 * changed since is loaded once to compare, in a child process as
 * discovery loads plugins, so that it cannot end the run).  So a
 * plugin replaced since the index vouched for it stops the run before its
 * first step, not at its own step.
 */
int plugin_check_plan(const struct plugin_set *set, const struct plan *plan,
		      unsigned flags, struct retort_error *err);

/* Unload; accepts a zeroed struct. */
void plugin_unload(struct plugin_code *code);

#endif

/*
 * index.h - a cache of revision plugins' metadata, kept beside them as
 * <versions>/.retort-index, so the graph can be known without dlopen.
 *
 * An entry is used only while its plugin file is the very file it was made
 * from: same size, modification time, change time, inode and device.  It
 * also remembers the stamp of the plugin's source when the source was last
 * found to be what the plugin was built from, so that checking for a stale
 * build costs a stat, not a read and a SHA-256, per revision.  A
 * missing, unreadable, corrupt, foreign-owned or writable-by-others index
 * is ignored, never trusted; it is rewritten after a scan that changed
 * anything, when the directory allows.
 *
 * It may also hold the versions directory's own stamp (modification and
 * change times, inode, device), recorded by a scan that found every entry
 * current.  While the directory keeps that stamp, no plugin was added,
 * removed or renamed, and the entries are used without listing the
 * directory or stat()ing each plugin: at 10,000 revisions those system
 * calls are most of what a read-only command costs.  A plugin overwritten
 * in place escapes the directory's stamp, so a plugin is checked against
 * its entry again when it is loaded to run (plugin_load()).
 */
#ifndef RETORT_INDEX_H
#define RETORT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define INDEX_FILE ".retort-index"

/* A file's identity: when it is unchanged, so is what was learnt of it. */
struct file_stamp {
	long long size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino, dev;
};

/* One plugin as the index remembers it; strings point into the index. */
struct index_entry {
	const char *name;	 /* file name within the versions directory */
	struct file_stamp stamp; /* the plugin file's */
	/*
	 * The source file's stamp when it last hashed to checksum (all zero:
	 * never): while the source keeps it, it needs no reading again.
	 */
	struct file_stamp source_seen;
	unsigned flags;
	bool of_binary; /* checksum is of the plugin file, not its source */
	const char *id, *down_revision, *message, *create_date;
	const char *branch_labels, *depends_on, *checksum, *source_path;
	const char *lint_allow;
};

struct plugin_index {
	char *text;		  /* the file's contents, unescaped in place */
	char *lines;		  /* its entry lines, until they are parsed */
	bool has_dir;		  /* dir holds a recorded directory stamp */
	struct file_stamp dir;	  /* the directory's (size unused) */
	struct file_stamp itself; /* the index file's own, when read */
	struct index_entry *entries; /* sorted by name; after index_parse() */
	size_t n;		     /* how many entries */
};

/*
 * Read dir's index up to its entries; any problem leaves out empty (never
 * an error).  The entries are then parsed once, by one of the two below.
 */
void index_read(const char *dir, struct plugin_index *out);

/* Parse every entry into idx->entries, for index_lookup(); a malformed
 * entry empties idx. */
void index_parse(struct plugin_index *idx);

/*
 * Parse the entries one by one, handing each to fn with its position,
 * without keeping them: their strings stay in idx->text.  Returns false,
 * and empties idx, when an entry is malformed or fn returns false.
 */
typedef bool index_entry_fn(const struct index_entry *e, size_t i, void *arg);
bool index_each(struct plugin_index *idx, index_entry_fn *fn, void *arg);
void index_release(struct plugin_index *idx);

/* The entry for name, whatever the file is now, or NULL. */
const struct index_entry *index_find(const struct plugin_index *idx,
				     const char *name);

/* The entry for name if it describes the file st describes, else NULL. */
const struct index_entry *index_lookup(const struct plugin_index *idx,
				       const char *name, const struct stat *st);

/* The stamp of the file st describes. */
struct file_stamp file_stamp_of(const struct stat *st);
bool file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b);

/*
 * Write entries (sorted by name) as dir's index, atomically, with no
 * directory stamp (the rename that installs it changes the directory);
 * failure (a read-only directory, say) is silent: the index is only a
 * cache.
 */
void index_write(const char *dir, const struct index_entry *entries, size_t n);

/* Whether the directory st describes still has the stamp idx recorded. */
bool index_dir_current(const struct plugin_index *idx, const struct stat *st);

/*
 * Record dir_st, the directory's stat() from before the scan that found
 * every entry of idx current, in the index file in place (the directory
 * does not change).  Skipped when the index file is no longer the one read,
 * or when the directory changed so recently that a change in the same
 * clock tick could keep its stamp ("racy", as git calls it).  Silent.
 */
void index_record_dir(const char *dir, const struct plugin_index *idx,
		      const struct stat *dir_st);

/* Drop dir's recorded directory stamp, so the next scan checks every
 * plugin: one was found changed in place.  Silent. */
void index_forget_dir(const char *dir);

#endif

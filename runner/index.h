/*
 * index.h - a cache of revision plugins' metadata, kept beside them as
 * <versions>/.retort-index, so the graph can be known without dlopen.
 *
 * An entry is used only while its plugin file is the very file it was made
 * from: same size, modification time, change time, inode and device.  A
 * missing, unreadable, corrupt, foreign-owned or writable-by-others index
 * is ignored, never trusted; it is rewritten after a scan that changed
 * anything, when the directory allows.
 */
#ifndef RETORT_INDEX_H
#define RETORT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define INDEX_FILE ".retort-index"

/* One plugin as the index remembers it; strings point into the index. */
struct index_entry {
	const char *name; /* file name within the versions directory */
	long long size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino, dev;
	unsigned flags;
	bool of_binary; /* checksum is of the plugin file, not its source */
	const char *id, *down_revision, *message, *create_date;
	const char *branch_labels, *depends_on, *checksum, *source_path;
};

struct plugin_index {
	char *text; /* the file's contents, unescaped in place */
	struct index_entry *entries; /* sorted by name */
	size_t n;
};

/* Read dir's index; any problem leaves out empty (never an error). */
void index_read(const char *dir, struct plugin_index *out);
void index_release(struct plugin_index *idx);

/* The entry for name if it describes the file st describes, else NULL. */
const struct index_entry *index_lookup(const struct plugin_index *idx,
				       const char *name, const struct stat *st);

/* Record st (the plugin file's stat) in an entry. */
void index_entry_set_stat(struct index_entry *e, const struct stat *st);

/*
 * Write entries (sorted by name) as dir's index, atomically; failure
 * (a read-only directory, say) is silent: the index is only a cache.
 */
void index_write(const char *dir, const struct index_entry *entries, size_t n);

#endif

/*
 * files.h - what plugin discovery and the revision-source scan both do with
 * files: name a file in a directory, list a directory's names in order,
 * read a file whole.  Never prints.
 */
#ifndef RETORT_FILES_H
#define RETORT_FILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* "dir/name"; the caller frees it.  NULL when out of memory. */
char *files_path(const char *dir, const char *name);

/*
 * The names of d's entries that keep() accepts, sorted by strcmp (the
 * order a scan reports in, whatever readdir() gives); the caller frees
 * them with files_free_names().  -1 only when out of memory, with nothing
 * left to free.
 */
int files_list(DIR *d, bool (*keep)(const char *name), char ***names,
	       size_t *n);
void files_free_names(char **names, size_t n);

/*
 * The whole of path, NUL-terminated (it may hold NUL bytes before *len);
 * the caller frees *text.  A file that cannot be read is RETORT_USAGE,
 * naming it.
 */
int files_read(const char *path, char **text, size_t *len,
	       struct retort_error *err);

#endif

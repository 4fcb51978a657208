/*
 * scaffold.h - revision metadata read from sources, and the files that
 * `retort revision`, `merge` and `init` write.
 *
 * Sources are read as text, never built or loaded, so a revision written a
 * moment ago counts before it is compiled.  Writing is all or nothing.
 * Nothing here prints or runs a shell.
 */
#ifndef RETORT_SCAFFOLD_H
#define RETORT_SCAFFOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "graph/revmap.h"

/*
 * The RETORT_REVISION(...) fields of one source file, as written (NULL
 * where the source says NULL or leaves the field out).  Every string is
 * owned; source_rev_release() frees them.
 */
struct source_rev {
	char *path; /* the source file, named in messages */
	char *id;   /* .revision */
	char *down_revision;
	char *message;
	char *branch_labels;
	char *depends_on;
};

/*
 * Every revision source of a directory.  metas[i] describes items[i] in the
 * form revmap_build() takes and borrows its strings.
 */
struct source_set {
	struct source_rev *items; /* sorted by file name */
	size_t n;
	struct revision_meta *metas;
};

/*
 * Read the metadata of every "*.c" in dir (files whose names start with a
 * dot are skipped: editors' and our own temporary files).  A file without
 * RETORT_REVISION(...) is not a revision and is skipped; one whose
 * .revision, .down_revision, .message, .branch_labels or .depends_on is
 * neither string literals nor NULL, or that has no .revision, is an error
 * naming the file and line (RETORT_USAGE).  This is the seam where a
 * build-time index can later stand in for the sources.
 */
int scaffold_scan(const char *dir, struct source_set *out,
		  struct retort_error *err);
void source_set_release(struct source_set *set);

/*
 * The metadata of one source text; *found is false when the text holds no
 * RETORT_REVISION(...).  path is copied into out and named in errors.
 */
int scaffold_parse(const char *text, size_t len, const char *path,
		   struct source_rev *out, bool *found,
		   struct retort_error *err);
void source_rev_release(struct source_rev *rev);

/* What a new revision source says; borrowed strings, NULL = absent. */
struct scaffold_revision {
	const char *id;
	const char *down_revision; /* NULL = a new base; "a, b" = merge */
	const char *message;
	const char *create_date;
	const char *branch_labels;
	const char *depends_on;
};

/*
 * "<id>_<slug>.c", the slug being the message in lower case with every run
 * of other characters than [a-z0-9] as one '_', at most 40 characters
 * ("<id>.c" when nothing is left).  The caller frees it; NULL when out of
 * memory.
 */
char *scaffold_file_name(const char *id, const char *message);

/*
 * The source of a new revision.  The message goes into a comment and a C
 * string literal so that no text can end either early or form a trigraph.
 * The caller frees it; NULL when out of memory.
 */
char *scaffold_render(const struct scaffold_revision *rev);

/*
 * meson_text with 'file' appended to its `revision_sources = [ ... ]` list,
 * keeping the list's layout (one entry a line, or all on one line).  A text
 * without the list is RETORT_USAGE.  The caller frees *out.
 */
int scaffold_meson_add(const char *meson_text, const char *file, char **out,
		       struct retort_error *err);

/*
 * Write dir/name, and add it to dir/meson.build when that file has a
 * revision_sources list (an older project's; retort builds revisions
 * itself), both or neither: an existing dir/name is RETORT_USAGE and
 * nothing is written.  *listed says whether meson.build was edited.
 */
int scaffold_write_revision(const char *dir, const char *name, const char *text,
			    bool *listed, struct retort_error *err);

/* One file of a new project, relative to its directory, in write order. */
extern const char *const scaffold_project_files[];
extern const size_t scaffold_nproject_files;

/*
 * Create the migration project dir (and missing parents) with versions/
 * and scaffold_project_files.  dir must be absent or empty; on failure
 * everything created is removed again.
 */
int scaffold_init(const char *dir, struct retort_error *err);

#endif

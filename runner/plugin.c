/*
 * plugin.c - discovering revision plugins, checking them, loading them.
 *
 * Reading metadata and loading code to run are separate steps: discovery
 * copies what the graph needs and unloads the plugin again, so no plugin's
 * code stays mapped unless a plan runs it.  Every load failure names the
 * file and its cause and unwinds fully.  Never prints.
 */
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REVISION_SYMBOL "retort_revision"

/* The fields of struct retort_revision every ABI-1 plugin has. */
#define REVISION_MIN_SIZE                                                      \
	(offsetof(struct retort_revision, flags) + sizeof(uint32_t))

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);

	if (path)
		snprintf(path, len, "%s/%s", dir, name);
	return path;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int append_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char **grown = realloc(*names, ncap * sizeof(**names));

		if (!grown)
			return -1;
		*names = grown;
		*cap = ncap;
	}
	(*names)[*n] = strdup(name);
	if (!(*names)[*n])
		return -1;
	(*n)++;
	return 0;
}

static int open_versions_dir(const char *dir, DIR **out,
			     struct retort_error *err)
{
	*out = opendir(dir);
	if (*out)
		return 0;
	error_set(err, RETORT_USAGE, "cannot open versions directory \"%s\"",
		  dir);
	error_detail(err, "%s", strerror(errno));
	if (errno == ENOENT)
		error_hint(
			err,
			"Build the revisions (meson compile -C build), or point --versions or retort.ini's versions at the directory of built plugins.");
	return -1;
}

/* The sorted names of the "*.so" files in dir; other entries are ignored. */
static int list_plugins(const char *dir, char ***out, size_t *nout,
			struct retort_error *err)
{
	DIR *d = NULL;
	struct dirent *ent;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (open_versions_dir(dir, &d, err) < 0)
		return -1;
	while ((ent = readdir(d)) != NULL) {
		if (!has_suffix(ent->d_name, ".so"))
			continue;
		if (append_name(&names, &n, &cap, ent->d_name) < 0) {
			closedir(d);
			free_names(names, n);
			return error_set(err, RETORT_FAILED, "out of memory");
		}
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*nout = n;
	return 0;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *copy_str(char **cursor, const char *s)
{
	char *dst = *cursor;
	size_t len;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	memcpy(dst, s, len);
	*cursor += len;
	return dst;
}

/* Copy rev's strings into one allocation owned by info. */
static int copy_metadata(struct plugin_info *info,
			 const struct retort_revision *rev, const char *path,
			 struct retort_error *err)
{
	size_t total = str_size(rev->revision) + str_size(rev->down_revision) +
		       str_size(rev->message) + str_size(rev->create_date) +
		       str_size(rev->branch_labels) +
		       str_size(rev->depends_on) + str_size(path);
	char *cursor = malloc(total);

	if (!cursor)
		return error_set(err, RETORT_FAILED, "out of memory");
	info->strings = cursor;
	info->meta.id = copy_str(&cursor, rev->revision);
	info->meta.down_revision = copy_str(&cursor, rev->down_revision);
	info->meta.message = copy_str(&cursor, rev->message);
	info->meta.create_date = copy_str(&cursor, rev->create_date);
	info->meta.branch_labels = copy_str(&cursor, rev->branch_labels);
	info->meta.depends_on = copy_str(&cursor, rev->depends_on);
	info->meta.path = copy_str(&cursor, path);
	info->meta.flags = rev->flags;
	return 0;
}

static int open_plugin(const char *path, void **out, struct retort_error *err)
{
	const char *why;

	dlerror();
	*out = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*out)
		return 0;
	why = dlerror();
	error_set(err, RETORT_USAGE, "cannot load revision plugin \"%s\"",
		  path);
	error_detail(err, "%s", why ? why : "dlopen failed");
	error_hint(
		err,
		"Rebuild it from its source (meson compile -C build) or remove it from the versions directory.");
	return -1;
}

/* The ABI stamp is read before anything else of the metadata. */
static int check_abi(const struct retort_revision *rev, const char *path,
		     struct retort_error *err)
{
	if (rev->abi_version != RETORT_ABI_VERSION) {
		error_set(
			err, RETORT_USAGE,
			"revision plugin \"%s\" was built for another retort ABI",
			path);
		error_detail(err,
			     "plugin ABI version %u, runner ABI version %d",
			     (unsigned)rev->abi_version, RETORT_ABI_VERSION);
		error_hint(
			err,
			"Rebuild the revision against this retort's plugin_api.h.");
		return -1;
	}
	if (rev->size < REVISION_MIN_SIZE) {
		error_set(
			err, RETORT_USAGE,
			"revision plugin \"%s\" has a truncated retort_revision",
			path);
		error_detail(err, "size %u, expected at least %zu",
			     (unsigned)rev->size, REVISION_MIN_SIZE);
		error_hint(
			err,
			"Define the metadata with RETORT_REVISION(...) from plugin_api.h.");
		return -1;
	}
	return 0;
}

static int check_symbols(void *handle, const char *path,
			 struct retort_error *err)
{
	static const char *const required[] = { "upgrade", "downgrade" };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (dlsym(handle, required[i]))
			continue;
		error_set(err, RETORT_USAGE,
			  "revision plugin \"%s\" has no %s() function", path,
			  required[i]);
		error_hint(
			err,
			"Every revision exports upgrade() and downgrade(); one that cannot be undone returns retort_fail(ctx, \"irreversible: ...\").");
		return -1;
	}
	return 0;
}

static int find_metadata(void *handle, const char *path,
			 const struct retort_revision **out,
			 struct retort_error *err)
{
	*out = dlsym(handle, REVISION_SYMBOL);
	if (*out)
		return 0;
	error_set(err, RETORT_USAGE,
		  "\"%s\" is not a retort revision: no %s symbol", path,
		  REVISION_SYMBOL);
	error_hint(
		err,
		"Declare the revision with RETORT_REVISION(...) from plugin_api.h.");
	return -1;
}

static int read_plugin(const char *path, struct plugin_info *info,
		       struct retort_error *err)
{
	const struct retort_revision *rev;
	void *handle = NULL;
	int rc = -1;

	if (open_plugin(path, &handle, err) < 0)
		return -1;
	if (find_metadata(handle, path, &rev, err) < 0 ||
	    check_abi(rev, path, err) < 0 ||
	    check_symbols(handle, path, err) < 0)
		goto out;
	if (!rev->revision) {
		error_set(err, RETORT_USAGE,
			  "revision plugin \"%s\" has no revision id", path);
		error_hint(err, "Set .revision in RETORT_REVISION(...).");
		goto out;
	}
	rc = copy_metadata(info, rev, path, err);
out:
	dlclose(handle);
	return rc;
}

static int read_all(const char *dir, char **names, size_t n,
		    struct plugin_set *set, struct retort_error *err)
{
	set->items = calloc(n ? n : 1, sizeof(*set->items));
	set->metas = calloc(n ? n : 1, sizeof(*set->metas));
	if (!set->items || !set->metas)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char *path = join_path(dir, names[i]);
		int rc;

		if (!path)
			return error_set(err, RETORT_FAILED, "out of memory");
		rc = read_plugin(path, &set->items[i], err);
		free(path);
		if (rc < 0)
			return -1;
		set->n++;
		set->metas[i] = set->items[i].meta;
	}
	return 0;
}

int plugin_discover(const char *dir, struct plugin_set *out,
		    struct retort_error *err)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (list_plugins(dir, &names, &n, err) < 0)
		return -1;
	rc = read_all(dir, names, n, out, err);
	free_names(names, n);
	if (rc < 0)
		plugin_set_release(out);
	return rc;
}

void plugin_set_release(struct plugin_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free(set->items[i].strings);
	free(set->items);
	free(set->metas);
	memset(set, 0, sizeof(*set));
}

int plugin_load(const char *path, struct plugin_code *out,
		struct retort_error *err)
{
	memset(out, 0, sizeof(*out));
	if (open_plugin(path, &out->handle, err) < 0)
		return -1;
	/* POSIX guarantees a data pointer from dlsym converts to a function. */
	out->upgrade = (int (*)(retort_ctx *))dlsym(out->handle, "upgrade");
	out->downgrade = (int (*)(retort_ctx *))dlsym(out->handle, "downgrade");
	if (!out->upgrade || !out->downgrade) {
		plugin_unload(out);
		error_set(
			err, RETORT_USAGE,
			"revision plugin \"%s\" lost its upgrade() or downgrade() since it was read",
			path);
		error_hint(
			err,
			"Do not rebuild the revisions while retort runs; run it again.");
		return -1;
	}
	return 0;
}

void plugin_unload(struct plugin_code *code)
{
	if (code && code->handle)
		dlclose(code->handle);
	if (code)
		memset(code, 0, sizeof(*code));
}

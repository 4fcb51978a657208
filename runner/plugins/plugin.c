/*
 * plugin.c - discovering revision plugins, checking them, loading them.
 *
 * Reading metadata and loading code to run are separate steps: discovery
 * reads what the graph needs in a child process (probe.c), so no plugin's
 * code is even mapped in the runner unless a plan runs it, and a plugin
 * that crashes or exits while loading cannot end the runner.  Every load
 * failure names the file and its cause and unwinds fully.  Never prints.
 */
#include "plugins/plugin.h"

#include "plugins/index.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/checksum.h"
#include "plugins/files.h"
#include "proc/isolate.h"
#include "plugins/probe.h"

#define REVISION_SYMBOL "retort_revision"

/* The fields of struct retort_revision every ABI-1 plugin has. */
#define REVISION_MIN_SIZE                                                      \
	(offsetof(struct retort_revision, flags) + sizeof(uint32_t))

/* Whether a plugin's metadata (size rev->size) reaches field f. */
#define REVISION_HAS(rev, f)                                                   \
	((rev)->size >= offsetof(struct retort_revision, f) + sizeof((rev)->f))

/* Asked once: a scan checks the owner of thousands of plugins. */
static uid_t runner_uid(void)
{
	static uid_t uid = (uid_t)-1;

	if (uid == (uid_t)-1)
		uid = geteuid();
	return uid;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
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
			"Build the revisions (retort build), or point --versions or retort.ini's versions at the directory of built plugins.");
	return -1;
}

/*
 * Safe loading, like ssh's StrictModes: a plugin is code that runs with the
 * database's credentials, so whoever can write it, or the directory it is
 * in, can run SQL as the runner.  Only the runner's user and root may own
 * them, and nobody else may write them.
 */

/*
 * Debian's user private groups: a group named like its owner, with no
 * other members, is the owner alone, so its write bit gives nobody else
 * access (umask 002 makes every build output group-writable there).
 */
static bool is_private_group(const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	char owner[256];
	struct group *gr;

	if (!pw || pw->pw_gid != st->st_gid)
		return false;
	snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	gr = getgrgid(st->st_gid);
	return gr && (!gr->gr_mem || !gr->gr_mem[0]) &&
	       strcmp(gr->gr_name, owner) == 0;
}

static void describe_stat(struct retort_error *err, const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	char owner[256];
	struct group *gr;

	snprintf(owner, sizeof(owner), "%s", pw ? pw->pw_name : "?");
	gr = getgrgid(st->st_gid);
	error_detail(err, "mode %04o, owner %s (uid %u), group %s (gid %u)",
		     (unsigned)(st->st_mode & 07777), owner,
		     (unsigned)st->st_uid, gr ? gr->gr_name : "?",
		     (unsigned)st->st_gid);
}

static int unsafe_mode(const char *what, const char *path,
		       const struct stat *st, struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "%s \"%s\" is writable by %s", what, path,
		  (st->st_mode & S_IWOTH) ? "others" : "its group");
	describe_stat(err, st);
	error_detail(
		err,
		"a plugin runs with the database's credentials, so whoever can write it can run SQL as you");
	error_hint(
		err,
		"Make it writable by its owner only: chmod go-w '%s' (or pass --unsafe-plugins if you trust everyone who can write it).",
		path);
	return -1;
}

static int unsafe_owner(const char *what, const char *path,
			const struct stat *st, struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"%s \"%s\" is owned by another user than the one running retort",
		what, path);
	describe_stat(err, st);
	error_detail(err, "retort runs as uid %u; root's files are trusted too",
		     (unsigned)geteuid());
	error_hint(
		err,
		"Rebuild or copy the plugins as the user who runs retort, or chown them (or pass --unsafe-plugins if you trust that owner).");
	return -1;
}

static int check_safe(const char *what, const char *path, const struct stat *st,
		      unsigned flags, struct retort_error *err)
{
	if (flags & PLUGIN_ALLOW_UNSAFE)
		return 0;
	if (st->st_uid != runner_uid() && st->st_uid != 0)
		return unsafe_owner(what, path, st, err);
	if ((st->st_mode & S_IWOTH) ||
	    ((st->st_mode & S_IWGRP) && !is_private_group(st)))
		return unsafe_mode(what, path, st, err);
	return 0;
}

static int check_dir_safe(DIR *d, const char *dir, unsigned flags,
			  struct stat *out, struct retort_error *err)
{
	struct stat st;

	if (fstat(dirfd(d), &st) < 0) {
		error_set(err, RETORT_USAGE,
			  "cannot stat versions directory \"%s\"", dir);
		error_detail(err, "%s", strerror(errno));
		return -1;
	}
	*out = st;
	return check_safe("versions directory", dir, &st, flags, err);
}

/* A plugin is a regular file (stat follows a symlink to what dlopen maps). */
static int check_plugin_safe(const char *path, unsigned flags, struct stat *out,
			     struct retort_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		error_set(err, RETORT_USAGE,
			  "cannot stat revision plugin \"%s\"", path);
		error_detail(err, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, RETORT_USAGE,
			  "revision plugin \"%s\" is not a regular file", path);
		error_hint(
			err,
			"Keep only built plugins (*.so files) in the versions directory.");
		return -1;
	}
	*out = st;
	return check_safe("revision plugin", path, &st, flags, err);
}

static bool is_plugin_name(const char *name)
{
	return has_suffix(name, ".so");
}

/* The sorted names of the "*.so" files in d; other entries are ignored. */
static int list_plugins(DIR *d, char ***out, size_t *nout,
			struct retort_error *err)
{
	if (files_list(d, is_plugin_name, out, nout) < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
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

/* What the plugin says of its source; NULL for a plugin built before. */
static const char *embedded_sha256(const struct retort_revision *rev)
{
	return REVISION_HAS(rev, source_sha256) ? rev->source_sha256 : NULL;
}

static const char *embedded_source(const struct retort_revision *rev)
{
	return REVISION_HAS(rev, source_path) ? rev->source_path : NULL;
}

static const char *embedded_lint_allow(const struct retort_revision *rev)
{
	return REVISION_HAS(rev, lint_allow) ? rev->lint_allow : NULL;
}

static bool is_sha256_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == CHECKSUM_HEX_SIZE - 1 && s[n] == '\0';
}

/*
 * The plugin's checksum: the one its build embedded, else the SHA-256 of
 * the plugin file itself (an out-of-tree `cc -shared` build embeds none).
 */
static int plugin_checksum(const struct retort_revision *rev, const char *path,
			   char hex[CHECKSUM_HEX_SIZE], bool *of_binary,
			   struct retort_error *err)
{
	const char *embedded = embedded_sha256(rev);

	*of_binary = embedded == NULL;
	if (!embedded)
		return checksum_file(path, hex, err);
	if (is_sha256_hex(embedded)) {
		memcpy(hex, embedded, CHECKSUM_HEX_SIZE);
		return 0;
	}
	error_set(err, RETORT_USAGE,
		  "revision plugin \"%s\" has a malformed source checksum",
		  path);
	error_detail(err, "expected 64 lower-case hex digits, got \"%.80s\"",
		     embedded);
	error_hint(
		err,
		"Let the build define RETORT_SOURCE_SHA256 (scripts/source-checksum), or leave it undefined.");
	return -1;
}

/* Copy rev's strings into one allocation owned by info. */
static int copy_metadata(struct plugin_info *info,
			 const struct retort_revision *rev, const char *path,
			 const char *checksum, struct retort_error *err)
{
	const char *source = embedded_source(rev);
	size_t total = str_size(rev->revision) + str_size(rev->down_revision) +
		       str_size(rev->message) + str_size(rev->create_date) +
		       str_size(rev->branch_labels) +
		       str_size(rev->depends_on) + str_size(path) +
		       str_size(checksum) + str_size(source) +
		       str_size(embedded_lint_allow(rev));
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
	info->meta.checksum = copy_str(&cursor, checksum);
	info->meta.source_path = copy_str(&cursor, source);
	info->meta.lint_allow = copy_str(&cursor, embedded_lint_allow(rev));
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
	char checksum[CHECKSUM_HEX_SIZE];
	bool of_binary = false;
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
	if (plugin_checksum(rev, path, checksum, &of_binary, err) < 0)
		goto out;
	rc = copy_metadata(info, rev, path, checksum, err);
	info->meta.checksum_of_binary = of_binary;
out:
	dlclose(handle);
	return rc;
}

/* The metadata an index entry remembers, as the plugin would give it. */
static int read_cached(const struct index_entry *e, const char *path,
		       struct plugin_info *info, struct retort_error *err)
{
	const struct retort_revision rev = {
		.abi_version = RETORT_ABI_VERSION,
		.size = sizeof(rev),
		.revision = e->id,
		.down_revision = e->down_revision,
		.message = e->message,
		.create_date = e->create_date,
		.branch_labels = e->branch_labels,
		.depends_on = e->depends_on,
		.flags = e->flags,
		.source_path = e->source_path,
		.lint_allow = e->lint_allow,
	};

	if (copy_metadata(info, &rev, path, e->checksum, err) < 0)
		return -1;
	info->meta.checksum_of_binary = e->of_binary;
	return 0;
}

/* The file name within the versions directory: the tail of path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* What the index keeps of a plugin just read. */
static void remember(struct plugin_info *info, const struct stat *st,
		     const struct index_entry *cached)
{
	info->stamp = file_stamp_of(st);
	/* What was learnt of the source holds for the same plugin only. */
	if (cached)
		info->source_seen = cached->source_seen;
}

/* A plugin's index entry; its strings are borrowed from its meta. */
static struct index_entry entry_of(const struct plugin_info *info)
{
	const struct revision_meta *m = &info->meta;

	return (struct index_entry){
		.name = base_name(m->path),
		.stamp = info->stamp,
		.source_seen = info->source_seen,
		.flags = m->flags,
		.of_binary = m->checksum_of_binary,
		.id = m->id,
		.down_revision = m->down_revision,
		.message = m->message,
		.create_date = m->create_date,
		.branch_labels = m->branch_labels,
		.depends_on = m->depends_on,
		.checksum = m->checksum,
		.source_path = m->source_path,
		.lint_allow = m->lint_allow,
	};
}

/*
 * Metadata read by dlopen in the prober's child travels as flags, whether
 * the checksum is of the binary, then each string as a presence byte and
 * its text with the terminator.
 */
static void put_str(struct strbuf *out, const char *s)
{
	strbuf_addc(out, s != NULL ? 1 : 0);
	if (s)
		strbuf_addn(out, s, strlen(s) + 1);
}

static void put_meta(struct strbuf *out, const struct revision_meta *m)
{
	uint32_t flags = m->flags;

	strbuf_addn(out, (const char *)&flags, sizeof(flags));
	strbuf_addc(out, m->checksum_of_binary ? 1 : 0);
	put_str(out, m->id);
	put_str(out, m->down_revision);
	put_str(out, m->message);
	put_str(out, m->create_date);
	put_str(out, m->branch_labels);
	put_str(out, m->depends_on);
	put_str(out, m->checksum);
	put_str(out, m->source_path);
	put_str(out, m->lint_allow);
}

static bool get_str(const char **cur, const char *end, const char **out)
{
	const char *nul;

	if (*cur >= end)
		return false;
	if (*(*cur)++ == 0) {
		*out = NULL;
		return true;
	}
	nul = memchr(*cur, '\0', (size_t)(end - *cur));
	if (!nul)
		return false;
	*out = *cur;
	*cur = nul + 1;
	return true;
}

/* The child's record as an index entry; its strings point into data. */
static bool get_meta(const char *data, size_t len, struct index_entry *e)
{
	const char *cur = data + sizeof(uint32_t) + 1, *end = data + len;
	uint32_t flags;

	if (len < sizeof(flags) + 1)
		return false;
	memcpy(&flags, data, sizeof(flags));
	*e = (struct index_entry){ .flags = flags,
				   .of_binary = data[sizeof(flags)] != 0 };
	return get_str(&cur, end, &e->id) &&
	       get_str(&cur, end, &e->down_revision) &&
	       get_str(&cur, end, &e->message) &&
	       get_str(&cur, end, &e->create_date) &&
	       get_str(&cur, end, &e->branch_labels) &&
	       get_str(&cur, end, &e->depends_on) &&
	       get_str(&cur, end, &e->checksum) &&
	       get_str(&cur, end, &e->source_path) &&
	       get_str(&cur, end, &e->lint_allow) && cur == end && e->id &&
	       e->checksum;
}

/* In the child: dlopen the plugin and send its metadata, copied. */
static int probe_read(const char *path, struct strbuf *out,
		      struct retort_error *err)
{
	struct plugin_info info = { 0 };

	if (read_plugin(path, &info, err) < 0)
		return -1;
	put_meta(out, &info.meta);
	free(info.strings);
	return 0;
}

/* In this process: the metadata the child sent, owned by info. */
static int take_read(const char *data, size_t len, const char *path,
		     struct plugin_info *info, struct retort_error *err)
{
	struct index_entry e;

	if (!get_meta(data, len, &e))
		return error_set(
			err, RETORT_FAILED,
			"garbled metadata of \"%s\" from the process loading it",
			path);
	return read_cached(&e, path, info, err);
}

/* The plugins of a scan that the index could not vouch for. */
struct scan_batch {
	const char *dir;
	char **names;
	size_t *todo; /* their places in names and in set->items */
	struct plugin_set *set;
	char *path; /* the last path named, for an error */
};

static const char *scan_path(size_t i, void *arg)
{
	struct scan_batch *b = arg;

	free(b->path);
	b->path = files_path(b->dir, b->names[b->todo[i]]);
	return b->path ? b->path : b->names[b->todo[i]];
}

static int scan_load(size_t i, void *arg, struct strbuf *out,
		     struct retort_error *err)
{
	const char *path = scan_path(i, arg);

	return probe_read(path, out, err);
}

static int scan_take(size_t i, const char *data, size_t len, void *arg,
		     struct retort_error *err)
{
	struct scan_batch *b = arg;

	return take_read(data, len, scan_path(i, arg),
			 &b->set->items[b->todo[i]], err);
}

/*
 * One plugin, stat()ed and checked: read from the index when its file is
 * unchanged (returns 0), else left for dlopen in the batch (returns 1).
 */
static int read_one(const char *dir, const char *name, unsigned flags,
		    const struct plugin_index *idx, struct plugin_info *info,
		    struct retort_error *err)
{
	const struct index_entry *cached;
	char *path = files_path(dir, name);
	struct stat st;
	int rc;

	if (!path)
		return error_set(err, RETORT_FAILED, "out of memory");
	rc = check_plugin_safe(path, flags, &st, err);
	cached = rc == 0 ? index_lookup(idx, name, &st) : NULL;
	if (rc == 0 && cached)
		rc = read_cached(cached, path, info, err);
	else if (rc == 0)
		rc = 1;
	free(path);
	if (rc >= 0)
		remember(info, &st, cached);
	return rc;
}

/*
 * Every plugin in names, each from idx where its entry is current; the
 * rest by dlopen, all in one child process (probe.h).  The first error in
 * name order wins, as if each were read in turn.
 */
static int read_listed(const char *dir, char **names, size_t n, unsigned flags,
		       const struct plugin_index *idx, struct plugin_set *set,
		       bool *missed, struct retort_error *err)
{
	struct scan_batch b = { dir, names, NULL, set, NULL };
	struct probe_batch batch = { 0, scan_load, scan_take, scan_path, &b };
	struct retort_error first;
	int rc = 0;

	set->items = calloc(n ? n : 1, sizeof(*set->items));
	b.todo = malloc((n ? n : 1) * sizeof(*b.todo));
	if (!set->items || !b.todo) {
		free(b.todo);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	for (; set->n < n && rc >= 0; set->n++) {
		rc = read_one(dir, names[set->n], flags, idx,
			      &set->items[set->n], &first);
		if (rc == 1)
			b.todo[batch.n++] = set->n;
	}
	*missed = batch.n > 0;
	if (probe_run(&batch, err) < 0)
		rc = -1;
	else if (rc < 0)
		*err = first;
	free(b.path);
	free(b.todo);
	return rc < 0 ? -1 : 0;
}

/* Rewrite dir's index from the set; silent on failure (only a cache). */
static void write_index(const char *dir, const struct plugin_set *set)
{
	struct index_entry *entries =
		calloc(set->n ? set->n : 1, sizeof(*entries));

	if (!entries)
		return;
	for (size_t i = 0; i < set->n; i++)
		entries[i] = entry_of(&set->items[i]);
	index_write(dir, entries, set->n);
	free(entries);
}

/*
 * The directory as listed: each plugin stat()ed and checked, read from
 * the index while its entry is current, else by dlopen.  A scan that
 * changed nothing records the directory's stamp (from before the listing)
 * for the next scan; one that changed anything rewrites the index.
 */
static int read_scanned(const char *dir, DIR *d, const struct stat *dir_st,
			unsigned flags, const struct plugin_index *idx,
			struct plugin_set *set, struct retort_error *err)
{
	char **names = NULL;
	size_t n = 0;
	bool missed = false;
	int rc;

	if (list_plugins(d, &names, &n, err) < 0)
		return -1;
	rc = read_listed(dir, names, n, flags, idx, set, &missed, err);
	files_free_names(names, n);
	if (rc < 0)
		return -1;
	if (missed || idx->n != n)
		write_index(dir, set);
	else
		index_record_dir(dir, idx, dir_st);
	return 0;
}

/* Where the fast path puts each entry it parses. */
struct taking {
	struct plugin_set *set;
	const char *dir;
	size_t dir_len;
	char *path; /* the next path's place in set->paths */
};

static bool take_entry(const struct index_entry *e, size_t i, void *arg)
{
	struct taking *t = arg;
	struct plugin_info *info = &t->set->items[i];
	size_t name_len = strlen(e->name);

	info->meta = (struct revision_meta){
		.id = e->id,
		.down_revision = e->down_revision,
		.message = e->message,
		.create_date = e->create_date,
		.branch_labels = e->branch_labels,
		.depends_on = e->depends_on,
		.path = t->path,
		.flags = e->flags,
		.checksum = e->checksum,
		.checksum_of_binary = e->of_binary,
		.source_path = e->source_path,
		.lint_allow = e->lint_allow,
	};
	memcpy(t->path, t->dir, t->dir_len);
	t->path[t->dir_len] = '/';
	memcpy(t->path + t->dir_len + 1, e->name, name_len + 1);
	t->path += t->dir_len + name_len + 2;
	info->stamp = e->stamp;
	info->source_seen = e->source_seen;
	t->set->n = i + 1;
	return true;
}

/*
 * The directory unchanged since the index recorded its stamp: no plugin
 * added, removed or renamed, so the entries are the plugins, parsed
 * straight into the set, their strings used where they lie in the index's
 * text.  Safety and the file itself are checked when a plugin is loaded
 * to run.  Returns 1 when the index turns out malformed (idx is then
 * empty, and the set too).
 */
static int read_indexed(const char *dir, struct plugin_index *idx,
			struct plugin_set *set, struct retort_error *err)
{
	struct taking t = { set, dir, strlen(dir), NULL };

	set->items = calloc(idx->n ? idx->n : 1, sizeof(*set->items));
	/* Each name is shorter than its line: room enough, and what is
	 * never written is never touched. */
	set->paths = malloc(idx->n * (t.dir_len + 2) + strlen(idx->lines) + 1);
	if (!set->items || !set->paths)
		return error_set(err, RETORT_FAILED, "out of memory");
	t.path = set->paths;
	if (!index_each(idx, take_entry, &t)) {
		plugin_set_release(set);
		return 1;
	}
	set->index_text = idx->text;
	idx->text = NULL;
	return 0;
}

/* The metas side by side for the graph; after the index is gone, so the
 * peak of memory holds only one of the two. */
static int gather_metas(struct plugin_set *set, struct retort_error *err)
{
	set->metas = calloc(set->n ? set->n : 1, sizeof(*set->metas));
	if (!set->metas)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < set->n; i++)
		set->metas[i] = set->items[i].meta;
	return 0;
}

int plugin_discover_with(const char *dir, unsigned flags,
			 struct plugin_set *out, struct retort_error *err)
{
	struct plugin_index idx = { 0 };
	struct stat dir_st;
	DIR *d = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (open_versions_dir(dir, &d, err) < 0)
		return -1;
	if (check_dir_safe(d, dir, flags, &dir_st, err) < 0)
		goto out;
	index_read(dir, &idx);
	rc = !(flags & PLUGIN_CHECK_EVERY_FILE) &&
			     index_dir_current(&idx, &dir_st)
		     ? read_indexed(dir, &idx, out, err)
		     : 1;
	if (rc == 1) {
		index_parse(&idx);
		rc = read_scanned(dir, d, &dir_st, flags, &idx, out, err);
	}
	index_release(&idx);
	if (rc == 0)
		rc = gather_metas(out, err);
out:
	closedir(d);
	if (rc < 0)
		plugin_set_release(out);
	return rc;
}

int plugin_discover(const char *dir, struct plugin_set *out,
		    struct retort_error *err)
{
	return plugin_discover_with(dir, 0, out, err);
}

/*
 * Is the plugin's source still what it was built from?  A source whose
 * stamp is the one it had when it last matched is not read again.
 */
static enum plugin_source check_source(struct plugin_info *info,
				       char current[CHECKSUM_HEX_SIZE],
				       bool *learnt)
{
	const struct revision_meta *meta = &info->meta;
	struct retort_error ignored;
	struct file_stamp now;
	struct stat st;

	current[0] = '\0';
	if (meta->checksum_of_binary || !meta->checksum || !meta->source_path)
		return PLUGIN_SOURCE_UNKNOWN;
	/* Sources need not be deployed with the plugins: absent is unknown. */
	if (stat(meta->source_path, &st) < 0)
		return PLUGIN_SOURCE_UNKNOWN;
	now = file_stamp_of(&st);
	if (file_stamp_equal(&now, &info->source_seen))
		return PLUGIN_SOURCE_CURRENT;
	if (checksum_file(meta->source_path, current, &ignored) < 0) {
		current[0] = '\0';
		return PLUGIN_SOURCE_UNKNOWN;
	}
	if (strcmp(current, meta->checksum) != 0)
		return PLUGIN_SOURCE_CHANGED;
	info->source_seen = now;
	*learnt = true;
	return PLUGIN_SOURCE_CURRENT;
}

size_t plugin_find_stale(struct plugin_set *set, const char *dir,
			 const struct plan *plan, plugin_stale_fn *stale,
			 void *arg)
{
	char current[CHECKSUM_HEX_SIZE];
	bool learnt = false;
	size_t n = 0, count = plan ? plan->n : set->n;

	for (size_t k = 0; k < count; k++) {
		struct plugin_info *info =
			&set->items[plan ? plan->steps[k].rev : k];

		if (check_source(info, current, &learnt) !=
		    PLUGIN_SOURCE_CHANGED)
			continue;
		n++;
		stale(&info->meta, current, arg);
	}
	if (learnt)
		write_index(dir, set);
	return n;
}

void plugin_set_release(struct plugin_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free(set->items[i].strings);
	free(set->items);
	free(set->metas);
	free(set->index_text);
	free(set->paths);
	memset(set, 0, sizeof(*set));
}

static bool same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The plugin's checksum now, as discovery would compute it. */
static bool same_checksum(const struct retort_revision *rev,
			  const struct revision_meta *meta)
{
	char hex[CHECKSUM_HEX_SIZE];
	struct retort_error ignored;
	bool of_binary;

	if (plugin_checksum(rev, meta->path, hex, &of_binary, &ignored) < 0)
		return false;
	return of_binary == meta->checksum_of_binary &&
	       same_text(hex, meta->checksum);
}

/* Whether the loaded plugin is still the one meta was read from. */
static bool matches(const struct retort_revision *rev,
		    const struct revision_meta *meta)
{
	return same_text(rev->revision, meta->id) &&
	       same_text(rev->down_revision, meta->down_revision) &&
	       same_text(rev->message, meta->message) &&
	       same_text(rev->create_date, meta->create_date) &&
	       same_text(rev->branch_labels, meta->branch_labels) &&
	       same_text(rev->depends_on, meta->depends_on) &&
	       same_text(embedded_source(rev), meta->source_path) &&
	       rev->flags == meta->flags && same_checksum(rev, meta);
}

static int changed_since_read(const struct revision_meta *meta,
			      struct retort_error *err)
{
	char *dir = strdup(meta->path), *slash = dir ? strrchr(dir, '/') : NULL;

	/* The index vouched for it: the next scan checks every plugin. */
	if (slash) {
		*slash = '\0';
		index_forget_dir(dir);
	}
	free(dir);
	error_set(err, RETORT_USAGE,
		  "revision plugin \"%s\" changed since its metadata was read",
		  meta->path);
	error_detail(
		err,
		"revision %s: the file was rebuilt or replaced while retort ran, or overwritten in place after the index was written; nothing of it ran",
		meta->id);
	error_hint(err, "Run the command again: it reads every plugin afresh.");
	return -1;
}

/* The metadata and symbols of the plugin just opened, checked. */
static int check_loaded(void *handle, const struct revision_meta *meta,
			struct retort_error *err)
{
	const struct retort_revision *rev;

	if (find_metadata(handle, meta->path, &rev, err) < 0 ||
	    check_abi(rev, meta->path, err) < 0)
		return -1;
	if (!matches(rev, meta))
		return changed_since_read(meta, err);
	return 0;
}

int plugin_load(const struct revision_meta *meta, unsigned flags,
		struct plugin_code *out, struct retort_error *err)
{
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (check_plugin_safe(meta->path, flags, &st, err) < 0)
		return -1;
	/* In the worker: a plugin that ends it while loading is named. */
	isolate_note_loading(meta->path);
	rc = open_plugin(meta->path, &out->handle, err);
	if (rc == 0)
		rc = check_loaded(out->handle, meta, err);
	isolate_note(NULL);
	if (rc < 0) {
		plugin_unload(out);
		return -1;
	}
	/* POSIX guarantees a data pointer from dlsym converts to a function. */
	out->upgrade = (int (*)(retort_ctx *))dlsym(out->handle, "upgrade");
	out->downgrade = (int (*)(retort_ctx *))dlsym(out->handle, "downgrade");
	if (!out->upgrade || !out->downgrade) {
		plugin_unload(out);
		error_set(
			err, RETORT_USAGE,
			"revision plugin \"%s\" lost its upgrade() or downgrade() since it was read",
			meta->path);
		error_hint(
			err,
			"Do not rebuild the revisions while retort runs; run it again.");
		return -1;
	}
	return 0;
}

/* Whether two readings of a plugin's metadata agree in every field. */
static bool same_meta(const struct revision_meta *a,
		      const struct revision_meta *b)
{
	return same_text(a->id, b->id) &&
	       same_text(a->down_revision, b->down_revision) &&
	       same_text(a->message, b->message) &&
	       same_text(a->create_date, b->create_date) &&
	       same_text(a->branch_labels, b->branch_labels) &&
	       same_text(a->depends_on, b->depends_on) &&
	       same_text(a->source_path, b->source_path) &&
	       same_text(a->lint_allow, b->lint_allow) &&
	       same_text(a->checksum, b->checksum) && a->flags == b->flags &&
	       a->checksum_of_binary == b->checksum_of_binary;
}

/* The plan's plugins whose files changed since they were read. */
struct check_batch {
	const struct plugin_set *set;
	const struct plan *plan;
	size_t *todo; /* their steps */
};

static const struct revision_meta *check_meta(const struct check_batch *b,
					      size_t i)
{
	return &b->set->items[b->plan->steps[b->todo[i]].rev].meta;
}

static const char *check_path(size_t i, void *arg)
{
	return check_meta(arg, i)->path;
}

static int check_load(size_t i, void *arg, struct strbuf *out,
		      struct retort_error *err)
{
	return probe_read(check_path(i, arg), out, err);
}

static int check_take(size_t i, const char *data, size_t len, void *arg,
		      struct retort_error *err)
{
	const struct revision_meta *meta = check_meta(arg, i);
	struct plugin_info now = { 0 };
	int rc = take_read(data, len, meta->path, &now, err);

	if (rc == 0 && !same_meta(&now.meta, meta))
		rc = changed_since_read(meta, err);
	free(now.strings);
	return rc;
}

int plugin_check_plan(const struct plugin_set *set, const struct plan *plan,
		      unsigned flags, struct retort_error *err)
{
	struct check_batch b = { set, plan, NULL };
	struct probe_batch batch = { 0, check_load, check_take, check_path,
				     &b };
	int rc = 0;

	b.todo = malloc((plan->n ? plan->n : 1) * sizeof(*b.todo));
	if (!b.todo)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < plan->n && rc == 0; i++) {
		const struct plugin_info *info =
			&set->items[plan->steps[i].rev];
		struct file_stamp now;
		struct stat st;

		rc = check_plugin_safe(info->meta.path, flags, &st, err);
		if (rc < 0)
			break;
		now = file_stamp_of(&st);
		/* Changed since read: the same revision, rebuilt alike?  It
		 * is loaded apart, as discovery loads it. */
		if (!file_stamp_equal(&now, &info->stamp))
			b.todo[batch.n++] = i;
	}
	if (rc == 0)
		rc = probe_run(&batch, err);
	free(b.todo);
	return rc;
}

void plugin_unload(struct plugin_code *code)
{
	if (code && code->handle)
		dlclose(code->handle);
	if (code)
		memset(code, 0, sizeof(*code));
}

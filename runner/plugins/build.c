/*
 * build.c - revision sources compiled into plugins before the graph is
 * read: which sources are stale, the compiler's command line, running up
 * to one compiler a CPU, and removing the plugins of deleted sources.
 *
 * The command line is the one Meson gives revisions (meson.build's
 * revision_kwargs and project arguments, without -Werror: a warning in a
 * revision is the author's to read, not a reason to stop), and the
 * checksum macros are the ones scripts/source-checksum writes, so a plugin
 * built here and one built by Meson from the same source carry the same
 * metadata and checksum.  Never prints an error.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "plugins/build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "base/text.h"
#include "base/wait_status.h"
#include "plugins/checksum.h"
#include "plugins/files.h"
#include "plugins/index.h"
#include "plugins/scaffold.h"
#include "proc/isolate.h"

extern char **environ;

#ifndef RETORT_API_INSTALL_DIR
#define RETORT_API_INSTALL_DIR "/usr/local/include/retort"
#endif
#ifndef RETORT_API_SOURCE_DIR
#define RETORT_API_SOURCE_DIR "."
#endif
#ifndef RETORT_LIBPQ_INCLUDE_DIR
#define RETORT_LIBPQ_INCLUDE_DIR "/usr/include/postgresql"
#endif

/* Keep in step with meson.build's project arguments and warning_level=2. */
static const char *const revision_flags[] = {
	"-std=c11",
	"-O2",
	"-g",
	"-fPIC",
	"-shared",
	"-fvisibility=hidden",
	"-D_FILE_OFFSET_BITS=64",
	"-D_POSIX_C_SOURCE=200809L",
	"-Wall",
	"-Wextra",
	"-Wshadow",
	"-Wformat=2",
	"-Wmissing-prototypes",
	"-Wstrict-prototypes",
	"-Wvla",
	"-Wwrite-strings",
	"-Wundef",
	"-Wimplicit-fallthrough",
	"-fno-common",
};

#define NREVISION_FLAGS (sizeof(revision_flags) / sizeof(revision_flags[0]))

/* Why a source has no current plugin. */
enum stale_why {
	FRESH,
	STALE_MISSING,
	STALE_SOURCE_NEWER,
	STALE_API_NEWER,
	STALE_OTHER_TEXT,
};

/* One source to compile. */
struct job {
	const char *name; /* "x.c", borrowed from struct build */
	char *src;	  /* "<sources>/x.c" */
	char *out;	  /* "<versions>/x.so" */
	char *tmp;	  /* where the compiler writes it first */
	pid_t pid;
	int status;
	bool built; /* renamed into place */
};

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

static bool is_source_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 2 && strcmp(name + n - 2, ".c") == 0;
}

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* "<dir>/<x>.so" for "x.c"; the caller frees it. */
static char *plugin_path(const char *dir, const char *name)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "%s/%.*s.so", dir, (int)(strlen(name) - 2), name);
	return strbuf_finish(&b);
}

/* The "*.c" names of the sources directory; none when it is absent. */
static int list_sources(const struct build_opts *o, struct build *b,
			struct retort_error *err)
{
	DIR *d = opendir(o->sources);
	int rc;

	b->sources = o->sources;
	if (d == NULL && errno == ENOENT)
		return 0;
	if (d == NULL) {
		error_set(err, RETORT_USAGE,
			  "cannot read the sources directory \"%s\": %s",
			  o->sources, strerror(errno));
		error_hint(
			err,
			"Fix its permissions, or set sources in retort.ini.");
		return -1;
	}
	rc = files_list(d, is_source_name, &b->names, &b->n);
	closedir(d);
	if (rc < 0)
		return oom(err);
	b->sources_real = realpath(o->sources, NULL);
	return b->sources_real ? 0 : oom(err);
}

/* Whether the bytes of path hold text: a plugin embeds its checksum. */
static bool file_holds(const char *path, const char *text)
{
	struct retort_error ignored;
	size_t len, tlen = strlen(text);
	char *data = NULL;
	bool found = false;

	if (files_read(path, &data, &len, &ignored) < 0)
		return false;
	for (size_t i = 0; !found && i + tlen <= len; i++)
		found = data[i] == text[0] && memcmp(data + i, text, tlen) == 0;
	free(data);
	return found;
}

/* What the staleness check reads once for every source. */
struct stale_scan {
	const struct build_opts *o;
	int src_fd, so_fd; /* the two directories, for fstatat() */
	struct plugin_index idx;
	/* The versions directory keeps the stamp the index recorded: no
	 * plugin was added, removed or renamed since, so each entry's stamp
	 * stands for its plugin's without a stat(), as discovery trusts. */
	bool dir_current;
	bool has_api;
	struct stat api_st;
	bool learnt; /* a new match was recorded in idx */
};

/*
 * The plugin's modification time and its index entry (NULL if none is
 * current); false when there is no plugin.
 */
static bool plugin_state(const struct stale_scan *sc, const char *so_name,
			 struct timespec *mtime, const struct index_entry **e)
{
	struct stat st;

	if (sc->dir_current) {
		*e = index_find(&sc->idx, so_name);
		if (*e == NULL)
			return false;
		mtime->tv_sec = (time_t)(*e)->stamp.mtime_s;
		mtime->tv_nsec = (long)(*e)->stamp.mtime_ns;
		return true;
	}
	if (sc->so_fd < 0 || fstatat(sc->so_fd, so_name, &st, 0) < 0)
		return false;
	*e = index_lookup(&sc->idx, so_name, &st);
	*mtime = st.st_mtim;
	return true;
}

/* The source's SHA-256, and whether the plugin holds it (no entry). */
static bool hash_source(const struct stale_scan *sc, const char *name,
			const struct index_entry *e,
			char hex[CHECKSUM_HEX_SIZE])
{
	char *src = files_path(sc->o->sources, name);
	char *so = e ? NULL : plugin_path(sc->o->versions, name);
	struct retort_error ignored;
	bool ok = src && checksum_file(src, hex, &ignored) == 0;

	if (ok && e == NULL)
		ok = so && file_holds(so, hex);
	free(so);
	free(src);
	return ok;
}

/*
 * Was the plugin built from the source's text as it is now?  The index
 * answers without reading either file while the source keeps the stamp it
 * had when it last matched; a new match is recorded there.
 */
static bool same_text(struct stale_scan *sc, const struct index_entry *e,
		      const char *name, const struct stat *src_st)
{
	struct file_stamp now = file_stamp_of(src_st);
	char hex[CHECKSUM_HEX_SIZE];

	if (e && !e->of_binary && e->checksum &&
	    file_stamp_equal(&now, &e->source_seen))
		return true;
	if (e && (e->of_binary || e->checksum == NULL))
		return false;
	if (!hash_source(sc, name, e, hex))
		return false;
	if (e == NULL)
		return true;
	if (strcmp(hex, e->checksum) != 0)
		return false;
	sc->idx.entries[e - sc->idx.entries].source_seen = now;
	sc->learnt = true;
	return true;
}

/* Source "x.c" against its plugin "x.so". */
static enum stale_why staleness(struct stale_scan *sc, const char *name)
{
	const struct index_entry *e;
	struct timespec so_mtime;
	struct stat src_st;
	char so_name[NAME_MAX + 2];
	size_t len = strlen(name) - 2;

	if (len + 4 > sizeof(so_name))
		return STALE_MISSING;
	memcpy(so_name, name, len);
	memcpy(so_name + len, ".so", 4);
	if (fstatat(sc->src_fd, name, &src_st, 0) < 0 ||
	    !plugin_state(sc, so_name, &so_mtime, &e))
		return STALE_MISSING;
	if (newer(&src_st.st_mtim, &so_mtime))
		return STALE_SOURCE_NEWER;
	if (sc->has_api && newer(&sc->api_st.st_mtim, &so_mtime))
		return STALE_API_NEWER;
	if (!same_text(sc, e, name, &src_st))
		return STALE_OTHER_TEXT;
	return FRESH;
}

static int no_current_plugin(const struct build_opts *o, const struct job *j,
			     enum stale_why why, struct retort_error *err)
{
	static const char *const reasons[] = {
		[STALE_MISSING] = "does not exist",
		[STALE_SOURCE_NEWER] = "is older than its source",
		[STALE_API_NEWER] = "is older than plugin_api.h",
		[STALE_OTHER_TEXT] =
			"was built from another text of the source",
	};

	error_set(err, RETORT_USAGE, "%s has no current plugin in %s (%s)",
		  j->src, o->versions, o->check_why);
	error_detail(err, "%s %s", j->out, reasons[why]);
	error_hint(
		err,
		"Run `retort build` (where the compiler is) and ship its plugins, or drop %s to let retort build it.",
		o->check_why);
	return -1;
}

static void job_release(struct job *j)
{
	if (j->tmp)
		unlink(j->tmp);
	free(j->src);
	free(j->out);
	free(j->tmp);
	memset(j, 0, sizeof(*j));
}

static int job_init(struct job *j, const struct build_opts *o, const char *name,
		    struct retort_error *err)
{
	memset(j, 0, sizeof(*j));
	j->name = name;
	j->src = files_path(o->sources, name);
	j->out = plugin_path(o->versions, name);
	return j->src && j->out ? 0 : oom(err);
}

/*
 * Whether a stale source is a revision: a "*.c" without RETORT_REVISION
 * (a helper, say) is not one, as the source scanner (scaffold.h) skips it
 * too.  One the scanner cannot read is left to the compiler.
 */
static bool is_revision(const struct build_opts *o, const char *name)
{
	struct source_rev rev = { 0 };
	struct retort_error ignored;
	char *path = files_path(o->sources, name), *text = NULL;
	size_t len;
	bool found = true;

	if (path && files_read(path, &text, &len, &ignored) == 0 &&
	    scaffold_parse(text, len, path, &rev, &found, &ignored) < 0)
		found = true;
	source_rev_release(&rev);
	free(text);
	free(path);
	return found;
}

static void stale_scan_init(struct stale_scan *sc, const struct build_opts *o)
{
	char *api = o->api_dir ? files_path(o->api_dir, "plugin_api.h") : NULL;
	struct stat dir_st;

	memset(sc, 0, sizeof(*sc));
	sc->o = o;
	sc->has_api = api && stat(api, &sc->api_st) == 0;
	free(api);
	sc->src_fd = open(o->sources, O_RDONLY | O_DIRECTORY);
	sc->so_fd = open(o->versions, O_RDONLY | O_DIRECTORY);
	index_read(o->versions, &sc->idx);
	sc->dir_current = sc->so_fd >= 0 && fstat(sc->so_fd, &dir_st) == 0 &&
			  index_dir_current(&sc->idx, &dir_st);
	index_parse(&sc->idx);
}

static void stale_scan_release(struct stale_scan *sc)
{
	if (sc->learnt)
		index_write(sc->o->versions, sc->idx.entries, sc->idx.n);
	index_release(&sc->idx);
	if (sc->src_fd >= 0)
		close(sc->src_fd);
	if (sc->so_fd >= 0)
		close(sc->so_fd);
}

/*
 * The stale sources of b as jobs (every one with force), in name order.
 * With check_only the first is an error.  New matches go to the index.
 */
static int find_stale(const struct build_opts *o, const struct build *b,
		      struct job *jobs, size_t *njobs, struct retort_error *err)
{
	struct stale_scan sc;
	enum stale_why why = STALE_MISSING;
	int rc = 0;

	stale_scan_init(&sc, o);
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		struct job *j = &jobs[*njobs];

		if (!o->force && (why = staleness(&sc, b->names[i])) == FRESH)
			continue;
		if (!is_revision(o, b->names[i]))
			continue;
		if ((rc = job_init(j, o, b->names[i], err)) < 0)
			break;
		if (o->check_only)
			rc = no_current_plugin(o, j, why, err);
		else
			(*njobs)++;
	}
	if (o->check_only && rc < 0)
		job_release(&jobs[*njobs]);
	stale_scan_release(&sc);
	return rc;
}

/* mkdir -p, 0755. */
static int make_dirs(const char *dir, struct retort_error *err)
{
	char *path = strdup(dir);
	int rc = 0;

	if (path == NULL)
		return oom(err);
	for (char *p = path + 1; rc == 0; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			rc = error_set(
				err, RETORT_USAGE,
				"cannot create the versions directory \"%s\": %s",
				path, strerror(errno));
		if (end)
			break;
		*p = '/';
	}
	free(path);
	return rc;
}

/* A C string literal's inside, as scripts/source-checksum writes it:
 * '?' escaped, since C11 reads "??/" as a trigraph. */
static void add_c_string(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"' || *s == '?')
			strbuf_addc(b, '\\');
		strbuf_addc(b, *s);
	}
}

/* A growing argv; its strings are owned. */
struct args {
	char **v;
	size_t n, cap;
	bool failed;
};

static void args_take(struct args *a, char *s)
{
	char **grown;

	if (s == NULL || a->failed) {
		a->failed = true;
		free(s);
		return;
	}
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		grown = realloc(a->v, a->cap * sizeof(*grown));
		if (grown == NULL) {
			a->failed = true;
			free(s);
			return;
		}
		a->v = grown;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void args_add(struct args *a, const char *s)
{
	args_take(a, strdup(s));
}

static void args_release(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* The compiler, split on blanks as make splits $(CC): "ccache gcc". */
static void add_cc(struct args *a, const char *cc)
{
	while (*cc) {
		size_t len;

		cc += strspn(cc, " \t");
		len = strcspn(cc, " \t");
		if (len > 0)
			args_take(a, strndup(cc, len));
		cc += len;
	}
}

/* -D RETORT_SOURCE_SHA256 and RETORT_SOURCE_PATH, as source-checksum
 * would write them. */
static int add_checksum(struct args *a, const char *src,
			struct retort_error *err)
{
	char hex[CHECKSUM_HEX_SIZE];
	struct strbuf b = STRBUF_INIT;
	char *real = realpath(src, NULL);

	if (real == NULL)
		return error_set(err, RETORT_USAGE, "cannot read \"%s\": %s",
				 src, strerror(errno));
	if (strchr(real, '\n') != NULL) {
		error_set(err, RETORT_USAGE, "cannot build %s", src);
		error_detail(err, "its path has a newline");
		free(real);
		return -1;
	}
	if (checksum_file(real, hex, err) < 0) {
		free(real);
		return -1;
	}
	strbuf_addf(&b, "-DRETORT_SOURCE_SHA256=\"%s\"", hex);
	args_take(a, strbuf_finish(&b));
	strbuf_add(&b, "-DRETORT_SOURCE_PATH=\"");
	add_c_string(&b, real);
	strbuf_addc(&b, '"');
	args_take(a, strbuf_finish(&b));
	free(real);
	return 0;
}

static int command_line(const struct build_opts *o, const struct job *j,
			struct args *a, struct retort_error *err)
{
	add_cc(a, o->cc);
	if (a->n == 0 && !a->failed)
		return error_set(err, RETORT_USAGE,
				 "the C compiler (%s) is empty", o->cc_origin);
	for (size_t i = 0; i < NREVISION_FLAGS; i++)
		args_add(a, revision_flags[i]);
	if (o->api_dir) {
		args_add(a, "-I");
		args_add(a, o->api_dir);
	}
	args_add(a, "-I");
	args_add(a, RETORT_LIBPQ_INCLUDE_DIR);
	if (add_checksum(a, j->src, err) < 0)
		return -1;
	args_add(a, "-o");
	args_add(a, j->tmp);
	args_add(a, j->src);
	return a->failed ? oom(err) : 0;
}

/* What autogenerate writes above a statement that can hurt data. */
#define HAZARD_MARK "#warning \"retort HAZARD"

/*
 * A hazard still marked: a person deletes the #warning once the statement
 * is reviewed (README, Hazards).  Meson's -Werror build refused such a
 * revision, and so does this one, which would otherwise only warn.
 */
static int check_hazards(const struct job *j, const char *text,
			 struct retort_error *err)
{
	unsigned line = 1;

	for (const char *p = text; p != NULL; line++) {
		const char *s = p + strspn(p, " \t");

		if (strncmp(s, HAZARD_MARK, strlen(HAZARD_MARK)) == 0) {
			error_set(err, RETORT_USAGE,
				  "%s:%u: a hazard is still marked for review",
				  j->src, line);
			error_hint(
				err,
				"Read the statement below the #warning, change it if it must, then delete the #warning line (README, Hazards).");
			return -1;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

/* The id and message of the "Building" line, else the file name. */
static void announce(FILE *progress, const struct job *j, const char *text,
		     size_t len)
{
	struct source_rev rev = { 0 };
	struct retort_error ignored;
	bool found = false;

	if (progress == NULL)
		return;
	scaffold_parse(text, len, j->src, &rev, &found, &ignored);
	fputs("Building ", progress);
	if (found && rev.id) {
		text_fput(rev.id, progress);
		fputc(' ', progress);
		text_fput(rev.message ? rev.message : "", progress);
	} else {
		text_fput(j->src, progress);
	}
	fputc('\n', progress);
	fflush(progress);
	source_rev_release(&rev);
}

static int cannot_run(const struct build_opts *o, const char *prog, int errnum,
		      struct retort_error *err)
{
	error_set(err, RETORT_USAGE, "cannot run the C compiler \"%s\": %s",
		  prog, strerror(errnum));
	error_detail(err, "the compiler \"%s\" is %s", o->cc, o->cc_origin);
	error_hint(
		err,
		"Install a C compiler (Debian: apt-get install gcc), or name one with the CC environment variable or cc in retort.ini.");
	return -1;
}

/* The temporary output's name, unique to this runner and job. */
static int name_tmp(const struct build_opts *o, struct job *j, unsigned serial,
		    struct retort_error *err)
{
	struct strbuf t = STRBUF_INIT;

	strbuf_addf(&t, "%s/.%s.%ld.%u.tmp", o->versions, j->name,
		    (long)getpid(), serial);
	j->tmp = strbuf_finish(&t);
	return j->tmp ? 0 : oom(err);
}

static int job_start(const struct build_opts *o, struct job *j, unsigned serial,
		     struct retort_error *err)
{
	struct args a = { 0 };
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (name_tmp(o, j, serial, err) < 0 ||
	    files_read(j->src, &text, &len, err) < 0 ||
	    check_hazards(j, text, err) < 0 || command_line(o, j, &a, err) < 0)
		goto out;
	announce(o->progress, j, text, len);
	rc = posix_spawnp(&j->pid, a.v[0], NULL, NULL, a.v, environ);
	if (rc != 0) {
		j->pid = 0;
		rc = cannot_run(o, a.v[0], rc, err);
	}
out:
	args_release(&a);
	free(text);
	return rc;
}

/* Pass a stop signal on to the compilers, which a SIGTERM sent to retort
 * alone (a deploy system's) would not reach. */
static void stop_jobs(const struct job *jobs, size_t n, int sig)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].pid > 0)
			kill(jobs[i].pid, sig);
}

/* Wait for one of jobs[0..n) still running; its index, or -1. */
static ssize_t job_wait(struct job *jobs, size_t n)
{
	bool stopped = false;
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR && isolate_interrupted() &&
		    !stopped) {
			stop_jobs(jobs, n, isolate_interrupted());
			stopped = true;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].pid != pid)
				continue;
			jobs[i].pid = 0;
			jobs[i].status = status;
			return (ssize_t)i;
		}
	}
}

static int compile_failed(const struct job *j, struct retort_error *err)
{
	char how[96];

	if (WIFEXITED(j->status))
		error_set(err, RETORT_USAGE,
			  "cannot build %s: the compiler exited with status %d",
			  j->src, WEXITSTATUS(j->status));
	else {
		describe_wait_status(j->status, how, sizeof(how));
		error_set(err, RETORT_USAGE,
			  "cannot build %s: the compiler ended (%s)", j->src,
			  how);
	}
	error_hint(
		err,
		"Fix what the compiler reported above (file:line), then run the command again.");
	return -1;
}

/* A finished job: its plugin renamed into place, or the failure. */
static int job_finish(struct job *j, struct retort_error *err)
{
	if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0)
		return compile_failed(j, err);
	if (rename(j->tmp, j->out) < 0)
		return error_set(err, RETORT_USAGE, "cannot write \"%s\": %s",
				 j->out, strerror(errno));
	free(j->tmp);
	j->tmp = NULL;
	j->built = true;
	return 0;
}

static size_t max_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (size_t)n;
}

/*
 * Run the jobs, at most max_jobs() at once.  After the first failure no
 * new compiler starts; those running are waited for, and what built is
 * kept.  The error reported is the first source's, in name order.
 */
static int run_jobs(const struct build_opts *o, struct job *jobs, size_t n,
		    struct retort_error *err)
{
	struct retort_error first = { 0 }, e;
	size_t next = 0, running = 0, cap = max_jobs(), failed_at = n;
	ssize_t done;

	while (next < n || running > 0) {
		if (next < n && running < cap && failed_at == n &&
		    !isolate_interrupted()) {
			if (job_start(o, &jobs[next], (unsigned)next, &e) < 0) {
				failed_at = next;
				first = e;
			} else
				running++;
			next++;
			continue;
		}
		if (running == 0 || (done = job_wait(jobs, n)) < 0)
			break;
		running--;
		if (job_finish(&jobs[done], &e) < 0 &&
		    (size_t)done < failed_at) {
			failed_at = (size_t)done;
			first = e;
		}
	}
	if (failed_at == n && isolate_interrupted())
		return error_set(
			err, RETORT_USAGE,
			"the build stopped before every source was built");
	if (failed_at == n)
		return 0;
	*err = first;
	return -1;
}

int build_run(const struct build_opts *o, struct build *out,
	      struct retort_error *err)
{
	struct job *jobs = NULL;
	size_t njobs = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (list_sources(o, out, err) < 0)
		return -1;
	if (out->sources_real == NULL)
		return 0;
	if (!o->check_only && make_dirs(o->versions, err) < 0)
		return -1;
	jobs = calloc(out->n ? out->n : 1, sizeof(*jobs));
	if (jobs == NULL)
		return oom(err);
	if (find_stale(o, out, jobs, &njobs, err) < 0)
		goto out;
	rc = run_jobs(o, jobs, njobs, err);
	for (size_t i = 0; i < njobs; i++)
		out->built += jobs[i].built;
out:
	for (size_t i = 0; i < njobs; i++)
		job_release(&jobs[i]);
	free(jobs);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plugin's source is in b's directory, and is gone. */
static bool source_gone(const struct build *b, const struct revision_meta *m)
{
	const char *slash, *name;
	size_t dir_len = strlen(b->sources_real);

	if (m->checksum_of_binary || m->source_path == NULL)
		return false;
	slash = strrchr(m->source_path, '/');
	if (slash == NULL || (size_t)(slash - m->source_path) != dir_len ||
	    strncmp(m->source_path, b->sources_real, dir_len) != 0)
		return false;
	name = slash + 1;
	if (bsearch(&name, b->names, b->n, sizeof(*b->names), by_name))
		return false;
	return access(m->source_path, F_OK) < 0 && errno == ENOENT;
}

int build_remove_leftovers(const struct build *b, const struct plugin_set *set,
			   FILE *progress, size_t *removed,
			   struct retort_error *err)
{
	*removed = 0;
	if (b->sources_real == NULL)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct revision_meta *m = &set->items[i].meta;

		if (!source_gone(b, m))
			continue;
		if (unlink(m->path) < 0 && errno != ENOENT)
			return error_set(
				err, RETORT_USAGE,
				"cannot remove \"%s\", whose source %s is gone: %s",
				m->path, m->source_path, strerror(errno));
		(*removed)++;
		if (progress == NULL)
			continue;
		fputs("Removing ", progress);
		text_fput(m->path, progress);
		fprintf(progress, ": its source %s/", b->sources);
		text_fput(strrchr(m->source_path, '/') + 1, progress);
		fputs(" is gone\n", progress);
	}
	return 0;
}

void build_release(struct build *b)
{
	if (b == NULL)
		return;
	files_free_names(b->names, b->n);
	free(b->sources_real);
	memset(b, 0, sizeof(*b));
}

static bool has_api(const char *dir)
{
	struct stat st;
	char *path = files_path(dir, "plugin_api.h");
	bool ok = path && stat(path, &st) == 0;

	free(path);
	return ok;
}

const char *build_api_dir(const char *ini_dir, char *buf, size_t size)
{
	if (ini_dir && has_api(ini_dir)) {
		snprintf(buf, size, "%s", ini_dir);
		return buf;
	}
	if (has_api(RETORT_API_INSTALL_DIR))
		return RETORT_API_INSTALL_DIR;
	if (has_api(RETORT_API_SOURCE_DIR))
		return RETORT_API_SOURCE_DIR;
	return NULL;
}

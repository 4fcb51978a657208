/*
 * scaffold.c - the files `retort revision`, `merge` and `init` write: a
 * revision's source, its line in meson.build, a new project.  Reading
 * sources back is scaffold_read.c's.
 *
 * Every file is written to a temporary name in its own directory and
 * renamed into place once everything is ready, so an error or a crash
 * leaves the sources as they were.  Never prints, never runs a shell.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "plugins/scaffold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "plugins/files.h"

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ---- writing a revision source ---- */

/* As scripts/new-revision always made it: [a-z0-9] runs joined by '_'. */
static void slugify(const char *message, char *slug, size_t size)
{
	size_t n = 0;
	bool gap = false;

	for (const char *p = message; *p != '\0' && n + 1 < size; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			gap = true;
			continue;
		}
		if (gap && n > 0) {
			if (n + 2 >= size)
				break;
			slug[n++] = '_';
		}
		gap = false;
		slug[n++] = c;
	}
	slug[n] = '\0';
}

char *scaffold_file_name(const char *id, const char *message)
{
	struct strbuf b = STRBUF_INIT;
	char slug[41]; /* Alembic's truncate_slug_length */

	slugify(message, slug, sizeof(slug));
	strbuf_add(&b, id);
	if (slug[0] != '\0') {
		strbuf_addc(&b, '_');
		strbuf_add(&b, slug);
	}
	strbuf_add(&b, ".c");
	return strbuf_finish(&b);
}

static bool is_control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/*
 * The message inside a C string literal: control characters become spaces
 * (one line in `history`), '\\' and '"' are escaped, and a '?' right after
 * a '?' is written "\?" so that no trigraph (C11 reads "??/" as '\\') can
 * form.
 */
static void put_c_string(struct strbuf *b, const char *s)
{
	char prev = '\0';

	for (; *s != '\0'; s++) {
		char c = is_control(*s) ? ' ' : *s;

		if (c == '\\' || c == '"' || (c == '?' && prev == '?'))
			strbuf_addc(b, '\\');
		strbuf_addc(b, c);
		prev = c;
	}
}

/*
 * One line of the message inside a block comment: no "*" "/" to end it
 * early, no "/" "*" (gcc's -Wcomment), no "??" (trigraphs), no control
 * characters, no trailing blanks.
 */
static void put_comment_line(struct strbuf *b, const char *s, size_t n)
{
	size_t start = b->len;
	char prev = '\0';

	strbuf_add(b, " *");
	if (n > 0)
		strbuf_addc(b, ' ');
	for (size_t i = 0; i < n; i++) {
		char c = is_control(s[i]) ? ' ' : s[i];

		if ((prev == '*' && c == '/') || (prev == '/' && c == '*') ||
		    (prev == '?' && c == '?'))
			strbuf_addc(b, ' ');
		strbuf_addc(b, c);
		prev = c;
	}
	while (!b->failed && b->len > start + 2 && b->s[b->len - 1] == ' ')
		strbuf_truncate(b, b->len - 1);
	strbuf_addc(b, '\n');
}

static void put_comment(struct strbuf *b, const char *message)
{
	const char *p = message;

	strbuf_add(b, "/*\n");
	for (;;) {
		size_t n = strcspn(p, "\n");

		put_comment_line(b, p, n);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	strbuf_add(b, " */\n");
}

/* ", .name = \"value\"" on a line of its own, when value is set. */
static void put_field(struct strbuf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	strbuf_add(b, ",\n\t\t.");
	strbuf_add(b, name);
	strbuf_add(b, " = \"");
	put_c_string(b, value);
	strbuf_addc(b, '"');
}

static const char revision_body[] =
	"int upgrade(retort_ctx *ctx)\n"
	"{\n"
	"\t/* write the schema change here: return retort_exec(ctx, \"...\"); */\n"
	"\t(void)ctx;\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"int downgrade(retort_ctx *ctx)\n"
	"{\n"
	"\t/* undo upgrade() here, or return retort_fail(ctx, \"irreversible\"); */\n"
	"\t(void)ctx;\n"
	"\treturn 0;\n"
	"}\n";

char *scaffold_render(const struct scaffold_revision *rev)
{
	struct strbuf b = STRBUF_INIT;

	put_comment(&b, rev->message);
	strbuf_add(&b, "#include \"plugin_api.h\"\n\n"
		       "RETORT_REVISION(.revision = \"");
	put_c_string(&b, rev->id);
	strbuf_add(&b, "\", .down_revision = ");
	if (rev->down_revision != NULL) {
		strbuf_addc(&b, '"');
		put_c_string(&b, rev->down_revision);
		strbuf_addc(&b, '"');
	} else {
		strbuf_add(&b, "NULL");
	}
	put_field(&b, "message", rev->message);
	put_field(&b, "create_date", rev->create_date);
	put_field(&b, "branch_labels", rev->branch_labels);
	put_field(&b, "depends_on", rev->depends_on);
	strbuf_add(&b, ", );\n\n");
	strbuf_add(&b, revision_body);
	return strbuf_finish(&b);
}

/* ---- adding a file to meson.build's list ---- */

static const char *line_start(const char *text, const char *p)
{
	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

static bool same_line(const char *a, const char *b)
{
	return memchr(a, '\n', (size_t)(b - a)) == NULL;
}

/* The '[' of a line "revision_sources = [", or NULL. */
static const char *find_list(const char *text)
{
	static const char name[] = "revision_sources";

	for (const char *line = text; line != NULL;) {
		const char *p = line + strspn(line, " \t");

		if (strncmp(p, name, strlen(name)) == 0) {
			p += strlen(name);
			p += strspn(p, " \t");
			if (*p == '=') {
				p++;
				p += strspn(p, " \t");
				if (*p == '[')
					return p;
			}
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return NULL;
}

/* Past a meson string at p: '...' with escapes, or '''...'''. */
static const char *skip_meson_string(const char *p)
{
	if (strncmp(p, "'''", 3) == 0) {
		const char *end = strstr(p + 3, "'''");

		return end != NULL ? end + 2 : p + strlen(p) - 1;
	}
	for (p++; *p != '\0' && *p != '\'' && *p != '\n'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p == '\0' ? p - 1 : p;
}

/*
 * The list's closing ']' (NULL when unclosed) and its last character that
 * is neither blank nor comment (the '[' itself for an empty list).
 */
static const char *find_close(const char *open, const char **last)
{
	int depth = 0;

	*last = open;
	for (const char *p = open; *p != '\0'; p++) {
		if (*p == '#') {
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
		} else if (*p == '\'') {
			p = skip_meson_string(p);
			*last = p;
		} else if (strchr("[({", *p)) {
			depth++;
			*last = p;
		} else if (strchr("])}", *p)) {
			if (--depth == 0)
				return *p == ']' ? p : NULL;
			*last = p;
		} else if (!strchr(" \t\r\n", *p)) {
			*last = p;
		}
	}
	return NULL;
}

static void put_range(struct strbuf *b, const char *from, const char *to)
{
	strbuf_addn(b, from, (size_t)(to - from));
}

/*
 * Entries on their own lines: a new line before the ']' line, indented as
 * the last entry (two spaces when the entries start on the '[' line).
 */
static void add_as_line(struct strbuf *b, const char *text, const char *open,
			const char *last, const char *close, const char *file)
{
	const char *eol = line_start(text, close);
	const char *from = line_start(text, last);

	put_range(b, text, last + 1);
	if (last != open && *last != ',')
		strbuf_addc(b, ',');
	put_range(b, last + 1, eol);
	if (from == line_start(text, open))
		strbuf_add(b, "  ");
	else
		strbuf_addn(b, from, strspn(from, " \t"));
	strbuf_addc(b, '\'');
	strbuf_add(b, file);
	strbuf_add(b, "',\n");
	strbuf_add(b, eol);
}

int scaffold_meson_add(const char *meson_text, const char *file, char **out,
		       struct retort_error *err)
{
	const char *open = find_list(meson_text), *last = NULL, *close = NULL;
	struct strbuf b = STRBUF_INIT;

	if (open != NULL)
		close = find_close(open, &last);
	if (close == NULL)
		return error_set(
			err, RETORT_USAGE,
			"no \"revision_sources = [ ... ]\" list in meson.build");
	if (same_line(last, close)) {
		/* A one-line list stays one line. */
		put_range(&b, meson_text, last + 1);
		if (last != open)
			strbuf_add(&b, *last == ',' ? " " : ", ");
		strbuf_addc(&b, '\'');
		strbuf_add(&b, file);
		strbuf_addc(&b, '\'');
		strbuf_add(&b, close);
	} else {
		add_as_line(&b, meson_text, open, last, close, file);
	}
	*out = strbuf_finish(&b);
	return *out == NULL ? oom(err) : 0;
}

/* ---- writing files all or nothing ---- */

/* A file written under a temporary name next to where it goes. */
struct staged {
	char *tmp;
	char *path;
};

static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	size_t len = strlen(path) + sizeof("/..XXXXXX");
	char *tmp = malloc(len);

	/* A dot name, so that neither the scanner nor an editor sees it. */
	if (tmp != NULL)
		snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dir, path,
			 path + dir);
	return tmp;
}

static int stage(const char *path, const char *text, mode_t mode,
		 struct staged *s, struct retort_error *err)
{
	int fd, saved;

	s->path = strdup(path);
	s->tmp = temp_name(path);
	if (s->path == NULL || s->tmp == NULL)
		return oom(err);
	fd = mkstemp(s->tmp);
	if (fd < 0) {
		saved = errno;
		free(s->tmp);
		s->tmp = NULL;
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(saved));
	}
	if (write_all(fd, text, strlen(text)) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(saved));
	}
	if (close(fd) < 0)
		return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s",
				 path, strerror(errno));
	return 0;
}

/* link() refuses to replace; without hard links, look first, then rename. */
static int put_in_place(const char *tmp, const char *path)
{
	struct stat st;

	if (link(tmp, path) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	if (lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(tmp, path);
}

/* Put a new file in place; an existing one there is an error, not lost. */
static int commit_new(struct staged *s, struct retort_error *err)
{
	if (put_in_place(s->tmp, s->path) == 0)
		return 0;
	if (errno == EEXIST) {
		error_set(err, RETORT_USAGE, "\"%s\" already exists", s->path);
		error_hint(err, "Pick another --rev-id, or move that file.");
		return -1;
	}
	return error_set(err, RETORT_FAILED, "cannot write \"%s\": %s", s->path,
			 strerror(errno));
}

static int commit_replace(struct staged *s, struct retort_error *err)
{
	if (rename(s->tmp, s->path) == 0) {
		free(s->tmp);
		s->tmp = NULL;
		return 0;
	}
	return error_set(err, RETORT_FAILED, "cannot replace \"%s\": %s",
			 s->path, strerror(errno));
}

/* Remove the temporary file, if still there, and forget it. */
static void discard(struct staged *s)
{
	if (s->tmp != NULL)
		unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
}

/*
 * Stage meson.build with file added.  Written where a symlinked
 * meson.build points, in the mode it has.  Returns 1, staging nothing,
 * when it has no revision_sources list: retort builds the revisions, and
 * only an older project's meson.build lists them.
 */
static int stage_meson(const char *meson, const char *file, struct staged *s,
		       struct retort_error *err)
{
	char *real = realpath(meson, NULL), *text = NULL, *edited = NULL;
	struct stat st;
	size_t len;
	int rc = -1;

	if (real == NULL || stat(real, &st) < 0) {
		error_set(err, RETORT_USAGE, "cannot read \"%s\": %s", meson,
			  strerror(errno));
		goto out;
	}
	if (files_read(real, &text, &len, err) < 0)
		goto out;
	if (find_list(text) == NULL) {
		rc = 1;
		goto out;
	}
	if (scaffold_meson_add(text, file, &edited, err) < 0)
		goto out;
	rc = stage(real, edited, st.st_mode & 07777, s, err);
out:
	free(edited);
	free(text);
	free(real);
	return rc;
}

int scaffold_write_revision(const char *dir, const char *name, const char *text,
			    bool *listed, struct retort_error *err)
{
	struct staged src = { 0 }, meson = { 0 };
	char *path = files_path(dir, name);
	char *meson_path = files_path(dir, "meson.build");
	struct stat st;
	int rc = -1;

	if (path == NULL || meson_path == NULL) {
		oom(err);
		goto out;
	}
	*listed = stat(meson_path, &st) == 0;
	if (lstat(path, &st) == 0) {
		error_set(err, RETORT_USAGE, "\"%s\" already exists", path);
		error_hint(err, "Pick another --rev-id, or move that file.");
		goto out;
	}
	if (*listed) {
		int staged = stage_meson(meson_path, name, &meson, err);

		if (staged < 0)
			goto out;
		*listed = staged == 0;
	}
	if (stage(path, text, new_file_mode(), &src, err) < 0 ||
	    commit_new(&src, err) < 0)
		goto out;
	if (*listed && commit_replace(&meson, err) < 0) {
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	discard(&src);
	discard(&meson);
	free(meson_path);
	free(path);
	return rc;
}

/* ---- a new project ---- */

const char *const scaffold_project_files[] = {
	"meson.build",	"versions/meson.build", "retort.ini",
	".env.example", ".gitignore",
};
const size_t scaffold_nproject_files =
	sizeof(scaffold_project_files) / sizeof(scaffold_project_files[0]);

/* "@NAME@" stands for the project's name. */
static const char project_meson[] =
	"# Database migrations run by retort, the Alembic of C.\n"
	"#\n"
	"#   retort revision -m \"add orders\"   writes versions/<id>_add_orders.c\n"
	"#   retort upgrade head               builds and applies it (DATABASE_URL)\n"
	"#\n"
	"# retort compiles the revisions itself; this build only runs\n"
	"# `retort build`, for a CI step or an image that ships the plugins.\n"
	"project('@NAME@', 'c',\n"
	"  version: '0.1.0',\n"
	"  meson_version: '>=0.57.0',\n"
	")\n"
	"\n"
	"retort = find_program('retort')\n"
	"\n"
	"subdir('versions')\n";

static const char versions_meson[] =
	"# The revisions: every *.c here is one, and needs no line in any\n"
	"# list.  `retort build` compiles each whose plugin is missing or\n"
	"# stale into the build directory's versions/ (removing those whose\n"
	"# source is gone); every retort command that reads them does too.\n"
	"custom_target('revisions',\n"
	"  output: 'retort-build.stamp',\n"
	"  command: [retort, '--versions', '@OUTDIR@',\n"
	"    '--sources', meson.current_source_dir(), 'build'],\n"
	"  env: {'CC': ' '.join(meson.get_compiler('c').cmd_array())},\n"
	"  console: true,\n"
	"  build_always_stale: true,\n"
	"  build_by_default: true,\n"
	")\n";

static const char project_ini[] =
	"# retort configuration, the counterpart of alembic.ini.  retort reads\n"
	"# the retort.ini of the directory it runs in or of the nearest parent\n"
	"# (unless -c names another file), so run it here or below.\n"
	"[retort]\n"
	"# Where the built revisions are: before a command reads them, retort\n"
	"# compiles each source with no current plugin there (one .so each).\n"
	"versions = build/versions\n"
	"\n"
	"# Where the revision sources are, and `retort revision` and\n"
	"# `retort merge` write new ones.\n"
	"sources = versions\n"
	"\n"
	"# build = never: compile nothing, and refuse a source with no current\n"
	"# plugin (production: run `retort build` where the compiler is, and\n"
	"# ship the plugins).  The default is auto.\n"
	"# build = auto\n"
	"\n"
	"# The C compiler; by default the CC environment variable, else cc.\n"
	"# cc = gcc\n"
	"\n"
	"# The version table, the same as Alembic's, so either tool can carry on\n"
	"# a database the other has migrated.\n"
	"version_table = alembic_version\n"
	"\n"
	"# The database URL is normally not written here: retort takes, first to\n"
	"# last, --url, the DATABASE_URL environment variable, DATABASE_URL in a\n"
	"# .env file here (see .env.example), then this setting.  Leave passwords\n"
	"# out of committed files.\n"
	"# url = postgresql://postgres:postgres@localhost:5432/postgres\n";

static const char project_env[] =
	"# Copy to .env (git ignores it) and point it at your database.\n"
	"DATABASE_URL=postgresql://postgres:postgres@localhost:5432/postgres\n";

static const char project_gitignore[] = "build/\n.env\n";

static const char *project_text(size_t i)
{
	static const char *const texts[] = {
		project_meson, versions_meson,	  project_ini,
		project_env,   project_gitignore,
	};

	return texts[i];
}

/* The directory's last component if it makes a plain project name. */
static void project_name(const char *dir, char *name, size_t size)
{
	static const char project_name_chars[] = "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789_-.";
	size_t len = strlen(dir), start;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	snprintf(name, size, "%.*s", (int)(len - start), dir + start);
	for (char *p = name; *p != '\0'; p++)
		if (strchr(project_name_chars, *p) == NULL)
			*p = '_';
	if (name[0] == '\0' || name[0] == '.' || strlen(name) != len - start)
		snprintf(name, size, "%s", "migrations");
}

static char *render_project_file(size_t i, const char *dir)
{
	const char *text = project_text(i), *mark = strstr(text, "@NAME@");
	struct strbuf b = STRBUF_INIT;
	char name[64];

	if (mark == NULL)
		return strdup(text);
	project_name(dir, name, sizeof(name));
	put_range(&b, text, mark);
	strbuf_add(&b, name);
	strbuf_add(&b, mark + strlen("@NAME@"));
	return strbuf_finish(&b);
}

/* What init made, to be removed again if a later step fails. */
struct made {
	char *paths[32];
	bool is_dir[32];
	size_t n;
};

static void made_undo(struct made *m)
{
	while (m->n > 0) {
		m->n--;
		if (m->is_dir[m->n])
			rmdir(m->paths[m->n]);
		else
			unlink(m->paths[m->n]);
		free(m->paths[m->n]);
	}
}

static void made_forget(struct made *m)
{
	while (m->n > 0)
		free(m->paths[--m->n]);
}

static int made_add(struct made *m, const char *path, bool is_dir,
		    struct retort_error *err)
{
	if (m->n == sizeof(m->paths) / sizeof(m->paths[0]))
		return error_set(err, RETORT_USAGE,
				 "\"%s\" is too deeply nested for init", path);
	if ((m->paths[m->n] = strdup(path)) == NULL)
		return oom(err);
	m->is_dir[m->n++] = is_dir;
	return 0;
}

/* mkdir -p, recording each directory made. */
static int make_dirs(const char *dir, struct made *m, struct retort_error *err)
{
	char *path = strdup(dir);
	int rc = 0;

	if (path == NULL)
		return oom(err);
	for (char *p = path + 1; rc == 0; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) == 0)
			rc = made_add(m, path, true, err);
		else if (errno != EEXIST)
			rc = error_set(err, RETORT_FAILED,
				       "cannot create directory \"%s\": %s",
				       path, strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	return rc;
}

/* Alembic's rule: init works in a new or an empty directory only. */
static int check_init_dir(const char *dir, struct retort_error *err)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	bool empty = true;

	if (stat(dir, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return error_set(err, RETORT_USAGE,
				 "\"%s\" exists and is not a directory", dir);
	if ((d = opendir(dir)) == NULL)
		return error_set(err, RETORT_USAGE, "cannot read \"%s\": %s",
				 dir, strerror(errno));
	while (empty && (e = readdir(d)) != NULL)
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (empty)
		return 0;
	error_set(err, RETORT_USAGE,
		  "Directory %s already exists and is not empty", dir);
	error_hint(err, "Pick a new or empty directory.");
	return -1;
}

static int write_project_file(const char *dir, size_t i, struct made *m,
			      struct retort_error *err)
{
	struct staged s = { 0 };
	char *path = files_path(dir, scaffold_project_files[i]);
	char *text = render_project_file(i, dir);
	int rc = -1;

	if (path == NULL || text == NULL) {
		oom(err);
		goto out;
	}
	if (stage(path, text, new_file_mode(), &s, err) < 0 ||
	    commit_new(&s, err) < 0 || made_add(m, path, false, err) < 0)
		goto out;
	rc = 0;
out:
	discard(&s);
	free(text);
	free(path);
	return rc;
}

int scaffold_init(const char *dir, struct retort_error *err)
{
	struct made m = { .n = 0 };
	char *versions = files_path(dir, "versions");
	int rc = -1;

	if (versions == NULL) {
		oom(err);
		goto out;
	}
	if (check_init_dir(dir, err) < 0 || make_dirs(versions, &m, err) < 0)
		goto out;
	for (size_t i = 0; i < scaffold_nproject_files; i++)
		if (write_project_file(dir, i, &m, err) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0)
		made_undo(&m);
	made_forget(&m);
	free(versions);
	return rc;
}

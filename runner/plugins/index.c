/*
 * index.c - reading and writing <versions>/.retort-index.
 *
 * The format is text, one plugin a line, tab-separated, with \\, \t and \n
 * escaped and \N for a missing string; the first line names the format.
 * A cache never decides anything: whatever does not parse is dropped
 * whole, and the caller reads the plugins instead.  Never prints.
 */
#include "plugins/index.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * 4 added lint_allow: an index of version 3 cannot tell a plugin's
 * waivers, so it reads as no index, and the plugins are read again.
 */
#define INDEX_HEADER "retort-index 4\n"
/* "dir" and six fixed-width numbers: rewritable in place, same length. */
#define DIR_LINE_FORMAT "dir %020lld %020lld %020lld %020lld %020lld %020lld\n"
#define DIR_LINE_SIZE (4 + 6 * 21)
/*
 * A directory changed more recently than this may change again within the
 * same tick of the file system's clock, keeping its stamp: a few clock
 * ticks where times have nanoseconds, more than a second where they have
 * whole seconds only.
 */
#define RACY_NS (100LL * 1000 * 1000)
#define RACY_COARSE_NS (3LL * 1000 * 1000 * 1000)
#define INDEX_FIELDS 26
/* Fields before the strings: name, two stamps, flags, of_binary. */
#define INDEX_STRINGS_AT 17
#define INDEX_MAX_BYTES (256L * 1024 * 1024)

/* Only a file this user (or root) owns and no one else can write. */
static bool trustworthy(const struct stat *st)
{
	return S_ISREG(st->st_mode) && (st->st_mode & S_IWOTH) == 0 &&
	       (st->st_mode & S_IWGRP) == 0 &&
	       (st->st_uid == geteuid() || st->st_uid == 0) &&
	       st->st_size < INDEX_MAX_BYTES;
}

static char *index_path(const char *dir, const char *suffix)
{
	size_t len = strlen(dir) + sizeof(INDEX_FILE) + strlen(suffix) + 2;
	char *path = malloc(len);

	if (path)
		snprintf(path, len, "%s/%s%s", dir, INDEX_FILE, suffix);
	return path;
}

static char *slurp(const char *path, struct stat *out)
{
	struct stat st;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && trustworthy(&st))
		text = malloc((size_t)st.st_size + 1);
	if (text && read(fd, text, (size_t)st.st_size) == st.st_size) {
		text[st.st_size] = '\0';
		*out = st;
	} else {
		free(text);
		text = NULL;
	}
	close(fd);
	return text;
}

/* Unescape a field in place; NULL for \N, and *ok = false if malformed. */
static const char *unescape(char *s, bool *ok)
{
	char *src = strchr(s, '\\'), *dst = src;

	if (!src)
		return s;
	if (src == s && strcmp(s, "\\N") == 0)
		return NULL;
	while (*src) {
		if (*src != '\\') {
			*dst++ = *src++;
			continue;
		}
		src++;
		if (*src == '\\' || *src == 't' || *src == 'n')
			*dst++ = *src == 't' ? '\t' : *src == 'n' ? '\n' : '\\';
		else
			*ok = false;
		if (*src)
			src++;
	}
	*dst = '\0';
	return s;
}

/* A decimal integer, the whole of s; strtoll's locale and base handling
 * cost more than the rest of a 10,000-line index together. */
static bool number(const char *s, long long *out)
{
	bool negative = *s == '-';
	unsigned long long v = 0;
	const char *p = s + negative;

	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' ||
		    v > (unsigned long long)LLONG_MAX / 10)
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > (unsigned long long)LLONG_MAX)
		return false;
	*out = negative ? -(long long)v : (long long)v;
	return true;
}

static bool parse_stamp(char **f, struct file_stamp *st)
{
	return number(f[0], &st->size) && number(f[1], &st->mtime_s) &&
	       number(f[2], &st->mtime_ns) && number(f[3], &st->ctime_s) &&
	       number(f[4], &st->ctime_ns) && number(f[5], &st->ino) &&
	       number(f[6], &st->dev);
}

static bool parse_numbers(char **f, struct index_entry *e)
{
	long long flags, of_binary;

	if (!parse_stamp(f + 1, &e->stamp) ||
	    !parse_stamp(f + 8, &e->source_seen) || !number(f[15], &flags) ||
	    !number(f[16], &of_binary))
		return false;
	e->flags = (unsigned)flags;
	e->of_binary = of_binary != 0;
	return true;
}

/* Split a line into its fields and fill e; false if it is malformed. */
static bool parse_line(char *line, struct index_entry *e)
{
	char *f[INDEX_FIELDS];
	const char *s[INDEX_FIELDS - INDEX_STRINGS_AT];
	bool ok = true;
	size_t n = 0;

	for (char *p = line; n < INDEX_FIELDS; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n != INDEX_FIELDS - 1 || !parse_numbers(f, e))
		return false;
	e->name = unescape(f[0], &ok);
	for (size_t i = 0; i < INDEX_FIELDS - INDEX_STRINGS_AT; i++)
		s[i] = unescape(f[INDEX_STRINGS_AT + i], &ok);
	e->id = s[0];
	e->down_revision = s[1];
	e->message = s[2];
	e->create_date = s[3];
	e->branch_labels = s[4];
	e->depends_on = s[5];
	e->checksum = s[6];
	e->source_path = s[7];
	e->lint_allow = s[8];
	return ok && e->name && e->id;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	while ((s = strchr(s, '\n')) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void dir_line(char *buf, const struct file_stamp *st)
{
	snprintf(buf, DIR_LINE_SIZE + 1, DIR_LINE_FORMAT, st->mtime_s,
		 st->mtime_ns, st->ctime_s, st->ctime_ns, st->ino, st->dev);
}

/* The directory's stamp line; all zero when none was recorded. */
static bool parse_dir_line(const char *line, struct plugin_index *idx)
{
	long long v[6];
	const char *p = line + 4;
	char *end;

	if (strncmp(line, "dir ", 4) != 0 || strlen(line) < DIR_LINE_SIZE ||
	    line[DIR_LINE_SIZE - 1] != '\n')
		return false;
	for (size_t i = 0; i < 6; i++, p = end + 1) {
		errno = 0;
		v[i] = strtoll(p, &end, 10);
		if (errno || end != p + 20 || *end != (i < 5 ? ' ' : '\n'))
			return false;
	}
	idx->dir = (struct file_stamp){ .mtime_s = v[0],
					.mtime_ns = v[1],
					.ctime_s = v[2],
					.ctime_ns = v[3],
					.ino = v[4],
					.dev = v[5] };
	idx->has_dir = v[0] || v[1] || v[2] || v[3] || v[4] || v[5];
	return true;
}

/*
 * Parse the entry lines, in place, calling fn for each in order; false if
 * any is malformed or out of order.  Lines are counted first, so that
 * fn's caller can size its array once.
 */
static bool parse_entries(struct plugin_index *idx, index_entry_fn *fn,
			  void *arg)
{
	char *line = idx->lines, *prev = NULL;
	size_t i = 0;

	while (*line) {
		char *end = strchr(line, '\n');
		struct index_entry e;

		if (!end || i == idx->n)
			return false;
		*end = '\0';
		if (!parse_line(line, &e))
			return false;
		/* Sorted and unique, or lookups would lie. */
		if (prev && strcmp(prev, e.name) >= 0)
			return false;
		if (!fn(&e, i++, arg))
			return false;
		prev = (char *)e.name;
		line = end + 1;
	}
	return i == idx->n;
}

void index_read(const char *dir, struct plugin_index *out)
{
	char *path = index_path(dir, "");
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->text = path ? slurp(path, &st) : NULL;
	free(path);
	if (!out->text)
		return;
	out->lines = out->text + strlen(INDEX_HEADER);
	if (strncmp(out->text, INDEX_HEADER, strlen(INDEX_HEADER)) != 0 ||
	    !parse_dir_line(out->lines, out)) {
		index_release(out);
		return;
	}
	out->lines += DIR_LINE_SIZE;
	out->n = count_lines(out->lines);
	out->itself = file_stamp_of(&st);
}

bool index_each(struct plugin_index *idx, index_entry_fn *fn, void *arg)
{
	bool ok = idx->lines && parse_entries(idx, fn, arg);

	idx->lines = NULL;
	if (!ok)
		index_release(idx);
	return ok;
}

static bool keep_entry(const struct index_entry *e, size_t i, void *idx)
{
	((struct plugin_index *)idx)->entries[i] = *e;
	return true;
}

void index_parse(struct plugin_index *idx)
{
	if (!idx->lines)
		return;
	idx->entries = calloc(idx->n ? idx->n : 1, sizeof(*idx->entries));
	if (!idx->entries || !index_each(idx, keep_entry, idx))
		index_release(idx);
}

void index_release(struct plugin_index *idx)
{
	if (!idx)
		return;
	free(idx->entries);
	free(idx->text);
	memset(idx, 0, sizeof(*idx));
}

struct file_stamp file_stamp_of(const struct stat *st)
{
	return (struct file_stamp){ .size = (long long)st->st_size,
				    .mtime_s = (long long)st->st_mtim.tv_sec,
				    .mtime_ns = (long long)st->st_mtim.tv_nsec,
				    .ctime_s = (long long)st->st_ctim.tv_sec,
				    .ctime_ns = (long long)st->st_ctim.tv_nsec,
				    .ino = (long long)st->st_ino,
				    .dev = (long long)st->st_dev };
}

bool file_stamp_equal(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->size == b->size && a->mtime_s == b->mtime_s &&
	       a->mtime_ns == b->mtime_ns && a->ctime_s == b->ctime_s &&
	       a->ctime_ns == b->ctime_ns && a->ino == b->ino &&
	       a->dev == b->dev;
}

static int compare_entry(const void *key, const void *entry)
{
	return strcmp(key, ((const struct index_entry *)entry)->name);
}

const struct index_entry *index_find(const struct plugin_index *idx,
				     const char *name)
{
	if (!idx->entries)
		return NULL;
	return bsearch(name, idx->entries, idx->n, sizeof(*idx->entries),
		       compare_entry);
}

const struct index_entry *index_lookup(const struct plugin_index *idx,
				       const char *name, const struct stat *st)
{
	const struct index_entry *e = index_find(idx, name);
	struct file_stamp now = file_stamp_of(st);

	if (!e || !file_stamp_equal(&e->stamp, &now))
		return NULL;
	return e;
}

static void put_field(FILE *f, const char *s, bool last)
{
	if (!s) {
		fputs("\\N", f);
	} else {
		for (; *s; s++) {
			if (*s == '\\')
				fputs("\\\\", f);
			else if (*s == '\t')
				fputs("\\t", f);
			else if (*s == '\n')
				fputs("\\n", f);
			else
				fputc(*s, f);
		}
	}
	fputc(last ? '\n' : '\t', f);
}

static void put_stamp(FILE *f, const struct file_stamp *st)
{
	fprintf(f, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t", st->size,
		st->mtime_s, st->mtime_ns, st->ctime_s, st->ctime_ns, st->ino,
		st->dev);
}

static void put_entry(FILE *f, const struct index_entry *e)
{
	put_field(f, e->name, false);
	put_stamp(f, &e->stamp);
	put_stamp(f, &e->source_seen);
	fprintf(f, "%u\t%d\t", e->flags, e->of_binary ? 1 : 0);
	put_field(f, e->id, false);
	put_field(f, e->down_revision, false);
	put_field(f, e->message, false);
	put_field(f, e->create_date, false);
	put_field(f, e->branch_labels, false);
	put_field(f, e->depends_on, false);
	put_field(f, e->checksum, false);
	put_field(f, e->source_path, false);
	put_field(f, e->lint_allow, true);
}

void index_write(const char *dir, const struct index_entry *entries, size_t n)
{
	char suffix[32];
	char *tmp, *path = index_path(dir, "");
	int fd;
	FILE *f;
	bool ok;

	/* Each writer its own temporary: runners may scan at once. */
	snprintf(suffix, sizeof(suffix), ".tmp.%ld", (long)getpid());
	tmp = index_path(dir, suffix);
	fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
		 : -1;
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	ok = f != NULL;

	if (fd >= 0 && !f)
		close(fd);
	if (f) {
		char none[DIR_LINE_SIZE + 1];

		dir_line(none, &(struct file_stamp){ 0 });
		fputs(INDEX_HEADER, f);
		fputs(none, f);
		for (size_t i = 0; i < n; i++)
			put_entry(f, &entries[i]);
		ok = fflush(f) == 0 && !ferror(f);
		ok = fclose(f) == 0 && ok;
	}
	/* rename() makes a reader see the old index or the new, never half. */
	if (ok && path && rename(tmp, path) == 0)
		tmp[0] = '\0';
	if (tmp && tmp[0])
		unlink(tmp);
	free(tmp);
	free(path);
}

bool index_dir_current(const struct plugin_index *idx, const struct stat *st)
{
	struct file_stamp now = file_stamp_of(st);

	now.size = 0;
	return idx->has_dir && file_stamp_equal(&idx->dir, &now);
}

static long long ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Changed within the racy margin of now, or later (a clock step). */
static bool is_racy(const struct stat *st)
{
	struct timespec now;
	long long margin = st->st_mtim.tv_nsec || st->st_ctim.tv_nsec
				   ? RACY_NS
				   : RACY_COARSE_NS;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return true;
	return ns_of(&st->st_mtim) > ns_of(&now) - margin ||
	       ns_of(&st->st_ctim) > ns_of(&now) - margin;
}

/* The index file fd still the one read (expect), and of this format. */
static bool still_expected(int fd, const struct file_stamp *expect)
{
	char head[sizeof(INDEX_HEADER) - 1];
	struct file_stamp now;
	struct stat st;

	if (fstat(fd, &st) < 0 || !trustworthy(&st))
		return false;
	now = file_stamp_of(&st);
	if (expect && !file_stamp_equal(expect, &now))
		return false;
	return pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	       memcmp(head, INDEX_HEADER, sizeof(head)) == 0;
}

/*
 * Overwrite the stamp line of dir's index in place (expect: the index file
 * must still be that one; NULL: any).  A short write leaves a line that no
 * longer parses: the index is then ignored and rewritten, never misread.
 */
static void rewrite_dir_line(const char *dir, const struct file_stamp *expect,
			     const struct file_stamp *stamp)
{
	char *path = index_path(dir, "");
	char line[DIR_LINE_SIZE + 1];
	int fd = path ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;
	ssize_t written = 0;

	free(path);
	if (fd < 0)
		return;
	dir_line(line, stamp);
	if (still_expected(fd, expect))
		written = pwrite(fd, line, DIR_LINE_SIZE, strlen(INDEX_HEADER));
	(void)written; /* only a cache */
	close(fd);
}

void index_record_dir(const char *dir, const struct plugin_index *idx,
		      const struct stat *dir_st)
{
	struct file_stamp stamp = file_stamp_of(dir_st);

	stamp.size = 0;
	if (!idx->text || is_racy(dir_st) ||
	    (idx->has_dir && file_stamp_equal(&idx->dir, &stamp)))
		return;
	rewrite_dir_line(dir, &idx->itself, &stamp);
}

void index_forget_dir(const char *dir)
{
	rewrite_dir_line(dir, NULL, &(struct file_stamp){ 0 });
}

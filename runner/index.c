/*
 * index.c - reading and writing <versions>/.retort-index.
 *
 * The format is text, one plugin a line, tab-separated, with \\, \t and \n
 * escaped and \N for a missing string; the first line names the format.
 * A cache never decides anything: whatever does not parse is dropped
 * whole, and the caller reads the plugins instead.  Never prints.
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INDEX_HEADER "retort-index 1\n"
#define INDEX_FIELDS 18
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

static char *slurp(const char *path)
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
	char *src = s, *dst = s;

	if (strcmp(s, "\\N") == 0)
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

static bool number(const char *s, long long *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool parse_numbers(char **f, struct index_entry *e)
{
	long long flags, of_binary;

	if (!number(f[1], &e->size) || !number(f[2], &e->mtime_s) ||
	    !number(f[3], &e->mtime_ns) || !number(f[4], &e->ctime_s) ||
	    !number(f[5], &e->ctime_ns) || !number(f[6], &e->ino) ||
	    !number(f[7], &e->dev) || !number(f[8], &flags) ||
	    !number(f[9], &of_binary))
		return false;
	e->flags = (unsigned)flags;
	e->of_binary = of_binary != 0;
	return true;
}

/* Split a line into its fields and fill e; false if it is malformed. */
static bool parse_line(char *line, struct index_entry *e)
{
	char *f[INDEX_FIELDS];
	const char *s[INDEX_FIELDS];
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
	for (size_t i = 0; i < INDEX_FIELDS; i++)
		s[i] = unescape(f[i], &ok);
	e->name = s[0];
	e->id = s[10];
	e->down_revision = s[11];
	e->message = s[12];
	e->create_date = s[13];
	e->branch_labels = s[14];
	e->depends_on = s[15];
	e->checksum = s[16];
	e->source_path = s[17];
	return ok && e->name && e->id;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static bool parse_index(struct plugin_index *idx)
{
	char *line = idx->text + strlen(INDEX_HEADER);
	size_t cap = count_lines(line);

	idx->entries = calloc(cap ? cap : 1, sizeof(*idx->entries));
	if (!idx->entries)
		return false;
	while (*line) {
		char *end = strchr(line, '\n');

		if (!end || idx->n == cap)
			return false;
		*end = '\0';
		if (!parse_line(line, &idx->entries[idx->n]))
			return false;
		/* Sorted and unique, or lookups would lie. */
		if (idx->n > 0 && strcmp(idx->entries[idx->n - 1].name,
					 idx->entries[idx->n].name) >= 0)
			return false;
		idx->n++;
		line = end + 1;
	}
	return true;
}

void index_read(const char *dir, struct plugin_index *out)
{
	char *path = index_path(dir, "");

	memset(out, 0, sizeof(*out));
	out->text = path ? slurp(path) : NULL;
	free(path);
	if (!out->text)
		return;
	if (strncmp(out->text, INDEX_HEADER, strlen(INDEX_HEADER)) != 0 ||
	    !parse_index(out))
		index_release(out);
}

void index_release(struct plugin_index *idx)
{
	if (!idx)
		return;
	free(idx->entries);
	free(idx->text);
	memset(idx, 0, sizeof(*idx));
}

void index_entry_set_stat(struct index_entry *e, const struct stat *st)
{
	e->size = (long long)st->st_size;
	e->mtime_s = (long long)st->st_mtim.tv_sec;
	e->mtime_ns = (long long)st->st_mtim.tv_nsec;
	e->ctime_s = (long long)st->st_ctim.tv_sec;
	e->ctime_ns = (long long)st->st_ctim.tv_nsec;
	e->ino = (long long)st->st_ino;
	e->dev = (long long)st->st_dev;
}

static int compare_entry(const void *key, const void *entry)
{
	return strcmp(key, ((const struct index_entry *)entry)->name);
}

const struct index_entry *index_lookup(const struct plugin_index *idx,
				       const char *name, const struct stat *st)
{
	const struct index_entry *e;
	struct index_entry now;

	if (idx->n == 0)
		return NULL;
	e = bsearch(name, idx->entries, idx->n, sizeof(*e), compare_entry);
	if (!e)
		return NULL;
	index_entry_set_stat(&now, st);
	if (e->size != now.size || e->mtime_s != now.mtime_s ||
	    e->mtime_ns != now.mtime_ns || e->ctime_s != now.ctime_s ||
	    e->ctime_ns != now.ctime_ns || e->ino != now.ino ||
	    e->dev != now.dev)
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

static void put_entry(FILE *f, const struct index_entry *e)
{
	put_field(f, e->name, false);
	fprintf(f, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%u\t%d\t",
		e->size, e->mtime_s, e->mtime_ns, e->ctime_s, e->ctime_ns,
		e->ino, e->dev, e->flags, e->of_binary ? 1 : 0);
	put_field(f, e->id, false);
	put_field(f, e->down_revision, false);
	put_field(f, e->message, false);
	put_field(f, e->create_date, false);
	put_field(f, e->branch_labels, false);
	put_field(f, e->depends_on, false);
	put_field(f, e->checksum, false);
	put_field(f, e->source_path, true);
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
		fputs(INDEX_HEADER, f);
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

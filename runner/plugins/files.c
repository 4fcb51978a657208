/*
 * files.c - naming, listing and reading files for plugin discovery and the
 * revision-source scan.
 */
#include "plugins/files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

char *files_path(const char *dir, const char *name)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addf(&b, "%s/%s", dir, name);
	return strbuf_finish(&b);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void files_free_names(char **names, size_t n)
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

		if (grown == NULL)
			return -1;
		*names = grown;
		*cap = ncap;
	}
	(*names)[*n] = strdup(name);
	if ((*names)[*n] == NULL)
		return -1;
	(*n)++;
	return 0;
}

int files_list(DIR *d, bool (*keep)(const char *name), char ***names, size_t *n)
{
	struct dirent *ent;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	while ((ent = readdir(d)) != NULL) {
		if (!keep(ent->d_name))
			continue;
		if (append_name(names, n, &cap, ent->d_name) < 0) {
			files_free_names(*names, *n);
			*names = NULL;
			*n = 0;
			return -1;
		}
	}
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), compare_names);
	return 0;
}

int files_read(const char *path, char **text, size_t *len,
	       struct retort_error *err)
{
	struct strbuf b = STRBUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return error_set(err, RETORT_USAGE, "cannot read \"%s\": %s",
				 path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_addn(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		strbuf_release(&b);
		return error_set(err, RETORT_USAGE, "cannot read \"%s\"", path);
	}
	fclose(f);
	*len = b.len;
	*text = strbuf_finish(&b);
	if (*text == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/*
 * fuzz_index.c - libFuzzer target for the metadata index reader
 * (index_read(), index_parse(), index_each(), index_lookup()): the input
 * is the whole <versions>/.retort-index file, written into a scratch
 * versions directory since the reader takes a directory.
 *
 * Whatever the file, the reader gives a usable index or an empty one,
 * never a half-parsed one: every entry it keeps has a name and an id, the
 * names are sorted and unique, both parsers agree, and it frees all it
 * allocates and trips no sanitizer.
 */
#define _GNU_SOURCE /* memfd_create(), in fuzz.h */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "plugins/index.h"

static char dir[] = "/tmp/retort-fuzz-index.XXXXXX";
static char path[sizeof(dir) + sizeof(INDEX_FILE) + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		fuzz_scratch_failed("fuzz: mkdtemp");
	snprintf(path, sizeof(path), "%s/%s", dir, INDEX_FILE);
	return 0;
}

static void write_index_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		fuzz_scratch_failed("fuzz: open");
	while (done < size) {
		n = write(fd, data + done, size - done);
		if (n <= 0)
			fuzz_scratch_failed("fuzz: write");
		done += (size_t)n;
	}
	close(fd);
}

static bool count_entry(const struct index_entry *e, size_t i, void *count)
{
	if (!e->name || !e->id || *(size_t *)count != i)
		abort();
	(*(size_t *)count)++;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plugin_index idx;
	struct stat st;
	size_t parsed = 0, walked = 0;
	bool ok;

	write_index_file(data, size);
	index_read(dir, &idx);
	if (stat(dir, &st) == 0)
		(void)index_dir_current(&idx, &st);
	index_parse(&idx);
	parsed = idx.entries ? idx.n : 0;
	for (size_t i = 0; i < parsed; i++) {
		const struct index_entry *e = &idx.entries[i];

		if (!e->name || !e->id)
			abort();
		if (i > 0 && strcmp(idx.entries[i - 1].name, e->name) >= 0)
			abort();
		if (stat(path, &st) == 0)
			(void)index_lookup(&idx, e->name, &st);
	}
	index_release(&idx);

	/* The other parser keeps exactly the same entries, or refuses the
	 * index as the first did. */
	index_read(dir, &idx);
	ok = index_each(&idx, count_entry, &walked);
	if (ok ? walked != parsed : parsed != 0)
		abort();
	index_release(&idx);
	return 0;
}

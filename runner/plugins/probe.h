/*
 * probe.h - loading revision plugins in a child process, so that a plugin
 * whose constructor exits or crashes, or a truncated file that faults
 * when a page of it is touched, is reported instead of ending the runner.
 *
 * One child serves a whole batch: it handles the items one after another
 * and sends each one's result back over a pipe; the parent takes them in
 * order.  When the child ends before it reported an item, that item is the
 * one it was handling, and the error names it and how the child ended.
 */
#ifndef RETORT_PROBE_H
#define RETORT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"

/* A batch: what the child does per item, and what the parent does. */
struct probe_batch {
	size_t n;
	/* In the child: handle item i, appending its result to out (bytes,
	 * NULs and all, with strbuf_addn; out of memory fails the item); 0,
	 * or -1 with err (the batch then stops with that error). */
	int (*load)(size_t i, void *arg, struct strbuf *out,
		    struct retort_error *err);
	/* In this process: take item i's result; 0, or -1 with err. */
	int (*take)(size_t i, const char *data, size_t len, void *arg,
		    struct retort_error *err);
	/* Item i's file, for the error when the child dies on it. */
	const char *(*path)(size_t i, void *arg);
	void *arg;
};

/*
 * Run the batch: load() for every item in one child, take() for each in
 * this process, in order.  Returns 0; or -1 with load()'s or take()'s
 * error, or, when the child ended while handling an item, an error
 * (RETORT_USAGE) naming its file and the exit status or signal.  An
 * empty batch starts no child.
 */
int probe_run(const struct probe_batch *batch, struct retort_error *err);

#endif

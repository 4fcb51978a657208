/*
 * probe.c - a batch of plugin loads in one child process, their results
 * sent back over a pipe.
 *
 * dlopen runs a plugin's constructors and lets the dynamic loader touch
 * every page it maps, so what the plugin does while loading happens in
 * the child: an exit() or a fault there ends the child, never the runner.
 * The child must hand back copies, never pointers into the plugin: a page
 * of a truncated file faults only when touched, so it touches everything
 * it reads.  One child per batch rather than per plugin keeps a scan of
 * thousands of plugins one fork.  Never prints.
 */
/* MAP_ANONYMOUS is not in POSIX.1-2008. */
#define _DEFAULT_SOURCE

#include "plugins/probe.h"

#include "base/wait_status.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

enum record_kind { RECORD_OK, RECORD_ERROR };

/* What precedes each item's result on the pipe. */
struct record_head {
	uint32_t kind; /* enum record_kind */
	uint32_t len;  /* bytes that follow */
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Records gather in the child and go to the pipe in large writes. */
#define FLUSH_AT (64 * 1024)

static void add_record(struct strbuf *stream, enum record_kind kind,
		       const void *p, size_t len)
{
	struct record_head head = { kind, (uint32_t)len };

	strbuf_addn(stream, (const char *)&head, sizeof(head));
	strbuf_addn(stream, p, len);
}

static void flush(int fd, struct strbuf *stream)
{
	if (stream->failed || write_all(fd, stream->s, stream->len) < 0)
		_exit(1);
	strbuf_truncate(stream, 0);
}

/*
 * The child: load every item, stop at the first failure.  Before each
 * load it says which item it is on in *loading, memory shared with the
 * parent: a store, not a system call, so a scan of thousands of plugins
 * is not a conversation, and the parent still knows whom to name.
 */
static void child_main(int fd, const struct probe_batch *b,
		       volatile size_t *loading)
{
	struct strbuf buf = STRBUF_INIT, stream = STRBUF_INIT;
	struct retort_error err;

#ifdef __linux__
	/* A runner killed outright takes its prober with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	/* A Ctrl-C is the runner's to handle (the worker's handler would
	 * cancel its statement from here); this child must not die of it,
	 * or the plugin it was loading would be blamed. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	for (size_t i = 0; i < b->n; i++) {
		int rc;

		*loading = i;
		error_clear(&err);
		strbuf_truncate(&buf, 0);
		rc = b->load(i, b->arg, &buf, &err);
		if (rc == 0 && buf.failed)
			rc = error_set(&err, RETORT_FAILED, "out of memory");
		if (rc < 0) {
			add_record(&stream, RECORD_ERROR, &err, sizeof(err));
			flush(fd, &stream);
			_exit(0);
		}
		add_record(&stream, RECORD_OK, buf.s, buf.len);
		if (stream.len >= FLUSH_AT)
			flush(fd, &stream);
	}
	*loading = b->n;
	flush(fd, &stream);
	_exit(0);
}

static int child_died(const char *path, int status, struct retort_error *err)
{
	char how[128];

	describe_wait_status(status, how, sizeof(how));
	error_set(err, RETORT_USAGE,
		  "revision plugin \"%s\" ended the process while loading: %s",
		  path, how);
	error_detail(
		err,
		"retort loads plugins in a separate process to read their metadata: nothing was run or recorded");
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		error_detail(
			err,
			"a bus error while loading is what a truncated or partly written file gives");
	error_hint(
		err,
		"Rebuild the plugin (meson compile -C build) or remove it from the versions directory; a revision's constructors must not exit or crash.");
	return -1;
}

/* Everything the child wrote, until it closed the pipe. */
static int read_stream(int fd, struct strbuf *stream, struct retort_error *err)
{
	char chunk[FLUSH_AT];
	ssize_t r;

	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_set(
				err, RETORT_FAILED,
				"cannot read from the process loading plugins: %s",
				strerror(errno));
		strbuf_addn(stream, chunk, (size_t)r);
	}
	if (stream->failed)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

/*
 * Hand the child's records to take(), in order; returns how many items
 * were taken, or -1 with the error a record or take() gave.
 */
static long take_all(const struct probe_batch *b, const struct strbuf *s,
		     struct retort_error *err)
{
	struct record_head head;
	size_t at = 0, i = 0;

	for (; i < b->n && s->len - at >= sizeof(head); i++) {
		memcpy(&head, s->s + at, sizeof(head));
		at += sizeof(head);
		if (s->len - at < head.len)
			break;
		if (head.kind == RECORD_ERROR && head.len == sizeof(*err)) {
			memcpy(err, s->s + at, sizeof(*err));
			return -1;
		}
		if (b->take(i, s->s + at, head.len, b->arg, err) < 0)
			return -1;
		at += head.len;
	}
	return (long)i;
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int start_failed(int fds[2], void *shared, const char *what,
			struct retort_error *err)
{
	int saved = errno;

	if (fds) {
		close(fds[0]);
		close(fds[1]);
	}
	if (shared != MAP_FAILED)
		munmap(shared, sizeof(size_t));
	error_set(err, RETORT_FAILED, "cannot %s to load plugins: %s", what,
		  strerror(saved));
	return -1;
}

/* The child gone: what it sent, or which item it died on and how. */
static int conclude(const struct probe_batch *b, const struct strbuf *s,
		    size_t loading, int status, struct retort_error *err)
{
	long taken = take_all(b, s, err);
	char how[128];

	if (taken < 0 || (size_t)taken == b->n)
		return taken < 0 ? -1 : 0;
	if (loading < b->n)
		return child_died(b->path(loading, b->arg), status, err);
	describe_wait_status(status, how, sizeof(how));
	return error_set(err, RETORT_FAILED,
			 "the process loading plugins ended early: %s", how);
}

int probe_run(const struct probe_batch *b, struct retort_error *err)
{
	struct strbuf stream = STRBUF_INIT;
	int fds[2], status = 0, rc;
	/* Written by the child: read only once it is gone. */
	volatile size_t *loading;
	pid_t pid;

	if (b->n == 0)
		return 0;
	loading = mmap(NULL, sizeof(*loading), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (loading == MAP_FAILED)
		return start_failed(NULL, MAP_FAILED, "map memory", err);
	*loading = b->n;
	if (pipe(fds) < 0)
		return start_failed(NULL, (void *)loading, "create a pipe",
				    err);
	/* What stdio holds must not be written twice, by an exit() there. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return start_failed(fds, (void *)loading, "start a process",
				    err);
	if (pid == 0) {
		close(fds[0]);
		child_main(fds[1], b, loading);
	}
	close(fds[1]);
	rc = read_stream(fds[0], &stream, err);
	close(fds[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	wait_child(pid, &status);
	if (rc == 0)
		rc = conclude(b, &stream, *loading, status, err);
	munmap((void *)loading, sizeof(*loading));
	strbuf_release(&stream);
	return rc;
}

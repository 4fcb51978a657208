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
#include "probe.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void probe_buf_add(struct probe_buf *buf, const void *bytes, size_t n)
{
	if (buf->failed)
		return;
	if (buf->len + n > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 256;
		char *grown;

		while (cap < buf->len + n)
			cap *= 2;
		grown = realloc(buf->data, cap);
		if (!grown) {
			buf->failed = true;
			return;
		}
		buf->data = grown;
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, bytes, n);
	buf->len += n;
}

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

/* 1 when all n bytes were read, 0 at the end of the pipe or an error. */
static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		c += r;
		n -= (size_t)r;
	}
	return 1;
}

static int send_record(int fd, enum record_kind kind, const void *p, size_t len)
{
	struct record_head head = { kind, (uint32_t)len };

	if (write_all(fd, &head, sizeof(head)) < 0)
		return -1;
	return write_all(fd, p, len);
}

/* The child: load every item, report each, stop at the first failure. */
static void child_main(int fd, const struct probe_batch *b)
{
	struct probe_buf buf = { 0 };
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

		error_clear(&err);
		buf.len = 0;
		rc = b->load(i, b->arg, &buf, &err);
		if (rc == 0 && buf.failed)
			rc = error_set(&err, RETORT_FAILED, "out of memory");
		if (rc < 0) {
			send_record(fd, RECORD_ERROR, &err, sizeof(err));
			_exit(0);
		}
		if (send_record(fd, RECORD_OK, buf.data, buf.len) < 0)
			_exit(1);
	}
	_exit(0);
}

void probe_describe_end(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, size, "wait status %d", status);
}

static int child_died(const char *path, int status, struct retort_error *err)
{
	char how[128];

	probe_describe_end(status, how, sizeof(how));
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

/* Item i's result from the pipe: 1 taken, 0 the pipe ended, -1 err. */
static int take_one(int fd, const struct probe_batch *b, size_t i,
		    struct retort_error *err)
{
	struct record_head head;
	char *data;
	int rc;

	if (!read_all(fd, &head, sizeof(head)))
		return 0;
	data = malloc(head.len ? head.len : 1);
	if (!data)
		return error_set(err, RETORT_FAILED, "out of memory");
	if (!read_all(fd, data, head.len)) {
		free(data);
		return 0;
	}
	if (head.kind == RECORD_ERROR && head.len == sizeof(*err)) {
		memcpy(err, data, sizeof(*err));
		rc = -1;
	} else {
		rc = b->take(i, data, head.len, b->arg, err) < 0 ? -1 : 1;
	}
	free(data);
	return rc;
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int start_failed(int fds[2], const char *what, struct retort_error *err)
{
	int saved = errno;

	close(fds[0]);
	close(fds[1]);
	error_set(err, RETORT_FAILED, "cannot %s to load plugins: %s", what,
		  strerror(saved));
	return -1;
}

int probe_run(const struct probe_batch *b, struct retort_error *err)
{
	int fds[2], status = 0, got = 1;
	size_t i = 0;
	pid_t pid;

	if (b->n == 0)
		return 0;
	if (pipe(fds) < 0)
		return error_set(err, RETORT_FAILED,
				 "cannot create a pipe to load plugins: %s",
				 strerror(errno));
	/* What stdio holds must not be written twice, by an exit() there. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return start_failed(fds, "start a process", err);
	if (pid == 0) {
		close(fds[0]);
		child_main(fds[1], b);
	}
	close(fds[1]);
	while (i < b->n && (got = take_one(fds[0], b, i, err)) == 1)
		i++;
	close(fds[0]);
	/* After an error the child stops by itself; a failed take() leaves
	 * it running, and closing the pipe ends its next write. */
	if (got < 0)
		kill(pid, SIGKILL);
	if (wait_child(pid, &status) < 0 && got >= 0)
		return error_set(
			err, RETORT_FAILED,
			"cannot wait for the process loading plugins: %s",
			strerror(errno));
	if (got < 0)
		return -1;
	if (i < b->n)
		return child_died(b->path(i, b->arg), status, err);
	return 0;
}

/*
 * pool.c - forking a child per running target, reading its outcome from
 * a pipe, reaping it.  Never prints: a child's own output is its
 * business, and a child that died is described in its outcome.
 */
#include "fleet/pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/wait_status.h"

int fleet_pool_init(struct fleet_pool *p, int nslots, struct retort_error *err)
{
	p->slots = calloc((size_t)nslots, sizeof(*p->slots));
	p->fds = calloc((size_t)nslots, sizeof(*p->fds));
	p->fd_slot = calloc((size_t)nslots, sizeof(*p->fd_slot));
	p->nslots = nslots;
	p->running = 0;
	if (p->slots == NULL || p->fds == NULL || p->fd_slot == NULL)
		return error_set(err, RETORT_FAILED, "out of memory");
	return 0;
}

void fleet_pool_release(struct fleet_pool *p)
{
	for (int i = 0; p->slots && i < p->nslots; i++) {
		if (p->slots[i].pid == 0)
			continue;
		close(p->slots[i].fd);
		while (waitpid(p->slots[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(p->slots);
	free(p->fds);
	free(p->fd_slot);
	p->slots = NULL;
	p->fds = NULL;
	p->fd_slot = NULL;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		len -= (size_t)w;
	}
}

/* In the child: the fleet's signal handlers are the parent's, not its. */
static void run_child(struct fleet_pool *p, int fd, size_t target,
		      fleet_pool_fn fn, void *arg)
{
	struct fleet_outcome out;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid != 0)
			close(p->slots[i].fd);
	memset(&out, 0, sizeof(out));
	fn(target, &out, arg);
	write_all(fd, &out, sizeof(out));
	_exit(0);
}

int fleet_pool_start(struct fleet_pool *p, size_t target, fleet_pool_fn fn,
		     void *arg, struct retort_error *err)
{
	struct fleet_pool_slot *s = NULL;
	int fds[2];
	pid_t pid;

	for (int i = 0; i < p->nslots && s == NULL; i++)
		if (p->slots[i].pid == 0)
			s = &p->slots[i];
	if (s == NULL || pipe(fds) < 0)
		return error_set(err, RETORT_FAILED,
				 "cannot start a target's process: %s",
				 s ? strerror(errno) : "no free slot");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, RETORT_FAILED,
				 "cannot start a target's process: %s",
				 strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(p, fds[1], target, fn, arg);
	}
	close(fds[1]);
	*s = (struct fleet_pool_slot){ .pid = pid,
				       .fd = fds[0],
				       .target = target };
	p->running++;
	return 0;
}

/* The child of s closed its pipe: reap it and make its outcome. */
static void reap(struct fleet_pool *p, struct fleet_pool_slot *s,
		 size_t *target, struct fleet_outcome *out)
{
	int status = 0;
	char how[128];

	close(s->fd);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (s->got == sizeof(s->buf)) {
		*out = s->buf;
	} else {
		describe_wait_status(status, how, sizeof(how));
		memset(out, 0, sizeof(*out));
		out->status = FLEET_FAILED;
		snprintf(out->error, sizeof(out->error),
			 "the target's process ended without reporting (%s)",
			 how);
	}
	*target = s->target;
	s->pid = 0;
	p->running--;
}

/* Read what s's pipe holds; 1 when the child is done. */
static int drain(struct fleet_pool_slot *s)
{
	ssize_t r =
		read(s->fd, (char *)&s->buf + s->got, sizeof(s->buf) - s->got);

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (r == 0)
		return 1;
	s->got += (size_t)r;
	return 0;
}

int fleet_pool_wait(struct fleet_pool *p, long long timeout_ms, size_t *target,
		    struct fleet_outcome *out)
{
	struct pollfd *fds = p->fds;
	int *map = p->fd_slot, n = 0;

	for (int i = 0; i < p->nslots; i++) {
		if (p->slots[i].pid == 0)
			continue;
		fds[n] = (struct pollfd){ .fd = p->slots[i].fd,
					  .events = POLLIN };
		map[n++] = i;
	}
	if (timeout_ms > 60000 || timeout_ms < 0)
		timeout_ms = n > 0 ? 60000 : 0;
	if (poll(fds, (nfds_t)n, (int)timeout_ms) <= 0)
		return 0;
	for (int k = 0; k < n; k++) {
		struct fleet_pool_slot *s = &p->slots[map[k]];

		if (fds[k].revents == 0 || !drain(s))
			continue;
		reap(p, s, target, out);
		return 1;
	}
	return 0;
}

void fleet_pool_signal(struct fleet_pool *p, int sig)
{
	for (int i = 0; i < p->nslots; i++)
		if (p->slots[i].pid != 0)
			kill(p->slots[i].pid, sig);
}

/*
 * isolate.c - a worker process per run, so that revision code that crashes
 * or exits cannot silence the runner.
 *
 * The worker keeps a note naming what runs now in memory it shares with
 * the parent (a note per revision costs no system call), and writes its
 * result to a pipe at the end, in one record smaller than PIPE_BUF, so the
 * write is atomic.  The parent reads the note only once the worker is
 * gone.  The parent relays SIGINT/SIGTERM and, if the worker does not stop
 * within a grace period, kills it: the server then rolls the open
 * transaction back.  Never prints.
 */

/* MAP_ANONYMOUS is not in POSIX.1-2008. */
#define _DEFAULT_SOURCE

#include "proc/isolate.h"

#include "base/wait_status.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

/* How long a worker may take to roll back after a signal before SIGKILL. */
#define GRACE_SECONDS 10

#define NOTE_SIZE 512

/* The worker's result, the one record it writes to the pipe. */
struct record {
	int rc;
	struct retort_error err;
};

_Static_assert(sizeof(struct record) <= PIPE_BUF,
	       "a record must be written atomically");

/* Shared with the parent: what the worker runs now, and how. */
struct note {
	char text[NOTE_SIZE];	       /* "" for nothing */
	volatile sig_atomic_t step;    /* enum isolate_step */
	volatile sig_atomic_t loading; /* text names a plugin being loaded */
};

static bool isolation_enabled = true;
static int result_fd = -1;
static struct note *shared_note;
static volatile sig_atomic_t stop_signal;
static void (*volatile cancel_fn)(void *arg);
static void *volatile cancel_arg;
static volatile pid_t worker_pid;
static pid_t runner_pid;     /* the parent's, once a worker was started */
static bool worker_vanished; /* the last worker ended without reporting */

void isolate_set_enabled(bool enabled)
{
	isolation_enabled = enabled;
}

bool isolate_worker_died(void)
{
	return worker_vanished;
}

long isolate_runner_pid(void)
{
	return (long)(runner_pid ? runner_pid : getpid());
}

int isolate_interrupted(void)
{
	return stop_signal;
}

void isolate_set_cancel(void (*cancel)(void *arg), void *arg)
{
	/* Forgotten first, so that a signal in between fires nothing. */
	cancel_fn = NULL;
	cancel_arg = arg;
	cancel_fn = cancel;
}

static void write_record(const struct record *rec)
{
	ssize_t n;

	if (result_fd < 0)
		return;
	do
		n = write(result_fd, rec, sizeof(*rec));
	while (n < 0 && errno == EINTR);
}

void isolate_note(const char *what)
{
	if (!shared_note)
		return;
	/* The terminator first: a crash mid-copy leaves a shorter note. */
	shared_note->text[0] = '\0';
	shared_note->step = ISOLATE_IN_TRANSACTION;
	shared_note->loading = 0;
	if (what)
		snprintf(shared_note->text, NOTE_SIZE, "%s", what);
}

void isolate_note_step(enum isolate_step step)
{
	if (shared_note)
		shared_note->step = step;
}

void isolate_note_loading(const char *path)
{
	isolate_note(path);
	if (shared_note)
		shared_note->loading = 1;
}

/* In the worker (or in-process): cancel the running statement. */
static void on_stop_signal(int sig)
{
	void (*cancel)(void *arg) = cancel_fn;
	int saved = errno;

	stop_signal = sig;
	if (cancel)
		cancel(cancel_arg);
	errno = saved;
}

/* In the parent: pass the signal on and remember it. */
static void on_parent_signal(int sig)
{
	int saved = errno;

	stop_signal = sig;
	if (worker_pid > 0)
		kill(worker_pid, sig);
	errno = saved;
}

static void catch_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static enum retort_status interrupted_status(int sig)
{
	return sig == SIGTERM ? RETORT_INTERRUPTED_TERM
			      : RETORT_INTERRUPTED_INT;
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

/* A run that failed because it was asked to stop says so first. */
static void mark_interrupted(int rc, struct retort_error *err)
{
	if (rc == 0 || !stop_signal)
		return;
	error_prefix(err, "interrupted by %s", signal_name(stop_signal));
	err->status = interrupted_status(stop_signal);
}

static int run_here(int (*fn)(void *, struct retort_error *), void *arg,
		    struct retort_error *err)
{
	int rc;

	catch_signals(on_stop_signal);
	rc = fn(arg, err);
	mark_interrupted(rc, err);
	catch_signals(SIG_DFL);
	return rc;
}

/*
 * A deploy system may SIGKILL the parent alone.  The worker then stops as
 * if sent SIGTERM: it cancels its statement and the server rolls back.
 */
static void stop_with_parent(pid_t parent)
{
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != parent)
		raise(SIGTERM);
}

static void worker_main(int fd, pid_t parent,
			int (*fn)(void *, struct retort_error *), void *arg)
{
	struct record rec = { 0 };

	result_fd = fd;
	catch_signals(on_stop_signal);
	stop_with_parent(parent);
	rec.rc = fn(arg, &rec.err);
	mark_interrupted(rec.rc, &rec.err);
	fflush(stdout);
	fflush(stderr);
	write_record(&rec);
	_exit(0);
}

/* What the parent learns of the worker. */
struct outcome {
	bool ended;
	struct record end;
	char note[NOTE_SIZE]; /* the note it left, read once it is gone */
	enum isolate_step step;
	bool loading; /* the note names a plugin being loaded */
	bool killed;  /* by us, after the grace period */
};

static void escalate(struct outcome *o, time_t *signalled_at)
{
	if (!stop_signal || o->killed)
		return;
	if (*signalled_at == 0)
		*signalled_at = time(NULL);
	else if (time(NULL) - *signalled_at >= GRACE_SECONDS) {
		kill(worker_pid, SIGKILL);
		o->killed = true;
	}
}

static void collect(int fd, struct outcome *o)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	time_t signalled_at = 0;
	struct record rec;

	for (;;) {
		int ready = poll(&pfd, 1, 1000);
		ssize_t n;

		escalate(o, &signalled_at);
		if (ready <= 0)
			continue;
		n = read(fd, &rec, sizeof(rec));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rec))
			return;
		o->ended = true;
		o->end = rec;
	}
}

static int wait_worker(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static const char *running(const struct outcome *o)
{
	return o->note[0] ? o->note : "retort's worker";
}

/*
 * Signals the revision's own code brings on itself: a fault the kernel
 * raises (bad memory, an illegal instruction, a division by zero, a
 * breakpoint, a refused system call), abort() and assert(), a write to a
 * closed pipe, a resource limit.  Any other signal that kills the worker
 * was sent by another process (SIGINT and SIGTERM the worker catches):
 * a person's kill, a deploy system, the kernel's out-of-memory killer.
 */
static bool raised_by_code(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:
	case SIGABRT:
	case SIGPIPE:
	case SIGXCPU:
	case SIGXFSZ:
		return true;
	default:
		return false;
	}
}

/* What the worker's death left in the database, by how the step runs. */
static void rolled_back(const struct outcome *o, struct retort_error *err)
{
	if (!o->note[0]) {
		error_detail(
			err,
			"no revision's code was running; `retort current` shows where the database stands");
		return;
	}
	switch (o->step) {
	case ISOLATE_BATCHED:
		error_detail(
			err,
			"the batch in flight was rolled back; the batches committed before it stay, each with its checkpoint");
		break;
	case ISOLATE_AUTOCOMMIT:
		error_detail(
			err,
			"it runs outside a transaction (RETORT_NO_TRANSACTION): the statements it completed before it died stay applied; its version row was not written");
		break;
	default:
		error_detail(
			err,
			"its transaction was rolled back: the database is at the revision before it");
	}
}

static void killed_from_outside(const struct outcome *o, int sig,
				struct retort_error *err)
{
	error_set(err, RETORT_FAILED,
		  "%s was killed by signal %d (%s), sent from outside retort",
		  running(o), sig, strsignal(sig));
	if (sig == SIGKILL)
		error_detail(
			err,
			"another process sent it: an operator's kill, a deploy system, or the kernel's out-of-memory killer (see dmesg); the revision's code did not crash");
	else
		error_detail(
			err,
			"another process sent it; the revision's code did not crash");
	rolled_back(o, err);
	if (o->step == ISOLATE_BATCHED)
		error_hint(
			err,
			"Run the same command again: the backfill resumes after its last committed batch.");
	else if (o->step == ISOLATE_AUTOCOMMIT)
		error_hint(
			err,
			"Check what its statements left (an INVALID index from a concurrent build), then run the same command again.");
	else
		error_hint(
			err,
			"Run the same command again: it goes on from the revision before this one.");
}

/*
 * The worker died while loading a plugin to run it: a plugin that behaves
 * so is found by discovery's prober, unless it changed or misbehaves only
 * now and then.  Revisions before it in the run stay applied.
 */
static int died_loading(const struct outcome *o, int status,
			struct retort_error *err)
{
	char how[128];

	describe_wait_status(status, how, sizeof(how));
	error_set(err, RETORT_FAILED,
		  "revision plugin \"%s\" ended the process while loading: %s",
		  o->note, how);
	error_detail(
		err,
		"nothing of it ran: the database is at the revision before it");
	error_hint(
		err,
		"Rebuild the plugin (meson compile -C build) or remove it from the versions directory; a revision's constructors must not exit or crash.");
	return -1;
}

/* The worker died without reporting: say what it was running and how. */
static int worker_died(const struct outcome *o, int status,
		       struct retort_error *err)
{
	/* A worker stopped by a signal we relayed was not ended by the
	 * plugin it was loading. */
	if (o->loading && !o->killed && !stop_signal)
		return died_loading(o, status, err);
	if (o->killed) {
		error_set(
			err, interrupted_status(stop_signal),
			"interrupted by %s: %s did not stop within %d seconds and was killed",
			signal_name(stop_signal), running(o), GRACE_SECONDS);
	} else if (WIFSIGNALED(status) && !raised_by_code(WTERMSIG(status)) &&
		   WTERMSIG(status) != SIGINT && WTERMSIG(status) != SIGTERM) {
		killed_from_outside(o, WTERMSIG(status), err);
		return -1;
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		error_set(err, RETORT_FAILED, "%s crashed: signal %d (%s)",
			  running(o), sig, strsignal(sig));
		if (sig == SIGINT || sig == SIGTERM)
			err->status = interrupted_status(sig);
	} else {
		error_set(err, RETORT_FAILED,
			  "%s ended the process with exit(%d)", running(o),
			  WEXITSTATUS(status));
		error_hint(
			err,
			"A revision returns from upgrade() and downgrade(); it must not call exit().");
	}
	rolled_back(o, err);
	if (!err->hint[0])
		error_hint(err, "Fix the revision, rebuild, and run again.");
	return -1;
}

/* The note's page, shared with the worker; NULL (and err) on failure. */
static struct note *map_note(struct retort_error *err)
{
	void *page = mmap(NULL, sizeof(struct note), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (page != MAP_FAILED)
		return page;
	error_set(err, RETORT_FAILED, "cannot map memory for the worker: %s",
		  strerror(errno));
	return NULL;
}

static int start_failed(int fds[2], const char *what, struct retort_error *err)
{
	int saved = errno;

	if (fds) {
		close(fds[0]);
		close(fds[1]);
	}
	return error_set(err, RETORT_FAILED, "cannot %s: %s", what,
			 strerror(saved));
}

static int run_isolated(int (*fn)(void *, struct retort_error *), void *arg,
			struct retort_error *err)
{
	struct outcome o = { 0 };
	int fds[2], status = 0;
	pid_t pid, parent = getpid();

	runner_pid = parent;
	fflush(stdout);
	fflush(stderr);
	if (!shared_note && !(shared_note = map_note(err)))
		return -1;
	shared_note->text[0] = '\0';
	shared_note->step = ISOLATE_IN_TRANSACTION;
	shared_note->loading = 0;
	if (pipe(fds) < 0)
		return start_failed(NULL, "create a pipe", err);
	pid = fork();
	if (pid < 0)
		return start_failed(fds, "start a worker process", err);
	if (pid == 0) {
		close(fds[0]);
		worker_main(fds[1], parent, fn, arg);
	}
	close(fds[1]);
	worker_pid = pid;
	catch_signals(on_parent_signal);
	collect(fds[0], &o);
	close(fds[0]);
	wait_worker(pid, &status);
	worker_pid = 0;
	/* The worker is gone: its last note is all written. */
	snprintf(o.note, sizeof(o.note), "%s", shared_note->text);
	o.step = (enum isolate_step)shared_note->step;
	o.loading = shared_note->loading != 0;
	catch_signals(SIG_DFL);
	worker_vanished = !o.ended;
	if (!o.ended)
		return worker_died(&o, status, err);
	*err = o.end.err;
	return o.end.rc;
}

int isolate_stoppable(int (*fn)(void *arg, struct retort_error *err), void *arg,
		      struct retort_error *err)
{
	stop_signal = 0;
	return run_here(fn, arg, err);
}

int isolate_call(int (*fn)(void *arg, struct retort_error *err), void *arg,
		 struct retort_error *err)
{
	stop_signal = 0;
	if (!isolation_enabled)
		return run_here(fn, arg, err);
	return run_isolated(fn, arg, err);
}

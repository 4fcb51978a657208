/*
 * clusters.c - extra PostgreSQL clusters for a suite: see clusters.h.
 *
 * Everything the clean-up needs (argv and environment of each
 * `scripts/dev-db destroy`) is built when the clusters start, so that the
 * signal handler only forks, execs and waits.
 */
#define _GNU_SOURCE
#include "clusters.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define MAX_CLUSTERS 8

extern char **environ;

struct cluster {
	char *state_env; /* RETORT_DEV_DB_STATE=... */
	char **envp;	 /* environ plus state_env */
	char port[16];
	char pooler[16]; /* its PgBouncer's port, "" until one runs */
};

static struct cluster clusters[MAX_CLUSTERS + 1];
static int n_extra;
static pid_t owner; /* the suite's main process: Check's forked tests
		       inherit the exit handler but must not run it */
static char *dev_db;

/* envp: the environment with RETORT_DEV_DB_STATE replaced. */
static char **make_envp(char *state_env)
{
	size_t n = 0, k = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof *envp);
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "RETORT_DEV_DB_STATE=", 20) != 0)
			envp[k++] = environ[i];
	envp[k] = state_env;
	return envp;
}

/*
 * Run dev-db with args for cluster c; its stdout into out (size outsz,
 * NUL-terminated) when out is given, its stderr to ours.  Only
 * async-signal-safe calls when out is NULL.  Returns the exit status, or
 * -1.
 */
/*
 * Start dev-db with args for cluster c, its stdout to out_fd (or our
 * stderr when -1), in a session of its own: meson's timeout kills the
 * suite's process group, and a clean-up must outlive that.  Only
 * async-signal-safe calls.  Returns its pid, or -1.
 */
static pid_t spawn_dev_db(const struct cluster *c, const char *const args[],
			  int out_fd)
{
	char *argv[8] = { dev_db };
	pid_t pid;

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = (char *)args[i]; /* execve does not write */
	pid = fork();
	if (pid == 0) {
		/* Close-on-exec: the server that dev-db starts must not keep
		 * a pipe's write end open. */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : 2, 1);
		execve(dev_db, argv, c->envp);
		_exit(127);
	}
	return pid;
}

static int run_dev_db(const struct cluster *c, const char *const args[],
		      char *out, size_t outsz)
{
	int fd[2] = { -1, -1 }, status;
	size_t len = 0;
	pid_t pid;

	if (out && pipe2(fd, O_CLOEXEC) != 0)
		return -1;
	pid = spawn_dev_db(c, args, fd[1]);
	if (pid < 0)
		return -1;
	if (out) {
		ssize_t got;

		close(fd[1]);
		while (len + 1 < outsz &&
		       (got = read(fd[0], out + len, outsz - 1 - len)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				break;
			len += (size_t)got;
		}
		out[len] = '\0';
		close(fd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The port of "NAME=postgresql://user:pw@host:PORT/db" in out. */
static int port_of(const char *out, const char *name, char *port, size_t sz)
{
	const char *p = strstr(out, name), *colon, *slash;

	if (!p || !(p = strchr(p, '@')) || !(colon = strchr(p, ':')) ||
	    !(slash = strchr(colon, '/')) || (size_t)(slash - colon) >= sz)
		return -1;
	memcpy(port, colon + 1, (size_t)(slash - colon - 1));
	port[slash - colon - 1] = '\0';
	return 0;
}

static int start_one(int i, bool first)
{
	const char *const fresh[] = { "start", "--tmpfs", NULL };
	const char *const again[] = { "start", NULL };
	char out[1024];
	struct cluster *c = &clusters[i];

	if (run_dev_db(c, first ? fresh : again, out, sizeof out) != 0 ||
	    port_of(out, "DATABASE_URL=", c->port, sizeof c->port) != 0) {
		fprintf(stderr, "clusters: cluster %d did not start (%s %s)\n",
			i, dev_db, c->state_env);
		return -1;
	}
	return 0;
}

void clusters_stop(void)
{
	const char *const destroy[] = { "destroy", NULL };

	if (getpid() != owner)
		return;
	for (int i = 1; i <= n_extra; i++)
		run_dev_db(&clusters[i], destroy, NULL, 0);
	n_extra = 0;
}

/* Destroy every cluster at once, without waiting: a SIGKILL may follow. */
static void on_signal(int sig)
{
	const char *const destroy[] = { "destroy", NULL };

	if (getpid() == owner)
		for (int i = 1; i <= n_extra; i++)
			spawn_dev_db(&clusters[i], destroy, -1);
	n_extra = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static int prepare(int n)
{
	const char *dir = getenv("RETORT_CLUSTER_DIR");

	dev_db = getenv("RETORT_DEV_DB");
	if (!dev_db || !dir || n > MAX_CLUSTERS) {
		fprintf(stderr, "clusters: RETORT_DEV_DB and "
				"RETORT_CLUSTER_DIR must be set (meson test "
				"sets them)\n");
		return -1;
	}
	for (int i = 1; i <= n; i++) {
		struct cluster *c = &clusters[i];

		if (asprintf(&c->state_env, "RETORT_DEV_DB_STATE=%s/cluster-%d",
			     dir, i) < 0 ||
		    !(c->envp = make_envp(c->state_env)))
			return -1;
	}
	return 0;
}

int clusters_start(int n)
{
	const char *const destroy[] = { "destroy", NULL };

	owner = getpid();
	if (prepare(n) != 0)
		return -1;
	atexit(clusters_stop);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	for (int i = 1; i <= n; i++) {
		/* A cluster a killed suite left behind is started afresh. */
		run_dev_db(&clusters[i], destroy, NULL, 0);
		n_extra = i;
		if (start_one(i, true) != 0)
			return -1;
	}
	return 0;
}

int clusters_count(void)
{
	return n_extra + 1;
}

int clusters_pause(int i)
{
	const char *const stop[] = { "stop", NULL };

	return run_dev_db(&clusters[i], stop, NULL, 0) == 0 ? 0 : -1;
}

int clusters_resume(int i)
{
	return start_one(i, false);
}

const char *clusters_url(int i, const char *dbname)
{
	if (i == 0)
		return harness_url(false, dbname, NULL);
	return harness_fmt("postgresql://postgres:postgres@127.0.0.1:%s/%s",
			   clusters[i].port, dbname);
}

const char *clusters_host_port(int i)
{
	if (i == 0)
		return harness_fmt("%s:%s", harness_server_host(),
				   harness_server_port());
	return harness_fmt("127.0.0.1:%s", clusters[i].port);
}

const char *clusters_pooler_url(int i, const char *dbname)
{
	const char *const start[] = { "pgbouncer", "start", "--pool-mode",
				      "transaction", NULL };
	struct cluster *c = &clusters[i];
	char out[1024];

	if (c->pooler[0] == '\0' &&
	    (run_dev_db(c, start, out, sizeof out) != 0 ||
	     port_of(out, "POOLER_URL=", c->pooler, sizeof c->pooler) != 0)) {
		c->pooler[0] = '\0';
		return NULL;
	}
	return harness_fmt("postgresql://postgres:postgres@127.0.0.1:%s/%s",
			   c->pooler, dbname);
}

/*
 * harness.c - runs the retort binary as a user would and inspects the
 * database with libpq, for the integration suites.
 *
 * Check forks one child per test: the admin connection is opened lazily
 * in whichever process needs it and never carried across a fork.  Every
 * database is named rt_<suite pid>_..., so the suite can drop what a
 * failed test (which exits without teardown) left behind.
 *
 * Never prints a password: connection strings only reach the child's argv.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define RUN_TIMEOUT_MS 60000
#define MAX_ARGS 64
#define MAX_DBS 16
#define MAX_OPTS 24

/* ---- state ------------------------------------------------------------ */

/* The settings that reach the server, taken from the admin connection. */
struct opt {
	char key[32];
	char *val;
};

static const char *const server_keys[] = {
	"host",	   "hostaddr", "port",	      "user",	"password",   "sslmode",
	"sslcert", "sslkey",   "sslrootcert", "sslcrl", "gssencmode", NULL,
};

static PGconn *admin;
static struct opt server_opts[MAX_OPTS];
static size_t n_server_opts;
static pid_t run_id;

/* A setting of the admin connection, if it was made (no connecting). */
static const char *known_opt(const char *key)
{
	size_t i;

	for (i = 0; i < n_server_opts; i++) {
		if (strcmp(server_opts[i].key, key) == 0)
			return server_opts[i].val;
	}
	return NULL;
}

/* ---- failure and memory ------------------------------------------------ */

/* Fail the running test; TAP needs the message on one line. */
static void fatal_check(const char *msg)
{
	char line[2048];
	size_t i;

	snprintf(line, sizeof(line), "%s", msg);
	for (i = 0; line[i] != '\0'; i++) {
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	}
	ck_abort_msg("%s", line);
}

void (*harness_fatal)(const char *msg) = fatal_check;

_Noreturn static void harness_die(const char *fmt, ...) HARNESS_PRINTF(1, 2);

_Noreturn static void harness_die(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	harness_fatal(msg);
	exit(1); /* the hook must not return */
}

/* Everything handed to a test, freed at teardown. */
static void **owned;
static size_t n_owned, cap_owned;

static void *own(void *p)
{
	if (p == NULL)
		harness_die("harness: out of memory");
	if (n_owned == cap_owned) {
		size_t cap = cap_owned ? cap_owned * 2 : 32;
		void **grown = realloc(owned, cap * sizeof(*grown));

		if (grown == NULL)
			harness_die("harness: out of memory");
		owned = grown;
		cap_owned = cap;
	}
	owned[n_owned++] = p;
	return p;
}

static void release_owned(void)
{
	while (n_owned > 0)
		free(owned[--n_owned]);
	free(owned);
	owned = NULL;
	cap_owned = 0;
}

static char *vfmt(const char *fmt, va_list ap) HARNESS_PRINTF(1, 0);

static char *vfmt(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	/* Spelled out for gcc 12, which with -fsanitize=undefined warns of a
	 * null format string otherwise. */
	if (fmt == NULL)
		harness_die("harness: no format");
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		harness_die("harness: bad format \"%s\"", fmt);
	s = own(malloc((size_t)n + 1));
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

const char *harness_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	return s;
}

/* A growable string. */
struct buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *grown;

		while (b->len + n + 1 > cap)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			harness_die("harness: out of memory");
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Hand the buffer's string to the test ("" if nothing was added). */
static char *buf_own(struct buf *b)
{
	if (b->data == NULL)
		buf_add(b, "", 0);
	return own(b->data);
}

/* Percent-encoding, for URIs. */
static void pct_add(struct buf *b, const char *s)
{
	static const char safe[] = "-._~";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char hex[4];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr(safe, c) != NULL) {
			buf_add(b, s, 1);
			continue;
		}
		snprintf(hex, sizeof(hex), "%%%02X", c);
		buf_puts(b, hex);
	}
}

/* ---- the environment --------------------------------------------------- */

static const char *env_required(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		harness_die(
			"harness: %s is not set (run the tests with meson test)",
			name);
	return v;
}

const char *harness_fixture(const char *scenario)
{
	return harness_fmt("%s/%s", env_required("RETORT_FIXTURES"), scenario);
}

/* ---- the scratch directory --------------------------------------------- */

/* The suite's directory (made before the forks) and the test's in it. */
static char *suite_dir, *tmpdir;

static char *make_dir(const char *parent, const char *prefix)
{
	char *dir = malloc(strlen(parent) + strlen(prefix) + 9);

	if (dir == NULL)
		harness_die("harness: out of memory");
	sprintf(dir, "%s/%sXXXXXX", parent, prefix);
	if (mkdtemp(dir) == NULL)
		harness_die("harness: cannot create a directory under %s: %s",
			    parent, strerror(errno));
	return dir;
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");

	return base != NULL && base[0] != '\0' ? base : "/tmp";
}

const char *harness_tmpdir(void)
{
	if (tmpdir == NULL)
		tmpdir = own(
			make_dir(suite_dir ? suite_dir : tmp_base(), "test-"));
	return tmpdir;
}

static void remove_tree(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	dir = opendir(path);
	while (dir != NULL && (e = readdir(dir)) != NULL) {
		char child[4096];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		remove_tree(child);
	}
	if (dir != NULL)
		closedir(dir);
	rmdir(path);
}

const char *harness_write_file(const char *name, const char *fmt, ...)
{
	const char *path = harness_fmt("%s/%s", harness_tmpdir(), name);
	FILE *f = fopen(path, "w");
	va_list ap;

	if (f == NULL)
		harness_die("harness: cannot write %s: %s", path,
			    strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		harness_die("harness: cannot write %s: %s", path,
			    strerror(errno));
	return path;
}

/* ---- running the binary ------------------------------------------------ */

/* Whether entry ("NAME=value") names a variable that more sets too. */
static bool set_again(const char *entry, const char *const *more, size_t m)
{
	size_t len = strcspn(entry, "=");

	for (size_t i = 0; i < m; i++)
		if (strncmp(more[i], entry, len) == 0 && more[i][len] == '=')
			return true;
	return false;
}

/*
 * The child's environment: ours without DATABASE_URL and libpq's PG*,
 * then what the test asks for, which replaces ours (ASAN_OPTIONS, say).
 */
static char **child_environ(const char *database_url, const char *const *more)
{
	size_t n = 0, i, k = 0, m = 0;
	char **envp;

	while (environ[n] != NULL)
		n++;
	while (more != NULL && more[m] != NULL)
		m++;
	envp = own(calloc(n + m + 2, sizeof(*envp)));
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "PG", 2) == 0 ||
		    strncmp(environ[i], "DATABASE_URL=", 13) == 0 ||
		    set_again(environ[i], more, m))
			continue;
		envp[k++] = environ[i];
	}
	if (database_url != NULL)
		envp[k++] =
			(char *)harness_fmt("DATABASE_URL=%s", database_url);
	for (i = 0; i < m; i++)
		envp[k++] = (char *)more[i];
	envp[k] = NULL;
	return envp;
}

/* runuser(1), which util-linux installs in /usr/sbin or /sbin; or NULL. */
static const char *runuser_path(void)
{
	static const char *const places[] = { "/usr/sbin/runuser",
					      "/sbin/runuser",
					      "/usr/bin/runuser" };

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (access(places[i], X_OK) == 0)
			return places[i];
	return NULL;
}

/* Why runs cannot be made as user, or NULL when they can. */
static const char *cannot_run_as(const char *user)
{
	struct harness_run how = { .user = user };
	const struct harness_result *r;

	if (geteuid() != 0)
		return "only root can run retort as another user";
	if (runuser_path() == NULL)
		return "runuser (util-linux) is not installed";
	if (getpwnam(user) == NULL)
		return harness_fmt("there is no user %s", user);
	if (chmod(suite_dir, 0755) != 0 || chmod(harness_tmpdir(), 0755) != 0)
		return harness_fmt("cannot open the scratch directory: %s",
				   strerror(errno));
	r = harness_retort(&how, "--version", NULL);
	if (r->exit_code != 0)
		return harness_fmt("%s cannot run %s (stderr: %s); make the "
				   "build directory and its parents "
				   "readable and searchable by others",
				   user, env_required("RETORT_BIN"),
				   harness_oneline(r->err));
	return NULL;
}

bool harness_can_run_as(const char *user)
{
	const char *why = cannot_run_as(user);
	const char *ci = getenv("CI");

	if (why == NULL)
		return true;
	if (ci != NULL && strcmp(ci, "true") == 0)
		ck_abort_msg("this test must run retort as %s under CI, but %s",
			     user, why);
	fprintf(stderr, "# not run as %s: %s\n", user, why);
	return false;
}

/* argv: the binary, the global options from how, then args. */
static const char **child_argv(const struct harness_run *how,
			       const char *const *args)
{
	const char **argv = own(calloc(MAX_ARGS + 1, sizeof(*argv)));
	size_t k = 0;

	if (how->user != NULL) {
		if (runuser_path() == NULL)
			harness_die("harness: runuser is not installed (ask "
				    "harness_can_run_as first)");
		argv[k++] = runuser_path();
		argv[k++] = "-u";
		argv[k++] = how->user;
		argv[k++] = "--";
	}
	argv[k++] = env_required("RETORT_BIN");
	if (how->url != NULL) {
		argv[k++] = "--url";
		argv[k++] = how->url;
	}
	if (how->versions != NULL) {
		argv[k++] = "--versions";
		argv[k++] = how->versions[0] == '/'
				    ? how->versions
				    : harness_fixture(how->versions);
	}
	for (; *args != NULL; args++) {
		if (k == MAX_ARGS)
			harness_die("harness: more than %d arguments",
				    MAX_ARGS);
		argv[k++] = *args;
	}
	argv[k] = NULL;
	return argv;
}

/* One argument with the server's password, raw or in a URI, masked. */
static void add_masked(struct buf *b, const char *arg, const char *password)
{
	struct buf enc = { 0 };
	const char *p;

	if (password == NULL || password[0] == '\0') {
		buf_puts(b, arg);
		return;
	}
	pct_add(&enc, password);
	while (*arg != '\0') {
		if ((p = password, strncmp(arg, p, strlen(p)) == 0) ||
		    (p = enc.data, strncmp(arg, p, strlen(p)) == 0)) {
			buf_puts(b, "***");
			arg += strlen(p);
			continue;
		}
		buf_add(b, arg++, 1);
	}
	free(enc.data);
}

/* The command line for failure messages, never showing the password. */
static char *join_argv(const char **argv)
{
	const char *password = known_opt("password");
	struct buf b = { 0 };

	for (; *argv != NULL; argv++) {
		add_masked(&b, *argv, password);
		if (argv[1] != NULL)
			buf_puts(&b, " ");
	}
	return buf_own(&b);
}

static void exec_child(const char *cwd, const char **argv, char **envp,
		       int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(126);
	if (chdir(cwd) != 0) {
		dprintf(2, "harness: cannot chdir to %s: %s\n", cwd,
			strerror(errno));
		_exit(126);
	}
	execve(argv[0], (char *const *)argv, envp);
	dprintf(2, "harness: cannot execute %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

long harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Read one ready pipe; returns false at end of file. */
static bool drain(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	buf_add(b, chunk, (size_t)n);
	return true;
}

/* Read stdout and stderr together until both close or time runs out. */
static bool collect(int out_fd, int err_fd, struct buf *out, struct buf *err)
{
	struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN },
			       { .fd = err_fd, .events = POLLIN } };
	const char *limit = getenv("RETORT_TEST_RUN_TIMEOUT_MS");
	/* A suite whose runs are long (a fleet of hundreds) sets its own. */
	long deadline =
		harness_now_ms() +
		(limit && atol(limit) > 0 ? atol(limit) : RUN_TIMEOUT_MS);

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		long left = deadline - harness_now_ms();
		int i;

		if (left <= 0)
			return false;
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			harness_die("harness: poll: %s", strerror(errno));
		for (i = 0; i < 2; i++) {
			if (p[i].fd >= 0 && p[i].revents != 0 &&
			    !drain(p[i].fd, i == 0 ? out : err))
				p[i].fd = -1;
		}
	}
	return true;
}

static void reap(pid_t pid, bool in_time, struct harness_result *r)
{
	int status;

	if (!in_time) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		r->timed_out = true;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			harness_die("harness: waitpid: %s", strerror(errno));
	}
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* A started run: its pid, the read ends of its pipes, its result. */
struct harness_proc {
	pid_t pid;
	int out_fd, err_fd;
	struct harness_result *r;
};

pid_t harness_proc_pid(const struct harness_proc *p)
{
	return p->pid;
}

/* A pipe whose read end a later child does not inherit. */
static void open_pipe(int fds[2])
{
	if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0)
		harness_die("harness: pipe: %s", strerror(errno));
}

struct harness_proc *harness_spawn(const struct harness_run *how,
				   const char *const *args)
{
	struct harness_proc *p = own(calloc(1, sizeof(*p)));
	const char **argv = child_argv(how, args);
	char **envp = child_environ(how->database_url, how->env);
	const char *cwd = how->cwd ? how->cwd : harness_tmpdir();
	int po[2], pe[2];

	p->r = own(calloc(1, sizeof(*p->r)));
	p->r->cmdline = join_argv(argv);
	open_pipe(po);
	open_pipe(pe);
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		harness_die("harness: fork: %s", strerror(errno));
	if (p->pid == 0)
		exec_child(cwd, argv, envp, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	p->out_fd = po[0];
	p->err_fd = pe[0];
	return p;
}

void harness_signal(struct harness_proc *p, int sig)
{
	if (kill(-p->pid, sig) != 0)
		harness_die("harness: kill: %s", strerror(errno));
}

const struct harness_result *harness_wait(struct harness_proc *p)
{
	struct buf out = { 0 }, err = { 0 };
	bool in_time = collect(p->out_fd, p->err_fd, &out, &err);

	close(p->out_fd);
	close(p->err_fd);
	reap(p->pid, in_time, p->r);
	p->r->out = buf_own(&out);
	p->r->err = buf_own(&err);
	return p->r;
}

pid_t harness_pid(const struct harness_proc *p)
{
	return p->pid;
}

pid_t harness_child_of(pid_t parent)
{
	char path[64];
	long child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
		 (long)parent, (long)parent);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &child) != 1)
		child = 0;
	fclose(f);
	return (pid_t)child;
}

const struct harness_result *harness_retortv(const struct harness_run *how,
					     const char *const *args)
{
	return harness_wait(harness_spawn(how, args));
}

const struct harness_result *harness_retort(const struct harness_run *how, ...)
{
	const char *args[MAX_ARGS + 1];
	size_t k = 0;
	va_list ap;

	va_start(ap, how);
	while ((args[k] = va_arg(ap, const char *)) != NULL) {
		if (++k == MAX_ARGS)
			harness_die("harness: more than %d arguments",
				    MAX_ARGS);
	}
	va_end(ap);
	return harness_retortv(how, args);
}

const struct harness_result *harness_at(const struct harness_db *db,
					const char *scenario, ...)
{
	struct harness_run how = { .url = db ? db->url : NULL,
				   .versions = scenario };
	const char *args[MAX_ARGS + 1];
	size_t k = 0;
	va_list ap;

	va_start(ap, scenario);
	while ((args[k] = va_arg(ap, const char *)) != NULL) {
		if (++k == MAX_ARGS)
			harness_die("harness: more than %d arguments",
				    MAX_ARGS);
	}
	va_end(ap);
	return harness_retortv(&how, args);
}

/* ---- looking at output -------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *harness_sorted_lines(const char *text)
{
	char *copy = (char *)harness_fmt("%s", text);
	const char **lines = own(calloc(strlen(text) + 1, sizeof(*lines)));
	struct buf b = { 0 };
	size_t n = 0, i;
	char *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++) {
		buf_puts(&b, lines[i]);
		buf_puts(&b, "\n");
	}
	return buf_own(&b);
}

const char *harness_oneline(const char *s)
{
	struct buf b = { 0 };
	size_t n = 0;

	if (s == NULL)
		return "(null)";
	for (; *s != '\0' && n < 4096; s++, n++) {
		if (*s == '\n')
			buf_puts(&b, "\\n");
		else if (*s == '\t')
			buf_puts(&b, "\\t");
		else
			buf_add(&b, s, 1);
	}
	if (*s != '\0')
		buf_puts(&b, "...");
	return buf_own(&b);
}

bool harness_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool harness_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool harness_has_number(const char *text, const char *number)
{
	size_t n = strlen(number);
	const char *p;

	for (p = strstr(text, number); p != NULL; p = strstr(p + 1, number)) {
		if ((p == text || !is_digit(p[-1])) && !is_digit(p[n]))
			return true;
	}
	return false;
}

/* ---- the server and URLs ----------------------------------------------- */

static void admin_close(void)
{
	PQfinish(admin);
	admin = NULL;
}

static bool wanted_key(const char *key, const char *val)
{
	size_t i;

	if (val == NULL || val[0] == '\0')
		return false;
	/* libpq's defaults need no spelling out, and keep URLs short. */
	if ((strcmp(key, "sslmode") == 0 && strcmp(val, "prefer") == 0) ||
	    (strcmp(key, "gssencmode") == 0 && strcmp(val, "prefer") == 0))
		return false;
	for (i = 0; server_keys[i] != NULL; i++) {
		if (strcmp(key, server_keys[i]) == 0)
			return true;
	}
	return false;
}

/*
 * PQconninfo() reports what the connection really used, including what
 * came from PG* variables and .pgpass, which the children do not see.
 */
static void remember_server(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;

	if (opts == NULL)
		harness_die("harness: PQconninfo: out of memory");
	for (o = opts; o->keyword != NULL; o++) {
		struct opt *s;

		if (!wanted_key(o->keyword, o->val) ||
		    n_server_opts == MAX_OPTS)
			continue;
		s = &server_opts[n_server_opts++];
		snprintf(s->key, sizeof(s->key), "%s", o->keyword);
		s->val = strdup(o->val);
		if (s->val == NULL)
			harness_die("harness: out of memory");
	}
	PQconninfoFree(opts);
}

/* Connect with the admin URL; NULL and *why on failure. */
static PGconn *admin_try(const char **why)
{
	const char *url = getenv("RETORT_TEST_DATABASE_URL");

	if (admin != NULL)
		return admin;
	admin = PQconnectdb(url ? url : "");
	if (PQstatus(admin) != CONNECTION_OK) {
		*why = PQerrorMessage(admin);
		return NULL;
	}
	if (n_server_opts == 0)
		remember_server(admin);
	return admin;
}

static PGconn *admin_conn(void)
{
	const char *why = "";
	PGconn *conn = admin_try(&why);

	if (conn == NULL)
		harness_die(
			"harness: cannot connect with RETORT_TEST_DATABASE_URL: %s",
			why);
	return conn;
}

static const char *server_opt(const char *key)
{
	admin_conn();
	return known_opt(key);
}

const char *const *harness_pg_env(const char *dbname)
{
	static const char *const map[][2] = {
		{ "host", "PGHOST" },	      { "hostaddr", "PGHOSTADDR" },
		{ "port", "PGPORT" },	      { "user", "PGUSER" },
		{ "password", "PGPASSWORD" }, { "sslmode", "PGSSLMODE" },
	};
	size_t n = sizeof(map) / sizeof(map[0]), i, k = 0;
	const char **env = own(calloc(n + 2, sizeof(*env)));

	for (i = 0; i < n; i++) {
		const char *v = server_opt(map[i][0]);

		if (v != NULL)
			env[k++] = harness_fmt("%s=%s", map[i][1], v);
	}
	env[k++] = harness_fmt("PGDATABASE=%s", dbname);
	env[k] = NULL;
	return env;
}

const char *harness_server_host(void)
{
	const char *host = server_opt("host");

	return host ? host : "";
}

const char *harness_server_port(void)
{
	const char *port = server_opt("port");

	return port ? port : "5432";
}

/* The options of one URL: the server's, then overrides. */
struct url_opts {
	const char *key[MAX_OPTS];
	const char *val[MAX_OPTS];
	size_t n;
};

static void url_set(struct url_opts *u, const char *key, const char *val)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (strcmp(u->key[i], key) == 0) {
			u->val[i] = val;
			return;
		}
	}
	if (u->n == MAX_OPTS)
		harness_die("harness: too many connection options");
	u->key[u->n] = key;
	u->val[u->n++] = val;
}

static const char *url_get(const struct url_opts *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (strcmp(u->key[i], key) == 0)
			return u->val[i];
	}
	return NULL;
}

/* Single-quoted keyword/value syntax: \ and ' escaped. */
static void kv_add(struct buf *b, const char *key, const char *val)
{
	if (b->len > 0)
		buf_puts(b, " ");
	buf_puts(b, key);
	buf_puts(b, "='");
	for (; *val != '\0'; val++) {
		if (*val == '\\' || *val == '\'')
			buf_add(b, "\\", 1);
		buf_add(b, val, 1);
	}
	buf_puts(b, "'");
}

static bool in_authority(const char *key, const char *host)
{
	if (strcmp(key, "user") == 0 || strcmp(key, "password") == 0 ||
	    strcmp(key, "port") == 0 || strcmp(key, "dbname") == 0)
		return true;
	/* A socket directory goes in the query: ?host=/path. */
	return strcmp(key, "host") == 0 && host[0] != '/';
}

static void uri_authority(struct buf *b, const struct url_opts *u)
{
	const char *user = url_get(u, "user");
	const char *password = url_get(u, "password");
	const char *host = url_get(u, "host");
	const char *port = url_get(u, "port");

	if (user != NULL) {
		pct_add(b, user);
		if (password != NULL) {
			buf_puts(b, ":");
			pct_add(b, password);
		}
		buf_puts(b, "@");
	}
	if (host != NULL && host[0] != '/') {
		bool v6 = strchr(host, ':') != NULL;

		buf_puts(b, v6 ? "[" : "");
		buf_puts(b, host);
		buf_puts(b, v6 ? "]" : "");
	}
	if (port != NULL) {
		buf_puts(b, ":");
		buf_puts(b, port);
	}
}

static char *render_uri(const struct url_opts *u)
{
	const char *host = url_get(u, "host");
	struct buf b = { 0 };
	char sep = '?';
	size_t i;

	buf_puts(&b, "postgresql://");
	uri_authority(&b, u);
	buf_puts(&b, "/");
	pct_add(&b, url_get(u, "dbname"));
	for (i = 0; i < u->n; i++) {
		if (in_authority(u->key[i], host ? host : ""))
			continue;
		buf_add(&b, &sep, 1);
		buf_puts(&b, u->key[i]);
		buf_puts(&b, "=");
		pct_add(&b, u->val[i]);
		sep = '&';
	}
	return buf_own(&b);
}

static char *render_kv(const struct url_opts *u)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < u->n; i++)
		kv_add(&b, u->key[i], u->val[i]);
	return buf_own(&b);
}

static const char *url_va(bool kv, const char *dbname, va_list ap)
{
	struct url_opts u = { .n = 0 };
	const char *key;
	size_t i;

	admin_conn();
	for (i = 0; i < n_server_opts; i++)
		url_set(&u, server_opts[i].key, server_opts[i].val);
	url_set(&u, "dbname", dbname);
	while ((key = va_arg(ap, const char *)) != NULL)
		url_set(&u, key, va_arg(ap, const char *));
	return kv ? render_kv(&u) : render_uri(&u);
}

const char *harness_url(bool kv, const char *dbname, ...)
{
	va_list ap;
	const char *url;

	va_start(ap, dbname);
	url = url_va(kv, dbname, ap);
	va_end(ap);
	return url;
}

const char *harness_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		harness_die("harness: cannot find a free port: %s",
			    strerror(errno));
	close(fd);
	return harness_fmt("%u", (unsigned)ntohs(sa.sin_port));
}

const char *harness_silent_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* Never accepted: the kernel completes handshakes into the backlog. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		harness_die("harness: cannot listen on a port: %s",
			    strerror(errno));
	return harness_fmt("%u", (unsigned)ntohs(sa.sin_port));
}

/* ---- databases ---------------------------------------------------------- */

static struct harness_db *dbs[MAX_DBS];
static size_t n_dbs;

static void admin_exec(const char *sql)
{
	PGresult *res = PQexec(admin_conn(), sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		harness_die("harness: %s: %s", sql, msg);
}

/* rt_<suite pid>_<pid>_<n>_<test>, lower-case, within NAMEDATALEN. */
static char *db_name(const char *test)
{
	static unsigned counter;
	char *name = (char *)harness_fmt("rt_%ld_%ld_%u_%.40s", (long)run_id,
					 (long)getpid(), ++counter, test);
	char *p;

	if (strlen(name) > 63)
		name[63] = '\0';
	for (p = name; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	return name;
}

void harness_drop_database(const char *name)
{
	char *ident = PQescapeIdentifier(admin_conn(), name, strlen(name));

	if (ident == NULL)
		harness_die("harness: cannot quote \"%s\"", name);
	admin_exec(
		harness_fmt("DROP DATABASE IF EXISTS %s WITH (FORCE)", ident));
	PQfreemem(ident);
}

static void create_database(const char *name)
{
	char *ident = PQescapeIdentifier(admin_conn(), name, strlen(name));

	if (ident == NULL)
		harness_die("harness: cannot quote \"%s\"", name);
	admin_exec(harness_fmt("CREATE DATABASE %s", ident));
	PQfreemem(ident);
}

const struct harness_db *harness_db_fresh(const char *test)
{
	struct harness_db *db = own(calloc(1, sizeof(*db)));

	if (n_dbs == MAX_DBS)
		harness_die("harness: more than %d databases in one test",
			    MAX_DBS);
	db->name = db_name(test);
	create_database(db->name);
	dbs[n_dbs++] = db;
	db->url = harness_url(false, db->name, NULL);
	db->conninfo = harness_url(true, db->name, NULL);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK)
		harness_die("harness: cannot connect to %s: %s", db->name,
			    PQerrorMessage(db->conn));
	return db;
}

static void drop_all(void)
{
	while (n_dbs > 0) {
		struct harness_db *db = dbs[--n_dbs];

		PQfinish(db->conn);
		db->conn = NULL;
		harness_drop_database(db->name);
	}
}

/* Drop every database of this suite run that a failed test left. */
static void drop_leftovers(void)
{
	const char *prefix = harness_fmt("rt_%ld_", (long)run_id);
	const char *params[1] = { prefix };
	PGresult *res = PQexecParams(
		admin_conn(),
		"SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1",
		1, NULL, params, NULL, NULL, 0);
	int i;

	for (i = 0; i < PQntuples(res); i++)
		harness_drop_database(harness_fmt("%s", PQgetvalue(res, i, 0)));
	PQclear(res);
}

void harness_test_teardown(void)
{
	drop_all();
	admin_close();
	if (tmpdir != NULL)
		remove_tree(tmpdir);
	tmpdir = NULL;
	release_owned();
}

/* ---- queries ------------------------------------------------------------ */

static PGresult *query(const struct harness_db *db, const char *sql,
		       int nparams, const char *const *params)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL,
				     NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		PQclear(res);
		harness_die("harness: query failed: %s\n%s", sql, msg);
	}
	return res;
}

void harness_exec(const struct harness_db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
	PQclear(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		harness_die("harness: %s: %s", sql, msg);
}

static const char *scalar_params(const struct harness_db *db, const char *sql,
				 int nparams, const char *const *params)
{
	PGresult *res = query(db, sql, nparams, params);
	const char *v = "";

	if (PQntuples(res) > 0 && PQnfields(res) > 0)
		v = PQgetisnull(res, 0, 0)
			    ? NULL
			    : harness_fmt("%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

const char *harness_scalar(const struct harness_db *db, const char *sql)
{
	return scalar_params(db, sql, 0, NULL);
}

long harness_count(const struct harness_db *db, const char *sql)
{
	PGresult *res = query(db, sql, 0, NULL);
	long n = PQntuples(res);

	PQclear(res);
	return n;
}

bool harness_table_exists(const struct harness_db *db, const char *name)
{
	const char *params[1] = { name };

	return strcmp(scalar_params(db, "SELECT to_regclass($1) IS NOT NULL", 1,
				    params),
		      "t") == 0;
}

const char *harness_versions(const struct harness_db *db, const char *table)
{
	const char *params[1] = { table ? table : "alembic_version" };
	const char *v;

	if (!harness_table_exists(db, params[0]))
		return NULL;
	/* to_regclass() has resolved the name: it is safe to splice. */
	v = scalar_params(
		db,
		harness_fmt("SELECT string_agg(version_num::text, ',' "
			    "ORDER BY version_num::text) FROM %s",
			    scalar_params(db, "SELECT to_regclass($1)::text", 1,
					  params)),
		0, NULL);
	return v ? v : "";
}

/* ---- main --------------------------------------------------------------- */

TCase *harness_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, harness_test_teardown);
	/* Each test creates a database and runs the binary several times. */
	tcase_set_timeout(tc, 120);
	return tc;
}

/* After the tests, outside any test: report and stop. */
static void fatal_print(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	exit(1);
}

static int bail(const char *why)
{
	printf("Bail out! %s\n", why);
	return 1;
}

/* 0 to run, 1 to stop with the status in *status. */
static int check_env(enum harness_needs needs, int *status)
{
	const char *url = getenv("RETORT_TEST_DATABASE_URL");
	const char *req = getenv("RETORT_REQUIRE_DB");
	const char *bin = getenv("RETORT_BIN");
	const char *why = "";

	if (bin == NULL || access(bin, X_OK) != 0) {
		*status = bail("RETORT_BIN does not name the retort binary");
		return 1;
	}
	if (needs == HARNESS_NO_DB)
		return 0;
	if (url == NULL || url[0] == '\0') {
		if (req != NULL && strcmp(req, "1") == 0) {
			*status = bail(
				"RETORT_REQUIRE_DB=1 but RETORT_TEST_DATABASE_URL is not set");
			return 1;
		}
		printf("1..0 # SKIP no DATABASE_URL\n");
		*status = 0;
		return 1;
	}
	if (admin_try(&why) == NULL) {
		printf("Bail out! cannot connect with RETORT_TEST_DATABASE_URL: "
		       "%s\n",
		       harness_oneline(why));
		*status = 1;
		return 1;
	}
	return 0;
}

int harness_main(Suite *suite, enum harness_needs needs)
{
	SRunner *sr;
	int status = 0, failed;

	run_id = getpid();
	if (check_env(needs, &status) != 0) {
		admin_close();
		srunner_free(srunner_create(suite)); /* frees the suite */
		return status;
	}
	admin_close(); /* never share a connection with the forked tests */
	suite_dir = make_dir(tmp_base(), "retort-test-");
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	harness_fatal = fatal_print;
	if (needs == HARNESS_NEEDS_DB) {
		drop_leftovers();
		admin_close();
	}
	remove_tree(suite_dir);
	free(suite_dir);
	release_owned();
	return failed == 0 ? 0 : 1;
}

void harness_wait_for(const struct harness_db *db, const char *sql,
		      const char *want)
{
	const char *got = NULL;

	for (int i = 0; i < 600; i++) {
		got = harness_scalar(db, sql);
		if (got && strcmp(got, want) == 0)
			return;
		harness_sleep_ms(50);
	}
	ck_abort_msg("waited 30 s for %s to be \"%s\"; it is \"%s\"", sql, want,
		     got ? got : "(null)");
}

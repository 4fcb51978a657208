/*
 * harness.h - what the integration tests stand on: run the real retort
 * binary and look into a real PostgreSQL database afterwards.
 *
 * Inputs come from the environment that tests/integration/meson.build
 * sets: RETORT_BIN (the runner), RETORT_FIXTURES (the build directory of
 * tests/fixtures), and RETORT_TEST_DATABASE_URL (an admin connection that
 * may CREATE DATABASE; without it the suites skip, or fail when
 * RETORT_REQUIRE_DB=1).
 *
 * Everything the harness returns is owned by the harness and stays valid
 * until the end of the test (harness_test_teardown), so tests never free.
 * A harness failure (no database, a query error) fails the current test.
 */
#ifndef RETORT_TEST_HARNESS_H
#define RETORT_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <string.h>
#include <sys/types.h>

#include <check.h>
#include <libpq-fe.h>

#if defined(__GNUC__)
#define HARNESS_SENTINEL __attribute__((sentinel))
#define HARNESS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HARNESS_SENTINEL
#define HARNESS_PRINTF(f, a)
#endif

/* What one run of the binary produced. */
struct harness_result {
	int exit_code;	/* the exit status, or -1 if it did not exit */
	int signal;	/* the signal that killed it, or 0 */
	bool timed_out; /* killed by the harness after the timeout */
	char *out;	/* everything on stdout, NUL-terminated */
	char *err;	/* everything on stderr, NUL-terminated */
	char *cmdline;	/* the argv, space-joined, for failure messages */
};

/* How to run it.  Every field may be NULL. */
struct harness_run {
	const char *cwd;	  /* NULL: the test's own empty directory */
	const char *database_url; /* DATABASE_URL for the child; NULL: unset */
	const char *url;	  /* passed as --url */
	const char *versions;	  /* a fixture scenario name, or an absolute
				     path; passed as --versions */
	const char *const *env;	  /* more "NAME=value" for the child, NULL
				     terminated; may set PG* variables */
	const char *user;	  /* run as this user, through runuser (see
				     harness_can_run_as) */
};

/*
 * Run RETORT_BIN with the global options from `how`, then the NULL
 * terminated arguments.  The child gets the test's environment without
 * DATABASE_URL and PG* variables (plus how->database_url), /dev/null as
 * stdin, and 60 seconds.
 */
const struct harness_result *harness_retort(const struct harness_run *how,
					    ...) HARNESS_SENTINEL;
const struct harness_result *harness_retortv(const struct harness_run *how,
					     const char *const *args);

/*
 * The same in two steps, for runs that overlap: start it, then collect
 * its result (which harness_wait returns, owned by the harness).  Output
 * is read only in harness_wait, so keep it under the pipe's 64 KiB.
 */
struct harness_proc;
struct harness_proc *harness_spawn(const struct harness_run *how,
				   const char *const *args);
const struct harness_result *harness_wait(struct harness_proc *p);
/* The process id of a spawned run; it leads a process group of its own,
 * so kill(-pid, ...) reaches its worker too. */
pid_t harness_proc_pid(const struct harness_proc *p);

/*
 * Send sig to a started run's process group, as a terminal's Ctrl-C
 * (SIGINT) reaches every process of the foreground job.
 */
void harness_signal(struct harness_proc *p, int sig);

/* The process id of a run harness_spawn started, until harness_wait. */
pid_t harness_pid(const struct harness_proc *p);

/* A child process of parent (the first /proc lists), or 0 for none. */
pid_t harness_child_of(pid_t parent);

struct harness_db;

/*
 * The usual run: --url db->url --versions <scenario>, then the arguments.
 * db may be NULL (no --url).
 */
const struct harness_result *harness_at(const struct harness_db *db,
					const char *scenario,
					...) HARNESS_SENTINEL;

/* The lines of text sorted, for output whose order is not specified. */
const char *harness_sorted_lines(const char *text);

bool harness_starts_with(const char *s, const char *prefix);
bool harness_ends_with(const char *s, const char *suffix);

/* Whether text holds the number as a whole token (not inside "1999"). */
bool harness_has_number(const char *text, const char *number);

/* A fresh database of this test and its connection. */
struct harness_db {
	const char *name;
	const char *url;      /* postgresql:// URI, as users write it */
	const char *conninfo; /* the same as keyword/value string */
	PGconn *conn;	      /* open, for the test's own queries */
};

/*
 * CREATE DATABASE a fresh, uniquely named database for the running test
 * (test is a label, usually __func__).  Dropped WITH (FORCE) by
 * harness_test_teardown, or at the end of the suite if the test failed.
 */
const struct harness_db *harness_db_fresh(const char *test);

/*
 * A connection URL for database `dbname` on the test server, with the
 * NULL-terminated keyword/value pairs overriding the server's own
 * (e.g. "port", "1", "user", "nobody", NULL).  kv chooses the
 * keyword/value form instead of a URI.
 */
const char *harness_url(bool kv, const char *dbname, ...) HARNESS_SENTINEL;

/*
 * libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) that
 * reach database dbname on the test server, for harness_run.env.
 */
const char *const *harness_pg_env(const char *dbname);

/* The server's host and port as the tests reach it. */
const char *harness_server_host(void);
const char *harness_server_port(void);

/* A TCP port on 127.0.0.1 where nothing listens (bound, then released). */
const char *harness_free_port(void);

/*
 * A TCP port on 127.0.0.1 that takes connections and never answers, as a
 * hung server or a firewall that swallows packets after the handshake.
 * It listens until the test process ends.
 */
const char *harness_silent_port(void);

/* The monotonic clock in milliseconds, and a sleep that a signal does not
 * cut short. */
long harness_now_ms(void);
void harness_sleep_ms(long ms);

/*
 * Whether runs may set harness_run.user = user: the tests run as root,
 * runuser and the user exist, and the user can run RETORT_BIN.  Opens the
 * test's scratch directory to that user (mode 0755, as mkdtemp makes it
 * 0700).  Permission tests use it so that, run as root, they still test
 * what a user without root would meet.  When false it says why on stderr;
 * under CI (CI=true) it fails the test instead, so nothing is skipped
 * unseen there.
 */
bool harness_can_run_as(const char *user);

/* Run SQL that must succeed. */
void harness_exec(const struct harness_db *db, const char *sql);

/* The first column of the first row, "" for no row, NULL for SQL NULL. */
const char *harness_scalar(const struct harness_db *db, const char *sql);

/*
 * Wait (30 s at most, polling every 50 ms) until sql's first column of
 * the first row is want; fails the test, saying what it last read,
 * otherwise.
 */
void harness_wait_for(const struct harness_db *db, const char *sql,
		      const char *want);

/* The number of rows `sql` returns. */
long harness_count(const struct harness_db *db, const char *sql);

/* Whether a table exists; name may be schema-qualified. */
bool harness_table_exists(const struct harness_db *db, const char *name);

/*
 * The version table's rows, sorted and comma-joined ("" when empty), or
 * NULL when the table does not exist.  table may be schema-qualified; NULL
 * means alembic_version.
 */
const char *harness_versions(const struct harness_db *db, const char *table);

/* Absolute path of a fixture scenario's plugin directory. */
const char *harness_fixture(const char *scenario);

/* This test's own empty scratch directory (created on first use). */
const char *harness_tmpdir(void);

/* Write a file under the scratch directory; returns its path. */
const char *harness_write_file(const char *name, const char *fmt, ...)
	HARNESS_PRINTF(2, 3);

/* printf into harness-owned memory. */
const char *harness_fmt(const char *fmt, ...) HARNESS_PRINTF(1, 2);

/* DROP DATABASE name WITH (FORCE), if it exists. */
void harness_drop_database(const char *name);

/* Free what the test used and drop its databases; a checked teardown. */
void harness_test_teardown(void);

/*
 * A test case whose tests each get harness_test_teardown and a timeout
 * long enough for a database and several runs.
 */
TCase *harness_tcase(const char *name);

/* Whether the suite can reach a database: see harness_main(). */
enum harness_needs { HARNESS_NO_DB = 0, HARNESS_NEEDS_DB = 1 };

/*
 * The whole main() of a suite: checks the environment (skipping without a
 * database unless RETORT_REQUIRE_DB=1), runs the suite with CK_ENV and
 * returns the exit status.
 */
int harness_main(Suite *suite, enum harness_needs needs);

/* Called on harness errors; defaults to failing the Check test. */
extern void (*harness_fatal)(const char *msg);

/*
 * One line for a TAP report: newlines and tabs escaped, NULL as (null),
 * cut short past a few kilobytes.
 */
const char *harness_oneline(const char *s);

/*
 * Assertions that show the whole run when they fail: the command line,
 * exit status, stdout and stderr.  Each evaluates its arguments once, and
 * keeps its message on one line, as TAP needs.
 */
#define assert_exit(r, code)                                                   \
	do {                                                                   \
		const struct harness_result *r_ = (r);                         \
		int c_ = (code);                                               \
		ck_assert_msg(r_->exit_code == c_,                             \
			      "expected exit %d, got %d (signal %d%s) from: "  \
			      "%s | stdout: \"%s\" | stderr: \"%s\"",          \
			      c_, r_->exit_code, r_->signal,                   \
			      r_->timed_out ? ", timed out" : "", r_->cmdline, \
			      harness_oneline(r_->out),                        \
			      harness_oneline(r_->err));                       \
	} while (0)

/* Success: exit 0, nothing on stderr. */
#define assert_ok(r)                                                           \
	do {                                                                   \
		const struct harness_result *ro_ = (r);                        \
		assert_exit(ro_, 0);                                           \
		ck_assert_msg(                                                 \
			ro_->err[0] == '\0',                                   \
			"expected empty stderr from: %s | stderr: \"%s\"",     \
			ro_->cmdline, harness_oneline(ro_->err));              \
	} while (0)

#define assert_str_eq(got, want)                                               \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		ck_assert_msg(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0, \
			      "%s is \"%s\", expected \"%s\"", #got,           \
			      harness_oneline(g_), harness_oneline(w_));       \
	} while (0)

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		ck_assert_msg(strstr(h_, n_) != NULL,                          \
			      "expected %s to contain \"%s\"; it is \"%s\"",   \
			      #hay, harness_oneline(n_), harness_oneline(h_)); \
	} while (0)

#define assert_not_contains(hay, needle)                                       \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		ck_assert_msg(                                                 \
			strstr(h_, n_) == NULL,                                \
			"expected %s not to contain \"%s\"; it is \"%s\"",     \
			#hay, harness_oneline(n_), harness_oneline(h_));       \
	} while (0)

#define assert_starts_with(s, prefix)                                          \
	do {                                                                   \
		const char *s_ = (s), *p_ = (prefix);                          \
		ck_assert_msg(                                                 \
			harness_starts_with(s_, p_),                           \
			"expected %s to start with \"%s\"; it is \"%s\"", #s,  \
			harness_oneline(p_), harness_oneline(s_));             \
	} while (0)

#define assert_ends_with(s, suffix)                                            \
	do {                                                                   \
		const char *s_ = (s), *x_ = (suffix);                          \
		ck_assert_msg(harness_ends_with(s_, x_),                       \
			      "expected %s to end with \"%s\"; it is \"%s\"",  \
			      #s, harness_oneline(x_), harness_oneline(s_));   \
	} while (0)

#endif

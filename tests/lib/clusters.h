/*
 * clusters.h - extra PostgreSQL clusters for a suite that needs more than
 * the one server of RETORT_TEST_DATABASE_URL (the fleet suites: targets
 * on several hosts).  Each is a scripts/dev-db cluster in memory
 * (start --tmpfs) with a state directory of its own under
 * RETORT_CLUSTER_DIR, started once by the suite's main() before the tests
 * and destroyed after them, and also at exit or on SIGINT/SIGTERM/SIGHUP
 * (meson's timeout), so that a failing suite leaves no server behind.
 *
 * Cluster 0 is always the test server itself; 1..n are the extra ones.
 * All of them take the user postgres with password postgres (dev-db's).
 */
#ifndef RETORT_TEST_CLUSTERS_H
#define RETORT_TEST_CLUSTERS_H

#include <stdbool.h>

/*
 * Start n extra clusters (scripts/dev-db at RETORT_DEV_DB).  Call from
 * main() before harness_main(), without a database skip that: a cluster
 * that cannot start is a failure (the suite prints "Bail out!"), never a
 * skip.  Returns 0, or -1 after saying why on stderr.
 */
int clusters_start(int n);

/* How many clusters there are, the test server included. */
int clusters_count(void);

/* Stop and remove the extra clusters; safe to call again. */
void clusters_stop(void);

/*
 * Stop cluster i (1..n) now, keeping its data, or start it again on the
 * same port: a host going away in the middle of a run.  Return 0 or -1.
 */
int clusters_pause(int i);
int clusters_resume(int i);

/*
 * A postgresql:// URL for database dbname on cluster i, with the
 * password; the string lives until clusters_stop().
 */
const char *clusters_url(int i, const char *dbname);

/* The host:port of cluster i, as the runner's per-host limit counts it. */
const char *clusters_host_port(int i);

/*
 * Start a PgBouncer (transaction pooling, scripts/dev-db pgbouncer start)
 * in front of cluster i (1..n); its URL for dbname, or NULL on failure.
 * clusters_stop() stops it with the cluster.
 */
const char *clusters_pooler_url(int i, const char *dbname);

#endif

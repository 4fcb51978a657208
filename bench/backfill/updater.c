/*
 * bench/backfill/updater.c - the concurrent client of the backfill
 * benchmark: single-row updates of random rows of t, one after another
 * with a short pause, each timed, until SIGTERM or SIGINT.  Prints one
 * JSON line: how many updates, the worst wait, the 99th percentile.
 *
 *   updater CONNINFO MAX_ID [PAUSE_MS]
 *
 * Built by bench/backfill/run.py with cc and libpq; standard C otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libpq-fe.h>

#define MAX_SAMPLES (1 << 22)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double *samples = malloc(MAX_SAMPLES * sizeof(*samples));
	long max_id, pause = 5;
	size_t n = 0, failed = 0;
	PGconn *conn;

	if (argc < 3 || !samples) {
		fprintf(stderr, "usage: updater CONNINFO MAX_ID [PAUSE_MS]\n");
		return 2;
	}
	max_id = atol(argv[2]);
	if (argc > 3)
		pause = atol(argv[3]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "updater: %s", PQerrorMessage(conn));
		return 1;
	}
	PQclear(PQprepare(conn, "u", "UPDATE t SET c = c + 1 WHERE id = $1", 1,
			  NULL));
	srand(42);
	/* Ready: the driver starts the work under test after this line. */
	printf("ready\n");
	fflush(stdout);
	while (!stop && n < MAX_SAMPLES) {
		char id[32];
		const char *params[] = { id };
		double t0 = now_ms();
		PGresult *res;

		snprintf(id, sizeof(id), "%ld",
			 1 + (long)((double)rand() / RAND_MAX * (max_id - 1)));
		res = PQexecPrepared(conn, "u", 1, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			failed++;
		PQclear(res);
		samples[n++] = now_ms() - t0;
		pause_ms(pause);
	}
	qsort(samples, n, sizeof(*samples), cmp);
	printf("{\"updates\": %zu, \"failed\": %zu, \"max_ms\": %.1f, "
	       "\"p99_ms\": %.1f, \"median_ms\": %.2f}\n",
	       n, failed, n ? samples[n - 1] : 0.0,
	       n ? samples[(size_t)((double)(n - 1) * 0.99)] : 0.0,
	       n ? samples[n / 2] : 0.0);
	PQfinish(conn);
	free(samples);
	return 0;
}

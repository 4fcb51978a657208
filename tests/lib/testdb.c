/*
 * testdb - a fresh database for the shell tests, from the same admin URL
 * and naming as the C suites.
 *
 *   testdb create LABEL   prints the database name, then its URL
 *   testdb drop NAME      drops it (WITH (FORCE))
 *   testdb scalar NAME SQL  prints the first column of the first row
 *
 * Exit 0 on success, 1 on a database error, 2 on usage, 77 when
 * RETORT_TEST_DATABASE_URL is unset (the caller skips).
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static void fatal_exit(const char *msg)
{
	fprintf(stderr, "testdb: %s\n", msg);
	exit(1);
}

static int create(const char *label)
{
	const struct harness_db *db = harness_db_fresh(label);

	printf("%s\n%s\n", db->name, db->url);
	PQfinish(db->conn);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int scalar(const char *name, const char *sql)
{
	struct harness_db db = { .name = name };
	const char *v;

	db.conn = PQconnectdb(harness_url(true, name, NULL));
	if (PQstatus(db.conn) != CONNECTION_OK)
		fatal_exit(PQerrorMessage(db.conn));
	v = harness_scalar(&db, sql);
	printf("%s\n", v ? v : "");
	PQfinish(db.conn);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *url = getenv("RETORT_TEST_DATABASE_URL");

	harness_fatal = fatal_exit;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: testdb create LABEL | drop NAME | "
				"scalar NAME SQL\n");
		return 2;
	}
	if (url == NULL || url[0] == '\0')
		return 77;
	if (strcmp(argv[1], "create") == 0 && argc == 3)
		return create(argv[2]);
	if (strcmp(argv[1], "drop") == 0 && argc == 3) {
		harness_drop_database(argv[2]);
		return 0;
	}
	if (strcmp(argv[1], "scalar") == 0 && argc == 4)
		return scalar(argv[2], argv[3]);
	fprintf(stderr, "testdb: unknown command \"%s\"\n", argv[1]);
	return 2;
}

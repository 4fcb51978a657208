/*
 * autogen.c - revision --autogenerate and check --schema: the database at
 * head against the declared schema, through a shadow database.
 *
 * Both sides are read with the same catalog queries (catalog.c) and
 * compared by schemadiff.c; codegen.c writes the revisions and scaffold.c
 * puts them in place.  The shadow database (store/shadow.c) is dropped
 * whatever happens: on success, on error, and on SIGINT or SIGTERM, which
 * only cancel the running statement while it is open.  Never prints an
 * error.
 */
#define _XOPEN_SOURCE 700 /* realpath() is XSI */
#include "schema/autogen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "base/clock.h"
#include "schema/catalog.h"
#include "data/checkpoint.h"
#include "schema/codegen.h"
#include "store/lease.h"
#include "plugins/scaffold.h"
#include "schema/schemadiff.h"
#include "base/strbuf.h"
#include "store/shadow.h"

/* The runner's own tables, left out of both sides (struct exclusions). */
#define NEXCLUDED 4

static int oom(struct retort_error *err)
{
	return error_set(err, RETORT_FAILED, "out of memory");
}

/* ---- the declared schema's text ---- */

static int read_schema_file(const char *path, char **out,
			    struct retort_error *err)
{
	FILE *f = fopen(path, "rb");
	struct strbuf text = STRBUF_INIT;
	char chunk[4096];
	size_t got;

	if (f == NULL) {
		error_set(err, RETORT_USAGE,
			  "cannot read the declared schema \"%s\": %s", path,
			  strerror(errno));
		error_hint(
			err,
			"Write the schema you want as plain SQL in that file (CREATE TABLE ...), or name another with `schema = PATH` in retort.ini.");
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_addn(&text, chunk, got);
	fclose(f);
	*out = strbuf_finish(&text);
	return *out ? 0 : oom(err);
}

/* psql's backslash commands are not SQL: say so before the server does. */
static int check_plain_sql(const char *path, const char *text,
			   struct retort_error *err)
{
	int line = 1;

	for (const char *p = text; *p; line++) {
		const char *start = p + strspn(p, " \t");
		const char *end = strchr(p, '\n');

		if (*start == '\\') {
			error_set(err, RETORT_USAGE,
				  "%s:%d: psql meta-command \"%.*s\"", path,
				  line, (int)strcspn(start, " \t\r\n"), start);
			error_hint(
				err,
				"The declared schema is loaded as plain SQL: remove psql commands (pg_dump's \\restrict lines too).");
			return -1;
		}
		p = end ? end + 1 : p + strlen(p);
	}
	return 0;
}

/* The line of a 1-based character position in text (UTF-8). */
static int line_of(const char *text, long position)
{
	int line = 1;

	for (const char *p = text; *p && position > 1; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80)
			position--;
		line += *p == '\n';
	}
	return line;
}

/* The script's error, where it happened: path:line when the server says. */
static int load_failed(const char *path, const char *text, long position,
		       struct retort_error *err)
{
	if (position > 0)
		error_prefix(err, "%s:%d", path, line_of(text, position));
	else
		error_prefix(err, "%s", path);
	if (!err->hint[0])
		error_hint(
			err,
			"Fix the declared schema so that it loads into an empty database, then run again.");
	return -1;
}

/* ---- the shadow database ---- */

/* The single value sql returns on the shadow, into buf ("" for NULL). */
static int shadow_value(struct shadow *s, const char *sql, const char *what,
			char *buf, size_t size, struct retort_error *err)
{
	struct db_rows *rows = db_query(&s->db, sql, 0, NULL, err);
	const char *v;

	if (rows == NULL) {
		error_prefix(err, "%s", what);
		return -1;
	}
	v = db_nrows(rows) == 1 ? db_value(rows, 0, 0) : NULL;
	snprintf(buf, size, "%s", v ? v : "");
	db_rows_free(rows);
	return 0;
}

static int check_empty(struct shadow *s, struct retort_error *err)
{
	if (shadow_check_empty(s, err) == 0)
		return 0;
	if (err->status == RETORT_USAGE)
		error_hint(
			err,
			"Give --shadow-url an empty database: autogenerate loads the declared schema there inside a transaction it rolls back.");
	return -1;
}

/*
 * The database --shadow-url names, connected to as the database is (the
 * same connect timeout; SIGINT or SIGTERM stops the attempt), and empty.
 */
static int open_given_shadow(struct app *app, struct shadow *s,
			     struct retort_error *err)
{
	char *url = NULL;
	int rc;

	if (config_normalize_url(app->cfg.shadow_url, &url, err) < 0)
		return -1;
	rc = shadow_connect(s, &app->db, url, err);
	free(url);
	if (rc == 0)
		return check_empty(s, err);
	error_detail(err, "the URL came from --shadow-url");
	if (err->status == RETORT_FAILED)
		error_hint(
			err,
			"Check that --shadow-url names a running server and the right host, port, database, user and password; --connect-timeout SECONDS waits longer for a slow one (0 for ever).");
	return -1;
}

/*
 * A COMMIT, ROLLBACK or END in the declared schema ends retort's
 * transaction (PostgreSQL only warns about a BEGIN inside it): what ran
 * before it is committed, into the --shadow-url database too, or undone.
 * The transaction's id tells: another one, or none, after the script.
 */
static int check_same_transaction(struct shadow *s, const char *path,
				  const char *xid, struct retort_error *err)
{
	char now[32];

	if (shadow_value(s,
			 "SELECT pg_catalog.pg_current_xact_id_if_assigned()",
			 "cannot use the shadow database", now, sizeof(now),
			 err) < 0)
		return -1;
	if (strcmp(now, xid) == 0)
		return 0;
	error_set(
		err, RETORT_USAGE,
		"%s ends the transaction it is loaded in (COMMIT, ROLLBACK or END)",
		path);
	if (!s->created)
		error_detail(
			err,
			"anything it committed stays in the shadow database %s: empty it before the next run",
			s->name);
	error_hint(
		err,
		"Remove the transaction control statements from the declared schema: retort loads it in one transaction of its own.");
	return -1;
}

/* The declared schema, loaded in a transaction that is rolled back. */
static int load_and_read(struct shadow *s, const char *path, const char *text,
			 const char *const *exclude, const char *exclude_schema,
			 struct catalog *out, struct retort_error *err)
{
	char xid[32];
	long position;
	int rc;

	if (db_exec(&s->db, "BEGIN", 0, NULL, err) < 0) {
		error_prefix(err, "cannot use the shadow database");
		return -1;
	}
	if (shadow_value(s, "SELECT pg_catalog.pg_current_xact_id()",
			 "cannot use the shadow database", xid, sizeof(xid),
			 err) < 0 ||
	    shadow_interrupted(err) < 0)
		return -1;
	if (shadow_run_script(s, text, &position, err) < 0)
		return load_failed(path, text, position, err);
	if (shadow_interrupted(err) < 0 ||
	    check_same_transaction(s, path, xid, err) < 0)
		return -1;
	rc = catalog_read(&s->db, exclude, NEXCLUDED, exclude_schema, out, err);
	if (db_exec(&s->db, "ROLLBACK", 0, NULL,
		    rc < 0 ? &(struct retort_error){ 0 } : err) < 0 &&
	    rc == 0) {
		error_prefix(err, "cannot roll back the shadow database");
		rc = -1;
	}
	return rc;
}

/* ---- both sides ---- */

/*
 * What the runner owns: the version table, retort_history, retort_lock
 * and retort_backfill (which stays once a backfill has run), the last
 * three beside the version table.  Named with their schema on both sides: the
 * declared schema may set a search_path of its own (pg_dump's output
 * empties it), so the shadow cannot resolve bare names as the database does.
 */
struct exclusions {
	const char *names[NEXCLUDED];
	char version[300], history[300], lock[300], backfill[300];
};

/*
 * The version table's schema: as configured, else the one the database's
 * search_path finds it in (or would create it in); NULL when there is none.
 */
static int runner_schema(struct app *app, char **out, struct retort_error *err)
{
	static const char sql[] =
		"SELECT COALESCE((SELECT n.nspname FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_namespace n"
		" ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
		" WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)),"
		" pg_catalog.current_schema())";
	const char *params[1] = { app->db.version_table };
	struct db_rows *rows;
	const char *v;

	*out = NULL;
	if (app->db.schema) {
		*out = strdup(app->db.schema);
		return *out ? 0 : oom(err);
	}
	rows = db_query(&app->db, sql, 1, params, err);
	if (rows == NULL) {
		error_prefix(err, "cannot find the version table's schema");
		return -1;
	}
	v = db_nrows(rows) == 1 ? db_value(rows, 0, 0) : NULL;
	*out = v ? strdup(v) : NULL;
	db_rows_free(rows);
	return v && !*out ? oom(err) : 0;
}

static int runner_tables(struct app *app, struct exclusions *x,
			 struct retort_error *err)
{
	char *schema = NULL, *quoted = NULL;
	char *table = db_quote_ident(app->db.conn, app->db.table);
	const char *dot = "";
	int rc = -1;

	if (table == NULL) {
		oom(err);
		goto out;
	}
	if (runner_schema(app, &schema, err) < 0)
		goto out;
	if (schema) {
		quoted = db_quote_ident(app->db.conn, schema);
		if (quoted == NULL) {
			oom(err);
			goto out;
		}
		dot = ".";
	}
	snprintf(x->version, sizeof(x->version), "%s%s%s", quoted ? quoted : "",
		 dot, table);
	snprintf(x->history, sizeof(x->history), "%s%s%s", quoted ? quoted : "",
		 dot, AUDIT_TABLE);
	snprintf(x->backfill, sizeof(x->backfill), "%s%s%s",
		 quoted ? quoted : "", dot, CHECKPOINT_TABLE);
	snprintf(x->lock, sizeof(x->lock), "%s%s%s", quoted ? quoted : "", dot,
		 LEASE_TABLE);
	x->names[0] = x->version;
	x->names[1] = x->history;
	x->names[2] = x->backfill;
	x->names[3] = x->lock;
	rc = 0;
out:
	free(quoted);
	free(schema);
	free(table);
	return rc;
}

static int read_database(struct app *app, const struct exclusions *x,
			 struct catalog *out, struct retort_error *err)
{
	int rc;

	if (db_exec(&app->db,
		    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL,
		    err) < 0) {
		error_prefix(err, "cannot read the database's schema");
		return -1;
	}
	rc = catalog_read(&app->db, x->names, NEXCLUDED, app->db.schema, out,
			  err);
	if (rc < 0) {
		db_exec(&app->db, "ROLLBACK", 0, NULL,
			&(struct retort_error){ 0 });
		return -1;
	}
	if (db_exec(&app->db, "COMMIT", 0, NULL, err) < 0) {
		error_prefix(err, "cannot read the database's schema");
		return -1;
	}
	return 0;
}

static const char *schema_path(const struct app *app)
{
	return app->cfg.schema ? app->cfg.schema : "db/schema.sql";
}

/* The shadow, open: the given one or a scratch one. */
static int open_shadow(struct app *app, struct shadow *s,
		       struct retort_error *err)
{
	if (app->cfg.shadow_url)
		return open_given_shadow(app, s, err);
	return shadow_create(s, &app->db, err);
}

static int read_declared(struct app *app, const struct exclusions *x,
			 struct catalog *out, struct retort_error *err)
{
	const char *path = schema_path(app);
	struct shadow s = { 0 };
	char *text = NULL;
	int rc;

	if (read_schema_file(path, &text, err) < 0)
		return -1;
	if (check_plain_sql(path, text, err) < 0) {
		free(text);
		return -1;
	}
	rc = open_shadow(app, &s, err);
	if (rc == 0)
		rc = shadow_interrupted(err);
	if (rc == 0)
		rc = load_and_read(&s, path, text, x->names, app->db.schema,
				   out, err);
	/* A signal cancelled what ran, or came after: it wins either way. */
	if (shadow_interrupted(err) < 0)
		rc = -1;
	rc = shadow_close(&s, rc, err);
	free(text);
	if (rc < 0)
		catalog_release(out);
	return rc;
}

/* The two catalogs and their difference. */
static int compare(struct app *app, struct sd_plan *plan,
		   struct retort_error *err)
{
	struct catalog db = { 0 }, declared = { 0 };
	struct exclusions x;
	int rc = -1;

	if (app_connect(app, err) < 0 || runner_tables(app, &x, err) < 0)
		return -1;
	if (read_database(app, &x, &db, err) < 0)
		return -1;
	if (read_declared(app, &x, &declared, err) < 0)
		goto out;
	rc = schemadiff_plan(&db, &declared, plan, err);
out:
	catalog_release(&declared);
	catalog_release(&db);
	return rc;
}

/* ---- check --schema ---- */

static void print_differences(struct app *app, const struct sd_plan *plan)
{
	fprintf(app->out, "The database differs from %s:\n", schema_path(app));
	for (size_t i = 0; i < plan->up.n; i++)
		fprintf(app->out, "  %s\n", plan->up.items[i].summary);
	for (size_t i = 0; i < plan->nproblems; i++)
		fprintf(app->out, "  cannot autogenerate: %s\n",
			plan->problems[i]);
}

int autogen_check_schema(struct app *app, struct retort_error *err)
{
	struct sd_plan plan;

	if (compare(app, &plan, err) < 0)
		return -1;
	if (sd_plan_is_empty(&plan)) {
		sd_plan_release(&plan);
		return 0;
	}
	print_differences(app, &plan);
	error_set(err, RETORT_FAILED, "the database at head does not match %s",
		  schema_path(app));
	error_detail(err, "%zu difference%s, listed above",
		     plan.up.n + plan.nproblems,
		     plan.up.n + plan.nproblems == 1 ? "" : "s");
	error_hint(
		err,
		"Write a revision for them with `retort revision --autogenerate -m MESSAGE`, or change %s.",
		schema_path(app));
	sd_plan_release(&plan);
	return -1;
}

/* ---- revision --autogenerate: where it starts ---- */

static int check_args(const struct cmd_args *args, struct retort_error *err)
{
	const char *m = args->message;

	if (m == NULL || m[strspn(m, " \t\r\n\v\f")] == '\0') {
		error_set(err, RETORT_USAGE, "%s",
			  m ? "the message is empty" : "a message is required");
		error_hint(
			err,
			"retort revision --autogenerate -m \"add portfolios table\"");
		return -1;
	}
	if (args->head || args->splice || args->branch_label ||
	    args->depends_on) {
		error_set(
			err, RETORT_USAGE,
			"--autogenerate takes -m, --rev-id and --version-path only");
		error_detail(
			err,
			"--head, --splice, --branch-label and --depends-on are for revisions written by hand");
		error_hint(
			err,
			"Autogenerate builds on the single head the database is at.");
		return -1;
	}
	return 0;
}

/* The one head the sources have, or NULL for none. */
static int source_head(const struct revmap *map, const char **head,
		       struct retort_error *err)
{
	if (map->heads.n > 1) {
		error_set(
			err, RETORT_USAGE,
			"Multiple heads are present; autogenerate needs the database at a single head");
		error_hint(
			err,
			"Join them first with `retort merge -m MESSAGE heads`, upgrade, then autogenerate.");
		return -1;
	}
	*head = map->heads.n ? map->revs[map->heads.items[0]].meta->id : NULL;
	return 0;
}

static void free_rows(char **rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}

/* Alembic: "Target database is not up to date." */
static int check_at_head(struct app *app, const char *head,
			 struct retort_error *err)
{
	char **rows = NULL;
	size_t n = 0;
	bool at_head;

	if (db_read_versions(&app->db, &rows, &n, err) < 0)
		return -1;
	at_head = head ? n == 1 && strcmp(rows[0], head) == 0 : n == 0;
	if (!at_head) {
		error_set(err, RETORT_FAILED,
			  "Target database is not up to date.");
		error_detail(err, "database at: %s", n ? rows[0] : "(base)");
		if (n > 1)
			error_detail(err, "and %zu more", n - 1);
		error_detail(err, "head: %s", head ? head : "(no revisions)");
		error_hint(
			err,
			"Run `retort upgrade head` first: autogenerate compares the declared schema with the database at head.");
	}
	free_rows(rows, n);
	return at_head ? 0 : -1;
}

/* ---- writing the revisions ---- */

static bool is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static int check_rev_id(const struct revmap *map, const char *id,
			struct retort_error *err)
{
	size_t len = strlen(id), rev;
	bool ok = len > 0 && len <= REVMAP_ID_MAX && strcmp(id, "head") &&
		  strcmp(id, "heads") && strcmp(id, "base");

	for (size_t i = 0; ok && i < len; i++)
		ok = is_id_char(id[i]);
	if (!ok) {
		error_set(err, RETORT_USAGE, "invalid revision id \"%s\"", id);
		error_hint(
			err,
			"An id is 1 to %d characters of A-Z, a-z, 0-9 and _, other than head, heads and base.",
			REVMAP_ID_MAX);
		return -1;
	}
	if (revmap_find(map, id, &rev)) {
		error_set(err, RETORT_USAGE,
			  "revision \"%s\" already exists in %s", id,
			  map->revs[rev].meta->path);
		error_hint(
			err,
			"Pick another --rev-id, or leave it out for a random one.");
		return -1;
	}
	return 0;
}

struct draft {
	enum sd_part part;
	char id[REVMAP_ID_MAX + 1];
	char *message;
	char *name;
	char *text;
};

static void drafts_release(struct draft *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].message);
		free(d[i].name);
		free(d[i].text);
	}
}

/* nbytes random bytes as hex digits (2 * nbytes + 1 bytes of out). */
static int random_hex(char *out, size_t nbytes, struct retort_error *err)
{
	unsigned char bytes[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got = 0;

	if (nbytes > sizeof(bytes))
		nbytes = sizeof(bytes);
	if (f != NULL) {
		got = fread(bytes, 1, nbytes, f);
		fclose(f);
	}
	if (got != nbytes)
		return error_set(err, RETORT_FAILED,
				 "cannot read /dev/urandom");
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int new_id(const struct revmap *map, const struct draft *drafts,
		  size_t n, char *id, struct retort_error *err)
{
	size_t rev;
	bool taken;

	do {
		if (random_hex(id, 6, err) < 0)
			return -1;
		taken = revmap_find(map, id, &rev);
		for (size_t i = 0; i < n; i++)
			taken = taken || !strcmp(drafts[i].id, id);
	} while (taken);
	return 0;
}

static bool part_has_index(const struct sd_list *l, enum sd_part part)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].part == part && l->items[i].sql &&
		    strstr(l->items[i].sql, "INDEX CONCURRENTLY ") &&
		    strncmp(l->items[i].sql, "CREATE", 6) == 0)
			return true;
	return false;
}

static char *part_message(const char *message, const struct sd_plan *plan,
			  enum sd_part part, size_t nparts)
{
	const char *suffix = "";
	size_t len;
	char *s;

	if (nparts > 1 && part == SD_PART_PRE)
		suffix = " (enum values)";
	else if (nparts > 1 && part == SD_PART_POST)
		suffix = part_has_index(&plan->up, part)
				 ? " (concurrent indexes)"
				 : " (validate constraints)";
	len = strlen(message) + strlen(suffix) + 1;
	s = malloc(len);
	if (s)
		snprintf(s, len, "%s%s", message, suffix);
	return s;
}

/* One draft per part that has anything, chained from head. */
static int make_drafts(struct app *app, const struct cmd_args *args,
		       const struct revmap *map, const char *head,
		       const struct sd_plan *plan, struct draft *d, size_t *nd,
		       struct retort_error *err)
{
	char date[32];
	size_t nparts = 0;

	clock_now_utc(date, sizeof(date));
	for (int p = 0; p < SD_NPARTS; p++)
		nparts += sd_list_has_part(&plan->up, (enum sd_part)p) ||
			  sd_list_has_part(&plan->down, (enum sd_part)p);
	for (int p = 0; p < SD_NPARTS; p++) {
		struct draft *x = &d[*nd];
		struct codegen_revision rev;

		if (!sd_list_has_part(&plan->up, (enum sd_part)p) &&
		    !sd_list_has_part(&plan->down, (enum sd_part)p))
			continue;
		x->part = (enum sd_part)p;
		if (*nd == 0 && args->rev_id) {
			if (check_rev_id(map, args->rev_id, err) < 0)
				return -1;
			snprintf(x->id, sizeof(x->id), "%s", args->rev_id);
		} else if (new_id(map, d, *nd, x->id, err) < 0) {
			return -1;
		}
		(*nd)++;
		x->message = part_message(args->message, plan, x->part, nparts);
		if (x->message == NULL)
			return oom(err);
		x->name = scaffold_file_name(x->id, x->message);
		rev = (struct codegen_revision){
			x->id,
			*nd > 1 ? d[*nd - 2].id : head,
			x->message,
			date,
			schema_path(app),
			x->part,
			&plan->up,
			&plan->down,
		};
		x->text = codegen_render(&rev);
		if (x->name == NULL || x->text == NULL)
			return oom(err);
	}
	return 0;
}

static void print_generated(FILE *out, const char *dir, const char *name)
{
	char *real = realpath(dir, NULL);

	fprintf(out, "Generating %s/%s ...  done\n", real ? real : dir, name);
	free(real);
}

static unsigned count_warnings(const char *text)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, "\n#warning ")) != NULL; p++)
		n++;
	return n;
}

static int write_drafts(struct app *app, const char *dir, const struct draft *d,
			size_t n, struct retort_error *err)
{
	for (size_t i = 0; i < n; i++) {
		bool listed;
		unsigned warnings = count_warnings(d[i].text);

		if (scaffold_write_revision(dir, d[i].name, d[i].text, &listed,
					    err) < 0) {
			if (i > 0)
				error_detail(
					err,
					"%s/%s was written already: remove it, or finish the set by hand",
					dir, d[0].name);
			return -1;
		}
		print_generated(app->out, dir, d[i].name);
		if (!listed)
			fprintf(app->out,
				"No meson.build in %s: add %s to your build.\n",
				dir, d[i].name);
		if (warnings)
			fprintf(app->out,
				"  %u hazard%s marked with #warning: review each, then delete its #warning line\n",
				warnings, warnings == 1 ? "" : "s");
	}
	return 0;
}

static void print_detected(struct app *app, const struct sd_plan *plan)
{
	for (size_t i = 0; i < plan->up.n; i++)
		fprintf(app->out, "Detected %s\n", plan->up.items[i].summary);
}

static int refuse(const struct sd_plan *plan, struct app *app,
		  struct retort_error *err)
{
	error_set(
		err, RETORT_USAGE,
		"autogenerate cannot write %zu change%s: %s must be written by hand",
		plan->nproblems, plan->nproblems == 1 ? "" : "s",
		plan->nproblems == 1 ? "it" : "they");
	for (size_t i = 0; i < plan->nproblems; i++)
		error_detail(err, "%s", plan->problems[i]);
	error_hint(
		err,
		"Write a revision by hand for these objects (retort revision -m ...), upgrade, then autogenerate again; %s must declare them as the database will have them.",
		schema_path(app));
	return -1;
}

struct sources {
	struct source_set set;
	struct revmap *map;
};

static int generate(struct app *app, const struct cmd_args *args,
		    struct sources *src, const char *dir,
		    struct retort_error *err)
{
	struct sd_plan plan;
	struct draft drafts[SD_NPARTS];
	const char *head;
	size_t nd = 0;
	int rc = -1;

	memset(drafts, 0, sizeof(drafts));
	if (source_head(src->map, &head, err) < 0 ||
	    app_connect(app, err) < 0 || check_at_head(app, head, err) < 0 ||
	    compare(app, &plan, err) < 0)
		return -1;
	if (plan.nproblems) {
		refuse(&plan, app, err);
	} else if (sd_plan_is_empty(&plan)) {
		fprintf(app->out, "No changes detected\n");
		rc = 0;
	} else if (make_drafts(app, args, src->map, head, &plan, drafts, &nd,
			       err) == 0) {
		print_detected(app, &plan);
		rc = write_drafts(app, dir, drafts, nd, err);
	}
	drafts_release(drafts, nd);
	sd_plan_release(&plan);
	return rc;
}

int autogen_revision(struct app *app, const struct cmd_args *args,
		     struct retort_error *err)
{
	const char *dir =
		args->version_path ? args->version_path : app->cfg.sources;
	struct sources src = { 0 };
	int rc = -1;

	if (check_args(args, err) < 0)
		return -1;
	if (scaffold_scan(dir, &src.set, err) == 0 &&
	    revmap_build(src.set.metas, src.set.n, &src.map, err) == 0)
		rc = generate(app, args, &src, dir, err);
	revmap_free(src.map);
	source_set_release(&src.set);
	return rc;
}

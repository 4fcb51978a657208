/*
 * cmd_plan.c - `retort plan [TARGET]`: what `upgrade TARGET` (or, with
 * --downgrade, `downgrade TARGET`) would do, from a rehearsal: every
 * statement each revision and the runner send, with its origin and call
 * site, the locks it takes and the tables it rewrites.  Text, or one JSON
 * document with --json.  Reads where the target stands without the
 * migration lock and never changes it: the rehearsal runs in a shadow,
 * or with --rehearse-on-target in one transaction that is rolled back.
 */
#include "cli/cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "cli/json_view.h"
#include "exec/capture.h"
#include "exec/integrity.h"
#include "exec/rehearse.h"
#include "store/facts.h"

/* The sizes of the tables the plan touches, read from the target. */
struct plan_facts {
	struct table_facts *items;
	size_t n;
};

/* What was asked: the direction and the target. */
struct plan_request {
	enum plan_direction direction;
	const char *target;
};

static int plan_request_of(const struct cmd_args *args,
			   struct plan_request *req, struct retort_error *err)
{
	req->direction = args->downgrade_target ? PLAN_DOWNGRADE : PLAN_UPGRADE;
	req->target = args->downgrade_target;
	if (args->downgrade_target && args->npositional > 0) {
		error_set(err, RETORT_USAGE,
			  "'plan' takes either a TARGET or --downgrade TARGET");
		error_hint(
			err,
			"usage: retort plan [TARGET | --downgrade TARGET] [--json] [--rehearse-on-target]");
		return -1;
	}
	if (!req->target)
		req->target =
			args->npositional > 0 ? args->positional[0] : "head";
	if (req->target[0] == '\0') {
		error_set(err, RETORT_USAGE,
			  "'plan': the --downgrade target is empty");
		error_hint(
			err,
			"Give the revision to plan a downgrade to, or base.");
		return -1;
	}
	return revmap_check_target(req->target, err);
}

/* ---- text ---- */

/* "AccessExclusiveLock" as the SQL reference names it: "ACCESS EXCLUSIVE". */
static void lock_mode_name(const char *mode, char *buf, size_t size)
{
	size_t len = strlen(mode), n = 0;

	if (len > 4 && strcmp(mode + len - 4, "Lock") == 0)
		len -= 4;
	for (size_t i = 0; i < len && n + 2 < size; i++) {
		if (i > 0 && isupper((unsigned char)mode[i]))
			buf[n++] = ' ';
		buf[n++] = (char)toupper((unsigned char)mode[i]);
	}
	buf[n] = '\0';
}

/* The statement's text, each line indented. */
static void print_sql(const char *sql, FILE *out)
{
	const char *line;
	size_t len;

	while ((line = text_next_line(&sql, &len)) != NULL) {
		fputs("      ", out);
		text_fputn(line, len, out);
		fputc('\n', out);
	}
}

static void print_params(const struct capture_stmt *st, FILE *out)
{
	if (st->nparams == 0)
		return;
	fputs("      parameters:", out);
	for (int i = 0; i < st->nparams; i++) {
		fprintf(out, " $%d=", i + 1);
		if (st->params[i]) {
			fputc('\'', out);
			text_fput(st->params[i], out);
			fputc('\'', out);
		} else {
			fputs("NULL", out);
		}
	}
	fputc('\n', out);
}

static const struct table_facts *facts_of(const struct plan_facts *f,
					  const char *relation)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (strcmp(f->items[i].relation, relation) == 0)
			return &f->items[i];
	return NULL;
}

/* "1.2M rows, 340 MB in the target", as a reviewer reads sizes. */
static void print_size(const struct table_facts *t, FILE *out)
{
	static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB" };
	double bytes = (double)t->bytes;
	size_t u = 0;

	if (!t->rows_known)
		fputs(" (rows not estimated yet", out);
	else if (t->rows >= 1e6)
		fprintf(out, " (%.1fM rows", t->rows / 1e6);
	else if (t->rows >= 1e4)
		fprintf(out, " (%.0fk rows", t->rows / 1e3);
	else
		fprintf(out, " (%.0f rows", t->rows);
	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	fprintf(out,
		u ? ", %.0f %s in the target)" : ", %.0f %s in the target)",
		bytes, units[u]);
}

static void print_lock(const struct capture_lock *l, const struct plan_facts *f,
		       FILE *out)
{
	const struct table_facts *t = facts_of(f, l->relation);
	char mode[64];

	lock_mode_name(l->mode, mode, sizeof(mode));
	fprintf(out, "      lock: %s on ", mode);
	text_fput(l->relation, out);
	if (!l->existed)
		fputs(" (created by this plan)", out);
	else if (t && t->exists)
		print_size(t, out);
	fputc('\n', out);
}

static void print_effects(const struct capture_stmt *st,
			  const struct plan_facts *f, FILE *out)
{
	for (size_t i = 0; i < st->nlocks; i++)
		print_lock(&st->locks[i], f, out);
	for (size_t i = 0; i < st->nrewrites; i++) {
		fputs("      rewrites ", out);
		text_fput(st->rewrites[i], out);
		fputc('\n', out);
	}
}

/* The runner's own statements on one line each: what a reviewer reads is
 * the revisions'; upgrade --sql and --json give these in full. */
static void print_runner_stmt(const struct capture_stmt *st, FILE *out)
{
	const char *sql = st->sql;
	size_t len = 0;
	const char *line = text_next_line(&sql, &len);

	fputs("    runner: ", out);
	text_fputn(line ? line : "", len > 64 ? 64 : len, out);
	fputs(len > 64 || text_next_line(&sql, &len) ? " ...\n" : "\n", out);
}

static void print_stmt(const struct capture *c, size_t i,
		       const struct plan_facts *f, FILE *out)
{
	const struct capture_stmt *st = &c->stmts[i];

	if (st->origin == CAPTURE_RUNNER && !st->failed) {
		print_runner_stmt(st, out);
		return;
	}
	fprintf(out, "    [%zu] %s", i, capture_origin_name(st->origin));
	if (st->call_site) {
		fputs(" at ", out);
		text_fput(st->call_site, out);
	}
	fprintf(out, ", %.1f ms%s%s\n", st->ms,
		st->autocommit ? ", autocommit" : "",
		st->failed ? ", FAILED" : "");
	print_sql(st->sql, out);
	print_params(st, out);
	if (st->copy_bytes > 0)
		fprintf(out, "      COPY data: %llu bytes\n", st->copy_bytes);
	if (st->measured_with != i)
		fprintf(out, "      measured with [%zu]\n", st->measured_with);
	print_effects(st, f, out);
	if (st->after_read)
		fputs("      note: sent after the revision read rows; on the target it may differ\n",
		      out);
}

static const char *mode_name(enum capture_mode mode)
{
	static const char *const names[] = {
		[CAPTURE_IN_TRANSACTION] = "transaction",
		[CAPTURE_AUTOCOMMIT] = "autocommit",
		[CAPTURE_BATCHED] = "batched",
	};

	return names[mode];
}

/* The lock_timeout the step's statements ran with, as measured. */
static const char *step_lock_timeout(const struct capture *c,
				     const struct capture_step *s)
{
	for (size_t i = s->first; i < s->first + s->n; i++)
		if (c->stmts[i].lock_timeout)
			return c->stmts[i].lock_timeout;
	return NULL;
}

static void print_step(const struct revmap *map, const struct capture *c,
		       const struct capture_step *s, const struct plan_facts *f,
		       FILE *out)
{
	const char *lt = step_lock_timeout(c, s);

	fprintf(out, "%s ", s->upgrade ? "upgrade" : "downgrade");
	text_fput(s->revision, out);
	fputs(", ", out);
	text_fput(revmap_message(map, s->revision), out);
	fprintf(out, " (%s", mode_name(s->mode));
	if (lt)
		fprintf(out, ", lock_timeout %s",
			strcmp(lt, "0") ? lt : "none");
	fprintf(out, ", %.1f ms)%s\n", s->ms, s->failed ? ": FAILED" : "");
	if (s->skipped)
		fprintf(out, "  not rehearsed: %s\n", s->skip_reason);
	for (size_t i = s->first; i < s->first + s->n; i++)
		print_stmt(c, i, f, out);
}

/* Statements outside every step: the on-target rehearsal's BEGIN. */
static bool in_a_step(const struct capture *c, size_t i)
{
	for (size_t k = 0; k < c->nsteps; k++)
		if (i >= c->steps[k].first &&
		    i < c->steps[k].first + c->steps[k].n)
			return true;
	return false;
}

/* The runner's statements before the first step, or after the last. */
static bool before_steps(const struct capture *c, size_t i)
{
	return c->nsteps == 0 || i < c->steps[0].first;
}

static void print_text(const struct revmap *map, const struct capture *c,
		       const struct plan_facts *f, FILE *out)
{
	fprintf(out, "Rehearsal %s: %zu revision(s), %.1f ms\n",
		c->on_target ? "on the target, in one transaction rolled back"
			     : "in a shadow database",
		c->nsteps, c->ms);
	for (size_t i = 0; i < c->n && before_steps(c, i); i++)
		print_stmt(c, i, f, out);
	for (size_t k = 0; k < c->nsteps; k++)
		print_step(map, c, &c->steps[k], f, out);
	for (size_t i = 0; i < c->n; i++)
		if (!before_steps(c, i) && !in_a_step(c, i))
			print_stmt(c, i, f, out);
	if (c->nsteps == 0)
		fputs("Nothing to do: the target is already there.\n", out);
}

/* ---- JSON ---- */

static void json_double(struct json *j, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", v);
	json_number_text(j, buf);
}

static void json_strings(struct json *j, char *const *list, size_t n)
{
	json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		json_string(j, list[i]);
	json_array_end(j);
}

static void json_locks(struct json *j, const struct capture_stmt *st)
{
	json_array_begin(j);
	for (size_t i = 0; i < st->nlocks; i++) {
		json_object_begin(j);
		json_key(j, "relation");
		json_string(j, st->locks[i].relation);
		json_key(j, "mode");
		json_string(j, st->locks[i].mode);
		json_key(j, "existed");
		json_bool(j, st->locks[i].existed);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_stmt(struct json *j, const struct capture *c, size_t i)
{
	const struct capture_stmt *st = &c->stmts[i];

	json_object_begin(j);
	json_key(j, "index");
	json_int(j, (long long)i);
	json_key(j, "origin");
	json_string(j, capture_origin_name(st->origin));
	json_key(j, "sql");
	json_string(j, st->sql);
	json_key(j, "params");
	json_strings(j, st->params, st->params ? (size_t)st->nparams : 0);
	json_key(j, "call_site");
	json_string(j, st->call_site);
	json_key(j, "after_read");
	json_bool(j, st->after_read);
	json_key(j, "autocommit");
	json_bool(j, st->autocommit);
	json_key(j, "failed");
	json_bool(j, st->failed);
	json_key(j, "measured_with");
	json_int(j, (long long)st->measured_with);
	json_key(j, "locks");
	json_locks(j, st);
	json_key(j, "rewrites");
	json_strings(j, st->rewrites, st->nrewrites);
	json_key(j, "lock_timeout");
	json_string(j, st->lock_timeout);
	json_key(j, "ms");
	json_double(j, st->ms);
	json_key(j, "copy_bytes");
	json_int(j, (long long)st->copy_bytes);
	json_object_end(j);
}

static void json_step(struct json *j, const struct revmap *map,
		      const struct capture *c, const struct capture_step *s)
{
	json_object_begin(j);
	json_key(j, "revision");
	json_string(j, s->revision);
	json_key(j, "message");
	json_string(j, revmap_message(map, s->revision));
	json_key(j, "path");
	json_string(j, s->path);
	json_key(j, "direction");
	json_string(j, s->upgrade ? "upgrade" : "downgrade");
	json_key(j, "mode");
	json_string(j, mode_name(s->mode));
	json_key(j, "lint_allow");
	json_string(j, s->lint_allow);
	json_key(j, "ms");
	json_double(j, s->ms);
	json_key(j, "failed");
	json_bool(j, s->failed);
	json_key(j, "skipped");
	json_bool(j, s->skipped);
	json_key(j, "skip_reason");
	json_string(j, s->skip_reason);
	json_key(j, "statements");
	json_array_begin(j);
	for (size_t i = s->first; i < s->first + s->n; i++)
		json_stmt(j, c, i);
	json_array_end(j);
	json_object_end(j);
}

/* "tables": each relation the plan locks or rewrites, as the target
 * holds it. */
static void json_facts(struct json *j, const struct plan_facts *f)
{
	json_array_begin(j);
	for (size_t i = 0; f && i < f->n; i++) {
		const struct table_facts *t = &f->items[i];
		char rows[64];

		json_object_begin(j);
		json_key(j, "relation");
		json_string(j, t->relation);
		json_key(j, "exists");
		json_bool(j, t->exists);
		json_key(j, "rows");
		snprintf(rows, sizeof(rows), "%.0f", t->rows);
		if (t->exists && t->rows_known)
			json_number_text(j, rows);
		else
			json_null(j);
		json_key(j, "bytes");
		json_int(j, t->bytes);
		json_key(j, "indexes");
		json_int(j, t->nindexes);
		json_object_end(j);
	}
	json_array_end(j);
}

static int print_json(struct app *app, const struct plan_request *req,
		      const struct capture *c, const struct plan_facts *f,
		      bool ok, struct retort_error *err)
{
	struct json j = JSON_INIT;

	json_view_begin(&j, "plan");
	json_key(&j, "direction");
	json_string(&j,
		    req->direction == PLAN_UPGRADE ? "upgrade" : "downgrade");
	json_key(&j, "target");
	json_string(&j, req->target);
	json_key(&j, "rehearsal");
	json_string(&j, c->on_target ? "on_target" : "shadow");
	json_key(&j, "ok");
	json_bool(&j, ok);
	json_key(&j, "ms");
	json_double(&j, c->ms);
	json_key(&j, "steps");
	json_array_begin(&j);
	for (size_t k = 0; k < c->nsteps; k++)
		json_step(&j, app->map, c, &c->steps[k]);
	json_array_end(&j);
	/* The runner's statements around every step (on the target: its
	 * BEGIN and ROLLBACK). */
	json_key(&j, "tables");
	json_facts(&j, f);
	json_key(&j, "outside_steps");
	json_array_begin(&j);
	for (size_t i = 0; i < c->n; i++)
		if (!in_a_step(c, i))
			json_stmt(&j, c, i);
	json_array_end(&j);
	return json_view_print(&j, app->out, err);
}

/* ---- the command ---- */

/* Where the target stands, read without the lock, and the plan from it. */
static int plan_from_state(struct app *app, const struct cmd_args *args,
			   const struct plan_request *req, struct plan *plan,
			   struct retort_error *err)
{
	return app_plan_unlocked(app, req->direction, req->target,
				 args->allow_changed, plan, err);
}

/* Every relation a statement locked or rewrote, once. */
static int touched(const struct capture *c, const char ***out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct capture_stmt *st = &c->stmts[i];

		cap += st->nlocks + st->nrewrites;
	}
	*out = calloc(cap ? cap : 1, sizeof(**out));
	if (!*out)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct capture_stmt *st = &c->stmts[i];

		for (size_t k = 0; k < st->nlocks + st->nrewrites; k++) {
			const char *rel =
				k < st->nlocks ? st->locks[k].relation
					       : st->rewrites[k - st->nlocks];
			size_t m = 0;

			while (m < *n && strcmp((*out)[m], rel) != 0)
				m++;
			if (m == *n)
				(*out)[(*n)++] = rel;
		}
	}
	return 0;
}

/* The target's rows and bytes of what the plan touches: catalog only. */
static int read_facts(struct app *app, const struct capture *c,
		      struct plan_facts *f, struct retort_error *err)
{
	const char **rels = NULL;
	size_t n = 0;
	int rc;

	if (touched(c, &rels, &n) < 0)
		return error_set(err, RETORT_FAILED, "out of memory");
	f->items = calloc(n ? n : 1, sizeof(*f->items));
	if (!f->items) {
		free(rels);
		return error_set(err, RETORT_FAILED, "out of memory");
	}
	f->n = n;
	rc = n ? facts_read(&app->db, rels, n, f->items, err) : 0;
	free(rels);
	return rc;
}

static int rehearse(struct app *app, const struct cmd_args *args,
		    const struct plan *plan, struct capture *c,
		    struct retort_error *err)
{
	struct step_opts opts = { .cfg = &app->cfg };

	if (args->rehearse_on_target)
		return rehearse_on_target(&app->db, app->map, plan, &opts, c,
					  err);
	return rehearse_in_shadow(
		&app->db, app->cfg.shadow_url, app->map, plan, &opts, c,
		"the plan is rehearsed in a shadow of the target's schema: the target is unchanged",
		err);
}

/* The target's sizes of what the plan touched, then the record. */
static int show(struct app *app, const struct cmd_args *args,
		const struct plan_request *req, const struct capture *c,
		struct plan_facts *facts, bool ok, struct retort_error *err)
{
	if (read_facts(app, c, facts, err) < 0)
		return -1;
	if (args->json)
		return print_json(app, req, c, facts, ok, err);
	print_text(app->map, c, facts, app->out);
	return 0;
}

int cmd_plan(struct app *app, const struct cmd_args *args,
	     struct retort_error *err)
{
	struct plan_request req;
	struct plan plan = { 0 };
	struct plan_facts facts = { 0 };
	struct capture c;
	struct retort_error ignored;
	int rc, printed = 0;

	if (app_refuse_tenant(app, "retort plan", err) < 0)
		return -1;
	capture_init(&c);
	c.on_target = args->rehearse_on_target;
	if (plan_request_of(args, &req, err) < 0)
		return -1;
	/* Connected only now: a mistake in the arguments touches nothing. */
	if (app_connect(app, err) < 0)
		return -1;
	rc = plan_from_state(app, args, &req, &plan, err);
	if (rc == 0 && plan.n > 0)
		rc = rehearse(app, args, &plan, &c, err);
	/* What ran is shown also when a revision failed, up to the
	 * statement PostgreSQL refused; that failure stays the error. */
	if (rc == 0 || c.nsteps > 0)
		printed = show(app, args, &req, &c, &facts, rc == 0,
			       rc < 0 ? &ignored : err);
	facts_release(facts.items, facts.n);
	free(facts.items);
	capture_release(&c);
	plan_release(&plan);
	return rc < 0 ? -1 : printed;
}

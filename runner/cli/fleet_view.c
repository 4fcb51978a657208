/*
 * fleet_view.c - a fleet run's output.  Labels, revisions and errors come
 * from outside retort (a targets file, the servers): every one is written
 * escaped, so none of them drives the terminal.  Never prints a URL.
 */
#include "cli/fleet_view.h"

#include "cli/json_view.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/text.h"

#define LIVE_EVERY_MS 500
#define STATUS_LABELS 10

static const char *heads(const char *rows)
{
	return rows[0] ? rows : "base";
}

static int final_status(const struct fleet_outcome *o)
{
	return o->status == FLEET_PENDING ? FLEET_SKIPPED : o->status;
}

/* FROM or TO of the table: unknown ("-") for a target never read. */
static const char *cell(bool read, const char *rows)
{
	return read ? heads(rows) : "-";
}

void fleet_view_count(const struct fleet_outcome *o, size_t n,
		      size_t counts[FLEET_NSTATUS])
{
	memset(counts, 0, FLEET_NSTATUS * sizeof(counts[0]));
	for (size_t i = 0; i < n; i++)
		counts[final_status(&o[i])]++;
}

void fleet_view_start(struct fleet_view *v, const struct fleet_run_info *run,
		      int jobs)
{
	if (v->progress == NULL)
		return;
	v->live = isatty(fileno(v->progress));
	fprintf(v->progress, "retort: fleet run %s: %s ", run->id,
		run->command);
	if (run->target)
		text_fput(run->target, v->progress);
	else
		fprintf(v->progress, "--run %s", run->undo_run);
	if ((size_t)jobs > v->targets->n)
		jobs = (int)v->targets->n;
	fprintf(v->progress, " on %zu target%s, %d at once\n", v->targets->n,
		v->targets->n == 1 ? "" : "s", jobs);
	fflush(v->progress);
}

static void draw(struct fleet_view *v, long long now_ms)
{
	long long ms = now_ms - v->start_ms;
	size_t left = v->targets->n - v->done - v->running;
	double rate = ms > 0 ? (double)v->done * 1000.0 / (double)ms : 0;

	fprintf(v->progress,
		"\r\033[Kfleet: %zu/%zu done, %zu running, %zu failed, "
		"%zu remaining, %.1f/s",
		v->done, v->targets->n, v->running, v->failed, left, rate);
	if (rate > 0)
		fprintf(v->progress, ", ETA %.0fs",
			(double)(left + v->running) / rate);
	fflush(v->progress);
	v->drawn_ms = now_ms;
}

void fleet_view_tick(struct fleet_view *v, long long now_ms)
{
	if (v->progress && v->live && now_ms - v->drawn_ms >= LIVE_EVERY_MS)
		draw(v, now_ms);
}

void fleet_view_started(struct fleet_view *v, long long now_ms)
{
	v->running++;
	if (v->progress && v->live)
		draw(v, now_ms);
}

/* "eu-2: failed at 007: <error> (SQLSTATE 23505)" and its kin. */
static void line(FILE *f, const char *label, const struct fleet_outcome *o,
		 bool final, bool status)
{
	text_fput(label, f);
	fputs(": ", f);
	if (status &&
	    (o->status == FLEET_OK || o->status == FLEET_UP_TO_DATE)) {
		text_fput(heads(o->from), f);
		fputs(o->status == FLEET_OK ? "\n" : " (at the target)\n", f);
		return;
	}
	if (o->status == FLEET_OK || o->status == FLEET_UP_TO_DATE) {
		text_fput(heads(o->from), f);
		if (o->status == FLEET_OK) {
			fputs(" -> ", f);
			text_fput(heads(o->to), f);
		}
		fprintf(f, " %s, %.2f s\n", fleet_status_name(o->status),
			(double)o->duration_ms / 1000.0);
		return;
	}
	fputs(fleet_status_name(o->status), f);
	if (o->revision[0]) {
		fputs(" at ", f);
		text_fput(o->revision, f);
	}
	if (o->status == FLEET_LOCKED && o->holder[0]) {
		fputs(", held by ", f);
		text_fput(o->holder, f);
	} else if (o->error[0]) {
		fputs(": ", f);
		text_fput(o->error, f);
	}
	if (o->sqlstate[0] && strstr(o->error, o->sqlstate) == NULL)
		fprintf(f, " (SQLSTATE %s)", o->sqlstate);
	fputs(final ? "\n" : "; trying again later\n", f);
}

void fleet_view_ended(struct fleet_view *v, size_t i,
		      const struct fleet_outcome *o, bool final,
		      long long now_ms)
{
	v->running--;
	if (final)
		v->done++;
	if (final && o->status != FLEET_OK && o->status != FLEET_UP_TO_DATE)
		v->failed++;
	if (v->progress == NULL)
		return;
	if (v->live) {
		draw(v, now_ms);
		return;
	}
	line(v->progress, v->targets->v[i].label, o, final, v->status);
	fflush(v->progress);
}

void fleet_view_finish(struct fleet_view *v)
{
	if (v->progress && v->live) {
		fputs("\r\033[K", v->progress);
		fflush(v->progress);
	}
}

/* The ERROR column: the first error line, where and why. */
static void error_cell(const struct fleet_outcome *o, char *buf, size_t size)
{
	char esc[512];

	buf[0] = '\0';
	if (o->status == FLEET_LOCKED && o->holder[0]) {
		snprintf(buf, size, "held by %s",
			 text_escape(o->holder, esc, sizeof(esc)));
		return;
	}
	if (o->error[0] == '\0')
		return;
	snprintf(buf, size, "%s%s%s%s", o->revision[0] ? "at " : "",
		 o->revision, o->revision[0] ? ": " : "",
		 text_escape(o->error, esc, sizeof(esc)));
	if (o->sqlstate[0] && strstr(buf, o->sqlstate) == NULL)
		snprintf(buf + strlen(buf), size - strlen(buf),
			 " (SQLSTATE %s)", o->sqlstate);
}

struct widths {
	int label, from, to;
};

static int width_of(const char *s, int min)
{
	char esc[256];
	int w = (int)strlen(text_escape(s, esc, sizeof(esc)));

	return w > min ? (w > 40 ? 40 : w) : min;
}

static struct widths measure(const struct fleet_targets *t,
			     const struct fleet_outcome *o)
{
	struct widths w = { 6, 4, 4 };

	for (size_t i = 0; i < t->n; i++) {
		w.label = width_of(t->v[i].label, w.label);
		w.from = width_of(cell(o[i].from_read, o[i].from), w.from);
		w.to = width_of(cell(o[i].to_read, o[i].to), w.to);
	}
	return w;
}

static void row(FILE *out, const struct widths *w, const char *label,
		const struct fleet_outcome *o)
{
	char a[256], b[256], c[256], e[1024];

	error_cell(o, e, sizeof(e));
	fprintf(out, "%-*s  %-*s  %-*s  %-16s  %6.2fs  %s\n", w->label,
		text_escape(label, a, sizeof(a)), w->from,
		text_escape(cell(o->from_read, o->from), b, sizeof(b)), w->to,
		text_escape(cell(o->to_read, o->to), c, sizeof(c)),
		fleet_status_name(final_status(o)),
		(double)o->duration_ms / 1000.0, e);
}

/* "8 targets: 6 ok, 1 up-to-date, 1 failed; 2.31 s; fleet run ID". */
static void summary(FILE *out, const struct fleet_outcome *o, size_t n,
		    const struct fleet_run_info *run, long long elapsed_ms)
{
	static const int order[] = {
		FLEET_OK,     FLEET_UP_TO_DATE,	      FLEET_FAILED,
		FLEET_LOCKED, FLEET_UNKNOWN_REVISION, FLEET_SKIPPED
	};
	size_t counts[FLEET_NSTATUS];
	const char *sep = ": ";

	fleet_view_count(o, n, counts);
	fprintf(out, "%zu target%s", n, n == 1 ? "" : "s");
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if (counts[order[k]] == 0)
			continue;
		fprintf(out, "%s%zu %s", sep, counts[order[k]],
			fleet_status_name(order[k]));
		sep = ", ";
	}
	fprintf(out, " in %.2f s; fleet run %s\n", (double)elapsed_ms / 1000.0,
		run->id);
}

void fleet_view_table(FILE *out, const struct fleet_targets *t,
		      const struct fleet_outcome *o,
		      const struct fleet_run_info *run, long long elapsed_ms)
{
	struct widths w = measure(t, o);

	fprintf(out, "%-*s  %-*s  %-*s  %-16s  %7s  %s\n", w.label, "TARGET",
		w.from, "FROM", w.to, "TO", "STATUS", "TIME", "ERROR");
	for (size_t i = 0; i < t->n; i++)
		row(out, &w, t->v[i].label, &o[i]);
	summary(out, o, t->n, run, elapsed_ms);
}

/* The version rows "a,b" as a JSON array of ids ([] for base); null
 * for a target never read. */
static void json_heads(struct json *j, const char *rows)
{
	if (rows == NULL) {
		json_null(j);
		return;
	}
	json_array_begin(j);
	while (*rows) {
		size_t len = strcspn(rows, ",");

		json_stringn(j, rows, len);
		rows += len + (rows[len] == ',');
	}
	json_array_end(j);
}

static void json_text(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	if (value[0])
		json_string(j, value);
	else
		json_null(j);
}

static void json_target(struct json *j, const char *label,
			const struct fleet_outcome *o)
{
	json_object_begin(j);
	json_key(j, "label");
	json_string(j, label);
	json_key(j, "from");
	json_heads(j, o->from_read ? o->from : NULL);
	json_key(j, "to");
	json_heads(j, o->to_read ? o->to : NULL);
	json_key(j, "status");
	json_string(j, fleet_status_name(final_status(o)));
	json_key(j, "duration_ms");
	json_int(j, o->duration_ms);
	json_key(j, "attempts");
	json_int(j, o->attempts);
	json_key(j, "steps");
	json_int(j, o->steps);
	json_text(j, "revision", o->revision);
	json_text(j, "error", o->error);
	json_text(j, "sqlstate", o->sqlstate);
	json_text(j, "holder", o->holder);
	json_object_end(j);
}

static void json_counts(struct json *j, const struct fleet_outcome *o, size_t n)
{
	size_t counts[FLEET_NSTATUS];

	fleet_view_count(o, n, counts);
	json_object_begin(j);
	for (int s = FLEET_OK; s < FLEET_NSTATUS; s++) {
		json_key(j, fleet_status_name(s));
		json_int(j, (long long)counts[s]);
	}
	json_object_end(j);
}

static void json_run(struct json *j, const struct fleet_run_info *run)
{
	json_key(j, "run");
	json_string(j, run->id);
	json_key(j, "target");
	if (run->target)
		json_string(j, run->target);
	else
		json_null(j);
	json_key(j, "undo_run");
	if (run->undo_run)
		json_string(j, run->undo_run);
	else
		json_null(j);
}

int fleet_view_json(FILE *out, const struct fleet_targets *t,
		    const struct fleet_outcome *o,
		    const struct fleet_run_info *run, long long elapsed_ms,
		    struct retort_error *err)
{
	struct json j = { 0 };
	char command[32];

	snprintf(command, sizeof(command), "fleet %s", run->command);
	json_view_begin(&j, command);
	json_run(&j, run);
	json_key(&j, "elapsed_ms");
	json_int(&j, elapsed_ms);
	json_key(&j, "counts");
	json_counts(&j, o, t->n);
	json_key(&j, "targets");
	json_array_begin(&j);
	for (size_t i = 0; i < t->n; i++)
		json_target(&j, t->v[i].label, &o[i]);
	json_array_end(&j);
	return json_view_print(&j, out, err);
}

/* fleet status's groups: at TARGET, elsewhere (by rows), unknown,
 * unreachable; within each, by rows, then in the targets' order. */
static const struct fleet_outcome *sort_outcomes;

static int group_of(const struct fleet_outcome *o)
{
	switch (o->status) {
	case FLEET_UP_TO_DATE:
		return 0;
	case FLEET_OK:
		return 1;
	case FLEET_UNKNOWN_REVISION:
		return 2;
	default:
		return 3;
	}
}

static int by_group(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	const struct fleet_outcome *x = &sort_outcomes[i],
				   *y = &sort_outcomes[k];
	int c = group_of(x) - group_of(y);

	if (c == 0 && group_of(x) < 3)
		c = strcmp(x->from, y->from);
	return c != 0 ? c : (i < k ? -1 : i > k);
}

static bool same_group(const struct fleet_outcome *x,
		       const struct fleet_outcome *y)
{
	return group_of(x) == group_of(y) &&
	       (group_of(x) == 3 || strcmp(x->from, y->from) == 0);
}

static void group_head(FILE *out, const struct fleet_outcome *o, size_t count,
		       const struct fleet_run_info *run)
{
	const char *noun = count == 1 ? "target" : "targets";
	char rows[256];

	text_escape(heads(o->from), rows, sizeof(rows));
	switch (group_of(o)) {
	case 0:
		fprintf(out, "%s (%s)  %zu %s\n", rows, run->target, count,
			noun);
		return;
	case 1:
		fprintf(out, "%s  %zu %s", rows, count, noun);
		return;
	case 2:
		fprintf(out, "unknown revision %s  %zu %s", rows, count, noun);
		return;
	default:
		fprintf(out, "unreachable  %zu %s\n", count, noun);
	}
}

/* The labels of a group: up to ten on its line, or (unreachable) each
 * with its error. */
static void group_members(FILE *out, const struct fleet_targets *t,
			  const struct fleet_outcome *o, const size_t *idx,
			  size_t n)
{
	int g = group_of(&o[idx[0]]);

	for (size_t k = 0; g == 3 && k < n; k++) {
		fputs("  ", out);
		text_fput(t->v[idx[k]].label, out);
		fputs(": ", out);
		text_fput(o[idx[k]].error, out);
		fputc('\n', out);
	}
	if (g == 0 || g == 3)
		return;
	for (size_t k = 0; k < n && k < STATUS_LABELS; k++) {
		fputs(k ? ", " : ": ", out);
		text_fput(t->v[idx[k]].label, out);
	}
	if (n > STATUS_LABELS)
		fprintf(out, " and %zu more", n - STATUS_LABELS);
	fputc('\n', out);
}

/* The targets status lists: with --run, those the run moved. */
static size_t listed(const struct fleet_outcome *o, size_t n,
		     const struct fleet_run_info *run, size_t *idx)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (run->undo_run == NULL || o[i].steps > 0 ||
		    group_of(&o[i]) == 3)
			idx[m++] = i;
	return m;
}

void fleet_view_status(FILE *out, const struct fleet_targets *t,
		       const struct fleet_outcome *o,
		       const struct fleet_run_info *run)
{
	size_t *idx = calloc(t->n + 1, sizeof(*idx));
	size_t m, at = 0;

	if (idx == NULL)
		return;
	m = listed(o, t->n, run, idx);
	sort_outcomes = o;
	qsort(idx, m, sizeof(*idx), by_group);
	for (size_t k = 0, end; k < m; k = end) {
		for (end = k + 1;
		     end < m && same_group(&o[idx[k]], &o[idx[end]]); end++)
			;
		group_head(out, &o[idx[k]], end - k, run);
		group_members(out, t, o, idx + k, end - k);
		if (group_of(&o[idx[k]]) == 0)
			at += end - k;
	}
	fprintf(out, "%zu of %zu target%s at %s%s%s\n", at, m,
		m == 1 ? "" : "s", run->target,
		run->undo_run ? "; moved by fleet run " : "",
		run->undo_run ? run->undo_run : "");
	free(idx);
}

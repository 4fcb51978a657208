/*
 * driver.c - retort's side of the differential test against Alembic
 * (diff.py): reads graphs and questions on stdin, answers each on one
 * line of stdout through revmap.c alone.
 *
 *   graph N                           then N lines:
 *   rev ID DOWNS LABELS DEPS          comma lists, "-" for none
 *   heads | realheads | bases | history | labels
 *   current ROWS                      ROWS: "a,b" or "-"
 *   up ROWS TARGET | down ROWS TARGET
 *   show TARGET
 *   range ROWS A:B
 *   stamp ROWS PURGE T1,T2            PURGE: 0 or 1
 *   end
 *
 * Answers: "ok [a b] | rows;rows" or "err MESSAGE", in the layout
 * oracle.py prints Alembic's.
 */
#include "graph/revmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096
#define MAX_REVS 512
#define MAX_ARGS 8

struct graph {
	struct revision_meta metas[MAX_REVS];
	char *strings[MAX_REVS][4];
	size_t n;
	struct revmap *map;
};

static char *dash_null(char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/* Split line on spaces into at most MAX_ARGS words, in place. */
static int split_words(char *line, char **words)
{
	int n = 0;

	for (char *t = strtok(line, " \n"); t != NULL && n < MAX_ARGS;
	     t = strtok(NULL, " \n"))
		words[n++] = t;
	return n;
}

static void graph_clear(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		for (int k = 0; k < 4; k++)
			free(g->strings[i][k]);
	revmap_free(g->map);
	memset(g, 0, sizeof(*g));
}

static int graph_add(struct graph *g, char **w)
{
	struct revision_meta *m = &g->metas[g->n];

	if (g->n >= MAX_REVS)
		return -1;
	for (int k = 0; k < 4; k++)
		g->strings[g->n][k] = strdup(w[k + 1]);
	m->id = g->strings[g->n][0];
	m->down_revision = dash_null(g->strings[g->n][1]);
	m->branch_labels = dash_null(g->strings[g->n][2]);
	m->depends_on = dash_null(g->strings[g->n][3]);
	m->message = "";
	m->path = "driver";
	g->n++;
	return 0;
}

static void print_list(const struct revmap *map, const struct revlist *l)
{
	putchar('[');
	for (size_t k = 0; k < l->n; k++)
		printf("%s%s", k ? " " : "", map->revs[l->items[k]].meta->id);
	putchar(']');
}

/* The rows of a row flag array, in input order, or "-". */
static void print_rows(const struct revmap *map, const bool *row)
{
	int any = 0;

	for (size_t r = 0; r < map->n; r++)
		if (row[r])
			printf("%s%s", any++ ? "," : "", map->revs[r].meta->id);
	if (!any)
		putchar('-');
}

static void print_err(const struct retort_error *err)
{
	printf("err %s\n", err->msg);
}

static int state_of(const struct revmap *map, char *rows, struct revstate *st,
		    struct retort_error *err)
{
	const char *ids[MAX_REVS];
	size_t n = 0;

	if (strcmp(rows, "-") != 0)
		for (char *t = strtok(rows, ","); t != NULL && n < MAX_REVS;
		     t = strtok(NULL, ","))
			ids[n++] = t;
	return revmap_state(map, ids, n, st, err);
}

static void apply(bool *row, const struct revlist *remove,
		  const struct revlist *insert)
{
	for (size_t k = 0; k < remove->n; k++)
		row[remove->items[k]] = false;
	for (size_t k = 0; k < insert->n; k++)
		row[insert->items[k]] = true;
}

static void answer_plan(const struct revmap *map, const struct revstate *st,
			enum plan_direction dir, const char *target)
{
	struct plan plan;
	struct retort_error err;
	bool *row = calloc(map->n + 1, sizeof(*row));
	struct revlist revs = { NULL, 0 };

	error_clear(&err);
	if (revmap_plan(map, st, dir, target, &plan, &err) < 0) {
		print_err(&err);
		free(row);
		return;
	}
	revs.items = calloc(plan.n + 1, sizeof(*revs.items));
	for (size_t k = 0; k < plan.n; k++)
		revs.items[revs.n++] = plan.steps[k].rev;
	printf("ok ");
	print_list(map, &revs);
	printf(" | ");
	for (size_t k = 0; k < st->rows.n; k++)
		row[st->rows.items[k]] = true;
	for (size_t k = 0; k < plan.n; k++) {
		apply(row, &plan.steps[k].remove, &plan.steps[k].insert);
		if (k > 0)
			putchar(';');
		print_rows(map, row);
	}
	putchar('\n');
	free(revs.items);
	free(row);
	plan_release(&plan);
}

static void print_ids_comma(const struct revmap *map, const struct revlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		printf("%s%s", k ? "," : "", map->revs[l->items[k]].meta->id);
}

static void answer_stamp(const struct revmap *map, const struct revstate *st,
			 int purge, char *targets)
{
	const char *tv[MAX_REVS];
	size_t nt = 0;
	struct revlist none = { NULL, 0 };
	const struct revlist *rows = purge ? &none : &st->rows;
	bool *row = calloc(map->n + 1, sizeof(*row));
	struct stamp_plan plan;
	struct retort_error err;

	for (char *t = strtok(targets, ","); t != NULL && nt < MAX_REVS;
	     t = strtok(NULL, ","))
		tv[nt++] = t;
	error_clear(&err);
	if (revmap_stamp(map, rows, tv, nt, &plan, &err) < 0) {
		print_err(&err);
		free(row);
		return;
	}
	printf("ok [");
	for (size_t k = 0; k < plan.n; k++) {
		if (k > 0)
			putchar(' ');
		print_ids_comma(map, &plan.steps[k].from);
		putchar('>');
		print_ids_comma(map, &plan.steps[k].to);
	}
	printf("] | ");
	for (size_t k = 0; k < rows->n; k++)
		row[rows->items[k]] = true;
	for (size_t k = 0; k < plan.n; k++) {
		apply(row, &plan.steps[k].remove, &plan.steps[k].insert);
		if (k > 0)
			putchar(';');
		print_rows(map, row);
	}
	putchar('\n');
	stamp_plan_release(&plan);
	free(row);
}

static void answer_list(const struct revmap *map, int rc, struct revlist *l,
			const struct retort_error *err)
{
	if (rc < 0) {
		print_err(err);
		return;
	}
	printf("ok ");
	print_list(map, l);
	putchar('\n');
	revlist_release(l);
}

static void answer_fixed(const struct revmap *map, const struct revlist *l)
{
	printf("ok ");
	print_list(map, l);
	putchar('\n');
}

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void answer_labels(const struct revmap *map)
{
	const char *names[64];

	printf("ok [");
	for (size_t r = 0; r < map->n; r++) {
		const struct revlist *own = &map->revs[r].label_revs;
		size_t n = 0;

		for (size_t k = 0; k < own->n; k++) {
			const struct revision *o = &map->revs[own->items[k]];

			for (size_t j = 0; j < o->nlabels && n < 64; j++)
				names[n++] = o->labels[j];
		}
		qsort(names, n, sizeof(*names), compare_str);
		printf("%s%s:", r ? " " : "", map->revs[r].meta->id);
		for (size_t k = 0; k < n; k++)
			printf("%s%s", k ? "," : "", names[k]);
	}
	printf("]\n");
}

/* Questions that need no version rows. */
static int answer_graph(const struct revmap *map, char **w)
{
	struct revlist l = { NULL, 0 };
	struct retort_error err;
	int rc;

	error_clear(&err);
	if (strcmp(w[0], "heads") == 0)
		answer_fixed(map, &map->heads);
	else if (strcmp(w[0], "realheads") == 0)
		answer_fixed(map, &map->real_heads);
	else if (strcmp(w[0], "bases") == 0)
		answer_fixed(map, &map->bases);
	else if (strcmp(w[0], "labels") == 0)
		answer_labels(map);
	else if (strcmp(w[0], "history") == 0) {
		rc = revmap_history(map, NULL, NULL, &l, &err);
		answer_list(map, rc, &l, &err);
	} else if (strcmp(w[0], "show") == 0) {
		rc = revmap_lookup(map, w[1], &l, &err);
		answer_list(map, rc, &l, &err);
	} else {
		return -1;
	}
	return 0;
}

static void answer_rows(const struct revmap *map, int nw, char **w)
{
	struct revstate st;
	struct revlist l = { NULL, 0 };
	struct retort_error err;
	int rc;

	error_clear(&err);
	if (nw < 2 || state_of(map, w[1], &st, &err) < 0) {
		print_err(&err);
		return;
	}
	if (strcmp(w[0], "current") == 0) {
		rc = revmap_current(map, &st, &l, &err);
		answer_list(map, rc, &l, &err);
	} else if (strcmp(w[0], "up") == 0 && nw > 2) {
		answer_plan(map, &st, PLAN_UPGRADE, w[2]);
	} else if (strcmp(w[0], "down") == 0 && nw > 2) {
		answer_plan(map, &st, PLAN_DOWNGRADE, w[2]);
	} else if (strcmp(w[0], "range") == 0 && nw > 2) {
		rc = revmap_history(map, w[2], &st.rows, &l, &err);
		answer_list(map, rc, &l, &err);
	} else if (strcmp(w[0], "stamp") == 0 && nw > 3) {
		answer_stamp(map, &st, atoi(w[2]), w[3]);
	} else {
		printf("err bad question %s\n", w[0]);
	}
	revstate_release(&st);
}

static void answer(struct graph *g, int nw, char **w)
{
	struct retort_error err;

	if (g->map == NULL) {
		error_clear(&err);
		if (revmap_build(g->metas, g->n, &g->map, &err) < 0) {
			print_err(&err);
			return;
		}
	}
	if (answer_graph(g->map, w) < 0)
		answer_rows(g->map, nw, w);
}

int main(void)
{
	static struct graph g;
	static char line[LINE_MAX_LEN];
	char *w[MAX_ARGS];
	int nw;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		nw = split_words(line, w);
		if (nw == 0)
			continue;
		if (strcmp(w[0], "graph") == 0)
			graph_clear(&g);
		else if (strcmp(w[0], "rev") == 0 && nw == 5)
			graph_add(&g, w);
		else if (strcmp(w[0], "end") == 0)
			graph_clear(&g);
		else
			answer(&g, nw, w);
		fflush(stdout);
	}
	graph_clear(&g);
	return 0;
}

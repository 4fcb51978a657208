/*
 * sd_plan.c - a plan's lists of changes and its problems: how they grow,
 * are ordered and are freed.  Pure: no I/O.
 */
#include "schema/sd_plan.h"

#include <stdlib.h>
#include <string.h>

const char *sd_hazard_name(enum sd_hazard hazard)
{
	switch (hazard) {
	case SD_DATA_LOSS:
		return "data loss";
	case SD_LOCK:
		return "lock";
	case SD_REWRITE:
		return "rewrite";
	case SD_USING:
		return "USING";
	case SD_RENAME:
		return "rename";
	case SD_ROWS:
		return "existing rows";
	case SD_BLOCKS_WRITES:
		return "blocks writes";
	}
	return "hazard";
}

void sd_change_free(struct sd_change *c)
{
	free(c->sql);
	free(c->summary);
	free(c->note);
	free(c->guard);
}

int sd_list_add(struct sd_list *l, struct sd_change c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct sd_change *grown = realloc(l->items, cap * sizeof(c));

		if (grown == NULL) {
			sd_change_free(&c);
			return -1;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = c;
	return 0;
}

int sd_plan_add_problem(struct sd_plan *p, char *text)
{
	char **grown =
		realloc(p->problems, (p->nproblems + 1) * sizeof(*grown));

	if (grown == NULL) {
		free(text);
		return -1;
	}
	p->problems = grown;
	p->problems[p->nproblems++] = text;
	return 0;
}

void sd_list_sort(struct sd_list *l)
{
	for (size_t i = 1; i < l->n; i++) {
		struct sd_change c = l->items[i];
		size_t j = i;

		for (; j > 0 && l->items[j - 1].phase > c.phase; j--)
			l->items[j] = l->items[j - 1];
		l->items[j] = c;
	}
}

static void list_release(struct sd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		sd_change_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void sd_plan_release(struct sd_plan *plan)
{
	if (plan == NULL)
		return;
	list_release(&plan->up);
	list_release(&plan->down);
	for (size_t i = 0; i < plan->nproblems; i++)
		free(plan->problems[i]);
	free(plan->problems);
	memset(plan, 0, sizeof(*plan));
}

bool sd_plan_is_empty(const struct sd_plan *plan)
{
	return plan->up.n == 0 && plan->nproblems == 0;
}

bool sd_list_has_part(const struct sd_list *list, enum sd_part part)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].part == part)
			return true;
	return false;
}

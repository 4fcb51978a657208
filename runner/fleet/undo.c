/*
 * undo.c - a fleet run's moves on one target, read from the
 * retort_history rows it wrote, and the plan that takes them back.
 *
 * The rows are store/'s to read (audit_read_run); the plan is the
 * graph's (revmap_plan_undo).  What is left here is the net effect of the
 * run on the target: a revision it upgraded and then downgraded again
 * moved nothing.  Never prints.
 */
#include "fleet/undo.h"

#include <stdlib.h>
#include <string.h>

#include "store/audit.h"

/* Where id stands in list, or -1. */
static long find_id(char *const *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], id))
			return (long)i;
	return -1;
}

static void drop_at(char **list, size_t *n, size_t at)
{
	free(list[at]);
	memmove(&list[at], &list[at + 1], (*n - at - 1) * sizeof(*list));
	(*n)--;
}

/* One step of the run, oldest first: it cancels the opposite move of the
 * same revision, or is a move of its own. */
static int add_move(struct fleet_moves *m, const char *id, bool upgrade,
		    struct retort_error *err)
{
	char **same = upgrade ? m->upgraded : m->downgraded;
	char **other = upgrade ? m->downgraded : m->upgraded;
	size_t *nsame = upgrade ? &m->nupgraded : &m->ndowngraded;
	size_t *nother = upgrade ? &m->ndowngraded : &m->nupgraded;
	long at = find_id(other, *nother, id);

	if (at >= 0) {
		drop_at(other, nother, (size_t)at);
		return 0;
	}
	same[*nsame] = strdup(id);
	if (!same[*nsame])
		return error_set(err, RETORT_FAILED, "out of memory");
	(*nsame)++;
	return 0;
}

static int collect_moves(const struct audit_log *log, struct fleet_moves *m,
			 struct retort_error *err)
{
	m->upgraded = calloc(log->n + 1, sizeof(char *));
	m->downgraded = calloc(log->n + 1, sizeof(char *));
	if (!m->upgraded || !m->downgraded)
		return error_set(err, RETORT_FAILED, "out of memory");
	/* The log is newest first: the run's steps in the order they ran. */
	for (size_t i = log->n; i-- > 0;) {
		char *const *v = log->items[i].values;
		bool up = !strcmp(v[AUDIT_LOG_DIRECTION], "upgrade");

		if (add_move(m, v[AUDIT_LOG_REVISION], up, err) < 0)
			return -1;
	}
	return 0;
}

int fleet_moves_read(struct db *db, const char *run_id, struct fleet_moves *out,
		     struct retort_error *err)
{
	struct audit_log log;
	int rc;

	memset(out, 0, sizeof(*out));
	if (audit_read_run(db, run_id, &log, err) < 0) {
		error_prefix(err, "cannot read what fleet run %s did", run_id);
		return -1;
	}
	rc = collect_moves(&log, out, err);
	if (rc < 0)
		fleet_moves_release(out);
	audit_log_release(&log);
	return rc;
}

void fleet_moves_release(struct fleet_moves *m)
{
	for (size_t i = 0; i < m->nupgraded; i++)
		free(m->upgraded[i]);
	for (size_t i = 0; i < m->ndowngraded; i++)
		free(m->downgraded[i]);
	free(m->upgraded);
	free(m->downgraded);
	memset(m, 0, sizeof(*m));
}

int fleet_undo_plan(const struct revmap *map, const struct revstate *state,
		    const struct fleet_moves *m, struct plan *out,
		    struct retort_error *err)
{
	struct revlist undo = { NULL, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	undo.items = calloc(m->nupgraded + 1, sizeof(*undo.items));
	if (!undo.items)
		return error_set(err, RETORT_FAILED, "out of memory");
	for (size_t i = 0; i < m->nupgraded; i++)
		if (!revmap_find(map, m->upgraded[i], &undo.items[undo.n++])) {
			error_set(err, RETORT_USAGE,
				  "revision %s, which the run upgraded, is not "
				  "in the revision set",
				  m->upgraded[i]);
			error_hint(
				err,
				"Run with the revisions the run ran with (--versions DIR), so that each can be downgraded.");
			free(undo.items);
			return -1;
		}
	rc = revmap_plan_undo(map, state, &undo, out, err);
	free(undo.items);
	return rc;
}

/*
 * undo.c - a fleet run's moves on one target, and their undo.
 */
#include "fleet/undo.h"

#include <stdlib.h>
#include <string.h>

int fleet_moves_read(struct db *db, const char *run_id, struct fleet_moves *out,
		     struct retort_error *err)
{
	(void)db, (void)run_id;
	memset(out, 0, sizeof(*out));
	return error_set(err, RETORT_USAGE, "--run is not available yet");
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
	(void)map, (void)state, (void)m;
	memset(out, 0, sizeof(*out));
	return error_set(err, RETORT_USAGE, "--run is not available yet");
}

/*
 * fleet_child.h - one target of a fleet run, in the process the fleet
 * forked for it: what `retort upgrade|downgrade|stamp TARGET` does for one
 * database, or what `fleet status` reads, told back as a fleet_outcome.
 */
#ifndef RETORT_FLEET_CHILD_H
#define RETORT_FLEET_CHILD_H

#include <stddef.h>

#include "cli/cmd.h"
#include "fleet/outcome.h"
#include "fleet/targets.h"

enum fleet_kind { FLEET_UPGRADE, FLEET_DOWNGRADE, FLEET_STAMP, FLEET_STATUS };

/* What every child of one fleet run shares; borrowed, read-only. */
struct fleet_job {
	struct app *app; /* revisions loaded; each child changes its copy */
	const struct fleet_targets *targets;
	enum fleet_kind kind;
	const char *target;   /* TARGET; NULL for downgrade --run */
	const char *run_id;   /* this run's id: cfg.fleet_run */
	const char *undo_run; /* --run ID, or NULL */
};

/* A fleet_pool_fn: target i of job (a struct fleet_job *). */
void fleet_child_run(size_t i, struct fleet_outcome *out, void *job);

#endif

/*
 * migrate.h - running a plan: each step loads its plugin, runs upgrade()
 * or downgrade() in a transaction with its version-table change, commits,
 * and unloads.  Also the host side of plugin_api.h.
 */
#ifndef RETORT_MIGRATE_H
#define RETORT_MIGRATE_H

#include <stdio.h>

#include "cli/config.h"
#include "store/db.h"
#include "base/error.h"
#include "graph/revmap.h"

struct migrate_opts {
	FILE *out; /* "Running upgrade ..." lines; NULL = quiet */
	const struct config *cfg; /* -x arguments, --unsafe-plugins, ... */
	bool sample;		  /* upgrade --sample */
};

/*
 * Run every step of plan in order.  A failing step is rolled back and
 * stops the run with RETORT_FAILED; the steps before it stay committed.
 */
int migrate_run(struct db *db, const struct revmap *map,
		const struct plan *plan, const struct migrate_opts *opts,
		struct retort_error *err);

/* The plugin_load() flags the configuration asks for. */
unsigned plugin_flags(const struct config *cfg);

#endif

/*
 * app.c - loading what commands share: the revision graph, the
 * connection, the database's state.  Never prints.
 */
#include "cli/cmd.h"

#include <stdlib.h>

#include "exec/integrity.h"
#include "proc/isolate.h"
#include "store/lease.h"
#include "exec/step.h"

int app_load_revisions(struct app *app, unsigned flags,
		       struct retort_error *err)
{
	if (app->map)
		return 0;
	if (plugin_discover_with(app->cfg.versions,
				 flags | plugin_flags(&app->cfg), &app->plugins,
				 err) < 0)
		return -1;
	return revmap_build(app->plugins.metas, app->plugins.n, &app->map, err);
}

/*
 * retort waits 10 s for a server by default, where libpq would wait for
 * ever; libpq's own PGCONNECT_TIMEOUT, when set, keeps its say.
 */
static const char *connect_timeout(const struct config *cfg)
{
	if (cfg->connect_timeout)
		return cfg->connect_timeout;
	return getenv("PGCONNECT_TIMEOUT") ? NULL : "10";
}

int app_connect(struct app *app, struct retort_error *err)
{
	if (app->db.conn)
		return 0;
	if (db_connect_timeout(&app->db, app->cfg.url,
			       connect_timeout(&app->cfg),
			       app->cfg.version_table,
			       app->cfg.version_table_schema, err) < 0) {
		if (app->cfg.url_source)
			error_detail(err, "the URL came from %s",
				     app->cfg.url_source);
		return -1;
	}
	/* From now on SIGINT/SIGTERM cancel the statement on the server. */
	isolate_set_cancel(db_cancel_from_signal, app->db.cancel);
	return 0;
}

int app_lock(struct app *app, struct retort_error *err)
{
	struct lease_opts opts = { .timeout = app->cfg.lock_timeout,
				   .length = app->cfg.lock_lease,
				   .progress = app->progress };

	return lease_acquire(&app->db, &opts, err);
}

void app_give_back_lock(struct app *app)
{
	struct retort_error ignored = { 0 };

	if (app_connect(app, &ignored) == 0)
		lease_give_back(&app->db);
}

int app_read_state(struct app *app, struct revstate *state,
		   struct retort_error *err)
{
	return integrity_read_rows(&app->db, app->map, state, err);
}

struct integrity app_integrity(struct app *app)
{
	return (struct integrity){ .db = &app->db,
				   .map = app->map,
				   .plugins = &app->plugins,
				   .versions = app->cfg.versions };
}

void app_release(struct app *app)
{
	isolate_set_cancel(NULL, NULL);
	lease_release(&app->db);
	db_close(&app->db);
	revmap_free(app->map);
	app->map = NULL;
	plugin_set_release(&app->plugins);
	config_release(&app->cfg);
}

/*
 * app.c - loading what commands share: the revision graph, the
 * connection, the database's state.  Never prints.
 */
#include "cli/cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/integrity.h"
#include "proc/isolate.h"
#include "store/lease.h"
#include "exec/step.h"
#include "plugins/build.h"

/*
 * The compiler: the ini's cc, as a Makefile's CC = line wins over the
 * environment, else CC from the environment, else cc.
 */
static void choose_cc(const struct config *cfg, struct build_opts *o)
{
	const char *env_cc = getenv("CC");

	if (cfg->cc) {
		o->cc = cfg->cc;
		o->cc_origin = "cc in the configuration file";
	} else if (env_cc && env_cc[strspn(env_cc, " \t")] != '\0') {
		o->cc = env_cc;
		o->cc_origin = "the CC environment variable";
	} else {
		o->cc = "cc";
		o->cc_origin =
			"the default (neither CC nor the ini's cc is set)";
	}
}

static void build_opts_of(const struct app *app, struct build_opts *o,
			  char *api, size_t size)
{
	const struct config *cfg = &app->cfg;
	bool never = cfg->build && strcmp(cfg->build, "never") == 0;

	*o = (struct build_opts){ .sources = cfg->sources,
				  .versions = cfg->versions,
				  .check_only = cfg->no_build || never,
				  .check_why = cfg->no_build ? "--no-build"
							     : "build = never",
				  .progress = app->progress };
	choose_cc(cfg, o);
	o->api_dir = build_api_dir(cfg->ini_file_dir, api, size);
}

static int discover(struct app *app, unsigned flags, struct retort_error *err)
{
	return plugin_discover_with(app->cfg.versions,
				    flags | plugin_flags(&app->cfg),
				    &app->plugins, err);
}

struct build_call {
	const struct build_opts *opts;
	struct build *out;
};

static int run_build(void *arg, struct retort_error *err)
{
	struct build_call *call = arg;

	return build_run(call->opts, call->out, err);
}

int app_build(struct app *app, bool force, unsigned flags,
	      struct app_built *out, struct retort_error *err)
{
	struct build b = { 0 };
	struct build_call call;
	struct build_opts o;
	char api[PATH_MAX];
	int rc;

	*out = (struct app_built){ 0 };
	build_opts_of(app, &o, api, sizeof(api));
	o.force = force;
	call = (struct build_call){ &o, &b };
	/* Ctrl-C or SIGTERM mid-build stops the compilers and removes their
	 * half-written plugins, rather than leave them in the directory. */
	rc = app->cfg.sources && !app->cfg.versions_only
		     ? isolate_stoppable(run_build, &call, err)
		     : 0;
	out->built = b.built;
	if (rc == 0)
		rc = discover(app, flags, err);
	/* A plugin of a deleted source is a build leftover while retort
	 * builds; with --no-build it may be all an image ships. */
	if (rc == 0 && !o.check_only)
		rc = build_remove_leftovers(&b, &app->plugins, app->progress,
					    &out->removed, err);
	if (rc == 0 && out->removed > 0) {
		plugin_set_release(&app->plugins);
		rc = discover(app, flags, err);
	}
	build_release(&b);
	return rc;
}

/*
 * A versions directory missing where no retort.ini was found: most likely
 * retort runs outside the project, so say where it looked for one.
 */
static void no_ini_found(const struct config *cfg, struct retort_error *err)
{
	if (cfg->ini_searched == NULL || access(cfg->versions, F_OK) == 0)
		return;
	error_detail(err, "no retort.ini was found; looked in %s",
		     cfg->ini_searched);
	error_hint(
		err,
		"Run retort in the project's directory or below it, give its configuration with -c FILE, or point --versions at the built plugins.");
}

int app_load_revisions(struct app *app, unsigned flags,
		       struct retort_error *err)
{
	struct app_built built;

	if (app->map)
		return 0;
	if (app_build(app, false, flags, &built, err) < 0) {
		no_ini_found(&app->cfg, err);
		return -1;
	}
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

/* The PG* variables that choose the server, as "PGHOST, PGPORT"; "" if
 * none is set. */
static void pg_variables_set(char *buf, size_t size)
{
	static const char *const names[] = { "PGHOST",	     "PGHOSTADDR",
					     "PGPORT",	     "PGDATABASE",
					     "PGUSER",	     "PGSERVICE",
					     "PGSERVICEFILE" };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (getenv(names[i]) != NULL && used < size)
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%s", used ? ", " : "",
						 names[i]);
}

/*
 * No URL from anywhere: with no PG* variable either, the URL was
 * forgotten, which is the first thing to say; libpq's failure with its
 * defaults (most often the local socket) comes after, as detail.
 */
static void explain_no_url(const char *url_source, struct retort_error *err)
{
	struct retort_error libpq = *err;
	char vars[128];

	pg_variables_set(vars, sizeof(vars));
	if (vars[0] != '\0') {
		if (url_source != NULL)
			error_detail(err, "the URL came from %s", url_source);
		error_detail(err, "set in the environment: %s", vars);
		return;
	}
	error_set(err, RETORT_FAILED,
		  "no database URL was given: not with --url, nor in "
		  "DATABASE_URL, a .env file or retort.ini's url");
	error_detail(err, "libpq's defaults were tried instead: %s", libpq.msg);
	error_detail(err, "%s", libpq.detail);
	error_hint(
		err,
		"Give the database as --url postgresql://USER:PASSWORD@HOST:5432/DB, or set DATABASE_URL (in the environment or .env), or url in retort.ini.");
}

int app_connect(struct app *app, struct retort_error *err)
{
	if (app->db.conn)
		return 0;
	/* A tenant's schema holds retort's tables in version_table_schema's
	 * place (config_check_tenant refuses both). */
	if (db_connect_timeout(
		    &app->db, app->cfg.url, connect_timeout(&app->cfg),
		    app->cfg.version_table,
		    app->cfg.tenant_schema ? app->cfg.tenant_schema
					   : app->cfg.version_table_schema,
		    err) < 0) {
		if (app->cfg.url == NULL && err->status == RETORT_FAILED)
			explain_no_url(app->cfg.url_source, err);
		else if (app->cfg.url_source)
			error_detail(err, "the URL came from %s",
				     app->cfg.url_source);
		return -1;
	}
	app->db.fleet_run = app->cfg.fleet_run;
	if (app->cfg.tenant_schema &&
	    db_use_tenant(&app->db, app->cfg.tenant_schema, err) < 0)
		return -1;
	/* From now on SIGINT/SIGTERM cancel the statement on the server. */
	isolate_set_cancel(db_cancel_from_signal, app->db.cancel);
	return 0;
}

int app_refuse_tenant(const struct app *app, const char *what,
		      struct retort_error *err)
{
	if (!app->cfg.tenant_schema)
		return 0;
	error_set(err, RETORT_USAGE, "%s does not run with --tenant-schema",
		  what);
	error_detail(
		err,
		"it runs the revisions on a copy or into a script of its own, where the tenant's schema would not be put first in search_path as a run puts it");
	error_hint(
		err,
		"Run it without --tenant-schema (tenant_schema in retort.ini); upgrade, downgrade, stamp, current, check, log, history and wait take it.");
	return -1;
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

int app_check_plan(struct app *app, bool allow_changed, const struct plan *plan,
		   const struct revstate *state, struct retort_error *err)
{
	struct integrity in = app_integrity(app);

	/* With nothing to run there is nothing to refuse. */
	if (plan->n > 0 &&
	    integrity_intact(&in, allow_changed || app->cfg.allow_changed, plan,
			     state, err) < 0)
		return -1;
	return plugin_check_plan(&app->plugins, plan, plugin_flags(&app->cfg),
				 err);
}

int app_plan_unlocked(struct app *app, enum plan_direction direction,
		      const char *target, bool allow_changed, struct plan *plan,
		      struct retort_error *err)
{
	struct integrity in = app_integrity(app);
	struct revstate state = { 0 };
	int rc = -1;

	if (integrity_read_state(&in, &state, err) < 0 ||
	    revmap_plan(app->map, &state, direction, target, plan, err) < 0)
		goto out;
	rc = app_check_plan(app, allow_changed, plan, &state, err);
out:
	revstate_release(&state);
	return rc;
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

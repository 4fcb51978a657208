/*
 * config.c - the configuration's defaults, -x arguments, and what the
 * commands ask of it.  The readers are apart: config_ini.c (retort.ini),
 * config_dotenv.c (.env) and config_url.c (choosing and normalising the
 * database URL).
 *
 * No libpq, no getenv(), no printing.  -x values may carry a password, so
 * errors never quote them.
 */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

int config_init(struct config *cfg, struct retort_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->versions = strdup("build/versions");
	cfg->sources = strdup("versions");
	cfg->version_table = strdup("alembic_version");
	cfg->schema = strdup("db/schema.sql");
	if (!cfg->versions || !cfg->sources || !cfg->version_table ||
	    !cfg->schema) {
		config_release(cfg);
		return config_out_of_memory(err);
	}
	return 0;
}

void config_release(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nargs; i++) {
		free(cfg->args[i].key);
		free(cfg->args[i].value);
	}
	free(cfg->args);
	for (i = 0; i < cfg->nini_backfill; i++) {
		free(cfg->ini_backfill[i].key);
		free(cfg->ini_backfill[i].value);
	}
	free(cfg->ini_backfill);
	free(cfg->url);
	free(cfg->url_source);
	free(cfg->url_notes);
	free(cfg->connect_timeout);
	free(cfg->lint_large_rows);
	free(cfg->ini_url);
	free(cfg->ini_url_at);
	free(cfg->version_table_schema);
	free(cfg->lock_timeout);
	free(cfg->ddl_lock_timeout);
	free(cfg->statement_timeout);
	free(cfg->lock_lease);
	free(cfg->version_table);
	free(cfg->schema);
	free(cfg->shadow_url);
	free(cfg->sources);
	free(cfg->versions);
	free(cfg->ini_dir);
	free(cfg->ini_searched);
	free(cfg->build);
	free(cfg->cc);
	free(cfg->ini_file_dir);
	free(cfg->tenant_schema);
	free(cfg->fleet_run);
	memset(cfg, 0, sizeof(*cfg));
}
bool config_is_seconds(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits <= 9 && s[digits] == '\0';
}

bool config_is_count(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && digits <= 15 && s[digits] == '\0';
}

bool config_is_duration(const char *s)
{
	static const char *const units[] = { "", "ms", "s", "min", "h" };
	size_t digits = strspn(s, "0123456789");

	if (digits == 0 || digits > 9)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + digits, units[i]) == 0)
			return true;
	return false;
}
/* ---- -x key=value ---- */

static int arg_malformed(struct retort_error *err, const char *what)
{
	/* Not the argument itself: -x may carry a password. */
	error_set(err, RETORT_USAGE, "-x argument %s", what);
	error_hint(
		err,
		"Write -x key=value; the value may contain '=' or be empty (-x key=).");
	return -1;
}

int config_add_arg(struct config *cfg, const char *key_value,
		   struct retort_error *err)
{
	const char *eq = strchr(key_value, '=');
	struct config_arg *args;
	char *key = NULL;
	char *value = NULL;

	if (eq == NULL)
		return arg_malformed(err, "has no '='");
	if (eq == key_value)
		return arg_malformed(err, "has an empty key");
	key = strndup(key_value, (size_t)(eq - key_value));
	value = strdup(eq + 1);
	if (key == NULL || value == NULL)
		goto fail;
	args = realloc(cfg->args, (cfg->nargs + 1) * sizeof(*args));
	if (args == NULL)
		goto fail;
	cfg->args = args;
	args[cfg->nargs].key = key;
	args[cfg->nargs].value = value;
	cfg->nargs++;
	return 0;
fail:
	free(value);
	free(key);
	return config_out_of_memory(err);
}

const char *config_arg(const struct config *cfg, const char *key)
{
	size_t i;

	for (i = cfg->nargs; i > 0; i--)
		if (strcmp(cfg->args[i - 1].key, key) == 0)
			return cfg->args[i - 1].value;
	return NULL;
}

const char *config_ini_backfill(const struct config *cfg, const char *key)
{
	size_t i;

	for (i = cfg->nini_backfill; i > 0; i--)
		if (strcmp(cfg->ini_backfill[i - 1].key, key) == 0)
			return cfg->ini_backfill[i - 1].value;
	return NULL;
}

/* PostgreSQL keeps an identifier's first NAMEDATALEN - 1 bytes. */
#define TENANT_SCHEMA_MAX 63

int config_check_tenant(const struct config *cfg, struct retort_error *err)
{
	const char *t = cfg->tenant_schema;

	if (!t)
		return 0;
	if (!t[0] || strlen(t) > TENANT_SCHEMA_MAX) {
		error_set(err, RETORT_USAGE, "the tenant schema is %s",
			  t[0] ? "longer than 63 bytes" : "empty");
		error_hint(err, "Give --tenant-schema (ini tenant_schema) the "
				"name of the tenant's schema.");
		return -1;
	}
	if (!cfg->version_table_schema)
		return 0;
	error_set(err, RETORT_USAGE,
		  "a tenant schema and version_table_schema are both set");
	error_detail(err, "tenant schema \"%s\", version_table_schema \"%s\"",
		     t, cfg->version_table_schema);
	error_hint(err, "Set one: the tenant schema holds retort's tables in "
			"version_table_schema's place.  Remove "
			"version_table_schema from retort.ini when you run "
			"with --tenant-schema.");
	return -1;
}

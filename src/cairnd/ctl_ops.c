/* ctl_ops.c - the operations of the controller API (docs/protocol.md §1): deploy, scale,
 * configure, refresh, remove, status, model-config, resolved, show-status-log, shutdown.
 * debug-log and wait-for (streams) live in ctl_streams.c. */
#include "controller.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charm/charm.h"
#include "charm/settings.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/strnum.h"

#define CTL_MAX_UNITS_PER_CALL 10000

int ctl_op_debug_log(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb);
int ctl_op_wait_for(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		    struct errbuf *eb);

static const char *req_str(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static int req_int(json_t *req, const char *key, int dflt)
{
	json_t *v = json_object_get(req, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static bool req_bool(json_t *req, const char *key)
{
	return json_is_true(json_object_get(req, key));
}

static int op_ping(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		   struct errbuf *eb)
{
	(void)conn;
	(void)req;
	(void)eb;
	*ret = json_pack("{s:s, s:i, s:s, s:s}", "version", CAIRN_VERSION, "pid", (int)getpid(),
			 "model", c->m->name, "model-uuid", c->m->uuid);
	return 0;
}

/* Copies (or moves, for an unpacked zip) the charm at src into the store and loads it from
 * there.  *ret_dir receives the store path. */
static int store_charm(struct controller *c, const char *app, int rev, struct charm *opened,
		       bool unpacked, struct charm **ret, char **ret_dir, struct errbuf *eb)
{
	char *dir = xasprintf("%s/charms/%s/%d", c->home, app, rev);
	char *parent = xasprintf("%s/charms/%s", c->home, app);
	int r;

	fs_rm_rf(dir);
	fs_mkdir_p(parent, 0755);
	free(parent);
	if (unpacked)
		r = rename(opened->dir, dir) < 0 ? -errno : 0;
	else
		r = fs_copy_tree(opened->dir, dir);
	if (r < 0) {
		errbuf_set(eb, "cannot store charm: %s", strerror(-r));
		goto fail;
	}
	r = charm_load_dir(dir, ret, eb);
	if (r < 0)
		goto fail;
	*ret_dir = dir;
	return 0;
fail:
	fs_rm_rf(dir);
	free(dir);
	return r;
}

/* Opens the charm named by the request's "charm" path.  *unpacked tells whether it was a zip
 * unpacked into a scratch directory (which the caller must move or remove). */
static int open_charm(struct controller *c, json_t *req, struct charm **ret, bool *unpacked,
		      struct errbuf *eb)
{
	const char *path = req_str(req, "charm");
	struct stat st;
	char *scratch;
	int r;

	if (!path || !*path) {
		errbuf_set(eb, "no charm specified");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		errbuf_set(eb, "charm or bundle at \"%s\" not found", path);
		return -ENOENT;
	}
	*unpacked = !S_ISDIR(st.st_mode);
	scratch = xasprintf("%s/charms/.tmp-%d-%llu", c->home, (int)getpid(),
			    (unsigned long long)loop_wall_ns());
	r = charm_open(path, *unpacked ? scratch : NULL, ret, eb);
	if (r < 0 && *unpacked)
		fs_rm_rf(scratch);
	free(scratch);
	return r;
}

static void discard_opened(struct charm *opened, bool unpacked)
{
	if (!opened)
		return;
	if (unpacked)
		fs_rm_rf(opened->dir);
	charm_free(opened);
}

static int add_units(struct controller *c, struct model_app *a, int n, json_t *names,
		     struct errbuf *eb)
{
	struct model_unit **added = xcalloc((size_t)n + 1, sizeof(*added));
	int r = 0, k = 0;

	model_begin(c->m);
	for (; k < n; k++) {
		r = model_add_unit(c->m, a, &added[k], eb);
		if (r < 0)
			break;
	}
	if (r == 0 && (!a->leader || !model_find_unit(c->m, a->leader)) && k > 0)
		r = model_set_leader(c->m, a, added[0]->name, false, eb);
	if (r == 0)
		r = model_commit(c->m, eb);
	else
		model_rollback(c->m);
	if (r == 0) {
		for (int i = 0; i < k; i++) {
			added[i]->uniter = agent_add_unit(c->agent, added[i]->name, NULL);
			json_array_append_new(names, json_string(added[i]->name));
		}
	}
	free(added);
	return r;
}

static int op_deploy(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	struct charm *opened = NULL, *stored = NULL;
	struct model_app *a;
	json_t *settings = NULL, *sources = json_object_get(req, "config");
	json_t *empty = json_object(), *names, *resources = NULL;
	const char *app;
	char *dir = NULL;
	bool unpacked = false;
	int n = req_int(req, "num-units", 1), rev, r;

	(void)conn;
	if (n < 0 || n > CTL_MAX_UNITS_PER_CALL) {
		errbuf_set(eb, "--num-units must be between 0 and %d", CTL_MAX_UNITS_PER_CALL);
		r = -EINVAL;
		goto out;
	}
	r = open_charm(c, req, &opened, &unpacked, eb);
	if (r < 0)
		goto out;
	app = req_str(req, "app");
	if (!app || !*app)
		app = opened->name;
	if (!charm_valid_app_name(app)) {
		errbuf_set(eb, "invalid application name \"%s\"", app);
		r = -EINVAL;
		goto out;
	}
	if (model_find_app(c->m, app)) {
		errbuf_set(eb, "cannot add application \"%s\": application already exists", app);
		r = -EEXIST;
		goto out;
	}
	r = settings_apply(opened, app, empty, sources, &settings, eb);
	if (r < 0)
		goto out;
	resources = json_object();
	{
		json_t *given = json_object_get(req, "resources"), *v;
		const char *k;

		json_object_foreach(given, k, v) {
			json_t *decl = json_object_get(opened->resources, k);

			if (!decl) {
				errbuf_set(eb, "invalid resource name \"%s\": the charm declares no such resource", k);
				r = -EINVAL;
				goto out;
			}
			if (!json_is_string(v) || access(json_string_value(v), R_OK) < 0) {
				errbuf_set(eb, "resource \"%s\": cannot read \"%s\"", k,
					   json_is_string(v) ? json_string_value(v) : "");
				r = -EINVAL;
				goto out;
			}
			json_object_set_new(resources, k, json_pack("{s:s, s:s}", "type",
				json_string_value(json_object_get(decl, "type")) ?
				json_string_value(json_object_get(decl, "type")) : "file", "path",
				json_string_value(v)));
		}
	}
	rev = opened->revision >= 0 ? opened->revision : 0;
	r = store_charm(c, app, rev, opened, unpacked, &stored, &dir, eb);
	unpacked = false;
	if (r < 0)
		goto out;
	r = model_add_app(c->m, app, stored, dir, rev, settings, resources, &a, eb);
	if (r < 0) {
		charm_free(stored);
		json_decref(settings);
		fs_rm_rf(dir);
		goto out;
	}
	settings = NULL;
	names = json_array();
	r = add_units(c, a, n, names, eb);
	if (r < 0) {
		json_decref(names);
		goto out;
	}
	ctl_log(c, "controller", "INFO", "cairn.model", "deployed %s (charm %s, revision %d) with %d unit(s)",
		app, a->charm_name, rev, n);
	*ret = json_pack("{s:s, s:o}", "application", app, "units", names);
out:
	discard_opened(opened, unpacked);
	json_decref(resources);
	json_decref(empty);
	json_decref(settings);
	free(dir);
	return r;
}

static struct model_app *need_app(struct controller *c, json_t *req, struct errbuf *eb)
{
	const char *name = req_str(req, "app");
	struct model_app *a;

	if (!name || !*name) {
		errbuf_set(eb, "no application specified");
		return NULL;
	}
	a = model_find_app(c->m, name);
	if (!a)
		errbuf_set(eb, "application \"%s\" not found", name);
	return a;
}

static int op_add_unit(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	struct model_app *a = need_app(c, req, eb);
	int n = req_int(req, "num-units", 1);
	json_t *names;

	(void)conn;
	if (!a)
		return -ENOENT;
	if (a->dying) {
		errbuf_set(eb, "cannot add unit to application \"%s\": application is not alive", a->name);
		return -EINVAL;
	}
	if (n < 1 || n > CTL_MAX_UNITS_PER_CALL) {
		errbuf_set(eb, "--num-units must be a positive integer");
		return -EINVAL;
	}
	names = json_array();
	if (add_units(c, a, n, names, eb) < 0) {
		json_decref(names);
		return -EIO;
	}
	*ret = json_pack("{s:o}", "units", names);
	return 0;
}

static int op_remove_unit(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			  struct errbuf *eb)
{
	json_t *units = json_object_get(req, "units"), *v, *done = json_array();
	size_t i;

	(void)conn;
	if (!json_is_array(units) || !json_array_size(units)) {
		json_decref(done);
		errbuf_set(eb, "no units specified");
		return -EINVAL;
	}
	/* Check every name first: an error changes nothing. */
	json_array_foreach(units, i, v) {
		const char *name = json_string_value(v);

		if (!name || !charm_valid_unit_name(name)) {
			errbuf_set(eb, "invalid unit name \"%s\"", name ? name : "");
			json_decref(done);
			return -EINVAL;
		}
		if (!model_find_unit(c->m, name)) {
			errbuf_set(eb, "removing unit %s failed: unit \"%s\" does not exist", name, name);
			json_decref(done);
			return -ENOENT;
		}
	}
	bool force = req_bool(req, "force");

	json_array_foreach(units, i, v) {
		struct model_unit *u = model_find_unit(c->m, json_string_value(v));

		json_array_append_new(done, json_string(u->name));
		if (!u->dying && model_set_unit_dying(c->m, u, eb) < 0) {
			json_decref(done);
			return -EIO;
		}
		/* A unit whose hooks fail is removed only with --force (§4), which stops
		 * waiting for its agent. */
		if (force && u->uniter)
			agent_force_remove(c->agent, u->uniter);
		else
			agent_kick(c->agent, u->uniter);
	}
	*ret = json_pack("{s:o}", "units", done);
	return 0;
}

static int op_remove_application(struct controller *c, struct msgsrv_conn *conn, json_t *req,
				 json_t **ret, struct errbuf *eb)
{
	json_t *apps = json_object_get(req, "apps"), *v, *done = json_array();
	size_t i;

	(void)conn;
	if (!json_is_array(apps) || !json_array_size(apps)) {
		json_decref(done);
		errbuf_set(eb, "no application specified");
		return -EINVAL;
	}
	json_array_foreach(apps, i, v) {
		const char *name = json_string_value(v);

		if (!name || !model_find_app(c->m, name)) {
			errbuf_set(eb, "application \"%s\" not found", name ? name : "");
			json_decref(done);
			return -ENOENT;
		}
	}
	json_array_foreach(apps, i, v) {
		struct model_app *a = model_find_app(c->m, json_string_value(v));
		char *name = xstrdup(a->name);

		json_array_append_new(done, json_string(name));
		if (!a->dying && model_set_app_dying(c->m, a, eb) < 0) {
			free(name);
			json_decref(done);
			return -EIO;
		}
		if (a->n_units == 0) {
			char *store = xasprintf("%s/charms/%s", c->home, a->name);

			if (model_delete_app(c->m, a, eb) == 0)
				fs_rm_rf(store);
			free(store);
		} else if (req_bool(req, "force")) {
			/* Each forced removal may delete the app with its last unit. */
			while ((a = model_find_app(c->m, name)) && a->n_units)
				agent_force_remove(c->agent, a->units[0]->uniter);
		} else {
			for (size_t k = 0; k < a->n_units; k++)
				agent_kick(c->agent, a->units[k]->uniter);
		}
		free(name);
	}
	ctl_waiters_check(c);
	*ret = json_pack("{s:o}", "applications", done);
	return 0;
}

static int op_config_get(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			 struct errbuf *eb)
{
	struct model_app *a = need_app(c, req, eb);

	(void)conn;
	if (!a)
		return -ENOENT;
	*ret = json_pack("{s:s, s:s, s:o}", "application", a->name, "charm", a->charm_name,
			 "settings", settings_describe(a->charm, a->settings));
	return 0;
}

static void kick_app(struct controller *c, struct model_app *a)
{
	for (size_t k = 0; k < a->n_units; k++)
		agent_kick(c->agent, a->units[k]->uniter);
	ctl_waiters_check(c);
}

static int op_config_set(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			 struct errbuf *eb)
{
	struct model_app *a = need_app(c, req, eb);
	json_t *sources = json_object_get(req, "config"), *next = NULL;
	char before[65];
	int r;

	(void)conn;
	if (!a)
		return -ENOENT;
	if (!json_is_array(sources)) {
		errbuf_set(eb, "no configuration given");
		return -EINVAL;
	}
	r = settings_apply(a->charm, a->name, a->settings, sources, &next, eb);
	if (r < 0)
		return r;
	memcpy(before, a->config_hash, sizeof(before));
	r = model_set_settings(c->m, a, next, eb);
	if (r < 0)
		return r;
	/* All keys of one call reach the units together: one config-changed (§5). */
	if (strcmp(before, a->config_hash) != 0)
		kick_app(c, a);
	*ret = json_object();
	return 0;
}

static int op_refresh(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		      struct errbuf *eb)
{
	struct model_app *a = need_app(c, req, eb);
	struct charm *opened = NULL, *stored = NULL;
	json_t *rebased = NULL, *settings = NULL, *sources = json_object_get(req, "config");
	bool unpacked = false;
	char *dir = NULL;
	int rev, r;

	(void)conn;
	if (!a)
		return -ENOENT;
	if (a->dying) {
		errbuf_set(eb, "application \"%s\" is being removed", a->name);
		return -EINVAL;
	}
	r = open_charm(c, req, &opened, &unpacked, eb);
	if (r < 0)
		goto out;
	if (strcmp(opened->name, a->charm_name) != 0) {
		errbuf_set(eb, "cannot refresh \"%s\" to charm \"%s\": charm name mismatch (use --switch)",
			   a->name, opened->name);
		r = -EINVAL;
		goto out;
	}
	/* A local charm keeps its recorded revision when that moves forward, else gets the
	 * highest revision so far + 1 (§6). */
	rev = opened->revision > a->charm_rev ? opened->revision : a->charm_rev + 1;
	rebased = settings_rebase(opened, a->settings);
	r = settings_apply(opened, a->name, rebased, json_is_array(sources) ? sources : NULL,
			   &settings, eb);
	if (r < 0)
		goto out;
	r = store_charm(c, a->name, rev, opened, unpacked, &stored, &dir, eb);
	unpacked = false;
	if (r < 0)
		goto out;
	r = model_set_charm(c->m, a, stored, dir, rev, settings, eb);
	settings = NULL;
	if (r < 0)
		goto out;
	ctl_log(c, "controller", "INFO", "cairn.model", "refreshed %s to revision %d", a->name, rev);
	kick_app(c, a);
	*ret = json_pack("{s:s, s:s, s:i}", "application", a->name, "charm", a->charm_name,
			 "revision", rev);
out:
	discard_opened(opened, unpacked);
	json_decref(rebased);
	json_decref(settings);
	free(dir);
	return r;
}

static int op_status(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	(void)conn;
	(void)req;
	(void)eb;
	*ret = status_build(c);
	return 0;
}

static int validate_model_config(const char *key, const char *value, struct errbuf *eb)
{
	if (!strcmp(key, "update-status-hook-interval")) {
		int64_t ns;

		if (strnum_duration(value, &ns) < 0 || ns <= 0) {
			errbuf_set(eb, "update-status-hook-interval: invalid duration \"%s\"", value);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "automatically-retry-hooks")) {
		bool b;

		if (strnum_bool(value, &b) < 0) {
			errbuf_set(eb, "automatically-retry-hooks: expected bool, got \"%s\"", value);
			return -EINVAL;
		}
		return 0;
	}
	errbuf_set(eb, "unknown model config key \"%s\"", key);
	return -EINVAL;
}

static int op_model_config(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			   struct errbuf *eb)
{
	json_t *set = json_object_get(req, "set"), *reset = json_object_get(req, "reset"), *v;
	const char *k;
	size_t i;
	bool changed = false;

	(void)conn;
	/* Validate everything before changing anything. */
	json_object_foreach(set, k, v) {
		if (!json_is_string(v)) {
			errbuf_set(eb, "model config value for \"%s\" must be a string", k);
			return -EINVAL;
		}
		if (validate_model_config(k, json_string_value(v), eb) < 0)
			return -EINVAL;
	}
	json_array_foreach(reset, i, v) {
		/* A known key's default is always valid: this checks only that the key exists. */
		const char *dflt = json_is_string(v) ? model_config_default(json_string_value(v)) : NULL;

		if (validate_model_config(json_is_string(v) ? json_string_value(v) : "", dflt ? dflt : "", eb) < 0)
			return -EINVAL;
	}
	if (json_object_size(set) || json_array_size(reset)) {
		model_begin(c->m);
		json_object_foreach(set, k, v) {
			if (model_config_set(c->m, k, json_string_value(v), eb) < 0) {
				model_rollback(c->m);
				return -EIO;
			}
		}
		json_array_foreach(reset, i, v)
			model_config_reset(c->m, json_string_value(v), eb);
		if (model_commit(c->m, eb) < 0)
			return -EIO;
		changed = true;
	}
	if (changed)
		ctl_apply_model_config(c);
	json_t *out = json_object();

	for (size_t d = 0; model_config_defaults[d]; d += 2) {
		const char *key = model_config_defaults[d];
		json_t *set_v = json_object_get(c->m->config, key);

		json_t *def = json_string(model_config_defaults[d + 1]);
		json_t *val = json_string(model_config_get(c->m, key));

		/* Boolean settings travel as JSON booleans, as Juju prints them. */
		if (!strcmp(key, "automatically-retry-hooks")) {
			bool b = true;

			strnum_bool(json_string_value(def), &b);
			json_decref(def);
			def = json_boolean(b);
			strnum_bool(json_string_value(val), &b);
			json_decref(val);
			val = json_boolean(b);
		}
		json_object_set_new(out, key,
				    json_pack("{s:o, s:s, s:o}", "default", def, "source",
					      set_v ? "model" : "default", "value", val));
	}
	*ret = out;
	return 0;
}

static int op_resolved(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	json_t *units = json_object_get(req, "units"), *v;
	bool all = req_bool(req, "all"), skip = req_bool(req, "no-retry");
	size_t i;

	(void)conn;
	if (all) {
		for (size_t a = 0; a < c->m->n_apps; a++)
			for (size_t k = 0; k < c->m->apps[a]->n_units; k++) {
				struct model_unit *u = c->m->apps[a]->units[k];

				if (u->uniter && agent_unit_in_error(u->uniter))
					agent_resolve(c->agent, u->uniter, skip);
			}
		*ret = json_object();
		return 0;
	}
	if (!json_array_size(units)) {
		errbuf_set(eb, "no unit specified");
		return -EINVAL;
	}
	json_array_foreach(units, i, v) {
		const char *name = json_string_value(v);
		struct model_unit *u = name ? model_find_unit(c->m, name) : NULL;

		if (!u) {
			errbuf_set(eb, "unit \"%s\" not found", name ? name : "");
			return -ENOENT;
		}
		if (!u->uniter || !agent_unit_in_error(u->uniter)) {
			errbuf_set(eb, "unit is not in error state");
			return -EINVAL;
		}
	}
	json_array_foreach(units, i, v)
		agent_resolve(c->agent, model_find_unit(c->m, json_string_value(v))->uniter, skip);
	*ret = json_object();
	return 0;
}

static int op_show_status_log(struct controller *c, struct msgsrv_conn *conn, json_t *req,
			      json_t **ret, struct errbuf *eb)
{
	const char *name = req_str(req, "unit");
	int n = req_int(req, "n", 20);

	(void)conn;
	if (!name || !model_find_unit(c->m, name)) {
		errbuf_set(eb, "unit \"%s\" not found", name ? name : "");
		return -ENOENT;
	}
	if (n <= 0 || n > MODEL_STATUS_LOG_KEEP)
		n = MODEL_STATUS_LOG_KEEP;
	*ret = json_pack("{s:o}", "entries", model_status_history(c->m, name, n));
	return 0;
}

static int op_agent_stats(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			  struct errbuf *eb)
{
	struct agent_stats st;
	double n;

	(void)conn;
	(void)req;
	(void)eb;
	agent_get_stats(c->agent, &st);
	n = st.hooks ? (double)st.hooks : 1.0;
	*ret = json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "hooks", (json_int_t)st.hooks,
			 "prep-us", (double)st.prep_ns / n / 1e3, "spawn-us",
			 (double)st.spawn_ns / n / 1e3, "commit-us", (double)st.commit_ns / n / 1e3,
			 "files-us", (double)st.files_ns / n / 1e3, "prep-max-us",
			 (double)st.prep_max_ns / 1e3, "spawn-max-us", (double)st.spawn_max_ns / 1e3,
			 "commit-max-us", (double)st.commit_max_ns / 1e3);
	return 0;
}

static int op_shutdown(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	(void)conn;
	(void)req;
	(void)eb;
	c->stopping = true;
	loop_stop(c->l);
	*ret = json_object();
	return 0;
}

static const struct {
	const char *name;
	ctl_op_fn fn;
} ops[] = {
	{ "ping", op_ping },
	{ "deploy", op_deploy },
	{ "add-unit", op_add_unit },
	{ "remove-unit", op_remove_unit },
	{ "remove-application", op_remove_application },
	{ "config-get", op_config_get },
	{ "config-set", op_config_set },
	{ "refresh", op_refresh },
	{ "status", op_status },
	{ "model-config", op_model_config },
	{ "resolved", op_resolved },
	{ "show-status-log", op_show_status_log },
	{ "shutdown", op_shutdown },
	{ "agent-stats", op_agent_stats },
	{ "debug-log", ctl_op_debug_log },
	{ "wait-for", ctl_op_wait_for },
};

ctl_op_fn ctl_find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (name && !strcmp(ops[i].name, name))
			return ops[i].fn;
	return NULL;
}

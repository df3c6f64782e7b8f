/* ctl_ops.c - the operations of the controller API (docs/protocol.md §1): deploy, scale,
 * configure, refresh, remove, status, model-config, resolved, show-status-log, shutdown.
 * debug-log and wait-for (streams) live in ctl_streams.c, machines in ctl_machines.c.
 *
 * deploy and refresh store the charm in a worker (charmstore.h) and answer when it is done:
 * the connection is held meanwhile, and closed after the answer. */
#include "controller.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairnd/agents.h"
#include "cairnd/charmstore.h"
#include "cairnd/resstore.h"
#include "cairnd/ctl_rel.h"
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
int ctl_op_add_machine(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb);
int ctl_op_remove_machine(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			  struct errbuf *eb);
int ctl_op_machines(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		    struct errbuf *eb);
int ctl_op_attach_resource(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			   struct errbuf *eb);
int ctl_op_resources(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
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

static json_t *ok_reply(json_t *result)
{
	return json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_object());
}

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
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

/* ---- placement (--to) ---- */

/* Parses "to" ("N" or "N,M,...") into machines for n units: directive i places unit i, the rest
 * go to machine 0 (the controller's own host).  Every machine must exist. */
static int placement(struct controller *c, json_t *req, int n, int **ret, struct errbuf *eb)
{
	const char *to = req_str(req, "to");
	int *mach = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
	char *copy, *save = NULL;
	int i = 0;

	*ret = mach;
	if (!to || !*to)
		return 0;
	copy = xstrdup(to);
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save), i++) {
		int64_t id;

		if (strnum_i64(p, 0, INT_MAX, &id) < 0) {
			errbuf_set(eb, "invalid --to parameter \"%s\"", p);
			free(copy);
			return -EINVAL;
		}
		if (!model_find_machine(c->m, (int)id)) {
			errbuf_set(eb, "cannot add unit to machine %lld: machine %lld not found",
				   (long long)id, (long long)id);
			free(copy);
			return -ENOENT;
		}
		if (i < n)
			mach[i] = (int)id;
	}
	free(copy);
	return 0;
}

/* Adds n units placed as mach says; pushes their goals.  names receives their names. */
static int add_units(struct controller *c, struct model_app *a, int n, const int *mach,
		     json_t *names, struct errbuf *eb)
{
	struct model_unit **added = xcalloc((size_t)n + 1, sizeof(*added));
	int r = 0, done = 0;

	/* One transaction per run of units on the same machine. */
	while (r == 0 && done < n) {
		int k = 1;

		while (done + k < n && mach[done + k] == mach[done])
			k++;
		r = model_add_units(c->m, a, k, mach[done], added + done, eb);
		if (r == 0)
			done += k;
	}
	for (int i = 0; i < done; i++) {
		agents_unit_changed(c->agents, added[i]);
		json_array_append_new(names, json_string(added[i]->name));
	}
	if (done) {
		agents_app_changed(c->agents, a); /* the leader may have been set */
		ctl_rel_units_changed(c);
	}
	free(added);
	return r;
}

/* ---- deploy and refresh: the charm is stored by a worker first ---- */

struct charm_op {
	struct controller *c;
	struct msgsrv_conn *conn;
	json_t *req;
	bool refresh;
	struct worker *w;
	/* Once the charm is stored, while its resources are: */
	char digest[CHARM_DIGEST_HEX];
	int64_t size;
	struct charm *ch;
	struct ctl_res_batch *batch;
};

static void charm_op_free(struct charm_op *op)
{
	ctl_resources_cancel(op->batch);
	charm_free(op->ch);
	json_decref(op->req);
	free(op);
}

static void charm_op_gone(struct msgsrv_conn *conn, void *data)
{
	struct charm_op *op = data;

	(void)conn;
	/* The client left: the archive stays unreferenced until the next collection. */
	worker_cancel(op->w);
	charm_op_free(op);
}

static void charm_op_answer(struct charm_op *op, json_t *resp)
{
	msgsrv_on_close(op->conn, NULL, NULL);
	msgsrv_send(op->conn, resp);
	msgsrv_finish(op->conn);
	json_decref(resp);
	charm_op_free(op);
}

/* The deploy, once the charm and its resources are stored. */
static json_t *deploy_stored(struct controller *c, json_t *req, const char *digest, int64_t size,
			     struct charm *ch, json_t *resources, struct errbuf *eb)
{
	json_t *settings = NULL, *empty = json_object(), *names = NULL;
	json_t *sources = json_object_get(req, "config"), *result = NULL;
	const char *app = req_str(req, "app");
	int n = req_int(req, "num-units", 1), rev, *mach = NULL;
	struct model_app *a;

	if (!app || !*app)
		app = ch->name;
	/* A subordinate's units come from its relations, one beside each principal unit. */
	if (ch->subordinate)
		n = 0;
	if (!charm_valid_app_name(app)) {
		errbuf_set(eb, "invalid application name \"%s\"", app);
		goto out;
	}
	if (model_find_app(c->m, app)) {
		errbuf_set(eb, "cannot add application \"%s\": application already exists", app);
		goto out;
	}
	if (placement(c, req, n, &mach, eb) < 0)
		goto out;
	if (settings_apply(ch, app, empty, sources, &settings, eb) < 0)
		goto out;
	rev = ch->revision >= 0 ? ch->revision : 0;
	if (model_add_app(c->m, app, ch, digest, size, rev, settings, resources, &a, eb) < 0)
		goto out;
	ch = NULL;
	settings = NULL;
	agents_app_changed(c->agents, a);
	ctl_rel_app_added(c, a);
	names = json_array();
	if (add_units(c, a, n, mach, names, eb) < 0) {
		json_decref(names);
		goto out;
	}
	ctl_log(c, "controller", "INFO", "cairn.model",
		"deployed %s (charm %s, revision %d) with %d unit(s)", app, a->charm_name, rev, n);
	result = json_pack("{s:s, s:o}", "application", app, "units", names);
out:
	charm_free(ch);
	free(mach);
	json_decref(empty);
	json_decref(settings);
	return result;
}

/* The refresh, once the charm and its resources are stored. */
static json_t *refresh_stored(struct controller *c, json_t *req, const char *digest, int64_t size,
			      struct charm *ch, json_t *resources, struct errbuf *eb)
{
	struct model_app *a = model_find_app(c->m, req_str(req, "app"));
	json_t *rebased = NULL, *settings = NULL, *sources = json_object_get(req, "config");
	json_t *result = NULL;
	int rev;

	if (!a) {
		errbuf_set(eb, "application \"%s\" not found", req_str(req, "app"));
		goto out;
	}
	if (a->dying) {
		errbuf_set(eb, "application \"%s\" is being removed", a->name);
		goto out;
	}
	if (strcmp(ch->name, a->charm_name) != 0) {
		errbuf_set(eb, "cannot refresh \"%s\" to charm \"%s\": charm name mismatch (use --switch)",
			   a->name, ch->name);
		goto out;
	}
	/* A local charm keeps its recorded revision when that moves forward, else gets the
	 * highest revision so far + 1 (§6). */
	rev = ch->revision > a->charm_rev ? ch->revision : a->charm_rev + 1;
	rebased = settings_rebase(ch, a->settings);
	if (settings_apply(ch, a->name, rebased, json_is_array(sources) ? sources : NULL,
			   &settings, eb) < 0)
		goto out;
	if (model_set_charm(c->m, a, ch, digest, size, rev, settings, eb) < 0) {
		ch = NULL; /* freed by model_set_charm */
		settings = NULL;
		goto out;
	}
	ch = NULL;
	settings = NULL;
	/* A second transaction: should it fail, the charm is refreshed and the operator is told
	 * the resources are not (attach-resource supplies them again). */
	if (!json_equal(resources, a->resources) &&
	    model_set_resources(c->m, a, json_incref(resources), eb) < 0) {
		errbuf_wrap(eb, "refreshed %s to revision %d, but cannot record its resources", a->name, rev);
		agents_app_changed(c->agents, a);
		goto out;
	}
	ctl_log(c, "controller", "INFO", "cairn.model", "refreshed %s to revision %d", a->name, rev);
	agents_app_changed(c->agents, a);
	result = json_pack("{s:s, s:s, s:i}", "application", a->name, "charm", a->charm_name, "revision",
			   rev);
out:
	charm_free(ch);
	json_decref(rebased);
	json_decref(settings);
	return result;
}

/* The charm's resources are stored (or could not be). */
static void resources_stored(void *data, json_t *resources, const char *error)
{
	struct charm_op *op = data;
	struct controller *c = op->c;
	struct charm *ch = op->ch;
	struct errbuf eb;
	json_t *result;

	op->batch = NULL;
	op->ch = NULL;
	if (error) {
		charm_free(ch);
		charmstore_gc(c->m);
		resstore_gc(c->res, c->m);
		charm_op_answer(op, error_reply(error));
		return;
	}
	errbuf_clear(&eb);
	result = op->refresh ? refresh_stored(c, op->req, op->digest, op->size, ch, resources, &eb)
			     : deploy_stored(c, op->req, op->digest, op->size, ch, resources, &eb);
	if (!result) {
		charmstore_gc(c->m); /* the archive may now be unreferenced */
		resstore_gc(c->res, c->m);
		charm_op_answer(op, error_reply(eb.msg[0] ? eb.msg : "failed"));
		return;
	}
	resstore_gc(c->res, c->m); /* a refresh may have replaced a resource */
	charm_op_answer(op, ok_reply(result));
}

static void charm_stored(void *data, const char *digest, int64_t size, struct charm *ch,
			 const char *error)
{
	struct charm_op *op = data;
	struct controller *c = op->c;
	struct model_app *a = op->refresh ? model_find_app(c->m, req_str(op->req, "app")) : NULL;
	struct errbuf eb;

	op->w = NULL;
	if (error) {
		charm_op_answer(op, error_reply(error));
		return;
	}
	errbuf_clear(&eb);
	snprintf(op->digest, sizeof(op->digest), "%s", digest);
	op->size = size;
	op->ch = ch;
	if (ctl_check_containers(ch, &eb) < 0 ||
	    ctl_resources_store(c, ch, a ? a->resources : NULL, json_object_get(op->req, "resources"),
				resources_stored, op, &op->batch, &eb) < 0) {
		charmstore_gc(c->m);
		charm_op_answer(op, error_reply(eb.msg));
	}
}

static int start_charm_op(struct controller *c, struct msgsrv_conn *conn, json_t *req, bool refresh,
			  struct errbuf *eb)
{
	const char *path = req_str(req, "charm");
	struct charm_op *op;
	struct stat st;
	int r;

	if (!path || !*path) {
		errbuf_set(eb, "no charm specified");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		errbuf_set(eb, "charm or bundle at \"%s\" not found", path);
		return -ENOENT;
	}
	op = xcalloc(1, sizeof(*op));
	op->c = c;
	op->conn = conn;
	op->req = json_incref(req);
	op->refresh = refresh;
	r = charmstore_add(c->l, c->m, path, charm_stored, op, &op->w, eb);
	if (r < 0) {
		charm_op_free(op);
		return r;
	}
	msgsrv_on_close(conn, charm_op_gone, op);
	return 1;
}

static int op_deploy(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	int n = req_int(req, "num-units", 1), *mach = NULL, r;
	const char *app = req_str(req, "app");

	(void)ret;
	if (n < 0 || n > CTL_MAX_UNITS_PER_CALL) {
		errbuf_set(eb, "--num-units must be between 0 and %d", CTL_MAX_UNITS_PER_CALL);
		return -EINVAL;
	}
	/* What can be checked without the charm is checked before storing it. */
	if (app && *app && !charm_valid_app_name(app)) {
		errbuf_set(eb, "invalid application name \"%s\"", app);
		return -EINVAL;
	}
	if (app && *app && model_find_app(c->m, app)) {
		errbuf_set(eb, "cannot add application \"%s\": application already exists", app);
		return -EEXIST;
	}
	r = placement(c, req, n, &mach, eb);
	free(mach);
	if (r < 0)
		return r;
	return start_charm_op(c, conn, req, false, eb);
}

static int op_refresh(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		      struct errbuf *eb)
{
	const char *name = req_str(req, "app");
	struct model_app *a;

	(void)ret;
	if (!name || !*name) {
		errbuf_set(eb, "no application specified");
		return -EINVAL;
	}
	a = model_find_app(c->m, name);
	if (!a) {
		errbuf_set(eb, "application \"%s\" not found", name);
		return -ENOENT;
	}
	if (a->dying) {
		errbuf_set(eb, "application \"%s\" is being removed", a->name);
		return -EINVAL;
	}
	return start_charm_op(c, conn, req, true, eb);
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
	int n = req_int(req, "num-units", 1), *mach = NULL, r;
	json_t *names;

	(void)conn;
	if (!a)
		return -ENOENT;
	if (a->dying) {
		errbuf_set(eb, "cannot add unit to application \"%s\": application is not alive", a->name);
		return -EINVAL;
	}
	if (a->charm->subordinate) {
		errbuf_set(eb, "cannot add unit to application \"%s\": application is subordinate", a->name);
		return -EINVAL;
	}
	if (n < 1 || n > CTL_MAX_UNITS_PER_CALL) {
		errbuf_set(eb, "--num-units must be a positive integer");
		return -EINVAL;
	}
	r = placement(c, req, n, &mach, eb);
	if (r < 0) {
		free(mach);
		return r;
	}
	names = json_array();
	r = add_units(c, a, n, mach, names, eb);
	free(mach);
	if (r < 0) {
		/* Units added before the failing transaction stay (and are named). */
		if (!json_array_size(names)) {
			json_decref(names);
			return r;
		}
	}
	*ret = json_pack("{s:o}", "units", names);
	return 0;
}

/* remove-unit --force: the unit goes now; its machine's agent destroys it without hooks. */
static void force_remove(struct controller *c, struct model_unit *u)
{
	char *name = xstrdup(u->name);
	int machine = u->machine;

	ctl_log(c, "controller", "INFO", "cairn.model", "removal of %s forced", name);
	ctl_unit_gone(c, u);
	agents_unit_removed(c->agents, name, machine);
	free(name);
}

static int op_remove_unit(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			  struct errbuf *eb)
{
	json_t *units = json_object_get(req, "units"), *v, *done;
	bool force = req_bool(req, "force");
	size_t i;

	(void)conn;
	if (!json_is_array(units) || !json_array_size(units)) {
		errbuf_set(eb, "no units specified");
		return -EINVAL;
	}
	/* Check every name first: an error changes nothing. */
	json_array_foreach(units, i, v) {
		const char *name = json_string_value(v);

		if (!name || !charm_valid_unit_name(name)) {
			errbuf_set(eb, "invalid unit name \"%s\"", name ? name : "");
			return -EINVAL;
		}
		if (!model_find_unit(c->m, name)) {
			errbuf_set(eb, "removing unit %s failed: unit \"%s\" does not exist", name, name);
			return -ENOENT;
		}
	}
	done = json_array();
	json_array_foreach(units, i, v) {
		struct model_unit *u = model_find_unit(c->m, json_string_value(v));

		if (!u)
			continue; /* named twice */
		json_array_append_new(done, json_string(u->name));
		/* A unit whose hooks fail is removed only with --force (§4), which stops waiting
		 * for its agent. */
		if (force) {
			force_remove(c, u);
			continue;
		}
		if (!u->dying) {
			if (model_set_unit_dying(c->m, u, eb) < 0) {
				json_decref(done);
				return -EIO;
			}
			agents_unit_changed(c->agents, u);
		}
	}
	ctl_rel_units_changed(c);
	ctl_waiters_check(c);
	*ret = json_pack("{s:o}", "units", done);
	return 0;
}

static int op_remove_application(struct controller *c, struct msgsrv_conn *conn, json_t *req,
				 json_t **ret, struct errbuf *eb)
{
	json_t *apps = json_object_get(req, "apps"), *v, *done;
	size_t i;

	(void)conn;
	if (!json_is_array(apps) || !json_array_size(apps)) {
		errbuf_set(eb, "no application specified");
		return -EINVAL;
	}
	json_array_foreach(apps, i, v) {
		const char *name = json_string_value(v);

		if (!name || !model_find_app(c->m, name)) {
			errbuf_set(eb, "application \"%s\" not found", name ? name : "");
			return -ENOENT;
		}
	}
	done = json_array();
	json_array_foreach(apps, i, v) {
		struct model_app *a = model_find_app(c->m, json_string_value(v));
		char *name;

		if (!a)
			continue;
		name = xstrdup(a->name);
		json_array_append_new(done, json_string(name));
		if (!a->dying && model_set_app_dying(c->m, a, eb) < 0) {
			free(name);
			json_decref(done);
			return -EIO;
		}
		ctl_rel_app_dying(c, a);
		if (a->n_units == 0) {
			agents_app_forget(c->agents, a);
			if (model_delete_app(c->m, a, eb) == 0) {
				charmstore_gc(c->m);
				ctl_rel_app_gone(c, name);
			}
		} else if (req_bool(req, "force")) {
			/* Each forced removal may delete the app with its last unit. */
			while ((a = model_find_app(c->m, name)) && a->n_units)
				force_remove(c, a->units[0]);
		} else {
			for (size_t k = 0; k < a->n_units; k++)
				agents_unit_changed(c->agents, a->units[k]);
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
		agents_app_changed(c->agents, a);
	*ret = json_object();
	return 0;
}

/* The document is rendered as text into the answer frame (status.c): no tree at any size. */
static int op_status(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	int r;

	(void)ret;
	buf_init(&b);
	buf_adds(&b, "{\"ok\":true,\"result\":");
	status_render(c, &b, json_is_true(json_object_get(req, "relations")));
	buf_addc(&b, '}');
	r = msgsrv_send_text(conn, b.data, b.len);
	buf_done(&b);
	if (r < 0) {
		errbuf_set(eb, "cannot send the status: %s", strerror(-r));
		return r;
	}
	return 2;
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
	int r;

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
		r = model_config_update(c->m, json_is_object(set) ? set : NULL,
					json_is_array(reset) ? reset : NULL, eb);
		if (r < 0)
			return r;
		ctl_apply_model_config(c);
	}
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

static bool in_error(const struct model_unit *u)
{
	return (u->agent.current && !strcmp(u->agent.current, "error")) || u->progress == PROGRESS_ERROR;
}

static int resolve(struct controller *c, struct model_unit *u, bool skip, struct errbuf *eb)
{
	if (model_set_resolve(c->m, u, skip ? "no-hooks" : "retry-hooks", eb) < 0)
		return -EIO;
	agents_unit_changed(c->agents, u);
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

				if (in_error(u) && resolve(c, u, skip, eb) < 0)
					return -EIO;
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
		if (!in_error(u)) {
			errbuf_set(eb, "unit is not in error state");
			return -EINVAL;
		}
	}
	json_array_foreach(units, i, v)
		if (resolve(c, model_find_unit(c->m, json_string_value(v)), skip, eb) < 0)
			return -EIO;
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
	json_t *st = agents_stats(c->agents, req_int(req, "machine", 0));

	(void)conn;
	if (!st) {
		errbuf_set(eb, "the machine agent has not reported its figures yet");
		return -EAGAIN;
	}
	*ret = json_deep_copy(st);
	return 0;
}

/* kill-controller: destroy every unit, workload and agent, then stop; answered at the end. */
static int op_shutdown(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	(void)req;
	(void)ret;
	(void)eb;
	ctl_destroy(c, conn);
	return 1;
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
	{ "add-machine", ctl_op_add_machine },
	{ "remove-machine", ctl_op_remove_machine },
	{ "machines", ctl_op_machines },
	{ "attach-resource", ctl_op_attach_resource },
	{ "resources", ctl_op_resources },
	{ "integrate", ctl_op_integrate },
	{ "remove-relation", ctl_op_remove_relation },
	{ "actions", ctl_op_actions },
	{ "run", ctl_op_run },
	{ "exec", ctl_op_exec },
	{ "task", ctl_op_task },
	{ "operation", ctl_op_operation },
	{ "operations", ctl_op_operations },
	{ "cancel-task", ctl_op_cancel_task },
	{ "task-wait", ctl_op_task_wait },
};

ctl_op_fn ctl_find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (name && !strcmp(ops[i].name, name))
			return ops[i].fn;
	return NULL;
}

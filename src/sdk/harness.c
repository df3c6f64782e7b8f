/* harness.c - the testing harness: the object, the model a test sets up, one dispatch per
 * emit, and inspection (cairn/charm.h "Testing harness"). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action/actionspec.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "scree/plan.h"
#include "sdk/error.h"
#include "sdk/event_table.h"
#include "sdk/framework.h"
#include "sdk/harness.h"
#include "sdk/value.h"

#define HARNESS_MODEL_UUID "0b1b2b3b-4b5b-4b6b-8b7b-8b9babbbcbdb"
#define HARNESS_JUJU_VERSION "3.6.8"

struct h_relation *harness_relation(struct cairn_harness *h, int id)
{
	for (size_t i = 0; i < h->n_rels; i++)
		if (h->rels[i].id == id)
			return &h->rels[i];
	return NULL;
}

struct h_container *harness_container(struct cairn_harness *h, const char *name)
{
	for (size_t i = 0; name && i < h->n_containers; i++)
		if (!strcmp(h->containers[i].name, name))
			return &h->containers[i];
	return NULL;
}

void h_container_done(struct h_container *c)
{
	free(c->name);
	if (c->root) {
		fs_rm_rf(c->root);
		free(c->root);
	}
	plan_free(c->plan);
	for (size_t i = 0; i < c->n_svcs; i++) {
		free(c->svcs[i].name);
		plan_service_free(c->svcs[i].started_with);
	}
	free(c->svcs);
	json_decref(c->changes);
	json_decref(c->checks);
	json_decref(c->notices);
	for (size_t i = 0; i < c->n_handlers; i++) {
		for (size_t k = 0; k < c->handlers[i].n; k++)
			free(c->handlers[i].prefix[k]);
		free(c->handlers[i].prefix);
	}
	free(c->handlers);
}

/* The config defaults of config.yaml (null for options without one). */
static json_t *config_defaults(const struct meta *m)
{
	json_t *o = json_object(), *v;
	const char *k;

	json_object_foreach(m->options, k, v) {
		json_t *d = json_object_get(v, "default");

		json_object_set(o, k, d ? d : json_null());
	}
	return o;
}

int cairn_harness_new(const struct cairn_harness_opts *opts, cairn_setup_fn setup, void *data,
		      struct cairn_harness **ret, struct cairn_error *err)
{
	struct cairn_harness *h;
	char tmpl[] = "/tmp/cairn-harness-XXXXXX";
	int r = 0;

	if (!opts || (!opts->charm_dir && !opts->metadata_yaml))
		return sdk_err(err, CAIRN_ERR_INVALID, "the harness needs a charm directory or metadata");
	h = xcalloc(1, sizeof(*h));
	if (opts->charm_dir) {
		r = meta_read_files(opts->charm_dir, true, &h->md, &h->cfg, &h->act, err);
	} else {
		h->md = xstrdup(opts->metadata_yaml);
		h->cfg = opts->config_yaml ? xstrdup(opts->config_yaml) : NULL;
		h->act = opts->actions_yaml ? xstrdup(opts->actions_yaml) : NULL;
	}
	if (r == 0)
		r = meta_load_text(&h->meta, h->md, h->cfg, h->act, err);
	if (r == 0 && !mkdtemp(tmpl))
		r = sdk_err(err, CAIRN_ERR_INVALID, "cannot create a directory for the harness: %s", strerror(errno));
	if (r < 0) {
		free(h->md);
		free(h->cfg);
		free(h->act);
		free(h);
		return r;
	}
	h->dir = xstrdup(tmpl);
	h->charm_dir = xasprintf("%s/charm", h->dir);
	mkdir(h->charm_dir, 0755);
	h->setup = setup;
	h->data = data;
	h->storage = opts->storage;
	h->unit = opts->unit_name ? xstrdup(opts->unit_name) : xasprintf("%s/0", h->meta.name);
	h->app = strchr(h->unit, '/') ? xstrndup(h->unit, (size_t)(strchr(h->unit, '/') - h->unit)) : xstrdup(h->unit);
	h->config = config_defaults(&h->meta);
	h->next_rel = 0;
	h->storage_locs = json_object();
	h->ports = json_array();
	h->ctl_state = json_object();
	h->leader_settings = json_object();
	h->networks = json_pack("{s:s}", "", HARNESS_DEFAULT_ADDRESS);
	buf_init(&h->log);
	buf_init(&h->calls);
	h->containers = xcalloc(h->meta.names[META_CONTAINER].n + 1, sizeof(*h->containers));
	for (size_t i = 0; i < h->meta.names[META_CONTAINER].n; i++) {
		struct h_container *c = &h->containers[h->n_containers++];

		c->name = xstrdup(h->meta.names[META_CONTAINER].v[i]);
		c->root = xasprintf("%s/containers/%s", h->dir, c->name);
		fs_mkdir_p(c->root, 0755);
		c->plan = plan_new();
		c->changes = json_object();
		c->checks = json_object();
		c->notices = json_array();
		c->next_change = 1;
		c->next_notice = 1;
	}
	*ret = h;
	return 0;
}

static void ctx_done(struct h_context *x)
{
	json_decref(x->rel_sets);
	json_decref(x->state);
	json_decref(x->ports);
	free(x->version);
	json_decref(x->params);
	json_decref(x->results);
	json_decref(x->logs);
	free(x->fail_message);
	memset(x, 0, sizeof(*x));
}

void cairn_harness_free(struct cairn_harness *h)
{
	if (!h)
		return;
	ctx_done(&h->ctx);
	for (size_t i = 0; i < h->n_rels; i++) {
		free(h->rels[i].endpoint);
		free(h->rels[i].remote_app);
		json_decref(h->rels[i].units);
		json_decref(h->rels[i].bags);
	}
	free(h->rels);
	for (size_t i = 0; i < h->n_containers; i++)
		h_container_done(&h->containers[i]);
	free(h->containers);
	if (h->dir)
		fs_rm_rf(h->dir);
	free(h->dir);
	free(h->charm_dir);
	free(h->unit);
	free(h->app);
	free(h->md);
	free(h->cfg);
	free(h->act);
	meta_done(&h->meta);
	json_decref(h->config);
	json_decref(h->storage_locs);
	json_decref(h->ports);
	json_decref(h->ctl_state);
	json_decref(h->leader_settings);
	json_decref(h->networks);
	free(h->unit_message);
	free(h->app_message);
	free(h->version);
	buf_done(&h->log);
	buf_done(&h->calls);
	free(h->ports_vec);
	free(h->logs_vec);
	json_decref(h->last_results);
	json_decref(h->scratch);
	free(h->last_fail);
	free(h);
}

/* ---- the model ---- */

int cairn_harness_set_leader(struct cairn_harness *h, bool leader)
{
	h->leader = leader;
	return 0;
}

int cairn_harness_set_leader_setting(struct cairn_harness *h, const char *key, const char *value,
				     struct cairn_error *err)
{
	json_t *v;

	if (!key || !*key || strchr(key, '='))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid leader settings key \"%s\"", key ? key : "");
	if (!value || !*value) {
		json_object_del(h->leader_settings, key);
		return 0;
	}
	v = json_string(value);
	if (!v)
		return sdk_err(err, CAIRN_ERR_INVALID, "leader settings must be valid UTF-8");
	json_object_set_new(h->leader_settings, key, v);
	return 0;
}

const char *cairn_harness_leader_setting(struct cairn_harness *h, const char *key)
{
	return key ? json_string_value(json_object_get(h->leader_settings, key)) : NULL;
}

int cairn_harness_set_network(struct cairn_harness *h, const char *binding, const char *address,
			      struct cairn_error *err)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!address || (inet_pton(AF_INET, address, &a4) != 1 && inet_pton(AF_INET6, address, &a6) != 1))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid IP address \"%s\"", address ? address : "");
	json_object_set_new(h->networks, binding ? binding : "", json_string(address));
	return 0;
}

int cairn_harness_set_config(struct cairn_harness *h, const char *key, struct cairn_value *v, struct cairn_error *err)
{
	json_t *opt = key ? json_object_get(h->meta.options, key) : NULL;

	if (!opt) {
		cairn_value_free(v);
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "config.yaml defines no option \"%s\"", key ? key : "");
	}
	if (!v) {
		json_t *d = json_object_get(opt, "default");

		json_object_set(h->config, key, d ? d : json_null());
		return 0;
	}
	json_object_set_new(h->config, key, value_json(v));
	return 0;
}

int cairn_harness_add_relation(struct cairn_harness *h, const char *endpoint, const char *remote_app, int *ret_id,
			       struct cairn_error *err)
{
	const char *ep = meta_has(&h->meta, META_RELATION, endpoint);
	struct h_relation *r;

	if (!ep)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no relation endpoint \"%s\" in metadata.yaml",
			       endpoint ? endpoint : "");
	if (meta_role(&h->meta, ep) == META_ROLE_PEERS)
		remote_app = h->app;
	if (!remote_app || !*remote_app || strchr(remote_app, '/'))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid remote application \"%s\"", remote_app ? remote_app : "");
	h->rels = xrealloc(h->rels, (h->n_rels + 1) * sizeof(*h->rels));
	r = &h->rels[h->n_rels++];
	memset(r, 0, sizeof(*r));
	r->id = h->next_rel++;
	r->endpoint = xstrdup(ep);
	r->remote_app = xstrdup(remote_app);
	r->units = json_array();
	r->bags = json_object();
	if (ret_id)
		*ret_id = r->id;
	return 0;
}

static struct h_relation *live_relation(struct cairn_harness *h, int id, struct cairn_error *err)
{
	struct h_relation *r = harness_relation(h, id);

	if (!r || r->removed) {
		sdk_err(err, CAIRN_ERR_NOT_FOUND, "relation %d not found", id);
		return NULL;
	}
	return r;
}

int cairn_harness_add_relation_unit(struct cairn_harness *h, int id, const char *unit, struct cairn_error *err)
{
	struct h_relation *r = live_relation(h, id, err);
	size_t i;
	json_t *u;

	if (!r)
		return sdk_errno(CAIRN_ERR_NOT_FOUND);
	if (!unit || strncmp(unit, r->remote_app, strlen(r->remote_app)) || unit[strlen(r->remote_app)] != '/')
		return sdk_err(err, CAIRN_ERR_INVALID, "unit \"%s\" is not of application \"%s\"", unit ? unit : "",
			       r->remote_app);
	json_array_foreach(r->units, i, u)
		if (!strcmp(json_string_value(u), unit))
			return 0;
	json_array_append_new(r->units, json_string(unit));
	return 0;
}

int cairn_harness_remove_relation_unit(struct cairn_harness *h, int id, const char *unit, struct cairn_error *err)
{
	struct h_relation *r = live_relation(h, id, err);
	size_t i;
	json_t *u;

	if (!r)
		return sdk_errno(CAIRN_ERR_NOT_FOUND);
	json_array_foreach(r->units, i, u)
		if (unit && !strcmp(json_string_value(u), unit)) {
			json_array_remove(r->units, i);
			json_object_del(r->bags, unit);
			return 0;
		}
	return sdk_err(err, CAIRN_ERR_NOT_FOUND, "unit \"%s\" is not in relation %d", unit ? unit : "", id);
}

int cairn_harness_remove_relation(struct cairn_harness *h, int id, struct cairn_error *err)
{
	struct h_relation *r = live_relation(h, id, err);

	if (!r)
		return sdk_errno(CAIRN_ERR_NOT_FOUND);
	r->removed = true;
	return 0;
}

int cairn_harness_set_relation_data(struct cairn_harness *h, int id, const char *member, const char *key,
				    const char *value, struct cairn_error *err)
{
	struct h_relation *r = live_relation(h, id, err);
	json_t *bag;

	if (!r)
		return sdk_errno(CAIRN_ERR_NOT_FOUND);
	if (!member || !key || !*key)
		return sdk_err(err, CAIRN_ERR_INVALID, "relation data needs a member and a key");
	bag = json_object_get(r->bags, member);
	if (!bag) {
		bag = json_object();
		json_object_set_new(r->bags, member, bag);
	}
	if (value && *value)
		json_object_set_new(bag, key, json_string(value));
	else
		json_object_del(bag, key);
	return 0;
}

const char *cairn_harness_relation_data(struct cairn_harness *h, int id, const char *member, const char *key)
{
	struct h_relation *r = harness_relation(h, id);

	if (!r || !member || !key)
		return NULL;
	return json_string_value(json_object_get(json_object_get(r->bags, member), key));
}

int cairn_harness_add_storage(struct cairn_harness *h, const char *name, const char *location, char **ret_id,
			      struct cairn_error *err)
{
	const char *declared = meta_has(&h->meta, META_STORAGE, name);
	char id[300];

	if (!declared)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no storage \"%s\" in metadata.yaml", name ? name : "");
	if (!location || location[0] != '/')
		return sdk_err(err, CAIRN_ERR_INVALID, "storage location must be an absolute path");
	for (int n = 0;; n++) {
		snprintf(id, sizeof(id), "%s/%d", declared, n);
		if (!json_object_get(h->storage_locs, id))
			break;
	}
	json_object_set_new(h->storage_locs, id, json_string(location));
	if (ret_id)
		*ret_id = xstrdup(id);
	return 0;
}

int cairn_harness_set_can_connect(struct cairn_harness *h, const char *container, bool can_connect,
				  struct cairn_error *err)
{
	struct h_container *c = harness_container(h, container);

	if (!c)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", container ? container : "");
	c->can_connect = can_connect;
	return 0;
}

const char *cairn_harness_container_root(struct cairn_harness *h, const char *container)
{
	struct h_container *c = harness_container(h, container);

	return c ? c->root : NULL;
}

int cairn_harness_handle_exec(struct cairn_harness *h, const char *container, const char *const *argv_prefix,
			      cairn_harness_exec_fn fn, void *data, struct cairn_error *err)
{
	struct h_container *c = harness_container(h, container);
	struct h_exec_handler *x;
	size_t n = 0;

	if (!c)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", container ? container : "");
	if (!fn || !argv_prefix)
		return sdk_err(err, CAIRN_ERR_INVALID, "an exec handler needs a function and an argv prefix");
	while (argv_prefix[n])
		n++;
	c->handlers = xrealloc(c->handlers, (c->n_handlers + 1) * sizeof(*c->handlers));
	x = &c->handlers[c->n_handlers++];
	x->prefix = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		x->prefix[i] = xstrdup(argv_prefix[i]);
	x->n = n;
	x->fn = fn;
	x->data = data;
	return 0;
}

/* ---- dispatching ---- */

/* Applies what a successful dispatch buffered. */
static void commit_ctx(struct cairn_harness *h)
{
	size_t i;
	json_t *e, *v;
	const char *k;

	json_array_foreach(h->ctx.rel_sets, i, e) {
		struct h_relation *r = harness_relation(h, (int)json_integer_value(json_object_get(e, "id")));
		const char *member = json_is_true(json_object_get(e, "app")) ? h->app : h->unit;
		json_t *bag;

		if (!r)
			continue;
		bag = json_object_get(r->bags, member);
		if (!bag) {
			bag = json_object();
			json_object_set_new(r->bags, member, bag);
		}
		json_object_foreach(json_object_get(e, "data"), k, v) {
			if (*json_string_value(v))
				json_object_set(bag, k, v);
			else
				json_object_del(bag, k);
		}
	}
	json_decref(h->ctl_state);
	h->ctl_state = json_incref(h->ctx.state);
	json_decref(h->ports);
	h->ports = json_incref(h->ctx.ports);
	if (h->ctx.version_set) {
		free(h->version);
		h->version = xstrdup(h->ctx.version);
	}
}

/* Action parameters as the controller hands them to the unit: given (NULL = none) checked
 * against the action's schema, with Juju's "validation failed: ..." refusal, then the
 * schema's defaults filled in (nested ones too).  *ret is new. */
static int action_params(struct cairn_harness *h, const char *name, const struct cairn_value *given, json_t **ret,
			 struct cairn_error *err)
{
	struct action_specs *specs = NULL;
	const struct action_spec *spec;
	json_t *p = value_json(given), *none = json_object();
	struct errbuf eb;
	int r;

	if (p && !json_is_object(p))
		r = sdk_err(err, CAIRN_ERR_INVALID, "action parameters must be a map, not a %s",
			    value_json_kind_name(p));
	else if (actionspec_parse(h->meta.actions, &specs, &eb) < 0)
		r = sdk_err(err, CAIRN_ERR_INVALID, "actions.yaml: %s", eb.msg);
	else if (!(spec = actionspec_find(specs, name)))
		r = sdk_err(err, CAIRN_ERR_NOT_FOUND, "no action \"%s\" in actions.yaml", name);
	else if (actionspec_validate(spec, p ? p : none, &eb) < 0)
		r = sdk_err(err, CAIRN_ERR_INVALID, "%s", eb.msg);
	else {
		*ret = actionspec_with_defaults(spec, p);
		r = 0;
	}
	actionspec_free(specs);
	json_decref(none);
	return r;
}

static int dispatch(struct cairn_harness *h, const char *path, const char *const *extra, json_t *params,
		    struct cairn_error *err)
{
	struct cairn_charm *ch = NULL;
	struct cairn_error le;
	struct meta meta;
	char **envp = NULL;
	size_t n = 0;
	int r;

	if (h->in_dispatch) {
		json_decref(params);
		return sdk_err(err, CAIRN_ERR_INVALID, "the harness cannot emit from inside a handler");
	}
	ctx_done(&h->ctx);
	h->ctx.rel_sets = json_array();
	h->ctx.state = json_deep_copy(h->ctl_state);
	h->ctx.ports = json_deep_copy(h->ports);
	h->ctx.results = json_object();
	h->ctx.logs = json_array();
	h->ctx.is_action = params != NULL;
	h->ctx.params = params;
	/* The hook environment of charm-runtime.md §2, then the event's own variables. */
	for (size_t i = 0; extra && extra[i]; i++)
		n++;
	envp = xcalloc(n + 9, sizeof(char *));
	n = 0;
	envp[n++] = xasprintf("JUJU_CHARM_DIR=%s", h->charm_dir);
	envp[n++] = xasprintf("JUJU_UNIT_NAME=%s", h->unit);
	envp[n++] = xstrdup("JUJU_MODEL_NAME=harness");
	envp[n++] = xstrdup("JUJU_MODEL_UUID=" HARNESS_MODEL_UUID);
	envp[n++] = xstrdup("JUJU_VERSION=" HARNESS_JUJU_VERSION);
	envp[n++] = xasprintf("JUJU_DISPATCH_PATH=%s", path);
	envp[n++] = xasprintf("JUJU_HOOK_NAME=%s", params ? "" : strchr(path, '/') + 1);
	envp[n++] = xasprintf("JUJU_CONTEXT_ID=harness-%s", strchr(path, '/') + 1);
	for (size_t i = 0; extra && extra[i]; i++)
		envp[n++] = xstrdup(extra[i]);
	r = meta_load_text(&meta, h->md, h->cfg, h->act, err);
	if (r < 0)
		goto out;
	struct charm_init init = {
		.charm_dir = h->charm_dir,
		.meta = &meta,
		.envp = envp,
		.tools = harness_tools_new(h),
		.storage = h->storage,
		.pebble_factory = harness_pebble_new,
		.pebble_data = h,
	};
	r = charm_new(&init, &ch, err);
	if (r < 0) {
		tools_free(init.tools);
		meta_done(&meta);
		goto out;
	}
	h->in_dispatch = true;
	sdk_err_clear(&le);
	r = charm_dispatch(ch, h->setup, h->data, &le);
	h->in_dispatch = false;
	charm_free(ch);
	if (r < 0) {
		r = sdk_err_code(err, CAIRN_ERR_MODEL, 1, NULL, "dispatch of %s failed: %s", path, le.message);
		goto out;
	}
	commit_ctx(h);
out:
	for (size_t i = 0; i < n; i++)
		free(envp[i]);
	free(envp);
	return r;
}

int cairn_harness_emit_hook(struct cairn_harness *h, const char *hook, const char *const *env, struct cairn_error *err)
{
	char *path;
	int r;

	if (!hook || !*hook || strchr(hook, '/'))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid hook name \"%s\"", hook ? hook : "");
	path = xasprintf("hooks/%s", hook);
	r = dispatch(h, path, env, NULL, err);
	free(path);
	return r;
}

int cairn_harness_emit(struct cairn_harness *h, enum cairn_event_kind kind, const char *name, struct cairn_error *err)
{
	const struct event_def *d = event_def(kind);
	char hook[300], var[400];
	const char *env[3] = { NULL, NULL, NULL };
	const char *meta_name = name;

	if (!d || (d->flags & EVENT_FRAMEWORK) || d->family == META_RELATION || d->family == META_ACTION)
		return sdk_err(err, CAIRN_ERR_INVALID,
			       "cairn_harness_emit: use emit_relation, run_action, or a hook kind (got %d)", (int)kind);
	if (d->family == META_STORAGE) {
		if (!name || !json_object_get(h->storage_locs, name))
			return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no storage instance \"%s\" (cairn_harness_add_storage)",
				       name ? name : "");
		snprintf(var, sizeof(var), "JUJU_STORAGE_ID=%s", name);
		env[0] = var;
		meta_name = NULL;
		snprintf(hook, sizeof(hook), "%.*s%s", (int)strcspn(name, "/"), name, d->hook);
		return cairn_harness_emit_hook(h, hook, env, err);
	}
	if (d->family == META_CONTAINER) {
		if (!harness_container(h, name))
			return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", name ? name : "");
		snprintf(var, sizeof(var), "JUJU_WORKLOAD_NAME=%s", name);
		env[0] = var;
	}
	if (event_hook_name(kind, meta_name, hook, sizeof(hook)) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cairn_harness_emit: bad name for %s", d->hook);
	return cairn_harness_emit_hook(h, hook, env, err);
}

int cairn_harness_emit_relation(struct cairn_harness *h, enum cairn_event_kind kind, int id, const char *remote_unit,
				struct cairn_error *err)
{
	const struct event_def *d = event_def(kind);
	struct h_relation *r = harness_relation(h, id);
	char hook[300], v1[320], v2[320], v3[320], v4[320], v5[320];
	const char *env[6] = { v1, v2, v3, NULL, NULL, NULL };
	size_t n = 3;

	if (!d || d->family != META_RELATION)
		return sdk_err(err, CAIRN_ERR_INVALID, "cairn_harness_emit_relation: not a relation event");
	if (!r)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "relation %d not found", id);
	snprintf(v1, sizeof(v1), "JUJU_RELATION=%s", r->endpoint);
	snprintf(v2, sizeof(v2), "JUJU_RELATION_ID=%s:%d", r->endpoint, r->id);
	snprintf(v3, sizeof(v3), "JUJU_REMOTE_APP=%s", r->remote_app);
	if (remote_unit) {
		snprintf(v4, sizeof(v4), "JUJU_REMOTE_UNIT=%s", remote_unit);
		env[n++] = v4;
		if (kind == CAIRN_EVENT_RELATION_DEPARTED) {
			snprintf(v5, sizeof(v5), "JUJU_DEPARTING_UNIT=%s", remote_unit);
			env[n++] = v5;
		}
	}
	snprintf(hook, sizeof(hook), "%s%s", r->endpoint, d->hook);
	return cairn_harness_emit_hook(h, hook, env, err);
}

int cairn_harness_pebble_ready(struct cairn_harness *h, const char *container, struct cairn_error *err)
{
	int r = cairn_harness_set_can_connect(h, container, true, err);

	return r < 0 ? r : cairn_harness_emit(h, CAIRN_EVENT_PEBBLE_READY, container, err);
}

int cairn_harness_run_action(struct cairn_harness *h, const char *name, const struct cairn_value *params,
			     struct cairn_harness_action_output *out, struct cairn_error *err)
{
	const char *declared = meta_has(&h->meta, META_ACTION, name);
	char path[300], v1[320], v2[64];
	const char *env[3] = { v1, v2, NULL };
	static unsigned action_seq;
	size_t i, n;
	json_t *e, *p = NULL;
	int r;

	if (!declared)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no action \"%s\" in actions.yaml", name ? name : "");
	snprintf(path, sizeof(path), "actions/%s", declared);
	snprintf(v1, sizeof(v1), "JUJU_ACTION_NAME=%s", declared);
	snprintf(v2, sizeof(v2), "JUJU_ACTION_UUID=%u", ++action_seq);
	if ((r = action_params(h, declared, params, &p, err)) < 0)
		return r;
	r = dispatch(h, path, env, p, err);
	json_decref(h->last_results);
	h->last_results = json_incref(h->ctx.results ? h->ctx.results : json_object());
	free(h->last_fail);
	h->last_fail = xstrdup(h->ctx.fail_message ? h->ctx.fail_message : "");
	free(h->logs_vec);
	n = json_array_size(h->ctx.logs);
	h->logs_vec = xcalloc(n + 1, sizeof(char *));
	json_array_foreach(h->ctx.logs, i, e)
		h->logs_vec[i] = json_string_value(e);
	if (out) {
		out->results = value_of(h->last_results);
		out->logs = h->logs_vec;
		out->failed = h->ctx.failed;
		out->fail_message = h->last_fail;
	}
	return r;
}

/* ---- inspection ---- */

int cairn_harness_unit_status(struct cairn_harness *h, enum cairn_status *ret_status, const char **ret_message)
{
	if (ret_status)
		*ret_status = h->unit_status;
	if (ret_message)
		*ret_message = h->unit_message ? h->unit_message : "";
	return 0;
}

int cairn_harness_app_status(struct cairn_harness *h, enum cairn_status *ret_status, const char **ret_message)
{
	if (ret_status)
		*ret_status = h->app_status;
	if (ret_message)
		*ret_message = h->app_message ? h->app_message : "";
	return 0;
}

const char *cairn_harness_workload_version(struct cairn_harness *h)
{
	return h->version;
}

const char *const *cairn_harness_opened_ports(struct cairn_harness *h)
{
	size_t i, n = json_array_size(h->ports);
	json_t *e;

	free(h->ports_vec);
	h->ports_vec = xcalloc(n + 1, sizeof(char *));
	json_array_foreach(h->ports, i, e)
		h->ports_vec[i] = json_string_value(e);
	return h->ports_vec;
}

/* Reads what the last successful dispatch committed to the charm's .unit-state.db (a read
 * transaction that is then abandoned).  ns NULL reads the queue. */
static json_t *sqlite_committed(struct cairn_harness *h, const char *ns)
{
	struct store *s = store_sqlite_new(h->charm_dir);
	json_t *v = NULL;
	int r = ns ? s->ops->load_state(s, ns, &v, NULL) : s->ops->load_notices(s, &v, NULL);

	store_free(s);
	return r < 0 ? NULL : v;
}

const struct cairn_value *cairn_harness_stored(struct cairn_harness *h, const char *ns)
{
	char key[400];
	json_t *v;

	if (h->storage == CAIRN_STORAGE_LOCAL) {
		json_decref(h->scratch);
		h->scratch = ns ? sqlite_committed(h, ns) : NULL;
		/* An empty namespace was never committed. */
		if (h->scratch && json_object_size(h->scratch) == 0) {
			json_decref(h->scratch);
			h->scratch = NULL;
		}
		return value_of(h->scratch);
	}
	/* Controller storage: the committed state-set value, parsed. */
	snprintf(key, sizeof(key), STORE_STATE_PREFIX "%s]", ns);
	v = json_object_get(h->ctl_state, key);
	if (!json_is_string(v))
		return NULL;
	json_decref(h->scratch);
	h->scratch = json_loads(json_string_value(v), 0, NULL);
	return value_of(h->scratch);
}

static json_t *committed_queue(struct cairn_harness *h)
{
	json_t *v, *doc;

	if (h->storage == CAIRN_STORAGE_LOCAL) {
		v = sqlite_committed(h, NULL);
		return v ? v : json_array();
	}
	v = json_object_get(h->ctl_state, "cairn/#notices#");
	doc = json_is_string(v) ? json_loads(json_string_value(v), 0, NULL) : NULL;
	v = json_incref(json_object_get(doc, "queue"));
	json_decref(doc);
	return v ? v : json_array();
}

size_t cairn_harness_deferred_count(struct cairn_harness *h)
{
	json_t *q = committed_queue(h);
	size_t n = json_array_size(q);

	json_decref(q);
	return n;
}

int cairn_harness_deferred_at(struct cairn_harness *h, size_t i, const char **ret_hook, const char **ret_observer)
{
	json_t *q = committed_queue(h), *e = json_array_get(q, i);
	const char *path;

	if (!e) {
		json_decref(q);
		return -ENOENT;
	}
	/* The strings must outlive q: keep them in the scratch value. */
	json_decref(h->scratch);
	h->scratch = json_incref(e);
	json_decref(q);
	path = json_string_value(json_object_get(e, "path"));
	if (ret_hook)
		*ret_hook = path && strchr(path, '/') ? strchr(path, '/') + 1 : path;
	if (ret_observer)
		*ret_observer = json_string_value(json_object_get(e, "observer"));
	return 0;
}

const char *cairn_harness_log(struct cairn_harness *h)
{
	return buf_str(&h->log);
}

const char *cairn_harness_tool_calls(struct cairn_harness *h)
{
	return buf_str(&h->calls);
}

char *cairn_harness_plan_yaml(struct cairn_harness *h, const char *container)
{
	struct h_container *c = harness_container(h, container);
	struct buf b = BUF_INIT;

	if (!c)
		return NULL;
	buf_init(&b);
	plan_render_yaml(c->plan, &b);
	return buf_detach(&b);
}

enum cairn_service_status cairn_harness_service_status(struct cairn_harness *h, const char *container,
						       const char *service)
{
	struct h_container *c = harness_container(h, container);

	for (size_t i = 0; c && service && i < c->n_svcs; i++)
		if (!strcmp(c->svcs[i].name, service))
			return c->svcs[i].current;
	return CAIRN_SERVICE_INACTIVE;
}

int cairn_harness_service_starts(struct cairn_harness *h, const char *container, const char *service)
{
	struct h_container *c = harness_container(h, container);

	for (size_t i = 0; c && service && i < c->n_svcs; i++)
		if (!strcmp(c->svcs[i].name, service))
			return c->svcs[i].starts;
	return 0;
}

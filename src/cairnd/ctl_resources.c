/* ctl_resources.c - charm resources (issue 11): storing what deploy, refresh and
 * attach-resource supply (a batch over resstore.h that yields the application's new resource
 * record, each supplied resource at its next revision), the `attach-resource` and
 * `resources` operations, and what the agents are told about resources and containers. */
#include "controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairnd/agents.h"
#include "cairnd/resstore.h"
#include "charm/charm.h"
#include "lib/buf.h"
#include "pod/podspec.h"
#include "proto/agent_proto.h"

/* Who uploads: cairn has one operator, Juju's default user. */
#define RES_USERNAME "admin"

static const char *res_type(const struct charm *ch, const char *name)
{
	json_t *decl = json_object_get(ch->resources, name);
	const char *t = json_string_value(json_object_get(decl, "type"));

	return decl ? (t ? t : "file") : NULL;
}

json_t *ctl_resources_prune(const struct charm *ch, json_t *current)
{
	json_t *out = json_object(), *r;
	const char *k;

	json_object_foreach(current, k, r) {
		const char *t = res_type(ch, k);

		const char *have = json_string_value(json_object_get(r, "type"));

		if (t && have && !strcmp(t, have))
			json_object_set(out, k, r);
	}
	return out;
}

/* ---- the batch ---- */

struct ctl_res_batch {
	struct controller *c;
	json_t *record;      /* the new record, built up */
	json_t *todo;        /* [[name, type, path], ...] still to store */
	size_t next;
	struct resstore_req *req;
	ctl_res_done_fn done;
	void *data;
	bool started;        /* the deferred start has run */
	bool cancelled;      /* cancelled before it ran: it frees itself then */
};

static void batch_free(struct ctl_res_batch *b)
{
	resstore_cancel(b->req);
	json_decref(b->record);
	json_decref(b->todo);
	free(b);
}

static void batch_step(struct ctl_res_batch *b);

static void on_stored(void *data, const struct resstore_item *it, const char *error)
{
	struct ctl_res_batch *b = data;
	json_t *e = json_array_get(b->todo, b->next);
	const char *name = json_string_value(json_array_get(e, 0));
	const char *type = json_string_value(json_array_get(e, 1));
	json_t *prev = json_object_get(b->record, name), *r;
	char msg[1400];

	b->req = NULL;
	if (error) {
		snprintf(msg, sizeof(msg), "failed to upload resource \"%s\": %s", name, error);
		b->done(b->data, NULL, msg);
		batch_free(b);
		return;
	}
	r = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:I}", "type", type, "revision",
		      (json_int_t)(json_integer_value(json_object_get(prev, "revision")) + 1), "fingerprint",
		      it->fingerprint, "size", (json_int_t)it->size, "origin", "upload", "username", RES_USERNAME,
		      "timestamp", (json_int_t)loop_wall_ns());
	if (it->image[0])
		json_object_set_new(r, "image", json_string(it->image));
	json_object_set_new(b->record, name, r);
	b->next++;
	batch_step(b);
}

static void batch_step(struct ctl_res_batch *b)
{
	struct errbuf eb;

	while (b->next < json_array_size(b->todo)) {
		json_t *e = json_array_get(b->todo, b->next);

		if (resstore_add(b->c->res, json_string_value(json_array_get(e, 1)),
				 json_string_value(json_array_get(e, 2)), on_stored, b, &b->req, &eb) == 0)
			return;
		char msg[1400];

		snprintf(msg, sizeof(msg), "failed to upload resource \"%s\": %s",
			 json_string_value(json_array_get(e, 0)), eb.msg);
		b->done(b->data, NULL, msg);
		batch_free(b);
		return;
	}
	json_t *rec = json_incref(b->record);

	b->done(b->data, rec, NULL);
	json_decref(rec);
	batch_free(b);
}

static void batch_start(void *data)
{
	struct ctl_res_batch *b = data;

	b->started = true;
	if (b->cancelled) {
		batch_free(b);
		return;
	}
	batch_step(b);
}

int ctl_resources_store(struct controller *c, const struct charm *ch, json_t *current, json_t *given,
			ctl_res_done_fn done, void *data, struct ctl_res_batch **ret, struct errbuf *eb)
{
	struct ctl_res_batch *b;
	json_t *todo = json_array(), *v;
	const char *k;

	if (given && !json_is_object(given)) {
		json_decref(todo);
		return errbuf_set(eb, "resources: expected {name: path}"), -EINVAL;
	}
	json_object_foreach(given, k, v) {
		const char *t = res_type(ch, k);

		if (!t) {
			json_decref(todo);
			return errbuf_set(eb, "unrecognized resource \"%s\"", k), -EINVAL;
		}
		if (!json_is_string(v) || !json_string_length(v)) {
			json_decref(todo);
			return errbuf_set(eb, "resource \"%s\": missing resource value", k), -EINVAL;
		}
		json_array_append_new(todo, json_pack("[s, s, O]", k, t, v));
	}
	b = xcalloc(1, sizeof(*b));
	b->c = c;
	b->record = ctl_resources_prune(ch, current);
	b->todo = todo;
	b->done = done;
	b->data = data;
	/* Never from inside this call, even with nothing to store. */
	loop_defer(c->l, batch_start, b);
	*ret = b;
	return 0;
}

void ctl_resources_cancel(struct ctl_res_batch *b)
{
	if (!b)
		return;
	if (!b->started) {
		b->cancelled = true; /* the deferred start frees it */
		return;
	}
	batch_free(b);
}

/* ---- what the agents are told ---- */

json_t *ctl_resources_goal(const struct model_app *a)
{
	json_t *out = json_object(), *r;
	const char *k;

	json_object_foreach(a->resources, k, r) {
		json_t *decl = json_object_get(a->charm->resources, k);
		const char *fn = json_string_value(json_object_get(decl, "filename"));
		json_t *g = json_pack("{s:O, s:O, s:O, s:O}", "type", json_object_get(r, "type"), "revision",
				      json_object_get(r, "revision"), "fingerprint", json_object_get(r, "fingerprint"),
				      "size", json_object_get(r, "size"));

		if (json_object_get(r, "image"))
			json_object_set(g, "image", json_object_get(r, "image"));
		if (fn && *fn && !strchr(fn, '/') && strcmp(fn, ".") && strcmp(fn, ".."))
			json_object_set_new(g, "filename", json_string(fn));
		json_object_set_new(out, k, g);
	}
	return out;
}

/* The location of a mount: its own, else the storage's. */
static const char *mount_location(json_t *md, json_t *m)
{
	const char *loc = json_string_value(json_object_get(m, "location"));
	const char *st = json_string_value(json_object_get(m, "storage"));

	if (loc && *loc)
		return loc;
	return json_string_value(json_object_get(json_object_get(json_object_get(md, "storage"), st ? st : ""),
						 "location"));
}

json_t *ctl_container_specs(const struct charm *ch)
{
	json_t *out = json_object(), *ctrs = json_object_get(ch->metadata, "containers"), *v;
	const char *k;

	json_object_foreach(ctrs, k, v) {
		json_t *spec = json_object(), *mounts = json_array(), *m;
		json_t *res = json_object_get(v, "resource");
		size_t i;

		if (json_is_string(res))
			json_object_set(spec, "resource", res);
		json_array_foreach(json_object_get(v, "mounts"), i, m) {
			const char *loc = mount_location(ch->metadata, m);

			if (loc && i < PROTO_MOUNTS_MAX)
				json_array_append_new(mounts, json_pack("{s:O, s:s}", "storage",
									json_object_get(m, "storage"), "location", loc));
		}
		json_object_set_new(spec, "mounts", mounts);
		json_object_set_new(out, k, spec);
	}
	return out;
}

int ctl_check_containers(const struct charm *ch, struct errbuf *eb)
{
	json_t *ctrs = json_object_get(ch->metadata, "containers"), *v, *m;
	const char *k;
	size_t i;

	json_object_foreach(ctrs, k, v) {
		if (json_array_size(json_object_get(v, "mounts")) > PROTO_MOUNTS_MAX)
			return errbuf_set(eb, "container \"%s\": more than %d mounts", k, PROTO_MOUNTS_MAX), -EINVAL;
		json_array_foreach(json_object_get(v, "mounts"), i, m) {
			const char *loc = mount_location(ch->metadata, m);

			if (!loc) {
				errbuf_set(eb, "metadata.yaml: field \"containers.%s.mounts[%zu].location\": no location "
					       "given (and storage \"%s\" has none)",
					   k, i, json_is_string(json_object_get(m, "storage")) ?
					   json_string_value(json_object_get(m, "storage")) : "");
				return -EINVAL;
			}
			if (podspec_check_bind(loc, eb) < 0) {
				errbuf_wrap(eb, "metadata.yaml: field \"containers.%s.mounts[%zu].location\"", k, i);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* ---- attach-resource ---- */

struct attach_op {
	struct controller *c;
	struct msgsrv_conn *conn;
	char *app;
	struct ctl_res_batch *b;
};

static void attach_answer(struct attach_op *op, json_t *resp)
{
	msgsrv_on_close(op->conn, NULL, NULL);
	msgsrv_send(op->conn, resp);
	msgsrv_finish(op->conn);
	json_decref(resp);
	free(op->app);
	free(op);
}

static void attach_gone(struct msgsrv_conn *conn, void *data)
{
	struct attach_op *op = data;

	(void)conn;
	ctl_resources_cancel(op->b);
	free(op->app);
	free(op);
}

static void attach_stored(void *data, json_t *record, const char *error)
{
	struct attach_op *op = data;
	struct controller *c = op->c;
	struct model_app *a = model_find_app(c->m, op->app);
	struct errbuf eb;

	op->b = NULL;
	if (!error && (!a || a->dying))
		error = a ? "the application is being removed" : "the application was removed";
	if (error) {
		resstore_gc(c->res, c->m);
		attach_answer(op, json_pack("{s:b, s:s}", "ok", 0, "error", error));
		return;
	}
	if (model_set_resources(c->m, a, json_incref(record), &eb) < 0) {
		resstore_gc(c->res, c->m);
		attach_answer(op, json_pack("{s:b, s:s}", "ok", 0, "error", eb.msg));
		return;
	}
	ctl_log(c, "controller", "INFO", "cairn.model", "%s: resources updated (charm modified version %lld)",
		a->name, (long long)model_app_charm_modified(a));
	agents_app_changed(c->agents, a);
	resstore_gc(c->res, c->m);
	attach_answer(op, json_pack("{s:b, s:{}}", "ok", 1, "result"));
}

int ctl_op_attach_resource(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			   struct errbuf *eb)
{
	const char *name = json_string_value(json_object_get(req, "app"));
	json_t *given = json_object_get(req, "resources");
	struct model_app *a;
	struct attach_op *op;
	int r;

	(void)ret;
	if (!name || !*name)
		return errbuf_set(eb, "missing application name"), -EINVAL;
	a = model_find_app(c->m, name);
	if (!a)
		return errbuf_set(eb, "application \"%s\" not found", name), -ENOENT;
	if (a->dying)
		return errbuf_set(eb, "application \"%s\" is being removed", name), -EINVAL;
	if (!json_is_object(given) || !json_object_size(given))
		return errbuf_set(eb, "no resource specified"), -EINVAL;
	op = xcalloc(1, sizeof(*op));
	op->c = c;
	op->conn = conn;
	op->app = xstrdup(name);
	r = ctl_resources_store(c, a->charm, a->resources, given, attach_stored, op, &op->b, eb);
	if (r < 0) {
		const char *k = NULL;
		json_t *v;

		json_object_foreach(given, k, v)
			break;
		errbuf_wrap(eb, "failed to upload resource \"%s\"", k ? k : "");
		free(op->app);
		free(op);
		return r;
	}
	msgsrv_on_close(conn, attach_gone, op);
	return 1;
}

/* ---- resources ---- */

static void rfc3339(int64_t ns, char *out, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ctl_op_resources(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	const char *name = json_string_value(json_object_get(req, "app"));
	struct model_app *a = name ? model_find_app(c->m, name) : NULL;
	json_t *list = json_array(), *decl;
	const char **names;
	size_t n = 0;
	const char *k;

	(void)conn;
	if (!a) {
		json_decref(list);
		return errbuf_set(eb, "application \"%s\" not found", name ? name : ""), -ENOENT;
	}
	names = xcalloc(json_object_size(a->charm->resources) + 1, sizeof(*names));
	json_object_foreach(a->charm->resources, k, decl)
		names[n++] = k;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_object_get(a->charm->resources, names[i]);
		json_t *r = json_object_get(a->resources, names[i]);
		const char *fn = json_string_value(json_object_get(d, "filename"));
		const char *desc = json_string_value(json_object_get(d, "description"));
		json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceid", "", "applicationId", a->name, "name",
				      names[i], "type", res_type(a->charm, names[i]), "path", fn ? fn : "");
		char id[512], ts[64];

		snprintf(id, sizeof(id), "%s/%s", a->name, names[i]);
		json_object_set_new(e, "resourceid", json_string(id));
		if (desc && *desc)
			json_object_set_new(e, "description", json_string(desc));
		if (r) {
			char rev[32];

			snprintf(rev, sizeof(rev), "%lld", (long long)json_integer_value(json_object_get(r, "revision")));
			rfc3339(json_integer_value(json_object_get(r, "timestamp")), ts, sizeof(ts));
			json_object_set_new(e, "revision", json_string(rev));
			json_object_set(e, "fingerprint", json_object_get(r, "fingerprint"));
			json_object_set(e, "size", json_object_get(r, "size"));
			json_object_set_new(e, "origin", json_string("upload"));
			json_object_set_new(e, "used", json_true());
			json_object_set_new(e, "timestamp", json_string(ts));
			json_object_set(e, "username", json_object_get(r, "username"));
		} else {
			/* Declared but never supplied: Juju's placeholder. */
			json_object_set_new(e, "revision", json_string("-"));
			json_object_set_new(e, "fingerprint", json_string(""));
			json_object_set_new(e, "size", json_integer(0));
			json_object_set_new(e, "origin", json_string("upload"));
			json_object_set_new(e, "used", json_false());
		}
		json_array_append_new(list, e);
	}
	free(names);
	*ret = json_pack("{s:o}", "resources", list);
	return 0;
}

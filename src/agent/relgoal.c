/* relgoal.c - the relation goal document; see relgoal.h. */
#include "agent/relgoal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/names.h"

static int check_bag(json_t *bag, struct errbuf *eb, size_t i, const char *field)
{
	const char *k;
	json_t *v;

	if (!bag || json_is_null(bag))
		return 0;
	if (!json_is_object(bag) || json_object_size(bag) > RELGOAL_MAX_BAG_KEYS) {
		errbuf_set(eb, "relations[%zu]: field \"%s\": expected a map of at most %d strings", i,
			   field, RELGOAL_MAX_BAG_KEYS);
		return -EINVAL;
	}
	json_object_foreach(bag, k, v) {
		if (!json_is_string(v) || json_string_length(v) > RELGOAL_MAX_VALUE ||
		    strlen(k) >= RELSTATE_NAME_MAX * 8) {
			errbuf_set(eb, "relations[%zu]: field \"%s\": key \"%.64s\": expected a string of "
				   "at most %u bytes", i, field, k, RELGOAL_MAX_VALUE);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmp_unit(const void *a, const void *b)
{
	return strcmp(((const struct relgoal_unit *)a)->name, ((const struct relgoal_unit *)b)->name);
}

static int cmp_rel(const void *a, const void *b)
{
	const struct relgoal *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void relgoal_done(struct relgoal_doc *d)
{
	if (!d)
		return;
	json_decref(d->doc);
	free(d->rels);
	free(d->units);
	memset(d, 0, sizeof(*d));
}

int relgoal_parse(json_t *v, bool unit_alive, bool app_alive, struct relgoal_doc *ret,
		  struct errbuf *eb)
{
	struct relgoal_doc d = { 0 };
	size_t i, nunits = 0, at = 0;
	json_t *e;

	if (v && !json_is_null(v) &&
	    (!json_is_array(v) || json_array_size(v) > RELSTATE_MAX_RELATIONS)) {
		errbuf_set(eb, "relations: expected a list of at most %d relations", RELSTATE_MAX_RELATIONS);
		return -EINVAL;
	}
	/* First pass: check every entry and count the units. */
	json_array_foreach(v, i, e) {
		const char *ep = NULL, *app = NULL, *iface = "";
		json_int_t id = -1, appv = 0;
		int peer = 0, alive = 0;
		json_t *units = NULL, *u;
		const char *name;
		json_error_t je;

		if (json_unpack_ex(e, &je, 0, "{s:I, s:s, s?s, s:s, s:b, s:b, s:o, s:I}", "id", &id,
				   "endpoint", &ep, "interface", &iface, "remote-app", &app, "peer", &peer,
				   "alive", &alive, "units", &units, "app-version", &appv) < 0) {
			errbuf_set(eb, "relations[%zu]: %s", i, je.text);
			return -EINVAL;
		}
		if (id < 0 || id > 0x7fffffff || appv < 0 || strlen(ep) >= RELSTATE_NAME_MAX ||
		    !names_valid_application(app) || !json_is_object(units) ||
		    json_object_size(units) > RELSTATE_MAX_MEMBERS) {
			errbuf_set(eb, "relations[%zu]: bad id, endpoint, remote-app, app-version or units", i);
			return -EINVAL;
		}
		json_object_foreach(units, name, u) {
			json_t *ver = json_object_get(u, "version");

			if (!names_valid_unit(name) || strlen(name) >= RELSTATE_NAME_MAX ||
			    !json_is_integer(ver) || json_integer_value(ver) < 0) {
				errbuf_set(eb, "relations[%zu]: field \"units\": bad unit \"%.64s\"", i, name);
				return -EINVAL;
			}
			if (check_bag(json_object_get(u, "bag"), eb, i, "units") < 0)
				return -EINVAL;
		}
		if (check_bag(json_object_get(e, "app-bag"), eb, i, "app-bag") < 0 ||
		    check_bag(json_object_get(e, "unit-bag"), eb, i, "unit-bag") < 0 ||
		    check_bag(json_object_get(e, "local-app-bag"), eb, i, "local-app-bag") < 0)
			return -EINVAL;
		nunits += json_object_size(units);
	}
	d.doc = v ? json_deep_copy(v) : json_array();
	d.rels = calloc(json_array_size(d.doc) + 1, sizeof(*d.rels));
	d.units = calloc(nunits + 1, sizeof(*d.units));
	json_array_foreach(d.doc, i, e) {
		struct relgoal *r = &d.rels[i];
		json_t *units = json_object_get(e, "units"), *u;
		const char *name;

		r->id = (int)json_integer_value(json_object_get(e, "id"));
		r->endpoint = json_string_value(json_object_get(e, "endpoint"));
		r->remote_app = json_string_value(json_object_get(e, "remote-app"));
		r->peer = json_is_true(json_object_get(e, "peer"));
		r->alive = json_is_true(json_object_get(e, "alive"));
		r->app_version = json_integer_value(json_object_get(e, "app-version"));
		r->units = &d.units[at];
		json_object_foreach(units, name, u) {
			d.units[at].name = name;
			d.units[at].version = json_integer_value(json_object_get(u, "version"));
			at++;
		}
		r->n_units = (size_t)(&d.units[at] - r->units);
		qsort((void *)r->units, r->n_units, sizeof(*r->units), cmp_unit);
	}
	qsort(d.rels, json_array_size(d.doc), sizeof(*d.rels), cmp_rel);
	for (i = 1; i < json_array_size(d.doc); i++) {
		if (d.rels[i].id == d.rels[i - 1].id) {
			errbuf_set(eb, "relations: relation %d listed twice", d.rels[i].id);
			relgoal_done(&d);
			return -EINVAL;
		}
	}
	d.goals.v = d.rels;
	d.goals.n = json_array_size(d.doc);
	d.goals.unit_alive = unit_alive;
	d.goals.app_alive = app_alive;
	*ret = d;
	return 0;
}

json_t *relgoal_entry(const struct relgoal_doc *d, int id)
{
	json_t *e;
	size_t i;

	if (!d || !d->doc)
		return NULL;
	json_array_foreach(d->doc, i, e)
		if (json_integer_value(json_object_get(e, "id")) == id)
			return e;
	return NULL;
}

static json_t *bag_copy(json_t *bag)
{
	return json_is_object(bag) ? json_deep_copy(bag) : json_object();
}

/* One hook_relation for relation id (local state l, may be NULL for created). */
static void fill_one(struct hook_relation *hr, const struct relgoal_doc *d,
		     const struct relgoal_doc *prev, const struct relstate_rel *l,
		     const struct relhook *hook, int id)
{
	json_t *e = relgoal_entry(d, id), *pe = relgoal_entry(prev, id);
	json_t *units = json_object_get(e, "units"), *u;
	const char *name;

	hr->id = id;
	hr->endpoint = xstrdup(l ? l->endpoint : hook->endpoint);
	hr->remote_app = xstrdup(l ? l->remote_app : hook->remote_app);
	hr->peer = l ? l->peer : hook->peer;
	hr->dying = !e || !json_is_true(json_object_get(e, "alive"));
	hr->members = json_array();
	for (size_t i = 0; l && i < l->n_members; i++) {
		if (hook && hook->relation_id == id && hook->kind == RELHOOK_DEPARTED &&
		    !strcmp(hook->remote_unit, l->members[i].name))
			continue;
		json_array_append_new(hr->members, json_string(l->members[i].name));
	}
	if (hook && hook->relation_id == id && hook->kind == RELHOOK_JOINED) {
		bool have = false;
		size_t i;
		json_t *m;

		json_array_foreach(hr->members, i, m)
			have |= !strcmp(json_string_value(m), hook->remote_unit);
		if (!have) {
			/* Keep the list sorted: insert in place. */
			size_t at = 0;

			json_array_foreach(hr->members, i, m)
				if (strcmp(json_string_value(m), hook->remote_unit) < 0)
					at = i + 1;
			json_array_insert_new(hr->members, at, json_string(hook->remote_unit));
		}
	}
	hr->remote_units = json_object();
	/* Units that left stay readable from the previous goal. */
	json_object_foreach(json_object_get(pe, "units"), name, u)
		json_object_set_new(hr->remote_units, name, bag_copy(json_object_get(u, "bag")));
	json_object_foreach(units, name, u)
		json_object_set_new(hr->remote_units, name, bag_copy(json_object_get(u, "bag")));
	hr->remote_app_bag = bag_copy(json_object_get(e ? e : pe, "app-bag"));
	hr->unit_bag = bag_copy(json_object_get(e ? e : pe, "unit-bag"));
	hr->app_bag = bag_copy(json_object_get(e ? e : pe, "local-app-bag"));
}

void relgoal_fill_ctx(const struct relgoal_doc *d, const struct relgoal_doc *prev,
		      const struct relstate *rs, const struct relhook *hook, struct hook_ctx *ctx)
{
	size_t n = rs->n + 1, k = 0;
	bool creating = hook && hook->kind == RELHOOK_CREATED && !relstate_find(rs, hook->relation_id);

	ctx->relations = calloc(n + 1, sizeof(*ctx->relations));
	for (size_t i = 0; i < rs->n; i++) {
		if (creating && hook->relation_id < rs->v[i].id) {
			fill_one(&ctx->relations[k++], d, prev, NULL, hook, hook->relation_id);
			creating = false;
		}
		fill_one(&ctx->relations[k++], d, prev, &rs->v[i], hook, rs->v[i].id);
	}
	if (creating)
		fill_one(&ctx->relations[k++], d, prev, NULL, hook, hook->relation_id);
	ctx->n_relations = k;
	if (hook && hook->kind != RELHOOK_NONE) {
		ctx->in_relation = true;
		ctx->relation_id = hook->relation_id;
	}
}

/* model_relation.c - relations and their databags (relation-ids, relation-list,
 * relation-get, relation-set; charm-runtime.md §3.3).  The argv forms are those of
 * ops >= 3.8 (-r <endpoint>:<id>, --format=json first); relation-set reads a JSON object on
 * stdin.  What the agent answers is cached for the rest of the dispatch; our own writes
 * update that cache, as Juju's hook context shows a hook its own pending writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"
#include "sdk/value.h"

int relation_id_parse(const char *s)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	const char *p = colon ? colon + 1 : s;
	long v = 0;

	if (!p || !*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}

struct cairn_relation *relation_get_or_new(struct cairn_charm *ch, const char *endpoint, int id)
{
	struct cairn_relation *r;

	for (size_t i = 0; i < ch->n_rels; i++)
		if (ch->rels[i]->id == id && !strcmp(ch->rels[i]->endpoint, endpoint))
			return ch->rels[i];
	r = xcalloc(1, sizeof(*r));
	r->ch = ch;
	r->id = id;
	r->endpoint = xstrdup(endpoint);
	snprintf(r->ref, sizeof(r->ref), "%s:%d", endpoint, id);
	r->bags = json_object();
	ch->rels = xrealloc(ch->rels, (ch->n_rels + 1) * sizeof(*ch->rels));
	ch->rels[ch->n_rels++] = r;
	return r;
}

/* "relation not found" from any relation tool is ops' RelationNotFoundError. */
int model_relation_error(int r, struct cairn_error *err)
{
	if (r < 0 && err && err->kind == CAIRN_ERR_MODEL && strcasestr(err->message, "relation not found")) {
		err->kind = CAIRN_ERR_NOT_FOUND;
		return sdk_errno(CAIRN_ERR_NOT_FOUND);
	}
	return r;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct cairn_relation *x = *(struct cairn_relation *const *)a;
	const struct cairn_relation *y = *(struct cairn_relation *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cairn_relations(struct cairn_charm *ch, const char *endpoint, struct cairn_relation *const **ret,
		    size_t *ret_n, struct cairn_error *err)
{
	const char *ep = meta_has(&ch->meta, META_RELATION, endpoint);
	struct rel_list *l = NULL;
	json_t *j = NULL, *e;
	size_t i;
	int r;

	if (!ep)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no relation endpoint \"%s\" in metadata.yaml",
			       endpoint ? endpoint : "");
	for (i = 0; i < ch->n_rel_lists; i++)
		if (!strcmp(ch->rel_lists[i].endpoint, ep))
			l = &ch->rel_lists[i];
	if (!l) {
		r = model_run_list(ch->tools, &j, err, "relation-ids", "--format=json", ep, NULL);
		if (r < 0)
			return r;
		ch->rel_lists = xrealloc(ch->rel_lists, (ch->n_rel_lists + 1) * sizeof(*ch->rel_lists));
		l = &ch->rel_lists[ch->n_rel_lists++];
		l->endpoint = xstrdup(ep);
		l->v = xcalloc(json_array_size(j) + 1, sizeof(*l->v));
		l->n = 0;
		json_array_foreach(j, i, e) {
			int id = relation_id_parse(json_string_value(e));

			/* ops leaves the relation of a -broken event out of model.relations. */
			if (id < 0 || id == ch->broken_relation)
				continue;
			l->v[l->n++] = relation_get_or_new(ch, ep, id);
		}
		qsort(l->v, l->n, sizeof(*l->v), cmp_rel);
		json_decref(j);
	}
	*ret = l->v;
	*ret_n = l->n;
	return 0;
}

int cairn_relation(struct cairn_charm *ch, const char *endpoint, int id, struct cairn_relation **ret,
		   struct cairn_error *err)
{
	struct cairn_relation *const *v;
	size_t n;
	int r = cairn_relations(ch, endpoint, &v, &n, err);

	if (r < 0)
		return r;
	if (id < 0) {
		if (n == 0)
			return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no relation on endpoint \"%s\"", endpoint);
		if (n > 1)
			return sdk_err(err, CAIRN_ERR_INVALID, "endpoint \"%s\" has %zu relations: give an id",
				       endpoint, n);
		*ret = v[0];
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i]->id == id) {
			*ret = v[i];
			return 0;
		}
	return sdk_err(err, CAIRN_ERR_NOT_FOUND, "relation not found: %s:%d", endpoint, id);
}

int cairn_relation_id(const struct cairn_relation *r)
{
	return r->id;
}

const char *cairn_relation_endpoint(const struct cairn_relation *r)
{
	return r->endpoint;
}

int cairn_relation_units(struct cairn_relation *r, const char *const **ret, size_t *ret_n, struct cairn_error *err)
{
	json_t *j = NULL, *e;
	size_t i;
	int rv;

	if (!r->units) {
		rv = model_relation_error(model_run_list(r->ch->tools, &j, err, "relation-list", "--format=json", "-r",
						   r->ref, NULL),
				    err);
		if (rv < 0)
			return rv;
		r->units = xcalloc(json_array_size(j) + 1, sizeof(char *));
		r->n_units = 0;
		json_array_foreach(j, i, e)
			if (json_is_string(e))
				r->units[r->n_units++] = xstrdup(json_string_value(e));
		json_decref(j);
	}
	*ret = (const char *const *)r->units;
	if (ret_n)
		*ret_n = r->n_units;
	return 0;
}

int cairn_relation_app(struct cairn_relation *r, const char **ret, struct cairn_error *err)
{
	const char *app = hookenv_get(&r->ch->env, HOOKENV_REMOTE_APP);
	const char *ev_rel = hookenv_get(&r->ch->env, HOOKENV_RELATION);
	int id = relation_id_parse(hookenv_get(&r->ch->env, HOOKENV_RELATION_ID));
	json_t *j = NULL;
	int rv;

	if (!r->app) {
		if (meta_role(&r->ch->meta, r->endpoint) == META_ROLE_PEERS) {
			r->app = xstrdup(r->ch->app);
		} else if (app && id == r->id && ev_rel && !strcmp(r->endpoint, ev_rel)) {
			/* ops skips the call for the event's own relation (§3.3). */
			r->app = xstrdup(app);
		} else {
			rv = model_relation_error(model_run_json(r->ch->tools, &j, err, "relation-list", "--format=json",
							   "--app", "-r", r->ref, NULL),
					    err);
			if (rv < 0)
				return rv;
			if (!json_is_string(j)) {
				json_decref(j);
				return sdk_err(err, CAIRN_ERR_PROTOCOL, "relation-list --app printed no name");
			}
			r->app = xstrdup(json_string_value(j));
			json_decref(j);
		}
	}
	*ret = r->app;
	return 0;
}

/* A member without '/' is an application. */
static bool is_app(const char *member)
{
	return !strchr(member, '/');
}

int cairn_relation_data(struct cairn_relation *r, const char *member, const struct cairn_value **ret,
			struct cairn_error *err)
{
	json_t *bag, *j = NULL;
	int rv;

	if (!member || !*member)
		return sdk_err(err, CAIRN_ERR_INVALID, "no relation member");
	bag = json_object_get(r->bags, member);
	if (!bag) {
		if (is_app(member))
			rv = model_run_map(r->ch->tools, &j, err, "relation-get", "--format=json", "-r", r->ref,
					   "--app", "-", member, NULL);
		else
			rv = model_run_map(r->ch->tools, &j, err, "relation-get", "--format=json", "-r", r->ref, "-",
					   member, NULL);
		rv = model_relation_error(rv, err);
		if (rv < 0)
			return rv;
		json_object_set_new(r->bags, member, j);
		bag = j;
	}
	*ret = value_of(bag);
	return 0;
}

int cairn_relation_set_map(struct cairn_relation *r, bool app, const struct cairn_value *data,
			   struct cairn_error *err)
{
	struct cairn_charm *ch = r->ch;
	json_t *d = value_json(data), *v, *bag;
	const char *k, *member = app ? ch->app : hookenv_get(&ch->env, HOOKENV_UNIT_NAME);
	char *text;
	int rv;

	if (!json_is_object(d))
		return sdk_err(err, CAIRN_ERR_INVALID, "relation data must be a map");
	json_object_foreach(d, k, v)
		if (!json_is_string(v) || !*k)
			return sdk_err(err, CAIRN_ERR_INVALID, "relation data \"%s\" must be a string", k);
	if (app && (rv = model_require_leader(ch, err)) < 0)
		return rv;
	text = json_dumps(d, JSON_COMPACT);
	if (app)
		rv = tools_run(ch->tools, NULL, text, err, "relation-set", "-r", r->ref, "--app", "--file", "-", NULL);
	else
		rv = tools_run(ch->tools, NULL, text, err, "relation-set", "-r", r->ref, "--file", "-", NULL);
	free(text);
	rv = model_relation_error(rv, err);
	if (rv < 0)
		return rv;
	bag = member ? json_object_get(r->bags, member) : NULL;
	if (bag)
		json_object_foreach(d, k, v) {
			if (*json_string_value(v))
				json_object_set(bag, k, v);
			else
				json_object_del(bag, k);
		}
	return 0;
}

int cairn_relation_set(struct cairn_relation *r, bool app, const char *key, const char *value,
		       struct cairn_error *err)
{
	json_t *d;
	int rv;

	if (!key || !*key)
		return sdk_err(err, CAIRN_ERR_INVALID, "no relation data key");
	d = json_object();
	if (json_object_set_new(d, key, json_string(value ? value : "")) < 0 ||
	    !json_is_string(json_object_get(d, key))) {
		json_decref(d);
		return sdk_err(err, CAIRN_ERR_INVALID, "relation data must be valid UTF-8");
	}
	rv = cairn_relation_set_map(r, app, value_of(d), err);
	json_decref(d);
	return rv;
}

/* model_network.c - networking and goal state (network-get, unit-get, goal-state;
 * charm-runtime.md §3.3, §3.7).
 *
 * network-get --format=json [-r REF] BINDING answers {"bind-addresses": [{"interface-name",
 * "addresses": [{"value" (or the legacy "address"), "cidr"}]}], "ingress-addresses": [...],
 * "egress-subnets": [...]}; struct cairn_network points into that answer, which the charm
 * keeps for the dispatch.  goal-state --format=json is asked once per dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"
#include "sdk/value.h"

void model_network_free(struct cairn_charm *ch)
{
	for (size_t i = 0; i < ch->n_nets; i++) {
		free(ch->nets[i]->binding);
		json_decref(ch->nets[i]->doc);
		free(ch->nets[i]->ingress);
		free(ch->nets[i]->egress);
		free(ch->nets[i]);
	}
	free(ch->nets);
	free(ch->addresses[0]);
	free(ch->addresses[1]);
}

/* The strings of list key of doc, NULL-terminated (borrowed from doc); NULL when key holds
 * anything but a list of strings (absent: an empty list). */
static const char **strings_of(json_t *doc, const char *key)
{
	json_t *l = json_object_get(doc, key), *e;
	const char **v;
	size_t i;

	if (l && !json_is_array(l))
		return NULL;
	v = xcalloc(json_array_size(l) + 1, sizeof(*v));
	json_array_foreach(l, i, e) {
		if (!json_is_string(e)) {
			free(v);
			return NULL;
		}
		v[i] = json_string_value(e);
	}
	return v;
}

/* The first address of the first interface that has one ("value", or legacy "address"). */
static const char *bind_address(json_t *doc)
{
	json_t *ifs = json_object_get(doc, "bind-addresses"), *ifc, *a;
	size_t i;

	json_array_foreach(ifs, i, ifc) {
		a = json_array_get(json_object_get(ifc, "addresses"), 0);
		if (json_is_string(json_object_get(a, "value")))
			return json_string_value(json_object_get(a, "value"));
		if (json_is_string(json_object_get(a, "address")))
			return json_string_value(json_object_get(a, "address"));
	}
	return NULL;
}

int cairn_network_get(struct cairn_charm *ch, const char *binding, struct cairn_relation *rel,
		      const struct cairn_network **ret, struct cairn_error *err)
{
	int id = rel ? rel->id : -1, r;
	struct net_entry *e;
	json_t *doc = NULL;
	const char **ingress, **egress;

	if (!binding || !*binding)
		return sdk_err(err, CAIRN_ERR_INVALID, "no binding name");
	for (size_t i = 0; i < ch->n_nets; i++)
		if (ch->nets[i]->relation_id == id && !strcmp(ch->nets[i]->binding, binding)) {
			*ret = &ch->nets[i]->pub;
			return 0;
		}
	if (rel)
		r = model_run_map(ch->tools, &doc, err, "network-get", "--format=json", "-r", rel->ref, binding, NULL);
	else
		r = model_run_map(ch->tools, &doc, err, "network-get", "--format=json", binding, NULL);
	r = model_relation_error(r, err);
	if (r < 0)
		return r;
	ingress = strings_of(doc, "ingress-addresses");
	egress = strings_of(doc, "egress-subnets");
	if (!ingress || !egress || (json_object_get(doc, "bind-addresses") &&
				    !json_is_array(json_object_get(doc, "bind-addresses")))) {
		free(ingress);
		free(egress);
		json_decref(doc);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "network-get printed a malformed network for \"%s\"", binding);
	}
	ch->nets = xrealloc(ch->nets, (ch->n_nets + 1) * sizeof(*ch->nets));
	e = xcalloc(1, sizeof(*e));
	ch->nets[ch->n_nets++] = e;
	e->binding = xstrdup(binding);
	e->relation_id = id;
	e->doc = doc;
	e->ingress = ingress;
	e->egress = egress;
	e->pub.bind_address = bind_address(doc);
	/* ops: the first ingress address, else the bind address. */
	e->pub.ingress_address = ingress[0] ? ingress[0] : e->pub.bind_address;
	e->pub.ingress_addresses = ingress;
	e->pub.egress_subnets = egress;
	e->pub.document = value_of(doc);
	*ret = &e->pub;
	return 0;
}

int cairn_unit_address(struct cairn_charm *ch, bool public_address, const char **ret, struct cairn_error *err)
{
	const char *setting = public_address ? "public-address" : "private-address";
	char **slot = &ch->addresses[public_address ? 1 : 0];
	struct buf out = BUF_INIT;
	json_t *j = NULL;
	int r;

	if (!*slot) {
		buf_init(&out);
		r = tools_run(ch->tools, &out, NULL, err, "unit-get", "--format=json", setting, NULL);
		if (r == 0)
			r = model_parse_json("unit-get", &out, &j, err);
		buf_done(&out);
		if (r < 0)
			return r;
		if (!json_is_string(j) || !json_string_length(j)) {
			json_decref(j);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "unit-get printed no %s", setting);
		}
		*slot = xstrdup(json_string_value(j));
		json_decref(j);
	}
	*ret = *slot;
	return 0;
}

int cairn_goal_state(struct cairn_charm *ch, const struct cairn_value **ret, struct cairn_error *err)
{
	json_t *j = NULL;
	int r;

	if (!ch->goal_state) {
		r = model_run_map(ch->tools, &j, err, "goal-state", "--format=json", NULL);
		if (r < 0)
			return r;
		if ((json_object_get(j, "units") && !json_is_object(json_object_get(j, "units"))) ||
		    (json_object_get(j, "relations") && !json_is_object(json_object_get(j, "relations")))) {
			json_decref(j);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "goal-state printed a malformed document");
		}
		ch->goal_state = j;
	}
	*ret = value_of(ch->goal_state);
	return 0;
}

int cairn_planned_units(struct cairn_charm *ch, size_t *ret, struct cairn_error *err)
{
	const struct cairn_value *gs;
	const char *k;
	json_t *u;
	size_t n = 0;
	int r = cairn_goal_state(ch, &gs, err);

	if (r < 0)
		return r;
	json_object_foreach(json_object_get(value_json(gs), "units"), k, u) {
		const char *st = json_string_value(json_object_get(u, "status"));

		if (!st || strcmp(st, "dying"))
			n++;
	}
	*ret = n;
	return 0;
}

/* keeper.c - serves the `value` option over the `store` relation (interface keyvalue), the
 * C twin of charms/keeper.
 *
 * The leader publishes the value in its application bag of every store relation and in the
 * leader settings (non-leaders show what the leader serves); each unit writes its ingress
 * address (network-get) and private address (unit-get) into its own bag when a reader joins,
 * and keeps what each reader unit reports back (its `seen` key) in stored state, forgotten
 * when the reader departs.  Actions: get-value (params with schema defaults, nested results,
 * action-log) and readers (fails when no reader is related). */
#include "keeper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINT "store"
#define STORE_NS "keeper"

static int value_of_config(struct cairn_charm *ch, const char **ret)
{
	struct cairn_error err;
	int r = cairn_config_string(ch, "value", "hello", ret, &err);

	if (r < 0)
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot read the value option: %s", err.message);
	return r;
}

/* The leader writes the value into every store relation's application bag and into the
 * leader settings; a non-leader writes nothing (only the leader may). */
static int publish(struct cairn_charm *ch)
{
	struct cairn_relation *const *rels;
	struct cairn_error err;
	const char *value;
	size_t n;
	int r, leader = cairn_is_leader(ch, &err);

	if (leader < 0)
		return leader;
	if ((r = value_of_config(ch, &value)) < 0)
		return r;
	if (!leader)
		return 0;
	if ((r = cairn_leader_set(ch, "value", value, &err)) < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot write the leader settings: %s", err.message);
		return r;
	}
	if ((r = cairn_relations(ch, ENDPOINT, &rels, &n, &err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = cairn_relation_set(rels[i], true, "value", value, &err)) < 0) {
			cairn_log(ch, CAIRN_LOG_ERROR, "cannot publish on %s:%d: %s", ENDPOINT,
				  cairn_relation_id(rels[i]), err.message);
			return r;
		}
	return 0;
}

/* "serving X" on the leader; a non-leader shows what the leader settings say it serves. */
static int show_status(struct cairn_charm *ch)
{
	const struct cairn_value *ls;
	const char *value, *from_leader = NULL;
	char msg[512];
	int r, leader = cairn_is_leader(ch, NULL);

	if (leader < 0)
		return leader;
	if ((r = value_of_config(ch, &value)) < 0)
		return r;
	if (!leader) {
		if ((r = cairn_leader_settings(ch, &ls, NULL)) < 0)
			return r;
		if ((r = cairn_map_string(ls, "value", NULL, &from_leader, NULL)) < 0)
			return r;
	}
	if (from_leader)
		snprintf(msg, sizeof(msg), "serving %s (from the leader)", from_leader);
	else
		snprintf(msg, sizeof(msg), "serving %s", value);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, msg, NULL);
}

static int on_install(struct cairn_event *ev, void *data)
{
	(void)data;
	return cairn_unit_set_status(cairn_event_charm(ev), CAIRN_STATUS_MAINTENANCE, "installing keeper", NULL);
}

static int on_publish(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	int r;

	(void)data;
	r = publish(ch);
	return r < 0 ? r : show_status(ch);
}

static int on_status(struct cairn_event *ev, void *data)
{
	(void)data;
	return show_status(cairn_event_charm(ev));
}

/* A reader joined: tell it where this unit is. */
static int on_joined(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *rel = cairn_event_relation(ev);
	const struct cairn_network *net;
	struct cairn_error err;
	const char *addr;
	int r;

	(void)data;
	if ((r = cairn_network_get(ch, ENDPOINT, rel, &net, &err)) < 0 ||
	    (r = cairn_unit_address(ch, false, &addr, &err)) < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot find this unit's address: %s", err.message);
		return r;
	}
	if (!net->ingress_address) {
		cairn_log(ch, CAIRN_LOG_ERROR, "binding %s has no ingress address", ENDPOINT);
		return -ENOENT;
	}
	if ((r = cairn_relation_set(rel, false, "host", net->ingress_address, &err)) < 0 ||
	    (r = cairn_relation_set(rel, false, "address", addr, &err)) < 0)
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot write this unit's bag: %s", err.message);
	return r;
}

static int readers(struct cairn_charm *ch, struct cairn_value **ret)
{
	struct cairn_value *st;
	int r = cairn_stored(ch, STORE_NS, &st, NULL);

	if (r < 0)
		return r;
	cairn_map_set_default(st, "readers", cairn_value_map());
	*ret = cairn_map_get(st, "readers");
	return 0;
}

/* A reader unit's bag changed: keep what it says it read. */
static int on_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	const char *unit = cairn_event_unit(ev), *seen;
	const struct cairn_value *bag;
	struct cairn_value *rd;
	struct cairn_error err;
	int r;

	(void)data;
	if (!unit)
		return 0; /* the reader application's bag: keeper reads nothing there */
	if ((r = cairn_relation_data(cairn_event_relation(ev), unit, &bag, &err)) < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot read %s's bag: %s", unit, err.message);
		return r;
	}
	if ((r = cairn_map_string(bag, "seen", NULL, &seen, &err)) < 0 || (r = readers(ch, &rd)) < 0)
		return r;
	if (seen)
		return cairn_map_set_string(rd, unit, seen);
	cairn_map_delete(rd, unit);
	return 0;
}

static int on_departed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	const char *gone = cairn_event_departing_unit(ev);
	struct cairn_value *rd;
	int r;

	(void)data;
	cairn_log(ch, CAIRN_LOG_INFO, "%s left relation %s:%d", gone ? gone : "a unit", ENDPOINT,
		  cairn_relation_id(cairn_event_relation(ev)));
	if (!gone || (r = readers(ch, &rd)) < 0)
		return 0;
	cairn_map_delete(rd, gone);
	return 0;
}

static int on_broken(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *rd;
	const char *app = cairn_event_app(ev);
	void *it = NULL;
	const char *k;
	int r;

	(void)data;
	cairn_log(ch, CAIRN_LOG_INFO, "relation %s:%d with %s is gone", ENDPOINT,
		  cairn_relation_id(cairn_event_relation(ev)), app ? app : "?");
	if ((r = readers(ch, &rd)) < 0)
		return r;
	/* Forget that application's units. */
	while ((k = cairn_map_next(rd, &it, NULL))) {
		if (app && !strncmp(k, app, strlen(app)) && k[strlen(app)] == '/') {
			cairn_map_delete(rd, k);
			it = NULL;
		}
	}
	return 0;
}

/* ---- actions ---- */

static int on_get_value(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	const struct cairn_network *net;
	struct cairn_value *res;
	struct cairn_error err;
	const char *prefix, *value;
	int64_t repeat;
	size_t planned;
	char out[4096];
	int r;

	(void)data;
	if ((r = cairn_action_param_string(ev, "prefix", "", &prefix, &err)) < 0 ||
	    (r = cairn_action_param_int(ev, "repeat", 1, &repeat, &err)) < 0)
		return cairn_action_fail(ev, err.message, NULL);
	if ((r = value_of_config(ch, &value)) < 0)
		return r;
	if ((r = cairn_action_log(ev, "reading the served value", &err)) < 0)
		return r;
	snprintf(out, sizeof(out), "%s", prefix);
	for (int64_t i = 0; i < repeat && strlen(out) + strlen(value) < sizeof(out); i++)
		strcat(out, value);
	res = cairn_value_map();
	cairn_map_set_string(res, "value", out);
	if (cairn_planned_units(ch, &planned, &err) == 0)
		cairn_map_set_int(res, "planned-units", (int64_t)planned);
	if (cairn_network_get(ch, ENDPOINT, NULL, &net, &err) == 0 && net->ingress_address) {
		struct cairn_value *a = cairn_value_map();

		cairn_map_set_string(a, "ingress", net->ingress_address);
		cairn_map_set(res, "address", a);
	}
	r = cairn_action_set_results(ev, res, &err);
	cairn_value_free(res);
	return r;
}

static int on_readers(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *rd, *res, *v;
	void *it = NULL;
	const char *k, *s;
	char key[300];
	int r;

	(void)data;
	if ((r = readers(ch, &rd)) < 0)
		return r;
	if (cairn_value_size(rd) == 0)
		return cairn_action_fail(ev, "no readers related", NULL);
	res = cairn_value_map();
	cairn_map_set_int(res, "count", (int64_t)cairn_value_size(rd));
	while ((k = cairn_map_next(rd, &it, &v))) {
		/* Result keys cannot hold '/': "c-reader/0" is reported as "readers.c-reader-0". */
		snprintf(key, sizeof(key), "%s", k);
		for (char *p = key; *p; p++)
			if (*p == '/')
				*p = '-';
		if (cairn_value_get_string(v, &s) == 0) {
			struct cairn_value *m = cairn_map_get(res, "readers");

			if (!m) {
				cairn_map_set(res, "readers", cairn_value_map());
				m = cairn_map_get(res, "readers");
			}
			cairn_map_set_string(m, key, s);
		}
	}
	r = cairn_action_set_results(ev, res, NULL);
	cairn_value_free(res);
	return r;
}

int keeper_setup(struct cairn_charm *ch, void *data)
{
	static const struct {
		enum cairn_event_kind kind;
		const char *name;
		const char *id;
		cairn_handler_fn fn;
	} obs[] = {
		{ CAIRN_EVENT_INSTALL, NULL, "on_install", on_install },
		{ CAIRN_EVENT_LEADER_ELECTED, NULL, "on_publish", on_publish },
		{ CAIRN_EVENT_CONFIG_CHANGED, NULL, "on_publish", on_publish },
		{ CAIRN_EVENT_RELATION_CREATED, ENDPOINT, "on_publish", on_publish },
		{ CAIRN_EVENT_LEADER_SETTINGS_CHANGED, NULL, "on_status", on_status },
		{ CAIRN_EVENT_START, NULL, "on_status", on_status },
		{ CAIRN_EVENT_UPDATE_STATUS, NULL, "on_status", on_status },
		{ CAIRN_EVENT_RELATION_JOINED, ENDPOINT, "on_joined", on_joined },
		{ CAIRN_EVENT_RELATION_CHANGED, ENDPOINT, "on_changed", on_changed },
		{ CAIRN_EVENT_RELATION_DEPARTED, ENDPOINT, "on_departed", on_departed },
		{ CAIRN_EVENT_RELATION_BROKEN, ENDPOINT, "on_broken", on_broken },
		{ CAIRN_EVENT_ACTION, "get-value", "on_get_value", on_get_value },
		{ CAIRN_EVENT_ACTION, "readers", "on_readers", on_readers },
	};
	int r;

	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		if ((r = cairn_observe(ch, obs[i].kind, obs[i].name, obs[i].id, obs[i].fn, data, NULL)) < 0)
			return r;
	return 0;
}

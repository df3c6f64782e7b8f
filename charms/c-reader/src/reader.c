/* reader.c - reads the value a keeper serves over the `source` relation (interface
 * keyvalue), the C twin of charms/reader.
 *
 * On each change of the relation it reads the keeper application's bag (`value`) and the
 * first keeper unit's bag (`host`), shows "read: VALUE from HOST", keeps both in stored
 * state and reports `seen=VALUE` in its own unit bag - which the agent commits only when the
 * hook succeeds.  While `paused` is set a change is deferred: the framework re-emits it, with
 * the relation and remote unit it came with, at the start of each later dispatch until a
 * run does not defer it (one whose relation has gone by then is dropped).  A value equal to
 * `reject` fails the hook after writing `seen`, so the keeper never sees that write. */
#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINT "source"
#define STORE_NS "reader"

static int show_status(struct cairn_charm *ch)
{
	struct cairn_value *st;
	const char *value, *host;
	char msg[512];
	int r = cairn_stored(ch, STORE_NS, &st, NULL);

	if (r < 0)
		return r;
	if (cairn_map_string(st, "value", NULL, &value, NULL) < 0 || !value)
		return cairn_unit_set_status(ch, CAIRN_STATUS_BLOCKED, "waiting for a source", NULL);
	if (cairn_map_string(st, "host", "?", &host, NULL) < 0)
		host = "?";
	snprintf(msg, sizeof(msg), "read: %s from %s", value, host);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, msg, NULL);
}

static int on_install(struct cairn_event *ev, void *data)
{
	(void)data;
	return cairn_unit_set_status(cairn_event_charm(ev), CAIRN_STATUS_MAINTENANCE, "installing reader", NULL);
}

static int on_status(struct cairn_event *ev, void *data)
{
	(void)data;
	return show_status(cairn_event_charm(ev));
}

/* The host the first keeper unit (by name) published, or NULL. */
static int first_host(struct cairn_relation *rel, const char **ret, struct cairn_error *err)
{
	const char *const *units;
	const struct cairn_value *bag;
	size_t n;
	int r;

	*ret = NULL;
	if ((r = cairn_relation_units(rel, &units, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && !*ret; i++) {
		if ((r = cairn_relation_data(rel, units[i], &bag, err)) < 0)
			return r;
		if ((r = cairn_map_string(bag, "host", NULL, ret, err)) < 0)
			return r;
	}
	return 0;
}

static int on_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *rel = cairn_event_relation(ev);
	const char *from = cairn_event_unit(ev), *app, *value, *host, *reject;
	const struct cairn_value *bag;
	struct cairn_value *st;
	struct cairn_error err;
	bool paused;
	char msg[300];
	int r;

	(void)data;
	if (!from)
		from = cairn_event_app(ev);
	cairn_log(ch, CAIRN_LOG_INFO, "%s from %s%s", cairn_event_hook(ev), from ? from : "?",
		  cairn_event_reemitted(ev) ? " (re-emitted)" : "");
	if ((r = cairn_config_bool(ch, "paused", false, &paused, &err)) < 0 ||
	    (r = cairn_config_string(ch, "reject", "", &reject, &err)) < 0)
		goto fail;
	if (paused) {
		snprintf(msg, sizeof(msg), "paused: %s deferred", cairn_event_hook(ev));
		if ((r = cairn_event_defer(ev, &err)) < 0)
			goto fail;
		return cairn_unit_set_status(ch, CAIRN_STATUS_WAITING, msg, NULL);
	}
	if ((r = cairn_relation_app(rel, &app, &err)) < 0 || (r = cairn_relation_data(rel, app, &bag, &err)) < 0 ||
	    (r = cairn_map_string(bag, "value", NULL, &value, &err)) < 0 || (r = first_host(rel, &host, &err)) < 0)
		goto fail;
	if (!value)
		return show_status(ch); /* the keeper's leader has not published yet */
	/* Report what we read: committed with the hook, so only when everything below works. */
	if ((r = cairn_relation_set(rel, false, "seen", value, &err)) < 0)
		goto fail;
	if (*reject && !strcmp(value, reject)) {
		cairn_log(ch, CAIRN_LOG_ERROR, "refusing the value \"%s\"", value);
		return -EINVAL;
	}
	if ((r = cairn_stored(ch, STORE_NS, &st, &err)) < 0)
		goto fail;
	cairn_map_set_string(st, "value", value);
	if (host)
		cairn_map_set_string(st, "host", host);
	return show_status(ch);
fail:
	if (err.kind == CAIRN_ERR_NOT_FOUND) {
		/* A deferred change of a relation that has gone since: nothing left to read. */
		cairn_log(ch, CAIRN_LOG_INFO, "dropping %s: %s", cairn_event_hook(ev), err.message);
		return 0;
	}
	cairn_log(ch, CAIRN_LOG_ERROR, "%s: %s", cairn_event_hook(ev), err.message);
	return r;
}

static int on_departed(struct cairn_event *ev, void *data)
{
	const char *gone = cairn_event_departing_unit(ev);

	(void)data;
	cairn_log(cairn_event_charm(ev), CAIRN_LOG_INFO, "%s left the source relation", gone ? gone : "a unit");
	return 0;
}

static int on_broken(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st;
	int r = cairn_stored(ch, STORE_NS, &st, NULL);

	(void)data;
	if (r < 0)
		return r;
	cairn_map_delete(st, "value");
	cairn_map_delete(st, "host");
	return show_status(ch);
}

int reader_setup(struct cairn_charm *ch, void *data)
{
	static const struct {
		enum cairn_event_kind kind;
		const char *name;
		const char *id;
		cairn_handler_fn fn;
	} obs[] = {
		{ CAIRN_EVENT_INSTALL, NULL, "on_install", on_install },
		{ CAIRN_EVENT_START, NULL, "on_status", on_status },
		{ CAIRN_EVENT_CONFIG_CHANGED, NULL, "on_status", on_status },
		{ CAIRN_EVENT_UPDATE_STATUS, NULL, "on_status", on_status },
		{ CAIRN_EVENT_RELATION_CHANGED, ENDPOINT, "on_changed", on_changed },
		{ CAIRN_EVENT_RELATION_DEPARTED, ENDPOINT, "on_departed", on_departed },
		{ CAIRN_EVENT_RELATION_BROKEN, ENDPOINT, "on_broken", on_broken },
	};
	int r;

	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		if ((r = cairn_observe(ch, obs[i].kind, obs[i].name, obs[i].id, obs[i].fn, data, NULL)) < 0)
			return r;
	return 0;
}

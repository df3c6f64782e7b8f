/* event.c - the event object: its context, defer(), collect-status; see framework.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"
#include "sdk/error.h"
#include "sdk/event_table.h"
#include "sdk/framework.h"

/* ops' StatusBase priorities: the highest wins when several statuses are added. */
static const int status_priority[_CAIRN_STATUS_MAX] = {
	[CAIRN_STATUS_UNKNOWN] = 0, [CAIRN_STATUS_ACTIVE] = 1,      [CAIRN_STATUS_WAITING] = 2,
	[CAIRN_STATUS_MAINTENANCE] = 3, [CAIRN_STATUS_BLOCKED] = 4, [CAIRN_STATUS_ERROR] = 5,
	[CAIRN_STATUS_TERMINATED] = 0,
};

struct cairn_event *event_new(struct cairn_charm *ch, enum cairn_event_kind kind, const char *name,
			      const char *hook, json_t *env)
{
	struct cairn_event *ev = xcalloc(1, sizeof(*ev));
	const char *rel, *wl;

	ev->ch = ch;
	ev->kind = kind;
	ev->name = name;
	snprintf(ev->hook, sizeof(ev->hook), "%s", hook ? hook : "");
	ev->env = env ? env : json_object();
	rel = event_var(ev, HOOKENV_RELATION);
	if (event_def(kind)->family == META_RELATION && rel) {
		int id = relation_id_parse(event_var(ev, HOOKENV_RELATION_ID));

		if (id >= 0 && meta_has(&ch->meta, META_RELATION, rel))
			ev->relation = relation_get_or_new(ch, rel, id);
	}
	wl = event_var(ev, HOOKENV_WORKLOAD_NAME);
	if (wl && event_def(kind)->family == META_CONTAINER)
		cairn_container(ch, wl, &ev->workload, NULL);
	return ev;
}

void event_free(struct cairn_event *ev)
{
	if (!ev)
		return;
	json_decref(ev->env);
	json_decref(ev->params);
	free(ev->status_message);
	free(ev);
}

const char *event_var(const struct cairn_event *ev, enum hookenv_var var)
{
	const char *s = json_string_value(json_object_get(ev->env, hookenv_name(var)));

	return s && *s ? s : NULL;
}

enum cairn_event_kind cairn_event_kind(const struct cairn_event *ev)
{
	return ev->kind;
}

const char *cairn_event_hook(const struct cairn_event *ev)
{
	return ev->hook;
}

const char *cairn_event_name(const struct cairn_event *ev)
{
	return ev->name;
}

struct cairn_charm *cairn_event_charm(const struct cairn_event *ev)
{
	return ev->ch;
}

bool cairn_event_reemitted(const struct cairn_event *ev)
{
	return ev->reemitted;
}

int cairn_event_defer(struct cairn_event *ev, struct cairn_error *err)
{
	if (event_def(ev->kind)->flags & EVENT_NO_DEFER)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot defer %s events",
			       ev->kind == CAIRN_EVENT_ACTION ? "action" : "collect-status");
	ev->deferred = true;
	return 0;
}

struct cairn_relation *cairn_event_relation(const struct cairn_event *ev)
{
	return ev->relation;
}

const char *cairn_event_unit(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_REMOTE_UNIT);
}

const char *cairn_event_app(const struct cairn_event *ev)
{
	const char *app = event_var(ev, HOOKENV_REMOTE_APP), *unit, *slash;

	if (app)
		return app;
	/* ops derives the app from the unit when JUJU_REMOTE_APP is empty (§2.3). */
	unit = event_var(ev, HOOKENV_REMOTE_UNIT);
	if (!unit || !(slash = strchr(unit, '/')))
		return NULL;
	json_object_set_new(ev->env, hookenv_name(HOOKENV_REMOTE_APP),
			    json_stringn(unit, (size_t)(slash - unit)));
	return event_var(ev, HOOKENV_REMOTE_APP);
}

const char *cairn_event_departing_unit(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_DEPARTING_UNIT);
}

struct cairn_container *cairn_event_workload(const struct cairn_event *ev)
{
	return ev->workload;
}

const char *cairn_event_notice_id(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_NOTICE_ID);
}

const char *cairn_event_notice_type(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_NOTICE_TYPE);
}

const char *cairn_event_notice_key(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_NOTICE_KEY);
}

const char *cairn_event_check_name(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_CHECK_NAME);
}

const char *cairn_event_storage_id(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_STORAGE_ID);
}

const char *cairn_event_secret_id(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_SECRET_ID);
}

const char *cairn_event_secret_label(const struct cairn_event *ev)
{
	return event_var(ev, HOOKENV_SECRET_LABEL);
}

int64_t cairn_event_secret_revision(const struct cairn_event *ev)
{
	const char *s = event_var(ev, HOOKENV_SECRET_REVISION);
	int64_t v;

	if (!s || strnum_i64(s, 0, INT64_MAX, &v) < 0)
		return -1;
	return v;
}

const char *cairn_status_name(enum cairn_status st)
{
	static const char *const names[_CAIRN_STATUS_MAX] = {
		[CAIRN_STATUS_UNKNOWN] = "unknown",	    [CAIRN_STATUS_ACTIVE] = "active",
		[CAIRN_STATUS_BLOCKED] = "blocked",	    [CAIRN_STATUS_MAINTENANCE] = "maintenance",
		[CAIRN_STATUS_WAITING] = "waiting",	    [CAIRN_STATUS_ERROR] = "error",
		[CAIRN_STATUS_TERMINATED] = "terminated",
	};

	return (unsigned)st < _CAIRN_STATUS_MAX ? names[st] : "unknown";
}

int cairn_event_add_status(struct cairn_event *ev, enum cairn_status st, const char *message,
			   struct cairn_error *err)
{
	if (ev->kind != CAIRN_EVENT_COLLECT_APP_STATUS && ev->kind != CAIRN_EVENT_COLLECT_UNIT_STATUS)
		return sdk_err(err, CAIRN_ERR_INVALID, "add_status is only for collect-status events");
	if (st != CAIRN_STATUS_ACTIVE && st != CAIRN_STATUS_BLOCKED && st != CAIRN_STATUS_MAINTENANCE &&
	    st != CAIRN_STATUS_WAITING)
		return sdk_err(err, CAIRN_ERR_INVALID, "a charm cannot set status \"%s\"", cairn_status_name(st));
	if (ev->have_status && status_priority[st] <= status_priority[ev->status])
		return 0;
	ev->have_status = true;
	ev->status = st;
	free(ev->status_message);
	ev->status_message = xstrdup(message ? message : "");
	return 0;
}

/* event_table.c - the event kinds as data; see event_table.h. */
#include "sdk/event_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct event_def defs[_CAIRN_EVENT_MAX] = {
	[CAIRN_EVENT_INSTALL] = { "install", META_NONE, 0 },
	[CAIRN_EVENT_START] = { "start", META_NONE, 0 },
	[CAIRN_EVENT_STOP] = { "stop", META_NONE, 0 },
	[CAIRN_EVENT_REMOVE] = { "remove", META_NONE, 0 },
	[CAIRN_EVENT_UPDATE_STATUS] = { "update-status", META_NONE, 0 },
	[CAIRN_EVENT_CONFIG_CHANGED] = { "config-changed", META_NONE, 0 },
	[CAIRN_EVENT_UPGRADE_CHARM] = { "upgrade-charm", META_NONE, 0 },
	[CAIRN_EVENT_LEADER_ELECTED] = { "leader-elected", META_NONE, 0 },
	[CAIRN_EVENT_LEADER_SETTINGS_CHANGED] = { "leader-settings-changed", META_NONE, 0 },
	[CAIRN_EVENT_PRE_SERIES_UPGRADE] = { "pre-series-upgrade", META_NONE, 0 },
	[CAIRN_EVENT_POST_SERIES_UPGRADE] = { "post-series-upgrade", META_NONE, 0 },
	[CAIRN_EVENT_COLLECT_METRICS] = { "collect-metrics", META_NONE, EVENT_RESTRICTED },
	[CAIRN_EVENT_SECRET_CHANGED] = { "secret-changed", META_NONE, 0 },
	[CAIRN_EVENT_SECRET_EXPIRED] = { "secret-expired", META_NONE, 0 },
	[CAIRN_EVENT_SECRET_ROTATE] = { "secret-rotate", META_NONE, 0 },
	[CAIRN_EVENT_SECRET_REMOVE] = { "secret-remove", META_NONE, 0 },
	[CAIRN_EVENT_RELATION_CREATED] = { "-relation-created", META_RELATION, 0 },
	[CAIRN_EVENT_RELATION_JOINED] = { "-relation-joined", META_RELATION, 0 },
	[CAIRN_EVENT_RELATION_CHANGED] = { "-relation-changed", META_RELATION, 0 },
	[CAIRN_EVENT_RELATION_DEPARTED] = { "-relation-departed", META_RELATION, 0 },
	[CAIRN_EVENT_RELATION_BROKEN] = { "-relation-broken", META_RELATION, 0 },
	[CAIRN_EVENT_STORAGE_ATTACHED] = { "-storage-attached", META_STORAGE, 0 },
	[CAIRN_EVENT_STORAGE_DETACHING] = { "-storage-detaching", META_STORAGE, 0 },
	[CAIRN_EVENT_PEBBLE_READY] = { "-pebble-ready", META_CONTAINER, 0 },
	[CAIRN_EVENT_PEBBLE_CUSTOM_NOTICE] = { "-pebble-custom-notice", META_CONTAINER, 0 },
	[CAIRN_EVENT_PEBBLE_CHECK_FAILED] = { "-pebble-check-failed", META_CONTAINER, 0 },
	[CAIRN_EVENT_PEBBLE_CHECK_RECOVERED] = { "-pebble-check-recovered", META_CONTAINER, 0 },
	[CAIRN_EVENT_ACTION] = { "", META_ACTION, EVENT_NO_DEFER },
	[CAIRN_EVENT_COLLECT_APP_STATUS] = { "collect-app-status", META_NONE,
					     EVENT_NO_DEFER | EVENT_FRAMEWORK },
	[CAIRN_EVENT_COLLECT_UNIT_STATUS] = { "collect-unit-status", META_NONE,
					      EVENT_NO_DEFER | EVENT_FRAMEWORK },
};

/* Hooks the agent may dispatch that have no event (charm-runtime.md §5) but still decide
 * whether the context is restricted. */
static const char *const restricted_hooks[] = { "collect-metrics", "meter-status-changed" };

const struct event_def *event_def(enum cairn_event_kind kind)
{
	if ((unsigned)kind >= _CAIRN_EVENT_MAX)
		return NULL;
	return &defs[kind];
}

const char *cairn_event_kind_name(enum cairn_event_kind kind)
{
	const struct event_def *d = event_def(kind);

	return d ? d->hook : NULL;
}

bool cairn_event_kind_is_dynamic(enum cairn_event_kind kind)
{
	const struct event_def *d = event_def(kind);

	return d && d->family != META_NONE;
}

bool event_hook_restricted(const char *hook)
{
	for (size_t i = 0; i < sizeof(restricted_hooks) / sizeof(restricted_hooks[0]); i++)
		if (!strcmp(hook, restricted_hooks[i]))
			return true;
	return false;
}

/* hooks/<hook>: a static name first, then each dynamic suffix whose prefix is declared in
 * the family the suffix belongs to.  Two suffixes cannot both match one hook with a
 * declared prefix of the right family, so the first match is the answer. */
static int parse_hook(const struct meta *m, const char *hook, enum cairn_event_kind *ret_kind,
		      const char **ret_name)
{
	size_t hl = strlen(hook);

	for (int k = 0; k < _CAIRN_EVENT_MAX; k++) {
		const struct event_def *d = &defs[k];

		if (d->family == META_NONE && !(d->flags & EVENT_FRAMEWORK) && !strcmp(hook, d->hook)) {
			*ret_kind = (enum cairn_event_kind)k;
			*ret_name = NULL;
			return 0;
		}
	}
	for (int k = 0; k < _CAIRN_EVENT_MAX; k++) {
		const struct event_def *d = &defs[k];
		size_t sl = strlen(d->hook);
		const char *name;

		if (d->family == META_NONE || d->family == META_ACTION || hl <= sl ||
		    strcmp(hook + hl - sl, d->hook))
			continue;
		name = meta_find(m, d->family, hook, hl - sl);
		if (name) {
			*ret_kind = (enum cairn_event_kind)k;
			*ret_name = name;
			return 0;
		}
	}
	return -ENOENT;
}

int event_parse_path(const struct meta *m, const char *dispatch_path, enum cairn_event_kind *ret_kind,
		     const char **ret_name)
{
	const char *name;

	if (!dispatch_path)
		return -EINVAL;
	if (!strncmp(dispatch_path, "hooks/", 6))
		return parse_hook(m, dispatch_path + 6, ret_kind, ret_name);
	if (!strncmp(dispatch_path, "actions/", 8)) {
		name = meta_find(m, META_ACTION, dispatch_path + 8, strlen(dispatch_path + 8));
		if (!name)
			return -ENOENT;
		*ret_kind = CAIRN_EVENT_ACTION;
		*ret_name = name;
		return 0;
	}
	return -EINVAL;
}

int event_hook_name(enum cairn_event_kind kind, const char *name, char *out, size_t n)
{
	const struct event_def *d = event_def(kind);
	int w;

	if (!d || (d->family != META_NONE) != (name != NULL))
		return -EINVAL;
	w = d->family == META_NONE ? snprintf(out, n, "%s", d->hook) : snprintf(out, n, "%s%s", name, d->hook);
	return w < 0 || (size_t)w >= n ? -EINVAL : 0;
}

int event_ops_name(enum cairn_event_kind kind, const char *name, char *out, size_t n)
{
	int r = event_hook_name(kind, name, out, n);

	if (r < 0)
		return r;
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
	if (kind == CAIRN_EVENT_ACTION) {
		size_t l = strlen(out);

		if (l + 8 > n)
			return -EINVAL;
		memcpy(out + l, "_action", 8);
	}
	return 0;
}

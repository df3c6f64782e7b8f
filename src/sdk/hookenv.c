/* hookenv.c - the hook environment as a table; see hookenv.h. */
#include "sdk/hookenv.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

static const char *const names[_HOOKENV_MAX] = {
	[HOOKENV_CHARM_DIR] = "JUJU_CHARM_DIR",
	[HOOKENV_UNIT_NAME] = "JUJU_UNIT_NAME",
	[HOOKENV_MODEL_NAME] = "JUJU_MODEL_NAME",
	[HOOKENV_MODEL_UUID] = "JUJU_MODEL_UUID",
	[HOOKENV_VERSION] = "JUJU_VERSION",
	[HOOKENV_DISPATCH_PATH] = "JUJU_DISPATCH_PATH",
	[HOOKENV_HOOK_NAME] = "JUJU_HOOK_NAME",
	[HOOKENV_CONTEXT_ID] = "JUJU_CONTEXT_ID",
	[HOOKENV_SOCKET_NETWORK] = "JUJU_AGENT_SOCKET_NETWORK",
	[HOOKENV_SOCKET_ADDRESS] = "JUJU_AGENT_SOCKET_ADDRESS",
	[HOOKENV_RELATION] = "JUJU_RELATION",
	[HOOKENV_RELATION_ID] = "JUJU_RELATION_ID",
	[HOOKENV_REMOTE_UNIT] = "JUJU_REMOTE_UNIT",
	[HOOKENV_REMOTE_APP] = "JUJU_REMOTE_APP",
	[HOOKENV_DEPARTING_UNIT] = "JUJU_DEPARTING_UNIT",
	[HOOKENV_WORKLOAD_NAME] = "JUJU_WORKLOAD_NAME",
	[HOOKENV_NOTICE_ID] = "JUJU_NOTICE_ID",
	[HOOKENV_NOTICE_TYPE] = "JUJU_NOTICE_TYPE",
	[HOOKENV_NOTICE_KEY] = "JUJU_NOTICE_KEY",
	[HOOKENV_CHECK_NAME] = "JUJU_PEBBLE_CHECK_NAME",
	[HOOKENV_STORAGE_ID] = "JUJU_STORAGE_ID",
	[HOOKENV_SECRET_ID] = "JUJU_SECRET_ID",
	[HOOKENV_SECRET_LABEL] = "JUJU_SECRET_LABEL",
	[HOOKENV_SECRET_REVISION] = "JUJU_SECRET_REVISION",
	[HOOKENV_ACTION_NAME] = "JUJU_ACTION_NAME",
	[HOOKENV_ACTION_UUID] = "JUJU_ACTION_UUID",
};

const char *hookenv_name(enum hookenv_var var)
{
	return (unsigned)var < _HOOKENV_MAX ? names[var] : "";
}

static void set(struct hookenv *e, enum hookenv_var var, const char *val)
{
	free(e->v[var]);
	e->v[var] = val ? xstrdup(val) : NULL;
}

void hookenv_from_envp(struct hookenv *e, char *const *envp)
{
	memset(e, 0, sizeof(*e));
	for (char *const *p = envp; p && *p; p++) {
		const char *eq;

		/* Everything the SDK reads starts with "JUJU_": skip the rest cheaply. */
		if (strncmp(*p, "JUJU_", 5) || !(eq = strchr(*p, '=')))
			continue;
		for (int i = 0; i < _HOOKENV_MAX; i++)
			if (strlen(names[i]) == (size_t)(eq - *p) && !memcmp(names[i], *p, (size_t)(eq - *p))) {
				set(e, (enum hookenv_var)i, eq + 1);
				break;
			}
	}
	/* CHARM_DIR is what older agents set; JUJU_CHARM_DIR wins when both are there. */
	if (!e->v[HOOKENV_CHARM_DIR])
		for (char *const *p = envp; p && *p; p++)
			if (!strncmp(*p, "CHARM_DIR=", 10))
				set(e, HOOKENV_CHARM_DIR, *p + 10);
}

void hookenv_done(struct hookenv *e)
{
	for (int i = 0; i < _HOOKENV_MAX; i++)
		free(e->v[i]);
	memset(e, 0, sizeof(*e));
}

const char *hookenv_get(const struct hookenv *e, enum hookenv_var var)
{
	if ((unsigned)var >= _HOOKENV_MAX || !e->v[var] || !*e->v[var])
		return NULL;
	return e->v[var];
}

json_t *hookenv_snapshot(const struct hookenv *e)
{
	json_t *o = json_object();

	for (int i = HOOKENV_FIRST_EVENT_VAR; i < _HOOKENV_MAX; i++)
		if (e->v[i] && *e->v[i])
			json_object_set_new(o, names[i], json_string(e->v[i]));
	return o;
}

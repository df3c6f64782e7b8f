/* pause.c - the seed's pause Kubernetes charm in C (002-running-workloads "Kubernetes
 * charms"): the pebble-ready handler adds the replace layer and autostarts; config-changed
 * merges an environment layer and restarts the service only when the plan changed. */
#include "pause.h"

#include <stdio.h>

/* cairn runs the workload container's scree on the host without an image, so the service is
 * a long sleep instead of the image's /pause. */
#define PAUSE_COMMAND "sleep infinity"

/* The seed's _pause_layer(). */
static struct cairn_layer *pause_layer(void)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *s = cairn_layer_service(l, PAUSE_NAME);

	cairn_layer_set_summary(l, "pause layer");
	cairn_layer_set_description(l, "pebble config layer for google/pause");
	cairn_layer_set(s, "override", "replace", NULL);
	cairn_layer_set(s, "summary", "pause service", NULL);
	cairn_layer_set(s, "command", PAUSE_COMMAND, NULL);
	cairn_layer_set(s, "startup", "enabled", NULL);
	return l;
}

/* The overlay of config-changed: only the environment, merged into the service. */
static int env_layer(struct cairn_charm *ch, struct cairn_layer **ret)
{
	struct cairn_layer *l;
	struct cairn_layer_entry *s;
	struct cairn_error err;
	int64_t timeout;
	char v[32];
	int r = cairn_config_int(ch, "timeout", 60, &timeout, &err);

	if (r < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "%s", err.message);
		return r;
	}
	snprintf(v, sizeof(v), "%lld", (long long)timeout);
	l = cairn_layer_new();
	s = cairn_layer_service(l, PAUSE_NAME);
	cairn_layer_set(s, "override", "merge", NULL);
	cairn_layer_put(s, "environment", "TIMEOUT", v, NULL);
	*ret = l;
	return 0;
}

static int log_error(struct cairn_charm *ch, const char *what, int r, const struct cairn_error *err)
{
	cairn_log(ch, CAIRN_LOG_ERROR, "%s: %s (%s error)", what, err->message, cairn_error_kind_name(err->kind));
	return r;
}

static int on_pebble_ready(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_container *c = cairn_event_workload(ev);
	struct cairn_layer *l = pause_layer(), *env = NULL;
	struct cairn_error err;
	int r;

	(void)data;
	/* The layer, with the configured environment on top, then the enabled services. */
	r = cairn_pebble_add_layer(c, PAUSE_NAME, l, true, &err);
	if (r == 0 && (r = env_layer(ch, &env)) == 0)
		r = cairn_pebble_add_layer(c, PAUSE_NAME, env, true, &err);
	if (r == 0)
		r = cairn_pebble_autostart(c, &err);
	cairn_layer_free(l);
	cairn_layer_free(env);
	if (r < 0)
		return log_error(ch, "cannot start the pause service", r, &err);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, "", NULL);
}

static int on_config_changed(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_layer *before = NULL, *after = NULL, *env = NULL;
	struct cairn_container *c;
	struct cairn_error err;
	const char *restart[] = { PAUSE_NAME, NULL };
	int r;

	(void)data;
	r = cairn_container(ch, PAUSE_NAME, &c, &err);
	if (r < 0)
		return r;
	if (!cairn_container_can_connect(c)) {
		/* Pebble is not up yet: try again at the next event (pebble-ready comes). */
		cairn_event_defer(ev, NULL);
		return cairn_unit_set_status(ch, CAIRN_STATUS_WAITING, "waiting for Pebble", NULL);
	}
	r = cairn_pebble_get_plan(c, &before, &err);
	if (r < 0)
		return log_error(ch, "cannot read the plan", r, &err);
	if (!cairn_layer_find(before, CAIRN_LAYER_SERVICES, PAUSE_NAME)) {
		/* pebble-ready has not added the service yet; it will use this configuration. */
		cairn_layer_free(before);
		return 0;
	}
	r = env_layer(ch, &env);
	if (r == 0)
		r = cairn_pebble_add_layer(c, PAUSE_NAME, env, true, &err);
	if (r == 0)
		r = cairn_pebble_get_plan(c, &after, &err);
	/* Restart only when the configuration changed what Pebble runs. */
	if (r == 0 && !cairn_layer_equal(before, after)) {
		cairn_log(ch, CAIRN_LOG_DEBUG, "Added config layer to Pebble plan");
		r = cairn_pebble_restart(c, restart, &err);
		if (r == 0)
			cairn_log(ch, CAIRN_LOG_INFO, "Restarted pause service");
	}
	cairn_layer_free(before);
	cairn_layer_free(after);
	cairn_layer_free(env);
	if (r < 0)
		return log_error(ch, "cannot configure the pause service", r, &err);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, "", NULL);
}

int pause_setup(struct cairn_charm *ch, void *data)
{
	int r = 0;

	(void)data;
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_PEBBLE_READY, PAUSE_NAME, on_pebble_ready, NULL);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, on_config_changed, NULL);
	return r;
}

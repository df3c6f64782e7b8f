/* charm.c - the framework object: creation, identity, logging; see framework.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"

/* juju-log splits longer messages (charm-runtime.md §3.1). */
#define CHARM_LOG_CHUNK 131071

static const char *const level_names[_CAIRN_LOG_MAX] = {
	[CAIRN_LOG_TRACE] = "TRACE", [CAIRN_LOG_DEBUG] = "DEBUG",	[CAIRN_LOG_INFO] = "INFO",
	[CAIRN_LOG_WARNING] = "WARNING", [CAIRN_LOG_ERROR] = "ERROR", [CAIRN_LOG_CRITICAL] = "CRITICAL",
};

static struct pebble *http_factory(void *data, const char *container)
{
	char path[512];

	(void)data;
	if (snprintf(path, sizeof(path), PEBBLE_SOCKET_FORMAT, container) >= (int)sizeof(path))
		return NULL;
	return pebble_http_new(path);
}

int charm_new(struct charm_init *init, struct cairn_charm **ret, struct cairn_error *err)
{
	struct cairn_charm *ch;
	const char *unit, *path, *slash;

	if (!init->tools || !init->meta || !init->charm_dir)
		return sdk_err(err, CAIRN_ERR_INVALID, "incomplete charm initialisation");
	ch = xcalloc(1, sizeof(*ch));
	ch->meta = *init->meta;
	memset(init->meta, 0, sizeof(*init->meta));
	hookenv_from_envp(&ch->env, init->envp);
	ch->charm_dir = xstrdup(init->charm_dir);
	unit = hookenv_get(&ch->env, HOOKENV_UNIT_NAME);
	slash = unit ? strchr(unit, '/') : NULL;
	ch->app = slash ? xstrndup(unit, (size_t)(slash - unit)) : xstrdup(unit ? unit : "");
	path = hookenv_get(&ch->env, HOOKENV_DISPATCH_PATH);
	if (path)
		snprintf(ch->hook, sizeof(ch->hook), "%s", strchr(path, '/') ? strchr(path, '/') + 1 : path);
	ch->tools = init->tools;
	init->tools = NULL;
	if (init->store)
		ch->store = init->store;
	else if (init->storage == CAIRN_STORAGE_CONTROLLER)
		ch->store = store_controller_new(ch->tools);
	else
		ch->store = store_sqlite_new(ch->charm_dir);
	init->store = NULL;
	ch->pebble_factory = init->pebble_factory ? init->pebble_factory : http_factory;
	ch->pebble_data = init->pebble_data;
	ch->leader = -1;
	ch->broken_relation = -1;
	ch->stored = json_object();
	ch->stored_orig = json_object();
	ch->notices = json_array();
	buf_init(&ch->scratch);
	*ret = ch;
	return 0;
}

static void relation_free(struct cairn_relation *r)
{
	if (!r)
		return;
	free(r->endpoint);
	for (size_t i = 0; i < r->n_units; i++)
		free(r->units[i]);
	free(r->units);
	free(r->app);
	json_decref(r->bags);
	free(r);
}

void charm_free(struct cairn_charm *ch)
{
	if (!ch)
		return;
	for (size_t i = 0; i < ch->n_obs; i++)
		free(ch->obs[i].id);
	free(ch->obs);
	for (size_t i = 0; i < ch->n_rels; i++)
		relation_free(ch->rels[i]);
	free(ch->rels);
	for (size_t i = 0; i < ch->n_containers; i++) {
		pebble_free(ch->containers[i]->pb);
		free(ch->containers[i]->name);
		free(ch->containers[i]);
	}
	free(ch->containers);
	store_free(ch->store);
	tools_free(ch->tools);
	json_decref(ch->stored);
	json_decref(ch->stored_orig);
	json_decref(ch->notices);
	json_decref(ch->config);
	for (size_t i = 0; i < ch->n_rel_lists; i++) {
		free(ch->rel_lists[i].endpoint);
		free(ch->rel_lists[i].v);
	}
	free(ch->rel_lists);
	for (size_t i = 0; i < ch->n_storage_lists; i++) {
		for (size_t k = 0; k < ch->storage_lists[i].n; k++)
			free(ch->storage_lists[i].ids[k]);
		free(ch->storage_lists[i].ids);
		free(ch->storage_lists[i].name);
	}
	free(ch->storage_lists);
	json_decref(ch->storage_locs);
	free(ch->status_message);
	json_decref(ch->leader_settings);
	json_decref(ch->goal_state);
	model_network_free(ch);
	buf_done(&ch->scratch);
	free(ch->charm_dir);
	free(ch->app);
	hookenv_done(&ch->env);
	meta_done(&ch->meta);
	free(ch);
}

static const char *env_or_empty(const struct cairn_charm *ch, enum hookenv_var v)
{
	const char *s = hookenv_get(&ch->env, v);

	return s ? s : "";
}

const char *cairn_unit_name(const struct cairn_charm *ch)
{
	return env_or_empty(ch, HOOKENV_UNIT_NAME);
}

const char *cairn_app_name(const struct cairn_charm *ch)
{
	return ch->app;
}

const char *cairn_charm_name(const struct cairn_charm *ch)
{
	return ch->meta.name ? ch->meta.name : "";
}

const char *cairn_charm_dir(const struct cairn_charm *ch)
{
	return ch->charm_dir;
}

const char *cairn_model_name(const struct cairn_charm *ch)
{
	return env_or_empty(ch, HOOKENV_MODEL_NAME);
}

const char *cairn_model_uuid(const struct cairn_charm *ch)
{
	return env_or_empty(ch, HOOKENV_MODEL_UUID);
}

const char *cairn_juju_version(const struct cairn_charm *ch)
{
	return env_or_empty(ch, HOOKENV_VERSION);
}

const char *cairn_dispatch_hook(const struct cairn_charm *ch)
{
	return ch->hook;
}

void cairn_logv(struct cairn_charm *ch, enum cairn_log_level level, const char *fmt, va_list ap)
{
	const char *lv = (unsigned)level < _CAIRN_LOG_MAX ? level_names[level] : "INFO";
	struct buf msg = BUF_INIT;
	size_t off = 0;

	buf_init(&msg);
	buf_vaddf(&msg, fmt, ap);
	do {
		size_t n = msg.len - off > CHARM_LOG_CHUNK ? CHARM_LOG_CHUNK : msg.len - off;
		char *part = xstrndup(msg.data + off, n);

		/* juju-log must never fail the charm: if the agent cannot take the message,
		 * stderr still reaches the unit's log at WARNING. */
		if (tools_run(ch->tools, NULL, NULL, NULL, "juju-log", "--log-level", lv, "--", part, NULL) < 0)
			fprintf(stderr, "%s %s\n", lv, part);
		free(part);
		off += n;
	} while (off < msg.len);
	buf_done(&msg);
}

void cairn_log(struct cairn_charm *ch, enum cairn_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_logv(ch, level, fmt, ap);
	va_end(ap);
}

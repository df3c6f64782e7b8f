/* dispatch.c - one dispatch, the ops contract (charm-runtime.md §1.4, §4.3); see framework.h.
 *
 *   setup -> re-emit deferred events -> the event -> collect-status -> commit
 *
 * Everything the dispatch changes in stored state and in the deferral queue is applied by one
 * store commit at the very end; any failure before it (setup, a handler, a status-set of the
 * collect phase) aborts the store instead, so the next dispatch sees exactly what the last
 * successful one left. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/event_table.h"
#include "sdk/framework.h"

/* Runs one handler; on failure fills err (and logs it). */
static int run_handler(struct cairn_charm *ch, const struct observer *o, struct cairn_event *ev,
		       struct cairn_error *err)
{
	int r;

	ev->obs = o;
	ev->deferred = false;
	r = o->fn(ev, o->data);
	ev->obs = NULL;
	if (r == 0)
		return 0;
	if (r < 0)
		sdk_err_code(err, CAIRN_ERR_MODEL, 1, NULL, "handler %s for %s failed: %s", o->id, ev->hook,
			     strerror(-r));
	else
		sdk_err_code(err, CAIRN_ERR_MODEL, 1, NULL, "handler %s for %s failed (returned %d)", o->id,
			     ev->hook, r);
	cairn_log(ch, CAIRN_LOG_ERROR, "%s", err ? err->message : "handler failed");
	return -EIO;
}

/* A queue entry for event ev deferred by observer o. */
static json_t *notice_for(const struct cairn_event *ev, const struct observer *o)
{
	char ops_name[300], path[300];

	event_ops_name(ev->kind, ev->name, ops_name, sizeof(ops_name));
	snprintf(path, sizeof(path), "%s/%s", ev->kind == CAIRN_EVENT_ACTION ? "actions" : "hooks", ev->hook);
	return json_pack("{s:s, s:s, s:s, s:O}", "event", ops_name, "path", path, "observer", o->id, "env",
			 ev->env);
}

static const struct observer *find_observer(const struct cairn_charm *ch, const char *id,
					    enum cairn_event_kind kind, const char *name)
{
	for (size_t i = 0; i < ch->n_obs; i++) {
		const struct observer *o = &ch->obs[i];

		if (o->kind == kind && o->name == name && !strcmp(o->id, id))
			return o;
	}
	return NULL;
}

/* Step 4: every queued event, oldest first, to the handler that deferred it.  Entries whose
 * handler or event no longer exists (a newer charm revision) are dropped. */
static int reemit(struct cairn_charm *ch, struct cairn_error *err)
{
	json_t *queue = NULL, *keep = json_array(), *e;
	size_t i;
	int r;

	r = ch->store->ops->load_notices(ch->store, &queue, err);
	if (r < 0) {
		json_decref(keep);
		return r;
	}
	ch->notices_loaded = true;
	json_array_foreach(queue, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *id = json_string_value(json_object_get(e, "observer"));
		json_t *env = json_object_get(e, "env");
		const struct observer *o;
		enum cairn_event_kind kind;
		const char *name = NULL;
		struct cairn_event *ev;

		if (!path || !id || !json_is_object(env) || event_parse_path(&ch->meta, path, &kind, &name) < 0 ||
		    !(o = find_observer(ch, id, kind, name))) {
			cairn_log(ch, CAIRN_LOG_DEBUG, "Dropping deferred event %s: nothing observes it any more",
				  path ? path : "?");
			continue;
		}
		ev = event_new(ch, kind, name, strchr(path, '/') + 1, json_deep_copy(env));
		ev->reemitted = true;
		cairn_log(ch, CAIRN_LOG_DEBUG, "Re-emitting deferred event %s.",
			  json_string_value(json_object_get(e, "event")));
		r = run_handler(ch, o, ev, err);
		if (r == 0 && ev->deferred)
			json_array_append(keep, e);
		event_free(ev);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(queue);
	json_decref(ch->notices);
	ch->notices = keep;
	return r;
}

/* Step 5: the dispatched event to each of its observers, in registration order. */
static int emit(struct cairn_charm *ch, enum cairn_event_kind kind, const char *name, struct cairn_error *err)
{
	struct cairn_event *ev = event_new(ch, kind, name, ch->hook, hookenv_snapshot(&ch->env));
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < ch->n_obs && r == 0; i++) {
		const struct observer *o = &ch->obs[i];

		if (o->kind != kind || o->name != name)
			continue;
		any = true;
		r = run_handler(ch, o, ev, err);
		if (r == 0 && ev->deferred)
			json_array_append_new(ch->notices, notice_for(ev, o));
	}
	if (!any) {
		char ops_name[300];

		event_ops_name(kind, name, ops_name, sizeof(ops_name));
		cairn_log(ch, CAIRN_LOG_DEBUG, "Event %s not defined for %s.", ops_name, ch->meta.name);
	}
	event_free(ev);
	return r;
}

static bool observed(const struct cairn_charm *ch, enum cairn_event_kind kind)
{
	for (size_t i = 0; i < ch->n_obs; i++)
		if (ch->obs[i].kind == kind)
			return true;
	return false;
}

/* Step 6: collect-app-status (leader only) and collect-unit-status; the best status each
 * collected is set.  is-leader is asked only when something observes collect-app-status. */
static int collect_status(struct cairn_charm *ch, struct cairn_error *err)
{
	static const enum cairn_event_kind kinds[] = { CAIRN_EVENT_COLLECT_APP_STATUS,
						       CAIRN_EVENT_COLLECT_UNIT_STATUS };
	int r;

	for (size_t k = 0; k < 2; k++) {
		struct cairn_event *ev;
		bool app = kinds[k] == CAIRN_EVENT_COLLECT_APP_STATUS;

		if (!observed(ch, kinds[k]))
			continue;
		if (app) {
			r = cairn_is_leader(ch, err);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
		}
		ev = event_new(ch, kinds[k], NULL, cairn_event_kind_name(kinds[k]), json_object());
		r = 0;
		for (size_t i = 0; i < ch->n_obs && r == 0; i++)
			if (ch->obs[i].kind == kinds[k])
				r = run_handler(ch, &ch->obs[i], ev, err);
		if (r == 0 && ev->have_status)
			r = app ? cairn_app_set_status(ch, ev->status, ev->status_message, err)
				: cairn_unit_set_status(ch, ev->status, ev->status_message, err);
		event_free(ev);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Step 7: the namespaces whose value changed, and the queue. */
static int commit(struct cairn_charm *ch, struct cairn_error *err)
{
	json_t *changed = json_object(), *v;
	const char *ns;
	int r;

	json_object_foreach(ch->stored, ns, v)
		if (!json_equal(v, json_object_get(ch->stored_orig, ns)))
			json_object_set(changed, ns, v);
	r = ch->store->ops->commit(ch->store, changed, ch->notices_loaded ? ch->notices : NULL, err);
	json_decref(changed);
	return r;
}

int charm_dispatch(struct cairn_charm *ch, cairn_setup_fn setup, void *data, struct cairn_error *err)
{
	const char *path = hookenv_get(&ch->env, HOOKENV_DISPATCH_PATH);
	enum cairn_event_kind kind = CAIRN_EVENT_INSTALL;
	const char *name = NULL;
	bool known, restricted;
	struct cairn_error le;
	int r;

	sdk_err_clear(&le);
	if (!path) {
		r = sdk_err(&le, CAIRN_ERR_INVALID, "JUJU_DISPATCH_PATH is not set: not run by a unit agent?");
		goto fail;
	}
	r = event_parse_path(&ch->meta, path, &kind, &name);
	if (r == -EINVAL) {
		r = sdk_err(&le, CAIRN_ERR_INVALID, "JUJU_DISPATCH_PATH \"%s\" is neither hooks/ nor actions/", path);
		goto fail;
	}
	known = r == 0;
	restricted = event_hook_restricted(ch->hook);
	if (known && event_def(kind)->family == META_RELATION && kind == CAIRN_EVENT_RELATION_BROKEN)
		ch->broken_relation = relation_id_parse(hookenv_get(&ch->env, HOOKENV_RELATION_ID));
	if (setup) {
		r = setup(ch, data);
		if (r != 0) {
			r = sdk_err_code(&le, CAIRN_ERR_MODEL, 1, NULL, "charm setup failed: %s",
					 r < 0 ? strerror(-r) : "non-zero return");
			cairn_log(ch, CAIRN_LOG_ERROR, "%s", le.message);
			goto fail;
		}
	}
	if (!restricted && (r = reemit(ch, &le)) < 0)
		goto fail;
	if (known) {
		r = emit(ch, kind, name, &le);
		if (r < 0)
			goto fail;
	} else {
		char ops_name[300];

		snprintf(ops_name, sizeof(ops_name), "%s", ch->hook);
		for (char *p = ops_name; *p; p++)
			if (*p == '-')
				*p = '_';
		cairn_log(ch, CAIRN_LOG_DEBUG, "Event %s%s not defined for %s.", ops_name,
			  !strncmp(path, "actions/", 8) ? "_action" : "", ch->meta.name);
	}
	if (!restricted && (r = collect_status(ch, &le)) < 0)
		goto fail;
	r = commit(ch, &le);
	if (r < 0) {
		cairn_log(ch, CAIRN_LOG_ERROR, "cannot commit the charm's state: %s", le.message);
		return sdk_err_copy(err, &le);
	}
	return 0;
fail:
	ch->store->ops->abort(ch->store);
	return sdk_err_copy(err, &le);
}

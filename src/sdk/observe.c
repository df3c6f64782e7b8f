/* observe.c - registering handlers (cairn_observe); see cairn/charm.h. */
#include <errno.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/event_table.h"
#include "sdk/framework.h"

/* Family names for messages. */
static const char *const family_what[_META_FAMILY_MAX] = {
	[META_RELATION] = "relation endpoint",
	[META_STORAGE] = "storage",
	[META_CONTAINER] = "container",
	[META_ACTION] = "action",
};

/* An observer id names a handler across processes and revisions: printable, no spaces. */
static bool valid_id(const char *id)
{
	if (!id || !*id || strlen(id) > 256)
		return false;
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int cairn_observe(struct cairn_charm *ch, enum cairn_event_kind kind, const char *name, const char *observer,
		  cairn_handler_fn fn, void *data, struct cairn_error *err)
{
	const struct event_def *d = event_def(kind);
	const char *declared = NULL;
	struct observer *o;

	if (!ch || !d || !fn)
		return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: no such event kind %d", (int)kind);
	if (!valid_id(observer))
		return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: invalid observer id \"%s\"",
			       observer ? observer : "");
	if (d->family == META_NONE) {
		if (name)
			return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: event \"%s\" takes no name", d->hook);
	} else {
		if (!name || !*name)
			return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: event \"%s\" needs a %s name",
				       d->hook, family_what[d->family]);
		declared = meta_has(&ch->meta, d->family, name);
		if (!declared)
			return sdk_err(err, CAIRN_ERR_NOT_FOUND, "cairn_observe: no %s \"%s\" in %s",
				       family_what[d->family], name,
				       d->family == META_ACTION ? "actions.yaml" : "metadata.yaml");
	}
	for (size_t i = 0; i < ch->n_obs; i++) {
		o = &ch->obs[i];
		if (o->kind == kind && o->name == declared && !strcmp(o->id, observer))
			return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: \"%s\" already observes %s%s",
				       observer, declared ? declared : "", d->hook);
	}
	if (ch->n_obs >= CHARM_MAX_OBSERVERS)
		return sdk_err(err, CAIRN_ERR_INVALID, "cairn_observe: more than %d observers", CHARM_MAX_OBSERVERS);
	ch->obs = xrealloc(ch->obs, (ch->n_obs + 1) * sizeof(*ch->obs));
	o = &ch->obs[ch->n_obs++];
	o->kind = kind;
	o->name = declared;
	o->id = xstrdup(observer);
	o->fn = fn;
	o->data = data;
	return 0;
}

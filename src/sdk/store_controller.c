/* store_controller.c - stored state and deferrals in the controller's charm state
 * (state-get / state-set / state-delete, charm-runtime.md §4.2); see store.h.
 *
 * Keys: "cairn/StoredState[<ns>]" holds a namespace as JSON text, "cairn/#notices#" the
 * queue as {"next": N, "queue": [...]}.  The agent keeps a hook's state changes and
 * applies them only when the hook exits 0, which is exactly the rollback the framework
 * needs: abort() has nothing to undo.  The whole state is read once per dispatch
 * (state-get --format=json) and the commit is a single state-set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/model.h"
#include "sdk/store.h"

#define NOTICES_KEY "cairn/#notices#"

struct store_controller {
	struct store base;
	struct tools *tools;  /* borrowed */
	json_t *all;          /* state-get's map, NULL until read */
	json_t *loaded;       /* the queue as read */
	json_int_t next;      /* the next notice id */
};

static int read_all(struct store_controller *s, struct cairn_error *err)
{
	json_t *j = NULL;
	int r;

	if (s->all)
		return 0;
	r = model_run_map(s->tools, &j, err, "state-get", "--format=json", NULL);
	if (r < 0)
		return r;
	s->all = j;
	return 0;
}

/* The JSON document stored under key, or NULL when absent. */
static int read_doc(struct store_controller *s, const char *key, json_t **ret, struct cairn_error *err)
{
	json_t *v = json_object_get(s->all, key), *j;
	json_error_t je;

	*ret = NULL;
	if (!v || (json_is_string(v) && !*json_string_value(v)))
		return 0;
	if (!json_is_string(v))
		return sdk_err(err, CAIRN_ERR_STORE, "controller state \"%s\" is not a string", key);
	j = json_loads(json_string_value(v), 0, &je);
	if (!j)
		return sdk_err(err, CAIRN_ERR_STORE, "controller state \"%s\" is not JSON: %s", key, je.text);
	*ret = j;
	return 0;
}

static int ctl_load_state(struct store *st, const char *ns, json_t **ret, struct cairn_error *err)
{
	struct store_controller *s = (struct store_controller *)st;
	char *key = xasprintf(STORE_STATE_PREFIX "%s]", ns);
	json_t *j = NULL;
	int r = read_all(s, err);

	if (r == 0)
		r = read_doc(s, key, &j, err);
	free(key);
	if (r < 0)
		return r;
	if (!j)
		j = json_object();
	if (!json_is_object(j)) {
		json_decref(j);
		return sdk_err(err, CAIRN_ERR_STORE, "controller state of \"%s\" is not a map", ns);
	}
	*ret = j;
	return 0;
}

static int ctl_load_notices(struct store *st, json_t **ret, struct cairn_error *err)
{
	struct store_controller *s = (struct store_controller *)st;
	json_t *doc = NULL, *q;
	int r = read_all(s, err);

	if (r == 0)
		r = read_doc(s, NOTICES_KEY, &doc, err);
	if (r < 0)
		return r;
	q = json_object_get(doc, "queue");
	s->next = json_integer_value(json_object_get(doc, "next"));
	if (s->next < 1)
		s->next = 1;
	json_decref(s->loaded);
	s->loaded = json_is_array(q) ? json_deep_copy(q) : json_array();
	*ret = json_deep_copy(s->loaded);
	json_decref(doc);
	return 0;
}

static int ctl_commit(struct store *st, json_t *state, json_t *notices, struct cairn_error *err)
{
	struct store_controller *s = (struct store_controller *)st;
	json_t *set = json_object(), *drop = NULL, *add = NULL, *v, *e;
	const char *ns;
	char *text;
	size_t i;
	int r = 0;

	json_object_foreach(state, ns, v) {
		char *key = xasprintf(STORE_STATE_PREFIX "%s]", ns);

		text = json_dumps(v, JSON_COMPACT);
		json_object_set_new(set, key, json_string(text));
		free(text);
		free(key);
	}
	if (notices && store_queue_diff(s->loaded ? s->loaded : json_array(), notices, &drop, &add)) {
		json_t *queue = json_array();

		json_array_foreach(notices, i, e) {
			json_t *c = json_deep_copy(e);

			if (!json_is_integer(json_object_get(c, "id")))
				json_object_set_new(c, "id", json_integer(s->next++));
			json_array_append_new(queue, c);
		}
		v = json_pack("{s:I, s:o}", "next", s->next, "queue", queue);
		text = json_dumps(v, JSON_COMPACT);
		json_object_set_new(set, NOTICES_KEY, json_string(text));
		free(text);
		json_decref(v);
	}
	if (json_object_size(set)) {
		text = json_dumps(set, JSON_COMPACT);
		r = tools_run(s->tools, NULL, text, err, "state-set", "--file", "-", NULL);
		free(text);
	}
	json_decref(set);
	json_decref(drop);
	json_decref(add);
	return r;
}

static void ctl_abort(struct store *st)
{
	(void)st;
}

static void ctl_free(struct store *st)
{
	struct store_controller *s = (struct store_controller *)st;

	json_decref(s->all);
	json_decref(s->loaded);
	free(s);
}

static const struct store_ops ctl_ops = { ctl_load_state, ctl_load_notices, ctl_commit, ctl_abort, ctl_free };

struct store *store_controller_new(struct tools *tools)
{
	struct store_controller *s = xcalloc(1, sizeof(*s));

	s->base.ops = &ctl_ops;
	s->tools = tools;
	return &s->base;
}

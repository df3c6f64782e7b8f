/* store_memory.c - the harness's store: committed state kept in memory across in-process
 * dispatches; see store.h.  Each dispatch opens a store on the same memory; commit swaps the
 * committed copy, abort leaves it alone. */
#include <stdlib.h>

#include "sdk/store.h"
#include "lib/buf.h"

struct store_memory {
	json_t *state;   /* {ns: map} */
	json_t *notices; /* the committed queue */
	json_int_t next;
};

struct store_mem {
	struct store base;
	struct store_memory *mem;
};

struct store_memory *store_memory_new(void)
{
	struct store_memory *m = xcalloc(1, sizeof(*m));

	m->state = json_object();
	m->notices = json_array();
	m->next = 1;
	return m;
}

void store_memory_free(struct store_memory *m)
{
	if (!m)
		return;
	json_decref(m->state);
	json_decref(m->notices);
	free(m);
}

json_t *store_memory_state(struct store_memory *m, const char *ns)
{
	return json_object_get(m->state, ns);
}

json_t *store_memory_notices(struct store_memory *m)
{
	return m->notices;
}

static int mem_load_state(struct store *st, const char *ns, json_t **ret, struct cairn_error *err)
{
	struct store_mem *s = (struct store_mem *)st;
	json_t *v = json_object_get(s->mem->state, ns);

	(void)err;
	*ret = v ? json_deep_copy(v) : json_object();
	return 0;
}

static int mem_load_notices(struct store *st, json_t **ret, struct cairn_error *err)
{
	struct store_mem *s = (struct store_mem *)st;

	(void)err;
	*ret = json_deep_copy(s->mem->notices);
	return 0;
}

static int mem_commit(struct store *st, json_t *state, json_t *notices, struct cairn_error *err)
{
	struct store_mem *s = (struct store_mem *)st;
	const char *ns;
	json_t *v, *e;
	size_t i;

	(void)err;
	json_object_foreach(state, ns, v)
		json_object_set_new(s->mem->state, ns, json_deep_copy(v));
	if (notices) {
		json_t *q = json_array();

		json_array_foreach(notices, i, e) {
			json_t *c = json_deep_copy(e);

			if (!json_is_integer(json_object_get(c, "id")))
				json_object_set_new(c, "id", json_integer(s->mem->next++));
			json_array_append_new(q, c);
		}
		json_decref(s->mem->notices);
		s->mem->notices = q;
	}
	return 0;
}

static void mem_abort(struct store *st)
{
	(void)st;
}

static void mem_free(struct store *st)
{
	free(st);
}

static const struct store_ops mem_ops = { mem_load_state, mem_load_notices, mem_commit, mem_abort, mem_free };

struct store *store_memory_open(struct store_memory *m)
{
	struct store_mem *s = xcalloc(1, sizeof(*s));

	s->base.ops = &mem_ops;
	s->mem = m;
	return &s->base;
}

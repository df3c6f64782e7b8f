/* relstate.c - relation state and the relation resolver; see relstate.h. */
#include "agent/relstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

static const char *const kind_names[_RELHOOK_MAX] = {
	[RELHOOK_NONE] = "",
	[RELHOOK_CREATED] = "created",
	[RELHOOK_JOINED] = "joined",
	[RELHOOK_CHANGED] = "changed",
	[RELHOOK_DEPARTED] = "departed",
	[RELHOOK_BROKEN] = "broken",
};

const char *relhook_kind_name(enum relhook_kind k)
{
	return k >= 0 && k < _RELHOOK_MAX ? kind_names[k] : "";
}

enum relhook_kind relhook_kind_from_name(const char *s)
{
	for (int i = 1; s && i < _RELHOOK_MAX; i++)
		if (!strcmp(kind_names[i], s))
			return (enum relhook_kind)i;
	return RELHOOK_NONE;
}

void relhook_name(const struct relhook *h, char *out, size_t n)
{
	snprintf(out, n, "%s-relation-%s", h->endpoint, relhook_kind_name(h->kind));
}

/* ---- state ---- */

void relstate_init(struct relstate *s)
{
	s->v = NULL;
	s->n = 0;
}

static void rel_done(struct relstate_rel *r)
{
	for (size_t i = 0; i < r->n_members; i++)
		free(r->members[i].name);
	free(r->members);
	free(r->endpoint);
	free(r->remote_app);
	free(r->changed_pending);
	memset(r, 0, sizeof(*r));
}

void relstate_done(struct relstate *s)
{
	for (size_t i = 0; i < s->n; i++)
		rel_done(&s->v[i]);
	free(s->v);
	relstate_init(s);
}

static void rel_copy(struct relstate_rel *d, const struct relstate_rel *r)
{
	*d = *r;
	d->endpoint = xstrdup(r->endpoint);
	d->remote_app = xstrdup(r->remote_app);
	d->changed_pending = r->changed_pending ? xstrdup(r->changed_pending) : NULL;
	d->members = xcalloc(r->n_members + 1, sizeof(*d->members));
	for (size_t i = 0; i < r->n_members; i++) {
		d->members[i].name = xstrdup(r->members[i].name);
		d->members[i].version = r->members[i].version;
	}
}

void relstate_copy(struct relstate *dst, const struct relstate *src)
{
	struct relstate t;

	t.n = src->n;
	t.v = xcalloc(src->n + 1, sizeof(*t.v));
	for (size_t i = 0; i < src->n; i++)
		rel_copy(&t.v[i], &src->v[i]);
	relstate_done(dst);
	*dst = t;
}

const struct relstate_rel *relstate_find(const struct relstate *s, int id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return &s->v[i];
	return NULL;
}

static struct relstate_rel *find_mut(struct relstate *s, int id)
{
	return (struct relstate_rel *)relstate_find(s, id);
}

static struct relstate_member *member_find(const struct relstate_rel *r, const char *unit)
{
	for (size_t i = 0; i < r->n_members; i++)
		if (!strcmp(r->members[i].name, unit))
			return &r->members[i];
	return NULL;
}

/* Inserts (keeping the array sorted by name). */
static void member_add(struct relstate_rel *r, const char *unit, int64_t version)
{
	size_t at = 0;

	if (member_find(r, unit))
		return;
	while (at < r->n_members && strcmp(r->members[at].name, unit) < 0)
		at++;
	r->members = xrealloc(r->members, (r->n_members + 1) * sizeof(*r->members));
	memmove(&r->members[at + 1], &r->members[at], (r->n_members - at) * sizeof(*r->members));
	r->members[at].name = xstrdup(unit);
	r->members[at].version = version;
	r->n_members++;
}

static void member_remove(struct relstate_rel *r, const char *unit)
{
	struct relstate_member *m = member_find(r, unit);
	size_t at;

	if (!m)
		return;
	at = (size_t)(m - r->members);
	free(m->name);
	memmove(&r->members[at], &r->members[at + 1], (r->n_members - at - 1) * sizeof(*r->members));
	r->n_members--;
}

/* ---- JSON ---- */

json_t *relstate_to_json(const struct relstate *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->n; i++) {
		const struct relstate_rel *r = &s->v[i];
		json_t *m = json_object();
		json_t *o;

		for (size_t k = 0; k < r->n_members; k++)
			json_object_set_new(m, r->members[k].name, json_integer(r->members[k].version));
		o = json_pack("{s:i, s:s, s:s, s:b, s:o, s:I}", "id", r->id, "endpoint", r->endpoint,
			      "remote-app", r->remote_app, "peer", r->peer, "members", m,
			      "app-version", (json_int_t)r->app_version);
		if (r->changed_pending)
			json_object_set_new(o, "changed-pending", json_string(r->changed_pending));
		json_array_append_new(a, o);
	}
	return a;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct relstate_rel *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int relstate_from_json(json_t *v, struct relstate *ret, struct errbuf *eb)
{
	struct relstate t;
	json_t *e;
	size_t i;

	relstate_init(&t);
	if (!v || json_is_null(v)) {
		*ret = t;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > RELSTATE_MAX_RELATIONS) {
		errbuf_set(eb, "malformed relation state: expected a list of at most %d relations",
			   RELSTATE_MAX_RELATIONS);
		return -EINVAL;
	}
	t.v = xcalloc(json_array_size(v) + 1, sizeof(*t.v));
	json_array_foreach(v, i, e) {
		const char *ep = NULL, *app = NULL, *pending = NULL, *unit;
		json_t *members = NULL, *ver;
		json_int_t id = -1, appv = 0;
		int peer = 0;
		json_error_t je;
		struct relstate_rel *r = &t.v[t.n];

		if (json_unpack_ex(e, &je, 0, "{s:I, s:s, s:s, s:b, s:o, s:I, s?s}", "id", &id,
				   "endpoint", &ep, "remote-app", &app, "peer", &peer, "members",
				   &members, "app-version", &appv, "changed-pending", &pending) < 0 ||
		    !json_is_object(members) || id < 0 || id > 0x7fffffff ||
		    strlen(ep) >= RELSTATE_NAME_MAX || strlen(app) >= RELSTATE_NAME_MAX ||
		    json_object_size(members) > RELSTATE_MAX_MEMBERS ||
		    (t.n && t.v[t.n - 1].id == id)) {
			errbuf_set(eb, "malformed relation state: entry %zu", i);
			goto fail;
		}
		r->id = (int)id;
		r->endpoint = xstrdup(ep);
		r->remote_app = xstrdup(app);
		r->peer = peer;
		r->app_version = appv;
		r->changed_pending = pending ? xstrdup(pending) : NULL;
		t.n++;
		json_object_foreach(members, unit, ver) {
			if (!json_is_integer(ver) || strlen(unit) >= RELSTATE_NAME_MAX) {
				errbuf_set(eb, "malformed relation state: member \"%s\"", unit);
				goto fail;
			}
			member_add(r, unit, json_integer_value(ver));
		}
	}
	qsort(t.v, t.n, sizeof(*t.v), cmp_rel);
	for (i = 1; i < t.n; i++)
		if (t.v[i].id == t.v[i - 1].id) {
			errbuf_set(eb, "malformed relation state: relation %d twice", t.v[i].id);
			goto fail;
		}
	*ret = t;
	return 0;
fail:
	relstate_done(&t);
	return -EINVAL;
}

/* ---- the resolver ---- */

static const struct relgoal *goal_find(const struct relgoals *g, int id)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].id == id)
			return &g->v[i];
	return NULL;
}

static const struct relgoal_unit *goal_unit(const struct relgoal *r, const char *unit)
{
	for (size_t i = 0; r && i < r->n_units; i++)
		if (!strcmp(r->units[i].name, unit))
			return &r->units[i];
	return NULL;
}

static void fill(struct relhook *h, enum relhook_kind kind, int id, bool peer, const char *ep,
		 const char *app, const char *unit, const char *departing, int64_t version)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->relation_id = id;
	h->peer = peer;
	h->version = version;
	snprintf(h->endpoint, sizeof(h->endpoint), "%s", ep ? ep : "");
	snprintf(h->remote_app, sizeof(h->remote_app), "%s", app ? app : "");
	snprintf(h->remote_unit, sizeof(h->remote_unit), "%s", unit ? unit : "");
	snprintf(h->departing_unit, sizeof(h->departing_unit), "%s", departing ? departing : "");
}

bool relstate_next_created(const struct relstate *s, const struct relgoals *g, struct relhook *ret)
{
	if (!g->unit_alive)
		return false;
	for (size_t i = 0; i < g->n; i++) {
		const struct relgoal *r = &g->v[i];

		if (!r->alive || relstate_find(s, r->id))
			continue;
		fill(ret, RELHOOK_CREATED, r->id, r->peer, r->endpoint, r->remote_app, NULL, NULL, 0);
		return true;
	}
	return false;
}

/* The app a unit name belongs to ("app/3" -> "app"), into out. */
static void unit_app(const char *unit, char *out, size_t n)
{
	const char *slash = strchr(unit, '/');

	snprintf(out, n, "%.*s", slash ? (int)(slash - unit) : (int)strlen(unit), unit);
}

static bool next_for(const struct relstate_rel *l, const struct relgoal *r, const struct relgoals *g,
		     const char *local_unit, struct relhook *h)
{
	/* The unit or the relation dying (or the relation gone) breaks it: nobody is in
	 * scope any more as far as this unit is concerned. */
	bool broken = !g->unit_alive || !r || !r->alive;
	const struct relgoal *remote = broken ? NULL : r;
	char app[RELSTATE_NAME_MAX];

	if (l->changed_pending) {
		const struct relgoal_unit *u = goal_unit(remote, l->changed_pending);

		unit_app(l->changed_pending, app, sizeof(app));
		fill(h, RELHOOK_CHANGED, l->id, l->peer, l->endpoint, app, l->changed_pending, NULL,
		     u ? u->version : 0);
		return true;
	}
	for (size_t i = 0; i < l->n_members; i++) {
		const char *m = l->members[i].name;

		if (goal_unit(remote, m))
			continue;
		unit_app(m, app, sizeof(app));
		/* The departing unit is the local one when it (or its application) goes away,
		 * else the remote unit leaving. */
		fill(h, RELHOOK_DEPARTED, l->id, l->peer, l->endpoint, app, m,
		     !g->unit_alive || !g->app_alive ? local_unit : m, l->members[i].version);
		return true;
	}
	if (broken) {
		if (l->peer)
			return false;
		fill(h, RELHOOK_BROKEN, l->id, false, l->endpoint, l->remote_app, NULL, NULL, 0);
		return true;
	}
	if (r->app_version != l->app_version) {
		fill(h, RELHOOK_CHANGED, l->id, l->peer, l->endpoint, r->remote_app, NULL, NULL,
		     r->app_version);
		return true;
	}
	for (size_t i = 0; i < r->n_units; i++) {
		if (member_find(l, r->units[i].name))
			continue;
		unit_app(r->units[i].name, app, sizeof(app));
		fill(h, RELHOOK_JOINED, l->id, l->peer, l->endpoint, app, r->units[i].name, NULL,
		     r->units[i].version);
		return true;
	}
	for (size_t i = 0; i < r->n_units; i++) {
		const struct relstate_member *m = member_find(l, r->units[i].name);

		if (!m || m->version == r->units[i].version)
			continue;
		unit_app(m->name, app, sizeof(app));
		fill(h, RELHOOK_CHANGED, l->id, l->peer, l->endpoint, app, m->name, NULL,
		     r->units[i].version);
		return true;
	}
	return false;
}

bool relstate_next(const struct relstate *s, const struct relgoals *g, const char *local_unit,
		   struct relhook *ret)
{
	/* Local state is sorted by id; relations the unit never created have no hooks. */
	for (size_t i = 0; i < s->n; i++)
		if (next_for(&s->v[i], goal_find(g, s->v[i].id), g, local_unit, ret))
			return true;
	return false;
}

void relstate_commit(struct relstate *s, const struct relhook *h)
{
	struct relstate_rel *r = find_mut(s, h->relation_id);
	struct relstate_member *m;

	switch (h->kind) {
	case RELHOOK_CREATED: {
		size_t at = 0;

		if (r)
			return;
		while (at < s->n && s->v[at].id < h->relation_id)
			at++;
		s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
		memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
		memset(&s->v[at], 0, sizeof(s->v[at]));
		s->v[at].id = h->relation_id;
		s->v[at].peer = h->peer;
		s->v[at].endpoint = xstrdup(h->endpoint);
		s->v[at].remote_app = xstrdup(h->remote_app);
		s->n++;
		return;
	}
	case RELHOOK_JOINED:
		if (!r)
			return;
		member_add(r, h->remote_unit, h->version);
		free(r->changed_pending);
		r->changed_pending = xstrdup(h->remote_unit);
		return;
	case RELHOOK_CHANGED:
		if (!r)
			return;
		if (!h->remote_unit[0]) {
			r->app_version = h->version;
			return;
		}
		if ((m = member_find(r, h->remote_unit)))
			m->version = h->version;
		if (r->changed_pending && !strcmp(r->changed_pending, h->remote_unit)) {
			free(r->changed_pending);
			r->changed_pending = NULL;
		}
		return;
	case RELHOOK_DEPARTED:
		if (!r)
			return;
		member_remove(r, h->remote_unit);
		if (r->changed_pending && !strcmp(r->changed_pending, h->remote_unit)) {
			free(r->changed_pending);
			r->changed_pending = NULL;
		}
		return;
	case RELHOOK_BROKEN:
		if (!r)
			return;
		rel_done(r);
		memmove(r, r + 1, (size_t)(&s->v[s->n] - (r + 1)) * sizeof(*r));
		s->n--;
		return;
	case RELHOOK_NONE:
	case _RELHOOK_MAX:
		return;
	}
}

/* uniter.c - journal and resolver of a unit agent; see uniter.h. */
#include "uniter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

static const char *const op_names[_UNITER_OP_MAX] = {
	[UNITER_OP_CONTINUE] = "continue",
	[UNITER_OP_RUN_HOOK] = "run-hook",
};

static const char *const step_names[_UNITER_STEP_MAX] = {
	[UNITER_STEP_DONE] = "done",
	[UNITER_STEP_QUEUED] = "queued",
	[UNITER_STEP_PENDING] = "pending",
};

static const char *const notice_kinds[_UNITER_NOTICE_MAX] = {
	[UNITER_NOTICE_NONE] = "",
	[UNITER_NOTICE_CUSTOM] = "custom",
	[UNITER_NOTICE_CHECK_FAILED] = "check-failed",
	[UNITER_NOTICE_CHECK_RECOVERED] = "check-recovered",
};

/* The hook-name suffix of each kind. */
static const char *const notice_suffixes[_UNITER_NOTICE_MAX] = {
	[UNITER_NOTICE_NONE] = NULL,
	[UNITER_NOTICE_CUSTOM] = "-pebble-custom-notice",
	[UNITER_NOTICE_CHECK_FAILED] = "-pebble-check-failed",
	[UNITER_NOTICE_CHECK_RECOVERED] = "-pebble-check-recovered",
};

void uniter_journal_init(struct uniter_journal *j)
{
	memset(j, 0, sizeof(*j));
	j->charm_rev = -1;
	j->hook_charm_rev = -1;
}

void uniter_journal_copy(struct uniter_journal *dst, const struct uniter_journal *src)
{
	*dst = *src;
	if (src->nz) {
		dst->nz = xmalloc(sizeof(*dst->nz));
		*dst->nz = *src->nz;
	}
}

void uniter_journal_done(struct uniter_journal *j)
{
	if (!j)
		return;
	free(j->nz);
	uniter_journal_init(j);
}

void uniter_journal_move(struct uniter_journal *dst, struct uniter_journal *src)
{
	if (dst == src)
		return;
	free(dst->nz);
	*dst = *src;
	uniter_journal_init(src);
}

static struct uniter_notices *notices_of(struct uniter_journal *j)
{
	if (!j->nz)
		j->nz = xcalloc(1, sizeof(*j->nz));
	return j->nz;
}

bool uniter_notice_hook_name(const struct uniter_notice *n, char *out, size_t n_out)
{
	const char *suffix = (unsigned)n->kind < _UNITER_NOTICE_MAX ? notice_suffixes[n->kind] : NULL;

	return suffix && n->container[0] &&
	       (size_t)snprintf(out, n_out, "%s%s", n->container, suffix) < n_out;
}

const struct uniter_notice *uniter_hook_notice(const struct uniter_journal *j)
{
	return j->op == UNITER_OP_RUN_HOOK && j->nz && j->nz->hook.kind != UNITER_NOTICE_NONE
		       ? &j->nz->hook
		       : NULL;
}

const struct uniter_cursor *uniter_cursor(const struct uniter_journal *j, const char *container)
{
	for (size_t i = 0; j->nz && i < j->nz->n_cursors; i++)
		if (!strcmp(j->nz->cursors[i].container, container))
			return &j->nz->cursors[i];
	return NULL;
}

static json_t *notices_to_json(const struct uniter_notices *nz)
{
	json_t *cur = json_object();

	for (size_t i = 0; i < nz->n_cursors; i++)
		json_object_set_new(cur, nz->cursors[i].container,
				    json_pack("{s:s, s:s}", "last-repeated", nz->cursors[i].last_repeated,
					      "id", nz->cursors[i].id));
	return cur;
}

json_t *uniter_journal_to_json(const struct uniter_journal *j)
{
	json_t *v = json_pack("{s:b, s:b, s:b, s:b, s:b, s:i, s:s, s:s, s:s, s:s, s:s, s:i}",
			 "installed", j->installed, "started", j->started, "stopped", j->stopped,
			 "removed", j->removed, "leader", j->leader, "charm-rev", j->charm_rev,
			 "config-hash", j->config_hash, "op", op_names[j->op], "opstep",
			 step_names[j->step], "hook", j->hook, "hook-config-hash",
			 j->hook_config_hash, "hook-charm-rev", j->hook_charm_rev);

	json_object_set_new(v, "leader-gen", json_integer(j->leader_gen));
	json_object_set_new(v, "hook-leader-gen", json_integer(j->hook_leader_gen));
	if (j->hook_rel.kind != RELHOOK_NONE) {
		const struct relhook *h = &j->hook_rel;

		json_object_set_new(v, "hook-relation",
				    json_pack("{s:s, s:i, s:b, s:s, s:s, s:s, s:s, s:I}", "kind",
					      relhook_kind_name(h->kind), "id", h->relation_id,
					      "peer", h->peer, "endpoint", h->endpoint, "remote-app",
					      h->remote_app, "remote-unit", h->remote_unit,
					      "departing-unit", h->departing_unit, "version",
					      (json_int_t)h->version));
	}
	if (j->nz && j->nz->n_cursors)
		json_object_set_new(v, "notices", notices_to_json(j->nz));
	if (j->nz && j->nz->hook.kind != UNITER_NOTICE_NONE) {
		const struct uniter_notice *n = &j->nz->hook;

		json_object_set_new(v, "hook-notice",
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", notice_kinds[n->kind],
					      "container", n->container, "id", n->id, "key", n->key,
					      "check", n->check, "last-repeated", n->last_repeated));
	}
	return v;
}

/* Copies s into out (n bytes); false when it does not fit. */
static bool fits(char *out, size_t n, const char *s)
{
	return s && (size_t)snprintf(out, n, "%s", s) < n;
}

/* Reads the journal's notice part into *ret (NULL when it has none). */
static int notices_from_json(json_t *v, struct uniter_notices **ret, struct errbuf *eb)
{
	json_t *cur = json_object_get(v, "notices"), *hn = json_object_get(v, "hook-notice"), *c;
	struct uniter_notices *nz;
	const char *name;

	*ret = NULL;
	if (!cur && !hn)
		return 0;
	if ((cur && !json_is_object(cur)) || (hn && !json_is_object(hn)) ||
	    json_object_size(cur) > UNITER_CONTAINERS_MAX) {
		errbuf_set(eb, "malformed journal: bad notices");
		return -EINVAL;
	}
	nz = xcalloc(1, sizeof(*nz));
	json_object_foreach(cur, name, c) {
		struct uniter_cursor *k = &nz->cursors[nz->n_cursors++];

		if (!fits(k->container, sizeof(k->container), name) ||
		    !fits(k->last_repeated, sizeof(k->last_repeated),
			  json_string_value(json_object_get(c, "last-repeated"))) ||
		    !fits(k->id, sizeof(k->id), json_string_value(json_object_get(c, "id")))) {
			free(nz);
			errbuf_set(eb, "malformed journal: bad notice cursor of container \"%.64s\"", name);
			return -EINVAL;
		}
	}
	if (hn) {
		struct uniter_notice *n = &nz->hook;
		const char *kind = json_string_value(json_object_get(hn, "kind"));
		int ki = -1;

		for (int i = UNITER_NOTICE_CUSTOM; i < _UNITER_NOTICE_MAX; i++)
			if (kind && !strcmp(kind, notice_kinds[i]))
				ki = i;
		if (ki < 0 || !fits(n->container, sizeof(n->container), json_string_value(json_object_get(hn, "container"))) ||
		    !fits(n->id, sizeof(n->id), json_string_value(json_object_get(hn, "id"))) ||
		    !fits(n->key, sizeof(n->key), json_string_value(json_object_get(hn, "key"))) ||
		    !fits(n->check, sizeof(n->check), json_string_value(json_object_get(hn, "check"))) ||
		    !fits(n->last_repeated, sizeof(n->last_repeated),
			  json_string_value(json_object_get(hn, "last-repeated")))) {
			free(nz);
			errbuf_set(eb, "malformed journal: bad hook-notice");
			return -EINVAL;
		}
		n->kind = (enum uniter_notice_kind)ki;
	}
	*ret = nz;
	return 0;
}

/* The "hook-relation" part of a journal; -EINVAL when malformed. */
static int relhook_from_json(json_t *v, struct relhook *h)
{
	const char *kind, *ep, *app, *unit, *dep;
	json_int_t id, ver;
	int peer;

	memset(h, 0, sizeof(*h));
	if (!v)
		return 0;
	if (json_unpack(v, "{s:s, s:I, s:b, s:s, s:s, s:s, s:s, s:I}", "kind", &kind, "id", &id,
			"peer", &peer, "endpoint", &ep, "remote-app", &app, "remote-unit", &unit,
			"departing-unit", &dep, "version", &ver) < 0 ||
	    relhook_kind_from_name(kind) == RELHOOK_NONE || id < 0 || id > 0x7fffffff ||
	    strlen(ep) >= RELSTATE_NAME_MAX || strlen(app) >= RELSTATE_NAME_MAX ||
	    strlen(unit) >= RELSTATE_NAME_MAX || strlen(dep) >= RELSTATE_NAME_MAX)
		return -EINVAL;
	h->kind = relhook_kind_from_name(kind);
	h->relation_id = (int)id;
	h->peer = peer;
	h->version = ver;
	snprintf(h->endpoint, sizeof(h->endpoint), "%s", ep);
	snprintf(h->remote_app, sizeof(h->remote_app), "%s", app);
	snprintf(h->remote_unit, sizeof(h->remote_unit), "%s", unit);
	snprintf(h->departing_unit, sizeof(h->departing_unit), "%s", dep);
	return 0;
}

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (s && !strcmp(names[i], s))
			return i;
	return -1;
}

int uniter_journal_from_json(json_t *v, struct uniter_journal *j, struct errbuf *eb)
{
	struct uniter_journal t;
	const char *op = NULL, *step = NULL, *hook = "", *hash = "", *hhash = "";
	json_error_t je;
	int oi, si;

	uniter_journal_init(&t);
	if (json_unpack_ex(v, &je, 0, "{s:b, s:b, s:b, s:b, s:b, s:i, s:s, s:s, s:s, s?s, s?s, s?i}",
			   "installed", &t.installed, "started", &t.started, "stopped", &t.stopped,
			   "removed", &t.removed, "leader", &t.leader, "charm-rev", &t.charm_rev,
			   "config-hash", &hash, "op", &op, "opstep", &step, "hook", &hook,
			   "hook-config-hash", &hhash, "hook-charm-rev", &t.hook_charm_rev) < 0) {
		errbuf_set(eb, "malformed journal: %s", je.text);
		return -EINVAL;
	}
	oi = name_index(op_names, _UNITER_OP_MAX, op);
	si = name_index(step_names, _UNITER_STEP_MAX, step);
	if (oi < 0 || si < 0 || strlen(hook) >= UNITER_HOOK_MAX || strlen(hash) >= UNITER_HASH_MAX ||
	    strlen(hhash) >= UNITER_HASH_MAX) {
		errbuf_set(eb, "malformed journal: bad op %s/%s", op, step);
		return -EINVAL;
	}
	if (relhook_from_json(json_object_get(v, "hook-relation"), &t.hook_rel) < 0) {
		errbuf_set(eb, "malformed journal: bad hook-relation");
		return -EINVAL;
	}
	if (notices_from_json(v, &t.nz, eb) < 0)
		return -EINVAL;
	t.leader_gen = (int)json_integer_value(json_object_get(v, "leader-gen"));
	t.hook_leader_gen = (int)json_integer_value(json_object_get(v, "hook-leader-gen"));
	t.op = (enum uniter_op)oi;
	t.step = (enum uniter_step)si;
	snprintf(t.hook, sizeof(t.hook), "%s", hook);
	snprintf(t.config_hash, sizeof(t.config_hash), "%s", hash);
	snprintf(t.hook_config_hash, sizeof(t.hook_config_hash), "%s", hhash);
	*j = t;
	return 0;
}

static void next_hook(struct uniter_next *ret, const char *hook)
{
	ret->kind = UNITER_NEXT_HOOK;
	snprintf(ret->hook, sizeof(ret->hook), "%s", hook);
	memset(&ret->rel, 0, sizeof(ret->rel));
}

static void next_rel(struct uniter_next *ret, const struct relhook *h)
{
	ret->kind = UNITER_NEXT_HOOK;
	ret->rel = *h;
	relhook_name(h, ret->hook, sizeof(ret->hook));
}

void uniter_decide(const struct uniter_journal *j, const struct relstate *rs,
		   const struct uniter_goal *g, const struct relgoals *rg,
		   const struct uniter_flags *f, struct uniter_next *ret)
{
	static const struct relstate no_state = { NULL, 0 };
	struct relgoals no_goal = { NULL, 0, NULL, g->alive, g->alive };
	struct relhook h;

	if (!rs)
		rs = &no_state;
	if (!rg)
		rg = &no_goal;
	memset(ret, 0, sizeof(*ret));
	ret->kind = UNITER_NEXT_NONE;
	/* A hook in error blocks everything else until it is retried or resolved (§10). */
	if (f->in_error)
		return;
	/* A queued follow-up, or a pending hook interrupted by the agent's death: run it. */
	if (j->op == UNITER_OP_RUN_HOOK && j->step != UNITER_STEP_DONE) {
		ret->kind = UNITER_NEXT_HOOK;
		snprintf(ret->hook, sizeof(ret->hook), "%s", j->hook);
		ret->rel = j->hook_rel;
		return;
	}
	/* relation-created for relations not yet created, then leadership (§7.1 items 3 and 4:
	 * only after install, never while dying), then workload events from notices (item 5: not
	 * gated on install, start or dying). */
	if (g->alive && j->installed) {
		if (relstate_next_created(rs, rg, &h)) {
			next_rel(ret, &h);
			return;
		}
		if (g->leader && !j->leader && f->lease_valid) {
			next_hook(ret, "leader-elected");
			return;
		}
		/* After a failover the other units hear of the new leader (Juju 3.x, §13.5). */
		if (!g->leader && j->leader_gen < g->leader_gen) {
			next_hook(ret, "leader-settings-changed");
			return;
		}
	}
	if (f->notice_hook) {
		next_hook(ret, f->notice_hook);
		return;
	}
	if (!g->alive) {
		/* Teardown (§7.1 item 11): relations first (departed..., broken), then stop if
		 * started, remove if installed, then dead. */
		if (relstate_next(rs, rg, rg->unit, &h)) {
			next_rel(ret, &h);
			return;
		}
		if (j->started && !j->stopped) {
			next_hook(ret, "stop");
			return;
		}
		if (j->installed && !j->removed) {
			next_hook(ret, "remove");
			return;
		}
		ret->kind = UNITER_NEXT_DEAD;
		return;
	}
	if (!j->installed) {
		next_hook(ret, "install");
		return;
	}
	if (j->charm_rev != g->charm_rev) {
		next_hook(ret, "upgrade-charm");
		return;
	}
	if (strcmp(j->config_hash, g->config_hash) != 0) {
		next_hook(ret, "config-changed");
		return;
	}
	if (!j->started) {
		next_hook(ret, "start"); /* only reachable if a start follow-up was lost; harmless */
		return;
	}
	/* Workload events come after the lifecycle hooks that are due: deploy ends with
	 * start -> pebble-ready, refresh with config-changed -> pebble-ready. */
	if (f->workload_hook) {
		next_hook(ret, f->workload_hook);
		return;
	}
	if (relstate_next(rs, rg, rg->unit, &h)) {
		next_rel(ret, &h);
		return;
	}
	if (f->update_status_due)
		next_hook(ret, "update-status");
}

const char *uniter_next_hook(const struct uniter_journal *j, const struct uniter_goal *g,
			     const struct uniter_flags *f, bool *ret_dead)
{
	static struct uniter_next n;

	uniter_decide(j, NULL, g, NULL, f, &n);
	*ret_dead = n.kind == UNITER_NEXT_DEAD;
	if (n.kind != UNITER_NEXT_HOOK)
		return NULL;
	/* A pending hook's name is returned from the journal itself, so the pointer
	 * compares equal in uniter_prepare(). */
	if (j->op == UNITER_OP_RUN_HOOK && j->step != UNITER_STEP_DONE)
		return j->hook;
	return n.hook;
}

void uniter_prepare_next(struct uniter_journal *j, const struct uniter_next *n,
			 const struct uniter_goal *g, const struct uniter_notice *notice)
{
	struct relhook rel = n->rel;

	uniter_prepare(j, n->hook, g, notice);
	j->hook_rel = rel;
}

void uniter_prepare(struct uniter_journal *j, const char *hook, const struct uniter_goal *g,
		    const struct uniter_notice *notice)
{
	if (notice)
		notices_of(j)->hook = *notice;
	else if (j->nz)
		j->nz->hook.kind = UNITER_NOTICE_NONE;
	if (hook != j->hook) {
		snprintf(j->hook, sizeof(j->hook), "%s", hook);
		memset(&j->hook_rel, 0, sizeof(j->hook_rel));
	}
	j->op = UNITER_OP_RUN_HOOK;
	j->step = UNITER_STEP_PENDING;
	snprintf(j->hook_config_hash, sizeof(j->hook_config_hash), "%s", g->config_hash);
	j->hook_charm_rev = g->charm_rev;
	j->hook_leader_gen = g->leader_gen;
}

/* The notice hook committed: its container's cursor moves to the notice. */
static void commit_notice(struct uniter_journal *j)
{
	struct uniter_notices *nz = j->nz;
	struct uniter_cursor *k = NULL;

	if (!nz || nz->hook.kind == UNITER_NOTICE_NONE)
		return;
	for (size_t i = 0; i < nz->n_cursors; i++)
		if (!strcmp(nz->cursors[i].container, nz->hook.container))
			k = &nz->cursors[i];
	if (!k && nz->n_cursors < UNITER_CONTAINERS_MAX) {
		k = &nz->cursors[nz->n_cursors++];
		snprintf(k->container, sizeof(k->container), "%s", nz->hook.container);
	}
	if (k) {
		snprintf(k->last_repeated, sizeof(k->last_repeated), "%s", nz->hook.last_repeated);
		snprintf(k->id, sizeof(k->id), "%s", nz->hook.id);
	}
	nz->hook.kind = UNITER_NOTICE_NONE;
}

void uniter_commit(struct uniter_journal *j)
{
	uniter_commit_rel(j, NULL);
}

void uniter_commit_rel(struct uniter_journal *j, struct relstate *rs)
{
	const char *h = j->hook;
	const char *next = NULL;

	commit_notice(j);
	if (j->hook_rel.kind != RELHOOK_NONE) {
		if (rs)
			relstate_commit(rs, &j->hook_rel);
		/* "config-changed ... after a relation is created" (the lifecycle seed); a unit
		 * not yet started runs its first config-changed anyway. */
		if (j->hook_rel.kind == RELHOOK_CREATED && j->started)
			next = "config-changed";
	} else if (!strcmp(h, "install")) {
		j->installed = true;
		/* A new unit has nothing to catch up on: only later failovers concern it. */
		j->leader_gen = j->hook_leader_gen;
		/* The charm files were put in place before install ran. */
		j->charm_rev = j->hook_charm_rev;
	} else if (!strcmp(h, "leader-elected")) {
		j->leader = true;
		j->leader_gen = j->hook_leader_gen;
	} else if (!strcmp(h, "leader-settings-changed")) {
		j->leader_gen = j->hook_leader_gen;
	} else if (!strcmp(h, "config-changed")) {
		snprintf(j->config_hash, sizeof(j->config_hash), "%s", j->hook_config_hash);
		if (!j->started)
			next = "start";
	} else if (!strcmp(h, "start")) {
		j->started = true;
	} else if (!strcmp(h, "upgrade-charm")) {
		j->charm_rev = j->hook_charm_rev;
		next = "config-changed";
	} else if (!strcmp(h, "stop")) {
		j->stopped = true;
	} else if (!strcmp(h, "remove")) {
		j->removed = true;
	}
	memset(&j->hook_rel, 0, sizeof(j->hook_rel));
	if (next) {
		snprintf(j->hook, sizeof(j->hook), "%s", next);
		j->op = UNITER_OP_RUN_HOOK;
		j->step = UNITER_STEP_QUEUED;
	} else {
		j->op = UNITER_OP_CONTINUE;
		j->step = UNITER_STEP_DONE;
		j->hook[0] = '\0';
	}
}

void uniter_requeue(struct uniter_journal *j)
{
	if (j->op == UNITER_OP_RUN_HOOK)
		j->step = UNITER_STEP_QUEUED;
}

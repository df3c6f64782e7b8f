/* uniter.c - journal and resolver of a unit agent; see uniter.h. */
#include "uniter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[_UNITER_OP_MAX] = {
	[UNITER_OP_CONTINUE] = "continue",
	[UNITER_OP_RUN_HOOK] = "run-hook",
};

static const char *const step_names[_UNITER_STEP_MAX] = {
	[UNITER_STEP_DONE] = "done",
	[UNITER_STEP_QUEUED] = "queued",
	[UNITER_STEP_PENDING] = "pending",
};

void uniter_journal_init(struct uniter_journal *j)
{
	memset(j, 0, sizeof(*j));
	j->charm_rev = -1;
	j->hook_charm_rev = -1;
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
	return v;
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

const char *uniter_next_hook(const struct uniter_journal *j, const struct uniter_goal *g,
			     const struct uniter_flags *f, bool *ret_dead)
{
	*ret_dead = false;
	/* A hook in error blocks everything else until it is retried or resolved (§10). */
	if (f->in_error)
		return NULL;
	/* A pending hook was interrupted (agent killed mid-hook): run it again. */
	if (j->op == UNITER_OP_RUN_HOOK && j->step != UNITER_STEP_DONE)
		return j->hook;
	if (!g->alive) {
		/* Teardown: stop if started, remove if installed, then dead (§7.1 item 11). */
		if (j->started && !j->stopped)
			return "stop";
		if (j->installed && !j->removed)
			return "remove";
		*ret_dead = true;
		return NULL;
	}
	if (!j->installed)
		return "install";
	if (g->leader && !j->leader && f->lease_valid)
		return "leader-elected";
	/* After a failover the other units hear of the new leader (Juju 3.x, §13.5). */
	if (!g->leader && j->leader_gen < g->leader_gen)
		return "leader-settings-changed";
	if (j->charm_rev != g->charm_rev)
		return "upgrade-charm";
	if (strcmp(j->config_hash, g->config_hash) != 0)
		return "config-changed";
	if (!j->started)
		return "start"; /* only reachable if a start follow-up was lost; harmless */
	/* Workload events come after the lifecycle hooks that are due: deploy ends with
	 * start -> pebble-ready, refresh with config-changed -> pebble-ready. */
	if (f->workload_hook)
		return f->workload_hook;
	if (f->update_status_due)
		return "update-status";
	return NULL;
}

void uniter_prepare(struct uniter_journal *j, const char *hook, const struct uniter_goal *g)
{
	if (hook != j->hook)
		snprintf(j->hook, sizeof(j->hook), "%s", hook);
	j->op = UNITER_OP_RUN_HOOK;
	j->step = UNITER_STEP_PENDING;
	snprintf(j->hook_config_hash, sizeof(j->hook_config_hash), "%s", g->config_hash);
	j->hook_charm_rev = g->charm_rev;
	j->hook_leader_gen = g->leader_gen;
}

void uniter_commit(struct uniter_journal *j)
{
	const char *h = j->hook;
	const char *next = NULL;

	if (!strcmp(h, "install")) {
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

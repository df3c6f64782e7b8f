/* unit_ctx.c - the hook context of a unit's hook or task: the ops the hook tools call
 * (status-set, status-get, juju-log, is-leader, leader-set, goal-state, action-log;
 * resource-get is unit_resources.c's), filling and clearing the context, and what a task's
 * context changed.  See hookctx.h. */
#include "agent/agent_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/netinfo.h"
#include "agent/unit_resources.h"

/* True when the charm sets the workload status it already has: the agent's copy is the
 * latest status the controller has or will have (the outbox is durable and in order), and the
 * controller keeps "since" and writes no history for an unchanged status, so such a set
 * changes nothing anywhere.  Not once the copy is the agent's own ("charm-set" false): the
 * charm's first set makes its status the charm's, which later agent statuses respect.  Charms
 * set the same status on every event (ops' collect-status, update-status): this spares a store
 * transaction and a controller message each time. */
static bool wl_status_unchanged(struct unit *u, const char *status, const char *message,
				json_t *data)
{
	json_t *cur = u->wl_status, *cd;
	const char *cs, *cm;

	if (!json_is_true(json_object_get(cur, "charm-set")))
		return false;
	cs = json_string_value(json_object_get(cur, "status"));
	cm = json_string_value(json_object_get(cur, "message"));
	cd = json_object_get(cur, "data");
	if (!cs || !cm || strcmp(cs, status) || strcmp(cm, message ? message : ""))
		return false;
	if (!data)
		return !cd || (json_is_object(cd) && json_object_size(cd) == 0);
	return cd && json_equal(cd, data);
}

static int ctx_status_set(struct hook_ctx *ctx, bool app, const char *status, const char *message,
			  json_t *data, struct errbuf *eb)
{
	struct unit *u = ctx->agent;
	struct store_unit_row row;
	struct batch b;
	json_t *wl = NULL;
	int r;

	if (app && !agent_unit_is_leader(u)) {
		errbuf_set(eb, "setting application status: unit is not the leader");
		return -EPERM;
	}
	if (!app && wl_status_unchanged(u, status, message, data))
		return 0;
	batch_init(&b, u);
	batch_status(&b, app ? "application" : "workload", status, message, data, true);
	agent_unit_row(u, &row);
	if (!app) {
		wl = unit_wl_with(u, status, message, data, true);
		row.wl_status = wl;
	}
	r = batch_commit(&b, &row, eb);
	batch_done(&b);
	if (r < 0) {
		json_decref(wl);
		errbuf_wrap(eb, "cannot set status");
		return r;
	}
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}
	return 0;
}

/* network-get and unit-get of a unit whose containers run as a pod: the pod's address on
 * its eth0 (charm-runtime.md §3.3); other units see the machine's (netinfo.h). */
static void fill_pod_network(struct unit *u, struct hook_ctx *ctx)
{
	const char *addr = u->pod_address, *cidr = u->pod_cidr;
	char egress[80];

	snprintf(egress, sizeof(egress), strchr(addr, ':') ? "%s/128" : "%s/32", addr);
	/* The same shape as netinfo's documents. */
	ctx->network = json_pack("{s:[{s:s, s:s, s:[{s:s, s:s, s:s, s:s}], s:s, s:s}], s:[s], s:[s]}",
				 "bind-addresses", "mac-address", "", "interface-name", "eth0", "addresses",
				 "hostname", "", "address", addr, "value", addr, "cidr", cidr, "macaddress", "",
				 "interfacename", "eth0", "egress-subnets", egress, "ingress-addresses", addr);
	ctx->private_address = addr;
	ctx->public_address = addr;
}

static void ctx_status_get(struct hook_ctx *ctx, bool app,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct unit *u = ctx->agent;

	if (app) {
		if (!agent_unit_is_leader(u)) {
			done(arg, NULL, "unit is not the leader");
			return;
		}
		agent_query_app_status(u->a, u, done, arg);
		return;
	}
	/* The unit's own workload status: the agent is the one that sets it. */
	json_t *st = json_pack("{s:O, s:O, s:O, s:s}", "status",
			       json_object_get(u->wl_status, "status"), "message",
			       json_object_get(u->wl_status, "message"), "status-data",
			       json_object_get(u->wl_status, "data"), "since", "");

	done(arg, st, NULL);
	json_decref(st);
}

static void ctx_log(struct hook_ctx *ctx, const char *level, const char *message)
{
	struct unit *u = ctx->agent;
	char module[UNITER_HOOK_MAX + PROTO_NAME_MAX + 32];

	snprintf(module, sizeof(module), "unit.%s.juju-log", u->name);
	agent_log(u->a, u, level, module, "%s", message);
}

static bool ctx_is_leader(struct hook_ctx *ctx)
{
	return agent_unit_is_leader(ctx->agent);
}

/* leader-set: buffered in the ctx (the tool has updated ctx->leader_settings) and sent with
 * the hook's commit, so a failed hook changes nothing.  The tool checked leadership. */
static int ctx_leader_set(struct hook_ctx *ctx, json_t *changes, struct errbuf *eb)
{
	struct unit *u = ctx->agent;

	(void)changes;
	(void)eb;
	u->leader_dirty = true;
	return 0;
}

static void ctx_goal_state(struct hook_ctx *ctx,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct unit *u = ctx->agent;

	agent_query(u->a, u, false, true, done, arg);
}

const struct hook_ctx_ops unit_ctx_ops = {
	.status_set = ctx_status_set,
	.status_get = ctx_status_get,
	.log = ctx_log,
	.is_leader = ctx_is_leader,
	.leader_set = ctx_leader_set,
	.goal_state = ctx_goal_state,
	.action_log = unit_task_log,
	.resource_get = unit_resource_get,
};

void unit_ctx_clear(struct unit *u)
{
	if (u->ctx_live) {
		agent_context_del(u->a, u);
		agent_queries_cancel(u->a, u, "the hook has finished");
		unit_resources_ctx_done(u);
	}
	json_decref(u->ctx.config);
	json_decref(u->ctx.state);
	json_decref(u->ctx.ports);
	json_decref(u->ctx.app_version);
	hook_ctx_done_extras(&u->ctx);
	memset(&u->ctx, 0, sizeof(u->ctx));
	u->ctx_live = false;
	u->leader_dirty = false;
	u->context_id[0] = '\0';
}

void unit_ctx_fill(struct unit *u, const char *hook, const struct relhook *rel)
{
	struct agent *a = u->a;

	memset(&u->ctx, 0, sizeof(u->ctx));
	u->ctx.ops = &unit_ctx_ops;
	u->ctx.agent = u;
	u->ctx.unit = u->name;
	u->ctx.app = u->app->name;
	u->ctx.hook = hook;
	u->ctx.model_uuid = a->model_uuid;
	u->ctx.config = u->app->config ? json_deep_copy(u->app->config) : json_object();
	u->ctx.state = u->state_goal ? json_deep_copy(u->state_goal) : json_object();
	u->ctx.ports = u->ports_goal ? json_deep_copy(u->ports_goal) : json_array();
	unit_rel_fill_ctx(u, rel);
	if (u->pod && u->pod_address[0]) {
		fill_pod_network(u, &u->ctx);
	} else {
		u->ctx.network = json_incref(a->network);
		u->ctx.private_address = netinfo_first_address(a->network);
		u->ctx.public_address = u->ctx.private_address;
	}
	u->ctx.leader_settings = u->app->leader_settings ? json_deep_copy(u->app->leader_settings)
							 : json_object();
	snprintf(u->context_id, sizeof(u->context_id), "%s-%s-%llu", u->name, hook,
		 (unsigned long long)((uint64_t)(a->io.random(a->io.data) * 9007199254740992.0) ^
				      a->io.wall_ns(a->io.data)));
	agent_context_add(a, u);
	u->ctx_live = true;
}

void unit_ctx_changes(struct unit *u, struct proto_action_result *m)
{
	m->relations = unit_rel_changes(u, true, &u->rs, NULL);
	if (u->ctx.state && !json_equal(u->ctx.state, u->state_goal))
		m->state = json_incref(u->ctx.state);
	if (u->ctx.ports && !json_equal(u->ctx.ports, u->ports_goal))
		m->ports = json_incref(u->ctx.ports);
	if (u->leader_dirty && u->ctx.leader_settings)
		m->leader_settings = json_incref(u->ctx.leader_settings);
}

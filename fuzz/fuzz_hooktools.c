/* fuzz_hooktools.c - every hook tool as the agent runs it (tools_run): the tool name, its
 * argv (Juju's gnuflag rules) and its stdin all come from charm code.  The context holds
 * relations (one regular, one peer), network data, leader settings, goal state and an action,
 * so relation-*, network-get, leader-*, goal-state, action-* and resource-get reach their real
 * work; the unit is leader for inputs of odd size.
 *
 * Input: NUL-separated fields; the first is the tool's name (taken modulo the tool table
 * when it is a single byte), the following ones its arguments, and the part after a field
 * "\x01stdin" is the tool's stdin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/tools.h"
#include "fuzz.h"
#include "lib/buf.h"

#define FUZZ_MAX_ARGS 32

static int fk_status_set(struct hook_ctx *ctx, bool app, const char *status, const char *message,
			 json_t *data, struct errbuf *eb)
{
	(void)ctx;
	(void)status;
	(void)message;
	(void)data;
	if (app) {
		errbuf_set(eb, "unit is not the leader");
		return -EPERM;
	}
	return 0;
}

static void fk_status_get(struct hook_ctx *ctx, bool app,
			  void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	json_t *r;

	(void)ctx;
	r = json_pack("{s:s, s:s, s:{}, s:s}", "status", "active", "message", "hi", "status-data",
		      "since", "01 Jan 2026 00:00:00Z");
	if (app)
		json_object_set_new(r, "units", json_object());
	done(arg, r, NULL);
	json_decref(r);
}

static void fk_log(struct hook_ctx *ctx, const char *level, const char *message)
{
	(void)ctx;
	(void)level;
	(void)message;
}

static bool leader; /* from the input's size: both sides of every leader-only check run */

static bool fk_is_leader(struct hook_ctx *ctx)
{
	(void)ctx;
	return leader;
}

static int fk_leader_set(struct hook_ctx *ctx, json_t *changes, struct errbuf *eb)
{
	const char *k;
	json_t *v;

	(void)eb;
	json_object_foreach(changes, k, v) {
		if (!json_is_string(v))
			abort(); /* leader settings are strings */
		if (!json_string_length(v))
			json_object_del(ctx->leader_settings, k);
		else
			json_object_set(ctx->leader_settings, k, v);
	}
	return 0;
}

static void fk_action_log(struct hook_ctx *ctx, const char *message)
{
	(void)ctx;
	(void)message;
}

/* resource-get: answered at once, a path for "software", Juju's not-found otherwise. */
static void fk_resource_get(struct hook_ctx *ctx, const char *name,
			    void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	(void)ctx;
	if (!strcmp(name, "software"))
		done(arg, "/var/lib/cairn/resources/software/software.tgz", NULL);
	else
		done(arg, NULL, "resource not found");
}

static const struct hook_ctx_ops fk_ops = {
	.status_set = fk_status_set, .status_get = fk_status_get, .log = fk_log,
	.is_leader = fk_is_leader, .leader_set = fk_leader_set, .action_log = fk_action_log,
	.resource_get = fk_resource_get,
};

/* What the agent puts in a hook's context for relations, networking, leadership, goal
 * state and an action (freed by hook_ctx_done_extras): a regular relation db:0 with two
 * remote units and a peer relation peers:1. */
static void fill_extras(struct hook_ctx *ctx)
{
	struct hook_relation *r = xcalloc(2, sizeof(*r));

	r[0].id = 0;
	r[0].endpoint = xstrdup("db");
	r[0].remote_app = xstrdup("mysql");
	r[0].members = json_pack("[s, s]", "mysql/0", "mysql/1");
	r[0].remote_units = json_pack("{s:{s:s}, s:{}}", "mysql/0", "host", "10.0.0.1", "mysql/1");
	r[0].remote_app_bag = json_pack("{s:s}", "password", "x");
	r[0].unit_bag = json_pack("{s:s}", "ingress-address", "10.0.0.2");
	r[0].app_bag = json_object();
	r[1].id = 1;
	r[1].endpoint = xstrdup("peers");
	r[1].remote_app = xstrdup("fuzz");
	r[1].peer = true;
	r[1].members = json_pack("[s]", "fuzz/1");
	r[1].remote_units = json_pack("{s:{}}", "fuzz/1");
	r[1].remote_app_bag = json_object();
	r[1].unit_bag = json_object();
	r[1].app_bag = json_pack("{s:s}", "k", "v");
	ctx->relations = r;
	ctx->n_relations = 2;
	ctx->in_relation = true;
	ctx->relation_id = 0;
	ctx->remote_unit = "mysql/0";
	ctx->remote_app = "mysql";
	ctx->network = json_pack("{s:[{s:s, s:[{s:s, s:s}]}], s:[s], s:[s]}", "bind-addresses", "interface-name",
				 "eth0", "addresses", "value", "10.0.0.2", "cidr", "10.0.0.0/24", "egress-subnets",
				 "10.0.0.2/32", "ingress-addresses", "10.0.0.2");
	ctx->private_address = "10.0.0.2";
	ctx->public_address = "10.0.0.2";
	ctx->goal_state = json_pack("{s:{}, s:{}}", "units", "relations");
	ctx->leader_settings = json_pack("{s:s}", "a", "b");
	ctx->action = xcalloc(1, sizeof(*ctx->action));
	ctx->action->name = xstrdup("backup");
	ctx->action->id = xstrdup("2");
	ctx->action->params = json_pack("{s:s, s:{s:i}}", "target", "/x", "opts", "level", 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[FUZZ_MAX_ARGS], *stdin_data = NULL, *p, *end;
	const char *tool;
	int argc = 0, ntools = 0;
	struct hook_ctx ctx;
	struct buf out = BUF_INIT, err = BUF_INIT;

	static bool in_scratch;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	/* Tools write files the charm names (-o/--output, --file): keep them in a scratch
	 * folder of their own. */
	if (!in_scratch) {
		if (chdir(fuzz_scratch_dir()) < 0)
			abort();
		in_scratch = true;
	}
	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	while (tools_names[ntools])
		ntools++;
	tool = copy;
	if (strlen(copy) <= 1)
		tool = tools_names[(unsigned char)copy[0] % (unsigned)ntools];
	p = copy + strlen(copy) + 1;
	while (p < end && argc < FUZZ_MAX_ARGS) {
		if (!strcmp(p, "\x01stdin")) {
			stdin_data = p + strlen(p) + 1 < end ? p + strlen(p) + 1 : NULL;
			break;
		}
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.ops = &fk_ops;
	ctx.unit = "fuzz/0";
	ctx.app = "fuzz";
	ctx.hook = "config-changed";
	ctx.model_uuid = "0b5a7b4e-1c7a-4c1e-9a0b-000000000000";
	ctx.config = json_pack("{s:s, s:i, s:b}", "name", "x", "port", 80, "debug", 0);
	ctx.state = json_pack("{s:s}", "k", "v");
	ctx.ports = json_array();
	leader = size & 1;
	fill_extras(&ctx);
	buf_init(&out);
	buf_init(&err);
	tools_run(&ctx, tool, argc, argv, stdin_data, &out, &err);
	json_decref(ctx.config);
	json_decref(ctx.state);
	json_decref(ctx.ports);
	json_decref(ctx.app_version);
	hook_ctx_done_extras(&ctx);
	buf_done(&out);
	buf_done(&err);
	free(copy);
	return 0;
}

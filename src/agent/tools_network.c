/* tools_network.c - network-get, unit-get, goal-state (charm-runtime.md §3.3, §3.7).
 *
 * The agent puts the machine's real addresses in the ctx (hookctx.h): network-get prints that
 * document (every binding of a cairn unit is in the one default space), or with
 * --bind-address / --ingress-address / --egress-subnets just those values (one flag: the
 * value alone; several: a map), as Juju's jujuc network-get does.  unit-get answers
 * private-address and public-address.  goal-state prints the document the agent built, in
 * YAML (the default) or JSON. */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

static int check_empty(struct tool_call *c, char **pos, int n)
{
	struct errbuf eb;

	if (n <= 0)
		return TOOLS_EXIT_OK;
	targ_unrecognized(&eb, pos, n);
	return tool_usage(c, "%s", eb.msg);
}

static const struct tool_info network_get_info = {
	"network-get", "<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]",
	"get network config"
};

/* The first address of the first bind-address entry, or NULL. */
static json_t *first_address(json_t *net)
{
	json_t *b = json_array_get(json_object_get(net, "bind-addresses"), 0);

	return json_object_get(json_array_get(json_object_get(b, "addresses"), 0), "value");
}

int tool_network_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	const char *r = NULL, *rel = NULL;
	bool primary = false, bind = false, ingress = false, egress = false;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		{ "primary-address", TARG_BOOL, &primary, NULL,
		  "(deprecated) get the primary address for the binding", "false", false },
		{ "bind-address", TARG_BOOL, &bind, NULL,
		  "get the address for the binding on which the unit should listen", "false", false },
		{ "ingress-address", TARG_BOOL, &ingress, NULL, "get the ingress address for the binding",
		  "false", false },
		{ "egress-subnets", TARG_BOOL, &egress, NULL, "get the egress subnets for the binding",
		  "false", false },
		{ "r", TARG_STRING, NULL, &r, "specify a relation by id", "", true },
		{ "relation", TARG_STRING, NULL, &rel, "", "", true },
	};
	json_t *net = c->ctx->network, *res = NULL, *addr;
	char **pos = NULL;
	int npos, code, id, nkeys = bind + ingress + egress;

	if (!tool_parse(c, &network_get_info, opts, 8, &o, argc, argv, &pos, &npos, &code))
		return code;
	if ((code = tool_relation_opt(c, r, rel, &id)))
		goto out;
	nkeys = bind + ingress + egress;
	if (npos < 1) {
		code = tool_usage(c, "no arguments specified");
		goto out;
	}
	if (!*pos[0]) {
		code = tool_usage(c, "no binding name specified");
		goto out;
	}
	if ((code = check_empty(c, pos + 1, npos - 1)))
		goto out;
	if (!json_is_object(net) || !json_array_size(json_object_get(net, "bind-addresses"))) {
		code = tool_fail(c, "no network config found for binding \"%s\"", pos[0]);
		goto out;
	}
	addr = first_address(net);
	if (!primary && nkeys == 0) {
		code = tool_emit(c, &o, net);
		goto out;
	}
	if (primary) {
		if (nkeys) {
			code = tool_fail(c, "--primary-address must be the only flag specified");
			goto out;
		}
		if (!addr) {
			code = tool_fail(c, "no addresses attached to space for binding \"%s\"", pos[0]);
			goto out;
		}
		code = tool_emit(c, &o, addr);
		goto out;
	}
	res = json_object();
	if (egress) {
		json_t *e = json_object_get(net, "egress-subnets");

		json_object_set_new(res, "egress-subnets", e ? json_incref(e) : json_array());
	}
	if (ingress) {
		json_t *ia = json_array_get(json_object_get(net, "ingress-addresses"), 0);

		if (!ia)
			ia = addr;
		if (!ia) {
			code = tool_fail(c, "no addresses attached to space for binding \"%s\"", pos[0]);
			goto out;
		}
		json_object_set(res, "ingress-address", ia);
	}
	if (bind) {
		if (!addr) {
			code = tool_fail(c, "no addresses attached to space for binding \"%s\"", pos[0]);
			goto out;
		}
		json_object_set(res, "bind-address", addr);
	}
	if (nkeys == 1) {
		const char *only = egress ? "egress-subnets" : ingress ? "ingress-address" : "bind-address";

		code = tool_emit(c, &o, json_object_get(res, only));
	} else {
		code = tool_emit(c, &o, res);
	}
out:
	json_decref(res);
	free(pos);
	return code;
}

static const struct tool_info unit_get_info = { "unit-get", "<setting>", "print public-address or private-address" };

int tool_unit_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o) };
	char **pos = NULL;
	int npos, code;
	const char *v;
	json_t *s;

	if (!tool_parse(c, &unit_get_info, opts, 2, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos < 1) {
		code = tool_usage(c, "no setting specified");
		goto out;
	}
	if (strcmp(pos[0], "private-address") && strcmp(pos[0], "public-address")) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "unknown setting ");
		targ_quote(&b, pos[0]);
		code = tool_usage(c, "%s", buf_str(&b));
		buf_done(&b);
		goto out;
	}
	if ((code = check_empty(c, pos + 1, npos - 1)))
		goto out;
	v = !strcmp(pos[0], "private-address") ? c->ctx->private_address : c->ctx->public_address;
	if (!v || !*v) {
		code = tool_fail(c, "%s not set", pos[0]);
		goto out;
	}
	s = json_string(v);
	code = tool_emit(c, &o, s);
	json_decref(s);
out:
	free(pos);
	return code;
}

static const struct tool_info goal_state_info = {
	"goal-state", "", "print the status of the charm's peers and related units"
};

/* goal-state waiting for the controller's answer. */
struct goal_state_req {
	struct tool_call *c;
	struct tool_output o;
	char *path;
};

static void goal_state_got(void *arg, json_t *doc, const char *error)
{
	struct goal_state_req *q = arg;
	int code;

	if (!json_is_object(doc))
		code = tool_fail(q->c, "%s", error && *error ? error : "goal state unavailable");
	else
		code = tool_emit(q->c, &q->o, doc);
	free(q->path);
	tool_finish(q->c, code);
	free(q);
}

int tool_goal_state(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = {
		{ "format", TARG_STRING, NULL, &o.format, "Specify output format (json|yaml)", "yaml",
		  true },
		{ "o|output", TARG_STRING, NULL, &o.path, "Specify an output file", "", false },
	};
	struct errbuf eb;
	char **pos = NULL;
	int npos, code;
	json_t *doc;

	o.format = "yaml";
	o.path = NULL;
	errbuf_clear(&eb);
	/* Only yaml and json: parse the options ourselves so "smart" is refused as Juju does. */
	code = targ_parse(opts, 2, argc, argv, &pos, &npos, &eb);
	if (code == TARG_HELP) {
		buf_addf(c->out, "Usage: %s [options]\n\nSummary:\n%s\n\nOptions:\n", goal_state_info.name,
			 goal_state_info.purpose);
		targ_help(opts, 2, c->out);
		return TOOLS_EXIT_OK;
	}
	if (code < 0)
		return tool_usage(c, "%s", eb.msg);
	if (strcmp(o.format, "yaml") && strcmp(o.format, "json")) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "invalid value ");
		targ_quote(&b, o.format);
		buf_adds(&b, " for option --format: unknown format ");
		targ_quote(&b, o.format);
		code = tool_usage(c, "%s", buf_str(&b));
		buf_done(&b);
		goto out;
	}
	o.fmt = !strcmp(o.format, "json") ? TFMT_JSON : TFMT_YAML;
	if ((code = check_empty(c, pos, npos)))
		goto out;
	if (c->ctx->ops && c->ctx->ops->goal_state) {
		struct goal_state_req *q = xcalloc(1, sizeof(*q));

		q->c = c;
		q->o = o;
		q->path = o.path ? xstrdup(o.path) : NULL;
		q->o.path = q->path;
		q->o.format = !strcmp(o.format, "json") ? "json" : "yaml";
		free(pos);
		c->ctx->ops->goal_state(c->ctx, goal_state_got, q);
		return TOOLS_EXIT_PENDING;
	}
	doc = c->ctx->goal_state ? json_incref(c->ctx->goal_state)
				 : json_pack("{s:{}, s:{}}", "units", "relations");
	code = tool_emit(c, &o, doc);
	json_decref(doc);
out:
	free(pos);
	return code;
}

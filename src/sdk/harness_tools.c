/* harness_tools.c - the harness's fake agent: the hook tools answered in-process, with the
 * argv forms, outputs and error texts of charm-runtime.md §3 (what cairn's agent and Juju
 * answer), so that a charm's calls are checked as a real agent would check them.
 *
 * Options are accepted before or after positionals and "--" ends them, as Juju's gnuflag
 * does; an option a tool does not define is a usage error (exit 2, "option provided but not
 * defined: X"), so a wrong argv in the SDK fails loudly in its tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "lib/errbuf.h"
#include "lib/strnum.h"
#include "lib/yamljson.h"
#include "sdk/error.h"
#include "sdk/harness.h"
#include "sdk/model.h"

#define H_EXIT_FAIL 1
#define H_EXIT_USAGE 2
#define HARNESS_SINCE "2025-01-01 00:00:00Z"

struct h_tools {
	struct tools base;
	struct cairn_harness *h;
};

/* One call's parsed arguments. */
struct h_args {
	const char *opt_val[16]; /* values of the value options, by index in the tool's list */
	bool opt_set[16];
	const char *pos[64];
	size_t npos;
};

struct h_call {
	struct cairn_harness *h;
	const char *tool;
	const char *in;
	struct tools_result *res;
};

static int fail(struct h_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct h_call *c, int code, const char *fmt, ...)
{
	va_list ap;

	buf_adds(&c->res->err, "ERROR ");
	va_start(ap, fmt);
	buf_vaddf(&c->res->err, fmt, ap);
	va_end(ap);
	buf_addc(&c->res->err, '\n');
	c->res->code = code;
	return 0;
}

static void out_json(struct h_call *c, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS); /* Go sorts map keys */

	buf_adds(&c->res->out, s);
	buf_addc(&c->res->out, '\n');
	free(s);
}

/* opts: "name" for a flag, "name=" for an option taking a value ("-r=" for -r).  Accepts
 * "--name=value", "--name value", "-r value", "--name" and "--" as the end of options. */
static int parse(struct h_call *c, const char *const *opts, const char *const *argv, size_t argc, struct h_args *a)
{
	bool done = false;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < argc; i++) {
		const char *s = argv[i];
		size_t k;

		if (done || s[0] != '-' || !strcmp(s, "-")) {
			if (a->npos >= sizeof(a->pos) / sizeof(a->pos[0]))
				return fail(c, H_EXIT_USAGE, "too many arguments"), -1;
			a->pos[a->npos++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			done = true;
			continue;
		}
		const char *name = s + (s[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);

		for (k = 0; opts[k]; k++) {
			size_t ol = strcspn(opts[k], "=");

			if (ol == nl && !strncmp(opts[k], name, nl))
				break;
		}
		if (!opts[k])
			return fail(c, H_EXIT_USAGE, "option provided but not defined: %.*s", (int)(nl + (size_t)(name - s)),
				    s), -1;
		a->opt_set[k] = true;
		if (strchr(opts[k], '=')) {
			if (eq)
				a->opt_val[k] = eq + 1;
			else if (i + 1 < argc)
				a->opt_val[k] = argv[++i];
			else
				return fail(c, H_EXIT_USAGE, "flag needs an argument: %s", s), -1;
		} else if (eq) {
			bool b;

			if (strnum_bool(eq + 1, &b) < 0)
				return fail(c, H_EXIT_USAGE, "invalid boolean value \"%s\" for %.*s", eq + 1, (int)nl, name), -1;
			a->opt_set[k] = b;
		}
	}
	return 0;
}

/* The index of option name in opts. */
static int opt_index(const char *const *opts, const char *name)
{
	for (int k = 0; opts[k]; k++)
		if (!strncmp(opts[k], name, strcspn(opts[k], "=")) && strlen(name) == strcspn(opts[k], "="))
			return k;
	return -1;
}

static bool has(const char *const *opts, const struct h_args *a, const char *name)
{
	int k = opt_index(opts, name);

	return k >= 0 && a->opt_set[k];
}

static const char *val(const char *const *opts, const struct h_args *a, const char *name)
{
	int k = opt_index(opts, name);

	return k >= 0 ? a->opt_val[k] : NULL;
}

static int need_json(struct h_call *c, const char *const *opts, const struct h_args *a)
{
	const char *f = val(opts, a, "format");

	if (!f || strcmp(f, "json"))
		return fail(c, H_EXIT_USAGE, "%s: the harness answers only --format=json", c->tool), -1;
	return 0;
}

/* ---- logging, leadership, config, status ---- */

static int t_juju_log(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "log-level=", "l=", "debug", NULL };
	static const char *const levels[] = { "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", NULL };
	const char *lv;
	struct h_args a;
	size_t i;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	lv = val(opts, &a, "log-level") ? val(opts, &a, "log-level") : val(opts, &a, "l");
	if (!lv)
		lv = has(opts, &a, "debug") ? "DEBUG" : "INFO";
	for (i = 0; levels[i] && strcmp(levels[i], lv); i++)
		;
	if (!levels[i])
		return fail(c, H_EXIT_USAGE, "invalid log level \"%s\"", lv);
	if (a.npos == 0)
		return fail(c, H_EXIT_USAGE, "no message specified");
	buf_addf(&c->h->log, "%s", lv);
	for (i = 0; i < a.npos; i++)
		buf_addf(&c->h->log, " %s", a.pos[i]);
	buf_addc(&c->h->log, '\n');
	return 0;
}

static int t_is_leader(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	buf_adds(&c->res->out, c->h->leader ? "true\n" : "false\n");
	return 0;
}

static int t_config_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "all", "a", NULL };
	json_t *o, *v;
	const char *k;
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos == 1) {
		out_json(c, json_object_get(c->h->config, a.pos[0]) ? json_object_get(c->h->config, a.pos[0])
								    : json_null());
		return 0;
	}
	o = json_object();
	json_object_foreach(c->h->config, k, v)
		if (!json_is_null(v) || has(opts, &a, "all"))
			json_object_set(o, k, v);
	out_json(c, o);
	json_decref(o);
	return 0;
}

static const char *const settable[] = { "maintenance", "blocked", "waiting", "active", NULL };

static enum cairn_status status_of(const char *s)
{
	for (int i = 0; i < _CAIRN_STATUS_MAX; i++)
		if (!strcmp(cairn_status_name((enum cairn_status)i), s))
			return (enum cairn_status)i;
	return CAIRN_STATUS_UNKNOWN;
}

static int t_status_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "application", NULL };
	struct h_args a;
	size_t i;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (a.npos < 1 || a.npos > 2)
		return fail(c, H_EXIT_USAGE, "invalid args, require <status> [message]");
	for (i = 0; settable[i] && strcmp(settable[i], a.pos[0]); i++)
		;
	if (!settable[i])
		return fail(c, H_EXIT_USAGE,
			    "invalid status \"%s\", expected one of [maintenance blocked waiting active]", a.pos[0]);
	if (has(opts, &a, "application")) {
		if (!c->h->leader)
			return fail(c, H_EXIT_FAIL, "unit is not the leader");
		c->h->app_status = status_of(a.pos[0]);
		free(c->h->app_message);
		c->h->app_message = xstrdup(a.npos > 1 ? a.pos[1] : "");
	} else {
		c->h->unit_status = status_of(a.pos[0]);
		free(c->h->unit_message);
		c->h->unit_message = xstrdup(a.npos > 1 ? a.pos[1] : "");
	}
	return 0;
}

static int t_status_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "include-data", "application", NULL };
	struct h_args a;
	json_t *o;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (has(opts, &a, "application")) {
		if (!c->h->leader)
			return fail(c, H_EXIT_FAIL, "finding application status: unit is not the leader");
		o = json_pack("{s:{s:s, s:s, s:{}}}", "application-status", "status", cairn_status_name(c->h->app_status),
			      "message", c->h->app_message ? c->h->app_message : "", "status-data");
	} else {
		o = json_pack("{s:s, s:s, s:{}}", "status", cairn_status_name(c->h->unit_status), "message",
			      c->h->unit_message ? c->h->unit_message : "", "status-data");
	}
	out_json(c, o);
	json_decref(o);
	return 0;
}

static int t_app_version_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (a.npos != 1)
		return fail(c, H_EXIT_USAGE, "no version specified");
	free(c->h->ctx.version);
	c->h->ctx.version = xstrdup(a.pos[0]);
	c->h->ctx.version_set = true;
	return 0;
}

/* ---- ports ---- */

static int t_port(struct h_call *c, const char *const *argv, size_t argc, bool open)
{
	static const char *const opts[] = { "endpoints=", NULL };
	json_t *ports = c->h->ctx.ports, *e;
	struct h_args a;
	size_t i;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (a.npos != 1)
		return fail(c, H_EXIT_USAGE, "no port or range specified");
	json_array_foreach(ports, i, e)
		if (!strcmp(json_string_value(e), a.pos[0])) {
			if (!open)
				json_array_remove(ports, i);
			return 0;
		}
	if (open)
		json_array_append_new(ports, json_string(a.pos[0]));
	return 0;
}

static int t_open_port(struct h_call *c, const char *const *argv, size_t argc)
{
	return t_port(c, argv, argc, true);
}

static int t_close_port(struct h_call *c, const char *const *argv, size_t argc)
{
	return t_port(c, argv, argc, false);
}

static int t_opened_ports(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "endpoints", NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	out_json(c, c->h->ctx.ports);
	return 0;
}

/* ---- relations ---- */

/* The relation named by -r (ops forms "N" and "endpoint:N"), or an error answered. */
static struct h_relation *rel_arg(struct h_call *c, const char *ref)
{
	const char *colon;
	int64_t id;
	struct h_relation *r;

	if (!ref)
		return fail(c, H_EXIT_USAGE, "no relation id specified"), NULL;
	colon = strrchr(ref, ':');
	if (strnum_i64(colon ? colon + 1 : ref, 0, INT32_MAX, &id) < 0)
		return fail(c, H_EXIT_USAGE, "invalid value \"%s\" for option -r: invalid relation id", ref), NULL;
	r = harness_relation(c->h, (int)id);
	if (!r || r->removed || (colon && (strlen(r->endpoint) != (size_t)(colon - ref) ||
					   strncmp(r->endpoint, ref, (size_t)(colon - ref)))))
		return fail(c, H_EXIT_USAGE, "invalid value \"%s\" for option -r: relation not found", ref), NULL;
	return r;
}

static int t_relation_ids(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;
	json_t *o;
	char ref[300];

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos != 1)
		return fail(c, H_EXIT_USAGE, "no endpoint name specified");
	o = json_array();
	for (size_t i = 0; i < c->h->n_rels; i++)
		if (!c->h->rels[i].removed && !strcmp(c->h->rels[i].endpoint, a.pos[0])) {
			snprintf(ref, sizeof(ref), "%s:%d", c->h->rels[i].endpoint, c->h->rels[i].id);
			json_array_append_new(o, json_string(ref));
		}
	out_json(c, o);
	json_decref(o);
	return 0;
}

static int t_relation_list(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "r=", "app", NULL };
	struct h_relation *r;
	struct h_args a;
	json_t *app;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0 || !(r = rel_arg(c, val(opts, &a, "r"))))
		return 0;
	if (a.npos)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[0]);
	if (has(opts, &a, "app")) {
		app = json_string(r->remote_app);
		out_json(c, app);
		json_decref(app);
		return 0;
	}
	out_json(c, r->units);
	return 0;
}

/* The bag of member in relation r as this hook sees it (its own pending writes on top). */
static json_t *bag_view(struct h_call *c, struct h_relation *r, const char *member, bool app)
{
	json_t *bag = json_object_get(r->bags, member), *v, *e;
	const char *k;
	size_t i;

	bag = bag ? json_deep_copy(bag) : json_object();
	json_array_foreach(c->h->ctx.rel_sets, i, e) {
		const char *own = app ? c->h->app : c->h->unit;

		if (json_integer_value(json_object_get(e, "id")) != r->id || json_is_true(json_object_get(e, "app")) != app ||
		    strcmp(member, own))
			continue;
		json_object_foreach(json_object_get(e, "data"), k, v) {
			if (*json_string_value(v))
				json_object_set(bag, k, v);
			else
				json_object_del(bag, k);
		}
	}
	return bag;
}

static bool member_of(struct cairn_harness *h, struct h_relation *r, const char *member, bool app)
{
	size_t i;
	json_t *u;

	if (app)
		return !strcmp(member, h->app) || !strcmp(member, r->remote_app);
	if (!strcmp(member, h->unit))
		return true;
	json_array_foreach(r->units, i, u)
		if (!strcmp(json_string_value(u), member))
			return true;
	return false;
}

static int t_relation_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "r=", "app", NULL };
	struct h_relation *r;
	const char *member;
	struct h_args a;
	bool app;
	json_t *bag;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0 || !(r = rel_arg(c, val(opts, &a, "r"))))
		return 0;
	app = has(opts, &a, "app");
	/* relation-get [-r R] [--app] <key|-> <member> */
	if (a.npos != 2 || strcmp(a.pos[0], "-"))
		return fail(c, H_EXIT_USAGE, "the harness expects relation-get ... - <member>");
	member = a.pos[1];
	/* cairn's agent's texts (src/agent/tools_relation.c). */
	if (!member_of(c->h, r, member, app))
		return app ? fail(c, H_EXIT_FAIL, "permission denied")
			   : fail(c, H_EXIT_FAIL, "cannot read settings for unit \"%s\" in relation %d: settings not found",
				  member, r->id);
	/* Our own application's bag: the leader's, or any unit's in a peer relation. */
	if (app && !strcmp(member, c->h->app) && !c->h->leader && meta_role(&c->h->meta, r->endpoint) != META_ROLE_PEERS)
		return fail(c, H_EXIT_FAIL, "permission denied");
	bag = bag_view(c, r, member, app);
	out_json(c, bag);
	json_decref(bag);
	return 0;
}

static int t_relation_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "r=", "app", "file=", "format=", NULL };
	struct h_relation *r;
	struct errbuf eb;
	struct h_args a;
	json_t *doc = NULL, *data, *v;
	const char *k;

	if (parse(c, opts, argv, argc, &a) < 0 || !(r = rel_arg(c, val(opts, &a, "r"))))
		return 0;
	if (a.npos || !val(opts, &a, "file") || strcmp(val(opts, &a, "file"), "-"))
		return fail(c, H_EXIT_USAGE, "the harness expects relation-set -r R [--app] --file -");
	if (!c->in)
		return fail(c, H_EXIT_FAIL, "hook tool requires stdin, none supplied");
	if (has(opts, &a, "app") && !c->h->leader)
		return fail(c, H_EXIT_FAIL, "cannot write relation settings");
	errbuf_clear(&eb);
	if (yaml_to_json(c->in, strlen(c->in), &doc, &eb) < 0)
		return fail(c, H_EXIT_FAIL, "%s", eb.msg);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(c, H_EXIT_FAIL, "yaml: unmarshal errors: cannot unmarshal into map[string]string");
	}
	data = json_object();
	json_object_foreach(doc, k, v) {
		if (!json_is_string(v)) {
			json_decref(data);
			json_decref(doc);
			return fail(c, H_EXIT_FAIL, "yaml: unmarshal errors: value of \"%s\" is not a string", k);
		}
		json_object_set(data, k, v);
	}
	json_decref(doc);
	json_array_append_new(c->h->ctx.rel_sets,
			      json_pack("{s:i, s:b, s:o}", "id", r->id, "app", has(opts, &a, "app"), "data", data));
	return 0;
}

/* ---- leader settings, networking, goal state ---- */

static int t_leader_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos > 1)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[1]);
	if (a.npos == 1 && strcmp(a.pos[0], "-")) {
		json_t *v = json_object_get(c->h->leader_settings, a.pos[0]);

		out_json(c, v ? v : json_null());
		return 0;
	}
	out_json(c, c->h->leader_settings);
	return 0;
}

static int t_leader_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	for (size_t i = 0; i < a.npos; i++)
		if (!strchr(a.pos[i], '=') || a.pos[i][0] == '=')
			return fail(c, H_EXIT_USAGE, "expected \"key=value\", got \"%s\"", a.pos[i]);
	if (!c->h->leader)
		return fail(c, H_EXIT_FAIL, "cannot write leadership settings: cannot write settings: not the leader");
	/* Juju writes leader settings at once, not at the hook's end. */
	for (size_t i = 0; i < a.npos; i++) {
		const char *eq = strchr(a.pos[i], '=');
		char *key = xstrndup(a.pos[i], (size_t)(eq - a.pos[i]));

		if (eq[1])
			json_object_set_new(c->h->leader_settings, key, json_string(eq + 1));
		else
			json_object_del(c->h->leader_settings, key);
		free(key);
	}
	return 0;
}

static const char *address_of(struct cairn_harness *h, const char *binding)
{
	json_t *a = json_object_get(h->networks, binding);

	return json_string_value(a ? a : json_object_get(h->networks, ""));
}

static int t_network_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "r=", NULL };
	char net[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8], egress[INET6_ADDRSTRLEN + 8];
	const char *addr;
	struct h_args a;
	json_t *doc;
	bool v6;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (val(opts, &a, "r") && !rel_arg(c, val(opts, &a, "r")))
		return 0;
	if (a.npos == 0)
		return fail(c, H_EXIT_USAGE, "no arguments specified");
	if (a.npos > 1)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[1]);
	addr = address_of(c->h, a.pos[0]);
	v6 = strchr(addr, ':') != NULL;
	/* The address's /24 (IPv4) or /64 (IPv6) subnet, as a machine's interface would have. */
	if (v6) {
		struct in6_addr n6;

		inet_pton(AF_INET6, addr, &n6);
		memset(n6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &n6, net, sizeof(net));
	} else {
		struct in_addr n4;

		inet_pton(AF_INET, addr, &n4);
		n4.s_addr &= htonl(0xffffff00u);
		inet_ntop(AF_INET, &n4, net, sizeof(net));
	}
	snprintf(cidr, sizeof(cidr), "%s/%d", net, v6 ? 64 : 24);
	snprintf(egress, sizeof(egress), "%s/%d", addr, v6 ? 128 : 32);
	doc = json_pack("{s:[{s:s, s:s, s:[{s:s, s:s, s:s}]}], s:[s], s:[s]}", "bind-addresses", "mac-address", "",
			"interface-name", "eth0", "addresses", "hostname", "", "value", addr, "cidr", cidr,
			"egress-subnets", egress, "ingress-addresses", addr);
	out_json(c, doc);
	json_decref(doc);
	return 0;
}

static int t_unit_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;
	json_t *v;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos != 1)
		return fail(c, H_EXIT_USAGE, a.npos ? "unrecognized args: [\"%s\"]" : "no setting specified",
			    a.npos ? a.pos[1] : "");
	if (strcmp(a.pos[0], "private-address") && strcmp(a.pos[0], "public-address"))
		return fail(c, H_EXIT_USAGE, "unknown setting \"%s\"", a.pos[0]);
	v = json_string(address_of(c->h, ""));
	out_json(c, v);
	json_decref(v);
	return 0;
}

/* The goal state of the harness's model: this unit and its peers, and per endpoint each
 * related application and its units (all active / joined: the harness has no dying). */
static int t_goal_state(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	json_t *doc, *units, *rels, *u;
	struct h_args a;
	size_t k;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[0]);
	units = json_object();
	rels = json_object();
	json_object_set_new(units, c->h->unit, json_pack("{s:s, s:s}", "status", "active", "since", HARNESS_SINCE));
	for (size_t i = 0; i < c->h->n_rels; i++) {
		struct h_relation *r = &c->h->rels[i];
		json_t *ep;

		if (r->removed)
			continue;
		if (meta_role(&c->h->meta, r->endpoint) == META_ROLE_PEERS) {
			json_array_foreach(r->units, k, u)
				json_object_set_new(units, json_string_value(u),
						    json_pack("{s:s, s:s}", "status", "active", "since", HARNESS_SINCE));
			continue;
		}
		ep = json_object_get(rels, r->endpoint);
		if (!ep) {
			ep = json_object();
			json_object_set_new(rels, r->endpoint, ep);
		}
		json_object_set_new(ep, r->remote_app, json_pack("{s:s, s:s}", "status", "joined", "since", HARNESS_SINCE));
		json_array_foreach(r->units, k, u)
			json_object_set_new(ep, json_string_value(u),
					    json_pack("{s:s, s:s}", "status", "joined", "since", HARNESS_SINCE));
	}
	doc = json_pack("{s:o, s:o}", "units", units, "relations", rels);
	out_json(c, doc);
	json_decref(doc);
	return 0;
}

/* ---- actions ---- */

static int need_action(struct h_call *c)
{
	if (!c->h->ctx.is_action)
		return fail(c, H_EXIT_FAIL, "%s: not running an action", c->tool), -1;
	return 0;
}

static bool utf8_valid(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* action-get [KEY[.KEY...]]: the whole map, or the value at the dotted path (null when
 * there is none), as Juju's recurseMapOnKeys answers. */
static int t_action_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;
	json_t *v;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	if (a.npos > 1)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[1]);
	if (need_action(c) < 0)
		return 0;
	v = a.npos == 1 ? actionargs_lookup(c->h->ctx.params, a.pos[0]) : c->h->ctx.params;
	out_json(c, v ? v : json_null());
	return 0;
}

/* action-set KEY=VALUE...: every argument is checked before any is applied (Juju's Init),
 * and dotted keys build nested maps (actionargs_insert, Juju's addValueToMap). */
static int t_action_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct actionarg parsed[sizeof(((struct h_args *)0)->pos) / sizeof(const char *)];
	struct errbuf eb;
	struct h_args a;
	size_t n = 0;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	for (; n < a.npos; n++) {
		if (actionargs_parse(a.pos[n], ACTIONARGS_SET, &parsed[n], &eb) < 0) {
			fail(c, H_EXIT_USAGE, "%s", eb.msg);
			goto out;
		}
		/* Strict here, so that the SDK's own check of values is tested. */
		if (!utf8_valid(parsed[n].value)) {
			n++;
			fail(c, H_EXIT_USAGE, "value of \"%s\" is not valid UTF-8", a.pos[n - 1]);
			goto out;
		}
	}
	if (need_action(c) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_string(parsed[i].value);

		actionargs_insert(c->h->ctx.results, parsed[i].keys, parsed[i].n_keys, v);
		json_decref(v);
	}
out:
	for (size_t i = 0; i < n; i++)
		actionargs_done(&parsed[i]);
	return 0;
}

static int t_action_log(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct buf b = BUF_INIT;
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_action(c) < 0)
		return 0;
	if (!a.npos)
		return fail(c, H_EXIT_USAGE, "no message specified");
	buf_init(&b);
	for (size_t i = 0; i < a.npos; i++)
		buf_addf(&b, "%s%s", i ? " " : "", a.pos[i]);
	json_array_append_new(c->h->ctx.logs, json_string(buf_str(&b)));
	buf_done(&b);
	return 0;
}

static int t_action_fail(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0 || need_action(c) < 0)
		return 0;
	if (a.npos > 1)
		return fail(c, H_EXIT_USAGE, "unrecognized args: [\"%s\"]", a.pos[1]);
	c->h->ctx.failed = true;
	free(c->h->ctx.fail_message);
	c->h->ctx.fail_message = xstrdup(a.npos ? a.pos[0] : "action failed without reason given");
	return 0;
}

/* ---- controller state ---- */

static int t_state_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "strict", NULL };
	struct h_args a;
	json_t *v;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (a.npos == 0) {
		if (need_json(c, opts, &a) < 0)
			return 0;
		out_json(c, json_object_size(c->h->ctx.state) ? c->h->ctx.state : json_null());
		return 0;
	}
	v = json_object_get(c->h->ctx.state, a.pos[0]);
	if (!v && has(opts, &a, "strict"))
		return fail(c, H_EXIT_FAIL, "\"%s\" not found", a.pos[0]);
	if (val(opts, &a, "format"))
		out_json(c, v ? v : json_string(""));
	else if (v)
		buf_addf(&c->res->out, "%s\n", json_string_value(v));
	return 0;
}

static int t_state_set(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "file=", NULL };
	struct errbuf eb;
	struct h_args a;
	json_t *doc = NULL, *v;
	const char *k;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (!val(opts, &a, "file") || strcmp(val(opts, &a, "file"), "-") || a.npos)
		return fail(c, H_EXIT_USAGE, "the harness expects state-set --file -");
	if (!c->in)
		return fail(c, H_EXIT_FAIL, "hook tool requires stdin, none supplied");
	errbuf_clear(&eb);
	if (yaml_to_json(c->in, strlen(c->in), &doc, &eb) < 0 || !json_is_object(doc)) {
		json_decref(doc);
		return fail(c, H_EXIT_FAIL, "cannot parse state-set input: %s", eb.msg[0] ? eb.msg : "not a map");
	}
	json_object_foreach(doc, k, v)
		if (!json_is_string(v) || json_string_length(v) > 64 * 1024) {
			json_decref(doc);
			return fail(c, H_EXIT_FAIL, "max allowed value length (65536) exceeded or not a string");
		}
	json_object_update(c->h->ctx.state, doc);
	json_decref(doc);
	return 0;
}

static int t_state_delete(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { NULL };
	struct h_args a;

	if (parse(c, opts, argv, argc, &a) < 0)
		return 0;
	if (a.npos == 1)
		json_object_del(c->h->ctx.state, a.pos[0]);
	return 0;
}

/* ---- storage ---- */

static int t_storage_list(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", NULL };
	struct h_args a;
	json_t *o = json_array(), *v;
	const char *id;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0) {
		json_decref(o);
		return 0;
	}
	json_object_foreach(c->h->storage_locs, id, v)
		if (a.npos == 0 || (!strncmp(id, a.pos[0], strlen(a.pos[0])) && id[strlen(a.pos[0])] == '/'))
			json_array_append_new(o, json_string(id));
	out_json(c, o);
	json_decref(o);
	return 0;
}

static int t_storage_get(struct h_call *c, const char *const *argv, size_t argc)
{
	static const char *const opts[] = { "format=", "s=", NULL };
	struct h_args a;
	json_t *loc, *o;

	if (parse(c, opts, argv, argc, &a) < 0 || need_json(c, opts, &a) < 0)
		return 0;
	loc = json_object_get(c->h->storage_locs, val(opts, &a, "s") ? val(opts, &a, "s") : "");
	if (!loc)
		return fail(c, H_EXIT_FAIL, "storage \"%s\" not found", val(opts, &a, "s") ? val(opts, &a, "s") : "");
	o = json_pack("{s:s, s:O}", "kind", "filesystem", "location", loc);
	out_json(c, a.npos == 1 && !strcmp(a.pos[0], "location") ? loc : o);
	json_decref(o);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct h_call *c, const char *const *argv, size_t argc);
} h_table[] = {
	{ "action-fail", t_action_fail },
	{ "action-get", t_action_get },
	{ "action-log", t_action_log },
	{ "action-set", t_action_set },
	{ "application-version-set", t_app_version_set },
	{ "close-port", t_close_port },
	{ "config-get", t_config_get },
	{ "goal-state", t_goal_state },
	{ "is-leader", t_is_leader },
	{ "juju-log", t_juju_log },
	{ "leader-get", t_leader_get },
	{ "leader-set", t_leader_set },
	{ "network-get", t_network_get },
	{ "open-port", t_open_port },
	{ "opened-ports", t_opened_ports },
	{ "relation-get", t_relation_get },
	{ "relation-ids", t_relation_ids },
	{ "relation-list", t_relation_list },
	{ "relation-set", t_relation_set },
	{ "state-delete", t_state_delete },
	{ "state-get", t_state_get },
	{ "state-set", t_state_set },
	{ "status-get", t_status_get },
	{ "status-set", t_status_set },
	{ "storage-get", t_storage_get },
	{ "storage-list", t_storage_list },
	{ "unit-get", t_unit_get },
};

static int h_call(struct tools *t, const char *tool, const char *const *argv, size_t argc, const char *in,
		  size_t in_len, struct tools_result *res, struct cairn_error *err)
{
	struct h_tools *ht = (struct h_tools *)t;
	struct h_call c = { ht->h, tool, NULL, res };
	char *inz = in ? xstrndup(in, in_len) : NULL;

	(void)err;
	c.in = inz;
	buf_adds(&ht->h->calls, tool);
	for (size_t i = 0; i < argc; i++)
		buf_addf(&ht->h->calls, " %s", argv[i]);
	buf_addc(&ht->h->calls, '\n');
	res->code = 0;
	for (size_t i = 0; i < sizeof(h_table) / sizeof(h_table[0]); i++)
		if (!strcmp(h_table[i].name, tool)) {
			h_table[i].fn(&c, argv, argc);
			free(inz);
			return 0;
		}
	fail(&c, H_EXIT_FAIL, "bad request: unknown hook command: %s", tool);
	free(inz);
	return 0;
}

static void h_free(struct tools *t)
{
	free(t);
}

static const struct tools_ops h_ops = { h_call, h_free };

struct tools *harness_tools_new(struct cairn_harness *h)
{
	struct h_tools *t = xcalloc(1, sizeof(*t));

	t->base.ops = &h_ops;
	t->h = h;
	return &t->base;
}

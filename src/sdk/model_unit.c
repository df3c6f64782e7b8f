/* model_unit.c - leadership, workload status, workload version and ports of the unit
 * (is-leader, status-set, status-get, application-version-set, open-port, close-port,
 * opened-ports; charm-runtime.md §3.2, §3.7).  The argv forms are those of ops >= 3.5. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"
#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"

int cairn_is_leader(struct cairn_charm *ch, struct cairn_error *err)
{
	json_t *j = NULL;
	int r;

	if (ch->leader >= 0)
		return ch->leader;
	r = model_run_json(ch->tools, &j, err, "is-leader", "--format=json", NULL);
	if (r < 0)
		return r;
	if (!json_is_boolean(j)) {
		json_decref(j);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "is-leader printed something other than true or false");
	}
	ch->leader = json_is_true(j) ? 1 : 0;
	json_decref(j);
	return ch->leader;
}

int model_require_leader(struct cairn_charm *ch, struct cairn_error *err)
{
	int r = cairn_is_leader(ch, err);

	if (r < 0)
		return r;
	return r ? 0 : sdk_err(err, CAIRN_ERR_MODEL, "unit is not the leader");
}

static bool settable(enum cairn_status st)
{
	return st == CAIRN_STATUS_ACTIVE || st == CAIRN_STATUS_BLOCKED || st == CAIRN_STATUS_MAINTENANCE ||
	       st == CAIRN_STATUS_WAITING;
}

static int set_status(struct cairn_charm *ch, bool app, enum cairn_status st, const char *message,
		      struct cairn_error *err)
{
	int r;

	if (!settable(st))
		return sdk_err(err, CAIRN_ERR_INVALID, "a charm cannot set status \"%s\"", cairn_status_name(st));
	if (app) {
		/* ops refuses before asking the agent; the agent would refuse too. */
		r = model_require_leader(ch, err);
		if (r < 0)
			return r;
	}
	return tools_run(ch->tools, NULL, NULL, err, "status-set", app ? "--application=true" : "--application=false",
			 cairn_status_name(st), "--", message ? message : "", NULL);
}

int cairn_unit_set_status(struct cairn_charm *ch, enum cairn_status st, const char *message, struct cairn_error *err)
{
	return set_status(ch, false, st, message, err);
}

int cairn_app_set_status(struct cairn_charm *ch, enum cairn_status st, const char *message, struct cairn_error *err)
{
	return set_status(ch, true, st, message, err);
}

static enum cairn_status status_from_name(const char *s)
{
	for (int i = 0; i < _CAIRN_STATUS_MAX; i++)
		if (s && !strcmp(s, cairn_status_name((enum cairn_status)i)))
			return (enum cairn_status)i;
	return CAIRN_STATUS_UNKNOWN;
}

static int get_status(struct cairn_charm *ch, bool app, enum cairn_status *ret_status, const char **ret_message,
		      struct cairn_error *err)
{
	json_t *j = NULL, *s;
	int r;

	if (app) {
		r = model_require_leader(ch, err);
		if (r < 0)
			return r;
	}
	r = model_run_json(ch->tools, &j, err, "status-get", "--include-data", "--format=json",
			   app ? "--application=true" : "--application=false", NULL);
	if (r < 0)
		return r;
	s = app ? json_object_get(j, "application-status") : j;
	if (!json_is_object(s) || !json_is_string(json_object_get(s, "status"))) {
		json_decref(j);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "status-get printed no status");
	}
	if (ret_status)
		*ret_status = status_from_name(json_string_value(json_object_get(s, "status")));
	free(ch->status_message);
	ch->status_message = xstrdup(json_is_string(json_object_get(s, "message"))
					     ? json_string_value(json_object_get(s, "message"))
					     : "");
	if (ret_message)
		*ret_message = ch->status_message;
	json_decref(j);
	return 0;
}

int cairn_unit_get_status(struct cairn_charm *ch, enum cairn_status *ret_status, const char **ret_message,
			  struct cairn_error *err)
{
	return get_status(ch, false, ret_status, ret_message, err);
}

int cairn_app_get_status(struct cairn_charm *ch, enum cairn_status *ret_status, const char **ret_message,
			 struct cairn_error *err)
{
	return get_status(ch, true, ret_status, ret_message, err);
}

int cairn_set_workload_version(struct cairn_charm *ch, const char *version, struct cairn_error *err)
{
	if (!version)
		return sdk_err(err, CAIRN_ERR_INVALID, "no version");
	return tools_run(ch->tools, NULL, NULL, err, "application-version-set", "--", version, NULL);
}

/* ---- ports ---- */

/* The canonical form open-port takes: "icmp", "80/tcp", "8000-8999/udp". */
static int port_arg(const char *protocol, int from, int to, char *out, size_t n, struct cairn_error *err)
{
	if (!protocol)
		return sdk_err(err, CAIRN_ERR_INVALID, "no protocol");
	if (!strcmp(protocol, "icmp")) {
		if (from != 0 || to != 0)
			return sdk_err(err, CAIRN_ERR_INVALID, "icmp takes no port");
		snprintf(out, n, "icmp");
		return 0;
	}
	if (strcmp(protocol, "tcp") && strcmp(protocol, "udp"))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid protocol \"%s\" (tcp, udp or icmp)", protocol);
	if (from < 1 || from > 65535 || to < from || to > 65535)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid port range %d-%d", from, to);
	if (from == to)
		snprintf(out, n, "%d/%s", from, protocol);
	else
		snprintf(out, n, "%d-%d/%s", from, to, protocol);
	return 0;
}

static int port_call(struct cairn_charm *ch, const char *tool, const char *protocol, int from, int to,
		     struct cairn_error *err)
{
	char arg[64];
	int r = port_arg(protocol, from, to, arg, sizeof(arg), err);

	return r < 0 ? r : tools_run(ch->tools, NULL, NULL, err, tool, arg, NULL);
}

int cairn_open_port(struct cairn_charm *ch, const char *protocol, int port, struct cairn_error *err)
{
	return port_call(ch, "open-port", protocol, port, port, err);
}

int cairn_close_port(struct cairn_charm *ch, const char *protocol, int port, struct cairn_error *err)
{
	return port_call(ch, "close-port", protocol, port, port, err);
}

int cairn_open_port_range(struct cairn_charm *ch, const char *protocol, int from, int to, struct cairn_error *err)
{
	return port_call(ch, "open-port", protocol, from, to, err);
}

int cairn_close_port_range(struct cairn_charm *ch, const char *protocol, int from, int to, struct cairn_error *err)
{
	return port_call(ch, "close-port", protocol, from, to, err);
}

/* One opened-ports entry: "icmp", "80" (tcp implied), "80/tcp", "8000-8999/udp". */
static int parse_port(const char *s, struct cairn_port *p)
{
	char num[32];
	const char *slash = strchr(s, '/'), *dash;
	const char *proto = slash ? slash + 1 : "tcp";
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int64_t a, b;

	memset(p, 0, sizeof(*p));
	if (!strcmp(s, "icmp")) {
		snprintf(p->protocol, sizeof(p->protocol), "icmp");
		return 0;
	}
	if (n == 0 || n >= sizeof(num) || (strcmp(proto, "tcp") && strcmp(proto, "udp")))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	dash = strchr(num, '-');
	if (dash) {
		num[dash - num] = '\0';
		if (strnum_i64(num, 1, 65535, &a) < 0 || strnum_i64(dash + 1, 1, 65535, &b) < 0 || b < a)
			return -EINVAL;
	} else {
		if (strnum_i64(num, 1, 65535, &a) < 0)
			return -EINVAL;
		b = a;
	}
	snprintf(p->protocol, sizeof(p->protocol), "%s", proto);
	p->from = (int)a;
	p->to = (int)b;
	return 0;
}

int cairn_opened_ports(struct cairn_charm *ch, struct cairn_port **ret, size_t *ret_n, struct cairn_error *err)
{
	struct cairn_port *v;
	json_t *j = NULL, *e;
	size_t i, n = 0;
	int r;

	r = model_run_list(ch->tools, &j, err, "opened-ports", "--format=json", NULL);
	if (r < 0)
		return r;
	v = xcalloc(json_array_size(j) + 1, sizeof(*v));
	json_array_foreach(j, i, e) {
		if (!json_is_string(e) || parse_port(json_string_value(e), &v[n]) < 0) {
			r = sdk_err(err, CAIRN_ERR_PROTOCOL, "opened-ports printed an invalid entry");
			free(v);
			json_decref(j);
			return r;
		}
		n++;
	}
	json_decref(j);
	*ret = v;
	*ret_n = n;
	return 0;
}

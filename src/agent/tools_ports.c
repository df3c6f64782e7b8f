/* tools_ports.c - open-port, close-port, opened-ports (charm-runtime.md §3.7).
 *
 * Port ranges are parsed and checked as Juju's network.ParsePortRange does ("80" is 80/tcp,
 * "icmp" takes no port) and kept in ctx->ports in canonical form ("80/tcp",
 * "8000-8999/udp", "icmp").  Opening a range that overlaps a different open range of the
 * same protocol is refused as Juju refuses it; opening an open range or closing a closed one
 * does nothing.  Changes are buffered in the ctx and committed when the hook succeeds;
 * opened-ports reads the ctx, so it sees this hook's changes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"
#include "lib/strnum.h"

#define PORT_MAX 65535

struct port_range {
	int64_t from, to; /* -1, -1 for icmp */
	char proto[16];   /* "tcp", "udp", "icmp" once validated */
};

static const struct tool_info open_port_info = {
	"open-port", "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
	"Register a request to open a port or port range."
};
static const struct tool_info close_port_info = {
	"close-port", "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
	"Register a request to close a port or port range."
};
static const struct tool_info opened_ports_info = {
	"opened-ports", "", "List all ports or port ranges opened by the unit."
};

static void port_range_str(const struct port_range *p, struct buf *out)
{
	if (!strcmp(p->proto, "icmp"))
		buf_adds(out, "icmp");
	else if (p->from == p->to)
		buf_addf(out, "%lld/%s", (long long)p->from, p->proto);
	else
		buf_addf(out, "%lld-%lld/%s", (long long)p->from, (long long)p->to, p->proto);
}

/* strconv.Atoi with Go's error text, annotated as Juju does: `invalid port "x": ...`. */
static int parse_port(const char *s, const char *what, int64_t *ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	int r = strnum_i64(s, INT64_MIN, INT64_MAX, ret);

	if (r == 0)
		return 0;
	buf_init(&b);
	buf_adds(&b, "invalid port ");
	targ_quote(&b, what);
	buf_adds(&b, ": strconv.Atoi: parsing ");
	targ_quote(&b, s);
	buf_adds(&b, r == -ERANGE ? ": value out of range" : ": invalid syntax");
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

/* network.ParsePortRange on a lower-cased argument, then Validate(). */
static int parse_port_range(const char *arg, struct port_range *ret, struct errbuf *eb)
{
	char *s = xstrdup(arg), *slash, *dash;
	const char *proto = "tcp";
	struct port_range p;
	struct buf b = BUF_INIT;
	int r = -EINVAL;

	for (char *q = s; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	dash = strchr(s, '-');
	if (dash && strchr(dash + 1, '-')) {
		buf_init(&b);
		buf_adds(&b, "invalid port range ");
		targ_quote(&b, s);
		errbuf_set(eb, "%s", buf_str(&b));
		goto out;
	}
	if (!dash) {
		if (!strcmp(s, "icmp")) {
			p.from = p.to = -1;
		} else {
			if (parse_port(s, s, &p.from, eb) < 0)
				goto out;
			p.to = p.from;
		}
	} else {
		*dash = '\0';
		if (parse_port(s, s, &p.from, eb) < 0 || parse_port(dash + 1, dash + 1, &p.to, eb) < 0)
			goto out;
	}
	if (p.from == -1)
		proto = "icmp";
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "icmp")) {
		buf_init(&b);
		buf_adds(&b, "invalid protocol ");
		targ_quote(&b, proto);
		buf_adds(&b, ", expected \"tcp\", \"udp\", or \"icmp\"");
		errbuf_set(eb, "%s", buf_str(&b));
		goto out;
	}
	snprintf(p.proto, sizeof(p.proto), "%s", proto);
	if (!strcmp(proto, "icmp")) {
		if (p.from != -1 || p.to != -1) {
			errbuf_set(eb, "protocol \"icmp\" doesn't support any ports; got \"%lld\"",
				   (long long)p.from);
			goto out;
		}
	} else if (p.from > p.to) {
		buf_init(&b);
		port_range_str(&p, &b);
		errbuf_set(eb, "invalid port range %s", buf_str(&b));
		goto out;
	} else if (p.from < 0 || p.from > PORT_MAX || p.to < 0 || p.to > PORT_MAX) {
		errbuf_set(eb, "port range bounds must be between 0 and 65535, got %lld-%lld",
			   (long long)p.from, (long long)p.to);
		goto out;
	}
	*ret = p;
	r = 0;
out:
	buf_done(&b);
	free(s);
	return r;
}

/* The ctx's port list, created empty if the agent gave none. */
static json_t *ports_of(struct hook_ctx *ctx)
{
	if (!json_is_array(ctx->ports)) {
		json_decref(ctx->ports);
		ctx->ports = json_array();
	}
	return ctx->ports;
}

static bool same_range(const struct port_range *a, const struct port_range *b)
{
	return !strcmp(a->proto, b->proto) && a->from == b->from && a->to == b->to;
}

static bool conflicts(const struct port_range *a, const struct port_range *b)
{
	return !strcmp(a->proto, b->proto) && a->to >= b->from && b->to >= a->from;
}

/* open-port and close-port share everything but the final action. */
static int port_command(struct tool_call *c, const struct tool_info *info, bool open, int argc,
			char **argv)
{
	const char *format = "", *endpoints = "";
	struct targ_opt opts[] = {
		{ "format", TARG_STRING, NULL, &format, "deprecated format flag", "", false },
		{ "endpoints", TARG_STRING, NULL, &endpoints,
		  "a comma-delimited list of application endpoints to target with this operation",
		  "", false },
	};
	struct port_range want, have;
	struct errbuf eb;
	struct buf s = BUF_INIT, t = BUF_INIT;
	json_t *ports, *e;
	char **pos = NULL;
	int npos, code;
	size_t i, found = (size_t)-1;

	buf_init(&s);
	buf_init(&t);
	if (!tool_parse(c, info, opts, 2, NULL, argc, argv, &pos, &npos, &code))
		goto out;
	if (npos == 0) {
		code = tool_usage(c, "no port or range specified");
		goto out;
	}
	if (parse_port_range(pos[0], &want, &eb) < 0) {
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	if (*format)
		buf_addf(c->err, "--format flag deprecated for command \"%s\"", c->name);
	/* --endpoints narrows the request to some endpoints; cairn opens ports for the whole
	 * unit, which includes them, so the list is accepted and the range applied once. */
	port_range_str(&want, &s);
	ports = ports_of(c->ctx);
	json_array_foreach(ports, i, e) {
		if (!json_is_string(e) || parse_port_range(json_string_value(e), &have, &eb) < 0)
			continue;
		if (same_range(&want, &have)) {
			found = i;
			continue;
		}
		if (conflicts(&want, &have)) {
			buf_reset(&t);
			port_range_str(&have, &t);
			code = tool_fail(c, "cannot %s %s (unit \"%s\"): port range conflicts with %s "
					    "(unit \"%s\")",
					 open ? "open" : "close", buf_str(&s), c->ctx->unit,
					 buf_str(&t), c->ctx->unit);
			goto out;
		}
	}
	if (open && found == (size_t)-1) {
		json_array_append_new(ports, json_string(buf_str(&s)));
		c->ctx->dirty = true;
	} else if (!open && found != (size_t)-1) {
		json_array_remove(ports, found);
		c->ctx->dirty = true;
	}
	code = TOOLS_EXIT_OK;
out:
	buf_done(&s);
	buf_done(&t);
	free(pos);
	return code;
}

int tool_open_port(struct tool_call *c, int argc, char **argv)
{
	return port_command(c, &open_port_info, true, argc, argv);
}

int tool_close_port(struct tool_call *c, int argc, char **argv)
{
	return port_command(c, &close_port_info, false, argc, argv);
}

/* network.SortPortRanges: by protocol, then first port, then last port. */
static int cmp_range(const void *x, const void *y)
{
	const struct port_range *a = x, *b = y;
	int r = strcmp(a->proto, b->proto);

	if (r)
		return r;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return 0;
}

int tool_opened_ports(struct tool_call *c, int argc, char **argv)
{
	bool show_endpoints = false;
	struct tool_output o;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		{ "endpoints", TARG_BOOL, &show_endpoints, NULL,
		  "display the list of target application endpoints for each port range", "false",
		  false },
	};
	struct port_range *ranges = NULL;
	struct errbuf eb;
	struct buf s = BUF_INIT;
	json_t *ports, *e, *res = NULL;
	char **pos = NULL;
	int npos, code;
	size_t i, n = 0;

	if (!tool_parse(c, &opened_ports_info, opts, 3, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos) {
		targ_unrecognized(&eb, pos, npos);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	ports = ports_of(c->ctx);
	ranges = xcalloc(json_array_size(ports) + 1, sizeof(*ranges));
	json_array_foreach(ports, i, e) {
		struct port_range p;
		bool dup = false;

		if (!json_is_string(e) || parse_port_range(json_string_value(e), &p, &eb) < 0)
			continue;
		for (size_t j = 0; j < n; j++)
			dup = dup || same_range(&ranges[j], &p);
		if (!dup)
			ranges[n++] = p;
	}
	qsort(ranges, n, sizeof(*ranges), cmp_range);
	buf_init(&s);
	res = json_array();
	for (i = 0; i < n; i++) {
		buf_reset(&s);
		port_range_str(&ranges[i], &s);
		if (show_endpoints)
			buf_adds(&s, " (*)");
		json_array_append_new(res, json_string(buf_str(&s)));
	}
	buf_done(&s);
	code = tool_emit(c, &o, res);
out:
	json_decref(res);
	free(ranges);
	free(pos);
	return code;
}

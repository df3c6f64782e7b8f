/* podnet.c - pod network namespaces and CNI ADD/DEL; see podnet.h.
 *
 * A request is a list of steps decided when it starts (namespace add/delete, one CNI call per
 * plugin), run one after the other, each as a child. */
#include "podnet.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "podname.h"
#include "tool.h"

#define PODNET_RESULT_MAX (1u << 20)
#define PODNET_STEPS_MAX 16

enum step_kind { STEP_NETNS_ADD, STEP_NETNS_DEL, STEP_CNI, STEP_LINK_DEL };

struct step {
	enum step_kind kind;
	const char *command;   /* "ADD" / "DEL" */
	int plugin;            /* index in the conflist, -1 = loopback */
	bool best_effort;      /* a failure does not stop the request or set its status */
};

struct podnet_req {
	struct loop *l;
	const struct podnet *n;
	char *name, *netns_path, *result_path;
	bool attach;
	bool have_netns;         /* the namespace exists (CNI_NETNS is set) */
	struct step steps[PODNET_STEPS_MAX];
	size_t n_steps, cur;
	json_t *prev;            /* result of the last ADD, or the cached one for DEL */
	int status;
	char msg[ERRBUF_SIZE];
	struct tool_req *tool;
	struct loop_timer *timer;
	podnet_cb cb;
	void *data;
};

int podnet_netns_name_ok(const char *s)
{
	return podname_ok(s, PODNET_NETNS_NAME_MAX, PODNAME_IFACE);
}

int podnet_init(struct podnet *n, const struct cni_net_opts *o, const char *cni_dir, const char *ip,
		const char *conflist_path, struct errbuf *eb)
{
	char *text;
	int r;

	memset(n, 0, sizeof(*n));
	n->conflist = cni_conflist(o, eb);
	if (!n->conflist)
		return -EINVAL;
	n->loopback = cni_loopback_conf(o->name);
	n->cni_dir = xstrdup(cni_dir);
	n->ip = xstrdup(ip);
	n->bridge = xstrdup(o->bridge);
	text = json_dumps(n->conflist, JSON_INDENT(2));
	r = fs_write_atomic(conflist_path, text, strlen(text), 0644);
	free(text);
	if (r < 0) {
		errbuf_set(eb, "cannot write %s: %s", conflist_path, strerror(-r));
		podnet_done(n);
		return r;
	}
	return 0;
}

void podnet_done(struct podnet *n)
{
	if (!n)
		return;
	json_decref(n->conflist);
	json_decref(n->loopback);
	free(n->cni_dir);
	free(n->ip);
	free(n->bridge);
	memset(n, 0, sizeof(*n));
}

static void req_free(struct podnet_req *r)
{
	tool_abandon(r->tool);
	loop_timer_free(r->timer);
	json_decref(r->prev);
	free(r->name);
	free(r->netns_path);
	free(r->result_path);
	free(r);
}

void podnet_cancel(struct podnet_req *r)
{
	if (r)
		req_free(r);
}

static void finish(struct podnet_req *r)
{
	struct cni_result res;
	bool have_res = false;
	struct errbuf eb;
	podnet_cb cb = r->cb;
	void *data = r->data;
	int status = r->status;
	char msg[ERRBUF_SIZE];

	snprintf(msg, sizeof(msg), "%s", r->msg);
	if (status == 0 && r->attach) {
		char *text = json_dumps(r->prev, JSON_COMPACT);
		int w = text ? fs_write_atomic(r->result_path, text, strlen(text), 0600) : -ENOMEM;

		if (w < 0) {
			status = w;
			snprintf(msg, sizeof(msg), "cannot write %s: %s", r->result_path, strerror(-w));
		} else if (cni_result_parse(text, strlen(text), &res, &eb) < 0) {
			status = -EBADMSG;
			snprintf(msg, sizeof(msg), "CNI ADD: %.480s", eb.msg);
		} else {
			have_res = true;
		}
		free(text);
	}
	if (!r->attach && r->result_path[0])
		unlink(r->result_path);
	r->tool = NULL;
	req_free(r);
	cb(data, status, have_res ? &res : NULL, status ? msg : NULL);
}

static void next_step(struct podnet_req *r);

static void step_failed(struct podnet_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void step_failed(struct podnet_req *r, int status, const char *fmt, ...)
{
	const struct step *st = &r->steps[r->cur];
	va_list ap;

	if (st->best_effort) {
		r->cur++;
		next_step(r);
		return;
	}
	if (r->status == 0) {
		r->status = status;
		va_start(ap, fmt);
		vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
		va_end(ap);
	}
	if (r->attach) {
		/* An attach stops at its first failure. */
		finish(r);
		return;
	}
	r->cur++;
	next_step(r);
}

static void on_step_done(void *data, const struct tool_result *res)
{
	struct podnet_req *r = data;
	const struct step *st = &r->steps[r->cur];
	struct errbuf eb;

	r->tool = NULL;
	if (res->status != 0 && st->kind == STEP_LINK_DEL && strstr(res->err_tail, "Cannot find device")) {
		r->cur++;
		next_step(r);
		return;
	}
	if (res->status != 0) {
		char reason[ERRBUF_SIZE];

		if (st->kind == STEP_CNI)
			cni_error_reason(res->out->data, res->out->len, reason, sizeof(reason));
		else
			reason[0] = '\0';
		if (reason[0]) {
			step_failed(r, -EIO, "%s: %s", res->what, reason);
		} else {
			tool_result_error(res, &eb);
			step_failed(r, res->status < 0 ? res->status : -EIO, "%s", eb.msg);
		}
		return;
	}
	if (st->kind == STEP_CNI && strcmp(st->command, "ADD") == 0) {
		json_error_t jerr;
		json_t *v = json_loadb(res->out->data, res->out->len, 0, &jerr);

		if (!json_is_object(v)) {
			json_decref(v);
			step_failed(r, -EBADMSG, "%s: result is not a JSON object", res->what);
			return;
		}
		if (st->plugin >= 0) {
			json_decref(r->prev);
			r->prev = v;
		} else {
			json_decref(v); /* loopback's result is not part of the network's chain */
		}
	}
	r->cur++;
	next_step(r);
}

static int run_cni(struct podnet_req *r, const struct step *st, struct errbuf *eb)
{
	const struct podnet *n = r->n;
	json_t *conf;
	const char *type;
	char *text, *plugin, *what;
	char *env[8];
	int rv;

	if (st->plugin < 0)
		conf = json_incref(n->loopback);
	else
		conf = cni_plugin_conf(n->conflist, (size_t)st->plugin, r->prev, eb);
	if (!conf)
		return -EINVAL;
	type = json_string_value(json_object_get(conf, "type"));
	text = json_dumps(conf, JSON_COMPACT);
	plugin = xasprintf("%s/%s", n->cni_dir, type);
	what = xasprintf("CNI %s %s", type, st->command);
	env[0] = xasprintf("CNI_COMMAND=%s", st->command);
	env[1] = xasprintf("CNI_CONTAINERID=%s", r->name);
	env[2] = xasprintf("CNI_NETNS=%s", r->have_netns ? r->netns_path : "");
	env[3] = xasprintf("CNI_IFNAME=%s", st->plugin < 0 ? "lo" : CNI_IFNAME);
	env[4] = xasprintf("CNI_PATH=%s", n->cni_dir);
	env[5] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[6] = NULL;
	{
		char *argv[] = { plugin, NULL };
		struct tool_opts o = {
			.what = what, .argv = argv, .env = env, .input = text, .input_len = strlen(text),
			.timeout_ms = PODNET_TOOL_TIMEOUT_MS, .pass_fd = -1, .cb = on_step_done, .data = r,
		};

		rv = tool_run(r->l, &o, &r->tool, eb);
	}
	for (int i = 0; env[i]; i++)
		free(env[i]);
	free(what);
	free(plugin);
	free(text);
	json_decref(conf);
	return rv;
}

static int run_ip(struct podnet_req *r, const char *verb, struct errbuf *eb)
{
	char *what = xasprintf("ip netns %s %s", verb, r->name);
	char *argv[] = { r->n->ip, "netns", (char *)verb, r->name, NULL };
	struct tool_opts o = {
		.what = what, .argv = argv, .timeout_ms = PODNET_TOOL_TIMEOUT_MS, .pass_fd = -1, .cb = on_step_done,
		.data = r,
	};
	int rv = tool_run(r->l, &o, &r->tool, eb);

	free(what);
	return rv;
}

static int run_link_del(struct podnet_req *r, struct errbuf *eb)
{
	char *what = xasprintf("ip link delete %s", r->n->bridge);
	char *argv[] = { r->n->ip, "link", "delete", r->n->bridge, NULL };
	char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	struct tool_opts o = {
		.what = what, .argv = argv, .env = env, .timeout_ms = PODNET_TOOL_TIMEOUT_MS, .pass_fd = -1,
		.cb = on_step_done, .data = r,
	};
	int rv = tool_run(r->l, &o, &r->tool, eb);

	free(what);
	return rv;
}

static void next_step(struct podnet_req *r)
{
	struct errbuf eb;
	int rv;

	if (r->cur >= r->n_steps) {
		finish(r);
		return;
	}
	const struct step *st = &r->steps[r->cur];

	switch (st->kind) {
	case STEP_NETNS_ADD:
		rv = run_ip(r, "add", &eb);
		break;
	case STEP_NETNS_DEL:
		rv = run_ip(r, "delete", &eb);
		break;
	case STEP_LINK_DEL:
		rv = run_link_del(r, &eb);
		break;
	default:
		rv = run_cni(r, st, &eb);
		break;
	}
	if (rv < 0)
		step_failed(r, rv, "%s", eb.msg);
}

static void on_start_timer(struct loop_timer *t, void *data)
{
	(void)t;
	next_step(data);
}

static void add_step(struct podnet_req *r, enum step_kind k, const char *cmd, int plugin, bool best_effort)
{
	if (r->n_steps < PODNET_STEPS_MAX)
		r->steps[r->n_steps++] = (struct step){ k, cmd, plugin, best_effort };
}

static json_t *load_cached(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	struct cni_result res;
	struct errbuf eb;

	buf_init(&b);
	if (fs_read_file(path, PODNET_RESULT_MAX, &b) == 0 && cni_result_parse(b.data, b.len, &res, &eb) == 0)
		v = json_loadb(b.data, b.len, 0, NULL);
	buf_done(&b);
	return v;
}

static struct podnet_req *req_new(struct loop *l, const struct podnet *n, const char *name, const char *result_path,
				  bool attach, podnet_cb cb, void *data)
{
	struct podnet_req *r = xcalloc(1, sizeof(*r));
	struct stat st;

	r->l = l;
	r->n = n;
	r->name = xstrdup(name);
	r->netns_path = xasprintf("%s/%s", PODNET_NETNS_DIR, name);
	r->result_path = xstrdup(result_path);
	r->attach = attach;
	r->cb = cb;
	r->data = data;
	r->timer = loop_timer_new(l, on_start_timer, r);
	r->have_netns = stat(r->netns_path, &st) == 0;
	return r;
}

int podnet_attach(struct loop *l, const struct podnet *n, const char *name, const char *result_path, podnet_cb cb,
		  void *data, struct podnet_req **ret, struct errbuf *eb)
{
	struct podnet_req *r;
	size_t np = cni_plugin_count(n->conflist);

	if (!podnet_netns_name_ok(name))
		return errbuf_set(eb, "network namespace name \"%s\" is invalid", name), -EINVAL;
	r = req_new(l, n, name, result_path, true, cb, data);
	if (r->have_netns) {
		r->prev = load_cached(result_path);
		if (!r->prev) {
			/* A namespace without a result: an attach died half-way.  Undo it first. */
			for (size_t i = np; i-- > 0;)
				add_step(r, STEP_CNI, "DEL", (int)i, true);
			add_step(r, STEP_CNI, "DEL", -1, true);
		}
	} else {
		add_step(r, STEP_NETNS_ADD, NULL, 0, false);
		r->have_netns = true; /* for the CNI steps that follow */
	}
	if (!r->prev) {
		add_step(r, STEP_CNI, "ADD", -1, false);
		for (size_t i = 0; i < np; i++)
			add_step(r, STEP_CNI, "ADD", (int)i, false);
	}
	loop_timer_arm_in(r->timer, 0);
	if (ret)
		*ret = r;
	return 0;
}

int podnet_detach(struct loop *l, const struct podnet *n, const char *name, const char *result_path,
		  podnet_cb cb, void *data, struct podnet_req **ret, struct errbuf *eb)
{
	struct podnet_req *r;
	size_t np = cni_plugin_count(n->conflist);

	if (!podnet_netns_name_ok(name))
		return errbuf_set(eb, "network namespace name \"%s\" is invalid", name), -EINVAL;
	r = req_new(l, n, name, result_path, false, cb, data);
	r->prev = load_cached(result_path);
	for (size_t i = np; i-- > 0;)
		add_step(r, STEP_CNI, "DEL", (int)i, false);
	if (r->have_netns) {
		add_step(r, STEP_CNI, "DEL", -1, true);
		add_step(r, STEP_NETNS_DEL, NULL, 0, false);
	}
	loop_timer_arm_in(r->timer, 0);
	if (ret)
		*ret = r;
	return 0;
}

int podnet_destroy(struct loop *l, const struct podnet *n, podnet_cb cb, void *data, struct podnet_req **ret,
		   struct errbuf *eb)
{
	struct podnet_req *r;

	(void)eb;
	r = req_new(l, n, "-", "", false, cb, data);
	r->have_netns = false;
	add_step(r, STEP_LINK_DEL, NULL, 0, false);
	loop_timer_arm_in(r->timer, 0);
	if (ret)
		*ret = r;
	return 0;
}

/* podctl - a test driver for the pod module (tests only; never installed).
 *
 * It plays the part stage 2 gives the unit agent: one loop, one pod runtime, commands in,
 * events out.  Commands are JSON objects, one per line on stdin; every answer and event is a
 * JSON object on one line of stdout:
 *
 *   {"cmd":"import","tag":T,"path":P}          -> {"event":"imported","tag":T,"status":0,
 *                                                   "digest":D,"config":{...}} or status<0 + msg
 *   {"cmd":"start","pod":ID,"dir":DIR,"restart":true,"hostname":H,
 *    "containers":[{"name":N,"image":D,"mounts":[{"source":S,"target":T,"readonly":B}],
 *                   "uid":U,"gid":G}]}          -> {"event":"started"} or {"event":"error"}, then
 *                                                   the pod's events: network, ready, exited,
 *                                                   failed, removed (with "pod", "container", ...)
 *   {"cmd":"restart","pod":ID,"container":N,"image":D?}
 *   {"cmd":"remove","pod":ID}                  -> ... {"event":"removed","pod":ID}
 *   {"cmd":"info","pod":ID,"container":N}      -> {"event":"info","pid":P,"runc_id":R,"address":A}
 *   {"cmd":"refs","digest":D}                  -> {"event":"refs","refs":N,"present":B}
 *   {"cmd":"image_remove","digest":D}          -> {"event":"image_removed","status":S,"msg":M}
 *   {"cmd":"gc"}                               -> {"event":"gc"}
 *   {"cmd":"sync"}                             -> {"event":"synced"} once no deletion runs
 *   {"cmd":"remove_network"}                   -> {"event":"network_removed","status":S,"msg":M}
 *   {"cmd":"exit"}                             -> detaches everything (pods keep running), exits
 *
 * With "restart": true the driver restarts a container when it exits, as the agent will (and
 * the next ready event carries the new boot id).  Options name the runtime:
 *   podctl --store DIR --scree PATH --prefix P --bridge B --subnet CIDR [--network N] [--subreaper] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/loop.h"
#include "pod/image_store.h"
#include "pod/pod.h"

#define LINE_MAX_BYTES (1u << 20)

struct tracked {
	struct pod *p;
	char *id;
	bool restart;
	struct tracked *next;
};

static struct loop *loop;
static struct pod_runtime *rt;
static struct tracked *pods;
static struct buf inbuf;
static bool sync_wanted;

static void out(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(v);
}

static void out_error(const char *msg)
{
	out(json_pack("{s:s,s:s}", "event", "error", "msg", msg));
}

static struct tracked *find(const char *id)
{
	for (struct tracked *t = pods; t; t = t->next)
		if (id && strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static void untrack(struct tracked *t)
{
	for (struct tracked **pp = &pods; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	free(t->id);
	free(t);
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *config_json(const struct image_config *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "os", json_string(c->os));
	json_object_set_new(o, "architecture", json_string(c->architecture));
	json_object_set_new(o, "env", strv_json(c->env));
	json_object_set_new(o, "working_dir", c->working_dir ? json_string(c->working_dir) : json_null());
	json_object_set_new(o, "user", c->user ? json_string(c->user) : json_null());
	json_object_set_new(o, "entrypoint", strv_json(c->entrypoint));
	json_object_set_new(o, "cmd", strv_json(c->cmd));
	return o;
}

static void on_imported(void *data, int status, const struct image *img, const char *msg)
{
	char *tag = data;
	json_t *ev = json_pack("{s:s,s:s,s:i}", "event", "imported", "tag", tag, "status", status);

	if (status == 0) {
		json_object_set_new(ev, "digest", json_string(img->digest));
		json_object_set_new(ev, "config", config_json(&img->config));
	} else {
		json_object_set_new(ev, "errno", json_string(strerrorname_np(-status) ? strerrorname_np(-status) : "?"));
		json_object_set_new(ev, "msg", json_string(msg ? msg : ""));
	}
	free(tag);
	out(ev);
}

static void on_pod_event(void *data, struct pod *p, const struct pod_event *ev)
{
	struct tracked *t = data;
	json_t *o = json_pack("{s:s,s:s}", "event", pod_event_name(ev->kind), "pod", t->id);

	if (ev->container)
		json_object_set_new(o, "container", json_string(ev->container));
	if (ev->boot_id)
		json_object_set_new(o, "boot_id", json_string(ev->boot_id));
	if (ev->kind == POD_EV_READY)
		json_object_set_new(o, "adopted", json_boolean(ev->adopted));
	if (ev->address)
		json_object_set_new(o, "address", json_string(ev->address));
	if (ev->error)
		json_object_set_new(o, "error", json_string(ev->error));
	if (ev->kind == POD_EV_READY && ev->container)
		json_object_set_new(o, "pid", json_integer(pod_container_pid(p, ev->container)));
	out(o);
	if (ev->kind == POD_EV_EXITED && t->restart) {
		struct errbuf eb;

		if (pod_container_restart(p, ev->container, NULL, &eb) < 0)
			out_error(eb.msg);
	}
	if (ev->kind == POD_EV_REMOVED) {
		pod_free(p);
		untrack(t);
	}
}

static void cmd_start(json_t *c)
{
	struct pod_container_spec specs[POD_CONTAINERS_MAX];
	struct bundle_mount mounts[POD_CONTAINERS_MAX][8];
	json_t *cs = json_object_get(c, "containers");
	const char *id = json_string_value(json_object_get(c, "pod"));
	struct pod_opts o = { 0 };
	struct tracked *t;
	struct errbuf eb;
	size_t n = json_array_size(cs);

	if (!id || find(id)) {
		out_error("start: no pod id, or the pod is already started");
		return;
	}
	if (n > POD_CONTAINERS_MAX)
		n = POD_CONTAINERS_MAX;
	memset(specs, 0, sizeof(specs));
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(cs, i), *ms = json_object_get(s, "mounts");

		specs[i].name = json_string_value(json_object_get(s, "name"));
		specs[i].image = json_string_value(json_object_get(s, "image"));
		for (size_t k = 0; k < json_array_size(ms) && k < 8; k++) {
			json_t *m = json_array_get(ms, k);

			mounts[i][k].source = json_string_value(json_object_get(m, "source"));
			mounts[i][k].target = json_string_value(json_object_get(m, "target"));
			mounts[i][k].readonly = json_is_true(json_object_get(m, "readonly"));
			specs[i].n_mounts = k + 1;
		}
		specs[i].mounts = mounts[i];
		if (json_is_integer(json_object_get(s, "uid"))) {
			specs[i].set_ids = true;
			specs[i].uid = (uid_t)json_integer_value(json_object_get(s, "uid"));
			specs[i].gid = (gid_t)json_integer_value(json_object_get(s, "gid"));
		}
	}
	t = calloc(1, sizeof(*t));
	t->id = strdup(id);
	t->restart = json_is_true(json_object_get(c, "restart"));
	o.id = id;
	o.dir = json_string_value(json_object_get(c, "dir"));
	o.hostname = json_string_value(json_object_get(c, "hostname"));
	o.containers = specs;
	o.n_containers = n;
	o.event = on_pod_event;
	o.data = t;
	if (pod_start(rt, &o, &t->p, &eb) < 0) {
		free(t->id);
		free(t);
		out_error(eb.msg);
		return;
	}
	t->next = pods;
	pods = t;
	out(json_pack("{s:s,s:s}", "event", "started", "pod", id));
}

static void on_idle(void *data)
{
	(void)data;
	if (sync_wanted) {
		sync_wanted = false;
		out(json_pack("{s:s}", "event", "synced"));
	}
}

static void on_network_removed(void *data, int status, const char *msg)
{
	(void)data;
	out(json_pack("{s:s,s:i,s:s}", "event", "network_removed", "status", status, "msg", msg ? msg : ""));
}

static void shutdown_all(void)
{
	while (pods) {
		pod_detach(pods->p);
		untrack(pods);
	}
	pod_runtime_free(rt);
	rt = NULL;
	loop_stop(loop);
}

static void command(json_t *c)
{
	const char *cmd = json_string_value(json_object_get(c, "cmd"));
	struct errbuf eb;

	if (!cmd) {
		out_error("no cmd");
	} else if (strcmp(cmd, "import") == 0) {
		const char *tag = json_string_value(json_object_get(c, "tag"));
		char *t = strdup(tag ? tag : "");

		if (image_import(pod_runtime_images(rt), json_string_value(json_object_get(c, "path")), on_imported, t,
				 NULL, &eb) < 0) {
			free(t);
			out(json_pack("{s:s,s:s,s:i,s:s}", "event", "imported", "tag", tag ? tag : "", "status", -EINVAL,
				      "msg", eb.msg));
		}
	} else if (strcmp(cmd, "start") == 0) {
		cmd_start(c);
	} else if (strcmp(cmd, "restart") == 0) {
		struct tracked *t = find(json_string_value(json_object_get(c, "pod")));

		if (!t)
			out_error("restart: no such pod");
		else if (pod_container_restart(t->p, json_string_value(json_object_get(c, "container")),
					       json_string_value(json_object_get(c, "image")), &eb) < 0)
			out_error(eb.msg);
		else
			out(json_pack("{s:s}", "event", "restarting"));
	} else if (strcmp(cmd, "remove") == 0) {
		struct tracked *t = find(json_string_value(json_object_get(c, "pod")));

		if (!t)
			out_error("remove: no such pod");
		else
			pod_remove(t->p);
	} else if (strcmp(cmd, "info") == 0) {
		struct tracked *t = find(json_string_value(json_object_get(c, "pod")));
		const char *name = json_string_value(json_object_get(c, "container"));

		if (!t) {
			out_error("info: no such pod");
			return;
		}
		out(json_pack("{s:s,s:i,s:s?,s:s,s:s}", "event", "info", "pid", (int)pod_container_pid(t->p, name),
			      "runc_id", pod_container_runc_id(t->p, name), "address", pod_address(t->p), "netns",
			      pod_netns_path(t->p)));
	} else if (strcmp(cmd, "refs") == 0) {
		const char *d = json_string_value(json_object_get(c, "digest"));

		out(json_pack("{s:s,s:i,s:b}", "event", "refs", "refs",
			      (int)image_rootfs_refs(pod_runtime_images(rt), d ? d : ""), "present",
			      image_store_get(pod_runtime_images(rt), d) != NULL));
	} else if (strcmp(cmd, "image_remove") == 0) {
		int r = image_store_remove(pod_runtime_images(rt), json_string_value(json_object_get(c, "digest")), &eb);

		out(json_pack("{s:s,s:i,s:s}", "event", "image_removed", "status", r, "msg", r < 0 ? eb.msg : ""));
	} else if (strcmp(cmd, "remove_network") == 0) {
		int r = pod_runtime_remove_network(rt, on_network_removed, NULL, &eb);

		if (r < 0)
			out(json_pack("{s:s,s:i,s:s}", "event", "network_removed", "status", r, "msg", eb.msg));
	} else if (strcmp(cmd, "gc") == 0) {
		pod_runtime_gc(rt);
		out(json_pack("{s:s}", "event", "gc"));
	} else if (strcmp(cmd, "sync") == 0) {
		sync_wanted = true;
		if (image_store_pending(pod_runtime_images(rt)) == 0)
			on_idle(NULL);
	} else if (strcmp(cmd, "exit") == 0) {
		shutdown_all();
	} else {
		out_error("unknown cmd");
	}
}

static void on_stdin(struct loop_io *io, int fd, uint32_t events, void *data)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	(void)events;
	(void)data;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		loop_io_free(io);
		if (rt)
			shutdown_all();
		return;
	}
	buf_add(&inbuf, chunk, (size_t)n);
	for (;;) {
		char *nl = memchr(inbuf.data, '\n', inbuf.len);
		json_t *c;

		if (!nl)
			break;
		*nl = '\0';
		c = json_loads(inbuf.data, 0, NULL);
		buf_consume(&inbuf, (size_t)(nl - inbuf.data) + 1);
		if (!json_is_object(c))
			out_error("not a JSON object");
		else if (rt)
			command(c);
		json_decref(c);
		if (!rt) {
			loop_io_free(io);
			return;
		}
	}
	if (inbuf.len > LINE_MAX_BYTES) {
		out_error("line too long");
		buf_reset(&inbuf);
	}
}

static void on_signal(struct loop *l, int signo, void *data)
{
	(void)l;
	(void)signo;
	(void)data;
	if (rt)
		shutdown_all();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },  { "scree", required_argument, NULL, 'S' },
		{ "prefix", required_argument, NULL, 'p' }, { "bridge", required_argument, NULL, 'b' },
		{ "subnet", required_argument, NULL, 'n' }, { "network", required_argument, NULL, 'N' },
		{ "subreaper", no_argument, NULL, 'r' },    { NULL, 0, NULL, 0 },
	};
	struct pod_runtime_opts o = { .network = "cairn-test" };
	struct errbuf eb;
	struct loop_io *in;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.store_dir = optarg; break;
		case 'S': o.scree_path = optarg; break;
		case 'p': o.prefix = optarg; break;
		case 'b': o.bridge = optarg; break;
		case 'n': o.subnet = optarg; break;
		case 'N': o.network = optarg; break;
		case 'r': prctl(PR_SET_CHILD_SUBREAPER, 1); break;
		default:
			fprintf(stderr, "usage: podctl --store DIR --scree PATH --prefix P --bridge B --subnet CIDR "
					"[--network N] [--subreaper]\n");
			return 2;
		}
	}
	if (loop_new(&loop) < 0)
		return 1;
	if (pod_runtime_new(loop, &o, &rt, &eb) < 0) {
		out(json_pack("{s:s,s:s}", "event", "error", "msg", eb.msg));
		return 1;
	}
	image_store_set_idle_cb(pod_runtime_images(rt), on_idle, NULL);
	buf_init(&inbuf);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	in = loop_io_new(loop, 0, EPOLLIN, on_stdin, NULL);
	(void)in;
	loop_add_signal(loop, SIGTERM, on_signal, NULL);
	loop_add_signal(loop, SIGINT, on_signal, NULL);
	out(json_pack("{s:s}", "event", "hello"));
	loop_run(loop);
	buf_done(&inbuf);
	loop_free(loop);
	return 0;
}

/* agent_io_real.c - the machine agent's real effects; see agent_io_real.h. */
#include "agent/agent_io_real.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent/notices.h"
#include "http/http_aclient.h"
#include "lib/buf.h"
#include "lib/fsutil.h"

struct agent_timer {
	struct loop_timer *t;
	void (*cb)(void *arg);
	void *arg;
};

static uint64_t r_now_ms(void *data)
{
	(void)data;
	return loop_now_ms();
}

static uint64_t r_mono_ns(void *data)
{
	(void)data;
	return loop_now_ns();
}

static uint64_t r_wall_ns(void *data)
{
	(void)data;
	return loop_wall_ns();
}

/* xorshift seeded once from the kernel: jitter needs no quality, only no file per call. */
static double r_random(void *data)
{
	static uint64_t s;

	(void)data;
	if (!s && (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s) || !s))
		s = loop_wall_ns() | 1;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (double)(s >> 11) / (double)(1ull << 53);
}

static void timer_fire(struct loop_timer *lt, void *data)
{
	struct agent_timer *t = data;

	(void)lt;
	t->cb(t->arg);
}

static struct agent_timer *r_timer_new(void *data, void (*cb)(void *arg), void *arg)
{
	struct agent_real *r = data;
	struct agent_timer *t = xcalloc(1, sizeof(*t));

	t->cb = cb;
	t->arg = arg;
	t->t = loop_timer_new(r->l, timer_fire, t);
	return t;
}

static void r_timer_arm(void *data, struct agent_timer *t, uint64_t delay_ms)
{
	(void)data;
	loop_timer_arm_in(t->t, delay_ms);
}

static void r_timer_disarm(void *data, struct agent_timer *t)
{
	(void)data;
	loop_timer_disarm(t->t);
}

static bool r_timer_armed(void *data, struct agent_timer *t)
{
	(void)data;
	return loop_timer_armed(t->t);
}

static void r_timer_free(void *data, struct agent_timer *t)
{
	(void)data;
	if (!t)
		return;
	loop_timer_free(t->t);
	free(t);
}

static void r_defer(void *data, void (*cb)(void *arg), void *arg)
{
	struct agent_real *r = data;

	loop_defer(r->l, cb, arg);
}

static int r_hook_start(void *data, const struct hookrun_env *env, const struct hookrun_cbs *cbs,
			struct hookrun **ret, struct errbuf *eb)
{
	struct agent_real *r = data;
	struct hookrun_env e = *env;

	/* The private mount of /charm/containers needs the mount point to exist. */
	if (e.containers_dir && !r->containers_mount_tried) {
		r->containers_mount_tried = true;
		r->containers_mount_ok = fs_mkdir_p(HOOKRUN_CONTAINERS_MOUNT, 0755) == 0;
	}
	if (!r->containers_mount_ok)
		e.containers_dir = NULL;
	return hookrun_start(r->l, &e, cbs, ret, eb);
}

static void r_hook_kill(void *data, struct hookrun *h, int sig)
{
	(void)data;
	hookrun_kill(h, sig);
}

static pid_t r_hook_pid(void *data, struct hookrun *h)
{
	(void)data;
	return hookrun_pid(h);
}

static void r_hook_free(void *data, struct hookrun *h)
{
	(void)data;
	hookrun_free(h);
}

static int r_workload_start(void *data, const struct workload_opts *o, struct workload **ret)
{
	struct agent_real *r = data;

	return workload_start(r->l, o, ret);
}

static void r_workload_restart(void *data, struct workload *w)
{
	(void)data;
	workload_restart(w);
}

static void r_workload_destroy(void *data, struct workload *w)
{
	(void)data;
	workload_destroy(w);
}

static void r_workload_detach(void *data, struct workload *w)
{
	(void)data;
	workload_detach(w);
}

static bool r_workload_settled(void *data, struct workload *w)
{
	(void)data;
	return workload_settled(w);
}

/* The request is the http_aclient request itself. */
static int r_pebble_get(void *data, const char *socket_path, const char *target, uint64_t timeout_ms,
			void (*done)(void *arg, int status, const char *body, size_t len,
				     const char *error),
			void *arg, struct agent_pebble_req **ret)
{
	struct agent_real *r = data;
	struct http_aclient_opts o = {
		.socket_path = socket_path, .target = target, .timeout_ms = timeout_ms,
		.max_body = NOTICES_MAX_BODY, .done = done, .data = arg,
	};
	struct http_areq *q;
	struct errbuf eb;
	int rv = http_aclient_get(r->l, &o, &q, &eb);

	if (rv == 0)
		*ret = (struct agent_pebble_req *)q;
	return rv;
}

static void r_pebble_cancel(void *data, struct agent_pebble_req *q)
{
	(void)data;
	http_aclient_cancel((struct http_areq *)q);
}

static int r_pod_start(void *data, const struct unitpod_opts *o, struct unitpod **ret, struct errbuf *eb)
{
	struct agent_real *r = data;

	if (!r->pods)
		return errbuf_set(eb, "this agent runs no pods"), -ENOTSUP;
	return unitpod_start(r->pods, o, ret, eb);
}

static enum unitpod_state r_pod_update(void *data, struct unitpod *p, const struct unitpod_container *c,
				       size_t n)
{
	(void)data;
	return unitpod_update(p, c, n);
}

static void r_pod_restart(void *data, struct unitpod *p, const char *container)
{
	(void)data;
	unitpod_restart(p, container);
}

static bool r_pod_settled(void *data, struct unitpod *p, const char *container)
{
	(void)data;
	return unitpod_settled(p, container);
}

static void r_pod_remove(void *data, struct unitpod *p)
{
	(void)data;
	unitpod_remove(p);
}

static void r_pod_destroy(void *data, struct unitpod *p)
{
	(void)data;
	unitpod_destroy(p);
}

static void r_pod_detach(void *data, struct unitpod *p)
{
	(void)data;
	unitpod_detach(p);
}

static void r_pod_forget_unit(void *data, const char *unit)
{
	struct agent_real *r = data;

	if (r->pods)
		pods_remove_unit(r->pods, unit);
}

static void r_pods_drain(void *data, void (*done)(void *arg), void *arg)
{
	struct agent_real *r = data;

	if (r->pods)
		pods_drain(r->pods, done, arg);
	else
		loop_defer(r->l, done, arg);
}

static void r_resource_chunk(void *data, const struct proto_charm_chunk *c)
{
	struct agent_real *r = data;

	if (r->fetcher)
		fetcher_chunk(r->fetcher, c);
}

static int r_charm_install(void *data, const struct agent_install_req *req,
			   void (*done)(void *arg, const char *error), void *arg,
			   struct agent_install **ret, struct errbuf *eb)
{
	struct agent_real *r = data;

	return charmcache_install(r->cache, req, done, arg, ret, eb);
}

static void r_charm_cancel(void *data, struct agent_install *op)
{
	struct agent_real *r = data;

	charmcache_cancel(r->cache, op);
}

static void r_charm_forget(void *data, const char *digest)
{
	struct agent_real *r = data;

	charmcache_forget(r->cache, digest);
}

static void r_charm_chunk(void *data, const struct proto_charm_chunk *c)
{
	struct agent_real *r = data;

	charmcache_chunk(r->cache, c);
}

static int r_resource_fetch(void *data, const char *fingerprint, int64_t size, const char *path,
			    void (*done)(void *arg, const char *error), void *arg, struct fetch **ret,
			    struct errbuf *eb)
{
	struct agent_real *r = data;

	if (!r->fetcher)
		return errbuf_set(eb, "resources cannot be fetched on this machine"), -ENOTSUP;
	return fetch_start(r->fetcher, fingerprint, size, path, done, arg, ret, eb);
}

static void r_resource_cancel(void *data, struct fetch *f)
{
	(void)data;
	fetch_cancel(f);
}

static void r_charm_link(void *data, bool up)
{
	struct agent_real *r = data;

	charmcache_link(r->cache, up);
	if (r->fetcher)
		fetcher_link(r->fetcher, up);
}

static void r_remove_tree(void *data, const char *dir)
{
	struct agent_real *r = data;

	charmcache_remove_tree(r->cache, dir);
}

static int r_store_load(void *data, const struct store_visitor *v, void *arg, struct errbuf *eb)
{
	struct agent_real *r = data;

	return store_load(r->store, v, arg, eb);
}

static int r_store_apply(void *data, const struct store_txn *t, struct errbuf *eb)
{
	struct agent_real *r = data;

	return store_apply(r->store, t, eb);
}

static void r_store_put_goal(void *data, const char *kind, const char *name, json_t *goal)
{
	struct agent_real *r = data;

	store_put_goal(r->store, kind, name, goal);
}

static void r_store_drop_acked(void *data, const char *unit, int64_t seq)
{
	struct agent_real *r = data;

	store_drop_acked(r->store, unit, seq);
}

static int r_send(void *data, const struct proto_msg *m)
{
	struct agent_real *r = data;

	return r->link ? link_send(r->link, m) : -ENOTCONN;
}

static void r_reconnect(void *data)
{
	struct agent_real *r = data;

	link_reconnect(r->link);
}

void agent_kill_leftover_hooks(const char *socket_path)
{
	char *want = xasprintf("JUJU_AGENT_SOCKET_ADDRESS=%s", socket_path);
	struct buf env = BUF_INIT;
	DIR *d = opendir("/proc");
	struct dirent *de;

	buf_init(&env);
	while (d && (de = readdir(d))) {
		char *path;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid == getpid())
			continue;
		path = xasprintf("/proc/%ld/environ", pid);
		buf_reset(&env);
		if (fs_read_file(path, 1 << 20, &env) == 0) {
			for (size_t i = 0; i < env.len; i += strlen(env.data + i) + 1) {
				if (!strcmp(env.data + i, want)) {
					/* A hook leads its own process group: all of it goes. */
					if (getpgid((pid_t)pid) == (pid_t)pid)
						kill(-(pid_t)pid, SIGKILL);
					else
						kill((pid_t)pid, SIGKILL);
					break;
				}
			}
		}
		free(path);
	}
	if (d)
		closedir(d);
	buf_done(&env);
	free(want);
}

void agent_io_real(struct agent_real *r, struct agent_io *io)
{
	memset(io, 0, sizeof(*io));
	io->data = r;
	io->now_ms = r_now_ms;
	io->wall_ns = r_wall_ns;
	io->mono_ns = r_mono_ns;
	io->random = r_random;
	io->timer_new = r_timer_new;
	io->timer_arm = r_timer_arm;
	io->timer_disarm = r_timer_disarm;
	io->timer_armed = r_timer_armed;
	io->timer_free = r_timer_free;
	io->defer = r_defer;
	io->hook_start = r_hook_start;
	io->hook_kill = r_hook_kill;
	io->hook_free = r_hook_free;
	io->hook_pid = r_hook_pid;
	io->workload_start = r_workload_start;
	io->workload_restart = r_workload_restart;
	io->workload_destroy = r_workload_destroy;
	io->workload_detach = r_workload_detach;
	io->workload_settled = r_workload_settled;
	io->pebble_get = r_pebble_get;
	io->pebble_cancel = r_pebble_cancel;
	io->pod_start = r_pod_start;
	io->pod_update = r_pod_update;
	io->pod_restart = r_pod_restart;
	io->pod_settled = r_pod_settled;
	io->pod_remove = r_pod_remove;
	io->pod_destroy = r_pod_destroy;
	io->pod_detach = r_pod_detach;
	io->pod_forget_unit = r_pod_forget_unit;
	io->pods_drain = r_pods_drain;
	io->resource_chunk = r_resource_chunk;
	io->resource_fetch = r_resource_fetch;
	io->resource_cancel = r_resource_cancel;
	io->charm_install = r_charm_install;
	io->charm_cancel = r_charm_cancel;
	io->charm_forget = r_charm_forget;
	io->charm_chunk = r_charm_chunk;
	io->charm_link = r_charm_link;
	io->remove_tree = r_remove_tree;
	io->store_load = r_store_load;
	io->store_apply = r_store_apply;
	io->store_put_goal = r_store_put_goal;
	io->store_drop_acked = r_store_drop_acked;
	io->send = r_send;
	io->reconnect = r_reconnect;
}

static void l_up(void *data)
{
	struct agent_real *r = data;

	if (r->agent)
		agent_link_up(r->agent);
}

static void l_down(void *data)
{
	struct agent_real *r = data;

	if (r->agent)
		agent_link_down(r->agent);
}

static void l_message(void *data, const struct proto_msg *m)
{
	struct agent_real *r = data;

	if (r->agent)
		agent_receive(r->agent, m);
}

const struct link_cbs agent_real_link_cbs = { l_up, l_down, l_message, NULL };

/* daemon.c - `scree run`: startup, the loop, shutdown (§1, §22); see daemon.h. */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "check_probe.h"
#include "launch.h"
#include "layersdir.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/log.h"

/* ---- plumbing between the models and the loop ---- */

/* The state file's sections (state.h): runs in the writer child, on its snapshot of the
 * daemon.  Identities being committed (scree_commit_identities) are written in place of the
 * ones in effect: they take effect once this write has completed. */
static json_t *state_build(void *data)
{
	struct scree *d = data;
	json_t *root = json_object();

	json_object_set_new(root, "changes", chg_store_to_json(&d->changes));
	json_object_set_new(root, "identities",
			    ident_store_to_json(d->idents_pending ? d->idents_pending : &d->idents, false));
	json_object_set_new(root, "notices", notices_to_json(&d->notices));
	return root;
}

static void state_before_write(void *data)
{
	struct scree *d = data;

	notices_prune(&d->notices); /* expired notices are not worth keeping */
}

static const struct state_hooks state_hooks = {
	.before_write = state_before_write,
	.build = state_build,
};

static void identities_synced(void *data, int err, const char *msg)
{
	struct scree *d = data;
	struct ident_store *p = d->idents_pending;
	scree_committed_fn cb = d->idents_cb;
	void *cb_data = d->idents_cb_data;

	d->idents_pending = NULL;
	d->idents_cb = NULL;
	d->idents_cb_data = NULL;
	if (err == 0)
		ident_store_swap(&d->idents, p); /* p now holds the old store */
	ident_store_done(p);
	free(p);
	cb(cb_data, err, msg);
}

int scree_commit_identities(struct scree *d, struct ident_store *nw, scree_committed_fn cb, void *data)
{
	if (!state_persisting(&d->state)) {
		ident_store_swap(&d->idents, nw);
		return 0;
	}
	if (d->idents_pending)
		return -EBUSY;
	d->idents_pending = xcalloc(1, sizeof(*d->idents_pending));
	ident_store_init(d->idents_pending);
	ident_store_swap(d->idents_pending, nw);
	d->idents_cb = cb;
	d->idents_cb_data = data;
	state_mark_dirty(&d->state);
	state_sync(&d->state, identities_synced, d);
	return 1;
}

static void deferred_run(void *data)
{
	struct scree *d = data;

	d->run_scheduled = false;
	chg_store_run(&d->changes);
}

static void schedule_run(struct scree *d)
{
	if (d->run_scheduled)
		return;
	d->run_scheduled = true;
	loop_defer(d->loop, deferred_run, d);
}

static bool is_exec_task(const struct task *t)
{
	return strcmp(t->t_kind, "exec") == 0;
}

static void ops_do_task(void *data, struct task *t)
{
	struct scree *d = data;

	if (is_exec_task(t))
		execmgr_do_task(&d->execs, t);
	else if (checks_is_check_task(t))
		checks_do_task(&d->checks, t);
	else
		servmgr_do_task(&d->sm, t);
}

static void ops_abort_task(void *data, struct task *t)
{
	struct scree *d = data;

	if (is_exec_task(t))
		execmgr_abort_task(&d->execs, t);
	else if (checks_is_check_task(t))
		checks_abort_task(&d->checks, t);
	else
		servmgr_abort_task(&d->sm, t);
}

static void hook_exec_started(void *data, int task_id)
{
	api_exec_started(data, task_id);
}

static const struct execmgr_hooks exec_hooks = {
	.started = hook_exec_started,
};

static void fixup_task(struct task *t, void *data)
{
	if (checks_is_check_task(t))
		checks_fixup_task(t);
	else
		servmgr_fixup_task(t, data);
}

/* A change-update notice (§11, §19): key = change id, data = kind plus the change's own
 * notice data (check-name for check changes). */
static void change_notice(struct scree *d, struct change *c)
{
	json_t *data = json_pack("{s:s}", "kind", c->c_kind);
	char key[32];
	struct errbuf eb;

	if (json_is_object(c->c_notice_data))
		json_object_update(data, c->c_notice_data);
	snprintf(key, sizeof(key), "%d", c->c_id);
	if (notices_add(&d->notices, false, 0, NOTICE_CHANGE_UPDATE, key, data, 0, NULL, &eb) < 0)
		log_error("cannot record change-update notice for change %d: %s", c->c_id, eb.msg);
	json_decref(data);
}

static void ops_status_changed(void *data, struct change *c, enum chg_status old_st, enum chg_status new_st)
{
	struct scree *d = data;

	log_debug("Change %d (%s) status %s -> %s", c->c_id, c->c_kind, chg_status_name(old_st),
		  chg_status_name(new_st));
	/* Upstream skips the Doing->Do and Undoing->Undo flips, which the model never makes. */
	if ((old_st == CHG_DOING && new_st == CHG_DO) || (old_st == CHG_UNDOING && new_st == CHG_UNDO))
		return;
	change_notice(d, c);
}

static void ops_created(void *data, struct change *c)
{
	change_notice(data, c);
}

static void ops_dirty(void *data)
{
	struct scree *d = data;

	state_mark_dirty(&d->state);
	memtrim_activity(&d->mem);
	schedule_run(d);
}

static const struct chg_ops chg_ops = {
	.do_task = ops_do_task,
	.abort_task = ops_abort_task,
	.status_changed = ops_status_changed,
	.dirty = ops_dirty,
	.created = ops_created,
};

static void notices_dirty(void *data)
{
	struct scree *d = data;

	state_mark_dirty(&d->state);
	memtrim_activity(&d->mem);
	schedule_run(d);
}

static void notices_notified(void *data, const struct notice *n)
{
	api_notices_notify(data, n);
}

static const struct notices_ops notices_ops = {
	.dirty = notices_dirty,
	.notified = notices_notified,
};

static void check_failed(void *data, const char *name)
{
	struct scree *d = data;

	servmgr_check_failed(&d->sm, name);
}

static const struct checks_hooks checks_hooks = {
	.failed = check_failed,
};

static void hook_output(void *data, struct service *s, const char *fmt, size_t n)
{
	struct scree *d = data;

	if (d->opts.verbose) {
		while (n > 0) {
			ssize_t w = write(STDOUT_FILENO, fmt, n);

			if (w <= 0)
				break;
			fmt += w;
			n -= (size_t)w;
		}
	}
	api_logs_notify(d, s);
}

static void hook_shutdown(void *data, int code)
{
	struct scree *d = data;

	if (!d->stopping)
		snprintf(d->exit_reason, sizeof(d->exit_reason), "%s",
			 code == 10 ? "service failure shutdown" : code == 11 ? "check failure shutdown" :
			 "service shutdown");
	scree_shutdown(d, code);
}

static const struct servmgr_hooks sm_hooks = {
	.output = hook_output,
	.shutdown = hook_shutdown,
};

/* ---- system info ---- */

/* The boot id is random per daemon start, not the kernel's boot_id: the Juju agent treats
 * a new boot-id as "the workload container restarted" and emits pebble-ready, which is
 * exactly what a restart of scree (e.g. after the container restarts without a reboot of
 * the host kernel) must produce. */
/* SCREE_READY_FD=N (set by the cairn agent that supervises this scree): the boot id and a
 * newline are written to fd N once the API socket listens, so the supervisor needs neither
 * polling nor a request to learn it.  The variable is removed so services never inherit it. */
static void notify_ready(const char *boot_id)
{
	char line[128];
	int len;
	const char *v = getenv("SCREE_READY_FD");
	char *end;
	long fd;

	if (!v || !*v)
		return;
	fd = strtol(v, &end, 10);
	unsetenv("SCREE_READY_FD");
	if (*end || fd < 3 || fd > 65535)
		return;
	len = snprintf(line, sizeof(line), "%s\n", boot_id);
	if (write((int)fd, line, (size_t)len) != (ssize_t)len)
		log_info("cannot signal readiness on fd %ld", fd);
	close((int)fd);
}

static void make_boot_id(char *out, size_t n)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		uint64_t t = loop_wall_ns() ^ ((uint64_t)getpid() << 40);

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void scree_build_sysinfo(struct scree *d)
{
	json_t *o = json_object(), *r = json_object();
	char *s;

	json_object_set_new(r, "boot-id", json_string(d->boot_id));
	if (d->http_address[0])
		json_object_set_new(r, "http-address", json_string(d->http_address));
	json_object_set_new(r, "version", json_string(SCREE_VERSION));
	json_object_set_new(o, "type", json_string("sync"));
	json_object_set_new(o, "status-code", json_integer(200));
	json_object_set_new(o, "status", json_string("OK"));
	json_object_set_new(o, "result", r);
	s = json_dumps(o, JSON_COMPACT);
	buf_reset(&d->sysinfo);
	buf_adds(&d->sysinfo, s);
	free(s);
	json_decref(o);
}

/* ---- plan ---- */

void scree_set_plan(struct scree *d, struct plan *p)
{
	struct plan *old = d->plan;

	d->plan = p;
	servmgr_set_plan(&d->sm, p);
	/* Checks start or restart here, inside the request that changed the plan (§6). */
	checks_set_plan(&d->checks, p);
	/* The service manager only borrowed the old plan; services keep their own copies of
	 * the config they run with. */
	plan_free(old);
}

/* ---- shutdown ---- */

static void stop_done(struct chg_watch *w, struct change *c)
{
	struct scree *d = w->w_data;

	(void)c;
	loop_stop(d->loop);
}

static void stop_timeout(struct loop_timer *t, void *data)
{
	struct scree *d = data;

	(void)t;
	log_info("Timed out waiting for services to stop");
	loop_stop(d->loop);
}

void scree_shutdown(struct scree *d, int exit_code)
{
	int64_t max_kill = 5000000000LL;

	if (d->stopping)
		return;
	d->stopping = true;
	d->exit_code = exit_code;
	d->stop_chg = servmgr_stop_all(&d->sm);
	if (!d->stop_chg) {
		loop_stop(d->loop);
		return;
	}
	for (size_t i = 0; d->plan && i < d->plan->s.n_services; i++) {
		int64_t k = plan_service_kill_delay(d->plan->s.services[i]);

		if (k > max_kill)
			max_kill = k;
	}
	d->stop_watch.w_cb = stop_done;
	d->stop_watch.w_data = d;
	chg_watch_add(d->stop_chg, &d->stop_watch);
	d->stop_timer = loop_timer_new(d->loop, stop_timeout, d);
	loop_timer_arm_in(d->stop_timer, (uint64_t)(max_kill / 1000000) + SCREE_SHUTDOWN_GRACE_MS);
	schedule_run(d);
}

static void on_signal(struct loop *l, int signo, void *data)
{
	struct scree *d = data;
	const char *name = signo == SIGINT ? "interrupt" : signo == SIGQUIT ? "quit" : "terminated";

	(void)l;
	if (signo == SIGHUP)
		return;
	log_info("Exiting on %s signal.", name);
	if (!d->stopping)
		snprintf(d->exit_reason, sizeof(d->exit_reason), "%s signal", name);
	scree_shutdown(d, 0);
}

static void on_orphan(struct loop *l, pid_t pid, int wstatus, void *data)
{
	(void)l;
	(void)data;
	(void)wstatus;
	log_debug("Reaped orphan process %d", (int)pid);
}

/* ---- startup ---- */

static char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return xstrdup(v && *v ? v : def);
}

static bool dir_is_empty(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!dir)
		return true;
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

static int startup(struct scree *d, struct errbuf *eb)
{
	struct plan *p = NULL;
	json_t *root = NULL;
	const char *copy_once = getenv("PEBBLE_COPY_ONCE");
	const char *persist = getenv("PEBBLE_PERSIST");
	int rv;

	d->dir = env_or("PEBBLE", SCREE_DEFAULT_DIR);
	d->socket_path = getenv("PEBBLE_SOCKET") && *getenv("PEBBLE_SOCKET") ? xstrdup(getenv("PEBBLE_SOCKET"))
									    : xasprintf("%s/.pebble.socket", d->dir);
	d->layers_dir = xasprintf("%s/layers", d->dir);
	d->uid = getuid();

	if (d->opts.create_dirs) {
		rv = fs_mkdir_p(d->dir, 0700);
		if (rv < 0)
			return errbuf_set(eb, "cannot create directory %s: %s", d->dir, strerror(-rv)), rv;
	}
	/* A missing source is skipped, as Pebble does: Juju sets PEBBLE_COPY_ONCE for every
	 * workload container, and most images have no /var/lib/pebble/default. */
	if (copy_once && *copy_once && access(copy_once, F_OK) == 0 && dir_is_empty(d->dir)) {
		rv = fs_copy_tree(copy_once, d->dir);
		if (rv < 0)
			return errbuf_set(eb, "cannot copy %s into %s: %s", copy_once, d->dir, strerror(-rv)), rv;
	}

	rv = layersdir_load_plan(d->layers_dir, &p, eb);
	if (rv < 0)
		return rv;
	scree_set_plan(d, p);

	d->http = http_server_new(d->loop, api_dispatch, d);
	http_server_set_head_handler(d->http, api_dispatch_head);
	rv = http_server_listen_unix(d->http, d->socket_path, eb);
	if (rv < 0)
		return rv;
	if (d->opts.http_addr) {
		int port = 0;

		rv = http_server_listen_tcp(d->http, d->opts.http_addr, &port, eb);
		if (rv < 0)
			return rv;
		snprintf(d->http_address, sizeof(d->http_address), "%s", d->opts.http_addr);
		log_info("HTTP API server listening on \"%s\".", d->opts.http_addr);
	}
	{
		char *path = xasprintf("%s/.pebble.state", d->dir);

		state_init(&d->state, d->loop, path, !(persist && strcmp(persist, "never") == 0), &state_hooks, d);
		free(path);
	}
	/* The socket is ours now, so only writers of a daemon that died can hold the lock:
	 * they must be done before the file is read (state.h). */
	rv = state_lock(&d->state, eb);
	if (rv == 0)
		rv = state_load(&d->state, &root, eb);
	if (rv < 0)
		return rv;
	if (json_object_get(root, "notices"))
		rv = notices_load_json(&d->notices, json_object_get(root, "notices"), eb);
	if (rv == 0 && json_object_get(root, "changes"))
		rv = chg_store_load_json(&d->changes, json_object_get(root, "changes"), fixup_task, d, eb);
	if (rv == 0)
		rv = ident_store_load_json(&d->idents, json_object_get(root, "identities"), eb);
	json_decref(root);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot read state file");
		return rv;
	}

	make_boot_id(d->boot_id, sizeof(d->boot_id));
	scree_build_sysinfo(d);
	/* Change ids now continue from the stored ones: the plan's checks can start. */
	checks_activate(&d->checks);
	return 0;
}

void scree_log_security(const char *event, const char *description)
{
	struct buf b = BUF_INIT;
	char ts[64];

	buf_init(&b);
	log_fmt_rfc3339nano(loop_wall_ns(), ts, sizeof(ts));
	buf_addf(&b, "{\"type\":\"security\",\"datetime\":\"%s\",\"level\":\"WARN\",\"event\":", ts);
	gofmt_json_string(&b, event, strlen(event));
	buf_adds(&b, ",\"description\":");
	gofmt_json_string(&b, description, strlen(description));
	buf_adds(&b, ",\"appid\":\"pebble\"}");
	log_info("%s", b.data);
	buf_done(&b);
}

static void log_security_startup(struct scree *d)
{
	char event[64];

	snprintf(event, sizeof(event), "sys_startup:%u", (unsigned)d->uid);
	scree_log_security(event, "Starting daemon");
}

/* Startup only (blocks): writes the state with nw as the identities, then puts nw in effect
 * (nw receives the old store).  On a failed write nothing changes. */
static int commit_identities_now(struct scree *d, struct ident_store *nw, struct errbuf *eb)
{
	struct ident_store pending;
	int rv;

	if (!state_persisting(&d->state)) {
		ident_store_swap(&d->idents, nw);
		return 0;
	}
	ident_store_init(&pending);
	ident_store_swap(&pending, nw);
	d->idents_pending = &pending;
	rv = state_write_now(&d->state, eb);
	d->idents_pending = NULL;
	if (rv == 0)
		ident_store_swap(&d->idents, &pending);
	ident_store_swap(nw, &pending);
	ident_store_done(&pending);
	return rv;
}

/* run --identities FILE (§22): the file's identities applied like `update-identities
 * --replace`, after the daemon started and before the default services are. */
static int seed_identities(struct scree *d, struct errbuf *eb)
{
	const char *path = d->opts.identities_file;
	struct buf text = BUF_INIT;
	struct ident_store nw;
	json_t *ids = NULL;
	char why[128];
	int rv;

	if (!path)
		return 0;
	buf_init(&text);
	ident_store_init(&nw);
	rv = fs_read_file(path, IDENT_FILE_MAX, &text);
	if (rv < 0) {
		errbuf_set(eb, "cannot read identities: open %s: %s", path, gofmt_strerror(-rv, why, sizeof(why)));
		goto out;
	}
	rv = ident_file_parse(text.data, text.len, &ids, eb);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot read identities");
		goto out;
	}
	rv = ident_store_apply_json(&d->idents, IDENT_REPLACE, ids, &nw, eb);
	if (rv == 0)
		rv = commit_identities_now(d, &nw, eb);
	if (rv < 0)
		errbuf_wrap(eb, "cannot replace identities");
out:
	ident_store_done(&nw);
	json_decref(ids);
	buf_done(&text);
	return rv;
}

static int apply_args(struct scree *d, struct errbuf *eb)
{
	struct plan_service_args *a;
	struct plan *np = NULL;
	int rv;

	if (d->opts.n_args == 0)
		return 0;
	a = xcalloc(d->opts.n_args, sizeof(*a));
	for (size_t i = 0; i < d->opts.n_args; i++) {
		a[i].service = d->opts.args[i].service;
		a[i].args = d->opts.args[i].args;
		a[i].n_args = d->opts.args[i].n;
	}
	rv = plan_set_service_args(d->plan, a, d->opts.n_args, &np, eb);
	free(a);
	if (rv < 0)
		return rv;
	scree_set_plan(d, np);
	return 0;
}

static void autostart(struct scree *d)
{
	struct change *c = NULL;
	enum servmgr_refusal ref;
	struct errbuf eb;

	errbuf_clear(&eb);
	if (servmgr_action(&d->sm, "autostart", NULL, 0, &c, &ref, &eb) < 0) {
		log_info("Cannot start default services: %s", eb.msg);
		return;
	}
	log_info("Started default services with change %d.", c->c_id);
}

int scree_run(const struct scree_opts *opts)
{
	struct scree *d = xcalloc(1, sizeof(*d));
	struct errbuf eb;
	int code = 1, rv;
	bool started = false;

	errbuf_clear(&eb);
	d->opts = *opts;
	d->exit_code = 0;
	buf_init(&d->sysinfo);
	log_set_prefix("pebble");
	if (getenv("PEBBLE_DEBUG") && strcmp(getenv("PEBBLE_DEBUG"), "1") == 0)
		log_set_debug(true);
	/* Orphans of services are re-parented to us and reaped by the loop (§13). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_info("Cannot become a child subreaper: %s", strerror(errno));
	/* Room for HTTP_MAX_CONNS clients besides the services' pipes (launch.h). */
	launch_raise_nofile();
	rv = loop_new(&d->loop);
	if (rv < 0) {
		fprintf(stderr, "error: cannot run daemon: cannot create event loop: %s\n", strerror(-rv));
		free(d);
		return 1;
	}
	memtrim_init(&d->mem, d->loop);
	chg_store_init(&d->changes, &chg_ops, d, NULL);
	ident_store_init(&d->idents);
	notices_init(&d->notices, NULL, &notices_ops, d);
	servmgr_init(&d->sm, d->loop, &d->changes, &sm_hooks, d);
	checks_init(&d->checks, &d->changes, &check_probe_io, d->loop, &checks_hooks, d);
	execmgr_init(&d->execs, d->loop, &exec_hooks, d);
	loop_set_orphan_cb(d->loop, on_orphan, d);
	loop_add_signal(d->loop, SIGTERM, on_signal, d);
	loop_add_signal(d->loop, SIGINT, on_signal, d);
	loop_add_signal(d->loop, SIGQUIT, on_signal, d);
	loop_add_signal(d->loop, SIGHUP, on_signal, d);

	if (startup(d, &eb) < 0 || apply_args(d, &eb) < 0) {
		fprintf(stderr, "error: cannot run daemon: %s\n", eb.msg);
		goto out;
	}
	started = true;
	log_security_startup(d);
	log_info("Started daemon.");
	if (seed_identities(d, &eb) < 0) {
		fprintf(stderr, "error: cannot run daemon: %s\n", eb.msg);
		code = 1;
		goto out;
	}
	notify_ready(d->boot_id);
	if (!d->opts.hold)
		autostart(d);
	/* Persist whatever the state load fixed up. */
	state_mark_dirty(&d->state);
	schedule_run(d);

	rv = loop_run(d->loop);
	if (rv < 0)
		log_error("event loop failed: %s", strerror(-rv));
	code = d->exit_code;
	log_info("Server exiting! Reason: %s", d->exit_reason[0] ? d->exit_reason : "stopped");
	if (d->stop_chg)
		chg_watch_remove(&d->stop_watch);
out:
	api_shutdown(d);
	http_server_free(d->http);
	checks_done(&d->checks);
	execmgr_done(&d->execs);
	servmgr_done(&d->sm);
	/* The final write, in the daemon itself: nothing is left for a writer child. */
	if (started && state_write_now(&d->state, &eb) < 0)
		log_error("%s", eb.msg);
	loop_timer_free(d->stop_timer);
	memtrim_done(&d->mem);
	chg_store_done(&d->changes);
	notices_done(&d->notices);
	state_done(&d->state);
	ident_store_done(&d->idents);
	plan_free(d->plan);
	loop_free(d->loop);
	buf_done(&d->sysinfo);
	free(d->dir);
	free(d->socket_path);
	free(d->layers_dir);
	free(d);
	return code;
}

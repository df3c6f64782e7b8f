/* ctl_life.c - what several operations and the agent server share: logging, leadership, a
 * unit leaving the model, model config reaching the agents, and kill-controller. */
#include "controller.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cairnd/agents.h"
#include "cairnd/charmstore.h"
#include "cairnd/resstore.h"
#include "cairnd/ctl_rel.h"
#include "cairnd/supervise.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/spawn.h"

void ctl_unit_tag(const char *unit, char *out, size_t n)
{
	snprintf(out, n, "unit-%s", unit);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '-';
}

void ctl_log(struct controller *c, const char *entity, const char *level, const char *module,
	     const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	struct log_record r = { entity, loop_wall_ns(), level, module, b.data };
	logstore_append(c->logs, &r);
	buf_done(&b);
}

/* A unit that may lead: alive, and its machine's agent is here (or nothing better exists). */
static struct model_unit *pick_leader(struct controller *c, struct model_app *a, const char *not)
{
	struct model_unit *fallback = NULL;

	for (size_t i = 0; i < a->n_units; i++) {
		struct model_unit *u = a->units[i];

		if (u->dying || (not && !strcmp(u->name, not)))
			continue;
		if (agents_connected(c->agents, u->machine))
			return u;
		if (!fallback && !agents_lost(c->agents, u->machine))
			fallback = u;
	}
	return fallback;
}

static void set_leader(struct controller *c, struct model_app *a, struct model_unit *u, bool failover)
{
	struct errbuf eb;

	if (model_set_leader(c->m, a, u ? u->name : NULL, failover, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
		return;
	}
	if (u)
		ctl_log(c, "controller", "INFO", "cairn.leadership", "%s is now the leader of %s", u->name,
			a->name);
	/* The new leader runs leader-elected; after a failover the others run
	 * leader-settings-changed (Juju 3.x). */
	agents_app_changed(c->agents, a);
}

void ctl_ensure_leader(struct controller *c, struct model_app *a, bool failover)
{
	if (a->leader && model_find_unit(c->m, a->leader))
		return;
	struct model_unit *u = pick_leader(c, a, NULL);

	if (u || a->leader)
		set_leader(c, a, u, failover);
}

void ctl_move_leader(struct controller *c, struct model_app *a)
{
	struct model_unit *u = pick_leader(c, a, a->leader);

	/* Nobody else can take it: keep it where it is until its agent comes back. */
	if (!u || !agents_connected(c->agents, u->machine))
		return;
	ctl_log(c, "controller", "INFO", "cairn.leadership",
		"the lease of %s lapsed (its machine agent is gone)", a->leader ? a->leader : "?");
	set_leader(c, a, u, true);
}

void ctl_unit_gone(struct controller *c, struct model_unit *u)
{
	struct model_app *a = u->app;
	char *name = xstrdup(u->name);
	bool was_leader = a->leader && !strcmp(a->leader, u->name);
	struct errbuf eb;

	agents_unit_forget(c->agents, u);
	if (model_delete_unit(c->m, u, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.model", "cannot remove %s: %s", name, eb.msg);
		free(name);
		return;
	}
	ctl_log(c, "controller", "INFO", "cairn.model", "unit %s removed", name);
	ctl_rel_unit_gone(c, name);
	if (was_leader && model_set_leader(c->m, a, NULL, false, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
	if (a->dying && a->n_units == 0) {
		char *app = xstrdup(a->name);

		agents_app_forget(c->agents, a);
		if (model_delete_app(c->m, a, &eb) == 0) {
			charmstore_gc(c->m);
			resstore_gc(c->res, c->m);
			ctl_rel_app_gone(c, app);
			ctl_log(c, "controller", "INFO", "cairn.model", "application %s removed", app);
		}
		free(app);
	} else {
		ctl_ensure_leader(c, a, was_leader);
	}
	free(name);
	ctl_waiters_check(c);
}

void ctl_apply_model_config(struct controller *c)
{
	agents_model_config_changed(c->agents);
}

/* ---- kill-controller ---- */

/* What a destroyed controller leaves: nothing but its own log. */
static void remove_state(struct controller *c)
{
	static const char *const names[] = { "state.db", "state.db-wal", "state.db-shm", "charms",
					     "tls", "agents", "logs", "agent.sock", "resources", NULL };

	for (size_t i = 0; names[i]; i++) {
		char *p = xasprintf("%s/%s", c->home, names[i]);

		fs_rm_rf(p);
		free(p);
	}
}

/* The last resort when machine 0's agent never confirmed: stop it, then every container
 * scree it left (each scree stops its services on SIGTERM). */
static void kill_local_workloads(struct controller *c)
{
	char *agents = xasprintf("%s/agents", c->home);
	DIR *d = opendir(agents);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *cdir;
		DIR *cd;
		struct dirent *ce;

		if (strncmp(de->d_name, "unit-", 5))
			continue;
		cdir = xasprintf("%s/%s/containers", agents, de->d_name);
		cd = opendir(cdir);
		while (cd && (ce = readdir(cd))) {
			char *pidp = xasprintf("%s/%s/scree.pid", cdir, ce->d_name), exe[64], link[4096];
			struct buf b = BUF_INIT;
			long pid;
			ssize_t n;

			buf_init(&b);
			if (ce->d_name[0] != '.' && fs_read_file(pidp, 64, &b) == 0 &&
			    (pid = strtol(b.data, NULL, 10)) > 1) {
				snprintf(exe, sizeof(exe), "/proc/%ld/exe", pid);
				n = readlink(exe, link, sizeof(link) - 1);
				if (n > 0) {
					link[n] = '\0';
					if (strstr(link, "scree"))
						kill((pid_t)pid, SIGTERM);
				}
			}
			buf_done(&b);
			free(pidp);
		}
		if (cd)
			closedir(cd);
		free(cdir);
	}
	if (d)
		closedir(d);
	free(agents);
}

/* Runs argv to its end (the last resort below, after the loop has no more work). */
static void run_quietly(char *const argv[])
{
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct spawn_opts o = { .file = argv[0], .argv = argv, .envp = envp, .stdin_fd = -1,
				.stdout_fd = -1, .stderr_fd = -1 };
	struct errbuf eb;
	int pidfd = -1;
	pid_t pid;

	if (spawn_run(&o, &pid, &pidfd, &eb) < 0)
		return;
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The same for pods machine 0's agent left (src/agent/pods.h): their containers, root
 * filesystem mounts, network namespaces and the pod bridge. */
static void kill_local_pods(struct controller *c)
{
	char *mdir = xasprintf("%s/agents/machine-0", c->home), *conf = xasprintf("%s/pods.json", mdir);
	char *root = xasprintf("%s/pods/runc", mdir), *runc_list = xasprintf("%s/pods/runc", mdir);
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	DIR *d;
	struct dirent *de;

	buf_init(&b);
	if (fs_read_file(conf, 65536, &b) == 0)
		v = json_loadb(b.data, b.len, 0, NULL);
	d = opendir(runc_list);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *argv[] = { "runc", "--root", root, "delete", "--force", de->d_name, NULL };

		run_quietly(argv);
	}
	if (d)
		closedir(d);
	/* Overlay roots under the machine directory, deepest first. */
	buf_reset(&b);
	if (fs_read_file("/proc/self/mountinfo", 1 << 22, &b) == 0) {
		char *save = NULL, *paths[256];
		size_t n = 0;

		for (char *line = strtok_r(b.data, "\n", &save); line && n < 256; line = strtok_r(NULL, "\n", &save)) {
			char mp[4096];

			if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strncmp(mp, mdir, strlen(mdir)))
				paths[n++] = xstrdup(mp);
		}
		while (n) {
			char *argv[] = { "umount", "-l", paths[--n], NULL };

			run_quietly(argv);
			free(paths[n]);
		}
	}
	const char *prefix = json_string_value(json_object_get(v, "prefix"));
	const char *bridge = json_string_value(json_object_get(v, "bridge"));

	d = prefix && *prefix ? opendir("/run/netns") : NULL;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		char *argv[] = { "ip", "netns", "delete", de->d_name, NULL };

		run_quietly(argv);
	}
	if (d)
		closedir(d);
	if (bridge && *bridge) {
		char *argv[] = { "ip", "link", "delete", (char *)bridge, NULL };

		run_quietly(argv);
	}
	json_decref(v);
	buf_done(&b);
	free(mdir);
	free(conf);
	free(root);
	free(runc_list);
}

static void destroyed(void *data)
{
	struct controller *c = data;

	if (agents_local_torn_down(c->agents)) {
		/* Machine 0's agent tore down and exits by itself; wait for it. */
		supervise_release(c->sup, 10000);
	} else {
		supervise_stop(c->sup, 5000);
		kill_local_workloads(c);
		kill_local_pods(c);
	}
	c->sup = NULL;
	if (c->destroy_conn) {
		json_t *resp = json_pack("{s:b, s:{}}", "ok", 1, "result");

		msgsrv_on_close(c->destroy_conn, NULL, NULL);
		msgsrv_send(c->destroy_conn, resp);
		json_decref(resp);
		c->destroy_conn = NULL;
	}
	c->stopping = true;
	loop_stop(c->l);
}

static void destroy_conn_gone(struct msgsrv_conn *conn, void *data)
{
	struct controller *c = data;

	(void)conn;
	c->destroy_conn = NULL;
}

void ctl_destroy(struct controller *c, struct msgsrv_conn *conn)
{
	if (c->destroying)
		return;
	c->destroying = true;
	c->destroy_conn = conn;
	if (conn)
		msgsrv_on_close(conn, destroy_conn_gone, c);
	ctl_log(c, "controller", "INFO", "cairn.controller",
		"destroying the controller: every unit, workload and agent goes");
	agents_teardown(c->agents, destroyed, c);
}

/* After the loop: the state of a destroyed controller goes too. */
void ctl_destroy_finish(struct controller *c);
void ctl_destroy_finish(struct controller *c)
{
	if (c->destroying)
		remove_state(c);
}

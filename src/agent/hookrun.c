/* hookrun.c - spawning a hook and collecting its output; see hookrun.h. */
#include "hookrun.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/spawn.h"

extern char **environ;

struct hookrun_stream {
	int fd;
	struct loop_io *io;
	struct buf line;
	bool is_stderr;
};

struct hookrun {
	struct loop *l;
	struct hookrun_cbs cbs;
	pid_t pid;
	bool exited;
	int code;
	bool signaled;
	struct hookrun_stream out, err;
	bool done_called;
};

static void envp_add(char ***envp, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void envp_add(char ***envp, size_t *n, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	*envp = xrealloc(*envp, (*n + 2) * sizeof(char *));
	(*envp)[(*n)++] = buf_detach(&b);
	(*envp)[*n] = NULL;
}

char **hookrun_env_build(const struct hookrun_env *e)
{
	char **envp = NULL;
	size_t n = 0;
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp_add(&envp, &n, "CHARM_DIR=%s", e->charm_dir);
	envp_add(&envp, &n, "JUJU_CHARM_DIR=%s", e->charm_dir);
	envp_add(&envp, &n, "JUJU_CONTEXT_ID=%s", e->context_id);
	if (e->action) {
		envp_add(&envp, &n, "JUJU_HOOK_NAME=");
		envp_add(&envp, &n, "JUJU_DISPATCH_PATH=actions/%s", e->action);
		envp_add(&envp, &n, "JUJU_ACTION_NAME=%s", e->action);
		envp_add(&envp, &n, "JUJU_ACTION_UUID=%s", e->action_id ? e->action_id : "");
		envp_add(&envp, &n, "JUJU_ACTION_TAG=action-%s", e->action_id ? e->action_id : "");
	} else if (e->command) {
		envp_add(&envp, &n, "JUJU_HOOK_NAME=");
	} else {
		envp_add(&envp, &n, "JUJU_HOOK_NAME=%s", e->hook);
		envp_add(&envp, &n, "JUJU_DISPATCH_PATH=hooks/%s", e->hook);
	}
	if (e->relation_id >= 0 && e->relation) {
		envp_add(&envp, &n, "JUJU_RELATION=%s", e->relation);
		envp_add(&envp, &n, "JUJU_RELATION_ID=%s:%d", e->relation, e->relation_id);
		envp_add(&envp, &n, "JUJU_REMOTE_APP=%s", e->remote_app ? e->remote_app : "");
		envp_add(&envp, &n, "JUJU_REMOTE_UNIT=%s", e->remote_unit ? e->remote_unit : "");
		if (e->departing_unit && *e->departing_unit)
			envp_add(&envp, &n, "JUJU_DEPARTING_UNIT=%s", e->departing_unit);
	}
	envp_add(&envp, &n, "JUJU_AGENT_SOCKET_NETWORK=unix");
	envp_add(&envp, &n, "JUJU_AGENT_SOCKET_ADDRESS=%s", e->socket_path);
	envp_add(&envp, &n, "JUJU_UNIT_NAME=%s", e->unit);
	envp_add(&envp, &n, "JUJU_MODEL_NAME=%s", e->model_name);
	envp_add(&envp, &n, "JUJU_MODEL_UUID=%s", e->model_uuid);
	envp_add(&envp, &n, "JUJU_VERSION=%s", JUJU_VERSION_STRING);
	envp_add(&envp, &n, "JUJU_API_ADDRESSES=%s", e->api_addresses ? e->api_addresses : "");
	envp_add(&envp, &n, "JUJU_MACHINE_ID=%d", e->machine);
	envp_add(&envp, &n, "JUJU_PRINCIPAL_UNIT=%s", e->principal ? e->principal : "");
	envp_add(&envp, &n, "JUJU_AVAILABILITY_ZONE=");
	envp_add(&envp, &n, "CLOUD_API_VERSION=");
	envp_add(&envp, &n, "JUJU_CHARM_HTTP_PROXY=");
	envp_add(&envp, &n, "JUJU_CHARM_HTTPS_PROXY=");
	envp_add(&envp, &n, "JUJU_CHARM_FTP_PROXY=");
	envp_add(&envp, &n, "JUJU_CHARM_NO_PROXY=");
	envp_add(&envp, &n, "APT_LISTCHANGES_FRONTEND=none");
	envp_add(&envp, &n, "DEBIAN_FRONTEND=noninteractive");
	envp_add(&envp, &n, "LANG=C.UTF-8");
	envp_add(&envp, &n, "TERM=tmux-256color");
	envp_add(&envp, &n, "PATH=%s:%s", e->tools_dir, path);
	envp_add(&envp, &n, "%s=%d", TOOLS_DEADLINE_ENV, TOOLS_DEADLINE_MS);
	if (e->workload)
		envp_add(&envp, &n, "JUJU_WORKLOAD_NAME=%s", e->workload);
	if (e->notice_id)
		envp_add(&envp, &n, "JUJU_NOTICE_ID=%s", e->notice_id);
	if (e->notice_type)
		envp_add(&envp, &n, "JUJU_NOTICE_TYPE=%s", e->notice_type);
	if (e->notice_key)
		envp_add(&envp, &n, "JUJU_NOTICE_KEY=%s", e->notice_key);
	if (e->check_name)
		envp_add(&envp, &n, "JUJU_PEBBLE_CHECK_NAME=%s", e->check_name);
	/* The agent's environment is not inherited, except KUBERNETES_* (§2.1). */
	for (char **p = environ; p && *p; p++)
		if (!strncmp(*p, "KUBERNETES_", 11))
			envp_add(&envp, &n, "%s", *p);
	return envp;
}

void hookrun_env_free(char **envp)
{
	for (char **p = envp; p && *p; p++)
		free(*p);
	free(envp);
}

/* Where a sidecar charm finds the Pebble CLI (/charm/bin/pebble: scree, read-only). */
#define HOOKRUN_BIN_MOUNT "/charm/bin"

/* The mounts of a sidecar charm's hook: this unit's containers directory, and the Pebble
 * CLI where Juju puts it. */
struct hook_mounts {
	const char *containers_dir; /* or NULL */
	const char *pebble_bin;  /* the scree binary, or NULL */
	const char *netns;       /* the pod's network namespace, or NULL */
};

/* /charm/bin/pebble is the scree binary, read-only, as Juju's sidecar charms find Pebble's
 * CLI there.  A private tmpfs over /charm/bin holds the mount point, so the host's
 * /charm/bin (created empty if missing) is neither shown nor changed.  Returns what failed,
 * or NULL. */
SPAWN_CHILD_FN static const char *mount_pebble_cli(const char *bin)
{
	int fd;

	if (mkdir(HOOKRUN_BIN_MOUNT, 0755) < 0 && errno != EEXIST)
		return "mkdir " HOOKRUN_BIN_MOUNT;
	if (mount("tmpfs", HOOKRUN_BIN_MOUNT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
		return "tmpfs " HOOKRUN_BIN_MOUNT;
	fd = open(HOOKRUN_BIN_MOUNT "/pebble", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (fd < 0)
		return "create " HOOKRUN_BIN_MOUNT "/pebble";
	close(fd);
	if (mount(bin, HOOKRUN_BIN_MOUNT "/pebble", NULL, MS_BIND, NULL) < 0)
		return "bind " HOOKRUN_BIN_MOUNT "/pebble";
	if (mount(NULL, HOOKRUN_BIN_MOUNT "/pebble", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return "read-only " HOOKRUN_BIN_MOUNT "/pebble";
	return NULL;
}

/* Writes the pieces on the hook's stderr: async-signal-safe (the child shares the agent's
 * memory until it execs, lib/spawn.h), so no stdio and no strerror. */
SPAWN_CHILD_FN static void child_say(const char *what, const char *step, int err)
{
	const char *parts[] = { "cairn: cannot set up ", what, " for this hook (", step, ": ",
				strerrordesc_np(err) ? strerrordesc_np(err) : "error", ")\n" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		ssize_t n = write(2, parts[i], strlen(parts[i]));

		(void)n;
	}
}

/* Runs in the hook's child before exec: a private mount namespace with this unit's
 * containers directory bound over /charm/containers (charm-runtime.md §11.1) and the Pebble
 * CLI at /charm/bin/pebble.  Failure is reported on the hook's stderr and the hook still
 * runs (it just cannot reach Pebble).  System calls only (lib/spawn.h). */
SPAWN_CHILD_FN static void enter_containers_ns(void *data)
{
	const struct hook_mounts *m = data;
	const char *why = NULL;

	if (m->netns) {
		/* The pod's network first: failing it, the hook still runs (on the host's). */
		int fd = open(m->netns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			dprintf(2, "cairn: cannot enter the pod's network namespace %s: %s\n", m->netns,
				strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (!m->containers_dir)
		return;
	if (unshare(CLONE_NEWNS) < 0)
		why = "unshare";
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		why = "make-private";
	else if (mount(m->containers_dir, HOOKRUN_CONTAINERS_MOUNT, NULL, MS_BIND | MS_REC, NULL) < 0)
		why = "bind";
	if (why) {
		child_say(HOOKRUN_CONTAINERS_MOUNT, why, errno);
		return;
	}
	if (m->pebble_bin && (why = mount_pebble_cli(m->pebble_bin)))
		child_say(HOOKRUN_BIN_MOUNT "/pebble", why, errno);
}

/* The scree binary beside the running one (cairnd, or the agent), or NULL. */
static char *find_scree(void)
{
	char self[4096], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	path = xasprintf("%s/scree", self);
	if (access(path, X_OK) == 0)
		return path;
	free(path);
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static void emit_lines(struct hookrun *h, struct hookrun_stream *s, bool flush)
{
	char *start = s->line.data, *nl;
	size_t used = 0;

	while ((nl = memchr(start, '\n', s->line.len - used))) {
		*nl = '\0';
		if (h->cbs.output)
			h->cbs.output(h->cbs.data, s->is_stderr, start);
		used += (size_t)(nl - start) + 1;
		start = nl + 1;
	}
	buf_consume(&s->line, used);
	if (s->line.len >= HOOKRUN_LINE_MAX || (flush && s->line.len)) {
		if (h->cbs.output)
			h->cbs.output(h->cbs.data, s->is_stderr, s->line.data);
		buf_reset(&s->line);
	}
}

static void stream_close(struct hookrun *h, struct hookrun_stream *s)
{
	if (s->fd < 0)
		return;
	emit_lines(h, s, true);
	loop_io_free(s->io);
	s->io = NULL;
	close(s->fd);
	s->fd = -1;
}

/* Reads what is available; returns true at EOF or error. */
static bool stream_read(struct hookrun *h, struct hookrun_stream *s)
{
	char chunk[16384];

	for (;;) {
		ssize_t n = read(s->fd, chunk, sizeof(chunk));

		if (n > 0) {
			buf_add(&s->line, chunk, (size_t)n);
			emit_lines(h, s, false);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		return true;
	}
}

static void maybe_done(struct hookrun *h)
{
	if (h->done_called || !h->exited)
		return;
	/* The hook exited: take what its pipes still hold, but do not wait for grandchildren
	 * that keep them open. */
	if (h->out.fd >= 0)
		stream_read(h, &h->out);
	if (h->err.fd >= 0)
		stream_read(h, &h->err);
	stream_close(h, &h->out);
	stream_close(h, &h->err);
	h->done_called = true;
	h->cbs.done(h->cbs.data, h->code, h->signaled);
}

static void on_output(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct hookrun *h = data;
	struct hookrun_stream *s = fd == h->out.fd ? &h->out : &h->err;

	(void)io;
	(void)events;
	if (stream_read(h, s))
		stream_close(h, s);
}

static void on_exit_cb(struct loop *l, pid_t pid, int ws, void *data)
{
	struct hookrun *h = data;

	(void)l;
	(void)pid;
	h->exited = true;
	if (WIFEXITED(ws)) {
		h->code = WEXITSTATUS(ws);
	} else {
		h->signaled = true;
		h->code = 128 + WTERMSIG(ws);
	}
	maybe_done(h);
}

int hookrun_start(struct loop *l, const struct hookrun_env *env, const struct hookrun_cbs *cbs,
		  struct hookrun **ret, struct errbuf *eb)
{
	char *file = NULL, **envp = NULL, *scree = NULL;
	struct hook_mounts mounts = { NULL, NULL, NULL };
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct hookrun *h = NULL;
	pid_t pid;
	int pidfd, r;

	if (env->command) {
		/* As juju exec: bash runs the commands (sh where there is no bash). */
		file = xstrdup(is_executable("/bin/bash") ? "/bin/bash" : "/bin/sh");
	} else {
		file = xasprintf("%s/dispatch", env->charm_dir);
		if (!is_executable(file)) {
			free(file);
			file = env->action ? xasprintf("%s/actions/%s", env->charm_dir, env->action)
					   : xasprintf("%s/hooks/%s", env->charm_dir, env->hook);
			if (!is_executable(file)) {
				free(file);
				return 1;
			}
		}
	}
	if (pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	/* The child's ends must block: some programs misbehave on non-blocking stdio. */
	fcntl(outp[1], F_SETFL, 0);
	fcntl(errp[1], F_SETFL, 0);
	envp = hookrun_env_build(env);
	{
		char *argv[] = { file, NULL, NULL, NULL };

		if (env->command) {
			argv[1] = "-c";
			argv[2] = (char *)env->command;
		}
		struct spawn_opts o = {
			.file = file, .argv = argv, .envp = envp, .cwd = env->charm_dir,
			.stdin_fd = -1, .stdout_fd = outp[1], .stderr_fd = errp[1], .setpgid = true,
		};

		if (env->containers_dir) {
			scree = find_scree();
			mounts.containers_dir = env->containers_dir;
			mounts.pebble_bin = scree;
		}
		mounts.netns = env->netns;
		if (mounts.containers_dir || mounts.netns) {
			o.child_setup = enter_containers_ns;
			o.child_setup_data = &mounts;
		}

		r = spawn_run(&o, &pid, &pidfd, eb);
		free(scree);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (r < 0)
		goto fail;
	h = xcalloc(1, sizeof(*h));
	h->l = l;
	h->cbs = *cbs;
	h->pid = pid;
	h->out.fd = outp[0];
	h->err.fd = errp[0];
	h->err.is_stderr = true;
	buf_init(&h->out.line);
	buf_init(&h->err.line);
	h->out.io = loop_io_new(l, h->out.fd, EPOLLIN, on_output, h);
	h->err.io = loop_io_new(l, h->err.fd, EPOLLIN, on_output, h);
	loop_add_child(l, pid, pidfd, on_exit_cb, h);
	hookrun_env_free(envp);
	free(file);
	*ret = h;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	hookrun_env_free(envp);
	free(file);
	return r;
}

pid_t hookrun_pid(const struct hookrun *h)
{
	return h->pid;
}

void hookrun_kill(struct hookrun *h, int sig)
{
	if (h && !h->exited)
		kill(-h->pid, sig);
}


void hookrun_free(struct hookrun *h)
{
	if (!h)
		return;
	if (!h->exited) {
		int fd = loop_pidfd_open(h->pid);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		kill(-h->pid, SIGKILL);
		loop_forget_child(h->l, h->pid);
		/* Reap it here: an agent about to exit must not leave zombies to its parent. */
		if (fd >= 0) {
			poll(&p, 1, 1000);
			close(fd);
		}
		waitpid(h->pid, NULL, WNOHANG);
	}
	h->done_called = true;
	stream_close(h, &h->out);
	stream_close(h, &h->err);
	buf_done(&h->out.line);
	buf_done(&h->err.line);
	free(h);
}

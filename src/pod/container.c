/* container.c - one workload container of a pod: an explicit state machine over runc, the
 * image store's root filesystems, an overlay mount and the scree inside.
 *
 * States and what leaves them (every exit is a completed child, a pidfd, a pipe or a timer):
 *
 *   WAITING   --begin------------------> ADOPTING (runc state)
 *   ADOPTING  --running----------------> STARTING (probe the scree's socket)
 *             --stale / missing--------> ROOTFS
 *   ROOTFS    --root fs ready----------> CLEANING (runc delete of a stale container) | CREATING
 *   CLEANING  --done-------------------> CREATING
 *   CREATING  --runc run ok------------> STARTING  --failed--> DOWN (FAILED event)
 *   STARTING  --boot id----------------> READY (READY event)
 *   STARTING/READY --init died---------> DELETING
 *             --stop (restart, remove, no answer)--> STOPPING --init died--> DELETING
 *   DELETING  --runc delete, umount----> DOWN (EXITED or FAILED when not asked for)
 *             (goal restart)-----------> ROOTFS   (goal remove)--> REMOVED
 *   DOWN      --restart----------------> ROOTFS   --remove--> REMOVED
 *
 * The goal (keep up / restart / remove) is what the owner asked for; a step that completes
 * looks at it to choose the next state.  Legal transitions are listed in one table and every
 * change goes through set_state(). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "pod_internal.h"
#include "podname.h"
#include "podspec.h"
#include "probe.h"
#include "userspec.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define CTR_LOG_ROTATE_BYTES (1u << 20)

enum ctr_state {
	CTR_WAITING, CTR_ADOPTING, CTR_ROOTFS, CTR_CLEANING, CTR_CREATING, CTR_STARTING, CTR_READY,
	CTR_STOPPING, CTR_DELETING, CTR_DOWN, CTR_REMOVED, _CTR_STATE_MAX,
};

static const char *const state_names[_CTR_STATE_MAX] = {
	[CTR_WAITING] = "waiting",   [CTR_ADOPTING] = "adopting", [CTR_ROOTFS] = "rootfs",
	[CTR_CLEANING] = "cleaning", [CTR_CREATING] = "creating", [CTR_STARTING] = "starting",
	[CTR_READY] = "ready",       [CTR_STOPPING] = "stopping", [CTR_DELETING] = "deleting",
	[CTR_DOWN] = "down",         [CTR_REMOVED] = "removed",
};

#define T(s) (1u << (s))
/* legal[from] = the states it may go to. */
static const unsigned legal[_CTR_STATE_MAX] = {
	[CTR_WAITING] = T(CTR_ADOPTING) | T(CTR_ROOTFS) | T(CTR_DELETING) | T(CTR_REMOVED),
	[CTR_ADOPTING] = T(CTR_STARTING) | T(CTR_ROOTFS) | T(CTR_DELETING) | T(CTR_DOWN) | T(CTR_REMOVED),
	[CTR_ROOTFS] = T(CTR_CLEANING) | T(CTR_CREATING) | T(CTR_DELETING) | T(CTR_DOWN) | T(CTR_REMOVED),
	[CTR_CLEANING] = T(CTR_CREATING) | T(CTR_DELETING) | T(CTR_DOWN) | T(CTR_REMOVED),
	[CTR_CREATING] = T(CTR_STARTING) | T(CTR_DELETING) | T(CTR_DOWN),
	[CTR_STARTING] = T(CTR_READY) | T(CTR_STOPPING) | T(CTR_DELETING),
	[CTR_READY] = T(CTR_STOPPING) | T(CTR_DELETING),
	[CTR_STOPPING] = T(CTR_DELETING),
	[CTR_DELETING] = T(CTR_DOWN) | T(CTR_ROOTFS) | T(CTR_REMOVED),
	[CTR_DOWN] = T(CTR_ROOTFS) | T(CTR_REMOVED),
	[CTR_REMOVED] = 0,
};

enum ctr_goal { GOAL_UP, GOAL_RESTART, GOAL_REMOVE };

/* How the current run ended, for the event DOWN reports. */
enum ctr_end { END_NONE, END_EXITED, END_FAILED, END_ASKED };

struct container {
	struct pod *p;
	char *name, *runc_id, *cgroups_path;
	char *vol_dir, *socket_path;
	char *bundle_dir, *rootfs_mnt, *upper, *work, *config_path, *state_path, *log_path, *pid_path;
	size_t index;
	char *image;              /* the digest to run */
	char *held;               /* the digest whose root filesystem we hold, or NULL */
	char *lower;              /* its path */
	struct bundle_mount *mounts;
	size_t n_mounts;
	bool set_ids;
	uid_t uid;
	gid_t gid;
	enum ctr_state state;
	enum ctr_goal goal;
	enum ctr_end end;
	char end_msg[ERRBUF_SIZE];
	bool adopted;
	bool ready_seen;          /* the readiness byte came before runc run returned */
	bool runc_known;          /* a runc container with our id may exist */
	pid_t pid;
	int pidfd;
	struct loop_io *pid_io;
	int ready_fd;
	struct loop_io *ready_io;
	struct tool_req *tool;
	struct image_req *rootfs_req;
	struct probe_req *probe;
	struct loop_timer *timer;  /* ready deadline, stop escalation */
	struct loop_timer *kick;   /* runs a step from a fresh loop iteration */
	void (*kick_fn)(struct container *c);
	char boot_id[PROBE_BOOT_ID_MAX];
};

static struct loop *L(struct container *c)
{
	return c->p->rt->l;
}

static void set_state(struct container *c, enum ctr_state to)
{
	if (!(legal[c->state] & T(to))) {
		/* A transition outside the table is a bug in this file: refuse loudly. */
		fprintf(stderr, "pod: container %s: illegal transition %s -> %s\n", c->name, state_names[c->state],
			state_names[to]);
		abort();
	}
	c->state = to;
}

static void emit(struct container *c, enum pod_event_kind k, const char *error)
{
	struct pod_event ev = {
		.kind = k, .container = c->name, .adopted = c->adopted, .error = error && *error ? error : NULL,
	};

	if (k == POD_EV_READY)
		ev.boot_id = c->boot_id;
	pod_emit(c->p, &ev);
}

static void kick(struct container *c, void (*fn)(struct container *c))
{
	c->kick_fn = fn;
	loop_timer_arm_in(c->kick, 0);
}

static void on_kick(struct loop_timer *t, void *data)
{
	struct container *c = data;
	void (*fn)(struct container *c) = c->kick_fn;

	(void)t;
	c->kick_fn = NULL;
	if (fn)
		fn(c);
}

/* ---- small helpers ---- */

static void close_ready(struct container *c)
{
	if (c->ready_io) {
		loop_io_free(c->ready_io);
		c->ready_io = NULL;
	}
	if (c->ready_fd >= 0) {
		close(c->ready_fd);
		c->ready_fd = -1;
	}
}

static void close_pidfd(struct container *c)
{
	if (c->pid_io) {
		loop_io_free(c->pid_io);
		c->pid_io = NULL;
	}
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	c->pid = 0;
}

static void release_rootfs(struct container *c)
{
	if (c->rootfs_req) {
		image_req_cancel(c->rootfs_req);
		c->rootfs_req = NULL;
	}
	if (c->held) {
		image_rootfs_release(c->p->rt->images, c->held);
		free(c->held);
		c->held = NULL;
	}
	free(c->lower);
	c->lower = NULL;
}

static void unmount_rootfs(struct container *c)
{
	/* Detach: a process still holding a file in it must not keep the removal from going
	 * on; the container's own mount namespace has its own copy anyway. */
	if (umount2(c->rootfs_mnt, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
		char m[ERRBUF_SIZE];
		int e = errno;

		snprintf(m, sizeof(m), "cannot unmount %.300s: %s", c->rootfs_mnt, strerror(e));
		pod_note_remove_error(c->p, -e, m);
	}
}

static int signal_init(struct container *c, int sig)
{
	if (c->pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
	return c->pid > 1 && kill(c->pid, sig) < 0 ? -errno : 0;
}

/* The last line the container wrote to its log, for an exit message. */
static void log_last_line(struct container *c, char *out, size_t n)
{
	char tail[1024];
	struct stat st;
	int fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		off_t from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;

		got = pread(fd, tail, sizeof(tail) - 1, from);
	}
	close(fd);
	if (got <= 0)
		return;
	tail[got] = '\0';
	tool_stderr_reason(tail, out, n);
}

/* ---- teardown after the init is gone ---- */

static void start_rootfs(struct container *c);

/* Finishes a stop: the container no longer runs and runc forgot it. */
static void after_delete(struct container *c)
{
	enum ctr_end end = c->end;
	char msg[ERRBUF_SIZE];

	unmount_rootfs(c);
	close_ready(c);
	snprintf(msg, sizeof(msg), "%s", c->end_msg);
	c->end = END_NONE;
	c->end_msg[0] = '\0';
	c->adopted = false;
	if (c->goal == GOAL_REMOVE) {
		release_rootfs(c);
		image_store_discard(c->p->rt->images, c->bundle_dir);
		set_state(c, CTR_REMOVED);
		pod_container_gone(c->p, c);
		return;
	}
	if (c->goal == GOAL_RESTART) {
		c->goal = GOAL_UP;
		set_state(c, CTR_ROOTFS);
		start_rootfs(c);
		return;
	}
	set_state(c, CTR_DOWN);
	if (end == END_FAILED)
		emit(c, POD_EV_FAILED, msg);
	else
		emit(c, POD_EV_EXITED, msg[0] ? msg : "container exited");
}

static void on_deleted(void *data, const struct tool_result *res)
{
	struct container *c = data;

	c->tool = NULL;
	if (res->status != 0 && !runc_says_missing(res->err_tail)) {
		struct errbuf eb;

		tool_result_error(res, &eb);
		pod_note_remove_error(c->p, -EIO, eb.msg);
	}
	c->runc_known = false;
	after_delete(c);
}

/* The init is gone: have runc forget the container. */
static void delete_container(struct container *c)
{
	struct errbuf eb;

	close_pidfd(c);
	if (c->probe) {
		probe_cancel(c->probe);
		c->probe = NULL;
	}
	loop_timer_disarm(c->timer);
	set_state(c, CTR_DELETING);
	if (!c->runc_known) {
		after_delete(c);
		return;
	}
	if (runc_delete(L(c), &c->p->rt->runc, c->runc_id, on_deleted, c, &c->tool, &eb) < 0) {
		pod_note_remove_error(c->p, -EIO, eb.msg);
		c->runc_known = false;
		after_delete(c);
	}
}

static void on_init_exit(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct container *c = data;

	(void)io;
	(void)fd;
	(void)events;
	if (c->end == END_NONE) {
		char last[ERRBUF_SIZE];

		log_last_line(c, last, sizeof(last));
		c->end = END_EXITED;
		if (last[0])
			snprintf(c->end_msg, sizeof(c->end_msg), "container exited; its last words: %.400s", last);
		else
			snprintf(c->end_msg, sizeof(c->end_msg), "container exited");
	}
	delete_container(c);
}

/* Watches the init through a pidfd; returns false when it is already gone. */
static bool watch_init(struct container *c, pid_t pid)
{
	c->pidfd = loop_pidfd_open(pid);
	if (c->pidfd < 0)
		return false;
	c->pid = pid;
	c->pid_io = loop_io_new(L(c), c->pidfd, EPOLLIN, on_init_exit, c);
	return true;
}

/* Asks the init to stop: SIGTERM (scree stops its services), SIGKILL when the deadline
 * passes. */
static void stop_container(struct container *c, enum ctr_end end, const char *msg)
{
	if (c->end == END_NONE) {
		c->end = end;
		snprintf(c->end_msg, sizeof(c->end_msg), "%s", msg ? msg : "");
	}
	if (c->probe) {
		probe_cancel(c->probe);
		c->probe = NULL;
	}
	close_ready(c);
	set_state(c, CTR_STOPPING);
	signal_init(c, end == END_ASKED ? SIGTERM : SIGKILL);
	loop_timer_arm_in(c->timer, POD_STOP_TIMEOUT_MS);
}

/* ---- readiness ---- */

static void on_probe(void *data, int status, const char *boot_id, const char *msg)
{
	struct container *c = data;
	char m[ERRBUF_SIZE];

	c->probe = NULL;
	if (status < 0) {
		snprintf(m, sizeof(m), "%s pebble does not answer: %.400s", c->adopted ? "adopted container's" : "the",
			 msg ? msg : "");
		if (c->adopted)
			stop_container(c, END_EXITED, m); /* the owner restarts it */
		else
			stop_container(c, END_FAILED, m);
		return;
	}
	snprintf(c->boot_id, sizeof(c->boot_id), "%s", boot_id);
	loop_timer_disarm(c->timer);
	set_state(c, CTR_READY);
	emit(c, POD_EV_READY, NULL);
}

static void start_probe(struct container *c)
{
	struct errbuf eb;

	if (probe_boot_id(L(c), c->socket_path, PROBE_TIMEOUT_MS, on_probe, c, &c->probe, &eb) < 0)
		stop_container(c, END_FAILED, eb.msg);
}

static void on_ready_byte(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct container *c = data;
	char b = 0;
	ssize_t n = read(fd, &b, 1);

	(void)io;
	(void)events;
	if (n < 0 && errno == EAGAIN)
		return;
	close_ready(c);
	if (n != 1)
		return; /* EOF without the byte: the scree died before listening; the pidfd says so */
	/* The scree may be faster than runc's own exit: remember the byte until the container
	 * counts as started. */
	if (c->state == CTR_STARTING)
		start_probe(c);
	else
		c->ready_seen = true;
}

static void on_timer(struct loop_timer *t, void *data)
{
	struct container *c = data;
	char m[ERRBUF_SIZE];

	(void)t;
	if (c->state == CTR_STARTING) {
		char last[ERRBUF_SIZE];

		log_last_line(c, last, sizeof(last));
		snprintf(m, sizeof(m), "pebble did not become ready within %d s%s%.400s", POD_READY_TIMEOUT_MS / 1000,
			 last[0] ? "; its last words: " : "", last);
		stop_container(c, END_FAILED, m);
	} else if (c->state == CTR_STOPPING) {
		signal_init(c, SIGKILL);
	}
}

/* ---- creation ---- */

/* Reads a file of the image's root filesystem without following a symlink out of it. */
static int read_in_root(const char *root, const char *rel, struct buf *out)
{
	struct open_how {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY | O_CLOEXEC, 0, 0x10 /* RESOLVE_IN_ROOT */ };
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd, r;
	struct stat st;

	if (dfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	close(dfd);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)USERSPEC_FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf_reset(out);
	buf_grow(out, (size_t)st.st_size + 1);
	r = 0;
	for (;;) {
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len + 1 >= out->cap)
			buf_grow(out, 4096);
	}
	out->data[out->len] = '\0';
	close(fd);
	return r;
}

/* Who runs the scree: metadata ids, else the image's User resolved in its own files. */
static int resolve_ids(struct container *c, const struct image *img, struct userspec_ids *ids, struct errbuf *eb)
{
	struct buf pw = BUF_INIT, gr = BUF_INIT;
	int r;

	buf_init(&pw);
	buf_init(&gr);
	bool have_pw = read_in_root(c->lower, "etc/passwd", &pw) == 0;
	bool have_gr = read_in_root(c->lower, "etc/group", &gr) == 0;

	if (c->set_ids) {
		char spec[64];

		snprintf(spec, sizeof(spec), "%u:%u", (unsigned)c->uid, (unsigned)c->gid);
		r = userspec_resolve(spec, have_pw ? pw.data : NULL, have_gr ? gr.data : NULL, ids, eb);
	} else {
		r = userspec_resolve(img->config.user, have_pw ? pw.data : NULL, have_gr ? gr.data : NULL, ids, eb);
	}
	buf_done(&pw);
	buf_done(&gr);
	return r;
}

static int write_json(const char *path, json_t *v, struct errbuf *eb)
{
	char *text = json_dumps(v, JSON_INDENT(1));
	int r = text ? fs_write_atomic(path, text, strlen(text), 0600) : -ENOMEM;

	free(text);
	if (r < 0)
		errbuf_set(eb, "cannot write %s: %s", path, strerror(-r));
	return r;
}

/* Lays out the bundle: a fresh writable layer, the overlay, config.json and state.json. */
static int prepare_bundle(struct container *c, struct errbuf *eb)
{
	const struct image *img = image_store_get(c->p->rt->images, c->held);
	struct userspec_ids ids;
	struct podspec ps;
	json_t *cfg = NULL, *state;
	char *opts;
	int r;

	if (!img)
		return errbuf_set(eb, "image %s left the store", c->held), -ENOENT;
	unmount_rootfs(c); /* a leftover from a crash */
	if ((r = image_store_discard(c->p->rt->images, c->upper)) < 0 ||
	    (r = image_store_discard(c->p->rt->images, c->work)) < 0)
		return errbuf_set(eb, "cannot clear the writable layer: %s", strerror(-r)), r;
	if ((r = fs_mkdir_p(c->upper, 0755)) < 0 || (r = fs_mkdir_p(c->work, 0700)) < 0 ||
	    (r = fs_mkdir_p(c->rootfs_mnt, 0755)) < 0)
		return errbuf_set(eb, "cannot create the bundle: %s", strerror(-r)), r;
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", c->lower, c->upper, c->work);
	r = mount("overlay", c->rootfs_mnt, "overlay", MS_NODEV, opts) < 0 ? -errno : 0;
	free(opts);
	if (r < 0)
		return errbuf_set(eb, "cannot mount the overlay root filesystem: %s", strerror(-r)), r;

	r = resolve_ids(c, img, &ids, eb);
	if (r < 0)
		goto fail_mounted;
	/* The volume belongs to whoever runs Pebble, so it can create $PEBBLE and its socket. */
	if (chown(c->vol_dir, ids.uid, ids.gid) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot chown %s: %s", c->vol_dir, strerror(errno));
		goto fail_mounted;
	}
	struct podspec_container pc = {
		.name = c->name, .hostname = c->p->hostname, .index = c->index, .image = &img->config, .ids = &ids,
		.scree_path = c->p->rt->scree_path, .volume_dir = c->vol_dir, .hosts_path = c->p->hosts_path,
		.hostname_path = c->p->hostname_path, .binds = c->mounts, .n_binds = c->n_mounts,
	};
	r = podspec_build(&pc, &ps, eb);
	if (r < 0)
		goto fail_mounted;
	struct bundle_spec bs = {
		.rootfs = c->rootfs_mnt, .hostname = c->p->hostname, .args = ps.args, .env = ps.env, .cwd = ps.cwd,
		.uid = ids.uid, .gid = ids.gid, .groups = ids.groups, .n_groups = ids.n_groups,
		.netns_path = c->p->netns_path, .cgroups_path = c->cgroups_path, .mounts = ps.mounts,
		.n_mounts = ps.n_mounts,
	};
	r = bundle_config(&bs, &cfg, eb);
	podspec_done(&ps);
	if (r < 0)
		goto fail_mounted;
	r = write_json(c->config_path, cfg, eb);
	json_decref(cfg);
	if (r < 0)
		goto fail_mounted;
	state = json_pack("{s:s}", "image", c->held);
	r = write_json(c->state_path, state, eb);
	json_decref(state);
	if (r < 0)
		goto fail_mounted;
	return 0;
fail_mounted:
	unmount_rootfs(c);
	return r;
}

/* A start that failed before the container ran. */
static void start_failed(struct container *c, const char *msg)
{
	c->end = END_FAILED;
	snprintf(c->end_msg, sizeof(c->end_msg), "%s", msg);
	if (c->runc_known) {
		/* runc may have left a created container behind. */
		delete_container(c);
		return;
	}
	unmount_rootfs(c);
	close_ready(c);
	if (c->goal == GOAL_REMOVE) {
		set_state(c, CTR_DELETING);
		after_delete(c);
		return;
	}
	c->goal = GOAL_UP;
	c->end = END_NONE;
	c->end_msg[0] = '\0';
	set_state(c, CTR_DOWN);
	emit(c, POD_EV_FAILED, msg);
}

static void rotate_log(struct container *c)
{
	struct stat st;

	if (stat(c->log_path, &st) == 0 && st.st_size > (off_t)CTR_LOG_ROTATE_BYTES) {
		char *old = xasprintf("%s.1", c->log_path);

		rename(c->log_path, old);
		free(old);
	}
}

static void on_run_done(void *data, const struct tool_result *res)
{
	struct container *c = data;
	struct buf b = BUF_INIT;
	struct errbuf eb;
	long pid = 0;

	c->tool = NULL;
	if (res->status != 0) {
		tool_result_error(res, &eb);
		start_failed(c, eb.msg);
		return;
	}
	buf_init(&b);
	if (fs_read_file(c->pid_path, 64, &b) == 0)
		pid = strtol(b.data, NULL, 10);
	buf_done(&b);
	set_state(c, CTR_STARTING);
	if (pid <= 1 || !watch_init(c, (pid_t)pid)) {
		/* Gone already (the scree failed at once). */
		if (c->end == END_NONE) {
			char last[ERRBUF_SIZE];

			log_last_line(c, last, sizeof(last));
			c->end = END_FAILED;
			snprintf(c->end_msg, sizeof(c->end_msg), "container exited at once%s%.400s",
				 last[0] ? "; its last words: " : "", last);
		}
		delete_container(c);
		return;
	}
	if (c->goal != GOAL_UP) {
		stop_container(c, END_ASKED, NULL);
		return;
	}
	loop_timer_arm_in(c->timer, POD_READY_TIMEOUT_MS);
	if (c->ready_seen)
		start_probe(c);
}

static void create_container(struct container *c)
{
	struct errbuf eb;
	int p[2];

	if (c->goal == GOAL_REMOVE) {
		start_failed(c, "removed before it started");
		return;
	}
	set_state(c, CTR_CREATING);
	if (prepare_bundle(c, &eb) < 0) {
		start_failed(c, eb.msg);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		errbuf_set(&eb, "pipe: %s", strerror(errno));
		start_failed(c, eb.msg);
		return;
	}
	rotate_log(c);
	unlink(c->pid_path);
	c->ready_seen = false;
	c->ready_fd = p[0];
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->ready_io = loop_io_new(L(c), p[0], EPOLLIN, on_ready_byte, c);
	c->runc_known = true;
	if (runc_run(L(c), &c->p->rt->runc, c->runc_id, c->bundle_dir, c->pid_path, c->log_path, p[1], on_run_done, c,
		     &c->tool, &eb) < 0) {
		close(p[1]);
		c->runc_known = false;
		start_failed(c, eb.msg);
		return;
	}
	close(p[1]); /* runc and the scree hold their copies */
}

static void on_cleaned(void *data, const struct tool_result *res)
{
	struct container *c = data;

	c->tool = NULL;
	if (res->status != 0 && !runc_says_missing(res->err_tail)) {
		struct errbuf eb;

		tool_result_error(res, &eb);
		start_failed(c, eb.msg);
		return;
	}
	c->runc_known = false;
	create_container(c);
}

/* The root filesystem is held: clear a stale runc container if there may be one, then
 * create. */
static void rootfs_ready(struct container *c)
{
	struct errbuf eb;

	if (c->runc_known && c->goal != GOAL_REMOVE) {
		set_state(c, CTR_CLEANING);
		if (runc_delete(L(c), &c->p->rt->runc, c->runc_id, on_cleaned, c, &c->tool, &eb) < 0)
			start_failed(c, eb.msg);
		return;
	}
	create_container(c);
}

static void on_rootfs(void *data, int status, const char *rootfs, const char *msg)
{
	struct container *c = data;

	c->rootfs_req = NULL;
	if (status < 0) {
		free(c->held);
		c->held = NULL; /* the store dropped the reference */
		start_failed(c, msg);
		return;
	}
	free(c->lower);
	c->lower = xstrdup(rootfs);
	rootfs_ready(c);
}

/* Takes the root filesystem of c->image (switching from another one if needed), then goes on
 * to create the container. */
static void start_rootfs(struct container *c)
{
	struct errbuf eb;

	if (c->held && strcmp(c->held, c->image) == 0 && c->lower) {
		kick(c, rootfs_ready);
		return;
	}
	release_rootfs(c);
	c->held = xstrdup(c->image);
	if (image_rootfs_acquire(c->p->rt->images, c->image, on_rootfs, c, &c->rootfs_req, &eb) < 0) {
		free(c->held);
		c->held = NULL;
		start_failed(c, eb.msg);
	}
}

/* ---- adoption ---- */

static bool runc_has(struct container *c);

static void on_adopt_rootfs(void *data, int status, const char *rootfs, const char *msg)
{
	struct container *c = data;

	(void)msg;
	c->rootfs_req = NULL;
	if (status < 0) {
		free(c->held); /* the running container keeps its mount; only the count is lost */
		c->held = NULL;
		return;
	}
	free(c->lower);
	c->lower = xstrdup(rootfs);
}

/* Which image a container was started from (its state.json), or NULL. */
static char *recorded_image(struct container *c)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	char *d = NULL;
	const char *s;

	buf_init(&b);
	if (fs_read_file(c->state_path, 4096, &b) == 0)
		v = json_loadb(b.data, b.len, 0, NULL);
	s = json_string_value(json_object_get(v, "image"));
	if (s && image_digest_valid(s))
		d = xstrdup(s);
	json_decref(v);
	buf_done(&b);
	return d;
}

static void on_state(void *data, const struct tool_result *res)
{
	struct container *c = data;
	struct runc_state st;
	struct errbuf eb;

	c->tool = NULL;
	if (res->status != 0 || runc_state_parse(res->out->data, res->out->len, &st, &eb) < 0) {
		/* Unknown to runc (or unreadable): start afresh, deleting first unless runc said
		 * it does not exist. */
		c->runc_known = !(res->status != 0 && runc_says_missing(res->err_tail));
		st.status = RUNC_STOPPED;
	} else {
		c->runc_known = true;
	}
	if (st.status == RUNC_RUNNING) {
		char *d = recorded_image(c);

		if (d && image_store_get(c->p->rt->images, d)) {
			c->held = d;
			if (image_rootfs_acquire(c->p->rt->images, d, on_adopt_rootfs, c, &c->rootfs_req, &eb) < 0) {
				free(c->held);
				c->held = NULL;
			}
		} else {
			free(d);
		}
		if (!watch_init(c, st.pid)) {
			/* It died between runc's answer and now: start it again. */
			if (c->goal != GOAL_REMOVE)
				c->goal = GOAL_RESTART;
			delete_container(c);
			return;
		}
		c->adopted = true;
		set_state(c, CTR_STARTING);
		if (c->goal != GOAL_UP) {
			stop_container(c, END_ASKED, NULL);
			return;
		}
		start_probe(c);
		return;
	}
	/* Created, stopped, paused, or unknown: nothing to adopt. */
	if (c->goal == GOAL_REMOVE) {
		delete_container(c);
		return;
	}
	c->goal = GOAL_UP;
	set_state(c, CTR_ROOTFS);
	start_rootfs(c);
}

void container_begin(struct container *c)
{
	struct errbuf eb;

	if (c->state != CTR_WAITING)
		return;
	if (c->goal == GOAL_REMOVE) {
		set_state(c, CTR_REMOVED);
		pod_container_gone(c->p, c);
		return;
	}
	/* runc keeps a directory per container under its root: without one there is nothing
	 * to adopt and no need to ask. */
	c->runc_known = runc_has(c);
	if (!c->runc_known) {
		c->goal = GOAL_UP;
		set_state(c, CTR_ROOTFS);
		start_rootfs(c);
		return;
	}
	set_state(c, CTR_ADOPTING);
	if (runc_state(L(c), &c->p->rt->runc, c->runc_id, on_state, c, &c->tool, &eb) < 0) {
		set_state(c, CTR_ROOTFS);
		start_rootfs(c);
	}
}

/* ---- owner's requests ---- */

int container_restart(struct container *c, const char *image, struct errbuf *eb)
{
	if (c->goal == GOAL_REMOVE || c->state == CTR_REMOVED)
		return errbuf_set(eb, "container %s is being removed", c->name), -ESHUTDOWN;
	if (image) {
		if (!image_digest_valid(image) || !image_store_get(c->p->rt->images, image))
			return errbuf_set(eb, "image %s is not in the store", image), -ENOENT;
		free(c->image);
		c->image = xstrdup(image);
	}
	switch (c->state) {
	case CTR_WAITING:
		break; /* begins with the new image once the network is up */
	case CTR_DOWN:
		c->goal = GOAL_UP;
		set_state(c, CTR_ROOTFS);
		start_rootfs(c);
		break;
	case CTR_STARTING:
	case CTR_READY:
		c->goal = GOAL_RESTART;
		stop_container(c, END_ASKED, NULL);
		break;
	default:
		c->goal = GOAL_RESTART; /* the step in flight looks at it when it completes */
		break;
	}
	return 0;
}

static bool runc_has(struct container *c)
{
	struct stat sb;
	char *dir = xasprintf("%s/%s", c->p->rt->runc.root, c->runc_id);
	bool has = stat(dir, &sb) == 0;

	free(dir);
	return has;
}

static void remove_now(struct container *c)
{
	/* Never looked at (removed before the network was up), or down: runc may still hold
	 * a container of ours from an earlier supervisor. */
	if (c->state == CTR_WAITING && runc_has(c)) {
		c->runc_known = true;
		delete_container(c);
		return;
	}
	release_rootfs(c);
	unmount_rootfs(c);
	image_store_discard(c->p->rt->images, c->bundle_dir);
	set_state(c, CTR_REMOVED);
	pod_container_gone(c->p, c);
}

void container_remove(struct container *c)
{
	if (c->goal == GOAL_REMOVE)
		return;
	c->goal = GOAL_REMOVE;
	switch (c->state) {
	case CTR_WAITING:
	case CTR_DOWN:
		kick(c, remove_now);
		break;
	case CTR_ROOTFS:
		if (c->rootfs_req) {
			image_req_cancel(c->rootfs_req);
			c->rootfs_req = NULL;
			free(c->held);
			c->held = NULL;
			kick(c, remove_now);
		}
		/* else a kick to rootfs_ready is pending; it sees the goal */
		break;
	case CTR_STARTING:
	case CTR_READY:
		stop_container(c, END_ASKED, NULL);
		break;
	default:
		break; /* the step in flight looks at the goal */
	}
}

/* ---- handle ---- */

struct container *container_new(struct pod *p, const struct pod_container_spec *s, size_t index,
				struct errbuf *eb)
{
	struct container *c;
	int r;

	if (!podname_ok(s->name, POD_CONTAINER_NAME_MAX, PODNAME_LOWER))
		return errbuf_set(eb, "container name \"%s\" is invalid", s->name ? s->name : ""), NULL;
	if (!s->image || !image_digest_valid(s->image) || !image_store_get(p->rt->images, s->image))
		return errbuf_set(eb, "container %s: image %s is not in the store", s->name, s->image ? s->image : "(none)"),
		       NULL;
	if (s->n_mounts > BUNDLE_MOUNTS_MAX - 4)
		return errbuf_set(eb, "container %s: too many mounts", s->name), NULL;
	c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->name = xstrdup(s->name);
	c->index = index;
	c->runc_id = xasprintf("%s_%s", p->id, s->name);
	c->cgroups_path = xasprintf("/%s%s", p->rt->prefix, c->runc_id);
	c->vol_dir = xasprintf("%s/%s", p->dir, s->name);
	c->socket_path = xasprintf("%s/pebble.socket", c->vol_dir);
	c->bundle_dir = xasprintf("%s/%s", p->run_dir, s->name);
	c->rootfs_mnt = xasprintf("%s/rootfs", c->bundle_dir);
	c->upper = xasprintf("%s/upper", c->bundle_dir);
	c->work = xasprintf("%s/work", c->bundle_dir);
	c->config_path = xasprintf("%s/config.json", c->bundle_dir);
	c->state_path = xasprintf("%s/state.json", c->bundle_dir);
	c->log_path = xasprintf("%s/container.log", c->bundle_dir);
	c->pid_path = xasprintf("%s/init.pid", c->bundle_dir);
	c->image = xstrdup(s->image);
	c->set_ids = s->set_ids;
	c->uid = s->uid;
	c->gid = s->gid;
	c->pidfd = c->ready_fd = -1;
	c->timer = loop_timer_new(p->rt->l, on_timer, c);
	c->kick = loop_timer_new(p->rt->l, on_kick, c);
	c->mounts = xcalloc(s->n_mounts + 1, sizeof(*c->mounts));
	for (size_t i = 0; i < s->n_mounts; i++) {
		c->mounts[i].source = xstrdup(s->mounts[i].source ? s->mounts[i].source : "");
		c->mounts[i].target = xstrdup(s->mounts[i].target ? s->mounts[i].target : "");
		c->mounts[i].readonly = s->mounts[i].readonly;
	}
	c->n_mounts = s->n_mounts;
	for (size_t i = 0; i < c->n_mounts; i++) {
		r = podspec_check_bind(c->mounts[i].target, eb);
		if (r == 0 && c->mounts[i].source[0] != '/')
			r = (errbuf_set(eb, "mount source \"%s\" is not an absolute path", c->mounts[i].source), -EINVAL);
		if (r < 0) {
			errbuf_wrap(eb, "container %s", c->name);
			container_free(c);
			return NULL;
		}
	}
	if (strlen(c->socket_path) >= 108) {
		errbuf_set(eb, "container %s: socket path %s is too long for a UNIX socket", c->name, c->socket_path);
		container_free(c);
		return NULL;
	}
	if (!runc_id_ok(c->runc_id)) {
		errbuf_set(eb, "container %s: runc id %s is invalid", c->name, c->runc_id);
		container_free(c);
		return NULL;
	}
	c->state = CTR_WAITING;
	c->goal = GOAL_UP;
	return c;
}

int container_make_volume(struct container *c, struct errbuf *eb)
{
	int r = fs_mkdir_p(c->vol_dir, 0755);

	if (r < 0)
		errbuf_set(eb, "cannot create %s: %s", c->vol_dir, strerror(-r));
	return r;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	tool_abandon(c->tool);
	probe_cancel(c->probe);
	/* A pending acquire keeps its reference: the container may be running on it. */
	image_req_keep(c->rootfs_req);
	close_ready(c);
	close_pidfd(c);
	loop_timer_free(c->timer);
	loop_timer_free(c->kick);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free((char *)c->mounts[i].source);
		free((char *)c->mounts[i].target);
	}
	free(c->mounts);
	free(c->name);
	free(c->runc_id);
	free(c->cgroups_path);
	free(c->vol_dir);
	free(c->socket_path);
	free(c->bundle_dir);
	free(c->rootfs_mnt);
	free(c->upper);
	free(c->work);
	free(c->config_path);
	free(c->state_path);
	free(c->log_path);
	free(c->pid_path);
	free(c->image);
	free(c->held);
	free(c->lower);
	free(c);
}

const char *container_name(const struct container *c)
{
	return c->name;
}

const char *container_runc_id(const struct container *c)
{
	return c->runc_id;
}

pid_t container_pid(const struct container *c)
{
	return c->pid;
}

bool container_is_gone(const struct container *c)
{
	return c->state == CTR_REMOVED;
}

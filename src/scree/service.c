/* service.c - the service state machine and its process; see service.h. */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "launch.h"
#include "lib/strnum.h"

struct svc_reader {
	struct svc_reader *next;
	int fd;
	struct loop_io *io;
	struct service *svc;
};

static const char *const state_names[SVC_STATE_MAX] = {
	[SVC_INITIAL] = "initial",
	[SVC_STARTING] = "starting",
	[SVC_RUNNING] = "running",
	[SVC_TERMINATING] = "terminating",
	[SVC_KILLING] = "killing",
	[SVC_STOPPED] = "stopped",
	[SVC_BACKOFF] = "backoff",
	[SVC_EXITED] = "exited",
};

static const char *const status_names[SVC_STATUS_MAX] = {
	[SVC_STATUS_INACTIVE] = "inactive",
	[SVC_STATUS_ACTIVE] = "active",
	[SVC_STATUS_BACKOFF] = "backoff",
	[SVC_STATUS_ERROR] = "error",
};

static bool exec_status(struct service *s);
static void exec_watch_close(struct service *s);

#define B(s) (1u << (s))
/* legal_next[a] has bit b set iff a -> b is a legal transition (see the diagram in
 * service.h; upstream servstate/state-diagram.dot). */
static const unsigned legal_next[SVC_STATE_MAX] = {
	[SVC_INITIAL] = B(SVC_STARTING) | B(SVC_STOPPED),
	[SVC_STARTING] = B(SVC_RUNNING) | B(SVC_TERMINATING) | B(SVC_STOPPED) | B(SVC_BACKOFF) | B(SVC_EXITED),
	[SVC_RUNNING] = B(SVC_TERMINATING) | B(SVC_STOPPED) | B(SVC_BACKOFF) | B(SVC_EXITED),
	[SVC_TERMINATING] = B(SVC_KILLING) | B(SVC_STOPPED) | B(SVC_BACKOFF),
	[SVC_KILLING] = B(SVC_STOPPED) | B(SVC_BACKOFF),
	[SVC_STOPPED] = B(SVC_INITIAL),
	[SVC_BACKOFF] = B(SVC_RUNNING) | B(SVC_STOPPED) | B(SVC_INITIAL) | B(SVC_BACKOFF),
	[SVC_EXITED] = B(SVC_INITIAL) | B(SVC_STOPPED) | B(SVC_BACKOFF),
};
#undef B

const char *svc_state_name(enum svc_state s)
{
	return (unsigned)s < SVC_STATE_MAX ? state_names[s] : "invalid";
}

const char *svc_status_name(enum svc_status s)
{
	return (unsigned)s < SVC_STATUS_MAX ? status_names[s] : "inactive";
}

enum svc_status svc_status_of(enum svc_state s)
{
	switch (s) {
	case SVC_STARTING:
	case SVC_RUNNING:
		return SVC_STATUS_ACTIVE;
	case SVC_BACKOFF:
		return SVC_STATUS_BACKOFF;
	case SVC_EXITED:
		return SVC_STATUS_ERROR;
	default:
		return SVC_STATUS_INACTIVE;
	}
}

bool svc_transition_legal(enum svc_state a, enum svc_state b)
{
	return (unsigned)a < SVC_STATE_MAX && (unsigned)b < SVC_STATE_MAX && (legal_next[a] & (1u << b));
}

/* The one place the state changes.  Every state owns sv_timer, so it is disarmed here. */
static void svc_set_state(struct service *s, enum svc_state to)
{
	if (!svc_transition_legal(s->sv_state, to)) {
		log_error("internal error: service \"%s\" cannot go from %s to %s", s->sv_name,
			  svc_state_name(s->sv_state), svc_state_name(to));
		return;
	}
	log_debug("Service \"%s\" transitioning to state \"%s\"", s->sv_name, svc_state_name(to));
	if (svc_status_of(s->sv_state) != svc_status_of(to))
		s->sv_current_since_ns = loop_wall_ns();
	if (to != SVC_TERMINATING && to != SVC_KILLING && to != SVC_BACKOFF)
		s->sv_restarting = false;
	s->sv_state = to;
	loop_timer_disarm(s->sv_timer);
}

static void arm(struct service *s, uint64_t ms)
{
	loop_timer_arm_in(s->sv_timer, ms);
}

static void timer_cb(struct loop_timer *t, void *data)
{
	struct service *s = data;
	enum svc_event ev;

	(void)t;
	switch (s->sv_state) {
	case SVC_STARTING:
		ev = SVC_EV_OKAY_TIMER;
		break;
	case SVC_TERMINATING:
		ev = SVC_EV_KILL_TIMER;
		break;
	case SVC_KILLING:
		ev = SVC_EV_FAIL_TIMER;
		break;
	case SVC_BACKOFF:
		ev = SVC_EV_BACKOFF_TIMER;
		break;
	default:
		return;
	}
	svc_handle(s, ev, 0, NULL);
}

static void reset_timer_cb(struct loop_timer *t, void *data)
{
	(void)t;
	svc_handle(data, SVC_EV_RESET_TIMER, 0, NULL);
}

static uint64_t next_rand(struct service *s)
{
	/* xorshift64*: jitter needs spread, not cryptographic strength. */
	s->sv_rand ^= s->sv_rand >> 12;
	s->sv_rand ^= s->sv_rand << 25;
	s->sv_rand ^= s->sv_rand >> 27;
	return s->sv_rand * 2685821657736338717ull;
}

struct service *svc_new(struct loop *l, const char *name, const struct svc_ops *ops, void *data)
{
	struct service *s = xcalloc(1, sizeof(*s));

	s->sv_name = xstrdup(name);
	s->sv_state = SVC_INITIAL;
	s->sv_loop = l;
	s->sv_ops = ops;
	s->sv_data = data;
	logring_init(&s->sv_logs, name);
	s->sv_timer = loop_timer_new(l, timer_cb, s);
	s->sv_reset_timer = loop_timer_new(l, reset_timer_cb, s);
	s->sv_exec_fd = -1;
	s->sv_rand = loop_wall_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
	if (!s->sv_rand)
		s->sv_rand = 1;
	return s;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char **strv_dup(char *const *v)
{
	size_t n = 0;
	char **r;

	while (v && v[n])
		n++;
	r = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

static void reader_free(struct svc_reader *r)
{
	loop_io_free(r->io);
	close(r->fd);
	free(r);
}

static void reader_unlink(struct service *s, struct svc_reader *r)
{
	for (struct svc_reader **pp = &s->sv_readers; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
}

static void reader_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct svc_reader *r = data;
	struct service *s = r->svc;
	char chunk[SVC_READ_CHUNK];
	struct buf fmt = BUF_INIT;

	(void)io;
	(void)events;
	buf_init(&fmt);
	/* A bounded number of reads per wakeup keeps one chatty service from starving the
	 * loop; level-triggered epoll brings us back for the rest. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n > 0) {
			logring_write(&s->sv_logs, chunk, (size_t)n, loop_wall_ns(), &fmt);
			continue;
		}
		if (n < 0 && (errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* EOF or a hard error: every writer (the process and its children) is gone. */
		reader_unlink(s, r);
		reader_free(r);
		break;
	}
	if (fmt.len && s->sv_ops && s->sv_ops->output)
		s->sv_ops->output(s->sv_data, s, fmt.data, fmt.len);
	buf_done(&fmt);
}

static void child_cb(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct service *s = data;
	int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;

	(void)l;
	if (pid != s->sv_pid)
		return; /* an earlier process given up on after SIGKILL, or one that never exec'd */
	/* A child that could not exec exits at once: its status pipe says why. */
	if (exec_status(s))
		return;
	s->sv_pid = 0;
	s->sv_exit_code = code;
	/* The process is gone, so whatever it wrote is already in the pipe: read it now so a
	 * failed start can quote its last output (the pipe may be later in this batch). */
	for (struct svc_reader *r = s->sv_readers, *next; r; r = next) {
		next = r->next;
		reader_cb(r->io, r->fd, EPOLLIN, r);
	}
	svc_handle(s, SVC_EV_EXIT, code, NULL);
}

void svc_free(struct service *s)
{
	if (!s)
		return;
	if (s->sv_pid > 0) {
		kill(-s->sv_pid, SIGKILL);
		loop_forget_child(s->sv_loop, s->sv_pid);
	}
	while (s->sv_readers) {
		struct svc_reader *r = s->sv_readers;

		s->sv_readers = r->next;
		reader_free(r);
	}
	exec_watch_close(s);
	loop_timer_free(s->sv_timer);
	loop_timer_free(s->sv_reset_timer);
	logring_done(&s->sv_logs);
	plan_service_free(s->sv_config);
	strv_free(s->sv_launch.argv);
	strv_free(s->sv_launch.envp);
	free((char *)s->sv_launch.cwd);
	free(s->sv_name);
	free(s);
}

void svc_set_config(struct service *s, const struct plan_service *cfg, const struct svc_launch *launch)
{
	plan_service_free(s->sv_config);
	s->sv_config = plan_service_dup(cfg);
	strv_free(s->sv_launch.argv);
	strv_free(s->sv_launch.envp);
	free((char *)s->sv_launch.cwd);
	s->sv_launch = *launch;
	s->sv_launch.argv = strv_dup(launch->argv);
	s->sv_launch.envp = strv_dup(launch->envp);
	s->sv_launch.cwd = launch->cwd ? xstrdup(launch->cwd) : NULL;
}

static void exec_watch_close(struct service *s)
{
	if (s->sv_exec_io) {
		loop_io_free(s->sv_exec_io);
		s->sv_exec_io = NULL;
	}
	if (s->sv_exec_fd >= 0) {
		close(s->sv_exec_fd);
		s->sv_exec_fd = -1;
	}
}

static void spawn_failed(struct service *s, const char *msg);

/* Reads the exec result of the newest process.  Returns true if exec failed (the failure
 * has then been handled). */
static bool exec_status(struct service *s)
{
	struct errbuf eb;
	int rv;

	if (s->sv_exec_fd < 0)
		return false;
	errbuf_clear(&eb);
	rv = launch_check(s->sv_exec_fd, s->sv_launch.argv[0], s->sv_launch.cwd, &eb);
	if (rv == 0)
		return false;
	exec_watch_close(s);
	if (rv > 0)
		return false;
	spawn_failed(s, eb.msg);
	return true;
}

static void exec_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	exec_status(data);
}

/* Starts the process; its exec result arrives asynchronously, see launch.h.  Output
 * goes through one pipe shared by stdout and stderr. */
static int svc_spawn(struct service *s, struct errbuf *eb)
{
	struct launch_opts o;
	int p[2] = { -1, -1 }, pidfd = -1, status_fd = -1, rv;
	pid_t pid = 0;
	struct svc_reader *r;

	if (!s->sv_launch.argv || !s->sv_launch.argv[0]) {
		errbuf_set(eb, "cannot start service: empty command");
		return -EINVAL;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		rv = -errno;
		errbuf_set(eb, "cannot start service: cannot create pipe: %s", strerror(errno));
		return rv;
	}
	memset(&o, 0, sizeof(o));
	o.argv = s->sv_launch.argv;
	o.envp = s->sv_launch.envp;
	o.cwd = s->sv_launch.cwd;
	o.out_fd = p[1];
	o.set_ids = s->sv_launch.set_ids;
	o.uid = s->sv_launch.uid;
	o.gid = s->sv_launch.gid;
	log_info("Service \"%s\" starting: %s", s->sv_name,
		 s->sv_config && s->sv_config->command ? s->sv_config->command : o.argv[0]);
	rv = launch_start(&o, &pid, &pidfd, &status_fd, eb);
	close(p[1]);
	if (rv < 0) {
		close(p[0]);
		errbuf_wrap(eb, "cannot start service");
		return rv;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	r = xcalloc(1, sizeof(*r));
	r->fd = p[0];
	r->svc = s;
	r->io = loop_io_new(s->sv_loop, p[0], EPOLLIN, reader_cb, r);
	r->next = s->sv_readers;
	s->sv_readers = r;
	exec_watch_close(s);
	s->sv_exec_fd = status_fd;
	s->sv_exec_io = loop_io_new(s->sv_loop, status_fd, EPOLLIN, exec_cb, s);
	s->sv_pid = pid;
	s->sv_ever_started = true;
	s->sv_start_count++;
	loop_add_child(s->sv_loop, pid, pidfd, child_cb, s);
	log_debug("Service \"%s\" started with PID %d", s->sv_name, (int)pid);
	loop_timer_arm_in(s->sv_reset_timer,
			  (uint64_t)(plan_service_backoff_limit(s->sv_config) / 1000000));
	return 0;
}

static int64_t next_backoff(const struct service *s)
{
	int64_t limit = plan_service_backoff_limit(s->sv_config);
	double next;

	if (s->sv_backoff_ns == 0)
		return plan_service_backoff_delay(s->sv_config);
	if (s->sv_backoff_ns >= limit)
		return limit;
	next = (double)s->sv_backoff_ns * plan_service_backoff_factor(s->sv_config);
	if (next > (double)limit)
		return limit;
	return (int64_t)next;
}

static void do_backoff(struct service *s, const char *on_type)
{
	char dur[32];
	int64_t jitter;

	s->sv_backoff_num++;
	s->sv_backoff_ns = next_backoff(s);
	strnum_fmt_duration(s->sv_backoff_ns, dur, sizeof(dur));
	log_info("Service \"%s\" %s action is \"restart\", waiting ~%s before restart (backoff %d)",
		 s->sv_name, on_type, dur, s->sv_backoff_num);
	svc_set_state(s, SVC_BACKOFF);
	/* 0-10 % jitter, as upstream, so restarting services do not move in lockstep. */
	jitter = (int64_t)((double)s->sv_backoff_ns * 0.1 * ((double)(next_rand(s) >> 11) / 9007199254740992.0));
	arm(s, (uint64_t)((s->sv_backoff_ns + jitter + 999999) / 1000000));
}

static void report_start(struct service *s, const char *err, bool attempt)
{
	if (s->sv_ops && s->sv_ops->start_result)
		s->sv_ops->start_result(s->sv_data, s, err, attempt);
}

static void report_stop(struct service *s, const char *err)
{
	if (s->sv_ops && s->sv_ops->stop_result)
		s->sv_ops->stop_result(s->sv_data, s, err);
}

static void request_shutdown(struct service *s, int code)
{
	if (s->sv_ops && s->sv_ops->shutdown)
		s->sv_ops->shutdown(s->sv_data, s, code);
}

static void signal_group(struct service *s, int sig)
{
	if (s->sv_pid > 0 && kill(-s->sv_pid, sig) < 0)
		log_info("Cannot send %s to process: %s", sig == SIGKILL ? "SIGKILL" : "SIGTERM", strerror(errno));
}

/* on-success/on-failure handling of an unexpected exit (upstream exited()). */
static void handle_exit_action(struct service *s, int code)
{
	bool ok = code == 0;
	enum plan_action a = ok ? plan_service_on_success(s->sv_config) : plan_service_on_failure(s->sv_config);
	const char *on_type = ok ? "on-success" : "on-failure";

	log_info("Service \"%s\" stopped unexpectedly with code %d", s->sv_name, code);
	switch (a) {
	case PLAN_ACTION_IGNORE:
		log_info("Service \"%s\" %s action is \"ignore\", not doing anything further", s->sv_name, on_type);
		svc_set_state(s, ok ? SVC_STOPPED : SVC_EXITED);
		break;
	case PLAN_ACTION_SHUTDOWN:
		log_info("Service \"%s\" %s action is \"shutdown\", triggering %s shutdown", s->sv_name, on_type,
			 ok ? "success" : "failure");
		svc_set_state(s, SVC_EXITED);
		request_shutdown(s, ok ? 0 : 10);
		break;
	case PLAN_ACTION_SUCCESS_SHUTDOWN:
		log_info("Service \"%s\" %s action is \"success-shutdown\", triggering success shutdown",
			 s->sv_name, on_type);
		svc_set_state(s, SVC_EXITED);
		request_shutdown(s, 0);
		break;
	case PLAN_ACTION_FAILURE_SHUTDOWN:
		log_info("Service \"%s\" %s action is \"failure-shutdown\", triggering failure shutdown",
			 s->sv_name, on_type);
		svc_set_state(s, SVC_EXITED);
		request_shutdown(s, 10);
		break;
	default:
		do_backoff(s, on_type);
		break;
	}
}

static const char *action_word(enum plan_action a)
{
	const char *n = plan_action_name(a);

	return n && *n ? n : "restart";
}

static void check_failed(struct service *s, enum plan_action a)
{
	if (s->sv_state != SVC_RUNNING && s->sv_state != SVC_BACKOFF && s->sv_state != SVC_EXITED)
		return;
	switch (a) {
	case PLAN_ACTION_SHUTDOWN:
		log_info("Service \"%s\" on-check-failure action is \"shutdown\", triggering failure shutdown",
			 s->sv_name);
		request_shutdown(s, 11);
		break;
	case PLAN_ACTION_SUCCESS_SHUTDOWN:
		log_info("Service \"%s\" on-check-failure action is \"success-shutdown\", triggering success shutdown",
			 s->sv_name);
		request_shutdown(s, 0);
		break;
	case PLAN_ACTION_RESTART:
		if (s->sv_state == SVC_RUNNING) {
			log_info("Service \"%s\" on-check-failure action is \"restart\", terminating process before restarting",
				 s->sv_name);
			signal_group(s, SIGTERM);
			svc_set_state(s, SVC_TERMINATING);
			s->sv_restarting = true;
			arm(s, (uint64_t)(plan_service_kill_delay(s->sv_config) / 1000000));
		} else if (s->sv_state == SVC_EXITED) {
			do_backoff(s, "on-check-failure");
		} else {
			log_info("Service \"%s\" on-check-failure action is \"restart\", waiting for current backoff",
				 s->sv_name);
		}
		break;
	case PLAN_ACTION_IGNORE:
		log_info("Service \"%s\" on-check-failure action is \"ignore\", not doing anything further", s->sv_name);
		break;
	default:
		break;
	}
}

/* The newest process could not exec: it never ran, so this is not an exit. */
static void spawn_failed(struct service *s, const char *msg)
{
	char full[ERRBUF_SIZE + 32];

	s->sv_pid = 0; /* its exit (127) is reaped and ignored */
	loop_timer_disarm(s->sv_reset_timer);
	snprintf(full, sizeof(full), "cannot start service: %s", msg);
	log_info("Service \"%s\": %s", s->sv_name, full);
	switch (s->sv_state) {
	case SVC_STARTING:
		svc_set_state(s, SVC_STOPPED);
		report_start(s, full, false);
		break;
	case SVC_RUNNING:
		/* A respawn from backoff: keep backing off. */
		do_backoff(s, "on-failure");
		break;
	case SVC_TERMINATING:
	case SVC_KILLING:
		svc_set_state(s, SVC_STOPPED);
		if (!s->sv_restarting)
			report_stop(s, NULL);
		break;
	default:
		break;
	}
}

int svc_handle(struct service *s, enum svc_event ev, int arg, struct errbuf *eb)
{
	char msg[256];
	int rv;

	switch (ev) {
	case SVC_EV_START:
		switch (s->sv_state) {
		case SVC_STOPPED:
		case SVC_BACKOFF:
		case SVC_EXITED:
			s->sv_backoff_num = 0;
			s->sv_backoff_ns = 0;
			svc_set_state(s, SVC_INITIAL);
			/* FALLTHROUGH */
		case SVC_INITIAL:
			rv = svc_spawn(s, eb);
			if (rv < 0) {
				svc_set_state(s, SVC_STOPPED);
				return rv;
			}
			svc_set_state(s, SVC_STARTING);
			arm(s, SVC_OKAY_DELAY_MS);
			return 0;
		default:
			errbuf_set(eb, "cannot start service while %s", svc_state_name(s->sv_state));
			return -EINVAL;
		}

	case SVC_EV_STOP:
		switch (s->sv_state) {
		case SVC_STARTING:
			report_start(s, "stopped before the 1s okay delay", true);
			/* FALLTHROUGH */
		case SVC_RUNNING:
			signal_group(s, SIGTERM);
			svc_set_state(s, SVC_TERMINATING);
			arm(s, (uint64_t)(plan_service_kill_delay(s->sv_config) / 1000000));
			return 0;
		case SVC_BACKOFF:
			log_info("Service \"%s\" stopped while waiting for backoff", s->sv_name);
			svc_set_state(s, SVC_STOPPED);
			report_stop(s, NULL);
			return 0;
		case SVC_EXITED:
		case SVC_INITIAL:
			svc_set_state(s, SVC_STOPPED);
			report_stop(s, NULL);
			return 0;
		default:
			errbuf_set(eb, "cannot stop service while %s", svc_state_name(s->sv_state));
			return -EINVAL;
		}

	case SVC_EV_ABORT_START:
		if (s->sv_state != SVC_STARTING)
			return 0;
		svc_set_state(s, SVC_STOPPED);
		if (s->sv_pid > 0 && kill(-s->sv_pid, SIGKILL) < 0) {
			snprintf(msg, sizeof(msg), "start aborted, but cannot send SIGKILL to process: %s",
				 strerror(errno));
			report_start(s, msg, false);
		} else {
			report_start(s, "start aborted, sent SIGKILL to process", false);
		}
		return 0;

	case SVC_EV_OKAY_TIMER:
		if (s->sv_state == SVC_STARTING) {
			svc_set_state(s, SVC_RUNNING);
			report_start(s, NULL, false);
		}
		return 0;

	case SVC_EV_EXIT:
		loop_timer_disarm(s->sv_reset_timer);
		switch (s->sv_state) {
		case SVC_STARTING: {
			bool ok = arg == 0;
			enum plan_action a = ok ? plan_service_on_success(s->sv_config)
						: plan_service_on_failure(s->sv_config);

			snprintf(msg, sizeof(msg), "exited quickly with code %d, will %s", arg, action_word(a));
			report_start(s, msg, true);
			handle_exit_action(s, arg);
			return 0;
		}
		case SVC_RUNNING:
			handle_exit_action(s, arg);
			return 0;
		case SVC_TERMINATING:
		case SVC_KILLING:
			if (s->sv_restarting) {
				log_info("Service \"%s\" exited after check failure, restarting", s->sv_name);
				do_backoff(s, "on-check-failure");
			} else {
				log_info("Service \"%s\" stopped", s->sv_name);
				svc_set_state(s, SVC_STOPPED);
				report_stop(s, NULL);
			}
			return 0;
		default:
			/* Stopped: the process we SIGKILLed after an aborted start. */
			return 0;
		}

	case SVC_EV_KILL_TIMER:
		if (s->sv_state == SVC_TERMINATING) {
			bool restarting = s->sv_restarting;

			log_debug("Attempting to stop service \"%s\" again by sending SIGKILL", s->sv_name);
			signal_group(s, SIGKILL);
			svc_set_state(s, SVC_KILLING);
			s->sv_restarting = restarting;
			arm(s, SVC_FAIL_DELAY_MS);
		}
		return 0;

	case SVC_EV_FAIL_TIMER:
		if (s->sv_state == SVC_KILLING) {
			bool restarting = s->sv_restarting;

			log_info("Service \"%s\" still running after SIGTERM and SIGKILL", s->sv_name);
			svc_set_state(s, SVC_STOPPED);
			if (!restarting)
				report_stop(s, "process still running after SIGTERM and SIGKILL");
		}
		return 0;

	case SVC_EV_BACKOFF_TIMER:
		if (s->sv_state != SVC_BACKOFF)
			return 0;
		{
			struct errbuf e;

			errbuf_clear(&e);
			if (svc_spawn(s, &e) < 0) {
				log_info("Service \"%s\": %s", s->sv_name, e.msg);
				do_backoff(s, "on-failure");
				return 0;
			}
			svc_set_state(s, SVC_RUNNING);
		}
		return 0;

	case SVC_EV_RESET_TIMER:
		if (s->sv_state == SVC_RUNNING) {
			log_debug("Service \"%s\" backoff reset elapsed, resetting backoff state", s->sv_name);
			s->sv_backoff_num = 0;
			s->sv_backoff_ns = 0;
		}
		return 0;

	case SVC_EV_CHECK_FAILED:
		check_failed(s, (enum plan_action)arg);
		return 0;

	default:
		errbuf_set(eb, "invalid service event %d", (int)ev);
		return -EINVAL;
	}
}

int svc_signal(struct service *s, int signo, struct errbuf *eb)
{
	if (s->sv_state != SVC_STARTING && s->sv_state != SVC_RUNNING) {
		errbuf_set(eb, "service is not running");
		return -ESRCH;
	}
	if (kill(s->sv_pid, signo) < 0) {
		int rv = -errno;

		errbuf_set(eb, "%s", strerror(errno));
		return rv;
	}
	return 0;
}

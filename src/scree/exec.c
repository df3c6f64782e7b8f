/* exec.c - the exec task runtime; see exec.h. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "http/ws_conn.h"
#include "launch.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/strnum.h"
#include "servmgr.h"
#include "tty.h"

static const char *const state_names[_EXEC_STATE_MAX] = {
	[EXEC_SETUP] = "setup",
	[EXEC_CONNECTING] = "connecting",
	[EXEC_RUNNING] = "running",
	[EXEC_DRAINING] = "draining",
	[EXEC_DONE] = "done",
};

/* legal[from][to] (see exec.h). */
static const bool legal[_EXEC_STATE_MAX][_EXEC_STATE_MAX] = {
	[EXEC_SETUP] = { [EXEC_CONNECTING] = true, [EXEC_DONE] = true },
	[EXEC_CONNECTING] = { [EXEC_RUNNING] = true, [EXEC_DRAINING] = true, [EXEC_DONE] = true },
	[EXEC_RUNNING] = { [EXEC_DRAINING] = true },
	[EXEC_DRAINING] = { [EXEC_DONE] = true },
};

static const char *const ws_names[_EXEC_WS_MAX] = {
	[EXEC_WS_CONTROL] = "control",
	[EXEC_WS_STDIO] = "stdio",
	[EXEC_WS_STDERR] = "stderr",
};

/* One output of the command (a pipe, or the pty master) and the websocket it goes to. */
struct exec_out {
	struct exec *e;
	int fd;
	struct loop_io *io;
	enum exec_ws ws;
	bool reading;     /* EPOLLIN registered */
	bool eof;         /* the stream has ended (or was abandoned) */
	bool end_queued;  /* {"command":"end"} was queued on the websocket */
	bool is_pty;
};

/* Callback data of one websocket. */
struct exec_wsref {
	struct exec *e;
	enum exec_ws w;
};

struct exec {
	struct execmgr *m;
	struct exec *next, *prev;
	struct task *task;
	int task_id;
	struct exec_args a;
	enum exec_state state;

	struct ws_conn *ws[_EXEC_WS_MAX];
	bool ws_used[_EXEC_WS_MAX];
	struct exec_wsref refs[_EXEC_WS_MAX];

	struct loop_timer *connect_timer;
	struct loop_timer *timeout_timer;
	pid_t pid;
	bool child_alive;
	bool timed_out;
	bool aborted;
	int exit_code;
	char *spawn_err;       /* the command could not be started */
	int status_fd;         /* launch.h exec status pipe */
	struct loop_io *status_io;
	int pty_master;        /* borrowed from out[0] (terminal), for resizes */

	/* Standard input: a pipe's write end, or (interactive terminal) the pty master. */
	int in_fd;
	struct loop_io *in_io;
	struct buf in_pending; /* what the fd did not take yet */
	bool in_end;           /* close once in_pending is written */
	bool in_closed;        /* closed (or the reader is gone): input is discarded */

	struct exec_out out[2];
	size_t n_out;
};

void exec_args_done(struct exec_args *a)
{
	for (char **p = a->argv; p && *p; p++)
		free(*p);
	free(a->argv);
	for (char **p = a->envp; p && *p; p++)
		free(*p);
	free(a->envp);
	free(a->working_dir);
	memset(a, 0, sizeof(*a));
}

static void exec_set_state(struct exec *e, enum exec_state st)
{
	if (!legal[e->state][st]) {
		log_error("Exec %d: internal error: illegal transition %s -> %s", e->task_id,
			  state_names[e->state], state_names[st]);
		abort();
	}
	log_debug("Exec %d: %s -> %s", e->task_id, state_names[e->state], state_names[st]);
	e->state = st;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void out_close(struct exec_out *o)
{
	loop_io_free(o->io);
	o->io = NULL;
	close_fd(&o->fd);
	o->reading = false;
}

static void stdin_close(struct exec *e)
{
	loop_io_free(e->in_io);
	e->in_io = NULL;
	close_fd(&e->in_fd);
	e->in_closed = true;
	buf_reset(&e->in_pending);
}

/* Frees e (unlinked), closing what is left.  Websockets still open get a normal close. */
static void exec_free(struct exec *e)
{
	struct execmgr *m = e->m;

	if (e->prev)
		e->prev->next = e->next;
	else
		m->list = e->next;
	if (e->next)
		e->next->prev = e->prev;
	m->n--;
	for (int i = 0; i < _EXEC_WS_MAX; i++) {
		if (e->ws[i])
			ws_conn_shutdown(e->ws[i], WS_CLOSE_NORMAL, NULL);
		e->ws[i] = NULL;
	}
	if (e->child_alive) {
		loop_kill_child(m->loop, e->pid, SIGKILL, true);
		loop_kill_child(m->loop, e->pid, SIGKILL, false);
		loop_forget_child(m->loop, e->pid);
	}
	for (size_t i = 0; i < e->n_out; i++)
		out_close(&e->out[i]);
	stdin_close(e);
	loop_io_free(e->status_io);
	close_fd(&e->status_fd);
	loop_timer_free(e->connect_timer);
	loop_timer_free(e->timeout_timer);
	buf_done(&e->in_pending);
	free(e->spawn_err);
	exec_args_done(&e->a);
	if (e->task && e->task->t_run == e)
		e->task->t_run = NULL;
	free(e);
}

static void set_exit_code(struct exec *e, int code)
{
	chg_task_set_api_data(e->task, json_pack("{s:i}", "exit-code", code));
}

/* Finishes the task and frees the exec. */
static void exec_finish(struct exec *e, const char *err)
{
	struct task *t = e->task;

	exec_set_state(e, EXEC_DONE);
	e->task = NULL;
	t->t_run = NULL;
	if (err)
		chg_task_fail(t, err);
	else
		chg_task_done(t);
	exec_free(e);
}

/* Called whenever an output or the child may have finished. */
static void maybe_finish(struct exec *e)
{
	char dur[32], *msg;

	if (e->state != EXEC_DRAINING)
		return;
	for (size_t i = 0; i < e->n_out; i++) {
		struct exec_out *o = &e->out[i];
		struct ws_conn *ws = e->ws[o->ws];

		if (!o->eof)
			return;
		/* "Its end frame is out": written to the socket, not just queued. */
		if (ws && (!o->end_queued || ws_conn_pending(ws) > 0))
			return;
	}
	if (e->timed_out) {
		set_exit_code(e, -1);
		strnum_fmt_duration(e->a.timeout_ns, dur, sizeof(dur));
		msg = xasprintf("timed out after %s: context deadline exceeded", dur);
		exec_finish(e, msg);
		free(msg);
	} else if (e->spawn_err) {
		set_exit_code(e, -1);
		msg = e->spawn_err;
		e->spawn_err = NULL;
		exec_finish(e, msg);
		free(msg);
	} else {
		set_exit_code(e, e->exit_code);
		exec_finish(e, NULL);
	}
}

/* ---- output ---- */

static void out_set_reading(struct exec_out *o, bool on)
{
	if (!o->io || o->reading == on)
		return;
	if (loop_io_set_events(o->io, on ? EPOLLIN : 0) == 0)
		o->reading = on;
}

/* The stream has ended: queue its end frame (if its websocket is still there). */
static void out_eof(struct exec *e, struct exec_out *o)
{
	static const char end[] = "{\"command\":\"end\"}";
	struct ws_conn *ws = e->ws[o->ws];

	if (o->is_pty && e->child_alive) {
		/* Closing the master hangs the terminal up, and the command, which may still be
		 * on its way out after closing its stdio, would die of SIGHUP: keep it open
		 * until the command is gone (as terminal emulators and sshd do). */
		loop_io_free(o->io);
		o->io = NULL;
		o->reading = false;
	} else {
		out_close(o);
	}
	o->eof = true;
	if (ws && !o->end_queued) {
		o->end_queued = true;
		ws_conn_send(ws, WS_OP_TEXT, end, sizeof(end) - 1);
	}
}

/* Reads one chunk (at most EXEC_READ_CHUNK) and sends it at once as a binary frame.
 * Returns true if the stream ended. */
static bool out_read_once(struct exec *e, struct exec_out *o)
{
	struct ws_conn *ws = e->ws[o->ws];
	ssize_t n;

	if (!ws) {
		/* Nobody to send to any more: stop reading, as upstream does (the writer then
		 * gets EPIPE). */
		out_close(o);
		o->eof = true;
		return true;
	}
	do
		n = read(o->fd, e->m->rbuf, EXEC_READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		ws_conn_send(ws, WS_OP_BINARY, e->m->rbuf, (size_t)n);
		return false;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	/* EOF; a pty master reports the last slave's close as EIO. */
	out_eof(e, o);
	return true;
}

static void out_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct exec_out *o = data;
	struct exec *e = o->e;

	(void)io;
	(void)fd;
	(void)events;
	if (!out_read_once(e, o) && e->ws[o->ws] && ws_conn_pending(e->ws[o->ws]) >= EXEC_OUT_HIGH_WATER)
		out_set_reading(o, false);
	maybe_finish(e);
}

/* After the child has exited, a pty may still be held open by a process it left behind;
 * upstream then stops at what is buffered.  Read what is there now and end the stream. */
static void pty_drain(struct exec *e, struct exec_out *o)
{
	for (int i = 0; i < 64 && o->fd >= 0; i++) {
		struct ws_conn *ws = e->ws[o->ws];
		ssize_t n;

		if (!ws)
			break;
		do
			n = read(o->fd, e->m->rbuf, EXEC_READ_CHUNK);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			break;
		ws_conn_send(ws, WS_OP_BINARY, e->m->rbuf, (size_t)n);
	}
	if (!o->eof)
		out_eof(e, o);
}

/* ---- input ---- */

static void stdin_flush(struct exec *e);

static void in_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	stdin_flush(data);
}

/* The end of input: close the pipe; an interactive pty gets VEOF (^D) instead, as upstream,
 * since closing the master would cut the output too. */
static void stdin_end_now(struct exec *e)
{
	if (e->in_closed)
		return;
	if (e->a.terminal && e->a.interactive) {
		char veof = 4;
		ssize_t n = write(e->in_fd, &veof, 1);

		(void)n;
	}
	/* (For a pty this closes our dup of the master, not the master.) */
	stdin_close(e);
}

static void stdin_resume_ws(struct exec *e)
{
	if (e->ws[EXEC_WS_STDIO])
		ws_conn_pause(e->ws[EXEC_WS_STDIO], false);
}

/* Writes in_pending; when it is empty, resumes reading the stdio websocket. */
static void stdin_flush(struct exec *e)
{
	while (!e->in_closed && e->in_pending.len) {
		ssize_t n = write(e->in_fd, e->in_pending.data, e->in_pending.len);

		if (n > 0) {
			buf_consume(&e->in_pending, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EPIPE: nobody reads stdin any more; the rest of the input is discarded. */
		stdin_close(e);
	}
	if (e->in_io) {
		loop_io_free(e->in_io);
		e->in_io = NULL;
	}
	if (e->in_end)
		stdin_end_now(e);
	stdin_resume_ws(e);
}

static void stdin_write(struct exec *e, const uint8_t *p, size_t n)
{
	if (e->in_closed || e->in_end || !n)
		return;
	if (!e->in_pending.len) {
		for (;;) {
			ssize_t w = write(e->in_fd, p, n);

			if (w > 0) {
				p += w;
				n -= (size_t)w;
				if (!n)
					return;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			stdin_close(e);
			return;
		}
	}
	/* The reader is slow: keep this piece (at most one websocket read) and stop reading
	 * the websocket until it has been written. */
	buf_add(&e->in_pending, p, n);
	if (!e->in_io)
		e->in_io = loop_io_new(e->m->loop, e->in_fd, EPOLLOUT, in_cb, e);
	if (e->ws[EXEC_WS_STDIO])
		ws_conn_pause(e->ws[EXEC_WS_STDIO], true);
}

static void stdin_end(struct exec *e)
{
	if (e->in_closed || e->in_end)
		return;
	e->in_end = true;
	/* Before the child exists there is no fd yet: start_child() ends it at once. */
	if (e->in_fd >= 0 && !e->in_pending.len)
		stdin_end_now(e);
}

/* ---- websockets ---- */

/* A text message on stdio: an I/O command; only "end" is known. */
static void stdio_command(struct exec *e, const uint8_t *p, size_t n)
{
	json_t *j = json_loadb((const char *)p, n, 0, NULL);
	const char *cmd = json_string_value(json_object_get(j, "command"));

	if (!j)
		log_info("Exec %d: cannot decode I/O command", e->task_id);
	else if (cmd && strcmp(cmd, "end") == 0)
		stdin_end(e);
	else
		log_info("Exec %d: invalid I/O command \"%s\"", e->task_id, cmd ? cmd : "");
	json_decref(j);
}

/* A text message on control: signal or resize (§16). */
static void control_command(struct exec *e, const uint8_t *p, size_t n)
{
	json_t *j = json_loadb((const char *)p, n, 0, NULL);
	const char *cmd = json_string_value(json_object_get(j, "command"));

	if (!j) {
		log_info("Exec %d: cannot decode control websocket command", e->task_id);
	} else if (cmd && strcmp(cmd, "signal") == 0) {
		const char *name = json_string_value(json_object_get(json_object_get(j, "signal"), "name"));
		int sig = name ? servmgr_signal_number(name) : 0;

		if (!name)
			log_info("Exec %d: control command \"signal\" requires signal name", e->task_id);
		else if (!sig)
			log_info("Exec %d: invalid signal name \"%s\"", e->task_id, name);
		else if (!e->child_alive || loop_kill_child(e->m->loop, e->pid, sig, false) < 0)
			log_info("Exec %d: control command \"signal\" cannot forward %s: process not running",
				 e->task_id, name);
		else
			log_info("Exec %d: forwarded signal %s to PID %d", e->task_id, name, (int)e->pid);
	} else if (cmd && strcmp(cmd, "resize") == 0 && e->a.terminal) {
		json_t *r = json_object_get(j, "resize");
		json_int_t w = json_integer_value(json_object_get(r, "width"));
		json_int_t h = json_integer_value(json_object_get(r, "height"));

		if (!r)
			log_info("Exec %d: control command \"resize\" requires terminal width and height", e->task_id);
		else if (e->pty_master < 0 || w < 0 || h < 0 || w > 65535 || h > 65535 ||
			 tty_set_size(e->pty_master, (int)w, (int)h) < 0)
			log_info("Exec %d: control command \"resize\" cannot set terminal size to %lldx%lld",
				 e->task_id, (long long)w, (long long)h);
		else
			log_debug("Exec %d: terminal resized to %lldx%lld", e->task_id, (long long)w, (long long)h);
	} else {
		log_info("Exec %d: invalid control websocket command \"%s\"", e->task_id, cmd ? cmd : "");
	}
	json_decref(j);
}

static void ws_message(struct ws_conn *c, void *data, enum ws_opcode op, const uint8_t *p, size_t n, bool first,
		       bool last)
{
	struct exec_wsref *r = data;
	struct exec *e = r->e;

	(void)c;
	(void)first;
	(void)last;
	if (r->w == EXEC_WS_CONTROL) {
		if (op == WS_OP_TEXT)
			control_command(e, p, n);
	} else if (r->w == EXEC_WS_STDIO) {
		if (op == WS_OP_BINARY)
			stdin_write(e, p, n);
		else
			stdio_command(e, p, n);
	}
	/* Messages on stderr carry nothing. */
}

static void ws_closed(struct ws_conn *c, void *data, uint16_t code)
{
	struct exec_wsref *r = data;
	struct exec *e = r->e;

	(void)c;
	e->ws[r->w] = NULL;
	switch (r->w) {
	case EXEC_WS_CONTROL:
		/* A client that vanished without closing: kill what it started (upstream's
		 * CloseAbnormalClosure). */
		if (code == WS_CLOSE_ABNORMAL && e->child_alive) {
			log_info("Exec %d: control websocket closed abnormally: sending SIGKILL to PID %d", e->task_id,
				 (int)e->pid);
			loop_kill_child(e->m->loop, e->pid, SIGKILL, false);
		}
		break;
	case EXEC_WS_STDIO:
		stdin_end(e);
		/* FALLTHROUGH */
	case EXEC_WS_STDERR:
		for (size_t i = 0; i < e->n_out; i++)
			if (e->out[i].ws == r->w && !e->out[i].eof) {
				out_close(&e->out[i]);
				e->out[i].eof = true;
			}
		break;
	default:
		break;
	}
	maybe_finish(e);
}

static void ws_drained(struct ws_conn *c, void *data)
{
	struct exec_wsref *r = data;
	struct exec *e = r->e;

	(void)c;
	for (size_t i = 0; i < e->n_out; i++)
		if (e->out[i].ws == r->w && !e->out[i].eof)
			out_set_reading(&e->out[i], true);
	maybe_finish(e);
}

static const struct ws_conn_cbs ws_cbs = {
	.on_message = ws_message,
	.on_close = ws_closed,
	.on_drain = ws_drained,
};

/* ---- the child ---- */

static void child_exited(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct exec *e = data;

	(void)l;
	(void)pid;
	e->child_alive = false;
	if (WIFEXITED(wstatus))
		e->exit_code = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		e->exit_code = 128 + WTERMSIG(wstatus); /* as upstream's reaper */
	else
		e->exit_code = -1;
	loop_timer_disarm(e->timeout_timer);
	log_debug("Exec %d: PID %d exited with code %d", e->task_id, (int)e->pid, e->exit_code);
	exec_set_state(e, EXEC_DRAINING);
	/* After the child exits, close control, then wait for the outputs (§16). */
	if (e->ws[EXEC_WS_CONTROL]) {
		ws_conn_shutdown(e->ws[EXEC_WS_CONTROL], WS_CLOSE_NORMAL, NULL);
		e->ws[EXEC_WS_CONTROL] = NULL;
	}
	for (size_t i = 0; i < e->n_out; i++) {
		if (!e->out[i].is_pty)
			continue;
		if (!e->out[i].eof)
			pty_drain(e, &e->out[i]);
		out_close(&e->out[i]);
	}
	maybe_finish(e);
}

static void status_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct exec *e = data;
	struct errbuf eb;
	int rv;

	(void)io;
	(void)fd;
	(void)events;
	errbuf_clear(&eb);
	rv = launch_check(e->status_fd, e->a.argv[0], e->a.working_dir, &eb);
	if (rv == 0)
		return;
	if (rv < 0 && !e->spawn_err)
		e->spawn_err = xstrdup(eb.msg);
	loop_io_free(e->status_io);
	e->status_io = NULL;
	close_fd(&e->status_fd);
}

static void timeout_cb(struct loop_timer *t, void *data)
{
	struct exec *e = data;

	(void)t;
	if (!e->child_alive)
		return;
	e->timed_out = true;
	/* The whole process group, so helpers holding the output open go too. */
	loop_kill_child(e->m->loop, e->pid, SIGKILL, true);
	loop_kill_child(e->m->loop, e->pid, SIGKILL, false);
}

static void out_add(struct exec *e, int fd, enum exec_ws ws, bool is_pty)
{
	struct exec_out *o = &e->out[e->n_out++];

	memset(o, 0, sizeof(*o));
	o->e = e;
	o->fd = fd;
	o->ws = ws;
	o->is_pty = is_pty;
	o->io = loop_io_new(e->m->loop, fd, EPOLLIN, out_cb, o);
	o->reading = o->io != NULL;
}

static int make_pipe(int p[2], bool nonblock_read, bool nonblock_write, struct errbuf *eb)
{
	if (pipe2(p, O_CLOEXEC) < 0) {
		int r = -errno;

		errbuf_set(eb, "cannot create pipe: %s", strerror(errno));
		return r;
	}
	if (nonblock_read)
		fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	if (nonblock_write)
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Creates the streams and forks the child.  On failure nothing is left running and eb
 * says why (the task then fails with it). */
static int start_child(struct exec *e, struct errbuf *eb)
{
	struct launch_opts o;
	int master = -1, slave = -1, inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int child_in, child_out, child_err, pidfd = -1, status_fd = -1, rv;
	pid_t pid = 0;

	if (e->a.terminal) {
		rv = tty_open_pty(e->a.pty_owner, e->a.uid, e->a.gid, &master, &slave, eb);
		if (rv < 0)
			return rv;
		if (e->a.width > 0 && e->a.height > 0 && tty_set_size(master, e->a.width, e->a.height) < 0)
			log_info("Exec %d: cannot set initial terminal size to %dx%d", e->task_id, e->a.width,
				 e->a.height);
		child_out = child_err = slave;
		if (e->a.interactive) {
			child_in = slave;
		} else {
			rv = make_pipe(inp, false, true, eb);
			if (rv < 0)
				goto fail;
			child_in = inp[0];
		}
	} else {
		rv = make_pipe(inp, false, true, eb);
		if (rv < 0)
			goto fail;
		rv = make_pipe(outp, true, false, eb);
		if (rv < 0)
			goto fail;
		child_in = inp[0];
		child_out = child_err = outp[1];
	}
	if (e->a.split_stderr) {
		rv = make_pipe(errp, true, false, eb);
		if (rv < 0)
			goto fail;
		child_err = errp[1];
	}
	memset(&o, 0, sizeof(o));
	o.argv = e->a.argv;
	o.envp = e->a.envp;
	o.cwd = e->a.working_dir;
	o.out_fd = child_out;
	o.stdio = true;
	o.in_fd = child_in;
	o.err_fd = child_err;
	o.setsid = true;
	o.ctty = e->a.terminal && e->a.interactive;
	o.set_ids = e->a.set_ids;
	o.uid = e->a.uid;
	o.gid = e->a.gid;
	rv = launch_start(&o, &pid, &pidfd, &status_fd, eb);
	if (rv < 0)
		goto fail;
	/* The child's ends are the child's now. */
	close_fd(&slave);
	close_fd(&inp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	e->pid = pid;
	e->child_alive = true;
	loop_add_child(e->m->loop, pid, pidfd, child_exited, e);
	e->status_fd = status_fd;
	e->status_io = loop_io_new(e->m->loop, status_fd, EPOLLIN, status_cb, e);
	if (e->a.terminal) {
		e->pty_master = master;
		out_add(e, master, EXEC_WS_STDIO, true);
		e->in_fd = e->a.interactive ? fcntl(master, F_DUPFD_CLOEXEC, 3) : inp[1];
	} else {
		out_add(e, outp[0], EXEC_WS_STDIO, false);
		e->in_fd = inp[1];
	}
	if (e->a.split_stderr)
		out_add(e, errp[0], EXEC_WS_STDERR, false);
	if (e->in_end)
		stdin_end_now(e);
	if (e->a.timeout_ns)
		loop_timer_arm_in(e->timeout_timer,
				  e->a.timeout_ns > 0 ? (uint64_t)((e->a.timeout_ns + 999999) / 1000000) : 0);
	log_debug("Exec %d: started PID %d: %s", e->task_id, (int)pid, e->a.argv[0]);
	return 0;
fail:
	close_fd(&master);
	close_fd(&slave);
	for (int i = 0; i < 2; i++) {
		close_fd(&inp[i]);
		close_fd(&outp[i]);
		close_fd(&errp[i]);
	}
	return rv;
}

static bool io_connected(const struct exec *e)
{
	return e->ws_used[EXEC_WS_STDIO] && (!e->a.split_stderr || e->ws_used[EXEC_WS_STDERR]);
}

static void maybe_start(struct exec *e)
{
	struct errbuf eb;

	if (e->state != EXEC_CONNECTING || !io_connected(e))
		return;
	loop_timer_disarm(e->connect_timer);
	errbuf_clear(&eb);
	if (start_child(e, &eb) < 0) {
		/* Could not start: exit code -1 and the error (upstream: cmd.Start failed). */
		exec_set_state(e, EXEC_DRAINING);
		e->spawn_err = xstrdup(eb.msg);
		if (e->ws[EXEC_WS_CONTROL]) {
			ws_conn_shutdown(e->ws[EXEC_WS_CONTROL], WS_CLOSE_NORMAL, NULL);
			e->ws[EXEC_WS_CONTROL] = NULL;
		}
		maybe_finish(e);
		return;
	}
	exec_set_state(e, EXEC_RUNNING);
	/* Input that arrived before the child existed was held back (paused websocket). */
	if (e->ws[EXEC_WS_STDIO])
		ws_conn_pause(e->ws[EXEC_WS_STDIO], false);
}

static void connect_timeout_cb(struct loop_timer *t, void *data)
{
	struct exec *e = data;
	char msg[160];

	(void)t;
	if (e->state != EXEC_CONNECTING)
		return;
	snprintf(msg, sizeof(msg), "exec %d: timeout waiting for websocket connections: context deadline exceeded",
		 e->task_id);
	log_info("Exec %d: timeout waiting for websocket connections: context deadline exceeded", e->task_id);
	exec_finish(e, msg);
}

/* ---- public ---- */

void execmgr_init(struct execmgr *m, struct loop *l, const struct execmgr_hooks *hooks, void *data)
{
	memset(m, 0, sizeof(*m));
	m->loop = l;
	m->hooks = hooks;
	m->data = data;
	m->rbuf = xmalloc(EXEC_READ_CHUNK);
}

void execmgr_done(struct execmgr *m)
{
	while (m->list)
		exec_free(m->list);
	ws_conn_group_abort(&m->conns);
	free(m->rbuf);
	m->rbuf = NULL;
}

size_t execmgr_count(const struct execmgr *m)
{
	return m->n;
}

void execmgr_add(struct execmgr *m, struct task *t, struct exec_args *args)
{
	struct exec *e = xcalloc(1, sizeof(*e));

	e->m = m;
	e->task = t;
	e->task_id = t->t_id;
	e->a = *args;
	memset(args, 0, sizeof(*args));
	e->state = EXEC_SETUP;
	e->status_fd = e->in_fd = e->pty_master = -1;
	buf_init(&e->in_pending);
	for (int i = 0; i < _EXEC_WS_MAX; i++) {
		e->refs[i].e = e;
		e->refs[i].w = (enum exec_ws)i;
	}
	e->connect_timer = loop_timer_new(m->loop, connect_timeout_cb, e);
	e->timeout_timer = loop_timer_new(m->loop, timeout_cb, e);
	t->t_run = e;
	e->next = m->list;
	if (m->list)
		m->list->prev = e;
	m->list = e;
	m->n++;
}

void execmgr_do_task(struct execmgr *m, struct task *t)
{
	struct exec *e = execmgr_find(m, t->t_id);

	if (!e || e->state != EXEC_SETUP) {
		/* E.g. a task that was waiting when the daemon restarted: its setup was never
		 * persisted (it holds the whole environment). */
		char msg[128];

		snprintf(msg, sizeof(msg), "cannot get exec setup object for task \"%d\": no state entry for key",
			 t->t_id);
		chg_task_fail(t, msg);
		return;
	}
	exec_set_state(e, EXEC_CONNECTING);
	loop_timer_arm_in(e->connect_timer, EXEC_CONNECT_TIMEOUT_MS);
	if (m->hooks && m->hooks->started)
		m->hooks->started(m->data, e->task_id);
}

void execmgr_abort_task(struct execmgr *m, struct task *t)
{
	struct exec *e = execmgr_find(m, t->t_id);

	if (!e)
		return;
	e->aborted = true;
	if (e->state == EXEC_CONNECTING) {
		exec_finish(e, NULL);
	} else if (e->child_alive) {
		loop_kill_child(m->loop, e->pid, SIGKILL, true);
		loop_kill_child(m->loop, e->pid, SIGKILL, false);
	}
}

struct exec *execmgr_find(struct execmgr *m, int task_id)
{
	for (struct exec *e = m->list; e; e = e->next)
		if (e->task_id == task_id)
			return e;
	return NULL;
}

enum exec_state exec_state(const struct exec *e)
{
	return e->state;
}

int exec_ws_lookup(const struct exec *e, const char *id, enum exec_ws *ret)
{
	for (int i = 0; i < _EXEC_WS_MAX; i++) {
		if (strcmp(id, ws_names[i]) != 0)
			continue;
		if (i == EXEC_WS_STDERR && !e->a.split_stderr)
			return -ENOENT;
		*ret = (enum exec_ws)i;
		return 0;
	}
	return -ENOENT;
}

bool exec_ws_connected(const struct exec *e, enum exec_ws w)
{
	return e->ws_used[w];
}

bool exec_accepts_ws(const struct exec *e)
{
	return e->state == EXEC_CONNECTING || e->state == EXEC_RUNNING;
}

int exec_attach_ws(struct exec *e, enum exec_ws w, int fd, const void *response, size_t n_response,
		   const void *leftover, size_t n_left)
{
	struct ws_conn_cbs cbs = ws_cbs;
	struct ws_conn *c = NULL;
	int rv;

	cbs.data = &e->refs[w];
	rv = ws_conn_new(e->m->loop, fd, WS_ROLE_SERVER, &cbs, response, n_response, leftover, n_left, &c);
	if (rv < 0)
		return rv;
	ws_conn_set_group(c, &e->m->conns);
	e->ws[w] = c;
	e->ws_used[w] = true;
	/* Input that arrives before the child exists waits in the socket. */
	if (w == EXEC_WS_STDIO && e->state == EXEC_CONNECTING)
		ws_conn_pause(c, true);
	maybe_start(e);
	return 0;
}

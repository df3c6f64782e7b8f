/* cli_exec.c - `scree exec [exec-OPTIONS] <command> [args...]` (§23, upstream
 * internals/cli/cmd_exec.go): runs a command through POST /v1/exec, streams the local stdin
 * to it and its stdout and stderr back over the task's websockets, forwards signals and
 * window size changes through the control websocket, and exits with the command's exit code.
 *
 * Options (go-flags through cli_opts.h; everything from the command on is the command's):
 * -w DIR, --env K=V
 * (repeatable), --uid N, --user NAME, --gid N, --group NAME, --timeout DURATION,
 * --context SERVICE, -t/-T (terminal on/off; default: stdout is a terminal), -i/-I
 * (interactive on/off; default: stdin and stdout are terminals).  stderr is combined into
 * stdout on the server when both name the same file.
 *
 * The streams run on a small event loop of their own (lib/loop.h): the websockets in the
 * client role (ws_conn.h, masked frames), stdin read only while the stdio websocket's queue
 * is short, and signals through a signalfd. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli_opts.h"
#include "http/ws_client.h"
#include "http/ws_conn.h"
#include "lib/gofmt.h"
#include "lib/loop.h"
#include "lib/strnum.h"
#include "tty.h"

#define EXEC_CLI_CHUNK (64u * 1024)
#define EXEC_CLI_HIGH_WATER (256u * 1024)
#define EXEC_CLI_CONNECT_MS 5000

struct exec_opts {
	const char *working_dir;
	json_t *env;            /* object */
	struct opt_int {
		bool set;
		int64_t v;
	} uid, gid;
	const char *user, *group, *context;
	int64_t timeout_ns;
	bool t, T, i, I;
	const char *command0;      /* the program */
	struct cli_strv command;   /* its arguments */
};

enum cli_ws { CWS_CONTROL, CWS_STDIO, CWS_STDERR, CWS_MAX };

struct exec_run;

struct cws_ref {
	struct exec_run *r;
	enum cli_ws w;
};

struct exec_run {
	struct loop *loop;
	struct ws_conn *ws[CWS_MAX];
	struct cws_ref refs[CWS_MAX];
	bool out_done[CWS_MAX];   /* stdio/stderr: the end frame (or the close) arrived */
	bool terminal;
	bool split;
	/* stdin */
	struct loop_io *in_io;
	struct loop_timer *in_timer; /* for a stdin epoll cannot watch (regular files) */
	bool in_pollable, in_eof, in_waiting;
	bool sighup;
	char buf[EXEC_CLI_CHUNK];
};

/* ---- options ---- */

static int parse_int_flag(const char *name, const char *v, struct opt_int *ret, struct errbuf *eb)
{
	int64_t n;

	if (!v)
		return 0;
	if (strnum_i64(v, INT32_MIN, INT32_MAX, &n) < 0) {
		errbuf_set(eb, "invalid argument for flag `%s' (expected int): strconv.ParseInt: parsing \"%s\": "
			   "invalid syntax", name, v);
		return -1;
	}
	ret->set = true;
	ret->v = n;
	return 0;
}

/* Parses the options with the CLI's go-flags parser (cli_opts.h).  Returns 0,
 * CLI_OPTS_HELP or -1 with eb set. */
static int parse_opts(int argc, char **argv, struct exec_opts *o, struct errbuf *eb)
{
	const char *uid = NULL, *gid = NULL, *timeout = NULL;
	struct cli_strv env = CLI_STRV_INIT;
	const struct cli_opt opts[] = {
		CLI_STRING('w', NULL, &o->working_dir),
		CLI_LIST(0, "env", &env),
		CLI_STRING(0, "uid", &uid),
		CLI_STRING(0, "user", &o->user),
		CLI_STRING(0, "gid", &gid),
		CLI_STRING(0, "group", &o->group),
		CLI_STRING(0, "timeout", &timeout),
		CLI_STRING(0, "context", &o->context),
		CLI_BOOL('t', NULL, &o->t),
		CLI_BOOL('T', NULL, &o->T),
		CLI_BOOL('i', NULL, &o->i),
		CLI_BOOL('I', NULL, &o->I),
		CLI_OPT_END,
	};
	/* As upstream: one required <command>, the rest handed on as its arguments. */
	const struct cli_arg args[] = { CLI_ARG("<command>", 1, &o->command0), CLI_ARGS("<args>", 0, &o->command),
					CLI_ARG_END };
	const struct cli_spec spec = { "pebble exec [exec-OPTIONS] <command>", opts, args, true };
	int rv;

	o->env = json_object();
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	rv = -1;
	if (parse_int_flag("--uid", uid, &o->uid, eb) < 0 || parse_int_flag("--gid", gid, &o->gid, eb) < 0)
		goto out;
	if (timeout && strnum_duration(timeout, &o->timeout_ns) < 0) {
		errbuf_set(eb, "invalid argument for flag `--timeout' (expected time.Duration): time: invalid "
			   "duration \"%s\"", timeout);
		goto out;
	}
	for (size_t k = 0; k < env.n; k++) {
		const char *eq = strchr(env.v[k], '=');
		char *key = xstrndup(env.v[k], eq ? (size_t)(eq - env.v[k]) : strlen(env.v[k]));

		json_object_set_new(o->env, key, json_string(eq ? eq + 1 : ""));
		free(key);
	}
	rv = 0;
out:
	cli_strv_done(&env);
	return rv;
}

/* ---- output ---- */

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w > 0) {
			c += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
		} else {
			return; /* stdout is gone: drop the output, as a closed pipe would */
		}
	}
}

static void maybe_stop(struct exec_run *r)
{
	if (r->out_done[CWS_STDIO] && (!r->split || r->out_done[CWS_STDERR]))
		loop_stop(r->loop);
}

/* ---- input ---- */

static void stdin_read(struct exec_run *r);

static void stdin_schedule(struct exec_run *r)
{
	if (r->in_eof || !r->ws[CWS_STDIO])
		return;
	if (ws_conn_pending(r->ws[CWS_STDIO]) >= EXEC_CLI_HIGH_WATER) {
		r->in_waiting = true;
		if (r->in_io)
			loop_io_set_events(r->in_io, 0);
		return;
	}
	r->in_waiting = false;
	if (r->in_pollable)
		loop_io_set_events(r->in_io, EPOLLIN);
	else
		loop_timer_arm_at(r->in_timer, 0);
}

static void stdin_end(struct exec_run *r)
{
	static const char end[] = "{\"command\":\"end\"}";

	if (r->in_eof)
		return;
	r->in_eof = true;
	loop_io_free(r->in_io);
	r->in_io = NULL;
	loop_timer_disarm(r->in_timer);
	if (r->ws[CWS_STDIO])
		ws_conn_send(r->ws[CWS_STDIO], WS_OP_TEXT, end, sizeof(end) - 1);
}

static void stdin_read(struct exec_run *r)
{
	ssize_t n;

	if (r->in_eof || !r->ws[CWS_STDIO])
		return;
	do
		n = read(STDIN_FILENO, r->buf, sizeof(r->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		stdin_end(r);
		return;
	}
	ws_conn_send(r->ws[CWS_STDIO], WS_OP_BINARY, r->buf, (size_t)n);
	stdin_schedule(r);
}

static void stdin_io_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	stdin_read(data);
}

static void stdin_timer_cb(struct loop_timer *t, void *data)
{
	(void)t;
	stdin_read(data);
}

/* ---- websockets ---- */

static void on_message(struct ws_conn *c, void *data, enum ws_opcode op, const uint8_t *p, size_t n, bool first,
		       bool last)
{
	struct cws_ref *ref = data;
	struct exec_run *r = ref->r;

	(void)c;
	(void)first;
	(void)last;
	if (ref->w == CWS_CONTROL)
		return;
	if (op == WS_OP_BINARY) {
		write_all(ref->w == CWS_STDERR ? STDERR_FILENO : STDOUT_FILENO, p, n);
		return;
	}
	{
		json_t *j = json_loadb((const char *)p, n, 0, NULL);
		const char *cmd = json_string_value(json_object_get(j, "command"));

		if (cmd && strcmp(cmd, "end") == 0) {
			r->out_done[ref->w] = true;
			maybe_stop(r);
		}
		json_decref(j);
	}
}

static void on_close(struct ws_conn *c, void *data, uint16_t code)
{
	struct cws_ref *ref = data;
	struct exec_run *r = ref->r;

	(void)c;
	(void)code;
	r->ws[ref->w] = NULL;
	if (ref->w != CWS_CONTROL) {
		r->out_done[ref->w] = true;
		maybe_stop(r);
	}
}

static void on_drain(struct ws_conn *c, void *data)
{
	struct cws_ref *ref = data;

	(void)c;
	if (ref->w == CWS_STDIO && ref->r->in_waiting)
		stdin_schedule(ref->r);
}

static const struct ws_conn_cbs cbs = {
	.on_message = on_message,
	.on_close = on_close,
	.on_drain = on_drain,
};

/* ---- signals ---- */

static const int forwarded[] = {
	SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGCONT,
};

static void send_control(struct exec_run *r, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);

	if (r->ws[CWS_CONTROL])
		ws_conn_send(r->ws[CWS_CONTROL], WS_OP_TEXT, s, strlen(s));
	free(s);
	json_decref(msg);
}

static void on_signal(struct loop *l, int signo, void *data)
{
	struct exec_run *r = data;

	if (signo == SIGWINCH) {
		int w, h;

		if (r->terminal && tty_get_size(STDOUT_FILENO, &w, &h) == 0)
			send_control(r, json_pack("{s:s,s:{s:i,s:i}}", "command", "resize", "resize", "width", w,
						  "height", h));
		return;
	}
	{
		char name[32];

		snprintf(name, sizeof(name), "SIG%s", sigabbrev_np(signo) ? sigabbrev_np(signo) : "TERM");
		send_control(r, json_pack("{s:s,s:{s:s}}", "command", "signal", "signal", "name", name));
	}
	if (signo == SIGHUP) {
		/* As ssh: report and exit 0 (the \r because the terminal may be raw). */
		fputs("SIGHUP received, exiting\r\n", stderr);
		r->sighup = true;
		loop_stop(l);
	}
}

/* ---- the command ---- */

static bool same_output(void)
{
	char a[PATH_MAX], b[PATH_MAX];
	ssize_t na = readlink("/proc/self/fd/1", a, sizeof(a) - 1), nb = readlink("/proc/self/fd/2", b, sizeof(b) - 1);

	if (na < 0 || nb < 0)
		return false;
	a[na] = b[nb] = '\0';
	return strcmp(a, b) == 0;
}

static json_t *request_body(const struct exec_opts *o, bool terminal, bool interactive, bool split, int width,
			    int height)
{
	json_t *body = json_object(), *cmd = json_array();
	char dur[32];

	json_array_append_new(cmd, json_string(o->command0));
	for (size_t k = 0; k < o->command.n; k++)
		json_array_append_new(cmd, json_string(o->command.v[k]));
	json_object_set_new(body, "command", cmd);
	if (o->context)
		json_object_set_new(body, "service-context", json_string(o->context));
	json_object_set(body, "environment", o->env);
	if (o->working_dir)
		json_object_set_new(body, "working-dir", json_string(o->working_dir));
	if (o->timeout_ns) {
		strnum_fmt_duration(o->timeout_ns, dur, sizeof(dur));
		json_object_set_new(body, "timeout", json_string(dur));
	}
	if (o->uid.set)
		json_object_set_new(body, "user-id", json_integer(o->uid.v));
	if (o->user)
		json_object_set_new(body, "user", json_string(o->user));
	if (o->gid.set)
		json_object_set_new(body, "group-id", json_integer(o->gid.v));
	if (o->group)
		json_object_set_new(body, "group", json_string(o->group));
	json_object_set_new(body, "terminal", json_boolean(terminal));
	json_object_set_new(body, "interactive", json_boolean(interactive));
	json_object_set_new(body, "split-stderr", json_boolean(split));
	json_object_set_new(body, "width", json_integer(width));
	json_object_set_new(body, "height", json_integer(height));
	return body;
}

/* Drops the websockets and the loop.  Only after the change is ready: a control
 * websocket that goes away without a close frame gets the command killed (§16), and its
 * output may end before it has exited. */
static void stream_done(struct exec_run *r)
{
	for (int w = 0; w < CWS_MAX; w++)
		if (r->ws[w])
			ws_conn_abort(r->ws[w]);
	loop_io_free(r->in_io);
	loop_timer_free(r->in_timer);
	loop_free(r->loop);
	r->loop = NULL;
}

/* Connects the websockets and streams until the outputs end.  0 or -1 with eb set. */
static int stream(struct cli *c, const char *task_id, struct exec_run *r, struct errbuf *eb)
{
	static const char *const names[CWS_MAX] = { "control", "stdio", "stderr" };
	int rv = -1;

	if (loop_new(&r->loop) < 0) {
		errbuf_set(eb, "cannot create event loop");
		return -1;
	}
	for (int w = 0; w < CWS_MAX; w++) {
		char target[128];
		struct buf left = BUF_INIT;
		int fd;

		if (w == CWS_STDERR && !r->split)
			continue;
		buf_init(&left);
		snprintf(target, sizeof(target), "/v1/tasks/%s/websocket/%s", task_id, names[w]);
		r->refs[w].r = r;
		r->refs[w].w = (enum cli_ws)w;
		if (ws_client_connect_unix(c->socket_path, target, EXEC_CLI_CONNECT_MS, &fd, &left, eb) < 0) {
			buf_done(&left);
			goto out;
		}
		{
			struct ws_conn_cbs cb = cbs;

			cb.data = &r->refs[w];
			if (ws_conn_new(r->loop, fd, WS_ROLE_CLIENT, &cb, NULL, 0, left.data, left.len, &r->ws[w]) < 0) {
				buf_done(&left);
				errbuf_set(eb, "cannot watch websocket");
				goto out;
			}
		}
		buf_done(&left);
	}
	for (size_t k = 0; k < sizeof(forwarded) / sizeof(forwarded[0]); k++)
		loop_add_signal(r->loop, forwarded[k], on_signal, r);
	r->in_timer = loop_timer_new(r->loop, stdin_timer_cb, r);
	r->in_io = loop_io_new(r->loop, STDIN_FILENO, EPOLLIN, stdin_io_cb, r);
	r->in_pollable = r->in_io != NULL;
	if (!r->in_pollable)
		loop_timer_arm_at(r->in_timer, 0); /* a regular file or /dev/null: read as we go */
	loop_run(r->loop);
	rv = 0;
out:
	return rv;
}

int cli_exec(int argc, char **argv, struct errbuf *eb)
{
	struct exec_opts o;
	struct exec_run *r = NULL;
	struct cli c;
	struct termios saved;
	json_t *env = NULL, *body;
	const char *term = getenv("TERM"), *change, *task_id;
	bool terminal, interactive, raw = false, out_tty = isatty(STDOUT_FILENO), in_tty = isatty(STDIN_FILENO);
	int width = 0, height = 0, rv = -1, code = -1;
	char target[128];

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	rv = parse_opts(argc, argv, &o, eb);
	if (rv != 0) {
		rv = rv > 0 ? 0 : -1; /* --help */
		goto out;
	}
	rv = -1;
	if (o.t && o.T) {
		errbuf_set(eb, "cannot use -t and -T at the same time");
		goto out;
	}
	if (o.i && o.I) {
		errbuf_set(eb, "cannot use -i and -I at the same time");
		goto out;
	}
	if (term && !json_object_get(o.env, "TERM")) {
		/* TERM first, as upstream; --env wins. */
		json_t *e2 = json_object();

		json_object_set_new(e2, "TERM", json_string(term));
		json_object_update(e2, o.env);
		json_decref(o.env);
		o.env = e2;
	}
	terminal = o.t ? true : o.T ? false : out_tty;
	interactive = o.i ? true : o.I ? false : in_tty && out_tty;
	if (out_tty && tty_get_size(STDOUT_FILENO, &width, &height) < 0)
		width = height = 0;
	if (cli_open(&c, eb) < 0)
		goto out;
	r = xcalloc(1, sizeof(*r));
	r->terminal = terminal;
	r->split = !same_output();
	body = request_body(&o, terminal, interactive, r->split, width, height);
	rv = cli_call(&c, "POST", "/v1/exec", body, &env, eb);
	json_decref(body);
	if (rv < 0)
		goto out;
	rv = -1;
	change = json_string_value(json_object_get(env, "change"));
	task_id = json_string_value(json_object_get(json_object_get(env, "result"), "task-id"));
	if (!change || !task_id) {
		errbuf_set(eb, "cannot decode server response: no change or task id");
		goto out;
	}
	if (terminal && in_tty) {
		if (tty_make_raw(STDIN_FILENO, &saved) < 0) {
			errbuf_set(eb, "cannot change terminal to raw mode: %s", strerror(errno));
			goto out;
		}
		raw = true;
	}
	if (stream(&c, task_id, r, eb) < 0)
		goto out;
	if (raw) {
		tty_restore(STDIN_FILENO, &saved);
		raw = false;
	}
	if (r->sighup) {
		rv = 0;
		goto out;
	}
	{
		json_t *chg = NULL, *tasks;
		const char *err;

		snprintf(target, sizeof(target), "/v1/changes/%s/wait", change);
		if (cli_call(&c, "GET", target, NULL, &chg, eb) < 0)
			goto out;
		err = json_string_value(json_object_get(json_object_get(chg, "result"), "err"));
		if (err) {
			errbuf_set(eb, "%s", err);
			json_decref(chg);
			goto out;
		}
		tasks = json_object_get(json_object_get(chg, "result"), "tasks");
		code = (int)json_integer_value(json_object_get(json_object_get(json_array_get(tasks, 0), "data"),
							      "exit-code"));
		if (!json_object_get(json_object_get(json_array_get(tasks, 0), "data"), "exit-code"))
			code = -1;
		json_decref(chg);
	}
	/* Exits with the command's exit code (os.Exit: -1 is 255). */
	rv = code & 0xff;
out:
	if (raw)
		tty_restore(STDIN_FILENO, &saved);
	if (r && r->loop)
		stream_done(r);
	json_decref(env);
	json_decref(o.env);
	cli_strv_done(&o.command);
	if (c.http)
		cli_close(&c);
	free(r);
	return rv;
}

/* fuzz_scree_api.c - scree's Pebble API (docs: spec pebble-api.md §9-§21) on fuzzed request
 * bodies and queries: each input runs a fresh daemon in-process (scree_run, its own $PEBBLE,
 * PEBBLE_PERSIST=never) while a client thread sends the input's lines as requests over the
 * daemon's socket, then SIGTERMs it (thread-directed: libFuzzer's threads must not see it).  Every endpoint's JSON body and query parsing runs:
 * layers, services, checks, notices, changes, signals, identities, exec, files (JSON actions
 * and multipart writes), logs, plan, metrics.
 *
 * Input: lines; a line's first byte picks the endpoint (modulo the table below), a route
 * with an {id} segment takes the text up to the first space as the id, and the rest of the
 * line is the query (GET) or the body (POST).
 *
 * Safety: the harness never lets an input reach outside its scratch folder or start an
 * arbitrary program.  Files requests have every absolute path moved under a scratch root
 * (".." components renamed); a layer whose services or exec checks would run anything but
 * /bin/true, /bin/false, /bin/echo or /bin/sleep, set LD_* variables, or whose http/tcp
 * checks name a host other than the loopback one is replaced by a fixed layer; /v1/exec
 * runs only those programs.
 *
 * Checked: every answer that comes (a request may also be parked: a long-poll or a follow)
 * starts with a status line, and a JSON answer is Pebble's envelope ({"type": "sync" |
 * "async" | "error", ...}); the daemon never crashes or leaks and shuts down cleanly.
 * FUZZ_VERBOSE=1 keeps the daemon's log on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "scree/command.h"
#include "scree/daemon.h"
#include "scree/plan.h"

#define MAX_REQUESTS 16
#define ANSWER_MS 100 /* a request not answered by then is parked: the client moves on */
/* A multipart write is always answered, once its commits (fsyncs, in children) ended: the
 * client waits for that.  (A daemon stopped while a commit runs leaks the request's state
 * at exit - a known defect of the files writer, not what this target is after.) */
#define WRITE_ANSWER_MS 5000
#define BOUNDARY "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"

enum shape { NONE, QUERY, BODY, FILES_QUERY, FILES_BODY, FILES_WRITE, EXEC_BODY, LAYER_BODY };

static const struct endpoint {
	const char *method, *path; /* "{}" marks the id segment */
	enum shape shape;
} endpoints[] = {
	{ "GET", "/v1/system-info", NONE },
	{ "GET", "/v1/health", QUERY },
	{ "GET", "/v1/checks", QUERY },
	{ "POST", "/v1/checks", BODY },
	{ "POST", "/v1/checks/refresh", BODY },
	{ "GET", "/v1/notices", QUERY },
	{ "POST", "/v1/notices", BODY },
	{ "GET", "/v1/notices/{}", NONE },
	{ "GET", "/v1/services", QUERY },
	{ "POST", "/v1/services", BODY },
	{ "GET", "/v1/plan", QUERY },
	{ "POST", "/v1/layers", LAYER_BODY },
	{ "GET", "/v1/changes", QUERY },
	{ "GET", "/v1/changes/{}", NONE },
	{ "POST", "/v1/changes/{}", BODY },
	{ "GET", "/v1/changes/{}/wait", QUERY },
	{ "GET", "/v1/tasks/{}", NONE },
	{ "POST", "/v1/signals", BODY },
	{ "GET", "/v1/logs", QUERY },
	{ "GET", "/v1/identities", QUERY },
	{ "POST", "/v1/identities", BODY },
	{ "GET", "/v1/metrics", NONE },
	{ "POST", "/v1/exec", EXEC_BODY },
	{ "GET", "/v1/files", FILES_QUERY },
	{ "POST", "/v1/files", FILES_BODY },
	{ "POST", "/v1/files", FILES_WRITE },
};
#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

static const char *const allowed_programs[] = { "/bin/true", "/bin/false", "/bin/echo", "/bin/sleep" };

static const char safe_layer[] = "services:\n"
				 "  svc:\n"
				 "    override: replace\n"
				 "    command: /bin/sleep 60\n"
				 "checks:\n"
				 "  chk:\n"
				 "    override: replace\n"
				 "    period: 50ms\n"
				 "    exec: {command: /bin/true}\n";

static char *root;     /* files requests live under it */
static char *pebble;   /* the daemon's $PEBBLE */
static bool verbose;

struct client {
	const char *text;
	size_t len;
	int ready_fd;
	pid_t daemon_tid; /* the thread running scree_run */
};

/* ---- what an input may ask for ---- */

static bool program_allowed(const char *p)
{
	for (size_t i = 0; i < sizeof(allowed_programs) / sizeof(allowed_programs[0]); i++)
		if (p && !strcmp(p, allowed_programs[i]))
			return true;
	return false;
}

static bool command_allowed(const char *cmdline)
{
	char **argv = NULL;
	size_t n = 0;
	struct errbuf eb;
	bool ok;

	if (!cmdline)
		return true; /* unset (a merge layer): the plan's command, checked when it came */
	if (command_split(cmdline, &argv, &n, &eb) < 0)
		return true; /* the daemon refuses it as well */
	ok = n == 0 || program_allowed(argv[0]);
	command_argv_free(argv);
	return ok;
}

static bool env_allowed(const struct plan_strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strncmp(m->v[i].key, "LD_", 3))
			return false;
	return true;
}

static bool host_allowed(const char *h)
{
	return !h || !strcmp(h, "localhost") || !strcmp(h, "127.0.0.1") || !strcmp(h, "::1");
}

static bool url_allowed(const char *u)
{
	static const char *const prefixes[] = { "http://127.0.0.1:", "http://localhost:", "http://[::1]:" };

	if (!u || strchr(u, '@') || strchr(u, '\\'))
		return !u;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(u, prefixes[i], n)) {
			u += n;
			while (*u >= '0' && *u <= '9')
				u++;
			return *u == '\0' || *u == '/';
		}
	}
	return false;
}

/* True when the layer is safe to add (or the daemon refuses it as well). */
static bool layer_allowed(const char *yaml, size_t len)
{
	struct plan_layer *l = NULL;
	struct errbuf eb;
	bool ok = true;

	if (plan_layer_parse("fuzz", 0, yaml, len, &l, &eb) < 0)
		return true;
	for (size_t i = 0; ok && i < l->s.n_services; i++)
		ok = command_allowed(l->s.services[i]->command) && env_allowed(&l->s.services[i]->environment);
	for (size_t i = 0; ok && i < l->s.n_checks; i++) {
		const struct plan_check *c = l->s.checks[i];

		if (c->http)
			ok = url_allowed(c->http->url);
		if (ok && c->tcp)
			ok = host_allowed(c->tcp->host);
		if (ok && c->exec)
			ok = command_allowed(c->exec->command) && env_allowed(&c->exec->environment);
	}
	plan_layer_free(l);
	return ok;
}

/* An absolute path moved under root, its ".." components renamed. */
static char *rehome(const char *p)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_init(&b);
	buf_adds(&b, root);
	for (const char *q = p; *q;) {
		if (q[0] == '.' && q[1] == '.' && (q[2] == '/' || q[2] == '\0') && q > p && q[-1] == '/') {
			buf_adds(&b, "__");
			q += 2;
			continue;
		}
		buf_addc(&b, *q++);
	}
	s = xstrdup(b.data);
	buf_done(&b);
	return s;
}

static void rehome_json(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (json_is_string(x) && json_string_value(x)[0] == '/') {
				char *p = rehome(json_string_value(x));

				json_object_set_new(v, k, json_string(p));
				free(p);
			} else {
				rehome_json(x);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x) && json_string_value(x)[0] == '/') {
				char *p = rehome(json_string_value(x));

				json_array_set_new(v, i, json_string(p));
				free(p);
			} else {
				rehome_json(x);
			}
		}
	}
}

static void drop_ld_vars(json_t *env)
{
	const char *k;
	json_t *x;
	void *tmp;

	if (json_is_object(env))
		json_object_foreach_safe(env, tmp, k, x)
			if (!strncmp(k, "LD_", 3))
				json_object_del(env, k);
}

/* Makes a JSON body safe for its endpoint; returns the text to send (malloc'd; a body that
 * is not JSON goes as it is: the daemon parses it with the same parser and refuses it). */
static char *safe_body(enum shape shape, const char *s, size_t n)
{
	json_t *v = json_loadb(s, n, JSON_DECODE_ANY, NULL);
	char *out;

	if (!v || !json_is_object(v)) {
		json_decref(v);
		return xstrndup(s, n);
	}
	if (shape == LAYER_BODY) {
		json_t *layer = json_object_get(v, "layer");

		if (json_is_string(layer) && !layer_allowed(json_string_value(layer), json_string_length(layer)))
			json_object_set_new(v, "layer", json_string(safe_layer));
	} else if (shape == EXEC_BODY) {
		json_t *cmd = json_object_get(v, "command");
		char *prog = NULL;

		if (json_is_array(cmd) && json_is_string(json_array_get(cmd, 0)))
			prog = xstrdup(json_string_value(json_array_get(cmd, 0)));
		rehome_json(v);
		cmd = json_object_get(v, "command");
		if (json_is_array(cmd) && json_array_size(cmd))
			json_array_set_new(cmd, 0, json_string(program_allowed(prog) ? prog : "/bin/true"));
		free(prog);
		drop_ld_vars(json_object_get(v, "environment"));
	} else if (shape == FILES_BODY || shape == FILES_WRITE) {
		rehome_json(v);
	}
	out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!out)
		abort();
	return out;
}

/* A multipart write: the metadata, then a part per file it names. */
static void files_write_body(struct buf *b, const char *meta_text)
{
	json_t *meta = json_loads(meta_text, 0, NULL), *files = json_object_get(meta, "files"), *f;
	size_t i;

	buf_addf(b, "--%s\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n%s\r\n", BOUNDARY, meta_text);
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));

		if (!path || strpbrk(path, "\"\r\n"))
			continue;
		buf_addf(b, "--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n\r\ncontent %zu\r\n",
			 BOUNDARY, path, i);
	}
	buf_addf(b, "--%s--\r\n", BOUNDARY);
	json_decref(meta);
}

/* Query text as it may stand in a request line: bytes outside printable ASCII and '#' are
 * percent-encoded; for files the values naming paths are moved under root (and '%' is
 * dropped, so none is decoded into "..": the path must be what the harness checked). */
static void add_query(struct buf *b, enum shape shape, const char *q, size_t n)
{
	if (!n)
		return;
	buf_addc(b, '?');
	if (shape == FILES_QUERY) {
		char *copy = xstrndup(q, n), *save = NULL;
		bool first = true;

		for (char *p = copy; *p; p++)
			if (*p == '%' || *p == '+' || (unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#')
				*p = '_';
		for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');

			if (!first)
				buf_addc(b, '&');
			first = false;
			if (eq && eq[1] == '/') {
				char *p = rehome(eq + 1);

				buf_add(b, kv, (size_t)(eq + 1 - kv));
				buf_adds(b, p);
				free(p);
			} else {
				buf_adds(b, kv);
			}
		}
		free(copy);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			buf_addf(b, "%%%02X", c);
		else
			buf_addc(b, (char)c);
	}
}

/* ---- the client thread ---- */

static int connect_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.pebble.socket", pebble);
	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1; /* the daemon already stopped (a service's on-success: shutdown) */
	}
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Checks a complete answer: a status line, and Pebble's envelope when it is JSON. */
static void check_answer(const struct buf *a)
{
	const char *body;
	json_t *v, *type;

	if (a->len < 12 || memcmp(a->data, "HTTP/1.1 ", 9))
		abort();
	body = memmem(a->data, a->len, "\r\n\r\n", 4);
	if (!body || !memmem(a->data, (size_t)(body - a->data), "Content-Type: application/json", 30) ||
	    memmem(a->data, (size_t)(body - a->data), "chunked", 7))
		return;
	body += 4;
	v = json_loadb(body, a->len - (size_t)(body - a->data), 0, NULL);
	type = json_object_get(v, "type");
	if (!json_is_string(type) || (strcmp(json_string_value(type), "sync") &&
				      strcmp(json_string_value(type), "async") && strcmp(json_string_value(type), "error"))) {
		fprintf(stderr, "fuzz_scree_api: not an envelope: %.*s\n", (int)a->len, a->data);
		abort();
	}
	json_decref(v);
}

static void request(const struct buf *req, unsigned wait_ms)
{
	struct buf ans = BUF_INIT;
	uint64_t end = now_ms() + wait_ms;
	size_t off = 0;
	int fd = connect_daemon();
	bool eof = false;

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	buf_init(&ans);
	while (!eof) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (off < req->len ? POLLOUT : 0) };
		uint64_t t = now_ms();
		char tmp[16384];
		ssize_t n;

		if (t >= end || poll(&p, 1, (int)(end - t)) <= 0)
			break;
		if ((p.revents & POLLOUT) && off < req->len) {
			n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = req->len; /* it answered early and closed: read what it said */
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, tmp, sizeof(tmp));
			if (n > 0 && ans.len < (1u << 20))
				buf_add(&ans, tmp, (size_t)n);
			else if (n == 0 || (n < 0 && errno != EAGAIN))
				eof = true;
		}
	}
	if (verbose)
		fprintf(stderr, "fuzz_scree_api: %.*s -> %.*s\n", (int)(strchr(req->data, '\r') - req->data), req->data,
			eof && ans.len >= 12 ? 3 : 9, eof && ans.len >= 12 ? ans.data + 9 : "no answer");
	if (eof && ans.len)
		check_answer(&ans);
	close(fd);
	buf_done(&ans);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct pollfd p = { .fd = c->ready_fd, .events = POLLIN };
	struct buf req = BUF_INIT, body = BUF_INIT;
	const char *line = c->text, *end = c->text + c->len;
	char ready[64];
	int sent = 0;

	buf_init(&req);
	buf_init(&body);
	/* The daemon writes its boot id once its socket listens (or closes the pipe if it
	 * never got there). */
	if (poll(&p, 1, 10000) <= 0 || read(c->ready_fd, ready, sizeof(ready)) <= 0)
		goto out;
	while (line < end && sent < MAX_REQUESTS) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end, *rest;
		const struct endpoint *e;
		const char *brace;

		if (line == stop) {
			line = stop + 1;
			continue;
		}
		e = &endpoints[(unsigned char)line[0] % N_ENDPOINTS];
		rest = line + 1;
		buf_reset(&req);
		buf_reset(&body);
		buf_addf(&req, "%s ", e->method);
		brace = strstr(e->path, "{}");
		if (brace) {
			const char *sp = memchr(rest, ' ', (size_t)(stop - rest));
			const char *idend = sp ? sp : stop;

			buf_add(&req, e->path, (size_t)(brace - e->path));
			if (idend == rest)
				buf_addc(&req, '1');
			for (const char *q = rest; q < idend; q++)
				buf_addc(&req, (unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || strchr("/?#%", *q)
						       ? '_' : *q);
			buf_adds(&req, brace + 2);
			rest = sp ? sp + 1 : stop;
		} else {
			buf_adds(&req, e->path);
		}
		if (e->shape == QUERY || e->shape == FILES_QUERY) {
			add_query(&req, e->shape, rest, (size_t)(stop - rest));
		} else if (e->shape == FILES_WRITE) {
			char *meta = safe_body(e->shape, rest, (size_t)(stop - rest));

			files_write_body(&body, meta);
			free(meta);
		} else if (e->shape != NONE) {
			char *b = safe_body(e->shape, rest, (size_t)(stop - rest));

			buf_adds(&body, b);
			free(b);
		}
		buf_adds(&req, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
		if (e->shape == FILES_QUERY && memmem(rest, (size_t)(stop - rest), "action=read", 11))
			buf_adds(&req, "Accept: multipart/form-data\r\n");
		if (e->shape == FILES_WRITE)
			buf_addf(&req, "Content-Type: multipart/form-data; boundary=%s\r\n", BOUNDARY);
		else if (body.len)
			buf_adds(&req, "Content-Type: application/json\r\n");
		if (!strcmp(e->method, "POST"))
			buf_addf(&req, "Content-Length: %zu\r\n", body.len);
		buf_adds(&req, "\r\n");
		buf_add(&req, body.data, body.len);
		request(&req, e->shape == FILES_WRITE ? WRITE_ANSWER_MS : ANSWER_MS);
		sent++;
		line = stop + 1;
	}
out:
	buf_done(&req);
	buf_done(&body);
	/* To the daemon's thread, which blocks it: process-wide, libFuzzer's own threads
	 * (which do not) would take it. */
	syscall(SYS_tgkill, getpid(), c->daemon_tid, SIGTERM);
	return NULL;
}

/* ---- one daemon per input ---- */

static char shm[64];

static void shm_remove(void)
{
	fs_rm_rf(shm);
}

static void setup_once(void)
{
	const char *base = fuzz_scratch_dir();

	/* On a tmpfs when there is one: a pushed file's fsyncs are then free. */
	snprintf(shm, sizeof(shm), "/dev/shm/cairn-fuzz-XXXXXX");
	if (mkdtemp(shm)) {
		base = shm;
		atexit(shm_remove);
	}
	root = xasprintf("%s/root", base);
	pebble = xasprintf("%s/pebble", base);
	verbose = getenv("FUZZ_VERBOSE") && !strcmp(getenv("FUZZ_VERBOSE"), "1");
	setenv("PEBBLE_PERSIST", "never", 1);
	unsetenv("PEBBLE_SOCKET");
	unsetenv("PEBBLE_COPY_ONCE");
	unsetenv("PEBBLE_DEBUG");
	setenv("PEBBLE", pebble, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct scree_opts opts = { .create_dirs = true };
	struct client c = { .text = (const char *)data, .len = size };
	struct timespec zero = { 0, 0 };
	sigset_t mask;
	pthread_t th;
	FILE *saved = stderr, *quiet = NULL;
	char fdtext[16];
	int p[2];

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!ready) {
		setup_once();
		ready = true;
	}
	fs_rm_rf(root);
	fs_rm_rf(pebble);
	if (fs_mkdir_p(root, 0755) < 0)
		abort();
	/* The daemon's signals are blocked in both threads before the client exists, so the
	 * loop's signalfd takes them (SIGTERM from the client included). */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	snprintf(fdtext, sizeof(fdtext), "%d", p[1]);
	setenv("SCREE_READY_FD", fdtext, 1);
	c.ready_fd = p[0];
	c.daemon_tid = (pid_t)syscall(SYS_gettid);
	if (pthread_create(&th, NULL, client_main, &c) != 0)
		abort();
	if (!verbose) {
		quiet = fopen("/dev/null", "w");
		if (quiet)
			stderr = quiet;
	}
	scree_run(&opts);
	stderr = saved;
	if (quiet)
		fclose(quiet);
	/* notify_ready unsets the variable and closes the pipe; a daemon that never got that far
	 * leaves both to us. */
	if (getenv("SCREE_READY_FD")) {
		unsetenv("SCREE_READY_FD");
		close(p[1]);
	}
	pthread_join(th, NULL);
	close(p[0]);
	/* A SIGTERM that came after the daemon stopped by itself must not stop the next one. */
	while (sigtimedwait(&mask, NULL, &zero) > 0)
		;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

/* test-sdk-pebble.c - the Pebble client over HTTP against a fake Pebble (a thread that
 * answers each request from a script of canned responses and records what it received):
 * every kind of failure the client reports - connection (no socket, refused, closed,
 * timed out), protocol (wrong content type, bad JSON, malformed answers), API errors with
 * their code and kind, path errors, change errors and wait timeouts - and the requests it
 * sends for each call. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "sdk/framework.h"

enum fake_mode {
	REPLY,     /* send status/content-type/body */
	CLOSE,     /* read the request, close without answering */
	HANG,      /* read the request, never answer (until the test ends) */
	TRUNCATE,  /* send the headers and part of the body (Content-Length promises more), close */
	HALF_HEAD, /* send part of the status line and headers, close */
};

struct canned {
	const char *method;
	const char *path;   /* prefix of the request target */
	enum fake_mode mode;
	int status;
	const char *ctype;
	const char *body;
	int times;          /* how many requests it answers (0 = any) */
};

struct fake {
	char path[108];
	int lfd;
	pthread_t th;
	bool stop;
	struct canned script[32];
	size_t n;
	struct buf log;     /* "METHOD target body\n" per request */
	pthread_mutex_t mu;
	int hang_fd;
};

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 504:
		return "Gateway Timeout";
	default:
		return "Other";
	}
}

/* Reads one request (headers + Content-Length body); returns 0 or -1 on EOF. */
static int read_request(int fd, struct buf *req, char *method, size_t mn, char *target, size_t tn, const char **body)
{
	char chunk[4096];
	char *hend;
	size_t clen = 0;

	buf_reset(req);
	while (!(hend = strstr(buf_str(req), "\r\n\r\n"))) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			return -1;
		buf_add(req, chunk, (size_t)n);
	}
	for (char *p = req->data; p < hend; p = strstr(p, "\r\n") + 2)
		if (!strncasecmp(p, "Content-Length:", 15))
			clen = strtoul(p + 15, NULL, 10);
	while (req->len < (size_t)(strstr(req->data, "\r\n\r\n") - req->data) + 4 + clen) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			return -1;
		buf_add(req, chunk, (size_t)n);
	}
	sscanf(req->data, "%15s %1023s", method, target);
	(void)mn;
	(void)tn;
	*body = strstr(req->data, "\r\n\r\n") + 4;
	return 0;
}

static void *fake_main(void *data)
{
	struct fake *f = data;
	struct buf req = BUF_INIT;

	buf_init(&req);
	for (;;) {
		int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		char method[16], target[1024];
		const char *body;
		struct canned *c = NULL;

		if (fd < 0 || f->stop) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (read_request(fd, &req, method, sizeof(method), target, sizeof(target), &body) < 0) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&f->mu);
		buf_addf(&f->log, "%s %s %s\n", method, target, body);
		for (size_t i = 0; i < f->n && !c; i++) {
			struct canned *k = &f->script[i];

			if (k->times >= 0 && !strcmp(k->method, method) && !strncmp(target, k->path, strlen(k->path))) {
				c = k;
				if (k->times > 0 && --k->times == 0)
					k->times = -1; /* used up */
			}
		}
		pthread_mutex_unlock(&f->mu);
		if (!c) {
			const char *nf = "{\"type\":\"error\",\"status-code\":404,\"status\":\"Not Found\","
					 "\"result\":{\"message\":\"invalid API endpoint requested\"}}";
			dprintf(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
				    "Connection: close\r\n\r\n%s", strlen(nf), nf);
		} else if (c->mode == REPLY) {
			dprintf(fd, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
				c->status, reason(c->status), c->ctype ? c->ctype : "application/json", strlen(c->body),
				c->body);
		} else if (c->mode == TRUNCATE) {
			dprintf(fd, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
				c->status, reason(c->status), strlen(c->body) + 100, c->body);
		} else if (c->mode == HALF_HEAD) {
			dprintf(fd, "HTTP/1.1 200 OK\r\nContent-Type: applica");
		} else if (c->mode == HANG) {
			f->hang_fd = fd;
			continue;
		}
		close(fd);
	}
	buf_done(&req);
	return NULL;
}

static struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->path, sizeof(f->path), "/tmp/cairn-sdk-pebble-%d-%p.sock", (int)getpid(), (void *)f);
	strcpy(sa.sun_path, f->path);
	unlink(f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->lfd, 16) < 0)
		exit(2);
	f->hang_fd = -1;
	buf_init(&f->log);
	pthread_mutex_init(&f->mu, NULL);
	pthread_create(&f->th, NULL, fake_main, f);
	return f;
}

static void fake_add(struct fake *f, const char *method, const char *path, enum fake_mode mode, int status,
		     const char *ctype, const char *body, int times)
{
	pthread_mutex_lock(&f->mu);
	f->script[f->n++] = (struct canned){ method, path, mode, status, ctype, body ? body : "", times };
	pthread_mutex_unlock(&f->mu);
}

static void fake_sync(struct fake *f, const char *method, const char *path, const char *result)
{
	static char bodies[32][4096];
	static int next;
	char *b = bodies[next++ % 32];

	snprintf(b, 4096, "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":%s}", result);
	fake_add(f, method, path, REPLY, 200, NULL, b, 0);
}

static void fake_error(struct fake *f, const char *method, const char *path, int status, const char *kind,
		       const char *message)
{
	static char bodies[32][1024];
	static int next;
	char *b = bodies[next++ % 32];

	if (kind)
		snprintf(b, 1024, "{\"type\":\"error\",\"status-code\":%d,\"status\":\"%s\",\"result\":{\"message\":\"%s\","
				  "\"kind\":\"%s\"}}",
			 status, reason(status), message, kind);
	else
		snprintf(b, 1024, "{\"type\":\"error\",\"status-code\":%d,\"status\":\"%s\",\"result\":{\"message\":\"%s\"}}",
			 status, reason(status), message);
	fake_add(f, method, path, REPLY, status, NULL, b, 0);
}

static const char *fake_log(struct fake *f)
{
	static char out[16384];

	pthread_mutex_lock(&f->mu);
	snprintf(out, sizeof(out), "%s", buf_str(&f->log));
	buf_reset(&f->log);
	pthread_mutex_unlock(&f->mu);
	return out;
}

static void fake_stop(struct fake *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	f->stop = true;
	strcpy(sa.sun_path, f->path);
	connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	pthread_join(f->th, NULL);
	if (f->hang_fd >= 0)
		close(f->hang_fd);
	close(f->lfd);
	unlink(f->path);
	buf_done(&f->log);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* A framework object whose container "web" talks to the fake. */
static char socket_path[108];

static struct pebble *factory(void *data, const char *container)
{
	(void)data;
	(void)container;
	return pebble_http_new(socket_path);
}

static struct cairn_charm *ch;

static struct cairn_container *container(const char *path)
{
	static char *env[] = { "JUJU_UNIT_NAME=t/0", NULL };
	struct cairn_container *c = NULL;
	struct meta m;
	struct charm_init init = { .charm_dir = "/tmp", .meta = &m, .envp = env, .pebble_factory = factory };

	charm_free(ch);
	ch = NULL;
	snprintf(socket_path, sizeof(socket_path), "%s", path);
	meta_load_text(&m, "name: t\ncontainers:\n  web: {}\n", NULL, NULL, NULL);
	init.tools = tools_exec_new(env);
	if (charm_new(&init, &ch, NULL) < 0 || cairn_container(ch, "web", &c, NULL) < 0)
		return NULL;
	return c;
}

#define ASYNC(id) "{\"type\":\"async\",\"status-code\":202,\"status\":\"Accepted\",\"change\":\"" id "\"}"
#define CHANGE_OK(id) "{\"id\":\"" id "\",\"kind\":\"start\",\"status\":\"Done\",\"ready\":true}"

static void test_connection_errors(void)
{
	struct cairn_system_info si;
	struct cairn_error err;
	struct cairn_container *c = container("/tmp/cairn-sdk-no-such-pebble.sock");
	char refused[108];
	int fd;

	ASSERT_TRUE(c);
	ASSERT_TRUE(!cairn_container_can_connect(c));
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "No such file or directory");
	/* A socket file nobody listens on. */
	snprintf(refused, sizeof(refused), "/tmp/cairn-sdk-refused-%d.sock", (int)getpid());
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, refused);
		unlink(refused);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	c = container(refused);
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ENOTCONN);
	ASSERT_CONTAINS(err.message, "Connection refused");
	unlink(refused);
}

static void test_closed_and_timed_out(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_system_info si;
	struct cairn_error err;

	fake_add(f, "GET", "/v1/system-info", CLOSE, 0, NULL, NULL, 1);
	fake_add(f, "GET", "/v1/system-info", HANG, 0, NULL, NULL, 1);
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "GET /v1/system-info");
	cairn_pebble_set_timeout(c, 200);
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ETIMEDOUT);
	ASSERT_EQ(err.kind, CAIRN_ERR_TIMEOUT);
	fake_stop(f);
}

/* The peer closes in the middle of its answer: a connection error (never a protocol error or a
 * half-parsed success), for a plain request and for a change wait. */
static void test_closed_mid_response(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_system_info si;
	struct cairn_error err;

	fake_add(f, "GET", "/v1/system-info", TRUNCATE, 200, NULL, "{\"type\":\"sync\",\"status-code\":200,\"res", 1);
	fake_add(f, "GET", "/v1/system-info", HALF_HEAD, 0, NULL, NULL, 1);
	fake_add(f, "POST", "/v1/services", REPLY, 202, NULL, ASYNC("3"), 1);
	fake_add(f, "GET", "/v1/changes/3/wait", TRUNCATE, 200, NULL, "{\"type\":\"sync\",\"result\":{\"id\":\"3\"", 1);
	memset(&si, 0x5a, sizeof(si));
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "GET /v1/system-info");
	ASSERT_CONTAINS(err.message, "connection closed");
	ASSERT_EQ((unsigned char)si.version[0], 0x5a); /* untouched */
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "connection closed");
	ASSERT_EQ(cairn_pebble_restart(c, (const char *[]){ "svc", NULL }, &err), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "/v1/changes/3/wait");
	fake_stop(f);
}

static void test_protocol_errors(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_system_info si;
	struct cairn_layer *plan = NULL;
	struct cairn_error err;

	fake_add(f, "GET", "/v1/system-info", REPLY, 502, "text/html", "<html>bad gateway</html>", 1);
	fake_add(f, "GET", "/v1/system-info", REPLY, 200, NULL, "{not json", 1);
	fake_add(f, "GET", "/v1/system-info", REPLY, 500, NULL, "{\"type\":\"sync\",\"result\":{}}", 1);
	fake_sync(f, "GET", "/v1/system-info", "{\"boot-id\":\"b\"}");
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -EPROTO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PROTOCOL);
	ASSERT_CONTAINS(err.message, "expected a JSON answer, got content type \"text/html\" (status 502)");
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -EPROTO);
	ASSERT_CONTAINS(err.message, "invalid JSON answer");
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -EPROTO);
	ASSERT_CONTAINS(err.message, "unexpected answer (status 500, type sync)");
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), -EPROTO); /* no version */
	fake_sync(f, "GET", "/v1/plan", "\"services: [\"");
	ASSERT_EQ(cairn_pebble_get_plan(c, &plan, &err), -EPROTO);
	ASSERT_CONTAINS(err.message, "plan: cannot parse layer");
	fake_stop(f);
}

static void test_api_errors(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_service_info info;
	struct cairn_error err;

	fake_error(f, "POST", "/v1/layers", 400, NULL, "layer \\\"base\\\" must define \\\"override\\\" for service \\\"x\\\"");
	fake_error(f, "POST", "/v1/services", 400, "no-default-services", "no default services");
	fake_sync(f, "GET", "/v1/services", "[]");
	cairn_layer_service(l, "x");
	ASSERT_EQ(cairn_pebble_add_layer(c, "base", l, true, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_API);
	ASSERT_EQ(err.code, 400);
	ASSERT_STREQ(err.message, "layer \"base\" must define \"override\" for service \"x\"");
	ASSERT_STREQ(err.pebble_kind, "");
	ASSERT_CONTAINS(fake_log(f), "POST /v1/layers {\"action\":\"add\",\"combine\":true,\"label\":\"base\","
				    "\"format\":\"yaml\",\"layer\":\"services:\\n    x: {}\\n\"}");
	ASSERT_EQ(cairn_pebble_autostart(c, &err), -EREMOTEIO);
	ASSERT_STREQ(err.pebble_kind, "no-default-services");
	ASSERT_STREQ(err.message, "no default services");
	ASSERT_EQ(cairn_pebble_get_service(c, "x", &info, &err), -ENOENT);
	ASSERT_EQ(err.kind, CAIRN_ERR_NOT_FOUND);
	ASSERT_STREQ(err.message, "service \"x\" not found");
	ASSERT_CONTAINS(fake_log(f), "GET /v1/services?names=x");
	/* An endpoint the server does not have. */
	ASSERT_EQ(cairn_pebble_get_notices(c, NULL, &(struct cairn_notice *){ NULL }, &(size_t){ 0 }, &err), -EREMOTEIO);
	ASSERT_EQ(err.code, 404);
	ASSERT_STREQ(err.message, "invalid API endpoint requested");
	cairn_layer_free(l);
	fake_stop(f);
}

static void test_changes(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	const char *names[] = { "svc", "other", NULL };
	struct cairn_error err;

	/* start: async, one 504 slice, then ready. */
	fake_add(f, "POST", "/v1/services", REPLY, 202, NULL, ASYNC("7"), 1);
	fake_error(f, "GET", "/v1/changes/7/wait", 504, NULL, "timed out waiting for change after 4s");
	f->script[f->n - 1].times = 1;
	fake_sync(f, "GET", "/v1/changes/7/wait", CHANGE_OK("7"));
	ASSERT_EQ(cairn_pebble_start(c, names, &err), 0);
	{
		const char *log = fake_log(f);

		ASSERT_CONTAINS(log, "POST /v1/services {\"action\":\"start\",\"services\":[\"svc\",\"other\"]}\n");
		ASSERT_CONTAINS(log, "GET /v1/changes/7/wait?timeout=4.000s");
	}
	/* A change that fails carries its err. */
	fake_add(f, "POST", "/v1/services", REPLY, 202, NULL, ASYNC("8"), 1);
	fake_sync(f, "GET", "/v1/changes/8/wait",
		  "{\"id\":\"8\",\"status\":\"Error\",\"ready\":true,\"err\":\"cannot perform the following tasks:\\n"
		  "- Start service \\\"svc\\\" (exited quickly with code 1)\"}");
	ASSERT_EQ(cairn_pebble_stop(c, names, &err), -ECANCELED);
	ASSERT_EQ(err.kind, CAIRN_ERR_CHANGE);
	ASSERT_STREQ(err.change_id, "8");
	ASSERT_CONTAINS(err.message, "cannot perform the following tasks:\n- Start service \"svc\"");
	/* A change that never ends within the container's timeout. */
	fake_add(f, "POST", "/v1/services", REPLY, 202, NULL, ASYNC("9"), 1);
	fake_error(f, "GET", "/v1/changes/9/wait", 504, NULL, "timed out waiting for change after 0.1s");
	cairn_pebble_set_timeout(c, 300);
	ASSERT_EQ(cairn_pebble_replan(c, &err), -ETIMEDOUT);
	ASSERT_EQ(err.kind, CAIRN_ERR_TIMEOUT);
	ASSERT_STREQ(err.change_id, "9");
	ASSERT_CONTAINS(fake_log(f), "POST /v1/services {\"action\":\"replan\"}");
	/* Bad arguments never reach the server. */
	ASSERT_EQ(cairn_pebble_start(c, (const char *[]){ NULL }, &err), -EINVAL);
	ASSERT_EQ(cairn_pebble_wait_change(c, "../x", 0, &err), -EINVAL);
	ASSERT_EQ(cairn_pebble_wait_change(c, "404", 0, &err), -EREMOTEIO); /* the fake has no such change */
	fake_stop(f);
}

static void test_restart_falls_back_to_stop_start(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	const char *names[] = { "a", "b", NULL };
	struct cairn_error err;
	const char *log;

	fake_error(f, "POST", "/v1/services", 400, NULL, "invalid action \\\"restart\\\"");
	f->script[f->n - 1].times = 1;
	fake_sync(f, "GET", "/v1/services", "[{\"name\":\"a\",\"current\":\"active\"},{\"name\":\"b\",\"current\":\"inactive\"}]");
	fake_add(f, "POST", "/v1/services", REPLY, 202, NULL, ASYNC("3"), 0);
	fake_sync(f, "GET", "/v1/changes/3/wait", CHANGE_OK("3"));
	ASSERT_EQ(cairn_pebble_restart(c, names, &err), 0);
	log = fake_log(f);
	ASSERT_CONTAINS(log, "{\"action\":\"restart\",\"services\":[\"a\",\"b\"]}");
	ASSERT_CONTAINS(log, "{\"action\":\"stop\",\"services\":[\"a\"]}");
	ASSERT_CONTAINS(log, "{\"action\":\"start\",\"services\":[\"a\",\"b\"]}");
	fake_stop(f);
}

static void test_services_plan_and_system_info(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_service_info *v = NULL, one;
	struct cairn_system_info si;
	struct cairn_layer *plan = NULL;
	struct cairn_error err;
	size_t n = 0;

	fake_sync(f, "GET", "/v1/system-info", "{\"boot-id\":\"b-1\",\"version\":\"v1.32.1\"}");
	fake_sync(f, "GET", "/v1/services",
		  "[{\"name\":\"a\",\"startup\":\"enabled\",\"current\":\"active\",\"current-since\":\"2024-01-02T03:04:05Z\"},"
		  "{\"name\":\"b\",\"startup\":\"disabled\",\"current\":\"weird\"}]");
	fake_sync(f, "GET", "/v1/plan", "\"services:\\n    a:\\n        override: replace\\n        command: sleep 1\\n\"");
	ASSERT_TRUE(cairn_container_can_connect(c));
	ASSERT_EQ(cairn_pebble_system_info(c, &si, &err), 0);
	ASSERT_STREQ(si.version, "v1.32.1");
	ASSERT_STREQ(si.boot_id, "b-1");
	ASSERT_EQ(cairn_pebble_get_services(c, NULL, &v, &n, &err), 0);
	ASSERT_EQ(n, 2);
	ASSERT_TRUE(v[0].startup_enabled && v[0].current == CAIRN_SERVICE_ACTIVE);
	ASSERT_STREQ(v[0].current_since, "2024-01-02T03:04:05Z");
	ASSERT_TRUE(!v[1].startup_enabled && v[1].current == CAIRN_SERVICE_UNKNOWN && !v[1].current_since);
	cairn_service_infos_free(v, n);
	ASSERT_EQ(cairn_pebble_get_service(c, "b", &one, &err), 0);
	ASSERT_STREQ(one.name, "b");
	cairn_service_info_done(&one);
	ASSERT_EQ(cairn_pebble_get_plan(c, &plan, &err), 0);
	ASSERT_STREQ(cairn_layer_get(cairn_layer_find(plan, CAIRN_LAYER_SERVICES, "a"), "command"), "sleep 1");
	cairn_layer_free(plan);
	ASSERT_CONTAINS(fake_log(f), "GET /v1/plan?format=yaml");
	fake_stop(f);
}

static void test_files_list_and_path_errors(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_file_info *v = NULL;
	struct cairn_file_opts o;
	struct cairn_error err;
	size_t n = 0;

	fake_error(f, "GET", "/v1/files?action=list&path=/nope", 404, "not-found",
		   "stat /nope: no such file or directory");
	fake_sync(f, "GET", "/v1/files?action=list&path=/etc",
		  "[{\"path\":\"/etc/hosts\",\"name\":\"hosts\",\"type\":\"file\",\"size\":12,\"permissions\":\"644\","
		  "\"last-modified\":\"2024-01-01T00:00:00Z\",\"user-id\":0,\"user\":\"root\",\"group-id\":0,\"group\":\"root\"},"
		  "{\"path\":\"/etc/ssl\",\"name\":\"ssl\",\"type\":\"directory\",\"permissions\":\"755\"}]");
	fake_sync(f, "POST", "/v1/files",
		  "[{\"path\":\"/x\",\"error\":{\"message\":\"mkdir /x: file exists\",\"kind\":\"generic-file-error\"}}]");
	ASSERT_EQ(cairn_pebble_list_files(c, "/nope", NULL, false, &v, &n, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PATH);
	ASSERT_EQ(err.code, 404);
	ASSERT_STREQ(err.pebble_kind, "not-found");
	ASSERT_STREQ(err.message, "stat /nope: no such file or directory");
	ASSERT_EQ(cairn_pebble_list_files(c, "/etc", "*", true, &v, &n, &err), 0);
	ASSERT_CONTAINS(fake_log(f), "GET /v1/files?action=list&path=/etc&pattern=%2A&itself=true");
	ASSERT_EQ(n, 2);
	ASSERT_EQ(v[0].type, CAIRN_FILE_FILE);
	ASSERT_EQ(v[0].size, 12);
	ASSERT_EQ(v[0].permissions, 0644);
	ASSERT_STREQ(v[0].user, "root");
	ASSERT_EQ(v[1].type, CAIRN_FILE_DIRECTORY);
	ASSERT_EQ(v[1].size, -1);
	ASSERT_EQ(v[1].user_id, -1);
	cairn_file_infos_free(v, n);
	cairn_file_opts_init(&o);
	o.permissions = 0700;
	o.make_dirs = true;
	o.user = "root";
	ASSERT_EQ(cairn_pebble_make_dir(c, "/x", &o, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PATH);
	ASSERT_STREQ(err.pebble_kind, "generic-file-error");
	ASSERT_STREQ(err.message, "mkdir /x: file exists");
	ASSERT_CONTAINS(fake_log(f), "POST /v1/files {\"action\":\"make-dirs\",\"dirs\":[{\"path\":\"/x\","
				    "\"make-parents\":true,\"permissions\":\"700\",\"user\":\"root\"}]}");
	ASSERT_EQ(cairn_pebble_remove_path(c, "/x", true, &err), -EREMOTEIO);
	ASSERT_CONTAINS(fake_log(f), "{\"action\":\"remove\",\"paths\":[{\"path\":\"/x\",\"recursive\":true}]}");
	ASSERT_EQ(cairn_pebble_list_files(c, "relative", NULL, false, &v, &n, &err), -EINVAL);
	ASSERT_EQ(err.kind, CAIRN_ERR_INVALID);
	fake_stop(f);
}

#define MP_FILE(path, bytes) "--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" path "\"\r\n\r\n" bytes "\r\n"
#define MP_RESPONSE(json) "--B\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n" json "\r\n--B--\r\n"

static void test_push_and_pull(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_file_opts o;
	struct cairn_error err;
	const char *log;
	char *data = NULL;
	size_t n = 0;

	/* A write: the "request" part as ops sends it, then the bytes. */
	fake_sync(f, "POST", "/v1/files", "[{\"path\":\"/etc/app.conf\"}]");
	f->script[f->n - 1].times = 1;
	cairn_file_opts_init(&o);
	o.make_dirs = true;
	o.permissions = 0600;
	o.user_id = 0;
	ASSERT_EQ(cairn_pebble_push(c, "/etc/app.conf", "k=v\n", 4, &o, &err), 0);
	log = fake_log(f);
	ASSERT_CONTAINS(log, "POST /v1/files --");
	ASSERT_CONTAINS(log, "Content-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n"
			     "{\"action\":\"write\",\"files\":[{\"path\":\"/etc/app.conf\",\"make-dirs\":true,"
			     "\"permissions\":\"600\",\"user-id\":0}]}\r\n--");
	ASSERT_CONTAINS(log, "Content-Disposition: form-data; name=\"files\"; filename=\"/etc/app.conf\"\r\n"
			     "Content-Type: application/octet-stream\r\n\r\nk=v\n\r\n--");
	/* A per-path failure is a PATH error with Pebble's kind. */
	fake_sync(f, "POST", "/v1/files",
		  "[{\"path\":\"/ro/x\",\"error\":{\"message\":\"open /ro/x: permission denied\",\"kind\":\"permission-denied\"}}]");
	f->script[f->n - 1].times = 1;
	ASSERT_EQ(cairn_pebble_push(c, "/ro/x", "", 0, NULL, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PATH);
	ASSERT_STREQ(err.pebble_kind, "permission-denied");
	ASSERT_STREQ(err.message, "open /ro/x: permission denied");
	/* A whole-request failure is an API error. */
	fake_error(f, "POST", "/v1/files", 400, NULL, "must specify action");
	f->script[f->n - 1].times = 1;
	ASSERT_EQ(cairn_pebble_push(c, "/x", "a", 1, NULL, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_API);
	ASSERT_EQ(err.code, 400);
	ASSERT_STREQ(err.message, "must specify action");
	/* A result without an entry for the path. */
	fake_sync(f, "POST", "/v1/files", "[]");
	f->script[f->n - 1].times = 1;
	ASSERT_EQ(cairn_pebble_push(c, "/x", "a", 1, NULL, &err), -EPROTO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PROTOCOL);
	ASSERT_EQ(cairn_pebble_push(c, "x", "a", 1, NULL, &err), -EINVAL);
	ASSERT_EQ(cairn_pebble_push(c, "/x", NULL, 1, NULL, &err), -EINVAL);
	o.permissions = 01777;
	ASSERT_EQ(cairn_pebble_push(c, "/x", "a", 1, &o, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "permissions must be at most 0777");

	/* A read: the file's part, then the response part. */
	fake_add(f, "GET", "/v1/files?action=read&path=/etc/a%20b", REPLY, 200, "multipart/form-data; boundary=B",
		 MP_FILE("/etc/a b", "line1\r\n--not-a-delimiter\n") MP_RESPONSE("{\"type\":\"sync\",\"status-code\":200,"
		 "\"status\":\"OK\",\"result\":[{\"path\":\"/etc/a b\"}]}"), 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/etc/a b", &data, &n, &err), 0);
	ASSERT_EQ(n, strlen("line1\r\n--not-a-delimiter\n"));
	ASSERT_STREQ(data, "line1\r\n--not-a-delimiter\n");
	free(data);
	data = NULL;
	ASSERT_CONTAINS(fake_log(f), "GET /v1/files?action=read&path=/etc/a%20b ");
	/* Not found: no file part, the error in the response part. */
	fake_add(f, "GET", "/v1/files?action=read&path=/nope", REPLY, 200, "multipart/form-data; boundary=B",
		 MP_RESPONSE("{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[{\"path\":\"/nope\","
			     "\"error\":{\"message\":\"stat /nope: no such file or directory\",\"kind\":\"not-found\"}}]}"), 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/nope", &data, &n, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PATH);
	ASSERT_STREQ(err.pebble_kind, "not-found");
	ASSERT_STREQ(err.message, "stat /nope: no such file or directory");
	ASSERT_TRUE(data == NULL);
	/* An error envelope instead of a multipart answer. */
	fake_error(f, "GET", "/v1/files?action=read&path=/e", 400, NULL, "must accept multipart/form-data");
	f->script[f->n - 1].times = 1;
	ASSERT_EQ(cairn_pebble_pull(c, "/e", &data, &n, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_API);
	ASSERT_EQ(err.code, 400);
	ASSERT_STREQ(err.message, "must accept multipart/form-data");
	/* A success without the file's part. */
	fake_add(f, "GET", "/v1/files?action=read&path=/m", REPLY, 200, "multipart/form-data; boundary=B",
		 MP_RESPONSE("{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[{\"path\":\"/m\"}]}"), 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/m", &data, &n, &err), -EPROTO);
	ASSERT_EQ(err.kind, CAIRN_ERR_PROTOCOL);
	ASSERT_CONTAINS(err.message, "no content for /m");
	/* A truncated multipart answer. */
	fake_add(f, "GET", "/v1/files?action=read&path=/t", REPLY, 200, "multipart/form-data; boundary=B",
		 MP_FILE("/t", "partial") "--B\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n{\"ty", 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/t", &data, &n, &err), -EPROTO);
	ASSERT_CONTAINS(err.message, "bad multipart answer");
	/* Multipart, but the response part is not JSON. */
	fake_add(f, "GET", "/v1/files?action=read&path=/j", REPLY, 200, "multipart/form-data; boundary=B",
		 MP_FILE("/j", "x") MP_RESPONSE("nonsense"), 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/j", &data, &n, &err), -EPROTO);
	/* Neither multipart nor JSON. */
	fake_add(f, "GET", "/v1/files?action=read&path=/h", REPLY, 200, "text/html", "<html>", 1);
	ASSERT_EQ(cairn_pebble_pull(c, "/h", &data, &n, &err), -EPROTO);
	ASSERT_EQ(cairn_pebble_pull(c, "rel", &data, &n, &err), -EINVAL);
	ASSERT_TRUE(data == NULL);
	fake_stop(f);
}

static void test_checks_and_notices(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_check_info *v = NULL;
	struct cairn_notice *nv = NULL, one;
	struct cairn_notice_query q = { .types = (const char *[]){ "custom", NULL }, .all_users = true };
	struct cairn_error err;
	char **changed = NULL, *id = NULL;
	size_t n = 0;
	const char *s;

	fake_sync(f, "GET", "/v1/checks",
		  "[{\"name\":\"up\",\"level\":\"ready\",\"startup\":\"enabled\",\"status\":\"down\",\"successes\":3,"
		  "\"failures\":2,\"threshold\":3,\"change-id\":\"12\"},"
		  "{\"name\":\"idle\",\"startup\":\"enabled\",\"status\":\"up\",\"successes\":0,\"threshold\":3}]");
	fake_sync(f, "POST", "/v1/checks", "{\"changed\":[\"up\"]}");
	fake_sync(f, "GET", "/v1/notices/5", "{\"id\":\"5\",\"user-id\":null,\"type\":\"custom\",\"key\":\"a.com/b\","
					      "\"occurrences\":2,\"last-data\":{\"k\":\"v\"}}");
	fake_sync(f, "GET", "/v1/notices", "[{\"id\":\"5\",\"user-id\":1000,\"type\":\"custom\",\"key\":\"a.com/b\"}]");
	fake_sync(f, "POST", "/v1/notices", "{\"id\":\"6\"}");
	ASSERT_EQ(cairn_pebble_get_checks(c, "ready", (const char *[]){ "up", "idle", NULL }, &v, &n, &err), 0);
	ASSERT_CONTAINS(fake_log(f), "GET /v1/checks?level=ready&names=up%2Cidle");
	ASSERT_EQ(n, 2);
	ASSERT_EQ(v[0].status, CAIRN_CHECK_DOWN);
	ASSERT_EQ(v[0].failures, 2);
	ASSERT_STREQ(v[0].change_id, "12");
	ASSERT_STREQ(v[0].level, "ready");
	/* ops' rule: a startup but no change id reads as inactive. */
	ASSERT_EQ(v[1].status, CAIRN_CHECK_INACTIVE);
	cairn_check_infos_free(v, n);
	ASSERT_EQ(cairn_pebble_get_checks(c, "bogus", NULL, &v, &n, &err), -EINVAL);
	ASSERT_EQ(cairn_pebble_start_checks(c, (const char *[]){ "up", NULL }, &changed, &err), 0);
	ASSERT_STREQ(changed[0], "up");
	ASSERT_TRUE(changed[1] == NULL);
	cairn_strv_free(changed);
	ASSERT_CONTAINS(fake_log(f), "POST /v1/checks {\"action\":\"start\",\"checks\":[\"up\"]}");
	ASSERT_EQ(cairn_pebble_stop_checks(c, (const char *[]){ NULL }, NULL, &err), -EINVAL);
	ASSERT_EQ(cairn_pebble_get_notice(c, "5", &one, &err), 0);
	ASSERT_EQ(one.user_id, -1);
	ASSERT_EQ(one.occurrences, 2);
	ASSERT_EQ(cairn_map_string(one.last_data, "k", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "v");
	cairn_notice_done(&one);
	ASSERT_EQ(cairn_pebble_get_notices(c, &q, &nv, &n, &err), 0);
	ASSERT_CONTAINS(fake_log(f), "GET /v1/notices?types=custom&users=all");
	ASSERT_EQ(n, 1);
	ASSERT_EQ(nv[0].user_id, 1000);
	ASSERT_EQ(cairn_value_size(nv[0].last_data), 0);
	cairn_notices_free(nv, n);
	{
		struct cairn_value *d = cairn_value_map();

		cairn_map_set_string(d, "path", "/x");
		ASSERT_EQ(cairn_pebble_notify(c, "example.com/x", d, &id, &err), 0);
		ASSERT_STREQ(id, "6");
		free(id);
		ASSERT_CONTAINS(fake_log(f), "POST /v1/notices {\"action\":\"add\",\"type\":\"custom\",\"key\":\"example.com/x\","
					    "\"data\":{\"path\":\"/x\"}}");
		cairn_map_set_int(d, "n", 1);
		ASSERT_EQ(cairn_pebble_notify(c, "example.com/x", d, NULL, &err), -EINVAL);
		cairn_value_free(d);
	}
	fake_stop(f);
}

static void test_signals(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_error err;

	fake_error(f, "POST", "/v1/signals", 500, NULL, "cannot send signal to \\\"a\\\": service is not running");
	ASSERT_EQ(cairn_pebble_send_signal(c, "SIGHUP", (const char *[]){ "a", NULL }, &err), -EREMOTEIO);
	ASSERT_EQ(err.code, 500);
	ASSERT_CONTAINS(fake_log(f), "POST /v1/signals {\"signal\":\"SIGHUP\",\"services\":[\"a\"]}");
	ASSERT_EQ(cairn_pebble_send_signal(c, "SIGHUP", (const char *[]){ NULL }, &err), -EINVAL);
	fake_stop(f);
}

static void test_exec_errors(void)
{
	struct fake *f = fake_start();
	struct cairn_container *c = container(f->path);
	struct cairn_exec_opts o;
	struct cairn_exec_result r;
	struct cairn_error err;

	cairn_exec_opts_init(&o);
	o.argv = (const char *[]){ "ls", "-l", NULL };
	o.environment = (const char *[]){ "A=1", NULL };
	o.timeout_ms = 1500;
	fake_error(f, "POST", "/v1/exec", 400, NULL, "cannot find executable \\\"ls\\\"");
	f->script[f->n - 1].times = 1;
	ASSERT_EQ(cairn_pebble_exec(c, &o, &r, &err), -EREMOTEIO);
	ASSERT_EQ(err.code, 400);
	/* What ops sends: every field, null when unset, split-stderr, the timeout in seconds. */
	ASSERT_CONTAINS(fake_log(f), "POST /v1/exec {\"command\":[\"ls\",\"-l\"],\"environment\":{\"A\":\"1\"},"
				    "\"service-context\":null,\"working-dir\":null,\"timeout\":\"1.500s\",\"user-id\":null,"
				    "\"user\":null,\"group-id\":null,\"group\":null,\"split-stderr\":true}");
	/* An async answer without a task id. */
	fake_add(f, "POST", "/v1/exec", REPLY, 202, NULL, ASYNC("4"), 1);
	ASSERT_EQ(cairn_pebble_exec(c, &o, &r, &err), -EPROTO);
	ASSERT_STREQ(err.message, "exec: no task-id in the answer");
	/* The websocket refused by the server. */
	fake_add(f, "POST", "/v1/exec", REPLY, 202, NULL,
		 "{\"type\":\"async\",\"status-code\":202,\"status\":\"Accepted\",\"change\":\"5\","
		 "\"result\":{\"task-id\":\"9\"}}",
		 1);
	fake_error(f, "GET", "/v1/tasks/9/websocket/control", 404, NULL, "cannot find task \\\"9\\\"");
	ASSERT_EQ(cairn_pebble_exec(c, &o, &r, &err), -EREMOTEIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_API);
	ASSERT_CONTAINS(err.message, "exec control websocket: cannot find task \"9\"");
	fake_stop(f);
}

int main(void)
{
	RUN(test_connection_errors);
	RUN(test_closed_and_timed_out);
	RUN(test_closed_mid_response);
	RUN(test_protocol_errors);
	RUN(test_api_errors);
	RUN(test_changes);
	RUN(test_restart_falls_back_to_stop_start);
	RUN(test_services_plan_and_system_info);
	RUN(test_files_list_and_path_errors);
	RUN(test_push_and_pull);
	RUN(test_checks_and_notices);
	RUN(test_signals);
	RUN(test_exec_errors);
	charm_free(ch);
	return test_summary();
}

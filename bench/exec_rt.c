/* exec_rt.c - `bench-exec SOCKET [N]`: the round trip of `exec /bin/true` through scree's API
 * and websockets, as ops drives it (POST /v1/exec, the control, stdio and stderr websockets,
 * the end frames, GET /v1/changes/{id}/wait), beside its floor measured in the same run: a
 * bare posix_spawn/waitpid of /bin/true plus one HTTP round trip to the same scree.  Prints
 * "exec_p50_us floor_p50_us" (medians of N runs each).  Blocking I/O: this is a client. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/http_client.h"
#include "http/websocket.h"
#include "http/ws_client.h"

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench-exec: %s: %s\n", what, msg);
	exit(1);
}

/* Reads frames from fd until a text frame (the end command).  Output bytes are ignored. */
static void read_until_end(int fd, struct buf *in)
{
	struct ws_parser p;

	ws_parser_init(&p, WS_ROLE_CLIENT);
	for (;;) {
		size_t off = 0;

		while (off < in->len) {
			struct ws_event ev;

			off += ws_parse(&p, (uint8_t *)in->data + off, in->len - off, &ev);
			if (ev.type == WS_EV_ERROR)
				die("websocket", ev.reason);
			if (ev.type == WS_EV_DATA && ev.opcode == WS_OP_TEXT && ev.last) {
				buf_consume(in, off);
				return;
			}
		}
		buf_reset(in);
		buf_grow(in, 4096);
		ssize_t n = read(fd, in->data, 4096);

		if (n <= 0)
			die("websocket", "closed before the end frame");
		in->len = (size_t)n;
	}
}

static int ws_open(const char *sock, const char *task, const char *name, struct buf *left)
{
	char target[128];
	struct errbuf eb;
	int fd;

	snprintf(target, sizeof(target), "/v1/tasks/%s/websocket/%s", task, name);
	buf_reset(left);
	if (ws_client_connect_unix(sock, target, 5000, &fd, left, &eb) < 0)
		die(target, eb.msg);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static void one_exec(struct http_client *c, const char *sock)
{
	static const char body[] =
		"{\"command\":[\"/bin/true\"],\"service-context\":null,\"environment\":{},\"working-dir\":null,"
		"\"timeout\":null,\"user-id\":null,\"user\":null,\"group-id\":null,\"group\":null,"
		"\"split-stderr\":true}";
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	struct http_response r;
	struct errbuf eb;
	struct buf lo = BUF_INIT, ls = BUF_INIT, le = BUF_INIT;
	uint8_t frame[64];
	json_t *env;
	char change[32], task[32], target[96];
	size_t h;
	int fc, fs, fe;

	memset(&r, 0, sizeof(r));
	buf_init(&lo);
	buf_init(&ls);
	buf_init(&le);
	if (http_client_request(c, "POST", "/v1/exec", "application/json", body, sizeof(body) - 1, &r, &eb) < 0)
		die("POST /v1/exec", eb.msg);
	env = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (r.status != 202 || !env)
		die("POST /v1/exec", r.body.data);
	snprintf(change, sizeof(change), "%s", json_string_value(json_object_get(env, "change")));
	snprintf(task, sizeof(task), "%s",
		 json_string_value(json_object_get(json_object_get(env, "result"), "task-id")));
	json_decref(env);
	http_response_done(&r);
	fc = ws_open(sock, task, "control", &lo);
	fs = ws_open(sock, task, "stdio", &ls);
	fe = ws_open(sock, task, "stderr", &le);
	h = ws_frame_header(frame, true, WS_OP_TEXT, 17, mask);
	memcpy(frame + h, "{\"command\":\"end\"}", 17);
	ws_mask(frame + h, 17, mask, 0);
	if (write(fs, frame, h + 17) != (ssize_t)(h + 17))
		die("stdio", strerror(errno));
	read_until_end(fs, &ls);
	read_until_end(fe, &le);
	snprintf(target, sizeof(target), "/v1/changes/%s/wait", change);
	memset(&r, 0, sizeof(r));
	if (http_client_request(c, "GET", target, NULL, NULL, 0, &r, &eb) < 0 || r.status != 200 ||
	    !strstr(r.body.data, "\"status\":\"Done\""))
		die("wait", r.body.data ? r.body.data : eb.msg);
	http_response_done(&r);
	close(fc);
	close(fs);
	close(fe);
	buf_done(&lo);
	buf_done(&ls);
	buf_done(&le);
}

static void one_floor(struct http_client *c)
{
	char *argv[] = { "/bin/true", NULL };
	struct http_response r;
	struct errbuf eb;
	pid_t pid;
	int st;

	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
		die("posix_spawn", strerror(errno));
	waitpid(pid, &st, 0);
	memset(&r, 0, sizeof(r));
	if (http_client_request(c, "GET", "/v1/system-info", NULL, NULL, 0, &r, &eb) < 0 || r.status != 200)
		die("system-info", eb.msg);
	http_response_done(&r);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 300;
	double *ex, *fl;
	struct http_client *c;
	struct errbuf eb;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: bench-exec SOCKET [N]\n");
		return 2;
	}
	ex = calloc((size_t)n, sizeof(double));
	fl = calloc((size_t)n, sizeof(double));
	if (http_client_open_unix(argv[1], 10000, &c, &eb) < 0)
		die(argv[1], eb.msg);
	/* Warm up both paths, then alternate so both see the same machine load. */
	for (int i = 0; i < 20; i++) {
		one_exec(c, argv[1]);
		one_floor(c);
	}
	for (int i = 0; i < n; i++) {
		double t = now_us();

		one_exec(c, argv[1]);
		ex[i] = now_us() - t;
		t = now_us();
		one_floor(c);
		fl[i] = now_us() - t;
	}
	qsort(ex, (size_t)n, sizeof(double), cmp_double);
	qsort(fl, (size_t)n, sizeof(double), cmp_double);
	printf("%.1f %.1f\n", ex[n / 2], fl[n / 2]);
	http_client_free(c);
	free(ex);
	free(fl);
	return 0;
}

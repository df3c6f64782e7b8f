/* fuzz_ctl_api.c - the controller's API (docs/protocol.md §1) as the CLI reaches it: each
 * input is a fresh controller in-process (model on SQLite, logs, agent server, API socket;
 * no machine agent) and a client that sends the input's lines as request frames over the
 * API socket and reads what comes back.  Every operation's argument parsing and model
 * change runs on fuzzed JSON: deploy, add-unit, remove-*, config-get/set with every config
 * source, refresh, model-config, status, wait-for, debug-log, machines, resolved,
 * show-status-log, agent-stats, deploy/refresh --resource, attach-resource, resources,
 * integrate / remove-relation, actions, run, exec, task, operation(s), cancel-task,
 * task-wait (no machine agent: tasks stay queued, nothing is executed).
 *
 * Safety: the harness never lets an input name a real path.  Any string starting with '/'
 * (charm paths, resource paths) becomes one of three prepared paths in the scratch folder
 * ("/z..." a broken .charm archive, "/m..." a missing file, any other a charm directory), and "shutdown" (which removes the
 * controller's home) is not sent.  A line that is not JSON is sent as it is (the framing
 * and the malformed-request path).
 *
 * Checked: every request the controller answers gets one frame; the controller never
 * crashes or leaks, and its teardown is clean. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairnd/agents.h"
#include "cairnd/controller.h"
#include "cairnd/ctl_rel.h"
#include "cairnd/logstore.h"
#include "cairnd/model.h"
#include "cairnd/resstore.h"
#include "fuzz.h"
#include "lib/fsutil.h"
#include "lib/msg.h"
#include "proto/tls.h"

#define MAX_LINES 16
#define PUMP_ROUNDS 400 /* of at most 5 ms */
#define QUIET_ROUNDS 40 /* rounds without a new frame after which the rest are streams */

static bool ready;
static struct loop *loop;
static char *tls_dir, *charm_dir, *charm_zip, *missing;
static unsigned n_run;

static void write_file(const char *path, const char *text)
{
	if (fs_write_atomic(path, text, strlen(text), 0644) < 0)
		abort();
}

static void setup_once(void)
{
	const char *base = fuzz_scratch_dir();
	char *p;
	struct errbuf eb;

	ready = true;
	tls_dir = xasprintf("%s/tls", base);
	if (tls_bootstrap(tls_dir, &eb) < 0)
		abort();
	charm_dir = xasprintf("%s/charms/fz", base);
	if (fs_mkdir_p(charm_dir, 0755) < 0)
		abort();
	p = xasprintf("%s/metadata.yaml", charm_dir);
	write_file(p, "name: fz\nsummary: s\ndescription: d\nresources:\n  img: {type: oci-image}\n"
		      "requires:\n  db: {interface: sql}\n  sub: {interface: log, scope: container}\n"
		      "provides:\n  server: {interface: sql, limit: 1}\npeers:\n  ring: {interface: ring}\n");
	free(p);
	p = xasprintf("%s/actions.yaml", charm_dir);
	write_file(p, "backup:\n  params:\n    to: {type: string, pattern: '^[a-z]+$'}\n"
		      "    level: {type: integer, minimum: 0, default: 1}\n  required: [to]\n"
		      "restart: {}\n");
	free(p);
	p = xasprintf("%s/config.yaml", charm_dir);
	write_file(p, "options:\n  s: {type: string, default: x}\n  n: {type: int, default: 1}\n"
		      "  f: {type: float}\n  b: {type: boolean, default: false}\n");
	free(p);
	p = xasprintf("%s/dispatch", charm_dir);
	write_file(p, "#!/bin/sh\nexit 0\n");
	chmod(p, 0755);
	free(p);
	/* Not a valid archive: a path the charm loader must refuse. */
	charm_zip = xasprintf("%s/charms/fz.charm", base);
	write_file(charm_zip, "PK\003\004 not really a zip");
	missing = xasprintf("%s/charms/missing", base);
}

/* Replaces every absolute path in v by a prepared one; true if v may be sent. */
static bool sanitize(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		const char *op = json_string_value(json_object_get(v, "op"));

		if (op && !strcmp(op, "shutdown"))
			return false;
		json_object_foreach(v, k, x) {
			if (json_is_string(x) && json_string_value(x)[0] == '/') {
				char h = json_string_value(x)[1];

				json_object_set_new(v, k, json_string(h == 'z' ? charm_zip : h == 'm' ? missing : charm_dir));
			} else if (!sanitize(x)) {
				return false;
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x) && json_string_value(x)[0] == '/')
				json_array_set_new(v, i, json_string(missing));
			else if (!sanitize(x))
				return false;
		}
	}
	return true;
}

static int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Reads what the controller sent; returns false once it closed the connection. */
static bool drain(int fd, struct msg_reader *rd, int *frames)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		json_t *v;
		struct errbuf eb;

		if (n > 0) {
			buf_add(&rd->in, tmp, (size_t)n);
			while (msg_reader_next(rd, &v, &eb) == 1) {
				if (!json_is_object(v) || !json_object_get(v, "ok"))
					abort(); /* every frame is {"ok": ...} */
				json_decref(v);
				(*frames)++;
			}
			continue;
		}
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct controller c;
	struct errbuf eb;
	struct buf out = BUF_INIT;
	struct msg_reader rd;
	char *home, *sock, *agent_sock, *logdir, *text;
	const char *line;
	int fd, frames = 0, lines = 0;
	bool open = true;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!ready)
		setup_once();
	/* A loop per input: whatever a worker of this controller still does when it is torn
	 * down can never call back into the next one. */
	if (loop_new(&loop) < 0)
		abort();
	home = xasprintf("%s/home-%u", fuzz_scratch_dir(), n_run++);
	sock = xasprintf("%s/cairnd.sock", home);
	agent_sock = xasprintf("%s/agent-api.sock", home);
	logdir = xasprintf("%s/logs", home);
	memset(&c, 0, sizeof(c));
	c.l = loop;
	c.home = home;
	c.bin_dir = (char *)"/nonexistent";
	if (fs_mkdir_p(home, 0700) < 0 || logstore_open(logdir, &c.logs) < 0 || model_open(home, &c.m, &eb) < 0 ||
	    ctl_stores_open(&c, &eb) < 0 ||
	    model_ctlcfg_set(c.m, "api-port", "0", &eb) < 0)
		abort();
	ctlcfg_read(c.m, &c.cfg);
	if (resstore_new(c.l, home, &c.res, &eb) < 0 || agents_new(&c, agent_sock, tls_dir, &c.agents, &eb) < 0 ||
	    api_new(&c, sock, &c.api, &eb) < 0)
		abort();

	/* The input's lines, each one request, sent in turn: the next goes once the previous
	 * is answered (or is a stream), on a new connection when the controller closed the
	 * last one (deploy and refresh do). */
	msg_reader_init(&rd);
	fd = client_connect(sock);
	text = xstrndup((const char *)data, size);
	line = text;
	while (*line && lines < MAX_LINES) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_t *v = json_loadb(line, len, 0, NULL);
		int want = frames + 1;

		lines++;
		buf_reset(&out);
		if (v) {
			if (sanitize(v))
				msg_encode(&out, v);
			json_decref(v);
		} else if (len) {
			/* Raw bytes: a frame header of the right length around them. */
			unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
						 (unsigned char)(len >> 8), (unsigned char)len };

			buf_add(&out, hdr, 4);
			buf_add(&out, line, len);
		}
		line = nl ? nl + 1 : line + len;
		if (!out.len)
			continue;
		if (!open) {
			close(fd);
			msg_reader_done(&rd);
			msg_reader_init(&rd);
			fd = client_connect(sock);
			open = true;
		}
		for (size_t off = 0; off < out.len && open;) {
			ssize_t n = write(fd, out.data + off, out.len - off);

			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				open = false;
			loop_run_once(loop, 0);
			if (open)
				open = drain(fd, &rd, &frames);
		}
		/* Its answer, including one a worker produces (deploy packs the charm in a child). */
		for (int i = 0, quiet = 0; i < PUMP_ROUNDS && open && frames < want && quiet < QUIET_ROUNDS; i++) {
			int before = frames;

			loop_run_once(loop, 5);
			open = drain(fd, &rd, &frames);
			quiet = frames == before ? quiet + 1 : 0;
		}
	}
	free(text);
	close(fd);
	for (int i = 0; i < 20; i++)
		loop_run_once(loop, 1);

	api_free(c.api);
	agents_free(c.agents);
	resstore_free(c.res);
	ctl_stores_close(&c);
	model_close(c.m);
	logstore_close(c.logs);
	loop_free(loop);
	loop = NULL;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* a worker cut short */
	fs_rm_rf(home);
	msg_reader_done(&rd);
	buf_done(&out);
	free(sock);
	free(agent_sock);
	free(logdir);
	free(home);
	return 0;
}

/* test-sdk-tools.c - the hook-tool transports: the agent's socket (cairn's framed protocol,
 * docs/protocol.md §2) against a fake agent, the hook tools on PATH against fake tool
 * scripts, and the auto transport's fallback from the first to the second when the socket
 * does not speak the protocol (nothing listening, closed without a reply, a foreign reply),
 * but never once the agent has answered. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "lib/msg.h"
#include "lib/test.h"
#include "sdk/tools.h"

enum agent_mode {
	AGENT_OK,      /* answers {"code":0, "stdout": "<tool> <args...>\n"} */
	AGENT_FAIL,    /* answers code 1 with "ERROR boom" */
	AGENT_CLOSE,   /* reads the request, closes without a reply (a foreign protocol) */
	AGENT_GARBAGE, /* replies with HTTP, not a frame */
	AGENT_NOCODE,  /* a frame without "code" */
};

struct agent {
	int lfd;
	char path[108];
	bool abstract;
	enum agent_mode mode;
	int conns;
	int requests;
	bool keep;     /* honours "keep-alive" (a cairn agent); false: one request per connection */
	int drop_after; /* keep: close a kept connection after this many requests (0: never) */
	sem_t dropped; /* posted when it did */
	json_t *last;  /* the last request */
	pthread_t th;
	bool stop;
};

static void *agent_main(void *data)
{
	struct agent *a = data;

	for (;;) {
		struct errbuf eb;
		json_t *req = NULL;
		int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0 || a->stop) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		a->conns++;
		for (int served = 1; msg_recv(fd, &req, &eb) == 0; served++) {
			bool keep = a->keep && json_is_true(json_object_get(req, "keep-alive"));

			a->requests++;
			json_decref(a->last);
			a->last = req;
			if (a->mode == AGENT_OK || a->mode == AGENT_FAIL || a->mode == AGENT_NOCODE) {
				struct buf out = BUF_INIT;
				json_t *rep, *v;
				size_t i;

				buf_init(&out);
				buf_adds(&out, json_string_value(json_object_get(req, "tool")));
				json_array_foreach(json_object_get(req, "args"), i, v)
					buf_addf(&out, " %s", json_string_value(v));
				buf_addc(&out, '\n');
				if (a->mode == AGENT_OK)
					rep = json_pack("{s:i, s:s, s:s}", "code", 0, "stdout", out.data, "stderr", "");
				else if (a->mode == AGENT_FAIL)
					rep = json_pack("{s:i, s:s, s:s}", "code", 1, "stdout", "", "stderr", "ERROR boom\n");
				else
					rep = json_pack("{s:s}", "stdout", out.data);
				if (keep)
					json_object_set_new(rep, "keep-alive", json_true());
				msg_send(fd, rep);
				json_decref(rep);
				buf_done(&out);
			} else if (a->mode == AGENT_GARBAGE) {
				const char *http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

				if (write(fd, http, strlen(http)) < 0)
					perror("write");
			}
			if (!keep || a->mode == AGENT_CLOSE || a->mode == AGENT_GARBAGE)
				break;
			if (a->drop_after && served >= a->drop_after) {
				close(fd);
				fd = -1;
				sem_post(&a->dropped);
				break;
			}
		}
		if (fd >= 0)
			close(fd);
	}
}

static struct agent *agent_start(enum agent_mode mode, bool abstract)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa);

	a->mode = mode;
	a->abstract = abstract;
	sem_init(&a->dropped, 0, 0);
	snprintf(a->path, sizeof(a->path), "%s/cairn-sdk-agent-%d-%p.sock", abstract ? "@" : "/tmp", (int)getpid(),
		 (void *)a);
	memcpy(sa.sun_path, a->path, strlen(a->path));
	if (abstract) {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->path));
	}
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(a->lfd, (struct sockaddr *)&sa, len) < 0 || listen(a->lfd, 16) < 0) {
		perror("agent");
		exit(2);
	}
	pthread_create(&a->th, NULL, agent_main, a);
	return a;
}

static void agent_stop(struct agent *a)
{
	struct tools *t;

	a->stop = true;
	/* Wake accept() with one last connection. */
	t = tools_socket_new(a->path, "x", "/");
	tools_run(t, NULL, NULL, NULL, "x", NULL);
	tools_free(t);
	pthread_join(a->th, NULL);
	close(a->lfd);
	if (!a->abstract)
		unlink(a->path);
	json_decref(a->last);
	sem_destroy(&a->dropped);
	free(a);
}

/* A directory of fake tools: each prints "exec <tool> <args>" and its stdin. */
static char tooldir[64];
static char **tool_env;

static void make_tools(void)
{
	static const char *const names[] = { "config-get", "relation-set", "juju-log", "failing", "big", NULL };
	char path[128], *pathenv;
	FILE *f;

	snprintf(tooldir, sizeof(tooldir), "/tmp/cairn-sdk-tools-XXXXXX");
	if (!mkdtemp(tooldir))
		exit(2);
	for (int i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", tooldir, names[i]);
		f = fopen(path, "w");
		if (!strcmp(names[i], "failing"))
			fprintf(f, "#!/bin/sh\necho 'ERROR it broke' >&2\nexit 3\n");
		else if (!strcmp(names[i], "big"))
			/* Writes 1 MiB while we still feed it 1 MiB: must not deadlock. */
			fprintf(f, "#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' a\ncat >/dev/null\n");
		else
			fprintf(f, "#!/bin/sh\nprintf 'exec %%s' \"$(basename \"$0\")\"\nfor a in \"$@\"; do printf ' %%s' \"$a\"; "
				   "done\necho\n[ -t 0 ] || cat\n");
		fclose(f);
		chmod(path, 0755);
	}
	pathenv = malloc(strlen(tooldir) + 64);
	sprintf(pathenv, "PATH=%s:/usr/bin:/bin", tooldir);
	tool_env = calloc(2, sizeof(char *));
	tool_env[0] = pathenv;
}

static void test_socket_call(void)
{
	struct agent *a = agent_start(AGENT_OK, false);
	struct tools *t = tools_socket_new(a->path, "ctx-1", "/charm");
	struct buf out = BUF_INIT;
	struct cairn_error err;

	buf_init(&out);
	ASSERT_EQ(tools_run(t, &out, "{\"k\":\"v\"}", &err, "relation-set", "-r", "db:1", "--file", "-", NULL), 0);
	ASSERT_STREQ(out.data, "relation-set -r db:1 --file -\n");
	ASSERT_STREQ(json_string_value(json_object_get(a->last, "context-id")), "ctx-1");
	ASSERT_STREQ(json_string_value(json_object_get(a->last, "cwd")), "/charm");
	ASSERT_STREQ(json_string_value(json_object_get(a->last, "stdin")), "{\"k\":\"v\"}");
	/* No stdin key when the call has none. */
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "is-leader", "--format=json", NULL), 0);
	ASSERT_TRUE(json_object_get(a->last, "stdin") == NULL);
	buf_done(&out);
	tools_free(t);
	agent_stop(a);
}

/* A cairn agent keeps the connection when asked: one connection for a whole dispatch. */
static void test_socket_keeps_the_connection(void)
{
	struct agent *a = agent_start(AGENT_OK, false);
	struct tools *t = tools_socket_new(a->path, "ctx", "/");
	struct buf out = BUF_INIT;
	struct cairn_error err;

	a->keep = true;
	buf_init(&out);
	for (int i = 0; i < 3; i++) {
		buf_reset(&out);
		ASSERT_EQ(tools_run(t, &out, NULL, &err, "juju-log", "hi", NULL), 0);
		ASSERT_STREQ(out.data, "juju-log hi\n");
		ASSERT_TRUE(json_is_true(json_object_get(a->last, "keep-alive")));
	}
	ASSERT_EQ(a->conns, 1);
	ASSERT_EQ(a->requests, 3);
	/* A tool that fails keeps the connection too: it is an answer. */
	a->mode = AGENT_FAIL;
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "status-set", "active", NULL), -EIO);
	a->mode = AGENT_OK;
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "juju-log", "after", NULL), 0);
	ASSERT_EQ(a->conns, 1);
	buf_done(&out);
	tools_free(t);
	agent_stop(a);
}

/* An agent that does not know the field answers and closes: a connection per call, as
 * for the hook-tool binary, and nothing is sent twice. */
static void test_socket_without_kept_connections(void)
{
	struct agent *a = agent_start(AGENT_OK, false);
	struct tools *t = tools_socket_new(a->path, "ctx", "/");
	struct cairn_error err;

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(tools_run(t, NULL, NULL, &err, "juju-log", "hi", NULL), 0);
	ASSERT_EQ(a->conns, 3);
	ASSERT_EQ(a->requests, 3);
	tools_free(t);
	agent_stop(a);
}

/* A kept connection the agent closed meanwhile: the request goes once, on a new one. */
static void test_socket_kept_connection_closed(void)
{
	struct agent *a = agent_start(AGENT_OK, false);
	struct tools *t = tools_socket_new(a->path, "ctx", "/");
	struct buf out = BUF_INIT;
	struct cairn_error err;

	a->keep = true;
	a->drop_after = 1;
	buf_init(&out);
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "juju-log", "one", NULL), 0);
	sem_wait(&a->dropped);
	ASSERT_EQ(tools_run(t, &out, NULL, &err, "juju-log", "two", NULL), 0);
	ASSERT_STREQ(out.data, "juju-log two\n");
	ASSERT_EQ(a->conns, 2);
	ASSERT_EQ(a->requests, 2);
	buf_done(&out);
	tools_free(t);
	agent_stop(a);
}

static void test_socket_tool_failure_is_a_model_error(void)
{
	struct agent *a = agent_start(AGENT_FAIL, false);
	struct tools *t = tools_socket_new(a->path, "ctx", "/");
	struct cairn_error err;

	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "status-set", "active", NULL), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_MODEL);
	ASSERT_EQ(err.code, 1);
	ASSERT_STREQ(err.message, "boom");
	tools_free(t);
	agent_stop(a);
}

static void test_socket_only_without_agent(void)
{
	struct tools *t = tools_socket_new("/tmp/cairn-sdk-nothing-here.sock", "ctx", "/");
	struct cairn_error err;

	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "is-leader", NULL), -ENOTCONN);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "cannot connect to the unit agent at /tmp/cairn-sdk-nothing-here.sock");
	tools_free(t);
}

static void test_abstract_socket(void)
{
	struct agent *a = agent_start(AGENT_OK, true);
	struct tools *t = tools_socket_new(a->path, "ctx", "/");
	struct buf out = BUF_INIT;

	buf_init(&out);
	ASSERT_EQ(tools_run(t, &out, NULL, NULL, "config-get", NULL), 0);
	ASSERT_STREQ(out.data, "config-get\n");
	buf_done(&out);
	tools_free(t);
	agent_stop(a);
}

static void test_exec_calls(void)
{
	struct tools *t = tools_exec_new(tool_env);
	struct buf out = BUF_INIT;
	struct cairn_error err;
	char *in = malloc(1048577);

	buf_init(&out);
	ASSERT_EQ(tools_run(t, &out, NULL, &err, "config-get", "--format=json", NULL), 0);
	ASSERT_STREQ(out.data, "exec config-get --format=json\n");
	buf_reset(&out);
	ASSERT_EQ(tools_run(t, &out, "{\"a\": \"b\"}", &err, "relation-set", "-r", "db:2", "--file", "-", NULL), 0);
	ASSERT_STREQ(out.data, "exec relation-set -r db:2 --file -\n{\"a\": \"b\"}");
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "failing", NULL), -EIO);
	ASSERT_EQ(err.kind, CAIRN_ERR_MODEL);
	ASSERT_EQ(err.code, 3);
	ASSERT_STREQ(err.message, "it broke");
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "no-such-tool", NULL), -EIO);
	ASSERT_STREQ(err.message, "command not found: no-such-tool");
	memset(in, 'b', 1048576);
	in[1048576] = '\0';
	buf_reset(&out);
	ASSERT_EQ(tools_run(t, &out, in, &err, "big", NULL), 0);
	ASSERT_EQ(out.len, 1048576);
	free(in);
	buf_done(&out);
	tools_free(t);
}

/* auto: the socket while it answers; the tools on PATH when it is not the protocol. */
static void auto_case(enum agent_mode mode, bool listening, const char *want_first)
{
	struct agent *a = listening ? agent_start(mode, false) : NULL;
	struct tools *t = tools_auto_new(tools_socket_new(a ? a->path : "/tmp/cairn-sdk-none.sock", "c", "/"),
					 tools_exec_new(tool_env));
	struct buf out = BUF_INIT;
	struct cairn_error err;
	int conns;

	buf_init(&out);
	ASSERT_EQ(tools_run(t, &out, NULL, &err, "juju-log", "hi", NULL), 0);
	ASSERT_STREQ(out.data, want_first);
	conns = a ? a->conns : 0;
	buf_reset(&out);
	ASSERT_EQ(tools_run(t, &out, NULL, &err, "juju-log", "again", NULL), 0);
	if (!strncmp(want_first, "exec", 4)) {
		/* Once fallen back, the socket is not tried again. */
		ASSERT_STREQ(out.data, "exec juju-log again\n");
		ASSERT_EQ(a ? a->conns : 0, conns);
	}
	buf_done(&out);
	tools_free(t);
	if (a)
		agent_stop(a);
}

static void test_auto_uses_the_socket(void)
{
	auto_case(AGENT_OK, true, "juju-log hi\n");
}

static void test_auto_falls_back_when_nothing_listens(void)
{
	auto_case(AGENT_OK, false, "exec juju-log hi\n");
}

static void test_auto_falls_back_on_a_foreign_protocol(void)
{
	auto_case(AGENT_CLOSE, true, "exec juju-log hi\n");
	auto_case(AGENT_GARBAGE, true, "exec juju-log hi\n");
	auto_case(AGENT_NOCODE, true, "exec juju-log hi\n");
}

static void test_auto_never_falls_back_once_confirmed(void)
{
	struct agent *a = agent_start(AGENT_OK, false);
	struct tools *t = tools_auto_new(tools_socket_new(a->path, "c", "/"), tools_exec_new(tool_env));
	struct cairn_error err;

	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "juju-log", "hi", NULL), 0);
	a->mode = AGENT_CLOSE;
	ASSERT_TRUE(tools_run(t, NULL, NULL, &err, "juju-log", "lost", NULL) < 0);
	ASSERT_EQ(err.kind, CAIRN_ERR_CONNECTION);
	ASSERT_CONTAINS(err.message, "no reply from the unit agent");
	/* A tool's own failure is never a reason to fall back either. */
	a->mode = AGENT_FAIL;
	ASSERT_EQ(tools_run(t, NULL, NULL, &err, "juju-log", "x", NULL), -EIO);
	ASSERT_STREQ(err.message, "boom");
	tools_free(t);
	agent_stop(a);
}

int main(void)
{
	/* As cairn_main: a peer that hangs up is an error, not a signal (tools.h). */
	signal(SIGPIPE, SIG_IGN);
	make_tools();
	RUN(test_socket_call);
	RUN(test_socket_keeps_the_connection);
	RUN(test_socket_without_kept_connections);
	RUN(test_socket_kept_connection_closed);
	RUN(test_socket_tool_failure_is_a_model_error);
	RUN(test_socket_only_without_agent);
	RUN(test_abstract_socket);
	RUN(test_exec_calls);
	RUN(test_auto_uses_the_socket);
	RUN(test_auto_falls_back_when_nothing_listens);
	RUN(test_auto_falls_back_on_a_foreign_protocol);
	RUN(test_auto_never_falls_back_once_confirmed);
	fs_rm_rf(tooldir);
	free(tool_env[0]);
	free(tool_env);
	return test_summary();
}

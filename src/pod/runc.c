/* runc.c - runc invocations and its state document; see runc.h. */
#include "runc.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "podname.h"

static const char *const status_names[_RUNC_STATUS_MAX] = {
	[RUNC_CREATING] = "creating", [RUNC_CREATED] = "created", [RUNC_RUNNING] = "running",
	[RUNC_PAUSED] = "paused",     [RUNC_STOPPED] = "stopped",
};

int runc_id_ok(const char *s)
{
	return podname_ok(s, RUNC_ID_MAX, PODNAME_RUNC);
}

int runc_state_parse(const char *json, size_t len, struct runc_state *ret, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *v = json_loadb(json, len, 0, &jerr);
	const char *st = json_string_value(json_object_get(v, "status"));
	json_t *pid = json_object_get(v, "pid");
	struct runc_state s;
	int r = -EBADMSG;

	if (!v) {
		errbuf_set(eb, "runc state: invalid JSON: %s", jerr.text);
		return -EBADMSG;
	}
	if (!st) {
		errbuf_set(eb, "runc state: no status");
		goto out;
	}
	for (s.status = 0; s.status < _RUNC_STATUS_MAX; s.status++)
		if (strcmp(st, status_names[s.status]) == 0)
			break;
	if (s.status == _RUNC_STATUS_MAX) {
		errbuf_set(eb, "runc state: unknown status \"%.40s\"", st);
		goto out;
	}
	if (!json_is_integer(pid) || json_integer_value(pid) < 0 || json_integer_value(pid) > 4194304) {
		errbuf_set(eb, "runc state: bad pid");
		goto out;
	}
	s.pid = (pid_t)json_integer_value(pid);
	if ((s.status == RUNC_RUNNING || s.status == RUNC_CREATED) && s.pid <= 1) {
		errbuf_set(eb, "runc state: %s without a pid", st);
		goto out;
	}
	*ret = s;
	r = 0;
out:
	json_decref(v);
	return r;
}

int runc_says_missing(const char *err)
{
	return err && (strstr(err, "does not exist") || strstr(err, "not exist"));
}

static int run(struct loop *l, const struct runc *rc, const char *what, char **argv, const char *log_path,
	       int pass_fd, tool_cb cb, void *data, struct tool_req **ret, struct errbuf *eb)
{
	struct tool_opts o = {
		.what = what, .argv = argv, .stdout_path = log_path, .timeout_ms = RUNC_TIMEOUT_MS, .pass_fd = pass_fd,
		.cb = cb, .data = data,
	};

	(void)rc;
	return tool_run(l, &o, ret, eb);
}

int runc_run(struct loop *l, const struct runc *rc, const char *id, const char *bundle, const char *pid_file,
	     const char *log_path, int pass_fd, tool_cb cb, void *data, struct tool_req **ret, struct errbuf *eb)
{
	char *argv[16];
	size_t n = 0;

	argv[n++] = rc->bin;
	argv[n++] = "--root";
	argv[n++] = rc->root;
	argv[n++] = "run";
	argv[n++] = "--detach";
	argv[n++] = "--bundle";
	argv[n++] = (char *)bundle;
	argv[n++] = "--pid-file";
	argv[n++] = (char *)pid_file;
	if (pass_fd >= 0) {
		argv[n++] = "--preserve-fds";
		argv[n++] = "1";
	}
	argv[n++] = (char *)id;
	argv[n] = NULL;
	return run(l, rc, "runc run", argv, log_path, pass_fd, cb, data, ret, eb);
}

int runc_state(struct loop *l, const struct runc *rc, const char *id, tool_cb cb, void *data,
	       struct tool_req **ret, struct errbuf *eb)
{
	char *argv[] = { rc->bin, "--root", rc->root, "state", (char *)id, NULL };

	return run(l, rc, "runc state", argv, NULL, -1, cb, data, ret, eb);
}

int runc_delete(struct loop *l, const struct runc *rc, const char *id, tool_cb cb, void *data,
		struct tool_req **ret, struct errbuf *eb)
{
	char *argv[] = { rc->bin, "--root", rc->root, "delete", "--force", (char *)id, NULL };

	return run(l, rc, "runc delete", argv, NULL, -1, cb, data, ret, eb);
}

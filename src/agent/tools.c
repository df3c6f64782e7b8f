/* tools.c - hook-tool dispatch and what the tools share (parsing, errors, output); see tools.h.
 *
 * Each tool lives in tools_<area>.c; this file maps a tool name to its function and
 * implements the Juju cmd.Main conventions they all follow (tools_internal.h). */
#include "agent/tools.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/tools_internal.h"

/* Every Juju 3.6 hook tool, sorted; those cairn does not implement yet map to
 * tool_unsupported.  Every entry must also be listed in tools_names.c (the client makes
 * links from that list). */
static const struct {
	const char *name;
	tool_fn fn;
} tools_table[] = {
	{ "action-fail", tool_action_fail },
	{ "action-get", tool_action_get },
	{ "action-log", tool_action_log },
	{ "action-set", tool_action_set },
	{ "add-metric", tool_unsupported },
	{ "application-version-set", tool_application_version_set },
	{ "close-port", tool_close_port },
	{ "config-get", tool_config_get },
	{ "credential-get", tool_unsupported },
	{ "goal-state", tool_goal_state },
	{ "is-leader", tool_is_leader },
	{ "juju-log", tool_juju_log },
	{ "juju-reboot", tool_unsupported },
	{ "k8s-raw-get", tool_unsupported },
	{ "k8s-raw-set", tool_unsupported },
	{ "k8s-spec-get", tool_unsupported },
	{ "k8s-spec-set", tool_unsupported },
	{ "leader-get", tool_leader_get },
	{ "leader-set", tool_leader_set },
	{ "network-get", tool_network_get },
	{ "open-port", tool_open_port },
	{ "opened-ports", tool_opened_ports },
	{ "payload-register", tool_unsupported },
	{ "payload-status-set", tool_unsupported },
	{ "payload-unregister", tool_unsupported },
	{ "pod-spec-get", tool_unsupported },
	{ "pod-spec-set", tool_unsupported },
	{ "relation-get", tool_relation_get },
	{ "relation-ids", tool_relation_ids },
	{ "relation-list", tool_relation_list },
	{ "relation-model-get", tool_relation_model_get },
	{ "relation-set", tool_relation_set },
	{ "resource-get", tool_resource_get },
	{ "secret-add", tool_unsupported },
	{ "secret-get", tool_unsupported },
	{ "secret-grant", tool_unsupported },
	{ "secret-ids", tool_unsupported },
	{ "secret-info-get", tool_unsupported },
	{ "secret-remove", tool_unsupported },
	{ "secret-revoke", tool_unsupported },
	{ "secret-set", tool_unsupported },
	{ "state-delete", tool_state_delete },
	{ "state-get", tool_state_get },
	{ "state-set", tool_state_set },
	{ "status-get", tool_status_get },
	{ "status-set", tool_status_set },
	{ "storage-add", tool_unsupported },
	{ "storage-get", tool_unsupported },
	{ "storage-list", tool_unsupported },
	{ "unit-get", tool_unit_get },
};

static void vprint_error(struct tool_call *c, const char *fmt, va_list ap)
{
	buf_adds(c->err, "ERROR ");
	buf_vaddf(c->err, fmt, ap);
	buf_addc(c->err, '\n');
}

int tool_usage(struct tool_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(c, fmt, ap);
	va_end(ap);
	return TOOLS_EXIT_USAGE;
}

int tool_fail(struct tool_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(c, fmt, ap);
	va_end(ap);
	return TOOLS_EXIT_FAIL;
}

/* juju/cmd Info.Help: "Usage: NAME [options] ARGS", the summary, then the options. */
static void print_help(struct tool_call *c, const struct tool_info *info,
		       const struct targ_opt *opts, int nopts)
{
	buf_addf(c->out, "Usage: %s", info->name);
	if (nopts)
		buf_adds(c->out, " [options]");
	if (info->args && *info->args)
		buf_addf(c->out, " %s", info->args);
	buf_addc(c->out, '\n');
	if (info->purpose)
		buf_addf(c->out, "\nSummary:\n%s\n", info->purpose);
	if (nopts) {
		buf_adds(c->out, "\nOptions:\n");
		targ_help(opts, nopts, c->out);
	}
}

bool tool_parse(struct tool_call *c, const struct tool_info *info, const struct targ_opt *opts,
		int nopts, struct tool_output *output, int argc, char **argv, char ***ret_pos,
		int *ret_npos, int *ret_code)
{
	struct errbuf eb;
	int r;

	errbuf_clear(&eb);
	if (output) {
		output->format = "smart";
		output->path = NULL;
		output->fmt = TFMT_SMART;
	}
	r = targ_parse(opts, nopts, argc, argv, ret_pos, ret_npos, &eb);
	if (r == TARG_HELP) {
		print_help(c, info, opts, nopts);
		*ret_code = TOOLS_EXIT_OK;
		return false;
	}
	if (r < 0) {
		*ret_code = tool_usage(c, "%s", eb.msg);
		return false;
	}
	if (output && tfmt_parse(output->format, &output->fmt, &eb) < 0) {
		free(*ret_pos);
		*ret_pos = NULL;
		*ret_code = tool_usage(c, "%s", eb.msg);
		return false;
	}
	return true;
}

char *tool_abspath(struct tool_call *c, const char *path)
{
	if (path[0] == '/' || !c->cwd || !*c->cwd)
		return xstrdup(path);
	return xasprintf("%s/%s", c->cwd, path);
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int tool_fail_path(struct tool_call *c, const char *op, const char *path, int err)
{
	char msg[128];
	const char *s = strerror(err);

	snprintf(msg, sizeof(msg), "%s", s);
	if (msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z'))
		msg[0] = (char)(msg[0] - 'A' + 'a');
	return tool_fail(c, "%s %s: %s", op, path, msg);
}

int tool_emit(struct tool_call *c, const struct tool_output *o, json_t *v)
{
	struct buf b = BUF_INIT;
	char *path;
	int r;

	if (!o->path || !*o->path) {
		tfmt_write(c->out, o->fmt, v);
		return TOOLS_EXIT_OK;
	}
	buf_init(&b);
	tfmt_write(&b, o->fmt, v);
	path = tool_abspath(c, o->path);
	r = write_file(path, b.data, b.len);
	if (r < 0)
		r = tool_fail_path(c, "open", path, -r);
	free(path);
	buf_done(&b);
	return r;
}

void tool_finish(struct tool_call *c, int code)
{
	char *cwd = (char *)c->cwd, *in = (char *)c->stdin_data;

	c->done(c->done_data, code);
	free(cwd);
	free(in);
	free(c);
}

void tools_start(struct hook_ctx *ctx, const char *tool, const char *cwd, int argc, char **argv,
		 const char *stdin_data, struct buf *out, struct buf *err, tools_done_fn done,
		 void *data)
{
	struct tool_call *c = xcalloc(1, sizeof(*c));
	int code = -2;

	c->ctx = ctx;
	c->name = NULL;
	c->cwd = cwd ? xstrdup(cwd) : NULL;
	c->stdin_data = stdin_data ? xstrdup(stdin_data) : NULL;
	c->out = out;
	c->err = err;
	c->done = done;
	c->done_data = data;
	if (argc < 0 || (argc > 0 && !argv))
		code = tool_fail(c, "bad request: malformed arguments");
	for (int i = 0; code == -2 && i < argc; i++)
		if (!argv[i])
			code = tool_fail(c, "bad request: malformed arguments");
	for (size_t i = 0; code == -2 && tool && i < sizeof(tools_table) / sizeof(tools_table[0]); i++) {
		if (!strcmp(tools_table[i].name, tool)) {
			c->name = tools_table[i].name;
			code = tools_table[i].fn(c, argc, argv);
		}
	}
	if (code == -2)
		code = tool_fail(c, "bad request: unknown hook command: %s", tool ? tool : "");
	if (code != TOOLS_EXIT_PENDING)
		tool_finish(c, code);
}

struct sync_run {
	bool done;
	int code;
};

static void sync_done(void *data, int code)
{
	struct sync_run *s = data;

	s->done = true;
	s->code = code;
}

int tools_run_cwd(struct hook_ctx *ctx, const char *tool, const char *cwd, int argc,
		  char **argv, const char *stdin_data, struct buf *out, struct buf *err)
{
	struct sync_run s = { false, 0 };

	tools_start(ctx, tool, cwd, argc, argv, stdin_data, out, err, sync_done, &s);
	if (!s.done) {
		/* The continuation still holds out and err: this must not happen with the
		 * synchronous contexts this function is for. */
		buf_adds(err, "ERROR internal error: the tool did not finish\n");
		return TOOLS_EXIT_FAIL;
	}
	return s.code;
}

int tools_run(struct hook_ctx *ctx, const char *tool, int argc, char **argv,
	      const char *stdin_data, struct buf *out, struct buf *err)
{
	return tools_run_cwd(ctx, tool, NULL, argc, argv, stdin_data, out, err);
}

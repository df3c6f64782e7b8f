/* pebble_exec.c - running a command in a container (pebble-api.md §16); see cairn/charm.h.
 * The request body is Pebble's (the fields ops sends); the transport runs it, streams stdin
 * and collects stdout/stderr and the exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/container.h"
#include "sdk/error.h"

void cairn_exec_opts_init(struct cairn_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->user_id = -1;
	o->group_id = -1;
}

void cairn_exec_result_done(struct cairn_exec_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Pebble's exec body: command, service-context, environment, working-dir, timeout, user-id,
 * user, group-id, group, split-stderr (as ops sends them). */
static int exec_body(const struct cairn_exec_opts *o, json_t **ret, struct cairn_error *err)
{
	json_t *body = json_object(), *cmd, *env = json_object();
	char t[32];

	cmd = names_json(o->argv);
	if (!cmd || !json_array_size(cmd)) {
		json_decref(cmd);
		json_decref(env);
		json_decref(body);
		return sdk_err(err, CAIRN_ERR_INVALID, "exec needs a command (valid UTF-8)");
	}
	json_object_set_new(body, "command", cmd);
	for (size_t i = 0; o->environment && o->environment[i]; i++) {
		const char *eq = strchr(o->environment[i], '=');
		char *k;
		json_t *v;

		if (!eq || eq == o->environment[i]) {
			json_decref(env);
			json_decref(body);
			return sdk_err(err, CAIRN_ERR_INVALID, "environment entry \"%s\" is not KEY=VALUE", o->environment[i]);
		}
		k = strndup(o->environment[i], (size_t)(eq - o->environment[i]));
		v = json_string(eq + 1);
		if (!k || !v || json_object_set_new(env, k, v) < 0) {
			free(k);
			json_decref(env);
			json_decref(body);
			return sdk_err(err, CAIRN_ERR_INVALID, "environment entries must be valid UTF-8");
		}
		free(k);
	}
	json_object_set_new(body, "environment", env);
	json_object_set_new(body, "service-context", o->service_context ? json_string(o->service_context) : json_null());
	json_object_set_new(body, "working-dir", o->working_dir ? json_string(o->working_dir) : json_null());
	if (o->timeout_ms > 0) {
		snprintf(t, sizeof(t), "%d.%03ds", o->timeout_ms / 1000, o->timeout_ms % 1000);
		json_object_set_new(body, "timeout", json_string(t));
	} else {
		json_object_set_new(body, "timeout", json_null());
	}
	json_object_set_new(body, "user-id", o->user_id >= 0 ? json_integer(o->user_id) : json_null());
	json_object_set_new(body, "user", o->user ? json_string(o->user) : json_null());
	json_object_set_new(body, "group-id", o->group_id >= 0 ? json_integer(o->group_id) : json_null());
	json_object_set_new(body, "group", o->group ? json_string(o->group) : json_null());
	json_object_set_new(body, "split-stderr", json_boolean(!o->combine_stderr));
	*ret = body;
	return 0;
}

/* The exit code the finished change carries: tasks[0].data["exit-code"], else -1 (ops). */
static int exit_code_of(json_t *change)
{
	json_t *code = json_object_get(json_object_get(json_array_get(json_object_get(change, "tasks"), 0), "data"),
				       "exit-code");

	return json_is_integer(code) ? (int)json_integer_value(code) : -1;
}

int cairn_pebble_exec(struct cairn_container *c, const struct cairn_exec_opts *o, struct cairn_exec_result *ret,
		      struct cairn_error *err)
{
	struct cairn_exec_result out = { 0 };
	struct pebble *pb;
	json_t *body = NULL, *res = NULL, *done = NULL;
	const char *task;
	char *change = NULL;
	int r;

	if (!o || !o->argv || !o->argv[0])
		return sdk_err(err, CAIRN_ERR_INVALID, "exec needs a command");
	if (!o->stdin_data && o->stdin_len)
		return sdk_err(err, CAIRN_ERR_INVALID, "exec: stdin_len without stdin_data");
	r = exec_body(o, &body, err);
	if (r < 0)
		return r;
	pb = container_pebble(c, err);
	if (!pb) {
		json_decref(body);
		return sdk_errno(CAIRN_ERR_CONNECTION);
	}
	r = container_post_async(c, "/v1/exec", body, &res, &change, err);
	if (r < 0)
		goto out;
	task = json_string_value(json_object_get(res, "task-id"));
	if (!task) {
		r = sdk_err(err, CAIRN_ERR_PROTOCOL, "exec: no task-id in the answer");
		goto out;
	}
	r = pb->ops->exec_io(pb, task, o, &out, err);
	if (r < 0)
		goto out;
	/* As ops: the change gets the exec's own timeout and a second more. */
	r = container_wait_change(c, change, o->timeout_ms > 0 ? o->timeout_ms + 1000 : 0, &done, err);
	if (r < 0)
		goto out;
	out.exit_code = exit_code_of(done);
	*ret = out;
	memset(&out, 0, sizeof(out));
out:
	cairn_exec_result_done(&out);
	json_decref(done);
	json_decref(res);
	json_decref(body);
	free(change);
	return r;
}

/* api_exec.c - POST /v1/exec and GET /v1/tasks/{task-id}/websocket/{ws-id} (§16).
 *
 * POST decodes the request as Go's encoding/json would into upstream's execPayload (null =
 * unset, unknown keys ignored), checks it in upstream's order, resolves the environment,
 * working directory and ids (service context first, then the request's overrides), and
 * creates the `exec` change whose one task runs in exec.c.
 *
 * A websocket connect is checked (task, kind, websocket id, a second connect, the upgrade
 * headers), then the connection is taken over from the HTTP server and handed to the exec.
 * A connect that arrives before its task has started is parked until it starts. */
#include "api.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "http/websocket.h"
#include "launch.h"
#include "lib/gofmt.h"
#include "lib/log.h"
#include "lib/strnum.h"

extern char **environ;

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DECODE_PREFIX "cannot decode request body"

/* ---- the environment ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The environment as Go encodes a map[string]string: keys sorted.  Variables that are not
 * valid UTF-8 cannot be shown in JSON and are left out of the result (not of the child's
 * environment). */
static json_t *env_json(char *const *envp, size_t n)
{
	char **sorted = xcalloc(n + 1, sizeof(char *));
	json_t *o = json_object();

	memcpy(sorted, envp, n * sizeof(char *));
	qsort(sorted, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(sorted[i], '=');
		char *key = xstrndup(sorted[i], eq ? (size_t)(eq - sorted[i]) : strlen(sorted[i]));
		json_t *v = json_string(eq ? eq + 1 : "");

		if (v && json_object_set_new(o, key, v) < 0)
			json_decref(v);
		free(key);
	}
	free(sorted);
	return o;
}

/* ---- decoding (Go encoding/json into execPayload) ---- */

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_NULL: return "null";
	default: return "number";
	}
}

static void bad_field(struct api_call *c, const char *field, const json_t *v, const char *gotype)
{
	api_reply_error(c, 400, NULL, DECODE_PREFIX ": json: cannot unmarshal %s into Go struct field execPayload.%s "
			"of type %s", json_kind(v), field, gotype);
}

/* Field getters: true and the value (NULL/unset when absent or null), or false after
 * answering 400. */
static bool get_string(struct api_call *c, json_t *body, const char *field, const char **ret)
{
	json_t *v = json_object_get(body, field);

	*ret = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		bad_field(c, field, v, "string");
		return false;
	}
	*ret = json_string_value(v);
	return true;
}

static bool get_bool(struct api_call *c, json_t *body, const char *field, bool *ret)
{
	json_t *v = json_object_get(body, field);

	*ret = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		bad_field(c, field, v, "bool");
		return false;
	}
	*ret = json_is_true(v);
	return true;
}

static bool get_int(struct api_call *c, json_t *body, const char *field, struct plan_opt_int *ret)
{
	json_t *v = json_object_get(body, field);

	ret->set = false;
	ret->v = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX) {
		bad_field(c, field, v, "int");
		return false;
	}
	ret->set = true;
	ret->v = json_integer_value(v);
	return true;
}

/* ---- POST /v1/exec ---- */

/* Go's exec.LookPath: a name with a '/' must itself be an executable file. */
static bool look_path(const char *name, char *out, size_t n)
{
	struct errbuf eb;
	struct stat st;

	if (launch_look_path(name, out, n, &eb) < 0)
		return false;
	return !strchr(name, '/') || (stat(name, &st) == 0 && !S_ISDIR(st.st_mode) && access(name, X_OK) == 0);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* HOME and USER of uid from the user database (upstream: user.LookupId), where unset. */
static void user_defaults(char ***envp, size_t *n, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char *buf = xmalloc(16384);

	if (getpwuid_r(uid, &pw, buf, 16384, &res) != 0 || !res) {
		log_info("Cannot look up user %u: user: unknown userid %u", (unsigned)uid, (unsigned)uid);
	} else {
		const char *home = launch_env_get(*envp, *n, "HOME"), *user = launch_env_get(*envp, *n, "USER");

		if (!home || !*home)
			launch_env_set(envp, n, "HOME", pw.pw_dir);
		if (!user || !*user)
			launch_env_set(envp, n, "USER", pw.pw_name);
	}
	free(buf);
}

void api_post_exec(struct api_call *c)
{
	struct scree *d = c->d;
	json_t *body = api_decode_body(c, DECODE_PREFIX), *cmd, *envj, *v, *result;
	const char *ctx_name, *working_dir, *timeout, *user, *group, *key;
	struct plan_opt_int user_id, group_id;
	struct exec_args a;
	struct plan_exec_ctx ctx;
	char **envp = NULL;
	size_t nenv = 0;
	const char *home, *usr;
	struct errbuf eb;
	struct buf q = BUF_INIT;
	char path[4096];
	size_t i, argc = 0;
	bool has_ids = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int64_t timeout_ns = 0;
	struct change *chg;
	struct task *t;

	memset(&a, 0, sizeof(a));
	memset(&ctx, 0, sizeof(ctx));
	buf_init(&q);
	errbuf_clear(&eb);
	if (!body)
		return;
	cmd = json_object_get(body, "command");
	if (cmd && !json_is_null(cmd) && !json_is_array(cmd)) {
		bad_field(c, "command", cmd, "[]string");
		goto out;
	}
	json_array_foreach(cmd, i, v) {
		if (!json_is_string(v)) {
			bad_field(c, "command", v, "string");
			goto out;
		}
	}
	envj = json_object_get(body, "environment");
	if (envj && !json_is_null(envj) && !json_is_object(envj)) {
		bad_field(c, "environment", envj, "map[string]string");
		goto out;
	}
	json_object_foreach(envj, key, v) {
		if (!json_is_string(v)) {
			bad_field(c, "environment", v, "string");
			goto out;
		}
	}
	if (!get_string(c, body, "service-context", &ctx_name) || !get_string(c, body, "working-dir", &working_dir) ||
	    !get_string(c, body, "timeout", &timeout) || !get_int(c, body, "user-id", &user_id) ||
	    !get_string(c, body, "user", &user) || !get_int(c, body, "group-id", &group_id) ||
	    !get_string(c, body, "group", &group) || !get_bool(c, body, "terminal", &a.terminal) ||
	    !get_bool(c, body, "interactive", &a.interactive) ||
	    !get_bool(c, body, "split-stderr", &a.split_stderr))
		goto out;
	{
		struct plan_opt_int w, h;

		if (!get_int(c, body, "width", &w) || !get_int(c, body, "height", &h))
			goto out;
		a.width = (int)w.v;
		a.height = (int)h.v;
	}

	/* Upstream's order of checks (api_exec.go). */
	argc = json_array_size(cmd);
	if (argc == 0) {
		api_reply_error(c, 400, NULL, "must specify command");
		goto out;
	}
	if (timeout && *timeout && strnum_duration(timeout, &timeout_ns) < 0) {
		api_reply_error(c, 400, NULL, "invalid timeout: time: invalid duration \"%s\"", timeout);
		goto out;
	}
	if (!look_path(json_string_value(json_array_get(cmd, 0)), path, sizeof(path))) {
		buf_adds(&q, "cannot find executable ");
		gofmt_quote(&q, json_string_value(json_array_get(cmd, 0)),
			    strlen(json_string_value(json_array_get(cmd, 0))), GOFMT_QUOTE_GO);
		api_reply_error(c, 400, NULL, "%s", q.data);
		goto out;
	}

	/* The service context, then the request's overrides (plan.MergeServiceContext). */
	{
		static const struct plan_opt_int unset = { false, 0 };

		ctx.user_id = &unset;
		ctx.group_id = &unset;
	}
	if (ctx_name && *ctx_name) {
		const struct plan_service *s = d->plan ? plan_find_service(&d->plan->s, ctx_name) : NULL;

		if (!s) {
			buf_adds(&q, "context service ");
			gofmt_quote(&q, ctx_name, strlen(ctx_name), GOFMT_QUOTE_GO);
			api_reply_error(c, 400, NULL, "%s not found", q.data);
			goto out;
		}
		plan_service_exec_ctx(d->plan, s, &ctx);
	}
	if (user_id.set)
		ctx.user_id = &user_id;
	if (user && *user)
		ctx.user = user;
	if (group_id.set)
		ctx.group_id = &group_id;
	if (group && *group)
		ctx.group = group;
	if (working_dir && *working_dir)
		ctx.working_dir = working_dir;
	if (servmgr_resolve_ids(&ctx, &has_ids, &uid, &gid, &eb) < 0) {
		api_reply_error(c, 400, NULL, "%s", eb.msg);
		goto out;
	}

	if (a.interactive && !a.terminal) {
		api_reply_error(c, 500, NULL, "cannot call exec: cannot use interactive mode without a terminal");
		goto out;
	}
	if (execmgr_count(&d->execs) >= EXEC_MAX_RUNNING) {
		api_reply_error(c, 503, NULL, "cannot call exec: too many commands running (limit %d)",
				EXEC_MAX_RUNNING);
		goto out;
	}

	/* The environment: the daemon's (less HOME and USER when running as another user),
	 * the context's and request's on top, then upstream's defaults (cmdstate.Exec). */
	envp = launch_env(NULL, &nenv);
	if (has_ids) {
		launch_env_unset(envp, &nenv, "HOME");
		launch_env_unset(envp, &nenv, "USER");
	}
	for (i = 0; i < ctx.environment.n; i++)
		launch_env_set(&envp, &nenv, ctx.environment.v[i].key, ctx.environment.v[i].val);
	json_object_foreach(envj, key, v)
		launch_env_set(&envp, &nenv, key, json_string_value(v));
	if (!launch_env_get(envp, nenv, "PATH"))
		launch_env_set(&envp, &nenv, "PATH", DEFAULT_PATH);
	home = launch_env_get(envp, nenv, "HOME");
	usr = launch_env_get(envp, nenv, "USER");
	if (!home || !*home || !usr || !*usr)
		user_defaults(&envp, &nenv, has_ids ? uid : getuid());
	if (!launch_env_get(envp, nenv, "LANG"))
		launch_env_set(&envp, &nenv, "LANG", "C.UTF-8");

	/* The working directory: as given, else $HOME, else "/". */
	if (ctx.working_dir && *ctx.working_dir) {
		if (!is_dir(ctx.working_dir)) {
			buf_adds(&q, "cannot call exec: working directory ");
			gofmt_quote(&q, ctx.working_dir, strlen(ctx.working_dir), GOFMT_QUOTE_GO);
			api_reply_error(c, 500, NULL, "%s does not exist", q.data);
			goto out;
		}
		a.working_dir = xstrdup(ctx.working_dir);
	} else {
		home = launch_env_get(envp, nenv, "HOME");
		a.working_dir = xstrdup(home && *home && is_dir(home) ? home : "/");
	}

	a.argv = xcalloc(argc + 1, sizeof(char *));
	json_array_foreach(cmd, i, v)
		a.argv[i] = xstrdup(json_string_value(v));
	a.envp = envp;
	envp = NULL;
	a.timeout_ns = timeout_ns;
	/* Ids are switched only when they differ from the daemon's (upstream IsCurrent). */
	a.set_ids = has_ids && (uid != getuid() || gid != getgid());
	a.pty_owner = has_ids;
	a.uid = uid;
	a.gid = gid;

	buf_reset(&q);
	buf_adds(&q, "Execute command ");
	gofmt_quote(&q, a.argv[0], strlen(a.argv[0]), GOFMT_QUOTE_GO);
	chg = chg_new(&d->changes, "exec", q.data);
	buf_reset(&q);
	buf_adds(&q, "exec command ");
	gofmt_quote(&q, a.argv[0], strlen(a.argv[0]), GOFMT_QUOTE_GO);
	t = chg_task_new(chg, "exec", q.data);
	chg_task_join_lane(t, chg_new_lane(&d->changes));

	result = json_object();
	json_object_set_new(result, "environment", env_json(a.envp, nenv));
	json_object_set_new(result, "task-id", json_sprintf("%d", t->t_id));
	json_object_set_new(result, "working-dir", json_string(a.working_dir));
	execmgr_add(&d->execs, t, &a);
	api_reply_async_result(c, chg->c_id, result);
out:
	exec_args_done(&a);
	plan_strmap_done(&ctx.environment);
	launch_strv_free(envp);
	buf_done(&q);
	json_decref(body);
}

/* ---- GET /v1/tasks/{task-id}/websocket/{ws-id} ---- */

struct api_ws_parked {
	struct api_ws_parked *next, *prev;
	struct api_call call;
	int task_id;
	char ws_id[32];
};

static void parked_unlink(struct scree *d, struct api_ws_parked *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		d->ws_parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

static void parked_cancel(struct http_req *req, void *data)
{
	struct api_ws_parked *p = data;

	(void)req;
	parked_unlink(p->call.d, p);
	free(p);
}

/* Connects a websocket to the exec of task (which exists and is an exec task). */
static void ws_connect(struct api_call *c, struct task *task, const char *ws_id)
{
	struct exec *e = execmgr_find(&c->d->execs, task->t_id);
	struct http_req *req = c->req;
	struct buf resp = BUF_INIT, left = BUF_INIT;
	enum exec_ws w;
	struct errbuf eb;
	int status, fd;

	buf_init(&resp);
	buf_init(&left);
	errbuf_clear(&eb);
	if (e && exec_state(e) == EXEC_SETUP) {
		/* Not started yet: wait for it (upstream's Connect waits for the execution). */
		struct api_ws_parked *p = xcalloc(1, sizeof(*p));

		p->call = *c;
		p->task_id = task->t_id;
		snprintf(p->ws_id, sizeof(p->ws_id), "%s", ws_id);
		p->next = c->d->ws_parked;
		if (p->next)
			p->next->prev = p;
		c->d->ws_parked = p;
		req->cancel_cb = parked_cancel;
		req->cancel_data = p;
		return;
	}
	if (!e || !exec_accepts_ws(e) || exec_ws_lookup(e, ws_id, &w) < 0) {
		api_reply_error(c, 404, NULL, "cannot find %s websocket for task \"%d\"", ws_id, task->t_id);
		goto out;
	}
	if (exec_ws_connected(e, w)) {
		api_reply_error(c, 500, NULL, "%s websocket already connected", ws_id);
		goto out;
	}
	status = ws_handshake_check(req->method, http_req_header(req, "Connection"), http_req_header(req, "Upgrade"),
				    http_req_header(req, "Sec-WebSocket-Version"),
				    http_req_header(req, "Sec-WebSocket-Key"), &eb);
	if (status) {
		api_reply_error(c, status, NULL, "%s", eb.msg);
		goto out;
	}
	if (ws_handshake_response(&resp, http_req_header(req, "Sec-WebSocket-Key")) < 0) {
		api_reply_error(c, 500, NULL, "cannot compute websocket accept key");
		goto out;
	}
	fd = http_req_take_conn(req, &left);
	if (fd < 0) {
		api_reply_error(c, 500, NULL, "cannot take over connection: %s", strerror(-fd));
		goto out;
	}
	c->req = NULL;
	api_access_log(c, 101);
	if (exec_attach_ws(e, w, fd, resp.data, resp.len, left.data, left.len) < 0)
		log_info("Exec %d: cannot attach %s websocket", task->t_id, ws_id);
out:
	buf_done(&resp);
	buf_done(&left);
}

void api_get_task_websocket(struct api_call *c)
{
	const char *id = c->args[0], *ws_id = c->args[1];
	struct task *task = NULL;
	int64_t n;

	if (strnum_i64(id, 1, INT32_MAX, &n) == 0)
		task = chg_find_task(&c->d->changes, (int)n);
	if (!task) {
		api_reply_error(c, 404, NULL, "cannot find task \"%s\"", id);
		return;
	}
	if (strcmp(task->t_kind, "exec") != 0) {
		api_reply_error(c, 400, NULL, "\"%s\" tasks do not have websockets", task->t_kind);
		return;
	}
	ws_connect(c, task, ws_id);
}

void api_exec_started(struct scree *d, int task_id)
{
	struct api_ws_parked *p = d->ws_parked, *next;

	for (; p; p = next) {
		struct task *task;

		next = p->next;
		if (p->task_id != task_id)
			continue;
		parked_unlink(d, p);
		p->call.req->cancel_cb = NULL;
		task = chg_find_task(&d->changes, task_id);
		if (task)
			ws_connect(&p->call, task, p->ws_id);
		else
			api_reply_error(&p->call, 404, NULL, "cannot find task \"%d\"", task_id);
		free(p);
	}
}

void api_exec_shutdown(struct scree *d)
{
	while (d->ws_parked) {
		struct api_ws_parked *p = d->ws_parked;

		parked_unlink(d, p);
		p->call.req->cancel_cb = NULL;
		api_reply_error(&p->call, 500, NULL, "request cancelled");
		free(p);
	}
}

/* pebble_probe.c - drives the SDK's Pebble client against a real Pebble (scree) and prints
 * one line per check ("ok <name>" or "FAIL <name>: <why>"); exits 1 if any failed.
 * tests/integration/sdk/test_sdk_pebble.py starts the scree and reads the lines.
 *
 * usage: sdk-pebble-probe SOCKET
 * The client is the SDK's own (framework internals give it an arbitrary socket path instead
 * of /charm/containers/<name>/pebble.socket). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/framework.h"

static int failed;
static char socket_path[4096];

#define CHECK(name, cond, ...)                                   \
	do {                                                     \
		if (cond) {                                      \
			printf("ok %s\n", name);                 \
		} else {                                         \
			printf("FAIL %s: ", name);               \
			printf(__VA_ARGS__);                     \
			printf("\n");                            \
			failed++;                                \
		}                                                \
		fflush(stdout);                                  \
	} while (0)

static struct pebble *factory(void *data, const char *container)
{
	(void)data;
	return pebble_http_new(strcmp(container, "gone") ? socket_path : "/nonexistent/pebble.socket");
}

static struct cairn_layer *service_layer(const char *name, const char *command, const char *startup)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *s = cairn_layer_service(l, name);

	cairn_layer_set(s, "override", "replace", NULL);
	cairn_layer_set(s, "command", command, NULL);
	if (startup)
		cairn_layer_set(s, "startup", startup, NULL);
	return l;
}

static enum cairn_service_status current(struct cairn_container *c, const char *name)
{
	struct cairn_service_info info;
	enum cairn_service_status st;

	if (cairn_pebble_get_service(c, name, &info, NULL) < 0)
		return CAIRN_SERVICE_UNKNOWN;
	st = info.current;
	cairn_service_info_done(&info);
	return st;
}

int main(int argc, char **argv)
{
	static char *env[] = { "JUJU_UNIT_NAME=probe/0", NULL };
	struct cairn_charm *ch = NULL;
	struct cairn_container *c, *gone;
	struct cairn_system_info si;
	struct cairn_layer *l, *plan;
	struct cairn_error err;
	struct meta m;
	int r;

	if (argc != 2)
		return 2;
	snprintf(socket_path, sizeof(socket_path), "%s", argv[1]);
	meta_load_text(&m, "name: probe\ncontainers:\n  web: {}\n  gone: {}\n", NULL, NULL, NULL);
	struct charm_init init = { .charm_dir = "/tmp", .meta = &m, .envp = env, .tools = tools_exec_new(env),
				   .pebble_factory = factory };
	if (charm_new(&init, &ch, NULL) < 0 || cairn_container(ch, "web", &c, NULL) < 0 ||
	    cairn_container(ch, "gone", &gone, NULL) < 0)
		return 2;

	CHECK("can-connect", cairn_container_can_connect(c), "no");
	r = cairn_pebble_system_info(c, &si, &err);
	CHECK("system-info", r == 0 && !strcmp(si.version, "v1.32.1") && *si.boot_id, "%d %s", r, err.message);
	CHECK("connection-error", !cairn_container_can_connect(gone) &&
				  cairn_pebble_system_info(gone, &si, &err) == -ENOTCONN && err.kind == CAIRN_ERR_CONNECTION,
	      "%s", err.message);

	/* Layers: Pebble's own validation reaches the caller as an API error. */
	l = cairn_layer_new();
	cairn_layer_set(cairn_layer_service(l, "x"), "command", "sleep 1", NULL);
	r = cairn_pebble_add_layer(c, "bad", l, false, &err);
	CHECK("layer-refused", r == -EREMOTEIO && err.kind == CAIRN_ERR_API && err.code == 400 &&
				       strstr(err.message, "must define \"override\" for service \"x\""),
	      "%d %s", r, err.message);
	cairn_layer_free(l);
	l = service_layer("sleeper", "sleep 1000", "enabled");
	{
		struct cairn_layer_entry *k = cairn_layer_check(l, "alive");

		cairn_layer_set(k, "override", "replace", NULL);
		cairn_layer_set(k, "level", "alive", NULL);
		cairn_layer_set(k, "period", "10s", NULL);
		cairn_layer_set(k, "exec.command", "true", NULL);
		cairn_layer_put(cairn_layer_service(l, "sleeper"), "environment", "GREETING", "hi there", NULL);
	}
	r = cairn_pebble_add_layer(c, "base", l, true, &err);
	CHECK("layer-added", r == 0, "%s", err.message);
	cairn_layer_free(l);
	r = cairn_pebble_get_plan(c, &plan, &err);
	CHECK("plan", r == 0 && !strcmp(cairn_layer_get(cairn_layer_find(plan, CAIRN_LAYER_SERVICES, "sleeper"), "command"),
					"sleep 1000") &&
			     !strcmp(cairn_layer_get_key(cairn_layer_find(plan, CAIRN_LAYER_SERVICES, "sleeper"),
							 "environment", "GREETING"),
				     "hi there") &&
			     !strcmp(cairn_layer_get(cairn_layer_find(plan, CAIRN_LAYER_CHECKS, "alive"), "threshold"), "3"),
	      "%d %s", r, err.message);
	if (r == 0)
		cairn_layer_free(plan);

	/* Services through changes. */
	r = cairn_pebble_autostart(c, &err);
	CHECK("autostart", r == 0 && current(c, "sleeper") == CAIRN_SERVICE_ACTIVE, "%d %s", r, err.message);
	r = cairn_pebble_restart(c, (const char *[]){ "sleeper", NULL }, &err);
	CHECK("restart", r == 0 && current(c, "sleeper") == CAIRN_SERVICE_ACTIVE, "%d %s", r, err.message);
	r = cairn_pebble_send_signal(c, "SIGHUP", (const char *[]){ "sleeper", NULL }, &err);
	CHECK("signal", r == 0, "%s", err.message);
	r = cairn_pebble_stop(c, (const char *[]){ "sleeper", NULL }, &err);
	CHECK("stop", r == 0 && current(c, "sleeper") == CAIRN_SERVICE_INACTIVE, "%d %s", r, err.message);
	r = cairn_pebble_send_signal(c, "SIGHUP", (const char *[]){ "sleeper", NULL }, &err);
	CHECK("signal-not-running", r == -EREMOTEIO && err.code == 500 && strstr(err.message, "service is not running"),
	      "%d %s", r, err.message);
	r = cairn_pebble_start(c, (const char *[]){ "sleeper", NULL }, &err);
	CHECK("start", r == 0 && current(c, "sleeper") == CAIRN_SERVICE_ACTIVE, "%d %s", r, err.message);
	r = cairn_pebble_replan(c, &err);
	CHECK("replan", r == 0, "%s", err.message);
	r = cairn_pebble_start(c, (const char *[]){ "nope", NULL }, &err);
	CHECK("start-unknown", r == -EREMOTEIO && err.code == 400 && strstr(err.message, "service \"nope\" does not exist"),
	      "%d %s", r, err.message);
	{
		struct cairn_service_info info;

		r = cairn_pebble_get_service(c, "nope", &info, &err);
		CHECK("service-not-found", r == -ENOENT && err.kind == CAIRN_ERR_NOT_FOUND, "%d %s", r, err.message);
	}
	r = cairn_pebble_wait_change(c, "99999", 1000, &err);
	CHECK("change-unknown", r == -EREMOTEIO && err.code == 404 && strstr(err.message, "cannot find change with id"),
	      "%d %s", r, err.message);
	/* A service that dies at once: the change fails with Pebble's err text. */
	l = service_layer("crash", "false", NULL);
	cairn_pebble_add_layer(c, "crash", l, true, NULL);
	cairn_layer_free(l);
	r = cairn_pebble_start(c, (const char *[]){ "crash", NULL }, &err);
	CHECK("change-error", r == -ECANCELED && err.kind == CAIRN_ERR_CHANGE && *err.change_id &&
				      strstr(err.message, "cannot perform the following tasks") &&
				      strstr(err.message, "exited quickly with code 1"),
	      "%d %s", r, err.message);

	/* Checks. */
	{
		struct cairn_check_info *v = NULL;
		char **changed = NULL;
		size_t n = 0;

		r = cairn_pebble_get_checks(c, NULL, NULL, &v, &n, &err);
		CHECK("checks", r == 0 && n == 1 && !strcmp(v[0].name, "alive") && !strcmp(v[0].level, "alive") &&
					v[0].status == CAIRN_CHECK_UP && v[0].threshold == 3 && v[0].change_id,
		      "%d %s n=%zu", r, err.message, n);
		if (r == 0)
			cairn_check_infos_free(v, n);
		r = cairn_pebble_stop_checks(c, (const char *[]){ "alive", NULL }, &changed, &err);
		CHECK("stop-checks", r == 0 && changed[0] && !strcmp(changed[0], "alive") && !changed[1], "%d %s", r,
		      err.message);
		cairn_strv_free(changed);
		r = cairn_pebble_get_checks(c, "alive", (const char *[]){ "alive", NULL }, &v, &n, &err);
		CHECK("check-inactive", r == 0 && n == 1 && v[0].status == CAIRN_CHECK_INACTIVE, "%d %s", r, err.message);
		if (r == 0)
			cairn_check_infos_free(v, n);
		r = cairn_pebble_start_checks(c, (const char *[]){ "alive", NULL }, NULL, &err);
		CHECK("start-checks", r == 0, "%s", err.message);
		r = cairn_pebble_start_checks(c, (const char *[]){ "nope", NULL }, NULL, &err);
		CHECK("start-unknown-check", r == -EREMOTEIO && err.code == 400, "%d %s", r, err.message);
	}

	/* Notices. */
	{
		struct cairn_value *d = cairn_value_map();
		struct cairn_notice one, *v = NULL;
		struct cairn_notice_query q = { .types = (const char *[]){ "custom", NULL },
						.keys = (const char *[]){ "example.com/probe", NULL } };
		char *id = NULL;
		const char *s = NULL;
		size_t n = 0;

		cairn_map_set_string(d, "reason", "probe");
		r = cairn_pebble_notify(c, "example.com/probe", d, &id, &err);
		CHECK("notify", r == 0 && id, "%d %s", r, err.message);
		r = id ? cairn_pebble_get_notice(c, id, &one, &err) : -1;
		CHECK("notice", r == 0 && !strcmp(one.key, "example.com/probe") && !strcmp(one.type, "custom") &&
					one.occurrences == 1 && cairn_map_string(one.last_data, "reason", NULL, &s, NULL) == 0 &&
					s && !strcmp(s, "probe"),
		      "%d %s", r, err.message);
		if (r == 0)
			cairn_notice_done(&one);
		cairn_pebble_notify(c, "example.com/probe", d, NULL, NULL);
		r = cairn_pebble_get_notices(c, &q, &v, &n, &err);
		CHECK("notices", r == 0 && n == 1 && v[0].occurrences == 2, "%d %s n=%zu", r, err.message, n);
		if (r == 0)
			cairn_notices_free(v, n);
		r = cairn_pebble_notify(c, "not a key", NULL, NULL, &err);
		CHECK("notify-bad-key", r == -EREMOTEIO && err.code == 400, "%d %s", r, err.message);
		r = cairn_pebble_get_notice(c, "424242", &one, &err);
		CHECK("notice-unknown", r == -EREMOTEIO && err.code == 404, "%d %s", r, err.message);
		free(id);
		cairn_value_free(d);
	}
	/* Exec over the three websockets. */
	{
		struct cairn_exec_opts o;
		struct cairn_exec_result res;
		static char big[300000];

		cairn_exec_opts_init(&o);
		o.argv = (const char *[]){ "sh", "-c", "cat; echo to-stderr >&2; exit 3", NULL };
		o.stdin_data = "hello from stdin\n";
		o.stdin_len = strlen(o.stdin_data);
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec", r == 0 && res.exit_code == 3 && !strcmp(res.out, "hello from stdin\n") &&
				      !strcmp(res.err, "to-stderr\n"),
		      "%d %s exit=%d out=%s err=%s", r, err.message, r == 0 ? res.exit_code : -9, r == 0 ? res.out : "",
		      r == 0 ? res.err : "");
		if (r == 0)
			cairn_exec_result_done(&res);
		o.combine_stderr = true;
		o.environment = (const char *[]){ "WHO=probe", NULL };
		o.argv = (const char *[]){ "sh", "-c", "echo out $WHO; echo err >&2", NULL };
		o.stdin_data = NULL;
		o.stdin_len = 0;
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec-combined", r == 0 && res.exit_code == 0 && strstr(res.out, "out probe\n") &&
					       strstr(res.out, "err\n") && res.err_len == 0,
		      "%d %s", r, err.message);
		if (r == 0)
			cairn_exec_result_done(&res);
		/* Big stdin and stdout at once: no stall. */
		memset(big, 'x', sizeof(big) - 1);
		o.combine_stderr = false;
		o.environment = NULL;
		o.argv = (const char *[]){ "cat", NULL };
		o.stdin_data = big;
		o.stdin_len = sizeof(big) - 1;
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec-big", r == 0 && res.exit_code == 0 && res.out_len == sizeof(big) - 1, "%d %s", r, err.message);
		if (r == 0)
			cairn_exec_result_done(&res);
		o.stdin_data = NULL;
		o.stdin_len = 0;
		o.argv = (const char *[]){ "no-such-command-here", NULL };
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec-not-found", r == -EREMOTEIO && err.kind == CAIRN_ERR_API && err.code == 400 &&
						strstr(err.message, "cannot find executable \"no-such-command-here\""),
		      "%d %s", r, err.message);
		o.argv = (const char *[]){ "sleep", "10", NULL };
		o.timeout_ms = 200;
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec-timeout", r == -ECANCELED && err.kind == CAIRN_ERR_CHANGE && strstr(err.message, "timed out"),
		      "%d %s", r, err.message);
		o.timeout_ms = 0;
		o.argv = (const char *[]){ "true", NULL };
		o.working_dir = "/nonexistent-dir";
		r = cairn_pebble_exec(c, &o, &res, &err);
		CHECK("exec-bad-dir", r == -EREMOTEIO && err.code == 500 && strstr(err.message, "does not exist"), "%d %s",
		      r, err.message);
	}
	{
		/* Files in a fresh directory of this machine (scree runs here as this user). */
		char dir[] = "/tmp/sdk-probe-files-XXXXXX", path[4200], sub[4200];
		struct cairn_file_opts fo;
		struct cairn_file_info *v = NULL;
		static char big[300000];
		char *data = NULL;
		size_t n = 0;

		if (!mkdtemp(dir))
			return 2;
		snprintf(path, sizeof(path), "%s/a b.txt", dir);
		cairn_file_opts_init(&fo);
		fo.permissions = 0640;
		r = cairn_pebble_push(c, path, "hello\nfile\n", 11, &fo, &err);
		CHECK("push", r == 0, "%d %s", r, err.message);
		r = cairn_pebble_pull(c, path, &data, &n, &err);
		CHECK("pull", r == 0 && n == 11 && !memcmp(data, "hello\nfile\n", 11), "%d %s", r, err.message);
		free(data);
		data = NULL;
		memset(big, 'y', sizeof(big));
		big[1000] = '\0';
		memcpy(big + 2000, "\r\n--", 4);
		snprintf(sub, sizeof(sub), "%s/deep/er/big", dir);
		fo.permissions = 0;
		fo.make_dirs = true;
		r = cairn_pebble_push(c, sub, big, sizeof(big), &fo, &err);
		CHECK("push-make-dirs", r == 0, "%d %s", r, err.message);
		r = cairn_pebble_pull(c, sub, &data, &n, &err);
		CHECK("pull-binary", r == 0 && n == sizeof(big) && !memcmp(data, big, n), "%d %s n=%zu", r, err.message, n);
		free(data);
		data = NULL;
		snprintf(sub, sizeof(sub), "%s/missing", dir);
		r = cairn_pebble_pull(c, sub, &data, &n, &err);
		CHECK("pull-not-found", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH && !strcmp(err.pebble_kind, "not-found") &&
						strstr(err.message, "no such file or directory"),
		      "%d %d %s %s", r, err.kind, err.pebble_kind, err.message);
		snprintf(sub, sizeof(sub), "%s/nodir/x", dir);
		fo.make_dirs = false;
		r = cairn_pebble_push(c, sub, "x", 1, &fo, &err);
		CHECK("push-no-parent", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH && *err.pebble_kind, "%d %d %s %s", r,
		      err.kind, err.pebble_kind, err.message);
		snprintf(sub, sizeof(sub), "%s/made/dir", dir);
		fo.make_dirs = true;
		fo.permissions = 0750;
		r = cairn_pebble_make_dir(c, sub, &fo, &err);
		CHECK("make-dir", r == 0, "%d %s", r, err.message);
		fo.make_dirs = false;
		r = cairn_pebble_make_dir(c, sub, &fo, &err);
		CHECK("make-dir-exists", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH, "%d %d %s", r, err.kind, err.message);
		r = cairn_pebble_list_files(c, dir, NULL, false, &v, &n, &err);
		{
			bool saw_file = false, saw_dir = false;

			for (size_t i = 0; r == 0 && i < n; i++) {
				if (!strcmp(v[i].name, "a b.txt") && v[i].type == CAIRN_FILE_FILE && v[i].size == 11 &&
				    v[i].permissions == 0640)
					saw_file = true;
				if (!strcmp(v[i].name, "made") && v[i].type == CAIRN_FILE_DIRECTORY)
					saw_dir = true;
			}
			CHECK("list-files", r == 0 && n == 3 && saw_file && saw_dir, "%d %s n=%zu", r, err.message, n);
		}
		if (r == 0)
			cairn_file_infos_free(v, n);
		r = cairn_pebble_list_files(c, dir, "*.txt", false, &v, &n, &err);
		CHECK("list-pattern", r == 0 && n == 1 && !strcmp(v[0].name, "a b.txt"), "%d %s n=%zu", r, err.message, n);
		if (r == 0)
			cairn_file_infos_free(v, n);
		r = cairn_pebble_list_files(c, dir, NULL, true, &v, &n, &err);
		CHECK("list-itself", r == 0 && n == 1 && v[0].type == CAIRN_FILE_DIRECTORY, "%d %s n=%zu", r, err.message, n);
		if (r == 0)
			cairn_file_infos_free(v, n);
		r = cairn_pebble_list_files(c, "/nonexistent-probe", NULL, false, &v, &n, &err);
		CHECK("list-not-found", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH && err.code == 404 &&
						!strcmp(err.message, "stat /nonexistent-probe: no such file or directory"),
		      "%d %d %d %s", r, err.kind, err.code, err.message);
		r = cairn_pebble_remove_path(c, dir, false, &err);
		CHECK("remove-not-empty", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH, "%d %d %s", r, err.kind, err.message);
		r = cairn_pebble_remove_path(c, dir, true, &err);
		CHECK("remove-recursive", r == 0, "%d %s", r, err.message);
		r = cairn_pebble_remove_path(c, dir, false, &err);
		CHECK("remove-not-found", r == -EREMOTEIO && err.kind == CAIRN_ERR_PATH && !strcmp(err.pebble_kind, "not-found"),
		      "%d %d %s %s", r, err.kind, err.pebble_kind, err.message);
	}
	cairn_pebble_stop(c, (const char *[]){ "sleeper", NULL }, NULL);
	charm_free(ch);
	return failed ? 1 : 0;
}

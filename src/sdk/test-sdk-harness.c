/* test-sdk-harness.c - the harness's fake Pebble, driven through the public client: layers
 * combined by scree's plan code (and its errors), services that start, stop, restart and
 * replan, a private filesystem (push, pull, list, make-dir, remove and their path errors),
 * exec handlers, checks and notices with their events, and connection errors while a
 * container cannot connect. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cairn/charm.h"
#include "lib/test.h"

static const char *const META = "name: h\ncontainers:\n  web: {resource: img}\n";

typedef void (*body_fn)(struct cairn_container *c, struct cairn_event *ev);
static body_fn body;
static int fails;
static char seen_notice[128], seen_check[64];

#define CHECK(e)                                                                  \
	do {                                                                      \
		if (!(e)) {                                                       \
			printf("  check failed %s:%d: %s\n", __FILE__, __LINE__, #e); \
			fails++;                                                  \
		}                                                                 \
	} while (0)

static int run_body(struct cairn_event *ev, void *data)
{
	struct cairn_container *c = NULL;

	(void)data;
	cairn_container(cairn_event_charm(ev), "web", &c, NULL);
	body(c, ev);
	return 0;
}

static int on_notice(struct cairn_event *ev, void *data)
{
	(void)data;
	snprintf(seen_notice, sizeof(seen_notice), "%s %s %s", cairn_event_notice_id(ev), cairn_event_notice_type(ev),
		 cairn_event_notice_key(ev));
	return 0;
}

static int on_check(struct cairn_event *ev, void *data)
{
	(void)data;
	snprintf(seen_check, sizeof(seen_check), "%s %s", cairn_event_kind(ev) == CAIRN_EVENT_PEBBLE_CHECK_FAILED
								    ? "failed" : "recovered",
		 cairn_event_check_name(ev));
	return 0;
}

static int setup(struct cairn_charm *ch, void *data)
{
	(void)data;
	return CAIRN_OBSERVE(ch, CAIRN_EVENT_UPDATE_STATUS, NULL, run_body, NULL) ||
	       CAIRN_OBSERVE(ch, CAIRN_EVENT_PEBBLE_CUSTOM_NOTICE, "web", on_notice, NULL) ||
	       CAIRN_OBSERVE(ch, CAIRN_EVENT_PEBBLE_CHECK_FAILED, "web", on_check, NULL) ||
	       CAIRN_OBSERVE(ch, CAIRN_EVENT_PEBBLE_CHECK_RECOVERED, "web", on_check, NULL);
}

static struct cairn_harness *harness(void)
{
	struct cairn_harness_opts o = { .metadata_yaml = META };
	struct cairn_harness *h = NULL;

	cairn_harness_new(&o, setup, NULL, &h, NULL);
	return h;
}

static int run(struct cairn_harness *h, body_fn fn)
{
	body = fn;
	fails = 0;
	return cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL);
}

static void offline_body(struct cairn_container *c, struct cairn_event *ev)
{
	struct cairn_error err;
	struct cairn_layer *plan;

	(void)ev;
	CHECK(!cairn_container_can_connect(c));
	CHECK(cairn_pebble_get_plan(c, &plan, &err) == -ENOTCONN && err.kind == CAIRN_ERR_CONNECTION);
	CHECK(cairn_pebble_push(c, "/x", "a", 1, NULL, &err) == -ENOTCONN);
}

static struct cairn_layer *svc_layer(const char *name, const char *startup, const char *requires)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *s = cairn_layer_service(l, name);

	cairn_layer_set(s, "override", "replace", NULL);
	cairn_layer_set(s, "command", "sleep 100", NULL);
	cairn_layer_set(s, "startup", startup, NULL);
	if (requires)
		cairn_layer_append(s, "requires", requires, NULL);
	return l;
}

static void services_body(struct cairn_container *c, struct cairn_event *ev)
{
	struct cairn_layer *a = svc_layer("a", "enabled", "db"), *db = svc_layer("db", "disabled", NULL), *bad;
	struct cairn_service_info info;
	struct cairn_error err;

	(void)ev;
	CHECK(cairn_container_can_connect(c));
	CHECK(cairn_pebble_autostart(c, &err) == -EREMOTEIO && !strcmp(err.pebble_kind, "no-default-services"));
	CHECK(cairn_pebble_add_layer(c, "base", a, false, &err) == -EREMOTEIO && err.code == 400); /* db unknown */
	CHECK(cairn_pebble_add_layer(c, "db", db, false, &err) == 0);
	CHECK(cairn_pebble_add_layer(c, "base", a, false, &err) == 0);
	CHECK(cairn_pebble_add_layer(c, "base", a, false, &err) == -EREMOTEIO && strstr(err.message, "already exists"));
	/* autostart starts a and what it requires. */
	CHECK(cairn_pebble_autostart(c, &err) == 0);
	CHECK(cairn_pebble_get_service(c, "db", &info, &err) == 0 && info.current == CAIRN_SERVICE_ACTIVE &&
	      !info.startup_enabled);
	cairn_service_info_done(&info);
	/* Stopping db stops a, which requires it. */
	CHECK(cairn_pebble_stop(c, (const char *[]){ "db", NULL }, &err) == 0);
	CHECK(cairn_pebble_get_service(c, "a", &info, &err) == 0 && info.current == CAIRN_SERVICE_INACTIVE);
	cairn_service_info_done(&info);
	CHECK(cairn_pebble_start(c, (const char *[]){ "nope", NULL }, &err) == -EREMOTEIO &&
	      strstr(err.message, "service \"nope\" does not exist"));
	CHECK(cairn_pebble_restart(c, (const char *[]){ "a", NULL }, &err) == 0);
	/* A combined layer that breaks the plan is refused and leaves it as it was. */
	bad = cairn_layer_new();
	cairn_layer_set(cairn_layer_service(bad, "a"), "override", "replace", NULL);
	CHECK(cairn_pebble_add_layer(c, "base", bad, true, &err) == -EREMOTEIO &&
	      strstr(err.message, "plan must define \"command\" for service \"a\""));
	/* A changed config restarts on replan. */
	cairn_layer_set(cairn_layer_service(bad, "a"), "override", "merge", NULL);
	cairn_layer_put(cairn_layer_service(bad, "a"), "environment", "X", "1", NULL);
	CHECK(cairn_pebble_add_layer(c, "base", bad, true, &err) == 0);
	CHECK(cairn_pebble_replan(c, &err) == 0);
	CHECK(cairn_pebble_send_signal(c, "SIGHUP", (const char *[]){ "a", NULL }, &err) == 0);
	cairn_layer_free(a);
	cairn_layer_free(db);
	cairn_layer_free(bad);
}

static void test_services(void)
{
	struct cairn_harness *h = harness();

	ASSERT_TRUE(h);
	ASSERT_EQ(run(h, offline_body), 0);
	ASSERT_EQ(fails, 0);
	cairn_harness_set_can_connect(h, "web", true, NULL);
	ASSERT_EQ(run(h, services_body), 0);
	ASSERT_EQ(fails, 0);
	ASSERT_EQ(cairn_harness_service_status(h, "web", "a"), CAIRN_SERVICE_ACTIVE);
	ASSERT_EQ(cairn_harness_service_starts(h, "web", "a"), 3); /* autostart, restart, replan */
	ASSERT_EQ(cairn_harness_service_starts(h, "web", "db"), 2); /* autostart, then with a's restart */
	cairn_harness_free(h);
}

static void files_body(struct cairn_container *c, struct cairn_event *ev)
{
	struct cairn_file_info *v = NULL;
	struct cairn_file_opts o;
	struct cairn_error err;
	char *data = NULL;
	size_t n = 0;

	(void)ev;
	cairn_file_opts_init(&o);
	CHECK(cairn_pebble_push(c, "/etc/app/conf", "k=v\n", 4, NULL, &err) == -EREMOTEIO && err.kind == CAIRN_ERR_PATH &&
	      !strcmp(err.pebble_kind, "not-found"));
	o.make_dirs = true;
	o.permissions = 0600;
	CHECK(cairn_pebble_push(c, "/etc/app/conf", "k=v\n", 4, &o, &err) == 0);
	CHECK(cairn_pebble_pull(c, "/etc/app/conf", &data, &n, &err) == 0 && n == 4 && !strcmp(data, "k=v\n"));
	free(data);
	CHECK(cairn_pebble_pull(c, "/etc/app", &data, &n, &err) == -EREMOTEIO && !strcmp(err.pebble_kind, "generic-file-error") &&
	      strstr(err.message, "can only read a regular file"));
	CHECK(cairn_pebble_pull(c, "/missing", &data, &n, &err) == -EREMOTEIO && !strcmp(err.pebble_kind, "not-found") &&
	      !strcmp(err.message, "stat /missing: no such file or directory"));
	CHECK(cairn_pebble_list_files(c, "/etc/app", NULL, false, &v, &n, &err) == 0 && n == 1 &&
	      !strcmp(v[0].path, "/etc/app/conf") && v[0].permissions == 0600 && v[0].size == 4);
	cairn_file_infos_free(v, n);
	CHECK(cairn_pebble_list_files(c, "/etc/app", NULL, true, &v, &n, &err) == 0 && n == 1 &&
	      v[0].type == CAIRN_FILE_DIRECTORY);
	cairn_file_infos_free(v, n);
	CHECK(cairn_pebble_list_files(c, "/nope", NULL, false, &v, &n, &err) == -EREMOTEIO && err.code == 404);
	CHECK(cairn_pebble_make_dir(c, "/var/lib/x", &o, &err) == 0);
	o.make_dirs = false;
	CHECK(cairn_pebble_make_dir(c, "/var/lib/x", &o, &err) == -EREMOTEIO && strstr(err.message, "file exists"));
	CHECK(cairn_pebble_remove_path(c, "/etc", false, &err) == -EREMOTEIO && strstr(err.message, "directory not empty"));
	CHECK(cairn_pebble_remove_path(c, "/etc", true, &err) == 0);
	CHECK(cairn_pebble_push(c, "/../escape", "x", 1, NULL, &err) == -EREMOTEIO);
}

static int echo_handler(const struct cairn_exec_opts *o, struct cairn_exec_result *r, void *data)
{
	(void)data;
	r->exit_code = o->argv[1] && !strcmp(o->argv[1], "fail") ? 3 : 0;
	r->out = strndup(o->stdin_data ? o->stdin_data : "", o->stdin_len);
	r->out_len = o->stdin_len;
	r->err = strdup("warning\n");
	r->err_len = 8;
	return 0;
}

static void exec_body(struct cairn_container *c, struct cairn_event *ev)
{
	struct cairn_exec_opts o;
	struct cairn_exec_result r;
	struct cairn_error err;

	(void)ev;
	cairn_exec_opts_init(&o);
	o.argv = (const char *[]){ "echo-stdin", NULL };
	o.stdin_data = "hello";
	o.stdin_len = 5;
	CHECK(cairn_pebble_exec(c, &o, &r, &err) == 0 && r.exit_code == 0 && !strcmp(r.out, "hello") &&
	      !strcmp(r.err, "warning\n"));
	cairn_exec_result_done(&r);
	o.argv = (const char *[]){ "echo-stdin", "fail", NULL };
	CHECK(cairn_pebble_exec(c, &o, &r, &err) == 0 && r.exit_code == 3);
	cairn_exec_result_done(&r);
	o.argv = (const char *[]){ "nope", NULL };
	CHECK(cairn_pebble_exec(c, &o, &r, &err) == -EREMOTEIO && !strcmp(err.message, "cannot find executable \"nope\""));
	o.argv = (const char *[]){ NULL };
	CHECK(cairn_pebble_exec(c, &o, &r, &err) == -EINVAL);
	o.argv = (const char *[]){ "echo-stdin", NULL };
	o.environment = (const char *[]){ "NOEQUALS", NULL };
	CHECK(cairn_pebble_exec(c, &o, &r, &err) == -EINVAL);
}

static void test_files_and_exec(void)
{
	struct cairn_harness *h = harness();
	struct stat st;
	char path[512];

	ASSERT_TRUE(h);
	cairn_harness_set_can_connect(h, "web", true, NULL);
	ASSERT_EQ(run(h, files_body), 0);
	ASSERT_EQ(fails, 0);
	snprintf(path, sizeof(path), "%s/var/lib/x", cairn_harness_container_root(h, "web"));
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_EQ(cairn_harness_handle_exec(h, "web", (const char *[]){ "echo-stdin", NULL }, echo_handler, NULL, NULL), 0);
	ASSERT_EQ(run(h, exec_body), 0);
	ASSERT_EQ(fails, 0);
	cairn_harness_free(h);
}

static void checks_body(struct cairn_container *c, struct cairn_event *ev)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *k = cairn_layer_check(l, "alive");
	struct cairn_check_info *v = NULL;
	struct cairn_notice *nv = NULL;
	struct cairn_error err;
	char **changed = NULL, *id = NULL;
	size_t n = 0;

	(void)ev;
	cairn_layer_set(k, "override", "replace", NULL);
	cairn_layer_set(k, "level", "alive", NULL);
	cairn_layer_set(k, "exec.command", "true", NULL);
	CHECK(cairn_pebble_add_layer(c, "checks", l, true, &err) == 0);
	CHECK(cairn_pebble_get_checks(c, NULL, NULL, &v, &n, &err) == 0 && n == 1 && v[0].status == CAIRN_CHECK_UP &&
	      v[0].threshold == 3 && v[0].change_id);
	cairn_check_infos_free(v, n);
	CHECK(cairn_pebble_get_checks(c, "ready", NULL, &v, &n, &err) == 0 && n == 0);
	cairn_check_infos_free(v, n);
	CHECK(cairn_pebble_stop_checks(c, (const char *[]){ "alive", NULL }, &changed, &err) == 0 && changed[0] &&
	      !changed[1]);
	cairn_strv_free(changed);
	CHECK(cairn_pebble_stop_checks(c, (const char *[]){ "alive", NULL }, &changed, &err) == 0 && !changed[0]);
	cairn_strv_free(changed);
	CHECK(cairn_pebble_start_checks(c, (const char *[]){ "nope", NULL }, NULL, &err) == -EREMOTEIO);
	CHECK(cairn_pebble_start_checks(c, (const char *[]){ "alive", NULL }, NULL, &err) == 0);
	CHECK(cairn_pebble_notify(c, "example.com/reload", NULL, &id, &err) == 0);
	CHECK(cairn_pebble_get_notices(c, NULL, &nv, &n, &err) == 0 && n == 1 && !strcmp(nv[0].key, "example.com/reload") &&
	      nv[0].occurrences == 1);
	cairn_notices_free(nv, n);
	free(id);
	cairn_layer_free(l);
}

static void test_checks_notices_and_their_events(void)
{
	struct cairn_harness *h = harness();

	ASSERT_TRUE(h);
	cairn_harness_set_can_connect(h, "web", true, NULL);
	ASSERT_EQ(run(h, checks_body), 0);
	ASSERT_EQ(fails, 0);
	ASSERT_EQ(cairn_harness_pebble_notify(h, "web", "example.com/reload", NULL), 0);
	ASSERT_STREQ(seen_notice, "1 custom example.com/reload");
	ASSERT_EQ(cairn_harness_pebble_check(h, "web", "alive", true, NULL), 0);
	ASSERT_STREQ(seen_check, "failed alive");
	ASSERT_EQ(cairn_harness_pebble_check(h, "web", "alive", false, NULL), 0);
	ASSERT_STREQ(seen_check, "recovered alive");
	ASSERT_EQ(cairn_harness_pebble_check(h, "web", "nope", false, NULL), -ENOENT);
	ASSERT_EQ(cairn_harness_pebble_notify(h, "db", "x.com/y", NULL), -ENOENT);
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_services);
	RUN(test_files_and_exec);
	RUN(test_checks_notices_and_their_events);
	return test_summary();
}

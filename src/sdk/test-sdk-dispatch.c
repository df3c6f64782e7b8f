/* test-sdk-dispatch.c - the dispatch contract across dispatches, through the harness:
 * defer and re-emission (to the same handler, before the new event, until it stops
 * deferring), rollback of stored state and of the queue when a dispatch fails, event context
 * kept in the snapshot, restricted contexts, collect-status, unknown events, setup errors and
 * observe()'s checks - with local (SQLite-kind) and controller storage. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/charm.h"
#include "lib/buf.h"
#include "lib/test.h"

static const char *const META =
	"name: probe\n"
	"requires:\n  db: {interface: pgsql}\n"
	"peers:\n  cluster: {interface: probe}\n"
	"containers:\n  web: {resource: web-image}\n"
	"storage:\n  data: {type: filesystem}\n";
static const char *const ACTIONS = "backup:\n  params:\n    level: {type: integer, default: 3}\n";
static const char *const CONFIG = "options:\n  name: {type: string, default: x}\n";

/* The test charm's knobs and what it saw. */
struct probe {
	bool defer_config;    /* on_config defers */
	bool defer_config2;   /* the second config observer defers */
	bool second_observer; /* register on_config2 */
	bool drop_observer;   /* do not register on_config at all */
	bool fail_update;     /* on_update fails */
	bool fail_config2;    /* on_config2 fails */
	bool fail_setup;
	bool defer_relation;
	bool bump_state;      /* on_config increments stored "count" */
	int app_status, unit_status1, unit_status2; /* collect-status: what to add (-1 none) */
	struct buf seen;      /* "hook[r] " per handler call (r = re-emitted) */
	char last_unit[64], last_app[64];
	int last_rel;
	int defer_rc;
};

static void saw(struct probe *p, struct cairn_event *ev, const char *tag)
{
	buf_addf(&p->seen, "%s%s%s ", tag, cairn_event_hook(ev), cairn_event_reemitted(ev) ? "[r]" : "");
}

static int on_config(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "");
	if (p->bump_state) {
		struct cairn_value *st;
		int64_t n = 0;

		if (cairn_stored(cairn_event_charm(ev), "probe", &st, NULL) < 0)
			return -EIO;
		cairn_map_int(st, "count", 0, &n, NULL);
		cairn_map_set_int(st, "count", n + 1);
	}
	if (p->defer_config)
		cairn_event_defer(ev, NULL);
	return 0;
}

static int on_config2(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "2:");
	if (p->defer_config2)
		cairn_event_defer(ev, NULL);
	return p->fail_config2 ? -EPERM : 0;
}

static int on_update(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "");
	return p->fail_update ? -EPERM : 0;
}

static int on_relation(struct cairn_event *ev, void *data)
{
	struct probe *p = data;
	const char *u = cairn_event_unit(ev), *a = cairn_event_app(ev);

	saw(p, ev, "");
	snprintf(p->last_unit, sizeof(p->last_unit), "%s", u ? u : "");
	snprintf(p->last_app, sizeof(p->last_app), "%s", a ? a : "");
	p->last_rel = cairn_event_relation(ev) ? cairn_relation_id(cairn_event_relation(ev)) : -1;
	if (p->defer_relation)
		cairn_event_defer(ev, NULL);
	return 0;
}

static int on_action(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "");
	p->defer_rc = cairn_event_defer(ev, NULL);
	return 0;
}

static int on_metrics(struct cairn_event *ev, void *data)
{
	saw(data, ev, "");
	return 0;
}

static int on_collect_app(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "");
	if (p->app_status >= 0)
		cairn_event_add_status(ev, (enum cairn_status)p->app_status, "app says", NULL);
	return 0;
}

static int on_collect_unit(struct cairn_event *ev, void *data)
{
	struct probe *p = data;

	saw(p, ev, "");
	if (p->unit_status1 >= 0)
		cairn_event_add_status(ev, (enum cairn_status)p->unit_status1, "first", NULL);
	if (p->unit_status2 >= 0)
		cairn_event_add_status(ev, (enum cairn_status)p->unit_status2, "second", NULL);
	return 0;
}

static int setup(struct cairn_charm *ch, void *data)
{
	struct probe *p = data;
	int r = 0;

	if (p->fail_setup)
		return -ENOEXEC;
	if (!p->drop_observer)
		r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, on_config, p);
	if (p->second_observer)
		r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, on_config2, p);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_UPDATE_STATUS, NULL, on_update, p);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_RELATION_CHANGED, "db", on_relation, p);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_ACTION, "backup", on_action, p);
	r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_COLLECT_METRICS, NULL, on_metrics, p);
	if (p->app_status != -2)
		r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_COLLECT_APP_STATUS, NULL, on_collect_app, p);
	if (p->unit_status1 != -2)
		r = r ? r : CAIRN_OBSERVE(ch, CAIRN_EVENT_COLLECT_UNIT_STATUS, NULL, on_collect_unit, p);
	return r;
}

static enum cairn_storage storage_kind;

static struct cairn_harness *harness(struct probe *p)
{
	struct cairn_harness_opts o = {
		.metadata_yaml = META, .config_yaml = CONFIG, .actions_yaml = ACTIONS, .storage = storage_kind,
	};
	struct cairn_harness *h = NULL;

	memset(p, 0, sizeof(*p));
	buf_init(&p->seen);
	p->app_status = p->unit_status1 = p->unit_status2 = -2; /* not observed */
	if (cairn_harness_new(&o, setup, p, &h, NULL) < 0)
		return NULL;
	return h;
}

static void done(struct cairn_harness *h, struct probe *p)
{
	cairn_harness_free(h);
	buf_done(&p->seen);
}

static const char *seen(struct probe *p)
{
	static char out[1024];

	snprintf(out, sizeof(out), "%s", buf_str(&p->seen));
	buf_reset(&p->seen);
	return out;
}

static void test_defer_reemits_until_handler_stops(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	const char *hook, *obs;

	ASSERT_TRUE(h);
	p.defer_config = true;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	ASSERT_EQ(cairn_harness_deferred_at(h, 0, &hook, &obs), 0);
	ASSERT_STREQ(hook, "config-changed");
	ASSERT_STREQ(obs, "on_config");
	/* Next dispatch of any kind: the deferred event first, to the same handler. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed[r] update-status ");
	ASSERT_CONTAINS(cairn_harness_log(h), "DEBUG Re-emitting deferred event config_changed.");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1); /* deferred again, not queued twice */
	/* A new config-changed while one is deferred: both are queued, oldest first. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed[r] config-changed ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 2);
	/* The handler stops deferring: both run once more and leave the queue. */
	p.defer_config = false;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed[r] config-changed[r] update-status ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "update-status ");
	done(h, &p);
}

static int64_t count(struct cairn_harness *h)
{
	int64_t n = -1;

	if (!cairn_harness_stored(h, "probe"))
		return 0;
	cairn_map_int(cairn_harness_stored(h, "probe"), "count", 0, &n, NULL);
	return n;
}

static void test_failed_dispatch_rolls_back_state_and_queue(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	struct cairn_error err;

	ASSERT_TRUE(h);
	p.bump_state = true;
	p.defer_config = true;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_EQ(count(h), 1);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	/* The re-emitted handler changes state and stops deferring, then the new event's
	 * handler fails: the state change and the removal from the queue both roll back. */
	p.defer_config = false;
	p.fail_update = true;
	seen(&p);
	ASSERT_TRUE(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, &err) < 0);
	ASSERT_EQ(err.kind, CAIRN_ERR_MODEL);
	ASSERT_CONTAINS(err.message, "handler on_update for update-status failed");
	ASSERT_STREQ(seen(&p), "config-changed[r] update-status ");
	ASSERT_EQ(count(h), 1);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	ASSERT_CONTAINS(cairn_harness_log(h), "ERROR handler on_update for update-status failed");
	/* The retry succeeds: now both apply. */
	p.fail_update = false;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed[r] update-status ");
	ASSERT_EQ(count(h), 2);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	/* A new deferral in a dispatch that fails is not queued either. */
	p.defer_config = true;
	p.second_observer = true;
	p.fail_config2 = true;
	ASSERT_TRUE(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL) < 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	ASSERT_EQ(count(h), 2);
	done(h, &p);
}

static void test_defer_is_per_observer(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	const char *obs;

	ASSERT_TRUE(h);
	p.second_observer = true;
	p.defer_config2 = true;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "config-changed 2:config-changed ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	ASSERT_EQ(cairn_harness_deferred_at(h, 0, NULL, &obs), 0);
	ASSERT_STREQ(obs, "on_config2");
	p.defer_config2 = false;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	/* Re-emitted to on_config2 only. */
	ASSERT_STREQ(seen(&p), "2:config-changed[r] update-status ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	done(h, &p);
}

static void test_deferred_event_keeps_its_context(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	int id = -1;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_add_relation(h, "db", "pg", &id, NULL), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, id, "pg/1", NULL), 0);
	p.defer_relation = true;
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, "pg/1", NULL), 0);
	ASSERT_STREQ(p.last_unit, "pg/1");
	ASSERT_EQ(p.last_rel, id);
	memset(p.last_unit, 0, sizeof(p.last_unit));
	memset(p.last_app, 0, sizeof(p.last_app));
	p.last_rel = -1;
	p.defer_relation = false;
	seen(&p);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "db-relation-changed[r] update-status ");
	ASSERT_STREQ(p.last_unit, "pg/1");
	ASSERT_STREQ(p.last_app, "pg");
	ASSERT_EQ(p.last_rel, id);
	done(h, &p);
}

static void test_dropped_when_nothing_observes_it(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);

	ASSERT_TRUE(h);
	p.defer_config = true;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	/* A newer revision no longer observes config-changed with on_config. */
	p.drop_observer = true;
	seen(&p);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "update-status ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "Dropping deferred event hooks/config-changed");
	done(h, &p);
}

static void test_restricted_context_does_not_reemit(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);

	ASSERT_TRUE(h);
	p.defer_config = true;
	p.unit_status1 = CAIRN_STATUS_ACTIVE;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	seen(&p);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_COLLECT_METRICS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "collect-metrics ");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	ASSERT_EQ(cairn_harness_emit_hook(h, "meter-status-changed", NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	done(h, &p);
}

static void test_actions_cannot_be_deferred(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	struct cairn_harness_action_output out;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_run_action(h, "backup", NULL, &out, NULL), 0);
	ASSERT_EQ(p.defer_rc, -EINVAL);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	done(h, &p);
}

static void test_collect_status(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	p.app_status = CAIRN_STATUS_WAITING;
	p.unit_status1 = CAIRN_STATUS_ACTIVE;
	p.unit_status2 = CAIRN_STATUS_BLOCKED;
	/* Not the leader: collect-app-status is not emitted. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "update-status collect-unit-status ");
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED); /* blocked beats active */
	ASSERT_STREQ(msg, "second");
	cairn_harness_app_status(h, &st, NULL);
	ASSERT_EQ(st, CAIRN_STATUS_UNKNOWN);
	cairn_harness_set_leader(h, true);
	p.unit_status2 = CAIRN_STATUS_MAINTENANCE;
	p.unit_status1 = CAIRN_STATUS_MAINTENANCE;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	ASSERT_STREQ(seen(&p), "update-status collect-app-status collect-unit-status ");
	cairn_harness_app_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_WAITING);
	ASSERT_STREQ(msg, "app says");
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_MAINTENANCE);
	ASSERT_STREQ(msg, "first"); /* a tie keeps the first added */
	/* Nothing added: no status-set at all. */
	p.unit_status1 = p.unit_status2 = -1;
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, NULL), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_MAINTENANCE);
	done(h, &p);
}

static void test_unknown_events_and_setup_errors(void)
{
	struct probe p;
	struct cairn_harness *h = harness(&p);
	struct cairn_error err;

	ASSERT_TRUE(h);
	/* Not observed, or not an event of this charm: logged and successful. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "DEBUG Event install not defined for probe.");
	ASSERT_EQ(cairn_harness_emit_hook(h, "other-relation-joined", NULL, NULL), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "DEBUG Event other_relation_joined not defined for probe.");
	ASSERT_EQ(cairn_harness_emit_hook(h, "web-pebble-ready", NULL, NULL), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "Event web_pebble_ready not defined for probe.");
	p.fail_setup = true;
	ASSERT_TRUE(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, &err) < 0);
	ASSERT_CONTAINS(err.message, "charm setup failed");
	done(h, &p);
}

/* observe() checks its arguments against the metadata. */
static int observe_errors_setup(struct cairn_charm *ch, void *data)
{
	struct cairn_error err;
	int *fails = data;

	*fails = 0;
	*fails += cairn_observe(ch, CAIRN_EVENT_RELATION_JOINED, "nope", "x", on_metrics, NULL, &err) == -ENOENT &&
		  strstr(err.message, "no relation endpoint \"nope\" in metadata.yaml");
	*fails += cairn_observe(ch, CAIRN_EVENT_INSTALL, "db", "x", on_metrics, NULL, &err) == -EINVAL &&
		  strstr(err.message, "takes no name");
	*fails += cairn_observe(ch, CAIRN_EVENT_PEBBLE_READY, NULL, "x", on_metrics, NULL, &err) == -EINVAL &&
		  strstr(err.message, "needs a container name");
	*fails += cairn_observe(ch, CAIRN_EVENT_PEBBLE_READY, "db", "x", on_metrics, NULL, &err) == -ENOENT;
	*fails += cairn_observe(ch, CAIRN_EVENT_ACTION, "restore", "x", on_metrics, NULL, &err) == -ENOENT &&
		  strstr(err.message, "actions.yaml");
	*fails += cairn_observe(ch, CAIRN_EVENT_INSTALL, NULL, "has space", on_metrics, NULL, &err) == -EINVAL;
	*fails += cairn_observe(ch, (enum cairn_event_kind)999, NULL, "x", on_metrics, NULL, &err) == -EINVAL;
	*fails += cairn_observe(ch, CAIRN_EVENT_STORAGE_ATTACHED, "data", "x", on_metrics, NULL, &err) == 0;
	*fails += cairn_observe(ch, CAIRN_EVENT_STORAGE_ATTACHED, "data", "x", on_metrics, NULL, &err) == -EINVAL &&
		  strstr(err.message, "already observes");
	*fails += cairn_observe(ch, CAIRN_EVENT_RELATION_BROKEN, "cluster", "x", on_metrics, NULL, &err) == 0;
	return 0;
}

static void test_observe_checks_names(void)
{
	struct cairn_harness_opts o = { .metadata_yaml = META, .actions_yaml = ACTIONS };
	struct cairn_harness *h = NULL;
	int ok = 0;

	ASSERT_EQ(cairn_harness_new(&o, observe_errors_setup, &ok, &h, NULL), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL), 0);
	ASSERT_EQ(ok, 10);
	cairn_harness_free(h);
}

int main(void)
{
	for (int s = 0; s < 2; s++) {
		storage_kind = s ? CAIRN_STORAGE_CONTROLLER : CAIRN_STORAGE_LOCAL;
		printf("# storage: %s\n", s ? "controller" : "local");
		RUN(test_defer_reemits_until_handler_stops);
		RUN(test_failed_dispatch_rolls_back_state_and_queue);
		RUN(test_defer_is_per_observer);
		RUN(test_deferred_event_keeps_its_context);
		RUN(test_dropped_when_nothing_observes_it);
		RUN(test_restricted_context_does_not_reemit);
		RUN(test_actions_cannot_be_deferred);
		RUN(test_collect_status);
		RUN(test_unknown_events_and_setup_errors);
	}
	RUN(test_observe_checks_names);
	return test_summary();
}

/* test-checks.c - the check manager's decisions, driven with a fake clock and fake probes
 * (no loop, no sockets, no waiting): scheduling one period after the start and then every
 * period, timeouts, thresholds, the perform-check/recover-check changes with their task
 * logs and ids, stop/start/refresh, plan changes, checkInfo and health. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/check_probe.h"
#include "scree/checks.h"

static uint64_t now_ms_v = 1000000;
static uint64_t wall_ns = 1700000000000000000ull;
static uint64_t wall(void) { return wall_ns; }

/* ---- fake io: one timer deadline and one probe slot per check ---- */

struct fake {
	uint64_t deadline[8];
	struct check *cks[8];
	int running[8];
	int starts, cancels, forgets;
	int failed_calls;
	char failed_name[64];
	int created, transitions;
};

static struct fake F;

static int slot_of(struct check *ck)
{
	for (int i = 0; i < 8; i++)
		if (F.cks[i] == ck)
			return i;
	for (int i = 0; i < 8; i++)
		if (!F.cks[i]) {
			F.cks[i] = ck;
			return i;
		}
	return 0;
}

static uint64_t io_now(void *d)
{
	(void)d;
	return now_ms_v;
}

static void io_timer(void *d, struct check *ck, uint64_t deadline)
{
	(void)d;
	F.deadline[slot_of(ck)] = deadline;
}

static void io_start(void *d, struct check *ck)
{
	(void)d;
	F.running[slot_of(ck)] = 1;
	F.starts++;
}

static void io_cancel(void *d, struct check *ck)
{
	(void)d;
	F.running[slot_of(ck)] = 0;
	F.cancels++;
}

static void io_forget(void *d, struct check *ck)
{
	(void)d;
	for (int i = 0; i < 8; i++)
		if (F.cks[i] == ck) {
			F.cks[i] = NULL;
			F.deadline[i] = 0;
			F.running[i] = 0;
		}
	F.forgets++;
}

static const struct checks_io io = { io_now, io_timer, io_start, io_cancel, io_forget };

static void hook_failed(void *d, const char *name)
{
	(void)d;
	F.failed_calls++;
	snprintf(F.failed_name, sizeof(F.failed_name), "%s", name);
}

static const struct checks_hooks hooks = { hook_failed };

/* ---- the change store, with the manager as its task runner ---- */

static struct checks M;
static struct chg_store S;

static void o_do(void *d, struct task *t)
{
	(void)d;
	checks_do_task(&M, t);
}

static void o_abort(void *d, struct task *t)
{
	(void)d;
	checks_abort_task(&M, t);
}

static void o_status(void *d, struct change *c, enum chg_status a, enum chg_status b)
{
	(void)d;
	(void)c;
	(void)a;
	(void)b;
	F.transitions++;
}

static void o_dirty(void *d)
{
	(void)d;
}

static void o_created(void *d, struct change *c)
{
	(void)d;
	(void)c;
	F.created++;
}

static const struct chg_ops ops = { o_do, o_abort, o_status, o_dirty, o_created };

static struct plan *plan_of(const char *yaml)
{
	struct plan_layer *l = NULL;
	struct plan *p = NULL;
	struct errbuf eb;

	if (plan_layer_parse("base", 1000, yaml, strlen(yaml), &l, &eb) < 0) {
		printf("layer: %s\n", eb.msg);
		return NULL;
	}
	if (plan_from_layers(&l, 1, &p, &eb) < 0)
		printf("plan: %s\n", eb.msg);
	plan_layer_free(l);
	return p;
}

static struct plan *cur_plan;

static void setup(const char *yaml)
{
	memset(&F, 0, sizeof(F));
	chg_store_init(&S, &ops, NULL, wall);
	checks_init(&M, &S, &io, NULL, &hooks, NULL);
	cur_plan = plan_of(yaml);
	checks_set_plan(&M, cur_plan);
	checks_activate(&M);
	chg_store_run(&S);
}

static void set_plan(const char *yaml)
{
	struct plan *old = cur_plan;

	cur_plan = plan_of(yaml);
	checks_set_plan(&M, cur_plan);
	plan_free(old);
	chg_store_run(&S);
}

static void teardown(void)
{
	checks_done(&M);
	chg_store_done(&S);
	plan_free(cur_plan);
	cur_plan = NULL;
}

/* Advances the clock to the check's timer and fires it. */
static void fire(struct check *ck)
{
	int i = slot_of(ck);

	if (F.deadline[i] > now_ms_v)
		now_ms_v = F.deadline[i];
	checks_timer(&M, ck);
	chg_store_run(&S);
}

static void result(struct check *ck, bool ok, const char *err, const char *details)
{
	struct check_result r;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	snprintf(r.err, sizeof(r.err), "%s", err ? err : "");
	snprintf(r.details, sizeof(r.details), "%s", details ? details : "");
	F.running[slot_of(ck)] = 0;
	checks_probe_done(&M, ck, &r);
	chg_store_run(&S);
}

static const char *last_log(const struct change *c)
{
	const struct task *t = c->c_tasks[0];

	return t->t_nlog ? t->t_log[t->t_nlog - 1] : "";
}

static const char *info_str(const struct check *ck, const char *key)
{
	static char buf[256];
	json_t *o = check_info_json(ck);
	json_t *v = json_object_get(o, key);

	snprintf(buf, sizeof(buf), "%s", !v ? "<absent>" : json_is_string(v) ? json_string_value(v) : "<num>");
	json_decref(o);
	return buf;
}

static long long info_int(const struct check *ck, const char *key)
{
	json_t *o = check_info_json(ck);
	json_t *v = json_object_get(o, key);
	long long r = v ? (long long)json_integer_value(v) : -1;

	json_decref(o);
	return r;
}

static const char LAYER[] = "checks:\n"
			    "    chk:\n"
			    "        override: replace\n"
			    "        level: alive\n"
			    "        period: 50ms\n"
			    "        timeout: 20ms\n"
			    "        threshold: 2\n"
			    "        http:\n"
			    "            url: http://localhost:1/\n";

static void test_schedule_and_perform_change(void)
{
	struct check *ck;
	struct change *c;
	uint64_t t0 = now_ms_v;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	ASSERT_TRUE(ck != NULL);
	ASSERT_EQ(ck->ck_state, CHECK_PERFORMING);
	c = chg_find(&S, ck->ck_change_id);
	ASSERT_TRUE(c != NULL);
	ASSERT_STREQ(c->c_kind, "perform-check");
	ASSERT_STREQ(c->c_summary, "Perform HTTP check \"chk\"");
	ASSERT_STREQ(json_string_value(json_object_get(c->c_notice_data, "check-name")), "chk");
	ASSERT_EQ(c->c_ntasks, 1);
	ASSERT_STREQ(c->c_tasks[0]->t_kind, "perform-check");
	ASSERT_EQ(c->c_tasks[0]->t_status, CHG_DOING);
	ASSERT_TRUE(ck->ck_task == c->c_tasks[0]);
	/* The first run one period after the start, bounded by the timeout. */
	ASSERT_EQ(F.deadline[slot_of(ck)], t0 + 50);
	ASSERT_EQ(F.starts, 0);
	fire(ck);
	ASSERT_EQ(F.starts, 1);
	ASSERT_TRUE(ck->ck_running);
	ASSERT_EQ(F.deadline[slot_of(ck)], t0 + 50 + 20);
	now_ms_v += 5;
	result(ck, true, NULL, NULL);
	ASSERT_EQ(ck->ck_successes, 1);
	/* Then every period from the first run, not from its end. */
	ASSERT_EQ(F.deadline[slot_of(ck)], t0 + 100);
	ASSERT_STREQ(info_str(ck, "status"), "up");
	ASSERT_STREQ(info_str(ck, "level"), "alive");
	ASSERT_STREQ(info_str(ck, "startup"), "enabled");
	ASSERT_EQ(info_int(ck, "successes"), 1);
	ASSERT_EQ(info_int(ck, "threshold"), 2);
	ASSERT_STREQ(info_str(ck, "failures"), "<absent>");
	ASSERT_STREQ(info_str(ck, "prev-change-id"), "<absent>");
	teardown();
}

static void test_threshold_recover_and_back(void)
{
	struct check *ck;
	struct change *perform, *recover, *again;
	int perform_id, recover_id;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	perform_id = ck->ck_change_id;
	perform = chg_find(&S, perform_id);
	/* A failure below the threshold is logged with its details; the check stays up. */
	fire(ck);
	result(ck, false, "non-2xx status code 500", "oops\nbad");
	ASSERT_EQ(ck->ck_failures, 1);
	ASSERT_STREQ(info_str(ck, "status"), "up");
	ASSERT_CONTAINS(last_log(perform), " ERROR non-2xx status code 500; oops\nbad");
	ASSERT_EQ(F.failed_calls, 0);
	/* A success after failures resets them and says so. */
	fire(ck);
	result(ck, true, NULL, NULL);
	ASSERT_EQ(ck->ck_failures, 0);
	ASSERT_CONTAINS(last_log(perform), " INFO succeeded after 1 failure");
	/* Two failures in a row reach the threshold: the action fires, perform-check errors
	 * and a recover-check change starts. */
	fire(ck);
	result(ck, false, "non-2xx status code 500", "x");
	fire(ck);
	result(ck, false, "non-2xx status code 500", "x");
	ASSERT_EQ(F.failed_calls, 1);
	ASSERT_STREQ(F.failed_name, "chk");
	ASSERT_EQ(chg_status(perform), CHG_ERROR);
	ASSERT_CONTAINS(last_log(perform), " ERROR non-2xx status code 500");
	ASSERT_TRUE(!strstr(last_log(perform), "; x"));
	ASSERT_EQ(ck->ck_state, CHECK_RECOVERING);
	recover_id = ck->ck_change_id;
	ASSERT_TRUE(recover_id != perform_id);
	ASSERT_EQ(ck->ck_prev_change_id, perform_id);
	recover = chg_find(&S, recover_id);
	ASSERT_STREQ(recover->c_kind, "recover-check");
	ASSERT_STREQ(recover->c_summary, "Recover HTTP check \"chk\"");
	ASSERT_EQ(recover->c_tasks[0]->t_status, CHG_DOING);
	ASSERT_STREQ(info_str(ck, "status"), "down");
	ASSERT_EQ(info_int(ck, "failures"), 2);
	/* While recovering every failure is logged and counted. */
	fire(ck);
	result(ck, false, "non-2xx status code 500", "y");
	ASSERT_EQ(ck->ck_failures, 3);
	ASSERT_CONTAINS(last_log(recover), " ERROR non-2xx status code 500; y");
	ASSERT_EQ(F.failed_calls, 1);
	/* The first success: recover-check is done, a new perform-check runs, up again. */
	fire(ck);
	result(ck, true, NULL, NULL);
	ASSERT_EQ(chg_status(recover), CHG_DONE);
	ASSERT_EQ(ck->ck_state, CHECK_PERFORMING);
	ASSERT_EQ(ck->ck_prev_change_id, recover_id);
	again = chg_find(&S, ck->ck_change_id);
	ASSERT_STREQ(again->c_kind, "perform-check");
	ASSERT_EQ(ck->ck_successes, 1);
	ASSERT_EQ(ck->ck_failures, 0);
	ASSERT_STREQ(info_str(ck, "status"), "up");
	teardown();
}

static void test_timeout(void)
{
	struct check *ck;
	struct change *c;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	c = chg_find(&S, ck->ck_change_id);
	fire(ck);
	ASSERT_TRUE(ck->ck_running);
	/* The timer at the deadline cancels the probe: a failure with upstream's text. */
	fire(ck);
	ASSERT_TRUE(!ck->ck_running);
	ASSERT_EQ(F.cancels, 1);
	ASSERT_EQ(ck->ck_failures, 1);
	ASSERT_CONTAINS(last_log(c), " ERROR check timed out after 20ms");
	/* A late outcome of the cancelled run is ignored. */
	result(ck, true, NULL, NULL);
	ASSERT_EQ(ck->ck_successes, 0);
	teardown();
}

static void test_stop_start_keep_counters(void)
{
	struct check *ck;
	struct change *c;
	json_t *changed = NULL;
	char *names[] = { "chk", "nope", "also" };
	struct errbuf eb;
	int id;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	id = ck->ck_change_id;
	fire(ck);
	result(ck, false, "boom", NULL);
	fire(ck);
	ASSERT_TRUE(ck->ck_running);
	ASSERT_EQ(checks_stop(&M, names, 3, &changed, &eb), -ENOENT);
	ASSERT_STREQ(eb.msg, "cannot find checks in plan: also, nope");
	ASSERT_EQ(checks_stop(&M, names, 1, &changed, &eb), 0);
	ASSERT_EQ(json_array_size(changed), 1);
	json_decref(changed);
	/* Stopped: change aborted, probe cancelled, counters kept, inactive. */
	c = chg_find(&S, id);
	ASSERT_TRUE(chg_ready(c));
	ASSERT_EQ(chg_status(c), CHG_UNDONE);
	ASSERT_EQ(F.cancels, 1);
	ASSERT_EQ(ck->ck_state, CHECK_INACTIVE);
	ASSERT_EQ(ck->ck_failures, 1);
	ASSERT_STREQ(info_str(ck, "status"), "inactive");
	ASSERT_STREQ(info_str(ck, "change-id"), "<absent>");
	ASSERT_EQ(F.deadline[slot_of(ck)], 0);
	/* Stopping again changes nothing. */
	ASSERT_EQ(checks_stop(&M, names, 1, &changed, &eb), 0);
	ASSERT_EQ(json_array_size(changed), 0);
	json_decref(changed);
	/* Starting again: a new change, counters reset. */
	ASSERT_EQ(checks_start(&M, names, 1, &changed, &eb), 0);
	ASSERT_EQ(json_array_size(changed), 1);
	json_decref(changed);
	chg_store_run(&S);
	ASSERT_TRUE(ck->ck_change_id != id);
	ASSERT_EQ(ck->ck_failures, 0);
	ASSERT_EQ(ck->ck_state, CHECK_PERFORMING);
	ASSERT_EQ(checks_start(&M, names, 1, &changed, &eb), 0);
	ASSERT_EQ(json_array_size(changed), 0);
	json_decref(changed);
	teardown();
}

static void test_external_abort_stops(void)
{
	struct check *ck;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	ASSERT_EQ(chg_abort(chg_find(&S, ck->ck_change_id)), 0);
	ASSERT_EQ(ck->ck_state, CHECK_INACTIVE);
	ASSERT_TRUE(ck->ck_task == NULL);
	teardown();
}

struct refresh_seen {
	int calls;
	char err[256];
	long long successes;
};

static void refresh_cb(struct check_waiter *w, const struct check *ck, const char *err)
{
	struct refresh_seen *s = w->w_data;

	s->calls++;
	snprintf(s->err, sizeof(s->err), "%s", err ? err : "");
	s->successes = ck ? ck->ck_successes : -1;
}

static void test_refresh(void)
{
	struct check *ck;
	struct check_waiter w1 = { 0 }, w2 = { 0 };
	struct refresh_seen s1 = { 0 }, s2 = { 0 };
	uint64_t t;

	setup(LAYER);
	ck = checks_find(&M, "chk");
	w1.w_cb = refresh_cb;
	w1.w_data = &s1;
	w2.w_cb = refresh_cb;
	w2.w_data = &s2;
	ASSERT_EQ(checks_refresh(&M, "nope", &w1), -ENOENT);
	now_ms_v += 10;
	t = now_ms_v;
	ASSERT_EQ(checks_refresh(&M, "chk", &w1), 0);
	/* Runs now, and the ticker restarts from now. */
	ASSERT_EQ(F.starts, 1);
	ASSERT_EQ(ck->ck_next_ms, t + 50);
	/* A second refresh during the run waits for a run of its own. */
	ASSERT_EQ(checks_refresh(&M, "chk", &w2), 0);
	result(ck, false, "boom", "d");
	ASSERT_EQ(s1.calls, 1);
	ASSERT_STREQ(s1.err, "boom");
	ASSERT_EQ(s2.calls, 0);
	ASSERT_EQ(F.starts, 2);
	ASSERT_EQ(ck->ck_failures, 1);
	result(ck, true, NULL, NULL);
	ASSERT_EQ(s2.calls, 1);
	ASSERT_STREQ(s2.err, "");
	ASSERT_EQ(s2.successes, 1);
	/* An inactive check is run once without touching its counters. */
	{
		char *names[] = { "chk" };
		json_t *changed;
		struct errbuf eb;

		checks_stop(&M, names, 1, &changed, &eb);
		json_decref(changed);
	}
	memset(&s1, 0, sizeof(s1));
	ASSERT_EQ(checks_refresh(&M, "chk", &w1), 0);
	ASSERT_TRUE(ck->ck_running && ck->ck_oneshot);
	result(ck, false, "boom", NULL);
	ASSERT_EQ(s1.calls, 1);
	ASSERT_EQ(ck->ck_failures, 0);
	ASSERT_EQ(ck->ck_successes, 1);
	ASSERT_EQ(ck->ck_state, CHECK_INACTIVE);
	/* A cancelled refresh is never called back. */
	memset(&s1, 0, sizeof(s1));
	ASSERT_EQ(checks_refresh(&M, "chk", &w1), 0);
	checks_refresh_cancel(&w1);
	result(ck, true, NULL, NULL);
	ASSERT_EQ(s1.calls, 0);
	teardown();
}

static const char TWO[] = "services:\n"
			  "    svc:\n"
			  "        override: replace\n"
			  "        command: sleep 10\n"
			  "        environment: {A: \"1\"}\n"
			  "checks:\n"
			  "    a:\n"
			  "        override: replace\n"
			  "        tcp:\n"
			  "            port: 1\n"
			  "    b:\n"
			  "        override: replace\n"
			  "        level: ready\n"
			  "        exec:\n"
			  "            command: true\n"
			  "            service-context: svc\n"
			  "    c:\n"
			  "        override: replace\n"
			  "        startup: disabled\n"
			  "        tcp:\n"
			  "            port: 2\n";

static void test_plan_changes(void)
{
	struct check *a, *b, *c;
	int a_id, b_id;

	setup(TWO);
	a = checks_find(&M, "a");
	b = checks_find(&M, "b");
	c = checks_find(&M, "c");
	ASSERT_TRUE(a && b && c);
	ASSERT_EQ(a->ck_state, CHECK_PERFORMING);
	ASSERT_EQ(c->ck_state, CHECK_INACTIVE);
	ASSERT_STREQ(info_str(c, "startup"), "disabled");
	ASSERT_STREQ(chg_find(&S, a->ck_change_id)->c_summary, "Perform TCP check \"a\"");
	ASSERT_STREQ(chg_find(&S, b->ck_change_id)->c_summary, "Perform exec check \"b\"");
	ASSERT_STREQ(b->ck_exec.environment.v[0].key, "A");
	a_id = a->ck_change_id;
	b_id = b->ck_change_id;
	fire(a);
	result(a, false, "x", NULL);

	/* The same plan again: nothing is touched. */
	set_plan(TWO);
	ASSERT_TRUE(checks_find(&M, "a") == a);
	ASSERT_EQ(a->ck_change_id, a_id);
	ASSERT_EQ(a->ck_failures, 1);
	ASSERT_EQ(b->ck_change_id, b_id);

	/* b's service context changed (the env it inherits), a is removed, d is new. */
	set_plan("services:\n"
		 "    svc:\n"
		 "        override: replace\n"
		 "        command: sleep 10\n"
		 "        environment: {A: \"2\"}\n"
		 "checks:\n"
		 "    b:\n"
		 "        override: replace\n"
		 "        level: ready\n"
		 "        exec:\n"
		 "            command: true\n"
		 "            service-context: svc\n"
		 "    c:\n"
		 "        override: replace\n"
		 "        startup: disabled\n"
		 "        tcp:\n"
		 "            port: 2\n"
		 "    d:\n"
		 "        override: replace\n"
		 "        tcp:\n"
		 "            port: 3\n");
	ASSERT_TRUE(checks_find(&M, "a") == NULL);
	ASSERT_TRUE(chg_ready(chg_find(&S, a_id)));
	ASSERT_TRUE(b->ck_change_id != b_id);
	ASSERT_STREQ(b->ck_exec.environment.v[0].val, "2");
	ASSERT_EQ(chg_status(chg_find(&S, b_id)), CHG_UNDONE);
	ASSERT_TRUE(checks_find(&M, "d") != NULL);
	ASSERT_EQ(checks_find(&M, "d")->ck_state, CHECK_PERFORMING);
	ASSERT_EQ(c->ck_state, CHECK_INACTIVE);

	/* replan starts enabled checks that are not running; disabled ones stay put. */
	{
		char *names[] = { "d" };
		json_t *changed;
		struct errbuf eb;

		checks_stop(&M, names, 1, &changed, &eb);
		json_decref(changed);
	}
	ASSERT_EQ(checks_find(&M, "d")->ck_state, CHECK_INACTIVE);
	checks_replan(&M);
	ASSERT_EQ(checks_find(&M, "d")->ck_state, CHECK_PERFORMING);
	ASSERT_EQ(c->ck_state, CHECK_INACTIVE);
	teardown();
}

static void test_health(void)
{
	struct check *a, *b;
	char *names[] = { "a" };
	char *bname[] = { "b" };

	setup("checks:\n"
	      "    a:\n"
	      "        override: replace\n"
	      "        level: alive\n"
	      "        threshold: 1\n"
	      "        tcp: {port: 1}\n"
	      "    b:\n"
	      "        override: replace\n"
	      "        level: ready\n"
	      "        threshold: 1\n"
	      "        tcp: {port: 1}\n"
	      "    u:\n"
	      "        override: replace\n"
	      "        threshold: 1\n"
	      "        tcp: {port: 1}\n");
	a = checks_find(&M, "a");
	b = checks_find(&M, "b");
	ASSERT_TRUE(checks_healthy(&M, "", NULL, 0));
	fire(b);
	result(b, false, "x", NULL);
	ASSERT_STREQ(info_str(b, "status"), "down");
	/* ready is down: alive is still healthy, ready and "all" are not. */
	ASSERT_TRUE(checks_healthy(&M, "alive", NULL, 0));
	ASSERT_TRUE(!checks_healthy(&M, "ready", NULL, 0));
	ASSERT_TRUE(!checks_healthy(&M, "", NULL, 0));
	ASSERT_TRUE(checks_healthy(&M, "", names, 1));
	ASSERT_TRUE(!checks_healthy(&M, "", bname, 1));
	/* alive down: ready (which implies alive) is down too. */
	fire(b);
	result(b, true, NULL, NULL);
	fire(a);
	result(a, false, "x", NULL);
	ASSERT_TRUE(!checks_healthy(&M, "alive", NULL, 0));
	ASSERT_TRUE(!checks_healthy(&M, "ready", NULL, 0));
	/* Inactive checks are ignored. */
	{
		json_t *changed, *list;
		struct errbuf eb;

		checks_stop(&M, names, 1, &changed, &eb);
		json_decref(changed);
		ASSERT_TRUE(checks_healthy(&M, "ready", NULL, 0));
		list = checks_info_json(&M, "ready", NULL, 0);
		ASSERT_EQ(json_array_size(list), 1);
		ASSERT_STREQ(json_string_value(json_object_get(json_array_get(list, 0), "name")), "b");
		json_decref(list);
		list = checks_info_json(&M, "", NULL, 0);
		ASSERT_EQ(json_array_size(list), 3);
		ASSERT_STREQ(json_string_value(json_object_get(json_array_get(list, 2), "name")), "u");
		json_decref(list);
	}
	teardown();
}

static void fixup(struct task *t, void *data)
{
	(void)data;
	checks_fixup_task(t);
}

static void test_restart_reload_fixup(void)
{
	struct check *ck;
	struct change *c;
	json_t *state;
	struct errbuf eb;
	int id;

	setup(LAYER);
	id = checks_find(&M, "chk")->ck_change_id;
	state = chg_store_to_json(&S);
	teardown();
	/* After a daemon restart the old check change is aborted and a new one starts. */
	memset(&F, 0, sizeof(F));
	chg_store_init(&S, &ops, NULL, wall);
	checks_init(&M, &S, &io, NULL, &hooks, NULL);
	ASSERT_EQ(chg_store_load_json(&S, state, fixup, NULL, &eb), 0);
	json_decref(state);
	c = chg_find(&S, id);
	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(chg_status(c), CHG_UNDONE);
	cur_plan = plan_of(LAYER);
	checks_set_plan(&M, cur_plan);
	ASSERT_TRUE(checks_find(&M, "chk") == NULL); /* not before activation */
	checks_activate(&M);
	chg_store_run(&S);
	ck = checks_find(&M, "chk");
	ASSERT_TRUE(ck != NULL);
	ASSERT_TRUE(ck->ck_change_id > id);
	ASSERT_EQ(ck->ck_state, CHECK_PERFORMING);
	teardown();
}

static void test_details_formatting(void)
{
	char out[CHECK_DETAILS_MAX];
	const char body[] = "  \nline1\nline2\nline3\nline4\nline5\nline6\nline7\n\n";

	/* HTTP bodies: trimmed, the first 5 lines, then (...). */
	check_details_first_lines(body, strlen(body), out, sizeof(out));
	ASSERT_STREQ(out, "line1\nline2\nline3\nline4\nline5\n(...)");
	check_details_first_lines("a\nb\nc\nd\ne\n", 10, out, sizeof(out));
	ASSERT_STREQ(out, "a\nb\nc\nd\ne");
	check_details_first_lines("", 0, out, sizeof(out));
	ASSERT_STREQ(out, "");
	/* exec output: the last 5 lines, without the final newline. */
	check_details_last_lines("l1\nl2\nl3\nl4\nl5\nl6\n", 18, out, sizeof(out));
	ASSERT_STREQ(out, "l2\nl3\nl4\nl5\nl6");
	check_details_last_lines("only", 4, out, sizeof(out));
	ASSERT_STREQ(out, "only");
	check_details_last_lines("\n\n", 2, out, sizeof(out));
	ASSERT_STREQ(out, "");
	/* NUL bytes from a peer never cut the text short. */
	check_details_first_lines("a\0b", 3, out, sizeof(out));
	ASSERT_STREQ(out, "a b");
}

int main(void)
{
	RUN(test_details_formatting);
	RUN(test_schedule_and_perform_change);
	RUN(test_threshold_recover_and_back);
	RUN(test_timeout);
	RUN(test_stop_start_keep_counters);
	RUN(test_external_abort_stops);
	RUN(test_refresh);
	RUN(test_plan_changes);
	RUN(test_health);
	RUN(test_restart_reload_fixup);
	return test_summary();
}

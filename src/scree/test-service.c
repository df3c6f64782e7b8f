/* test-service.c - the service state machine: legality table, state names and API status,
 * and one real run (spawn, okay delay, stop) on the event loop. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lib/test.h"
#include "scree/service.h"

static void test_table(void)
{
	ASSERT_STREQ(svc_state_name(SVC_BACKOFF), "backoff");
	ASSERT_STREQ(svc_state_name(SVC_TERMINATING), "terminating");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_STARTING)), "active");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_RUNNING)), "active");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_KILLING)), "inactive");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_INITIAL)), "inactive");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_BACKOFF)), "backoff");
	ASSERT_STREQ(svc_status_name(svc_status_of(SVC_EXITED)), "error");
	ASSERT_TRUE(svc_transition_legal(SVC_INITIAL, SVC_STARTING));
	ASSERT_TRUE(svc_transition_legal(SVC_STARTING, SVC_RUNNING));
	ASSERT_TRUE(svc_transition_legal(SVC_TERMINATING, SVC_KILLING));
	ASSERT_TRUE(svc_transition_legal(SVC_BACKOFF, SVC_RUNNING));
	ASSERT_TRUE(!svc_transition_legal(SVC_STOPPED, SVC_RUNNING));
	ASSERT_TRUE(!svc_transition_legal(SVC_KILLING, SVC_RUNNING));
	ASSERT_TRUE(!svc_transition_legal(SVC_INITIAL, SVC_RUNNING));
	ASSERT_TRUE(!svc_transition_legal(SVC_RUNNING, SVC_STARTING));
	for (int s = 0; s < SVC_STATE_MAX; s++)
		ASSERT_TRUE(!svc_transition_legal((enum svc_state)s, SVC_STATE_MAX));
}

struct results {
	int starts, stops;
	const char *start_err;
	struct loop *l;
};

static void on_start(void *data, struct service *s, const char *err, bool attempt)
{
	struct results *r = data;

	(void)s;
	(void)attempt;
	r->starts++;
	r->start_err = err;
	loop_stop(r->l);
}

static void on_stop(void *data, struct service *s, const char *err)
{
	struct results *r = data;

	(void)s;
	(void)err;
	r->stops++;
	loop_stop(r->l);
}

static const struct svc_ops ops = { on_start, on_stop, NULL, NULL };

static void test_real_run(void)
{
	struct loop *l;
	struct results r = { 0 };
	struct service *s;
	struct plan_service cfg;
	char *argv[] = { "/bin/sh", "-c", "echo hi; exec sleep 100", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct svc_launch launch = { argv, envp, NULL, false, 0, 0 };
	struct errbuf eb;
	uint64_t t0;

	ASSERT_EQ(loop_new(&l), 0);
	r.l = l;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "t";
	cfg.command = "/bin/sh -c 'echo hi; exec sleep 100'";
	cfg.kill_delay.set = true;
	cfg.kill_delay.ns = 200000000;
	s = svc_new(l, "t", &ops, &r);
	svc_set_config(s, &cfg, &launch);
	t0 = loop_now_ms();
	ASSERT_EQ(svc_handle(s, SVC_EV_START, 0, &eb), 0);
	ASSERT_EQ(s->sv_state, SVC_STARTING);
	ASSERT_EQ(svc_handle(s, SVC_EV_START, 0, &eb), -EINVAL);
	loop_run(l);
	ASSERT_EQ(r.starts, 1);
	ASSERT_TRUE(r.start_err == NULL);
	ASSERT_TRUE(loop_now_ms() - t0 >= SVC_OKAY_DELAY_MS);
	ASSERT_EQ(s->sv_state, SVC_RUNNING);
	ASSERT_EQ(svc_handle(s, SVC_EV_STOP, 0, &eb), 0);
	ASSERT_EQ(s->sv_state, SVC_TERMINATING);
	loop_run(l);
	ASSERT_EQ(r.stops, 1);
	ASSERT_EQ(s->sv_state, SVC_STOPPED);
	ASSERT_TRUE(logring_end(&s->sv_logs) > 0);
	svc_free(s);
	loop_free(l);
}

int main(void)
{
	RUN(test_table);
	RUN(test_real_run);
	return test_summary();
}

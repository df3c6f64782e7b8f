/* Unit tests for idle.c and the model's status severity counts: the counts per application
 * and machine always equal a recount from the definitions, through random sequences of
 * progress reports, goal bumps, connections, status changes and removals; and the
 * application status from the counts is the one a scan of the units gives. */
#include "cairnd/idle.h"
#include "cairnd/model.h"
#include "charm/charm.h"
#include "lib/fsutil.h"
#include "lib/test.h"

#include <stdlib.h>
#include <string.h>

static char *home;
static char digest[CHARM_DIGEST_HEX];

static void setup(void)
{
	char t[] = "/tmp/test-idle-XXXXXX";
	struct errbuf eb;
	char *dir, *tmp, *final;

	home = xstrdup(mkdtemp(t));
	dir = xasprintf("%s/charms", home);
	fs_mkdir_p(dir, 0755);
	tmp = xasprintf("%s/x.charm", dir);
	charm_pack(CAIRND_TESTDATA "/full", tmp, &eb);
	charm_digest_file(tmp, digest, NULL, &eb);
	final = xasprintf("%s/%s.charm", dir, digest);
	rename(tmp, final);
	free(dir);
	free(tmp);
	free(final);
}

static struct model_app *add_app(struct model *m, const char *name)
{
	struct charm *c = NULL;
	struct model_app *a = NULL;
	struct errbuf eb;
	json_t *res = json_object();

	if (charm_load_dir(CAIRND_TESTDATA "/full", &c, &eb) < 0 ||
	    model_add_app(m, name, c, digest, 100, 0, json_object(), res, &a, &eb) < 0)
		printf("# add_app: %s\n", eb.msg);
	json_decref(res);
	return a;
}

/* Recounts everything from the definitions; returns false (and says what) on a mismatch. */
static bool counts_ok(struct model *m)
{
	for (size_t i = 0; i < m->n_apps; i++) {
		struct model_app *a = m->apps[i];
		size_t idle = 0, sev[_MODEL_SEV_MAX] = { 0 };

		for (size_t k = 0; k < a->n_units; k++) {
			const char *msg;

			if (a->units[k]->idle != idle_eval(m, a->units[k])) {
				printf("# %s: idle bit %d, definition says %d\n", a->units[k]->name,
				       a->units[k]->idle, !a->units[k]->idle);
				return false;
			}
			idle += a->units[k]->idle;
			sev[model_sev_of(model_unit_display(a->units[k], &msg))]++;
		}
		if (idle != a->n_idle) {
			printf("# %s: n_idle %zu, recount %zu\n", a->name, a->n_idle, idle);
			return false;
		}
		for (int s = 0; s < _MODEL_SEV_MAX; s++) {
			if (sev[s] != a->n_sev[s]) {
				printf("# %s: n_sev[%d] %zu, recount %zu\n", a->name, s, a->n_sev[s], sev[s]);
				return false;
			}
		}
	}
	for (size_t i = 0; i < m->n_machines; i++) {
		struct model_machine *mc = m->machines[i];
		size_t idle = 0;

		for (size_t a = 0; a < m->n_apps; a++)
			for (size_t k = 0; k < m->apps[a]->n_units; k++)
				if (m->apps[a]->units[k]->machine == mc->id)
					idle += m->apps[a]->units[k]->idle;
		if (idle != mc->n_idle) {
			printf("# machine %d: n_idle %zu, recount %zu\n", mc->id, mc->n_idle, idle);
			return false;
		}
	}
	return true;
}

static void test_basics(void)
{
	struct model *m;
	struct model_machine *m1;
	struct model_app *a;
	struct model_unit *u[3];
	struct errbuf eb;

	setup();
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_EQ(model_add_machine(m, NULL, 0, &m1, &eb), 0);
	a = add_app(m, "web");
	ASSERT_TRUE(a != NULL);
	ASSERT_EQ(model_add_units(m, a, 2, 0, u, &eb), 0);
	ASSERT_EQ(model_add_units(m, a, 1, m1->id, u + 2, &eb), 0);
	ASSERT_TRUE(!idle_app_all(a));
	/* Reported idle at the current goal, but the agent is not connected. */
	for (int i = 0; i < 3; i++) {
		u[i]->progress = PROGRESS_IDLE;
		u[i]->settled = true;
		u[i]->progress_gen = 5;
		idle_update(m, u[i]);
	}
	ASSERT_EQ(a->n_idle, 0);
	model_find_machine(m, 0)->connected = true;
	idle_update_machine(m, model_find_machine(m, 0));
	ASSERT_EQ(a->n_idle, 2);
	ASSERT_TRUE(idle_machine_all(model_find_machine(m, 0)));
	ASSERT_TRUE(!idle_app_all(a));
	m1->connected = true;
	idle_update_machine(m, m1);
	ASSERT_TRUE(idle_app_all(a));
	/* A new application goal the agents have not acted on: busy again. */
	a->gen = 6;
	idle_update_app(m, a);
	ASSERT_EQ(a->n_idle, 0);
	u[0]->progress_gen = 6;
	idle_update(m, u[0]);
	ASSERT_EQ(a->n_idle, 1);
	ASSERT_EQ(model_find_machine(m, 0)->n_idle, 1);
	/* An error counts as idle even with containers not settled. */
	u[1]->progress = PROGRESS_ERROR;
	u[1]->settled = false;
	u[1]->progress_gen = 6;
	idle_update(m, u[1]);
	ASSERT_EQ(a->n_idle, 2);
	ASSERT_TRUE(counts_ok(m));
	/* A unit leaving takes its bit with it. */
	idle_forget(m, u[0]);
	ASSERT_EQ(model_delete_unit(m, u[0], &eb), 0);
	ASSERT_EQ(a->n_idle, 1);
	ASSERT_TRUE(counts_ok(m));
	model_close(m);
	fs_rm_rf(home);
	free(home);
}

static void test_app_status_from_counts(void)
{
	struct model *m;
	struct model_app *a;
	struct model_unit *u[4];
	struct errbuf eb;
	const char *msg;
	uint64_t since;

	setup();
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	a = add_app(m, "db");
	ASSERT_EQ(model_add_units(m, a, 4, 0, u, &eb), 0);
	ASSERT_STREQ(model_app_current(a), "maintenance");
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(model_set_status(m, u[i], MODEL_STATUS_WORKLOAD, "active", "ready", NULL, true, 0,
					   &eb), 0);
	ASSERT_STREQ(model_app_current(a), "active");
	ASSERT_EQ(model_set_status(m, u[2], MODEL_STATUS_WORKLOAD, "blocked", "need db", NULL, true, 0,
				   &eb), 0);
	ASSERT_EQ(model_set_status(m, u[3], MODEL_STATUS_WORKLOAD, "waiting", "", NULL, true, 0, &eb), 0);
	ASSERT_STREQ(model_app_current(a), "blocked");
	ASSERT_STREQ(model_app_display(a, &msg, &since), "blocked");
	ASSERT_STREQ(msg, "need db");
	/* An agent error beats everything and shows its message. */
	ASSERT_EQ(model_set_status(m, u[3], MODEL_STATUS_AGENT, "error", "hook failed: \"start\"", NULL,
				   false, 0, &eb), 0);
	ASSERT_STREQ(model_app_current(a), "error");
	ASSERT_STREQ(model_app_display(a, &msg, &since), "error");
	ASSERT_STREQ(msg, "hook failed: \"start\"");
	ASSERT_EQ(model_set_status(m, u[3], MODEL_STATUS_AGENT, "idle", "", NULL, false, 0, &eb), 0);
	ASSERT_STREQ(model_app_current(a), "blocked");
	/* The leader's own application status wins. */
	ASSERT_EQ(model_set_status(m, u[0], MODEL_STATUS_APP, "active", "all good", NULL, true, 0, &eb), 0);
	ASSERT_STREQ(model_app_current(a), "active");
	ASSERT_TRUE(counts_ok(m));
	/* The counts come back with the model. */
	model_close(m);
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_TRUE(counts_ok(m));
	ASSERT_EQ(model_find_app(m, "db")->n_sev[MODEL_SEV_BLOCKED], 1);
	model_close(m);
	fs_rm_rf(home);
	free(home);
}

static void test_random(void)
{
	static const char *const wl[] = { "active", "blocked", "maintenance", "waiting", "unknown",
					  "terminated", "weird" };
	struct model *m;
	struct model_machine *m1;
	struct model_app *apps[2];
	struct errbuf eb;
	unsigned seed = 12345;

	setup();
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_EQ(model_add_machine(m, NULL, 0, &m1, &eb), 0);
	apps[0] = add_app(m, "a");
	apps[1] = add_app(m, "b");
	ASSERT_EQ(model_add_units(m, apps[0], 20, 0, NULL, &eb), 0);
	ASSERT_EQ(model_add_units(m, apps[1], 10, m1->id, NULL, &eb), 0);
	ASSERT_EQ(model_add_units(m, apps[1], 10, 0, NULL, &eb), 0);
	for (int step = 0; step < 5000; step++) {
		struct model_app *a = apps[rand_r(&seed) % 2];
		struct model_unit *u = a->n_units ? a->units[(size_t)rand_r(&seed) % a->n_units] : NULL;
		struct model_machine *mc = m->machines[(size_t)rand_r(&seed) % m->n_machines];

		switch (rand_r(&seed) % 7) {
		case 0: /* progress */
			if (!u)
				break;
			u->progress = (enum unit_progress)(rand_r(&seed) % 4);
			u->progress_gen = (uint64_t)(rand_r(&seed) % 8);
			u->settled = rand_r(&seed) % 2;
			idle_update(m, u);
			break;
		case 1: /* unit goal */
			if (!u)
				break;
			u->gen = (uint64_t)(rand_r(&seed) % 8);
			idle_update(m, u);
			break;
		case 2: /* application goal */
			a->gen = (uint64_t)(rand_r(&seed) % 8);
			idle_update_app(m, a);
			break;
		case 3: /* connection */
			mc->connected = !mc->connected;
			idle_update_machine(m, mc);
			break;
		case 4: /* workload status */
			if (u)
				model_set_status(m, u, MODEL_STATUS_WORKLOAD, wl[rand_r(&seed) % 7], "", NULL,
						 true, 0, &eb);
			break;
		case 5: /* agent status */
			if (u)
				model_set_status(m, u, MODEL_STATUS_AGENT, rand_r(&seed) % 3 ? "idle" : "error",
						 "", NULL, false, 0, &eb);
			break;
		case 6: /* removal, now and then */
			if (u && rand_r(&seed) % 20 == 0) {
				idle_forget(m, u);
				ASSERT_EQ(model_delete_unit(m, u, &eb), 0);
			}
			break;
		}
		if (!counts_ok(m))
			TFAIL("counts drifted at step %d", step);
	}
	model_close(m);
	fs_rm_rf(home);
	free(home);
}

int main(void)
{
	RUN(test_basics);
	RUN(test_app_status_from_counts);
	RUN(test_random);
	return test_summary();
}

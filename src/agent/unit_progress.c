/* unit_progress.c - a unit's progress reports to the controller (busy, idle or error, settled,
 * goal generation), sent once per loop turn for the units whose state changed. */
#include "agent/agent_internal.h"

#include <string.h>

static void progress_deferred(void *arg);

/* The unit's own address for status: its pod's while the pod is up, else "" (the machine's). */
static const char *unit_progress_address(const struct unit *u)
{
	return u->pod && u->pod_state == UNITPOD_UP ? u->pod_address : "";
}

void unit_progress_dirty(struct unit *u)
{
	struct agent *a = u->a;

	/* Nothing is reported once the agent is stopping (and no callback may outlive it). */
	if (u->progress_dirty || a->shutting_down)
		return;
	u->progress_dirty = true;
	u->p_next = a->p_head;
	a->p_head = u;
	if (!a->progress_scheduled) {
		a->progress_scheduled = true;
		a->io.defer(a->io.data, progress_deferred, a);
	}
}

bool unit_progress(struct unit *u, const char **state, bool *settled, int64_t *gen)
{
	struct uniter_flags f = { .update_status_due = false, .lease_valid = agent_lease_ok(u->a) };
	struct uniter_goal g;
	struct uniter_next n;
	bool busy;

	*settled = unit_containers_settled(u);
	*gen = u->app ? (u->gen > u->app->gen ? u->gen : u->app->gen) : u->gen;
	if (u->task || (u->have_goal && unit_task_due(u))) {
		*state = "busy";
	} else if (u->state == UNIT_ERROR) {
		*state = "error";
	} else if (u->state != UNIT_IDLE || u->queued || !u->have_goal || !u->app ||
		   !u->app->have_goal) {
		*state = "busy";
	} else {
		unit_goal_of(u, &g);
		f.workload_hook = NULL;
		unit_decide(u, &f, &n);
		busy = n.kind != UNITER_NEXT_NONE;
		/* A container that is (re)starting, or whose new boot id still waits for its
		 * pebble-ready, is work in progress. */
		for (size_t i = 0; i < u->n_containers; i++) {
			struct container_rt *c = &u->containers[i];

			if (c->pending[0] && strcmp(c->pending, c->seen))
				busy = true;
			/* A notice being looked at, or its event waiting for its hook. */
			if (c->nw && notice_watch_busy(c->nw))
				busy = true;
		}
		if (g.alive && u->app->n_containers && !u->n_containers)
			busy = true;
		if (g.alive && u->pod && u->pod_state != UNITPOD_UP)
			busy = true;
		*state = busy || !*settled ? "busy" : "idle";
	}
	return !u->sent_progress || strcmp(*state, u->sent_state) || *settled != u->sent_settled ||
	       *gen != u->sent_gen || strcmp(unit_progress_address(u), u->sent_address);
}

static void progress_deferred(void *arg)
{
	struct agent *a = arg;

	a->progress_scheduled = false;
	while (a->p_head) {
		struct unit *u = a->p_head;
		const char *state;
		bool settled;
		int64_t gen;

		a->p_head = u->p_next;
		u->p_next = NULL;
		u->progress_dirty = false;
		if (!a->session || u->state == UNIT_DEAD)
			continue;
		if (!unit_progress(u, &state, &settled, &gen))
			continue;
		struct proto_msg m;

		proto_msg_init(&m, PROTO_PROGRESS);
		m.u.progress.unit = u->name;
		m.u.progress.gen = gen;
		m.u.progress.state = state;
		const char *addr = unit_progress_address(u);

		m.u.progress.settled = settled;
		m.u.progress.address = addr[0] ? addr : NULL;
		agent_send(a, &m);
		u->sent_progress = true;
		u->sent_state = state;
		u->sent_settled = settled;
		u->sent_gen = gen;
		snprintf(u->sent_address, sizeof(u->sent_address), "%s", addr);
	}
}

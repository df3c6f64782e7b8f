/* idle.c - idle bits and their counts; see idle.h. */
#include "cairnd/idle.h"

bool idle_eval(const struct model *m, const struct model_unit *u)
{
	const struct model_machine *mc = model_find_machine((struct model *)m, u->machine);
	uint64_t gen = u->gen > u->app->gen ? u->gen : u->app->gen;

	/* Idle as its agent reported it, at the goal the controller holds now: a goal the agent
	 * has not acted on yet is work to do. */
	return mc && mc->connected &&
	       (u->progress == PROGRESS_IDLE || u->progress == PROGRESS_ERROR) &&
	       u->progress_gen >= gen && (u->settled || u->progress == PROGRESS_ERROR);
}

static void set_bit(struct model *m, struct model_unit *u, bool idle)
{
	struct model_machine *mc;

	if (u->idle == idle)
		return;
	mc = model_find_machine(m, u->machine);
	u->idle = idle;
	if (idle) {
		u->app->n_idle++;
		if (mc)
			mc->n_idle++;
	} else {
		u->app->n_idle--;
		if (mc)
			mc->n_idle--;
	}
}

void idle_update(struct model *m, struct model_unit *u)
{
	set_bit(m, u, idle_eval(m, u));
}

void idle_update_app(struct model *m, struct model_app *a)
{
	for (size_t i = 0; i < a->n_units; i++)
		idle_update(m, a->units[i]);
}

void idle_update_machine(struct model *m, struct model_machine *mc)
{
	for (size_t i = 0; i < m->n_apps; i++)
		for (size_t k = 0; k < m->apps[i]->n_units; k++)
			if (m->apps[i]->units[k]->machine == mc->id)
				idle_update(m, m->apps[i]->units[k]);
}

void idle_forget(struct model *m, struct model_unit *u)
{
	set_bit(m, u, false);
}

bool idle_app_all(const struct model_app *a)
{
	return a->n_idle == a->n_units;
}

bool idle_machine_all(const struct model_machine *mc)
{
	return mc->n_idle == mc->n_units;
}

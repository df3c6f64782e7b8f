/* idle.h - which units are idle: a bit per unit, counted per application and per machine, so
 * that wait-for (re-evaluated after every change an agent reports) and status answer in
 * constant time however many units there are.
 *
 * A unit is idle when its machine's agent is connected and reported the unit idle (or in
 * error: it runs nothing until a retry or `resolved`) at the goal generation the controller
 * holds for it now - max(unit goal, application goal) - with its containers settled (an
 * error needs no settling).  The inputs live in the model's runtime fields and change in the
 * agent server: progress reports, goal generations, connections.  Each such change calls the
 * matching update here, which re-derives the bit and moves the counts; nothing is persisted.
 *
 * Invariants: app->n_idle and machine->n_idle count exactly the units with u->idle set, so a
 * unit leaves through idle_forget() before the model deletes it. */
#ifndef CAIRN_IDLE_H
#define CAIRN_IDLE_H

#include <stdbool.h>

#include "cairnd/model.h"

/* Whether u is idle, from the inputs (the bit's definition). */
bool idle_eval(const struct model *m, const struct model_unit *u);
/* u's progress, settled state or goal generation changed. */
void idle_update(struct model *m, struct model_unit *u);
/* The application's goal generation changed: every unit of it. */
void idle_update_app(struct model *m, struct model_app *a);
/* The machine's agent connected or disconnected (mc->connected changed), or its units'
 * progress was reset: every unit placed there. */
void idle_update_machine(struct model *m, struct model_machine *mc);
/* u is about to leave the model. */
void idle_forget(struct model *m, struct model_unit *u);

/* Whether every unit of a (of the machine) is idle; true without units. */
bool idle_app_all(const struct model_app *a);
bool idle_machine_all(const struct model_machine *mc);

#endif

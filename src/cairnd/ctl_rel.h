/* ctl_rel.h - relations, subordinates, leader settings and tasks (actions, exec) in the
 * controller (issue 12): the API operations, and what the agent server and the other
 * operations call when the model changes.
 *
 * ctl_relations.c holds relations (integrate, remove-relation, peer relations at deploy, the
 * relation part of each unit's goal, the relation changes a hook commits, goal-state, the
 * status additions) and subordinates (a unit of a subordinate application beside every unit
 * of a principal it is related to by a container-scoped relation, relation/subordinate.h).
 * ctl_actions.c holds the operations and tasks (run, exec, operations, show-operation,
 * show-task, cancel-task, actions, task-wait) and what the agents report about tasks.
 * The stores are relations.h and operations.h, on the model's database; every change is one
 * SQLite transaction, and a store whose transaction failed reloads from SQLite. */
#ifndef CAIRN_CTL_REL_H
#define CAIRN_CTL_REL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cairnd/controller.h"
#include "proto/agent_proto.h"

/* Opens both stores on the model's database (after model_open); 0 or -errno with eb. */
int ctl_stores_open(struct controller *c, struct errbuf *eb);
void ctl_stores_close(struct controller *c);

/* ---- ctl_relations.c ---- */

int ctl_op_integrate(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb);
int ctl_op_remove_relation(struct controller *c, struct msgsrv_conn *conn, json_t *req,
			   json_t **ret, struct errbuf *eb);

/* A new application: its peer relations are created (Juju does so at deploy). */
void ctl_rel_app_added(struct controller *c, struct model_app *a);
/* Units were added to, or made dying in, the model: subordinate units follow their principals. */
void ctl_rel_units_changed(struct controller *c);
/* remove-application: every relation of a becomes dying. */
void ctl_rel_app_dying(struct controller *c, struct model_app *a);
/* A unit left the model: it leaves every scope, its pending tasks go. */
void ctl_rel_unit_gone(struct controller *c, const char *unit);
/* An application left the model: its leader settings go. */
void ctl_rel_app_gone(struct controller *c, const char *app);

/* The relation part of u's goal (agent/relgoal.h's document); new reference. */
json_t *ctl_rel_unit_goal(struct controller *c, struct model_unit *u);
/* The application's leader settings (borrowed, NULL = none). */
json_t *ctl_rel_leader_settings(struct controller *c, struct model_app *a);
/* commit-hook with relation changes or leader settings: applies everything in one
 * transaction and tells the units that see the change.  0, or -errno with eb (nothing
 * applied). */
int ctl_rel_commit_hook(struct controller *c, struct model_unit *u, const struct proto_commit_hook *h,
			int64_t seq, struct errbuf *eb);
/* The same for the changes of a task that completed, applied in the caller's transaction:
 * init, apply (inside the transaction), done (after it, committed or not: the units that see
 * a change get their goals, a failed transaction reloads the stores). */
struct ctl_rel_commit {
	struct controller *c;
	struct model_unit *u;
	json_t *relations, *leader_settings;
	bool leader;
	char **apps;               /* applications whose units see a change */
	size_t n_apps;
	bool leader_changed;
};
void ctl_rel_commit_init(struct ctl_rel_commit *q, struct controller *c, struct model_unit *u,
			 json_t *relations, json_t *leader_settings);
int ctl_rel_commit_apply(struct ctl_rel_commit *q, struct errbuf *eb);
void ctl_rel_commit_done(struct ctl_rel_commit *q, bool committed);
/* goal-state's document for u: {"units": {...}, "relations": {...}}; new reference. */
json_t *ctl_rel_goal_state(struct controller *c, struct model_unit *u);
/* What the status document (status.c) shows of relations: an application's "relations"
 * ({endpoint: [...]}, new reference, NULL when it has none), the applications a subordinate
 * serves ("subordinate-to", new reference) and the rows of `status --relations` ("relation-rows",
 * new reference).  A subordinate unit shows under its principal (ctl_rel_principal). */
json_t *ctl_rel_status_app(struct controller *c, const char *app);
json_t *ctl_rel_subordinate_to(struct controller *c, const char *app);
json_t *ctl_rel_status_rows(struct controller *c);
/* The principal of a subordinate unit, or NULL. */
const char *ctl_rel_principal(struct controller *c, const char *unit);

/* ---- ctl_actions.c ---- */

int ctl_op_actions(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		   struct errbuf *eb);
int ctl_op_run(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
	       struct errbuf *eb);
int ctl_op_exec(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		struct errbuf *eb);
int ctl_op_task(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		struct errbuf *eb);
int ctl_op_operation(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb);
int ctl_op_operations(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		      struct errbuf *eb);
int ctl_op_cancel_task(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb);
int ctl_op_task_wait(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb);

/* The unit's queued and running tasks for its goal; new reference. */
json_t *ctl_task_goal(struct controller *c, struct model_unit *u);
/* action-started / action-log / action-result from u's agent (sequenced: applied with seq in
 * one transaction).  0, or -errno with eb. */
int ctl_task_report(struct controller *c, struct model_unit *u, const struct proto_msg *m,
		    int64_t seq, struct errbuf *eb);
/* The unit left the model: its tasks that have not finished end. */
void ctl_tasks_unit_gone(struct controller *c, const char *unit);

#endif

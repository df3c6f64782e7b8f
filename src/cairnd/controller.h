/* controller.h - the cairnd context: model, logs, API server and the agent side, and the
 * operations the API exposes (deploy, add-unit, config, refresh, status, ...).
 *
 * ctl_*.c files implement the operations on top of the model (model.h); api.c frames them
 * (docs/protocol.md §1); backend.c is the controller end of the agent interface (agent.h);
 * status.c renders the status document. */
#ifndef CAIRN_CONTROLLER_H
#define CAIRN_CONTROLLER_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/agent.h"
#include "cairnd/logstore.h"
#include "cairnd/model.h"
#include "lib/errbuf.h"
#include "lib/loop.h"
#include "lib/msgsrv.h"

#define CAIRN_VERSION "0.1.0"
#define CAIRN_AGENT_VERSION "3.6.8"

struct api;
struct waiter;

struct controller {
	struct loop *l;
	char *home;
	char *bin_dir;
	char *tools_dir;
	char *scree_path;
	struct model *m;
	struct logstore *logs;
	struct agent *agent;
	struct api *api;
	struct waiter *waiters;
	bool waiters_dirty;
	char charm_dir_buf[4096]; /* answer of the backend's charm_dir() */
	double time_scale;   /* CAIRN_TEST_TIME_SCALE: shrinks retry delays in tests only */
	bool stopping;
};

/* Logs a controller-side record (entity "controller" or a unit's tag). */
void ctl_log(struct controller *c, const char *entity, const char *level, const char *module,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "hello/0" -> "unit-hello-0" */
void ctl_unit_tag(const char *unit, char *out, size_t n);

/* The API operations. Each returns 0 with a new reference in *ret, 1 when it took over the
 * connection (streams), or a negative errno with eb set. */
typedef int (*ctl_op_fn)(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			 struct errbuf *eb);
ctl_op_fn ctl_find_op(const char *name);

/* backend.c: the agent_backend implementation over the model. */
extern const struct agent_backend ctl_backend_template;
/* Starts a uniter for every unit in the model (at startup). */
void ctl_start_agents(struct controller *c);
/* Applies model-config to the agent side. */
void ctl_apply_model_config(struct controller *c);
/* Picks a new leader for app if it has none. */
void ctl_ensure_leader(struct controller *c, struct model_app *a, bool failover);

/* status.c */
json_t *status_build(struct controller *c);
/* The workload status a unit shows (error when its agent is in error). */
const char *status_unit_display(const struct model_unit *u, const char **msg);
/* The application status: the leader-set one, else derived from the units. */
const char *status_app_display(const struct model_app *a, const char **msg, uint64_t *since);

/* ctl_streams.c: wait-for waiters; ctl_waiters_check re-evaluates them soon. */
void ctl_waiters_check(struct controller *c);

/* api.c */
int api_new(struct controller *c, const char *path, struct api **ret, struct errbuf *eb);
void api_free(struct api *a);

#endif

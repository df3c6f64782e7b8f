/* controller.h - the cairnd context: model, logs, the agent server, the supervised agent of the
 * controller's own machine, the API server, and the operations the API exposes.
 *
 * ctl_*.c files implement the operations on top of the model (model.h); api.c frames them
 * (docs/protocol.md §1); agents.c is the controller end of the agent protocol (§3);
 * supervise.c runs machine 0's agent; status.c renders the status document. */
#ifndef CAIRN_CONTROLLER_H
#define CAIRN_CONTROLLER_H

#include <jansson.h>
#include <stdbool.h>

#include "cairnd/ctlcfg.h"
#include "cairnd/logstore.h"
#include "cairnd/model.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/loop.h"
#include "lib/msgsrv.h"

#define CAIRN_VERSION "0.1.0"
#define CAIRN_AGENT_VERSION "3.6.8"
#define CTL_DESTROY_TIMEOUT_MS 30000 /* kill-controller waits this long for agents */
/* API clients served at once; one more is answered "too many connections (limit N)" (msgsrv.h). */
#define CTL_API_MAX_CONNS 1024

struct api;
struct agents;
struct resstore;
struct relstore;
struct opstore;
struct supervisor;
struct waiter;

struct controller {
	struct loop *l;
	char *home;
	char *bin_dir;
	struct model *m;
	struct relstore *rels;     /* relations, subordinates, leader settings (ctl_rel.h) */
	struct opstore *ops;       /* operations and tasks (ctl_rel.h) */
	struct ctlcfg cfg;
	struct logstore *logs;
	struct agents *agents;
	struct resstore *res;      /* supplied resources by content (resstore.h) */
	struct supervisor *sup;
	struct api *api;
	struct waiter *waiters;
	bool waiters_dirty;
	bool stopping;             /* the loop is ending */
	bool destroying;           /* kill-controller: tear everything down, then exit */
	struct msgsrv_conn *destroy_conn; /* answered once the teardown is done */
	struct loop_timer *destroy_timer;
};

/* Logs a controller-side record (entity "controller" or a unit's tag). */
void ctl_log(struct controller *c, const char *entity, const char *level, const char *module,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "hello/0" -> "unit-hello-0" */
void ctl_unit_tag(const char *unit, char *out, size_t n);

/* The API operations. Each returns 0 with a new reference in *ret, 1 when it took over the
 * connection (streams, operations that finish later), 2 when it sent its answer itself (a
 * document rendered as text) and the next request may be read, or a negative errno with eb
 * set. */
typedef int (*ctl_op_fn)(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			 struct errbuf *eb);
ctl_op_fn ctl_find_op(const char *name);

/* Leadership: gives app a leader when it has none (or its leader's unit is gone), preferring
 * units whose machine agent is connected.  failover=true bumps the generation so the other
 * units run leader-settings-changed. */
void ctl_ensure_leader(struct controller *c, struct model_app *a, bool failover);
/* The leader of a moves away from unit (its machine agent is gone). */
void ctl_move_leader(struct controller *c, struct model_app *a);
/* A unit finished its teardown (or was forced out): delete it, the application too when it
 * was dying and this was its last unit, and hand on the leadership. */
void ctl_unit_gone(struct controller *c, struct model_unit *u);
/* Tells the agents about model-config. */
void ctl_apply_model_config(struct controller *c);
/* kill-controller: destroys what was deployed, then stops. */
void ctl_destroy(struct controller *c, struct msgsrv_conn *conn);

/* ctl_resources.c */
struct charm;
struct ctl_res_batch;
/* resources: the application's new resource record (borrowed), or NULL and error. */
typedef void (*ctl_res_done_fn)(void *data, json_t *resources, const char *error);
/* Stores each resource of given ({name: path}) as ch declares it and calls done with current
 * (pruned to what ch declares, see ctl_resources_prune) plus the next revision of each given
 * one, or with the first error ("failed to upload resource \"img\": <path>: not an OCI
 * image: ...").  done runs later, never from inside this call.  Returns 0, or a negative
 * errno with eb ("unrecognized resource \"x\"") when nothing started. */
int ctl_resources_store(struct controller *c, const struct charm *ch, json_t *current, json_t *given,
			ctl_res_done_fn done, void *data, struct ctl_res_batch **ret, struct errbuf *eb);
/* Abandons a batch (done does not run).  NULL is fine. */
void ctl_resources_cancel(struct ctl_res_batch *b);
/* A new record: the entries of current that ch still declares with the same type. */
json_t *ctl_resources_prune(const struct charm *ch, json_t *current);
/* The app-goal's resources and container-specs (new references; docs/protocol.md §3.5). */
json_t *ctl_resources_goal(const struct model_app *a);
json_t *ctl_container_specs(const struct charm *ch);
/* Checks the `mounts:` of ch's containers (locations a pod can bind).  0 or -EINVAL (eb). */
int ctl_check_containers(const struct charm *ch, struct errbuf *eb);

/* status.c */
/* Appends the status document (operator-cli.md §8.3) as compact JSON text, with relations
 * and subordinates (ctl_rel.h), and the rows of `status --relations` when relation_rows. */
void status_render(struct controller *c, struct buf *out, bool relation_rows);
/* The machines section of the status document. */
json_t *status_machines(struct controller *c);
/* A unit's public address: its machine's first address. */
const char *status_unit_address(struct controller *c, const struct model_unit *u);

/* ctl_streams.c: wait-for waiters; ctl_waiters_check re-evaluates them soon. */
void ctl_waiters_check(struct controller *c);
/* Whether unit u is idle: its agent is connected and reported idle at the unit's current goal. */
bool ctl_unit_idle(struct controller *c, const struct model_unit *u);

/* api.c */
int api_new(struct controller *c, const char *path, struct api **ret, struct errbuf *eb);
void api_free(struct api *a);

#endif

/* unit.c - one unit's runtime on a machine agent: run queue, hook lifecycle (prepare ->
 * run -> commit -> acknowledged), retries, timers, containers; see agent.h.
 *
 * Each unit is a state machine (enum unit_state, legal transitions below).  A kick puts an
 * idle unit on the machine's run queue (once); the pump takes units off it while fewer than
 * max_parallel hooks run and asks the resolver (uniter.c) for the next hook at that moment, so
 * changes that arrive while a unit waits coalesce.  A successful hook's commit-hook goes to
 * the controller; the unit runs nothing else until the controller acknowledges it, and only
 * then does the journal move on (memory and store together). */
#include "agent/agent_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/netinfo.h"
#include "lib/buf.h"

static const char *const state_names[_UNIT_STATE_MAX] = {
	[UNIT_IDLE] = "idle",           [UNIT_ERROR] = "error",
	[UNIT_PREPARING] = "preparing", [UNIT_RUNNING] = "running",
	[UNIT_COMMITTING] = "committing", [UNIT_DEAD] = "dead",
};

/* legal[from][to] */
static const bool legal[_UNIT_STATE_MAX][_UNIT_STATE_MAX] = {
	[UNIT_IDLE] = { [UNIT_PREPARING] = true, [UNIT_RUNNING] = true, [UNIT_COMMITTING] = true,
			[UNIT_ERROR] = true, [UNIT_DEAD] = true },
	[UNIT_ERROR] = { [UNIT_IDLE] = true, [UNIT_COMMITTING] = true },
	[UNIT_PREPARING] = { [UNIT_RUNNING] = true, [UNIT_COMMITTING] = true, [UNIT_ERROR] = true,
			     [UNIT_IDLE] = true },
	[UNIT_RUNNING] = { [UNIT_COMMITTING] = true, [UNIT_ERROR] = true, [UNIT_IDLE] = true },
	[UNIT_COMMITTING] = { [UNIT_IDLE] = true, [UNIT_ERROR] = true },
	[UNIT_DEAD] = { [UNIT_DEAD] = false },
};

const char *unit_state_name(enum unit_state s)
{
	return (unsigned)s < _UNIT_STATE_MAX ? state_names[s] : "invalid";
}

static void set_state(struct unit *u, enum unit_state s)
{
	/* A hook's held messages go when it is over (committing, or it never started). */
	if (u->hold_out && s != UNIT_RUNNING) {
		u->hold_out = false;
		agent_outbox_flush(u);
	}
	if (u->state == s)
		return;
	if (!legal[u->state][s]) {
		agent_log(u->a, u, "ERROR", "juju.worker.uniter",
			  "internal error: illegal transition %s -> %s", state_names[u->state],
			  state_names[s]);
		abort();
	}
	u->state = s;
	unit_progress_dirty(u);
}


static json_t *journal_of(struct unit *u, const struct uniter_journal *j)
{
	return unit_journal_json(j, &u->rs, u->task_id, u->task_done_id);
}

void ulog(struct unit *u, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	agent_log(u->a, u, level, "juju.worker.uniter", "%s", b.data);
	buf_done(&b);
}

/* ---- building sequenced messages ---- */

void batch_init(struct batch *b, struct unit *u)
{
	b->u = u;
	b->n = 0;
}

void batch_done(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->msgs[i]);
	b->n = 0;
}

/* Adds m with the next free sequence number; returns that number. */
int64_t batch_add(struct batch *b, struct proto_msg *m)
{
	int64_t seq = agent_next_seq(b->u, b->n);

	switch (m->type) {
	case PROTO_SAVE_JOURNAL: m->u.save_journal.seq = seq; break;
	case PROTO_COMMIT_HOOK: m->u.commit_hook.seq = seq; break;
	case PROTO_STATUS_SET: m->u.status_set.seq = seq; break;
	case PROTO_HOOK_RAN: m->u.hook_ran.seq = seq; break;
	case PROTO_UNIT_DEAD: m->u.unit_dead.seq = seq; break;
	case PROTO_ACTION_STARTED: m->u.action_started.seq = seq; break;
	case PROTO_ACTION_LOG: m->u.action_log.seq = seq; break;
	case PROTO_ACTION_RESULT: m->u.action_result.seq = seq; break;
	default: abort();
	}
	b->msgs[b->n++] = proto_encode(m);
	return seq;
}

void batch_journal(struct batch *b, const struct uniter_journal *j)
{
	struct proto_msg m;
	json_t *jj = journal_of(b->u, j);

	proto_msg_init(&m, PROTO_SAVE_JOURNAL);
	m.u.save_journal.unit = b->u->name;
	m.u.save_journal.journal = jj;
	batch_add(b, &m);
	json_decref(jj);
}

/* A status the agent sets (by_charm false) or the charm sets.  Workload statuses also change
 * the agent's own copy, which the caller writes with the same transaction. */
void batch_status(struct batch *b, const char *kind, const char *status, const char *message,
			 json_t *data, bool by_charm)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_STATUS_SET);
	m.u.status_set.unit = b->u->name;
	m.u.status_set.kind = kind;
	m.u.status_set.status = status;
	m.u.status_set.message = message ? message : "";
	m.u.status_set.data = data;
	m.u.status_set.by_charm = by_charm;
	batch_add(b, &m);
}

static void batch_hook_ran(struct batch *b, const char *hook, uint64_t start_ns, uint64_t dur_ns,
			   int code)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_HOOK_RAN);
	m.u.hook_ran.unit = b->u->name;
	m.u.hook_ran.hook = hook;
	m.u.hook_ran.start_ns = (int64_t)start_ns;
	m.u.hook_ran.duration_ns = (int64_t)dur_ns;
	m.u.hook_ran.code = code < 0 ? 255 : code > 255 ? 255 : code;
	batch_add(b, &m);
}

/* Writes row (or u as it is, when NULL) and the batch in one transaction, which also drops
 * the outbox rows up to ack_seq (0: none). */
static int batch_commit_ack(struct batch *b, const struct store_unit_row *row, int64_t ack_seq,
			    struct errbuf *eb)
{
	struct store_unit_row cur;
	int r;

	if (!row) {
		agent_unit_row(b->u, &cur);
		row = &cur;
	}
	r = agent_commit_txn(b->u->a, b->u, row, b->msgs, b->n, ack_seq, eb);
	if (r == 0)
		b->n = 0; /* the outbox owns them now */
	return r;
}

int batch_commit(struct batch *b, const struct store_unit_row *row, struct errbuf *eb)
{
	return batch_commit_ack(b, row, 0, eb);
}

/* A new copy of the workload status copy with these fields. */
static json_t *wl_with(struct unit *u, const char *status, const char *message, json_t *data,
		       bool by_charm)
{
	bool charm_set = json_is_true(json_object_get(u->wl_status, "charm-set")) || by_charm;

	return json_pack("{s:s, s:s, s:o, s:b}", "status", status, "message", message ? message : "",
			 "data", data ? json_incref(data) : json_object(), "charm-set", charm_set);
}

static bool charm_set_status(struct unit *u)
{
	return json_is_true(json_object_get(u->wl_status, "charm-set"));
}

/* ---- timers ---- */

static void arm_update_status(struct unit *u)
{
	struct agent *a = u->a;
	int64_t w = a->update_status_ms;

	if (!u->j.started || u->j.stopped || w <= 0 || a->io.timer_armed(a->io.data, u->us_timer))
		return;
	/* Each wait is drawn uniformly from [0.8, 1.2] x interval (charm-runtime.md §8). */
	double ms = (double)w * (0.8 + 0.4 * a->io.random(a->io.data));

	a->io.timer_arm(a->io.data, u->us_timer, (uint64_t)ms);
}

static void on_update_status(void *arg)
{
	struct unit *u = arg;

	u->update_status_due = true;
	unit_kick(u);
}

static void on_retry(void *arg)
{
	struct unit *u = arg;

	if (u->state != UNIT_ERROR)
		return;
	ulog(u, "INFO", "retrying hook \"%s\"", u->j.hook);
	set_state(u, UNIT_IDLE);
	unit_kick(u);
}

/* Retries start after exactly the minimum, then double with +-3 % jitter, capped
 * (charm-runtime.md §10). */
static void arm_retry(struct unit *u)
{
	struct agent *a = u->a;
	int64_t d;

	if (!a->retry_hooks)
		return;
	if (u->retries == 0) {
		d = a->retry_min_ms;
	} else {
		double x = (double)u->next_retry_ms * 2.0 * (0.97 + 0.06 * a->io.random(a->io.data));

		d = x > (double)a->retry_max_ms ? a->retry_max_ms : (int64_t)x;
	}
	u->next_retry_ms = d;
	u->retries++;
	a->io.timer_arm(a->io.data, u->retry_timer, (uint64_t)d);
}

/* ---- run queue ---- */

static void pump_deferred(void *arg)
{
	struct agent *a = arg;

	a->pump_scheduled = false;
	unit_pump(a);
}

static void schedule_pump(struct agent *a)
{
	if (a->pump_scheduled || a->shutting_down)
		return;
	a->pump_scheduled = true;
	a->io.defer(a->io.data, pump_deferred, a);
}

void unit_schedule_pump(struct agent *a)
{
	schedule_pump(a);
}

void unit_kick(struct unit *u)
{
	struct agent *a = u->a;

	unit_progress_dirty(u);
	if (u->queued || a->shutting_down || u->task)
		return;
	if (u->state != UNIT_IDLE && !(u->state == UNIT_ERROR && unit_task_due(u)))
		return;
	u->queued = true;
	u->q_next = NULL;
	if (a->q_tail)
		a->q_tail->q_next = u;
	else
		a->q_head = u;
	a->q_tail = u;
	schedule_pump(a);
}

static void queue_remove(struct unit *u)
{
	struct agent *a = u->a;
	struct unit **pp = &a->q_head, *prev = NULL;

	while (*pp && *pp != u) {
		prev = *pp;
		pp = &(*pp)->q_next;
	}
	if (*pp) {
		*pp = u->q_next;
		if (a->q_tail == u)
			a->q_tail = prev;
	}
	u->queued = false;
}

/* ---- containers ---- */

static void on_workload_ready(void *data, struct workload *w, const char *boot_id)
{
	struct container_rt *c = data;

	(void)w;
	if (strcmp(boot_id, c->seen) && strcmp(boot_id, c->pending)) {
		ulog(c->u, "DEBUG", "container %s: pebble boot id %s", c->name, boot_id);
		snprintf(c->pending, sizeof(c->pending), "%s", boot_id);
	}
	/* Even a known boot id changes what "idle" means (the container settled). */
	unit_kick(c->u);
}

static void on_workload_log(void *data, struct workload *w, const char *level, const char *msg)
{
	struct container_rt *c = data;

	(void)w;
	ulog(c->u, level, "%s", msg);
}

static void on_pebble_retry(void *arg)
{
	struct container_rt *c = arg;

	unit_kick(c->u);
}

/* ---- notices (notices.h) ---- */

static void on_notices_changed(void *data)
{
	struct container_rt *c = data;

	unit_kick(c->u);
}

static void on_notices_log(void *data, const char *level, const char *msg)
{
	struct container_rt *c = data;

	ulog(c->u, level, "%s", msg);
}

/* Watches c's notices on its socket (whatever started the scree behind it), from where the
 * journal says its last notice hook was. */
static void start_notice_watch(struct container_rt *c)
{
	struct unit *u = c->u;
	struct notice_watch_cbs cbs = { on_notices_changed, on_notices_log, c };
	char *sock;

	if (strlen(c->name) >= UNITER_CONTAINER_MAX) {
		ulog(u, "WARNING", "container %s: name too long for notice hooks", c->name);
		return;
	}
	sock = xasprintf("%s/containers/%s/pebble.socket", u->dir, c->name);
	c->nw = notice_watch_new(&u->a->io, c->name, sock, uniter_cursor(&u->j, c->name), &cbs);
	free(sock);
}

/* The first container whose notice event waits for its hook: its hook name, or NULL. */
static const char *notice_due(struct unit *u)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];
		const struct uniter_notice *n = c->nw ? notice_watch_event(c->nw) : NULL;

		if (n && uniter_notice_hook_name(n, c->notice_hook, sizeof(c->notice_hook)))
			return c->notice_hook;
	}
	return NULL;
}

/* The event of the container whose notice hook is hook, or NULL. */
static const struct uniter_notice *notice_for_hook(struct unit *u, const char *hook)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];
		const struct uniter_notice *n = c->nw ? notice_watch_event(c->nw) : NULL;

		if (n && !strcmp(c->notice_hook, hook))
			return n;
	}
	return NULL;
}

/* The image container name runs (its resource's oci-image, when the operator supplied one),
 * or false: it runs as a scree on the host. */
static bool container_image(struct app *app, const char *name, struct unitpod_container *ret,
			    struct unitpod_mount *mounts)
{
	json_t *spec = json_object_get(app->container_specs, name);
	const char *res = json_string_value(json_object_get(spec, "resource"));
	json_t *r = res ? json_object_get(app->resources, res) : NULL, *m;
	size_t i;

	if (!r || strcmp(json_string_value(json_object_get(r, "type")) ? json_string_value(json_object_get(r, "type")) : "",
			 "oci-image"))
		return false;
	memset(ret, 0, sizeof(*ret));
	ret->name = name;
	ret->image = json_string_value(json_object_get(r, "image"));
	ret->fingerprint = json_string_value(json_object_get(r, "fingerprint"));
	ret->size = json_integer_value(json_object_get(r, "size"));
	ret->mounts = mounts;
	json_array_foreach(json_object_get(spec, "mounts"), i, m) {
		if (i >= PODS_MOUNTS_MAX)
			break;
		mounts[i].storage = json_string_value(json_object_get(m, "storage"));
		mounts[i].location = json_string_value(json_object_get(m, "location"));
		ret->n_mounts = i + 1;
	}
	return ret->image != NULL;
}

static void on_pod_state(void *data, enum unitpod_state s, const struct unitpod_info *info, const char *msg)
{
	struct unit *u = data;

	u->pod_state = s;
	if (s == UNITPOD_UP && info) {
		snprintf(u->pod_address, sizeof(u->pod_address), "%s", info->address ? info->address : "");
		snprintf(u->pod_cidr, sizeof(u->pod_cidr), "%s", info->cidr ? info->cidr : "");
		free(u->pod_netns);
		u->pod_netns = info->netns ? xstrdup(info->netns) : NULL;
	}
	ulog(u, s == UNITPOD_BROKEN ? "ERROR" : "DEBUG", "pod %s%s%s", unitpod_state_name(s), msg && *msg ? ": " : "",
	     msg && *msg ? msg : "");
	unit_kick(u);
}

static void on_pod_ready(void *data, const char *container, const char *boot_id)
{
	struct unit *u = data;

	for (size_t i = 0; i < u->n_containers; i++)
		if (u->containers[i].in_pod && !strcmp(u->containers[i].name, container))
			on_workload_ready(&u->containers[i], NULL, boot_id);
}

static void on_pod_log(void *data, const char *level, const char *msg)
{
	ulog(data, level, "%s", msg);
}

static void stop_containers(struct unit *u, bool destroy)
{
	struct agent *a = u->a;

	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (c->w) {
			if (destroy)
				a->io.workload_destroy(a->io.data, c->w);
			else
				a->io.workload_detach(a->io.data, c->w);
		}
		a->io.timer_free(a->io.data, c->retry);
		notice_watch_free(c->nw);
		free(c->name);
	}
	free(u->containers);
	u->containers = NULL;
	u->n_containers = 0;
	u->ready_container = NULL;
	if (u->pod) {
		if (destroy)
			a->io.pod_destroy(a->io.data, u->pod);
		else
			a->io.pod_detach(a->io.data, u->pod);
		u->pod = NULL;
	}
	u->pod_state = UNITPOD_WAITING;
	free(u->pod_netns);
	u->pod_netns = NULL;
	u->pod_address[0] = '\0';
}

/* Whether the unit's containers are the application's, by name and order. */
static bool same_containers(struct unit *u)
{
	if (u->n_containers != u->app->n_containers)
		return false;
	for (size_t i = 0; i < u->n_containers; i++)
		if (strcmp(u->containers[i].name, u->app->containers[i]))
			return false;
	return true;
}

/* Brings the unit's containers in line with its application's goal: each container with an
 * image runs in the unit's pod, each without one as a scree on the host (a container whose
 * resource was attached moves into the pod). */
static void sync_containers(struct unit *u)
{
	struct agent *a = u->a;
	struct app *app = u->app;
	struct unitpod_container pc[PROTO_CONTAINERS_MAX];
	struct unitpod_mount mounts[PROTO_CONTAINERS_MAX][PODS_MOUNTS_MAX];
	size_t n_pod = 0;

	if (!u->containers_dirty && u->containers)
		return;
	u->containers_dirty = false;
	if (!app || !app->n_containers) {
		if (u->n_containers || u->pod)
			stop_containers(u, true);
		return;
	}
	if (u->containers && !same_containers(u))
		stop_containers(u, true); /* a refresh changed the charm's containers */
	if (!u->containers) {
		u->containers = xcalloc(app->n_containers, sizeof(*u->containers));
		u->n_containers = app->n_containers;
		for (size_t i = 0; i < app->n_containers; i++) {
			struct container_rt *c = &u->containers[i];

			c->u = u;
			c->name = xstrdup(app->containers[i]);
			snprintf(c->hook, sizeof(c->hook), "%s-pebble-ready", c->name);
			c->retry = a->io.timer_new(a->io.data, on_pebble_retry, c);
			start_notice_watch(c);
		}
	}
	for (size_t i = 0; i < u->n_containers && i < PROTO_CONTAINERS_MAX; i++) {
		struct container_rt *c = &u->containers[i];

		if (a->io.pod_start && container_image(app, c->name, &pc[n_pod], mounts[n_pod])) {
			if (c->w) {
				a->io.workload_destroy(a->io.data, c->w);
				c->w = NULL;
				c->pending[0] = '\0';
			}
			c->in_pod = true;
			n_pod++;
			continue;
		}
		if (c->in_pod) {
			c->in_pod = false;
			c->pending[0] = '\0';
		}
		if (!c->w && a->scree_path) {
			char *dir = xasprintf("%s/containers/%s", u->dir, c->name);
			struct workload_opts o = {
				.name = c->name, .dir = dir, .scree_path = a->scree_path,
				.ready = on_workload_ready, .log = on_workload_log, .data = c,
			};

			if (a->io.workload_start(a->io.data, &o, &c->w) < 0)
				ulog(u, "ERROR", "container %s: cannot start pebble", c->name);
			free(dir);
		}
	}
	if (n_pod && u->pod) {
		/* Known at once, so a refresh to an image not yet here runs no hook meanwhile. */
		u->pod_state = a->io.pod_update(a->io.data, u->pod, pc, n_pod);
	} else if (n_pod) {
		char *vol = xasprintf("%s/containers", u->dir), *sto = xasprintf("%s/storage", u->dir);
		struct unitpod_opts o = {
			.unit = u->name, .dir = vol, .storage_dir = sto, .containers = pc, .n_containers = n_pod,
			.state = on_pod_state, .ready = on_pod_ready, .log = on_pod_log, .data = u,
		};
		struct errbuf eb;

		u->pod_state = UNITPOD_WAITING;
		if (a->io.pod_start(a->io.data, &o, &u->pod, &eb) < 0) {
			ulog(u, "ERROR", "cannot start the unit's pod: %s", eb.msg);
			u->pod = NULL;
			u->pod_state = UNITPOD_BROKEN;
		}
		free(vol);
		free(sto);
	} else if (u->pod) {
		a->io.pod_destroy(a->io.data, u->pod);
		u->pod = NULL;
		free(u->pod_netns);
		u->pod_netns = NULL;
	}
}

/* The workload status the agent shows while the unit's pod keeps its hooks waiting
 * ("waiting for resource", or blocked with the reason it cannot be set up), and the charm's
 * own status back once the pod is up. */
static void set_agent_wl(struct unit *u, const char *status, const char *message, bool by_charm);

static void pod_wait_status(struct unit *u)
{
	const char *status = u->pod_state == UNITPOD_BROKEN ? "blocked" : "waiting";
	const char *message = u->pod_state == UNITPOD_BROKEN ? "cannot run the unit's containers" : "waiting for resource";
	const char *cur = json_string_value(json_object_get(u->wl_status, "status"));
	const char *cur_msg = json_string_value(json_object_get(u->wl_status, "message"));

	if (u->pod_state == UNITPOD_STARTING)
		return; /* a moment: the network and the containers are being set up */
	if (u->wait_set && cur && cur_msg && !strcmp(cur, status) && !strcmp(cur_msg, message))
		return;
	if (!u->wait_set) {
		json_decref(u->wait_saved);
		u->wait_saved = json_deep_copy(u->wl_status);
	}
	set_agent_wl(u, status, message, false);
	u->wait_set = true;
}

static void pod_wait_over(struct unit *u)
{
	json_t *saved = u->wait_saved;

	if (!u->wait_set)
		return;
	u->wait_set = false;
	u->wait_saved = NULL;
	/* Before install the charm has had no say: install sets the agent's own status. */
	if (saved && json_is_string(json_object_get(saved, "status")) &&
	    (u->j.installed || json_is_true(json_object_get(saved, "charm-set"))))
		set_agent_wl(u, json_string_value(json_object_get(saved, "status")),
			     json_string_value(json_object_get(saved, "message")),
			     json_is_true(json_object_get(saved, "charm-set")));
	json_decref(saved);
}

static struct container_rt *container_due(struct unit *u)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (c->pending[0] && strcmp(c->pending, c->seen) &&
		    !u->a->io.timer_armed(u->a->io.data, c->retry))
			return c;
	}
	return NULL;
}

static struct container_rt *container_for_hook(struct unit *u, const char *hook)
{
	for (size_t i = 0; i < u->n_containers; i++)
		if (!strcmp(u->containers[i].hook, hook))
			return &u->containers[i];
	return NULL;
}

static bool containers_settled(struct unit *u)
{
	struct agent *a = u->a;

	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (c->in_pod) {
			if (!u->pod || !a->io.pod_settled(a->io.data, u->pod, c->name))
				return false;
		} else if (!c->w || !a->io.workload_settled(a->io.data, c->w)) {
			return false;
		}
	}
	return true;
}

/* ---- the hook context ---- */

static int ctx_status_set(struct hook_ctx *ctx, bool app, const char *status, const char *message,
			  json_t *data, struct errbuf *eb)
{
	struct unit *u = ctx->agent;
	struct store_unit_row row;
	struct batch b;
	json_t *wl = NULL;
	int r;

	if (app && !agent_unit_is_leader(u)) {
		errbuf_set(eb, "setting application status: unit is not the leader");
		return -EPERM;
	}
	batch_init(&b, u);
	batch_status(&b, app ? "application" : "workload", status, message, data, true);
	agent_unit_row(u, &row);
	if (!app) {
		wl = wl_with(u, status, message, data, true);
		row.wl_status = wl;
	}
	r = batch_commit(&b, &row, eb);
	batch_done(&b);
	if (r < 0) {
		json_decref(wl);
		errbuf_wrap(eb, "cannot set status");
		return r;
	}
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}
	return 0;
}

static void set_agent_wl(struct unit *u, const char *status, const char *message, bool by_charm)
{
	struct store_unit_row row;
	struct errbuf eb;
	struct batch b;
	json_t *wl = wl_with(u, status, message, NULL, by_charm);

	batch_init(&b, u);
	batch_status(&b, "workload", status, message, NULL, by_charm);
	agent_unit_row(u, &row);
	row.wl_status = wl;
	if (batch_commit(&b, &row, &eb) < 0) {
		ulog(u, "WARNING", "cannot record the workload status: %s", eb.msg);
		json_decref(wl);
	} else {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}
	batch_done(&b);
}

/* network-get and unit-get of a unit whose containers run as a pod: the pod's address on
 * its eth0 (charm-runtime.md §3.3); other units see the machine's (netinfo.h). */
static void fill_pod_network(struct unit *u, struct hook_ctx *ctx)
{
	const char *addr = u->pod_address, *cidr = u->pod_cidr;
	char egress[80];

	snprintf(egress, sizeof(egress), strchr(addr, ':') ? "%s/128" : "%s/32", addr);
	/* The same shape as netinfo's documents. */
	ctx->network = json_pack("{s:[{s:s, s:s, s:[{s:s, s:s, s:s, s:s}], s:s, s:s}], s:[s], s:[s]}",
				 "bind-addresses", "mac-address", "", "interface-name", "eth0", "addresses",
				 "hostname", "", "address", addr, "value", addr, "cidr", cidr, "macaddress", "",
				 "interfacename", "eth0", "egress-subnets", egress, "ingress-addresses", addr);
	ctx->private_address = addr;
	ctx->public_address = addr;
}

static void ctx_status_get(struct hook_ctx *ctx, bool app,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct unit *u = ctx->agent;

	if (app) {
		if (!agent_unit_is_leader(u)) {
			done(arg, NULL, "unit is not the leader");
			return;
		}
		agent_query_app_status(u->a, u, done, arg);
		return;
	}
	/* The unit's own workload status: the agent is the one that sets it. */
	json_t *st = json_pack("{s:O, s:O, s:O, s:s}", "status",
			       json_object_get(u->wl_status, "status"), "message",
			       json_object_get(u->wl_status, "message"), "status-data",
			       json_object_get(u->wl_status, "data"), "since", "");

	done(arg, st, NULL);
	json_decref(st);
}

static void ctx_log(struct hook_ctx *ctx, const char *level, const char *message)
{
	struct unit *u = ctx->agent;
	char module[UNITER_HOOK_MAX + PROTO_NAME_MAX + 32];

	snprintf(module, sizeof(module), "unit.%s.juju-log", u->name);
	agent_log(u->a, u, level, module, "%s", message);
}

static bool ctx_is_leader(struct hook_ctx *ctx)
{
	return agent_unit_is_leader(ctx->agent);
}

/* leader-set: buffered in the ctx (the tool has updated ctx->leader_settings) and sent with
 * the hook's commit, so a failed hook changes nothing.  The tool checked leadership. */
static int ctx_leader_set(struct hook_ctx *ctx, json_t *changes, struct errbuf *eb)
{
	struct unit *u = ctx->agent;

	(void)changes;
	(void)eb;
	u->leader_dirty = true;
	return 0;
}

static void ctx_goal_state(struct hook_ctx *ctx,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct unit *u = ctx->agent;

	agent_query(u->a, u, false, true, done, arg);
}

const struct hook_ctx_ops unit_ctx_ops = {
	.status_set = ctx_status_set,
	.status_get = ctx_status_get,
	.log = ctx_log,
	.is_leader = ctx_is_leader,
	.leader_set = ctx_leader_set,
	.goal_state = ctx_goal_state,
	.action_log = unit_task_log,
};

void unit_ctx_clear(struct unit *u)
{
	if (u->ctx_live) {
		agent_context_del(u->a, u);
		agent_queries_cancel(u->a, u, "the hook has finished");
	}
	json_decref(u->ctx.config);
	json_decref(u->ctx.state);
	json_decref(u->ctx.ports);
	json_decref(u->ctx.app_version);
	hook_ctx_done_extras(&u->ctx);
	memset(&u->ctx, 0, sizeof(u->ctx));
	u->ctx_live = false;
	u->leader_dirty = false;
	u->context_id[0] = '\0';
}

void unit_ctx_fill(struct unit *u, const char *hook, const struct relhook *rel)
{
	struct agent *a = u->a;

	memset(&u->ctx, 0, sizeof(u->ctx));
	u->ctx.ops = &unit_ctx_ops;
	u->ctx.agent = u;
	u->ctx.unit = u->name;
	u->ctx.app = u->app->name;
	u->ctx.hook = hook;
	u->ctx.model_uuid = a->model_uuid;
	u->ctx.config = u->app->config ? json_deep_copy(u->app->config) : json_object();
	u->ctx.state = u->state_goal ? json_deep_copy(u->state_goal) : json_object();
	u->ctx.ports = u->ports_goal ? json_deep_copy(u->ports_goal) : json_array();
	unit_rel_fill_ctx(u, rel);
	if (u->pod && u->pod_address[0]) {
		fill_pod_network(u, &u->ctx);
	} else {
		u->ctx.network = json_incref(a->network);
		u->ctx.private_address = netinfo_first_address(a->network);
		u->ctx.public_address = u->ctx.private_address;
	}
	u->ctx.leader_settings = u->app->leader_settings ? json_deep_copy(u->app->leader_settings)
							 : json_object();
	snprintf(u->context_id, sizeof(u->context_id), "%s-%s-%llu", u->name, hook,
		 (unsigned long long)((uint64_t)(a->io.random(a->io.data) * 9007199254740992.0) ^
				      a->io.wall_ns(a->io.data)));
	agent_context_add(a, u);
	u->ctx_live = true;
}

/* ---- one hook ---- */

static void uniter_goal_of(struct unit *u, struct uniter_goal *g)
{
	g->alive = u->alive;
	/* Juju's CharmModifiedVersion when the controller sends it: a new resource revision runs
	 * upgrade-charm too. */
	g->charm_rev = u->app->charm_modified > u->app->charm_rev ? (int)u->app->charm_modified : u->app->charm_rev;
	g->config_hash = u->app->config_hash;
	g->leader = !strcmp(u->app->leader, u->name);
	g->leader_gen = u->app->leader_gen;
}

static void finish_hook(struct unit *u, int code, bool signaled);

static void on_hook_output(void *data, bool is_stderr, const char *line)
{
	struct unit *u = data;
	char module[UNITER_HOOK_MAX + PROTO_NAME_MAX + 32];

	snprintf(module, sizeof(module), "unit.%s.%s", u->name, u->hook);
	agent_log(u->a, u, is_stderr ? "WARNING" : "DEBUG", module, "%s", line);
}

static void on_hook_done(void *data, int code, bool signaled)
{
	struct unit *u = data;

	u->t_exit = u->a->io.mono_ns(u->a->io.data);
	finish_hook(u, code, signaled);
}

/* A long hook: what it did so far goes to the controller now (the rest is held again). */
static void on_out_hold(void *arg)
{
	agent_outbox_flush(arg);
}

static void on_hook_timeout(void *arg)
{
	struct unit *u = arg;

	if (u->state != UNIT_RUNNING || !u->run)
		return;
	ulog(u, "ERROR", "hook \"%s\" timed out; killing it", u->hook);
	u->timed_out = true;
	u->a->io.hook_kill(u->a->io.data, u->run, SIGKILL);
}

static void enter_error(struct unit *u, const char *msg, struct batch *with);

/* Prepares (journal: run-hook/pending, statuses) and spawns hook; the charm files are in
 * place. */
static void start_hook(struct unit *u, const char *hook, const struct relhook *rel)
{
	struct agent *a = u->a;
	struct uniter_journal j2;
	struct uniter_notice notice;
	const struct uniter_notice *nt;
	bool with_notice = false;
	struct uniter_goal g;
	struct store_unit_row row;
	struct errbuf eb;
	struct batch b;
	json_t *wl = NULL, *jj;
	char msg[UNITER_HOOK_MAX + 32];
	uint64_t t1;
	int r;

	if (hook != u->hook)
		snprintf(u->hook, sizeof(u->hook), "%s", hook);
	hook = u->hook;
	uniter_goal_of(u, &g);
	/* A notice hook carries its notice: the one the journal has when it runs again, else the
	 * event of its container. */
	nt = uniter_hook_notice(&u->j);
	if (nt && u->j.step != UNITER_STEP_DONE && !strcmp(u->j.hook, hook)) {
		notice = *nt;
		with_notice = true;
	} else if ((nt = notice_for_hook(u, hook))) {
		notice = *nt;
		with_notice = true;
	}
	uniter_journal_copy(&j2, &u->j);
	if (rel) {
		struct uniter_next n = { .kind = UNITER_NEXT_HOOK, .rel = *rel };

		snprintf(n.hook, sizeof(n.hook), "%s", u->hook);
		uniter_prepare_next(&j2, &n, &g, with_notice ? &notice : NULL);
	} else {
		uniter_prepare(&j2, u->hook, &g, with_notice ? &notice : NULL);
	}
	u->hold_out = true;
	batch_init(&b, u);
	batch_journal(&b, &j2);
	/* Statuses the agent sets around hooks (charm-runtime.md §7.3). */
	if (!strcmp(hook, "install") && !charm_set_status(u))
		wl = wl_with(u, "maintenance", "installing charm software", NULL, false);
	else if (!strcmp(hook, "stop"))
		wl = wl_with(u, "maintenance", "stopping charm software", NULL, false);
	else if (!strcmp(hook, "remove"))
		wl = wl_with(u, "maintenance", "cleaning up prior to charm deletion", NULL, false);
	if (wl)
		batch_status(&b, "workload", json_string_value(json_object_get(wl, "status")),
			     json_string_value(json_object_get(wl, "message")), NULL, false);
	if (strcmp(hook, "update-status") != 0) {
		snprintf(msg, sizeof(msg), "running %s hook", hook);
		batch_status(&b, "agent", "executing", msg, NULL, false);
	}
	agent_unit_row(u, &row);
	jj = journal_of(u, &j2);
	row.journal = jj;
	if (wl)
		row.wl_status = wl;
	r = batch_commit(&b, &row, &eb);
	json_decref(jj);
	batch_done(&b);
	if (r < 0) {
		json_decref(wl);
		uniter_journal_done(&j2);
		ulog(u, "ERROR", "cannot record hook \"%s\" as pending: %s", hook, eb.msg);
		enter_error(u, NULL, NULL);
		return;
	}
	uniter_journal_move(&u->j, &j2);
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}

	unit_ctx_fill(u, u->hook, &u->j.hook_rel);
	u->run_start_ns = a->io.wall_ns(a->io.data);

	struct container_rt *rc = container_for_hook(u, hook);
	char *cdir = u->n_containers ? xasprintf("%s/containers", u->dir) : NULL;

	u->ready_container = rc;
	snprintf(u->ready_boot, sizeof(u->ready_boot), "%s", rc ? rc->pending : "");
	struct hookrun_env env = {
		.unit = u->name, .hook = u->hook, .charm_dir = u->charm_dir,
		.context_id = u->context_id, .socket_path = a->socket_path,
		.tools_dir = a->tools_dir, .model_name = a->model_name,
		.model_uuid = a->model_uuid, .machine = atoi(a->machine),
		.workload = rc ? rc->name : with_notice ? notice.container : NULL,
		.containers_dir = cdir, .api_addresses = a->api_addresses, .relation_id = -1,
		.netns = u->pod ? u->pod_netns : NULL,
	};
	const struct relhook *hr = &u->j.hook_rel;

	if (hr->kind != RELHOOK_NONE) {
		env.relation_id = hr->relation_id;
		env.relation = hr->endpoint;
		env.remote_app = hr->remote_app;
		env.remote_unit = hr->remote_unit;
		env.departing_unit = hr->kind == RELHOOK_DEPARTED ? hr->departing_unit : NULL;
	}
	if (with_notice && notice.kind == UNITER_NOTICE_CUSTOM) {
		env.notice_id = notice.id;
		env.notice_type = "custom";
		env.notice_key = notice.key;
	} else if (with_notice) {
		env.check_name = notice.check;
	}
	struct hookrun_cbs cbs = { .output = on_hook_output, .done = on_hook_done, .data = u };

	set_state(u, UNIT_RUNNING);
	a->running++;
	u->timed_out = false;
	t1 = a->io.mono_ns(a->io.data);
	r = a->io.hook_start(a->io.data, &env, &cbs, &u->run, &eb);
	free(cdir);
	if (r == 0) {
		uint64_t t2 = a->io.mono_ns(a->io.data);

		u->ctx.pid = a->io.hook_pid ? a->io.hook_pid(a->io.data, u->run) : 0;
		if (a->hook_timeout_ms > 0)
			a->io.timer_arm(a->io.data, u->hook_timer, (uint64_t)a->hook_timeout_ms);
		a->stats.hooks++;
		uint64_t prep = t1 - u->t_pop, spawn = t2 - t1;

		a->stats.prep_ns += prep;
		a->stats.spawn_ns += spawn;
		if (prep > a->stats.prep_max_ns)
			a->stats.prep_max_ns = prep;
		if (spawn > a->stats.spawn_max_ns)
			a->stats.spawn_max_ns = spawn;
		if (!a->stats.spawn_min_ns || spawn < a->stats.spawn_min_ns)
			a->stats.spawn_min_ns = spawn;
		ulog(u, "DEBUG", "running \"%s\" hook", hook);
	} else if (r == 1) {
		ulog(u, "INFO", "skipped \"%s\" hook (missing)", hook);
		finish_hook(u, 0, false);
	} else {
		ulog(u, "ERROR", "cannot run \"%s\" hook: %s", hook, eb.msg);
		finish_hook(u, 1, false);
	}
}

/* A hook failed (or could not be prepared): error state, agent status error, retry.  The
 * status goes in the same transaction as what with already holds (the hook's record), or
 * alone. */
static void enter_error(struct unit *u, const char *status_msg, struct batch *with)
{
	struct errbuf eb;
	struct batch own, *b = with ? with : &own;
	char msg[UNITER_HOOK_MAX + 32];

	snprintf(msg, sizeof(msg), "hook failed: \"%s\"", u->j.hook[0] ? u->j.hook : u->hook);
	if (!with)
		batch_init(&own, u);
	/* Only the agent status records the error; `status` shows it in the workload column,
	 * and the charm's own workload status returns once the hook succeeds. */
	batch_status(b, "agent", "error", status_msg ? status_msg : msg, NULL, false);
	if (batch_commit(b, NULL, &eb) < 0)
		ulog(u, "ERROR", "cannot record the error state: %s", eb.msg);
	if (!with)
		batch_done(&own);
	set_state(u, UNIT_ERROR);
	arm_retry(u);
}

void unit_ctx_changes(struct unit *u, struct proto_action_result *m)
{
	m->relations = unit_rel_changes(u, true, &u->rs, NULL);
	if (u->ctx.state && !json_equal(u->ctx.state, u->state_goal))
		m->state = json_incref(u->ctx.state);
	if (u->ctx.ports && !json_equal(u->ctx.ports, u->ports_goal))
		m->ports = json_incref(u->ctx.ports);
	if (u->leader_dirty && u->ctx.leader_settings)
		m->leader_settings = json_incref(u->ctx.leader_settings);
}

/* Hook succeeded, or `resolved --no-retry` skips it: queues commit-hook (with the hook's
 * buffered changes when with_changes) and waits for the ack.  The commit goes in the same
 * transaction as what with already holds (the hook's record), or alone. */
static void begin_commit(struct unit *u, bool with_changes, struct batch *with)
{
	struct uniter_journal j2;
	struct relstate rs2;
	struct store_unit_row row;
	struct proto_msg m;
	struct errbuf eb;
	struct batch own, *b = with ? with : &own;
	json_t *jj, *wl = NULL, *rels;
	int r;

	uniter_journal_copy(&j2, &u->j);
	relstate_init(&rs2);
	relstate_copy(&rs2, &u->rs);
	uniter_commit_rel(&j2, &rs2);
	if (with_changes)
		unit_rel_own_writes(u, &rs2);
	rels = unit_rel_changes(u, with_changes, &rs2, &u->j.hook_rel);
	jj = unit_journal_json(&j2, &rs2, u->task_id, u->task_done_id);
	relstate_done(&rs2);
	uniter_journal_done(&j2);
	proto_msg_init(&m, PROTO_COMMIT_HOOK);
	m.u.commit_hook.unit = u->name;
	m.u.commit_hook.hook = u->j.hook;
	m.u.commit_hook.journal = jj;
	m.u.commit_hook.relations = rels;
	if (with_changes && u->ctx_live) {
		if (u->ctx.state && !json_equal(u->ctx.state, u->state_goal))
			m.u.commit_hook.state = u->ctx.state;
		if (u->ctx.ports && !json_equal(u->ctx.ports, u->ports_goal))
			m.u.commit_hook.ports = u->ctx.ports;
		if (json_is_string(u->ctx.app_version))
			m.u.commit_hook.app_version = json_string_value(u->ctx.app_version);
		if (u->leader_dirty && u->ctx.leader_settings)
			m.u.commit_hook.leader_settings = u->ctx.leader_settings;
	}
	if (!with)
		batch_init(&own, u);
	int64_t seq = batch_add(b, &m);

	json_decref(rels);
	if (!strcmp(u->j.hook, "start") && !charm_set_status(u))
		wl = wl_with(u, "unknown", "", NULL, false);
	if (!strcmp(u->j.hook, "remove"))
		wl = wl_with(u, "terminated", "", NULL, false);
	if (wl)
		batch_status(b, "workload", json_string_value(json_object_get(wl, "status")), "", NULL,
			     false);
	agent_unit_row(u, &row);
	if (wl)
		row.wl_status = wl;
	r = batch_commit(b, &row, &eb);
	if (!with)
		batch_done(&own);
	if (r < 0) {
		/* The hook ran but its commit cannot be recorded: it counts as failed, and the
		 * retry runs it again (at-least-once), rather than pretending it committed. */
		json_decref(jj);
		json_decref(wl);
		ulog(u, "ERROR", "cannot record the commit of hook \"%s\": %s", u->j.hook, eb.msg);
		enter_error(u, NULL, NULL);
		return;
	}
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}
	u->commit_seq = seq;
	json_decref(u->commit_journal);
	u->commit_journal = jj;
	set_state(u, UNIT_COMMITTING);
}

static void finish_hook(struct unit *u, int code, bool signaled)
{
	struct agent *a = u->a;
	uint64_t dur = a->io.wall_ns(a->io.data) - u->run_start_ns;
	struct container_rt *rc = u->ready_container;
	struct errbuf eb;
	struct batch b;

	if (u->run) {
		a->io.hook_free(a->io.data, u->run);
		u->run = NULL;
	}
	a->io.timer_disarm(a->io.data, u->hook_timer);
	a->running--;
	u->ready_container = NULL;
	batch_init(&b, u);
	batch_hook_ran(&b, u->hook, u->run_start_ns, dur, code);
	if (rc && code != 0) {
		/* A failed pebble-ready is not an error: the boot id stays unrecorded and the
		 * event comes again a little later (charm-runtime.md §10). */
		struct uniter_journal j2;
		struct store_unit_row row;
		json_t *jj;

		ulog(u, "WARNING", "hook \"%s\" failed (exit %d); it will run again", u->hook, code);
		uniter_journal_copy(&j2, &u->j);
		uniter_commit(&j2);
		batch_journal(&b, &j2);
		batch_status(&b, "agent", "idle", "", NULL, false);
		agent_unit_row(u, &row);
		jj = journal_of(u, &j2);
		row.journal = jj;
		if (batch_commit(&b, &row, &eb) == 0)
			uniter_journal_move(&u->j, &j2);
		else
			ulog(u, "ERROR", "cannot record the skipped hook: %s", eb.msg);
		uniter_journal_done(&j2);
		json_decref(jj);
		a->io.timer_arm(a->io.data, rc->retry, AGENT_PEBBLE_READY_RETRY_MS);
		set_state(u, UNIT_IDLE);
	} else if (code == 0) {
		begin_commit(u, true, &b);
		if (u->t_exit) {
			uint64_t c = a->io.mono_ns(a->io.data) - u->t_exit;

			a->stats.commit_ns += c;
			if (c > a->stats.commit_max_ns)
				a->stats.commit_max_ns = c;
			u->t_exit = 0;
		}
	} else {
		if (u->timed_out)
			ulog(u, "ERROR", "hook \"%s\" failed: timed out", u->hook);
		else if (signaled)
			ulog(u, "ERROR", "hook \"%s\" failed: killed by signal %d", u->hook, code - 128);
		else
			ulog(u, "ERROR", "hook \"%s\" failed: exit status %d", u->hook, code);
		enter_error(u, NULL, &b);
	}
	batch_done(&b);
	unit_ctx_clear(u);
	arm_update_status(u);
	unit_kick(u);
	schedule_pump(a);
}

/* ---- charm files before install / upgrade-charm ---- */

static void on_installed(void *arg, const char *error)
{
	struct unit *u = arg;
	struct agent *a = u->a;

	u->install = NULL;
	if (u->state != UNIT_PREPARING)
		return;
	if (error) {
		char msg[512];

		ulog(u, "ERROR", "cannot install charm files: %s", error);
		snprintf(msg, sizeof(msg), "cannot install charm: %.400s", error);
		enter_error(u, msg, NULL);
		return;
	}
	/* The files are those asked for, whatever the goal says by now (a refresh meanwhile
	 * installs again before the hook). */
	if (strcmp(u->charm_digest, u->install_digest)) {
		agent_digest_ref(a, u->install_digest, +1);
		if (*u->charm_digest)
			agent_digest_ref(a, u->charm_digest, -1);
		free(u->charm_digest);
		u->charm_digest = xstrdup(u->install_digest);
	}
	/* The files are in place: the hook waits for a slot like any other (the resolver names
	 * it again, now with nothing to install). */
	set_state(u, UNIT_IDLE);
	unit_kick(u);
}

static void prepare_files(struct unit *u, const char *hook)
{
	struct agent *a = u->a;
	struct agent_install_req req = {
		.unit = u->name, .dir = u->charm_dir, .digest = u->app->digest,
		.size = u->app->charm_size,
		.old_digest = !strcmp(hook, "upgrade-charm") ? u->charm_digest : "",
	};
	struct errbuf eb;

	snprintf(u->hook, sizeof(u->hook), "%s", hook);
	snprintf(u->install_digest, sizeof(u->install_digest), "%s", u->app->digest);
	/* File work does not take a hook slot: the cache installs for many units in one worker
	 * (one fork for hundreds of units, not one per unit) while hooks run. */
	set_state(u, UNIT_PREPARING);
	if (a->io.charm_install(a->io.data, &req, on_installed, u, &u->install, &eb) < 0)
		on_installed(u, eb.msg);
}

/* ---- deciding ---- */

static void report_dead(struct unit *u)
{
	struct proto_msg m;
	struct errbuf eb;
	struct batch b;

	/* A pod goes first, so a unit gone from the model has left nothing behind on its
	 * machine: its GONE state kicks the unit, which comes back here. */
	if (u->pod && u->pod_state != UNITPOD_GONE) {
		u->a->io.pod_remove(u->a->io.data, u->pod);
		return;
	}
	ulog(u, "INFO", "unit is dead");
	batch_init(&b, u);
	proto_msg_init(&m, PROTO_UNIT_DEAD);
	m.u.unit_dead.unit = u->name;
	u->dead_seq = batch_add(&b, &m);
	if (batch_commit(&b, NULL, &eb) < 0) {
		ulog(u, "ERROR", "cannot record the unit's death: %s", eb.msg);
		batch_done(&b);
		return;
	}
	batch_done(&b);
	set_state(u, UNIT_DEAD);
	/* The unit's workloads and directory go before the controller hears of the death (the
	 * message only leaves when the loop turns), so a unit gone from the model has left
	 * nothing behind on its machine. */
	stop_containers(u, true);
	u->a->io.remove_tree(u->a->io.data, u->dir);
}

/* The resolver's answer for u now (relations included). */
static void decide(struct unit *u, const struct uniter_flags *f, struct uniter_next *n)
{
	struct uniter_goal g;

	uniter_goal_of(u, &g);
	u->rg.goals.unit = u->name;
	u->rg.goals.unit_alive = u->alive;
	u->rg.goals.app_alive = !u->app->dying;
	uniter_decide(&u->j, &u->rs, &g, &u->rg.goals, f, n);
}

/* Decides and starts the next step of u. */
static void unit_step(struct unit *u)
{
	struct agent *a = u->a;
	struct uniter_flags f = { .update_status_due = u->update_status_due,
				  .lease_valid = agent_lease_ok(a) };
	struct uniter_goal g;
	struct uniter_next n;

	if (!u->have_goal || !u->app || !u->app->have_goal || u->task)
		return;
	/* Actions run before the next hook, and also while the unit is in error (Juju). */
	if ((u->state == UNIT_IDLE || u->state == UNIT_ERROR) && unit_task_due(u)) {
		unit_task_start(u);
		return;
	}
	if (u->state != UNIT_IDLE)
		return;
	uniter_goal_of(u, &g);
	if (g.alive)
		sync_containers(u);
	/* A unit whose containers run as a pod runs its hooks in the pod's network namespace,
	 * once its images are there and the pod is up (as a Kubernetes pod's charm container
	 * starts with its workload containers). */
	if (g.alive && u->pod && u->pod_state != UNITPOD_UP) {
		pod_wait_status(u);
		return;
	}
	pod_wait_over(u);
	struct container_rt *due = container_due(u);

	f.workload_hook = due ? due->hook : NULL;
	f.notice_hook = notice_due(u);
	/* Losing the lease runs no hook (§7.1); the next lease runs leader-elected again. */
	if (!g.leader && u->j.leader) {
		struct uniter_journal j2;
		struct store_unit_row row;
		struct errbuf eb;
		struct batch b;
		json_t *jj;

		uniter_journal_copy(&j2, &u->j);
		j2.leader = false;
		batch_init(&b, u);
		batch_journal(&b, &j2);
		agent_unit_row(u, &row);
		jj = journal_of(u, &j2);
		row.journal = jj;
		if (batch_commit(&b, &row, &eb) == 0)
			uniter_journal_move(&u->j, &j2);
		else
			ulog(u, "ERROR", "cannot record the loss of leadership: %s", eb.msg);
		uniter_journal_done(&j2);
		json_decref(jj);
		batch_done(&b);
	}
	decide(u, &f, &n);
	if (n.kind == UNITER_NEXT_DEAD) {
		report_dead(u);
		return;
	}
	if (n.kind != UNITER_NEXT_HOOK)
		return;
	if (!strcmp(n.hook, "update-status"))
		u->update_status_due = false;
	if ((!strcmp(n.hook, "install") || !strcmp(n.hook, "upgrade-charm")) &&
	    strcmp(u->charm_digest, u->app->digest)) {
		prepare_files(u, n.hook);
		return;
	}
	start_hook(u, n.hook, n.rel.kind != RELHOOK_NONE ? &n.rel : NULL);
}

void unit_pump(struct agent *a)
{
	while (a->running < a->max_parallel && a->q_head && !a->shutting_down) {
		struct unit *u = a->q_head;

		a->q_head = u->q_next;
		if (!a->q_head)
			a->q_tail = NULL;
		u->q_next = NULL;
		u->queued = false;
		u->t_pop = a->io.mono_ns(a->io.data);
		unit_step(u);
		unit_progress_dirty(u);
	}
}

/* ---- controller messages ---- */

static void finish_commit(void *arg);

static void on_commit_retry(void *arg)
{
	finish_commit(arg);
}

/* The commit was acknowledged: the journal moves on, in memory and in the store together. */
static void finish_commit(void *arg)
{
	struct unit *u = arg;
	struct agent *a = u->a;
	struct uniter_journal j2;
	struct store_unit_row row;
	struct errbuf eb;
	struct container_rt *rc;
	bool was_update_status;

	if (u->state != UNIT_COMMITTING)
		return;
	struct relstate rs2;
	int64_t task, task_done;

	uniter_journal_init(&j2);
	if (uniter_journal_from_json(u->commit_journal, &j2, &eb) < 0 ||
	    unit_journal_extras(u->commit_journal, &rs2, &task, &task_done, &eb) < 0) {
		ulog(u, "ERROR", "internal error: %s", eb.msg);
		uniter_journal_done(&j2);
		return;
	}
	char hook[UNITER_HOOK_MAX];
	bool was_error = u->retries > 0;
	struct batch b;

	snprintf(hook, sizeof(hook), "%s", u->j.hook);
	was_update_status = !strcmp(hook, "update-status");
	/* One transaction: the journal moves on, the acknowledged rows go, the agent status
	 * returns to idle. */
	batch_init(&b, u);
	if (!was_update_status || was_error)
		batch_status(&b, "agent", "idle", "", NULL, false);
	agent_unit_row(u, &row);
	row.journal = u->commit_journal;
	if (batch_commit_ack(&b, &row, u->commit_seq, &eb) < 0) {
		batch_done(&b);
		ulog(u, "ERROR", "cannot record the acknowledged commit of \"%s\": %s (trying again)",
		     u->j.hook, eb.msg);
		relstate_done(&rs2);
		uniter_journal_done(&j2);
		a->io.timer_arm(a->io.data, u->commit_timer, AGENT_COMMIT_RETRY_MS);
		return;
	}
	batch_done(&b);
	if (u->j.hook_rel.kind != RELHOOK_NONE)
		unit_rel_forget(u, &u->j.hook_rel);
	/* A notice hook: its container's watch goes on past the notice. */
	const struct uniter_notice *hn = uniter_hook_notice(&u->j);
	struct uniter_notice done_notice;
	bool notice_done = hn != NULL;

	if (hn)
		done_notice = *hn;
	uniter_journal_move(&u->j, &j2);
	relstate_done(&u->rs);
	u->rs = rs2;
	json_decref(u->commit_journal);
	u->commit_journal = NULL;
	rc = container_for_hook(u, hook);
	if (rc && u->ready_boot[0])
		snprintf(rc->seen, sizeof(rc->seen), "%s", u->ready_boot);
	/* A refresh replaces the workload containers, as a new pod would: new boot ids, so
	 * pebble-ready follows upgrade-charm -> config-changed. */
	if (!strcmp(hook, "upgrade-charm"))
		for (size_t i = 0; i < u->n_containers; i++) {
			struct container_rt *c = &u->containers[i];

			if (c->in_pod && u->pod)
				a->io.pod_restart(a->io.data, u->pod, c->name);
			else if (c->w)
				a->io.workload_restart(a->io.data, c->w);
		}
	u->retries = 0;
	ulog(u, "INFO", "committed \"%s\" hook", hook);
	set_state(u, UNIT_IDLE);
	arm_update_status(u);
	if (notice_done)
		for (size_t i = 0; i < u->n_containers; i++)
			if (u->containers[i].nw && !strcmp(u->containers[i].name, done_notice.container))
				notice_watch_committed(u->containers[i].nw, &done_notice);
	unit_kick(u);
}

void unit_on_ack(struct unit *u, int64_t seq)
{
	if (u->state == UNIT_COMMITTING && seq >= u->commit_seq) {
		finish_commit(u);
	} else if (u->state == UNIT_DEAD && seq >= u->dead_seq) {
		ulog(u, "INFO", "unit removed");
		unit_free(u, true);
	}
}

void unit_on_nack(struct unit *u, int64_t seq, const char *error)
{
	if (u->state == UNIT_COMMITTING && seq == u->commit_seq) {
		ulog(u, "ERROR", "the controller refused the commit of hook \"%s\": %s", u->j.hook, error);
		json_decref(u->commit_journal);
		u->commit_journal = NULL;
		enter_error(u, NULL, NULL);
		return;
	}
	ulog(u, "WARNING", "the controller refused message %lld: %s", (long long)seq, error);
}

/* `resolved`: acts once per resolve generation, only in error. */
static void apply_resolve(struct unit *u)
{
	struct agent *a = u->a;
	struct store_unit_row row;
	struct errbuf eb;
	bool skip;

	if (u->resolve_gen <= u->resolved_gen)
		return;
	skip = !strcmp(u->resolve_mode, "no-hooks");
	agent_unit_row(u, &row);
	row.resolved_gen = u->resolve_gen;
	if (u->state == UNIT_ERROR) {
		struct batch b;

		batch_init(&b, u);
		batch_status(&b, "agent", "idle", "", NULL, false);
		if (batch_commit(&b, &row, &eb) < 0) {
			ulog(u, "ERROR", "cannot record `resolved`: %s", eb.msg);
			batch_done(&b);
			return;
		}
		batch_done(&b);
		u->resolved_gen = u->resolve_gen;
		a->io.timer_disarm(a->io.data, u->retry_timer);
		u->retries = 0;
		if (skip) {
			/* `resolved --no-retry`: commit the failed hook as if it had succeeded; its
			 * follow-ups still run (§10). */
			ulog(u, "INFO", "hook \"%s\" resolved without retry", u->j.hook);
			begin_commit(u, false, NULL);
		} else {
			ulog(u, "INFO", "hook \"%s\" resolved: running it again", u->j.hook);
			set_state(u, UNIT_IDLE);
		}
		return;
	}
	/* Not in error (any more): nothing to do, but remember it was seen. */
	struct store_txn t = { .unit = &row };

	if (a->io.store_apply(a->io.data, &t, &eb) == 0)
		u->resolved_gen = u->resolve_gen;
}

void unit_on_goal(struct unit *u)
{
	u->containers_dirty = true;
	apply_resolve(u);
	unit_kick(u);
}

void unit_on_model_config(struct unit *u)
{
	u->a->io.timer_disarm(u->a->io.data, u->us_timer);
	arm_update_status(u);
}

/* ---- progress ---- */

static void progress_deferred(void *arg);

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

	*settled = containers_settled(u);
	*gen = u->app ? (u->gen > u->app->gen ? u->gen : u->app->gen) : u->gen;
	if (u->task || (u->have_goal && unit_task_due(u))) {
		*state = "busy";
	} else if (u->state == UNIT_ERROR) {
		*state = "error";
	} else if (u->state != UNIT_IDLE || u->queued || !u->have_goal || !u->app ||
		   !u->app->have_goal) {
		*state = "busy";
	} else {
		uniter_goal_of(u, &g);
		f.workload_hook = NULL;
		decide(u, &f, &n);
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
	       *gen != u->sent_gen;
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
		m.u.progress.settled = settled;
		agent_send(a, &m);
		u->sent_progress = true;
		u->sent_state = state;
		u->sent_settled = settled;
		u->sent_gen = gen;
	}
}

/* ---- life ---- */

struct unit *unit_new(struct agent *a, const char *name, const struct store_unit_row *row)
{
	struct unit *u = xcalloc(1, sizeof(*u));
	const char *slash = strchr(name, '/');
	struct errbuf eb;

	u->a = a;
	u->name = xstrdup(name);
	u->dir = xasprintf("%s/agents/unit-%.*s-%s", a->home, (int)(slash - name), name, slash + 1);
	u->charm_dir = xasprintf("%s/charm", u->dir);
	u->state = UNIT_IDLE;
	uniter_journal_init(&u->j);
	u->next_seq = 1;
	u->charm_digest = xstrdup("");
	u->wl_status = json_pack("{s:s, s:s, s:{}, s:b}", "status", "maintenance", "message", "",
				 "data", "charm-set", 0);
	relstate_init(&u->rs);
	u->gone = json_array();
	if (row) {
		if (row->journal && (uniter_journal_from_json(row->journal, &u->j, &eb) < 0 ||
				     unit_journal_extras(row->journal, &u->rs, &u->task_id,
							 &u->task_done_id, &eb) < 0)) {
			agent_log(a, u, "ERROR", "juju.worker.uniter", "%s; starting afresh", eb.msg);
			uniter_journal_done(&u->j);
			relstate_done(&u->rs);
			relstate_init(&u->rs);
			u->task_id = 0;
		}
		u->next_seq = row->next_seq > 0 ? row->next_seq : 1;
		u->resolved_gen = row->resolved_gen;
		if (row->charm_digest && *row->charm_digest) {
			free(u->charm_digest);
			u->charm_digest = xstrdup(row->charm_digest);
			agent_digest_ref(a, u->charm_digest, +1);
		}
		if (json_is_object(row->wl_status)) {
			json_decref(u->wl_status);
			u->wl_status = json_deep_copy(row->wl_status);
		}
	}
	if (u->j.op == UNITER_OP_RUN_HOOK && u->j.step == UNITER_STEP_PENDING)
		agent_log(a, u, "INFO", "juju.worker.uniter",
			  "hook \"%s\" was interrupted; running it again", u->j.hook);
	u->containers_dirty = true;
	u->retry_timer = a->io.timer_new(a->io.data, on_retry, u);
	u->us_timer = a->io.timer_new(a->io.data, on_update_status, u);
	u->hook_timer = a->io.timer_new(a->io.data, on_hook_timeout, u);
	u->out_timer = a->io.timer_new(a->io.data, on_out_hold, u);
	u->commit_timer = a->io.timer_new(a->io.data, on_commit_retry, u);
	return u;
}

void unit_free(struct unit *u, bool destroy)
{
	struct agent *a;

	if (!u)
		return;
	a = u->a;
	if (u->queued)
		queue_remove(u);
	if (u->progress_dirty) {
		struct unit **pp = &a->p_head;

		while (*pp && *pp != u)
			pp = &(*pp)->p_next;
		if (*pp)
			*pp = u->p_next;
	}
	if (u->install) {
		a->io.charm_cancel(a->io.data, u->install);
		u->install = NULL;
	}
	if (u->run) {
		if (!destroy) {
			/* An orderly stop: the hook runs again on the next start, not failed. */
			struct uniter_journal j2;
			struct store_unit_row row;
			struct store_txn t;
			struct errbuf eb;
			json_t *jj;

			uniter_journal_copy(&j2, &u->j);
			uniter_requeue(&j2);
			jj = journal_of(u, &j2);
			uniter_journal_done(&j2);
			agent_unit_row(u, &row);
			row.journal = jj;
			memset(&t, 0, sizeof(t));
			t.unit = &row;
			if (a->io.store_apply(a->io.data, &t, &eb) < 0)
				agent_log(a, u, "ERROR", "juju.worker.uniter",
					  "cannot queue hook \"%s\" again: %s", u->j.hook, eb.msg);
			json_decref(jj);
		}
		a->io.hook_free(a->io.data, u->run);
		u->run = NULL;
		a->running--;
	}
	unit_task_free(u);
	unit_ctx_clear(u);
	stop_containers(u, destroy);
	if (destroy && a->io.pod_forget_unit)
		a->io.pod_forget_unit(a->io.data, u->name);
	json_decref(u->wait_saved);
	u->wait_saved = NULL;
	if (destroy) {
		struct store_txn t;
		struct errbuf eb;

		memset(&t, 0, sizeof(t));
		t.delete_unit = u->name;
		if (a->io.store_apply(a->io.data, &t, &eb) < 0)
			agent_log(a, NULL, "ERROR", "juju.worker.machine", "cannot forget unit %s: %s",
				  u->name, eb.msg);
		a->io.remove_tree(a->io.data, u->dir);
	}
	if (*u->charm_digest)
		agent_digest_ref(a, u->charm_digest, -1);
	hmap_del(&a->units, u->name);
	if (u->app) {
		u->app->n_units--;
		if (u->app->n_units == 0) {
			struct app *app = u->app;

			hmap_del(&a->apps, app->name);
			if (app->have_goal)
				agent_digest_ref(a, app->digest, -1);
			if (destroy)
				a->io.store_put_goal(a->io.data, "app", app->name, NULL);
			agent_app_free(app);
		}
	}
	a->io.timer_free(a->io.data, u->retry_timer);
	a->io.timer_free(a->io.data, u->us_timer);
	a->io.timer_free(a->io.data, u->hook_timer);
	a->io.timer_free(a->io.data, u->out_timer);
	a->io.timer_free(a->io.data, u->commit_timer);
	for (struct outmsg *m = u->out_head, *n; m; m = n) {
		n = m->next;
		json_decref(m->msg);
		free(m);
	}
	json_decref(u->state_goal);
	json_decref(u->ports_goal);
	json_decref(u->wl_status);
	json_decref(u->commit_journal);
	json_decref(u->row_journal);
	uniter_journal_done(&u->j);
	relstate_done(&u->rs);
	relgoal_done(&u->rg);
	json_decref(u->gone);
	json_decref(u->tasks_goal);
	free(u->charm_digest);
	free(u->name);
	free(u->dir);
	free(u->charm_dir);
	free(u);
	schedule_pump(a);
}

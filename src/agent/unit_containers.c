/* unit_containers.c - a unit's workload containers: a scree on the host for each container
 * without an image, the unit's pod for those with one, and each container's notice watch
 * (notices.h); which container's pebble-ready or notice hook is due, and the workload status
 * the agent shows while the pod keeps hooks waiting.  See agent_internal.h. */
#include "agent/agent_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
const char *unit_notice_due(struct unit *u)
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
const struct uniter_notice *unit_notice_for_hook(struct unit *u, const char *hook)
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

void unit_containers_stop(struct unit *u, bool destroy)
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
void unit_containers_sync(struct unit *u)
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
			unit_containers_stop(u, true);
		return;
	}
	if (u->containers && !same_containers(u))
		unit_containers_stop(u, true); /* a refresh changed the charm's containers */
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

static void set_agent_wl(struct unit *u, const char *status, const char *message, bool by_charm)
{
	struct store_unit_row row;
	struct errbuf eb;
	struct batch b;
	json_t *wl = unit_wl_with(u, status, message, NULL, by_charm);

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

/* The workload status the agent shows while the unit's pod keeps its hooks waiting
 * ("waiting for resource", or blocked with the reason it cannot be set up), and the charm's
 * own status back once the pod is up. */
void unit_pod_wait_status(struct unit *u)
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

void unit_pod_wait_over(struct unit *u)
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

struct container_rt *unit_container_due(struct unit *u)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (c->pending[0] && strcmp(c->pending, c->seen) &&
		    !u->a->io.timer_armed(u->a->io.data, c->retry))
			return c;
	}
	return NULL;
}

struct container_rt *unit_container_for_hook(struct unit *u, const char *hook)
{
	for (size_t i = 0; i < u->n_containers; i++)
		if (!strcmp(u->containers[i].hook, hook))
			return &u->containers[i];
	return NULL;
}

bool unit_containers_settled(struct unit *u)
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

/* pods.h - the machine agent's pods (issue 11): a unit whose containers have oci-image
 * resources runs as a pod (src/pod/pod.h), one container per such container of the charm.
 *
 * One pod runtime per agent, opened on first use under <machine dir>/pods/ (image store, runc
 * root, per-pod state) with its network settings in <machine dir>/pods.json: a name prefix
 * for namespaces and cgroups and a bridge, both derived from the machine directory (several
 * agents on one host never collide), and a /24 no route of the host uses, chosen once.
 *
 * Images travel by content: an image a pod needs and the store lacks is fetched from the
 * controller by its fingerprint (fetch.h, resource-get), imported once per manifest digest
 * (checked: the archive must hold the image the goal names) and unpacked once per digest by
 * the pod module's image store.  An image no pod wants any more is deleted.
 *
 * A unit pod (struct unitpod) goes WAITING (its images are being fetched or imported) ->
 * STARTING (network, then containers) -> UP (the pod's address is known; hooks may run in its
 * network namespace); BROKEN when it cannot be set up (the runtime cannot open, the network
 * fails), retried with backoff (an image that cannot be had keeps it WAITING, with the reason
 * in the message, and is tried again); GONE once unitpod_remove() has removed it.  Each container's new boot id is
 * reported (a container that exits is restarted, so every restart reports a new one);
 * unitpod_update() changes the images the pod should run (a new image is fetched while the
 * running containers go on; the state is WAITING until it is there) and unitpod_restart()
 * restarts one container with the newest image it should run, as a refresh does.  A change of
 * which containers the pod has replaces the pod (a new address), as on Kubernetes.
 *
 * Removal (unitpod_destroy) stops and removes everything of the pod in the background;
 * unitpod_detach leaves it running for the next agent, which adopts it (no second
 * container).  The agent is the child subreaper of the containers' inits (main.c), and the
 * pod module watches each through a pidfd; once every pod found on disk at start-up has been
 * adopted, unpacked root filesystems nobody holds are deleted. */
#ifndef CAIRN_PODS_H
#define CAIRN_PODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/fetch.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define PODS_IMAGE_RETRY_MS 10000     /* a failed fetch or import is tried again */
#define PODS_START_RETRY_MIN_MS 1000  /* a container that cannot start, a network that fails */
#define PODS_START_RETRY_MAX_MS 60000
#define PODS_RESTART_DELAY_MS 500     /* before restarting a container that exited */
#define PODS_MOUNTS_MAX 16

enum unitpod_state { UNITPOD_WAITING, UNITPOD_STARTING, UNITPOD_UP, UNITPOD_BROKEN, UNITPOD_GONE, _UNITPOD_STATE_MAX };

/* "waiting", "starting", "up", "broken", "gone". */
static inline const char *unitpod_state_name(enum unitpod_state s)
{
	static const char *const names[_UNITPOD_STATE_MAX] = { "waiting", "starting", "up", "broken", "gone" };

	return (unsigned)s < _UNITPOD_STATE_MAX ? names[s] : "invalid";
}

struct pods;
struct unitpod;

/* A `mounts:` entry: <storage dir>/<storage> bound at location. */
struct unitpod_mount {
	const char *storage;
	const char *location;
};

struct unitpod_container {
	const char *name;        /* the charm's container name */
	const char *image;       /* manifest digest "sha256:<hex>" */
	const char *fingerprint; /* of the resource content holding it (resource-get) */
	int64_t size;
	const struct unitpod_mount *mounts;
	size_t n_mounts;
};

/* What an UP pod is. */
struct unitpod_info {
	const char *address;     /* the pod's IPv4 address */
	const char *cidr;        /* the pod network ("10.1.2.0/24") */
	const char *netns;       /* path of its network namespace */
};

struct unitpod_opts {
	const char *unit;        /* "web/0" (the pod's id and hostname derive from it) */
	const char *dir;         /* volume directory: container c's socket is <dir>/<c>/pebble.socket */
	const char *storage_dir; /* `mounts:` bind <storage_dir>/<storage> (created) */
	const struct unitpod_container *containers;
	size_t n_containers;
	/* The state changed; info is set for UP, msg says why for WAITING and BROKEN. */
	void (*state)(void *data, enum unitpod_state s, const struct unitpod_info *info, const char *msg);
	/* Container c answers with a boot id (a new one after each start; the same one when a
	 * running container was adopted). */
	void (*ready)(void *data, const char *container, const char *boot_id);
	void (*log)(void *data, const char *level, const char *message);
	void *data;
};

struct pods_opts {
	const char *machine_dir; /* <home>/agents/machine-N */
	const char *scree_path;  /* the static scree injected into containers */
	struct fetcher *fetcher; /* resource content from the controller (borrowed) */
};

/* Nothing runs until the first pod: the runtime opens then.  Never fails. */
struct pods *pods_new(struct loop *l, const struct pods_opts *o);
/* Frees everything, leaving pods running (as unitpod_detach).  NULL is fine. */
void pods_free(struct pods *ps);

/* Starts (or adopts) a unit's pod.  Everything is copied; callbacks never run from inside
 * this call.  Returns 0, or -EINVAL (eb) for bad options. */
int unitpod_start(struct pods *ps, const struct unitpod_opts *o, struct unitpod **ret, struct errbuf *eb);
/* The images (and containers) the pod should run from now on; see above.  Returns the pod's
 * state after the change (WAITING when an image it now wants is not there yet); the state
 * callback reports later changes, never from inside this call. */
enum unitpod_state unitpod_update(struct unitpod *p, const struct unitpod_container *c, size_t n);
/* Restarts container name with the newest image it should run (once that is there). */
void unitpod_restart(struct unitpod *p, const char *name);
/* Whether container name runs and has reported its boot id since its last (re)start. */
bool unitpod_settled(const struct unitpod *p, const char *name);
/* Removes the pod; the state callback reports GONE once nothing of it is left (a unit
 * reports its death only then).  The handle stays valid (free it with unitpod_destroy). */
void unitpod_remove(struct unitpod *p);
/* Removes the pod in the background (the handle is gone at once).  NULL is fine. */
void unitpod_destroy(struct unitpod *p);
/* Frees the handle, leaving the pod running.  NULL is fine. */
void unitpod_detach(struct unitpod *p);
/* Removes a unit's pod that has no handle (the unit went while no agent ran): whatever of it
 * is on disk is adopted and removed in the background. */
void pods_remove_unit(struct pods *ps, const char *unit);

/* Calls done (never from inside this call) once every pod is removed, no deletion runs any
 * more and the host bridge is gone: the end of a machine's teardown. */
void pods_drain(struct pods *ps, void (*done)(void *arg), void *arg);

/* A unit's pod id: "<app>-<n>", shortened with a hash when too long ([a-z0-9-]). */
void pods_id_of(const char *unit, char *out, size_t n);

#endif

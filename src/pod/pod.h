/* pod.h - units as pods: each pod is one network namespace with an address on the host
 * bridge, and one runc container per workload container, each from its image's root
 * filesystem with the static scree bind-mounted at /charm/bin/pebble as its entrypoint (as
 * Juju injects Pebble on Kubernetes; see podspec.h for the exact contract).
 *
 * A pod runtime is the supervisor's handle on everything pods share: the image store, the
 * pod network (bridge + host-local IPAM through the CNI plugins), runc's state directory, and
 * the names it may create on the host (network namespaces and cgroups start with its
 * prefix).  Everything it owns lives under one store directory:
 *   images/ rootfs/ tmp/   the image store (image_store.h)
 *   net/                   <network>.conflist and the host-local allocations
 *   runc/                  runc --root
 *   pods/<id>/             per pod: net.json (cached CNI result), hosts, hostname, and per
 *                          container a bundle (config.json, rootfs/ = the overlay mount,
 *                          upper/ work/ = its writable layer), state.json, container.log
 * The caller names each pod's volume directory: container c's scree socket appears at
 * <pod dir>/<c>/pebble.socket (the directory is /charm/container inside the container).
 *
 * Root filesystems: the image's unpacked tree is the read-only lower layer of an overlay
 * mounted per container (upper and work on the store's filesystem); runc gets the mounted
 * overlay as its root.  Many containers share one unpacked tree and start without copying it;
 * each (re)start gets a fresh writable layer, as a Kubernetes container restart does, while
 * the shared volume (Pebble's state) persists.
 *
 * Events.  Everything is asynchronous; the pod reports through one callback:
 *   POD_EV_NETWORK          the pod's address is known (after CNI ADD, or from the cache)
 *   POD_EV_READY            a container's scree answers: boot_id (a new one after each
 *                           start; the same one for an adopted container, adopted = true)
 *   POD_EV_EXITED           a container's init died or was stopped (error says why when it
 *                           was not asked for); nothing restarts it: the caller calls
 *                           pod_container_restart() and gets READY with a new boot id
 *   POD_EV_FAILED           a container could not be started (error: the step and the tool's
 *                           reason) or the pod's network could not be set up (container NULL)
 *   POD_EV_REMOVED          pod_remove() finished: no container, mount, netns, CNI allocation
 *                           or root filesystem reference of the pod is left (error: the first
 *                           cleanup step that failed, if any).  The caller may then
 *                           pod_free() it, also from inside the callback.
 *
 * Adoption.  pod_start() on a pod that already exists (after a supervisor restart) reuses its
 * namespace and cached address and adopts each container runc reports running (READY with
 * adopted = true, never a second container); a container found stopped, half-created or
 * missing is started afresh.  A supervisor's clean stop (pod_detach, pod_runtime_free) leaves
 * pods running; pod_remove() stops them. */
#ifndef CAIRN_POD_POD_H
#define CAIRN_POD_POD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bundle.h"
#include "image_store.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define POD_ID_MAX 32
#define POD_CONTAINER_NAME_MAX 31
#define POD_CONTAINERS_MAX 16
#define POD_PREFIX_MAX 12
#define POD_READY_TIMEOUT_MS 30000   /* from runc run to scree's boot id */
#define POD_STOP_TIMEOUT_MS 20000    /* SIGTERM to SIGKILL: Pebble waits up to ~10 s for services */

struct pod_runtime;
struct pod;

struct pod_runtime_opts {
	const char *store_dir;    /* absolute; created */
	const char *scree_path;   /* the static scree (checked: statically linked ELF) */
	const char *prefix;       /* host-global names start with it: netns, cgroups ("cairn-") */
	const char *network;      /* CNI network name */
	const char *bridge;       /* host bridge device (<= 15 characters) */
	const char *subnet;       /* IPv4 CIDR the pods' addresses come from */
	/* Tools; NULL = the Debian paths (/usr/sbin/runc, /usr/bin/skopeo, /usr/bin/umoci,
	 * /usr/lib/cni, /usr/bin/ip (or /sbin/ip), tar, rm from PATH). */
	const char *runc, *skopeo, *umoci, *cni_dir, *ip, *tar, *rm;
};

/* Opens the runtime (its image store included).  Returns 0 or a negative errno with eb. */
int pod_runtime_new(struct loop *l, const struct pod_runtime_opts *o, struct pod_runtime **ret,
		    struct errbuf *eb);
/* Frees the runtime and every pod handle still attached (as pod_detach): pods keep running.
 * NULL is accepted. */
void pod_runtime_free(struct pod_runtime *rt);
/* The runtime's image store (borrowed). */
struct image_store *pod_runtime_images(struct pod_runtime *rt);
/* Deletes unpacked root filesystems no container holds: call after adopting every pod. */
void pod_runtime_gc(struct pod_runtime *rt);

/* Deletes the runtime's host bridge and its address allocation table once no pod is left
 * (the clean stop of a machine's last workload: the bridge plugin never deletes the bridge
 * itself).  cb reports once, never from inside this call.  Returns 0, or -EBUSY while pods
 * remain (attached handles or pods on disk). */
int pod_runtime_remove_network(struct pod_runtime *rt, void (*cb)(void *data, int status, const char *msg),
			       void *data, struct errbuf *eb);

enum pod_event_kind { POD_EV_NETWORK, POD_EV_READY, POD_EV_EXITED, POD_EV_FAILED, POD_EV_REMOVED, _POD_EV_MAX };

struct pod_event {
	enum pod_event_kind kind;
	const char *container;   /* NULL for pod-wide events */
	const char *boot_id;     /* READY */
	bool adopted;            /* READY: the container was running before this supervisor */
	const char *address;     /* NETWORK: the pod's IPv4 address */
	const char *error;       /* EXITED (unexpected), FAILED, REMOVED (cleanup trouble); else NULL */
};

/* "network", "ready", "exited", "failed", "removed". */
const char *pod_event_name(enum pod_event_kind k);

struct pod_container_spec {
	const char *name;                    /* metadata container name ([a-z0-9][a-z0-9-]*) */
	const char *image;                   /* manifest digest of an image in the store */
	const struct bundle_mount *mounts;   /* `mounts:` binds (storage locations) */
	size_t n_mounts;
	bool set_ids;                        /* run as uid/gid below instead of the image's User */
	uid_t uid;
	gid_t gid;
};

struct pod_opts {
	const char *id;          /* unique in the runtime: [a-z0-9-], at most POD_ID_MAX */
	const char *dir;         /* volume directory: <dir>/<container>/pebble.socket (created) */
	const char *hostname;    /* NULL = id */
	const struct pod_container_spec *containers;
	size_t n_containers;
	void (*event)(void *data, struct pod *p, const struct pod_event *ev);
	void *data;
};

/* Creates the pod, or adopts it when it exists.  Everything is copied.  Returns 0 (events
 * follow, never from inside this call) or a negative errno with eb for bad options (an
 * invalid name, an image not in the store, a socket path too long). */
int pod_start(struct pod_runtime *rt, const struct pod_opts *o, struct pod **ret, struct errbuf *eb);

/* Restarts a container: stops it if running, then starts it with a fresh writable layer
 * (READY follows with a new boot id).  With image non-NULL, the container switches to that
 * image first (refresh).  Returns 0, -ENOENT (no such container or image) or -ESHUTDOWN
 * (the pod is being removed). */
int pod_container_restart(struct pod *p, const char *name, const char *image, struct errbuf *eb);

/* Stops and removes everything of the pod (containers, overlays, scratch, its namespace and
 * CNI allocation, its volumes), then reports POD_EV_REMOVED.  Idempotent. */
void pod_remove(struct pod *p);

/* Frees the handle, leaving the pod as it is (running containers keep running; a later
 * pod_start adopts them).  Pending steps are abandoned.  NULL is accepted. */
void pod_detach(struct pod *p);
/* Frees a pod after POD_EV_REMOVED (as pod_detach otherwise).  NULL is accepted. */
void pod_free(struct pod *p);

/* The pod's address ("" until POD_EV_NETWORK), id and netns path (borrowed). */
const char *pod_address(const struct pod *p);
const char *pod_id(const struct pod *p);
const char *pod_netns_path(const struct pod *p);
/* A container's runc id and its init's host pid (0 when not running). */
const char *pod_container_runc_id(const struct pod *p, const char *name);
pid_t pod_container_pid(const struct pod *p, const char *name);

#endif

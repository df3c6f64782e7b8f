/* podspec.h - what Juju's Kubernetes pod spec gives each workload container, as a bundle
 * spec (pure policy, no I/O).
 *
 * From juju's caas application provisioner (caas/kubernetes/provider/application), for
 * agents >= 3.5: the entrypoint is Pebble from the charm volume, run as
 *   /charm/bin/pebble run --create-dirs --hold --http :<38813 + i> --verbose
 * where i is the container's index in name order (38812 is the charm container's), with
 *   JUJU_CONTAINER_NAME=<name>
 *   PEBBLE_SOCKET=/charm/container/pebble.socket
 *   PEBBLE=/charm/container/pebble
 *   PEBBLE_COPY_ONCE=/var/lib/pebble/default
 * added to the image's Env, and /charm/container bound to the shared volume
 * charm/containers/<name> (which the charm container sees at /charm/containers/<name>).  So
 * the image's own layers under /var/lib/pebble/default/layers are copied into $PEBBLE on
 * first start and load; Pebble's state lives in the shared volume and survives container
 * restarts, as an emptyDir does.  Kubernetes applies the image's WorkingDir (the entrypoint's
 * working directory, which services inherit) and Env (Pebble's environment, which services
 * inherit, PATH and HOME defaulted when the image sets none, HOSTNAME set); with no securityContext the image's User
 * runs Pebble and therefore its services.  A container with a uid/gid from charm metadata
 * runs as those ids instead (Juju sets runAsUser/runAsGroup). */
#ifndef CAIRN_POD_PODSPEC_H
#define CAIRN_POD_PODSPEC_H

#include <stddef.h>
#include <sys/types.h>

#include "bundle.h"
#include "image_config.h"
#include "userspec.h"

#define PODSPEC_PEBBLE_PATH "/charm/bin/pebble"
#define PODSPEC_VOLUME_TARGET "/charm/container"
#define PODSPEC_PEBBLE_DIR "/charm/container/pebble"
#define PODSPEC_PEBBLE_SOCKET "/charm/container/pebble.socket"
#define PODSPEC_COPY_ONCE "/var/lib/pebble/default"
#define PODSPEC_HTTP_PORT_BASE 38813
#define PODSPEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PODSPEC_READY_FD 3   /* the fd scree writes its readiness byte on (SCREE_READY_FD) */

struct podspec_container {
	const char *name;                     /* container name */
	const char *hostname;                 /* the pod's hostname (HOSTNAME, as containerd sets) */
	size_t index;                         /* position in name order among the pod's containers */
	const struct image_config *image;     /* the image's config */
	const struct userspec_ids *ids;       /* who runs Pebble */
	const char *scree_path;               /* host path of the static scree */
	const char *volume_dir;               /* host path of the shared volume */
	const char *hosts_path;               /* host path of the pod's /etc/hosts, or NULL */
	const char *hostname_path;            /* host path of the pod's /etc/hostname, or NULL */
	const struct bundle_mount *binds;     /* charm `mounts:` (storage), applied last */
	size_t n_binds;
};

/* The result owns args, env and cwd; mounts[] point at c's strings (borrowed).  Free with
 * podspec_done. */
struct podspec {
	char **args;                       /* NULL-terminated */
	char **env;                        /* NULL-terminated */
	char *cwd;
	struct bundle_mount mounts[BUNDLE_MOUNTS_MAX];
	size_t n_mounts;
};

/* Checks one charm bind target: a clean absolute path outside /proc, /sys, /dev (see
 * bundle_check_target) and outside /charm, which Juju reserves.  Returns 0 or -EINVAL. */
int podspec_check_bind(const char *target, struct errbuf *eb);

/* Fills *ret for c.  Returns 0 or -EINVAL (too many binds, a bind over /charm/...). */
int podspec_build(const struct podspec_container *c, struct podspec *ret, struct errbuf *eb);
void podspec_done(struct podspec *s);

#endif

/* bundle.h - the OCI runtime configuration (config.json of a runc bundle) of one workload
 * container, built field by field from a spec (pure).
 *
 * The template is what a Kubernetes pod's container gets from containerd on a cgroup-v1
 * host: its own pid, ipc, uts and mount namespaces, the pod's network namespace joined by
 * path, the default device cgroup, masked and read-only /proc paths, and the default
 * capability set (effective only for uid 0; a non-root process keeps the bounding set only,
 * as containerd does since CVE-2022-24769).  No seccomp profile is applied. */
#ifndef CAIRN_POD_BUNDLE_H
#define CAIRN_POD_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "lib/errbuf.h"

#define BUNDLE_OCI_VERSION "1.0.2"
#define BUNDLE_MOUNTS_MAX 64      /* extra bind mounts per container */

struct bundle_mount {
	const char *source;  /* host path */
	const char *target;  /* absolute path inside the container */
	bool readonly;
};

struct bundle_spec {
	const char *rootfs;           /* root.path, relative to the bundle or absolute */
	const char *hostname;         /* the pod's hostname */
	char *const *args;            /* NULL-terminated process args (args[0] absolute) */
	char *const *env;             /* NULL-terminated "KEY=value" list */
	const char *cwd;              /* absolute */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;          /* supplementary groups */
	size_t n_groups;
	const char *netns_path;       /* the pod's network namespace, e.g. /run/netns/<name> */
	const char *cgroups_path;     /* absolute cgroups path, e.g. /cairn-pod0-web */
	const struct bundle_mount *mounts;  /* bind mounts, applied in order after the defaults */
	size_t n_mounts;
};

/* Checks a bind target: absolute, no "." or ".." component, no empty component, not "/" and
 * not inside /proc, /sys or /dev (the runtime owns those).  Returns 0 or -EINVAL. */
int bundle_check_target(const char *target, struct errbuf *eb);

/* Builds config.json for s.  Returns 0 and a new reference in *ret, or -EINVAL when the spec
 * is unusable (relative cwd or args[0], bad bind target, too many mounts). */
int bundle_config(const struct bundle_spec *s, json_t **ret, struct errbuf *eb);

#endif

/* unit_resources.h - a unit's local copies of its application's resources (resource-get).
 *
 * Where they live (Juju's unit agent layout, charm-runtime.md §3.7): a `file` resource at
 * <unit dir>/resources/<name>/<filename> (filename: the one metadata.yaml declares, carried in
 * the app goal; the resource's name when it declares none), an `oci-image` resource as
 * <unit dir>/resources/<name>/content.yaml holding the image's details in YAML, as Juju's
 * uniter writes them for an image resource (internal/worker/uniter/runner/context/resources:
 * `registrypath: ...`; here the image's manifest digest, the only reference cairn has:
 * images are never pulled from registries).
 *
 * A file is fetched from the controller by its fingerprint (agent_io resource_fetch, i.e.
 * fetch.h) outside the resource's directory, into <unit dir>/resources/.incoming/<name>/
 * <filename>.part, checked against its SHA-256 and renamed into place only once complete: the
 * resource's directory never holds a partial or wrong file, nor a part file, and a failed
 * fetch leaves none.
 * A new revision (attach-resource, refresh) is fetched by the next resource-get and replaces
 * the file by rename (a reader of the old one keeps reading it); a file of an older revision
 * under another name is removed.  Concurrent resource-gets of one resource share its fetch;
 * a fetch of content another unit (or a pod's image) is fetching runs after that one (fetch.h:
 * one fetch per content at a time).
 *
 * Which content each path holds is kept in <unit dir>/resources.json ({name: {"fingerprint",
 * "path", "mtime-ns"}}, written atomically after each fetch).  A resource-get for the revision
 * the unit has answers at once without reading the file (Juju hashes it again): it must still
 * be a regular file with the goal's size and the modification time it had when fetched, else
 * it is fetched again.  Everything lives in the unit's directory, so it goes with the unit.
 *
 * Errors are Juju's where Juju has them: a name the application has no content for (not in
 * metadata.yaml, or declared but never supplied - Juju's charm store fallback does not exist
 * here) is `resource "x" not found` (Juju's unit resources facade and its opener); a failed
 * fetch is `fetching resource "x": <reason>`. */
#ifndef CAIRN_UNIT_RESOURCES_H
#define CAIRN_UNIT_RESOURCES_H

#include "agent/hookctx.h"

/* How long a resource-get waits for its fetch before answering an error (below the hook
 * tool's own deadline, TOOLS_DEADLINE_MS).  The fetch itself goes on while the controller is
 * connected, so a retried hook finds the file; with the link down it is abandoned (its part
 * file removed). */
#define UNIT_RESOURCE_WAIT_MS 20000
/* The largest resources.json read back. */
#define UNIT_RESOURCES_STATE_MAX (1u << 20)

struct unit;
struct unit_resources;

/* The hook context's resource_get op (hookctx.h): ctx->agent is the unit.  name is copied. */
void unit_resource_get(struct hook_ctx *ctx, const char *name,
		       void (*done)(void *arg, const char *path, const char *error), void *arg);
/* The unit's hook context ends: every resource-get still waiting is answered with an error
 * (the fetches go on). */
void unit_resources_ctx_done(struct unit *u);
/* Frees the unit's resource state: waiting resource-gets are answered with an error and
 * fetches are cancelled (no part file is left).  NULL-safe state. */
void unit_resources_free(struct unit *u);

#endif

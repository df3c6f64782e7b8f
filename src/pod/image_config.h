/* image_config.h - reading an OCI image layout's index, manifest and image config (pure).
 *
 * The image store keeps each image as an OCI image layout written by skopeo; these functions
 * read its three JSON documents (image-spec: image-index, manifest, config) and say what is
 * wrong with bad ones.  The config fields used to run a container are Env, WorkingDir and
 * User (applied to the container's scree and so to its services) and Entrypoint/Cmd (kept for
 * information: Pebble replaces the entrypoint, as Juju does on Kubernetes).
 *
 * Nothing here touches the filesystem; inputs are bytes, outputs are owned by the caller. */
#ifndef CAIRN_POD_IMAGE_CONFIG_H
#define CAIRN_POD_IMAGE_CONFIG_H

#include <stddef.h>

#include "lib/errbuf.h"

#define IMAGE_JSON_MAX (4u << 20)   /* index, manifest or config larger than this: refused */
#define IMAGE_DIGEST_MAX 80         /* "sha256:" + 64 hex + NUL fits */
#define IMAGE_ENV_MAX 4096          /* Env entries */
#define IMAGE_ARGS_MAX 4096         /* Entrypoint + Cmd entries */

#define IMAGE_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_CONFIG "application/vnd.oci.image.config.v1+json"

struct image_config {
	char *os;              /* "linux" */
	char *architecture;    /* Go's GOARCH names: "amd64", "arm64", ... */
	char **env;            /* NULL-terminated "KEY=value" list (never NULL) */
	size_t n_env;
	char *working_dir;     /* NULL when unset */
	char *user;            /* NULL when unset */
	char **entrypoint;     /* NULL-terminated (never NULL) */
	size_t n_entrypoint;
	char **cmd;            /* NULL-terminated (never NULL) */
	size_t n_cmd;
};

/* Whether d is "sha256:<64 lowercase hex>" (the only algorithm the store accepts). */
int image_digest_valid(const char *d);

/* Reads an image index (index.json) and writes the digest of its one image manifest into
 * ret_digest.  An index holding several manifests picks the one whose
 * org.opencontainers.image.ref.name annotation equals ref (ref NULL: refuses several).
 * Returns 0, or -EBADMSG with eb naming the problem ("index.json: no image manifest"). */
int image_index_manifest(const char *json, size_t len, const char *ref, char ret_digest[IMAGE_DIGEST_MAX],
			 struct errbuf *eb);

/* Reads an image manifest and writes its config blob's digest into ret_digest, checking the
 * media types and that every layer descriptor has a valid digest.  Returns 0 or -EBADMSG. */
int image_manifest_config(const char *json, size_t len, char ret_digest[IMAGE_DIGEST_MAX], struct errbuf *eb);

/* Parses an image config into *ret (fields it lacks are empty; ret is written only on
 * success).  Returns 0, -EBADMSG for a malformed document, -E2BIG past the limits above. */
int image_config_parse(const char *json, size_t len, struct image_config *ret, struct errbuf *eb);
void image_config_done(struct image_config *c);

/* This machine's architecture in GOARCH spelling ("amd64" on x86_64). */
const char *image_host_arch(void);

/* Refuses an image that cannot run here: os other than linux, or another architecture.
 * Returns 0 or -ENOEXEC with eb such as "image is for linux/arm64, this machine is
 * linux/amd64". */
int image_config_check_platform(const struct image_config *c, const char *host_arch, struct errbuf *eb);

/* Looks key up in a NULL-terminated "KEY=value" list; returns the value or NULL. */
const char *image_env_get(char *const *env, const char *key);

#endif

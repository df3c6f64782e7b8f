/* image_store.h - oci-image resources imported with skopeo, stored by manifest digest, and
 * unpacked with umoci once per digest into a root filesystem that containers share.
 *
 * Layout under the store directory:
 *   images/<hex>/   the image as an OCI image layout (one manifest, tagged "image")
 *   rootfs/<hex>/   its unpacked root filesystem (layers applied with whiteouts, ownership
 *                   kept), used read-only as the lower layer of each container's overlay
 *   tmp/            staging for imports and unpacks, and trees being deleted; swept at open
 * <hex> is the manifest digest's hex (sha256).  Entries appear by rename only, so a crash
 * never leaves a half-written image or root filesystem under its final name.
 *
 * Nothing is ever downloaded: the only sources are local paths, and skopeo runs with local
 * transports only.  Every long step (tar listing, skopeo copy, umoci unpack, rm -rf of a
 * tree) is a child process whose completion is a loop event.
 *
 * Root filesystems are reference-counted by their users (containers).  The count is taken
 * before the unpack starts and dropped by image_rootfs_release(); at zero the unpacked tree is
 * deleted, so nothing that no container references stays unpacked.  After a restart the
 * counts start at zero: callers re-acquire for the containers they adopt and then call
 * image_store_gc() to delete what nobody took back. */
#ifndef CAIRN_POD_IMAGE_STORE_H
#define CAIRN_POD_IMAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "image_config.h"
#include "image_source.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define IMAGE_IMPORT_TIMEOUT_MS (30u * 60 * 1000)
#define IMAGE_UNPACK_TIMEOUT_MS (30u * 60 * 1000)

struct image_store;
struct image_req;

/* An image in the store.  Read-only for callers; valid until image_store_remove() or
 * image_store_free(). */
struct image {
	char digest[IMAGE_DIGEST_MAX];   /* "sha256:<hex>" of the stored manifest */
	struct image_config config;
	char *layout_dir;                /* <store>/images/<hex> */
};

struct image_store_opts {
	const char *dir;     /* store directory (created) */
	const char *skopeo;  /* tool paths; NULL = found in PATH */
	const char *umoci;
	const char *tar;
	const char *rm;
};

/* Opens the store: creates its directories, sweeps tmp/, loads the images found (a broken
 * one is skipped and removed), and notes the unpacked root filesystems (count zero).
 * Returns 0 or a negative errno with eb. */
int image_store_open(struct loop *l, const struct image_store_opts *o, struct image_store **ret,
		     struct errbuf *eb);
/* Frees the store; pending requests are dropped without their callbacks (their children are
 * killed; tmp/ is swept at the next open).  NULL is accepted. */
void image_store_free(struct image_store *s);

/* status 0: img is the imported image (already present or new).  Else a negative errno and
 * msg, worded for the operator, starting with the path:
 *   -ENOENT      "<path>: no such file or directory"
 *   -EMEDIUMTYPE "<path>: not an OCI image: a zip archive (a charm?)" and other wrong kinds
 *   -EBADMSG     "<path>: corrupt docker-archive: <skopeo's reason>" and other unreadable ones
 *   -ENOEXEC     "<path>: image is for linux/arm64, this machine is linux/amd64"
 *   other        an I/O or tool failure, named. */
typedef void (*image_import_cb)(void *data, int status, const struct image *img, const char *msg);

/* Imports the image at path (a directory or a tar file; see image_source.h).  The callback
 * is never called from inside this call.  Returns 0 and, when ret is not NULL, the request
 * (valid until its callback returns); or a negative errno with eb when it cannot start. */
int image_import(struct image_store *s, const char *path, image_import_cb cb, void *data, struct image_req **ret,
		 struct errbuf *eb);

/* The image with digest d, or NULL. */
const struct image *image_store_get(struct image_store *s, const char *d);
/* Calls fn for every image. */
void image_store_each(struct image_store *s, void (*fn)(void *data, const struct image *img), void *data);

/* Removes an image (its layout and any unpacked root filesystem).  Returns 0, -ENOENT, or
 * -EBUSY when containers still hold its root filesystem. */
int image_store_remove(struct image_store *s, const char *d, struct errbuf *eb);

/* status 0: rootfs is the absolute path of the unpacked root filesystem (borrowed for the
 * call; stable until the reference is released).  Else a negative errno and msg. */
typedef void (*image_rootfs_cb)(void *data, int status, const char *rootfs, const char *msg);

/* Takes a reference on the root filesystem of image d, unpacking it first when needed (one
 * unpack per digest however many wait).  The reference is held from this call on, also while
 * the unpack runs; on failure the callback reports it and the reference is dropped.  The
 * callback is never called from inside this call.  Returns 0 or -ENOENT (unknown image). */
int image_rootfs_acquire(struct image_store *s, const char *d, image_rootfs_cb cb, void *data,
			 struct image_req **ret, struct errbuf *eb);
/* Drops one reference; at zero the unpacked tree is deleted. */
void image_rootfs_release(struct image_store *s, const char *d);
/* The reference count of d's root filesystem. */
unsigned image_rootfs_refs(struct image_store *s, const char *d);

/* Cancels a pending import or acquire without its callback (an acquire's reference is
 * dropped).  NULL is accepted. */
void image_req_cancel(struct image_req *r);

/* Forgets the callback of a pending acquire but keeps the reference it takes (for an owner
 * that goes away while its container keeps running on that root filesystem); other requests
 * are cancelled.  NULL is accepted. */
void image_req_keep(struct image_req *r);

/* Deletes every unpacked root filesystem with no reference (after adoption). */
void image_store_gc(struct image_store *s);

/* Deletes a tree in the background: renames it into tmp/ at once, then runs rm -rf on it.
 * Used by the pod runtime for container scratch directories on the same filesystem.
 * Returns 0, or a negative errno when it could not even be renamed or removed. */
int image_store_discard(struct image_store *s, const char *path);

/* Number of background deletions still running. */
size_t image_store_pending(const struct image_store *s);
/* Calls cb each time the number of background deletions drops to zero (a clean shutdown
 * waits for it).  cb NULL: no callback. */
void image_store_set_idle_cb(struct image_store *s, void (*cb)(void *data), void *data);

#endif

/* image_source.h - what kind of image a resource path holds (pure parts of the sniffing).
 *
 * An oci-image resource is given as a local OCI image layout directory, an oci-archive (a tar
 * of such a layout, as `skopeo copy … oci-archive:` and `podman save --format oci-archive`
 * write) or a docker-archive (`docker save`, `podman save`: manifest.json plus layer tars;
 * Docker 25 writes both manifest.json and an OCI layout, read here as a docker-archive).
 * Each maps to one skopeo transport.  Anything else is refused with what it looks like. */
#ifndef CAIRN_POD_IMAGE_SOURCE_H
#define CAIRN_POD_IMAGE_SOURCE_H

#include <stddef.h>

#include "lib/errbuf.h"

enum image_source_kind {
	IMAGE_SOURCE_OCI_LAYOUT,     /* directory: skopeo "oci:" */
	IMAGE_SOURCE_OCI_ARCHIVE,    /* tar: skopeo "oci-archive:" */
	IMAGE_SOURCE_DOCKER_ARCHIVE, /* tar: skopeo "docker-archive:" */
	_IMAGE_SOURCE_MAX,
};

/* "oci-layout", "oci-archive", "docker-archive": the names resources show. */
const char *image_source_kind_name(enum image_source_kind k);
/* The skopeo transport prefix: "oci", "oci-archive", "docker-archive". */
const char *image_source_transport(enum image_source_kind k);

/* Looks at the first bytes of a regular file.  Returns 0 when it may be a tar archive, or
 * -EMEDIUMTYPE with eb saying what it is instead ("a zip archive (a charm?)", "a
 * gzip-compressed file", "an empty file"). */
int image_source_sniff(const unsigned char *head, size_t n, struct errbuf *eb);

/* Classifies a tar archive from its member list (`tar -tf` output, one name per line, "./"
 * prefixes allowed): manifest.json at the top => docker-archive; else oci-layout at the top
 * => oci-archive.  Returns 0 and *ret, or -EMEDIUMTYPE with eb. */
int image_source_classify_tar(const char *listing, size_t len, enum image_source_kind *ret, struct errbuf *eb);

#endif

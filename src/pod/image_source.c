/* image_source.c - image source classification; see image_source.h. */
#include "image_source.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static const char *const kind_names[_IMAGE_SOURCE_MAX] = {
	[IMAGE_SOURCE_OCI_LAYOUT] = "oci-layout",
	[IMAGE_SOURCE_OCI_ARCHIVE] = "oci-archive",
	[IMAGE_SOURCE_DOCKER_ARCHIVE] = "docker-archive",
};

static const char *const transports[_IMAGE_SOURCE_MAX] = {
	[IMAGE_SOURCE_OCI_LAYOUT] = "oci",
	[IMAGE_SOURCE_OCI_ARCHIVE] = "oci-archive",
	[IMAGE_SOURCE_DOCKER_ARCHIVE] = "docker-archive",
};

const char *image_source_kind_name(enum image_source_kind k)
{
	return k < _IMAGE_SOURCE_MAX ? kind_names[k] : "unknown";
}

const char *image_source_transport(enum image_source_kind k)
{
	return k < _IMAGE_SOURCE_MAX ? transports[k] : "unknown";
}

int image_source_sniff(const unsigned char *h, size_t n, struct errbuf *eb)
{
	if (n == 0)
		return errbuf_set(eb, "an empty file"), -EMEDIUMTYPE;
	if (n >= 4 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4)
		return errbuf_set(eb, "a zip archive (a charm?)"), -EMEDIUMTYPE;
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return errbuf_set(eb, "a gzip-compressed file (decompress it: docker save and podman save write "
				      "plain tar)"),
		       -EMEDIUMTYPE;
	if (n >= 3 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h')
		return errbuf_set(eb, "a bzip2-compressed file"), -EMEDIUMTYPE;
	if (n >= 6 && memcmp(h, "\xfd" "7zXZ\x00", 6) == 0)
		return errbuf_set(eb, "an xz-compressed file"), -EMEDIUMTYPE;
	if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
		return errbuf_set(eb, "a zstd-compressed file"), -EMEDIUMTYPE;
	return 0;
}

/* Whether a listing line names top-level member want (ignoring "./" and a trailing '/'). */
static bool is_member(const char *line, size_t len, const char *want)
{
	size_t w = strlen(want);

	while (len >= 2 && line[0] == '.' && line[1] == '/') {
		line += 2;
		len -= 2;
	}
	if (len && line[len - 1] == '\r')
		len--;
	return len == w && memcmp(line, want, w) == 0;
}

int image_source_classify_tar(const char *listing, size_t len, enum image_source_kind *ret, struct errbuf *eb)
{
	bool manifest = false, layout = false;
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(listing + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (listing + i)) : len - i;

		if (l) {
			n++;
			manifest = manifest || is_member(listing + i, l, "manifest.json");
			layout = layout || is_member(listing + i, l, "oci-layout");
		}
		i += l + 1;
	}
	if (manifest) {
		*ret = IMAGE_SOURCE_DOCKER_ARCHIVE;
		return 0;
	}
	if (layout) {
		*ret = IMAGE_SOURCE_OCI_ARCHIVE;
		return 0;
	}
	if (n == 0)
		return errbuf_set(eb, "an empty tar archive"), -EMEDIUMTYPE;
	return errbuf_set(eb, "a tar archive that is neither an oci-archive (no oci-layout) nor a docker-archive "
			      "(no manifest.json)"),
	       -EMEDIUMTYPE;
}

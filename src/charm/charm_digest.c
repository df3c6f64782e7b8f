/* charm_digest.c - SHA-256 digests that name charm archives; see charm.h. */
#include "charm/charm.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool charm_valid_digest(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

int charm_digest_file(const char *path, char out[CHARM_DIGEST_HEX], uint64_t *ret_size,
		      struct errbuf *eb)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char chunk[65536];
	uint64_t size = 0;
	int fd, r = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		r = fd < 0 ? -errno : -ENOMEM;
		errbuf_set(eb, "cannot read %s: %s", path, strerror(-r));
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		size += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	if (ret_size)
		*ret_size = size;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return r;
}

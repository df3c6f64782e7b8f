/* access.c - access decisions; see access.h. */
#include "access.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lib/buf.h"

#define L(x) (1u << (x))
#define ANY (L(IDENT_UNTRUSTED) | L(IDENT_METRICS) | L(IDENT_READ) | L(IDENT_ADMIN))

/* allowed[transport][class] = the caller levels let through (§9.2).  Plain HTTP carries no
 * peer credentials and no TLS, so user and admin endpoints are never served over it; metrics
 * are, to identities authenticated by basic auth (how scrapers reach it). */
static const unsigned char allowed[ACCESS_TRANSPORT_MAX][API_ACCESS_MAX] = {
	[ACCESS_UNIX] = {
		[API_OPEN] = ANY,
		[API_USER] = L(IDENT_READ) | L(IDENT_ADMIN),
		[API_ADMIN] = L(IDENT_ADMIN),
		[API_METRICS] = L(IDENT_METRICS) | L(IDENT_ADMIN),
	},
	[ACCESS_HTTP] = {
		[API_OPEN] = ANY,
		[API_USER] = 0,
		[API_ADMIN] = 0,
		[API_METRICS] = L(IDENT_METRICS) | L(IDENT_ADMIN),
	},
	[ACCESS_HTTPS] = {
		[API_OPEN] = ANY,
		[API_USER] = L(IDENT_READ) | L(IDENT_ADMIN),
		[API_ADMIN] = L(IDENT_ADMIN),
		[API_METRICS] = L(IDENT_METRICS) | L(IDENT_ADMIN),
	},
};

bool access_allowed(enum access_transport t, enum api_access cls, enum ident_access level)
{
	if ((unsigned)t >= ACCESS_TRANSPORT_MAX || (unsigned)cls >= API_ACCESS_MAX ||
	    (unsigned)level >= IDENT_ACCESS_MAX)
		return false;
	return (allowed[t][cls] & L(level)) != 0;
}

enum ident_access access_caller(const struct ident_store *ids, const struct access_peer *p, uint32_t daemon_uid)
{
	const struct ident *id = NULL;

	/* Credentials the client chose to send win over the uid (upstream IdentityFromInputs).
	 * Wrong ones match nobody.  Upstream then applies the uid's default and skips the uid's
	 * named identity, so any process could shed an "untrusted" (or "metrics") identity by
	 * sending a bogus Authorization header; here the uid's identity still applies. */
	if (p->basic && p->transport != ACCESS_HTTPS && p->basic_password)
		id = ident_store_by_basic(ids, p->basic_user, p->basic_password);
	if (!id && p->transport == ACCESS_UNIX && p->has_uid)
		id = ident_store_by_uid(ids, p->uid);
	if (id)
		return id->id_access;
	if (p->transport == ACCESS_UNIX && p->has_uid)
		return p->uid == 0 || p->uid == daemon_uid ? IDENT_ADMIN : IDENT_READ;
	return IDENT_UNTRUSTED;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int access_parse_basic(const char *header, char **ret_user, char **ret_password)
{
	const char *b64;
	size_t n, pad = 0;
	unsigned char *raw;
	char *colon;
	int len;

	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	b64 = header + 6;
	n = strlen(b64);
	/* Go's base64.StdEncoding: padded, no stray characters. */
	if (n % 4 != 0 || n > (size_t)(INT32_MAX / 2))
		return -EINVAL;
	while (pad < 2 && n > pad && b64[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_char(b64[i]))
			return -EINVAL;
	raw = xmalloc(n / 4 * 3 + 1);
	len = n ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n) : 0;
	if (len < 0 || (size_t)len < pad) {
		free(raw);
		return -EINVAL;
	}
	len -= (int)pad;
	raw[len] = '\0';
	colon = memchr(raw, ':', (size_t)len);
	if (!colon) {
		explicit_bzero(raw, (size_t)len);
		free(raw);
		return -EINVAL;
	}
	*ret_user = xstrndup((const char *)raw, (size_t)(colon - (char *)raw));
	/* A NUL byte in the name or the password: no identity name and no crypt(3) hash can
	 * match it, so the credentials match nobody (a C string would cut them short). */
	*ret_password = memchr(raw, '\0', (size_t)len)
				? NULL
				: xstrndup(colon + 1, (size_t)len - (size_t)(colon + 1 - (char *)raw));
	explicit_bzero(raw, (size_t)len);
	free(raw);
	return 0;
}

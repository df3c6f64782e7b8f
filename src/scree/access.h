/* access.h - who may call which endpoint (Pebble §9.2, §10): pure decisions, no sockets.
 *
 * Two steps.  access_caller() works out the caller's access level from what the connection
 * carries: a named identity matched by HTTP basic auth (when not over HTTPS) or else by the
 * peer uid of a UNIX-socket connection; without a named identity, uid 0 and the daemon's
 * own uid are admin and any other local uid is read; a TCP caller without a matching
 * identity is untrusted (nobody).  An identity with access "untrusted" is exactly that:
 * it does not fall back to the uid's default; nor do wrong basic-auth credentials make a
 * local identity go away.  access_allowed() then looks the endpoint's
 * class up in one table indexed by transport, class and level.  Over plain --http only
 * open endpoints work, plus GET /v1/metrics for metrics (and admin) identities. */
#ifndef SCREE_ACCESS_H
#define SCREE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identities.h"

/* Endpoint classes (§10).  The route table in api.c gives one per method. */
enum api_access {
	API_OPEN,    /* anyone, also over plain --http: system-info, health */
	API_USER,    /* read or admin callers */
	API_ADMIN,   /* admin callers */
	API_METRICS, /* metrics or admin callers: GET /v1/metrics */
	API_ACCESS_MAX,
};

/* How the request arrived. */
enum access_transport {
	ACCESS_UNIX,   /* the API socket: peer credentials known */
	ACCESS_HTTP,   /* --http: plain TCP */
	ACCESS_HTTPS,  /* --https (mTLS; not served yet) */
	ACCESS_TRANSPORT_MAX,
};

/* What a request tells about its caller. */
struct access_peer {
	enum access_transport transport;
	bool has_uid;               /* SO_PEERCRED succeeded (UNIX socket only) */
	uint32_t uid;
	bool basic;                 /* a well-formed "Authorization: Basic" header came */
	const char *basic_user;     /* borrowed; valid when basic */
	const char *basic_password; /* borrowed; NULL when the password cannot match (NUL byte) */
};

/* The table lookup: whether a caller at level may use an endpoint of class cls over
 * transport t.  Out-of-range arguments are refused. */
bool access_allowed(enum access_transport t, enum api_access cls, enum ident_access level);

/* The caller's level (see the header comment); ids is borrowed; daemon_uid is the uid the
 * daemon runs as.  Verifying a basic password costs one sha512-crypt (identities.h). */
enum ident_access access_caller(const struct ident_store *ids, const struct access_peer *p, uint32_t daemon_uid);

/* Parses an Authorization header value as Go's Request.BasicAuth does: "Basic " (any case),
 * then standard padded base64 of "user:password" (split at the first colon).  Returns 0 and
 * malloc'd *ret_user / *ret_password (NULL password when the name or the password holds a
 * NUL byte: such credentials match nobody), or -EINVAL (not basic auth, bad base64, no
 * colon), leaving both alone.
 * Decoded values are bounded by the header limit of the HTTP layer. */
int access_parse_basic(const char *header, char **ret_user, char **ret_password);

#endif

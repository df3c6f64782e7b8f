/* identities.h - named identities (Pebble §20): which callers get which access level.
 *
 * An identity has a name, an access level (admin, read, metrics, untrusted) and one or more
 * ways to recognise its caller: "local" (the peer uid of a UNIX-socket connection),
 * "basic" (HTTP basic authentication against a sha512-crypt hash, as `openssl passwd -6`
 * writes it) and "cert" (an X.509 client certificate, kept as PEM for the HTTPS listener).
 *
 * The store is a pure model: no sockets, no files.  The daemon keeps one store, persists it
 * as the "identities" section of the state file (the same JSON as the API, with secrets
 * unmasked) and asks it who a caller is (access.h).  Changes follow the copy-on-write
 * pattern: ident_store_apply() builds a new store from the current one and a request, the
 * daemon persists the new store, and only then swaps it in, so a failed write loses
 * nothing and a rejected request changes nothing.
 *
 * JSON shape (API, state file and, after conversion from YAML, identities files):
 *     {"access": "admin", "local": {"user-id": 42}, "basic": {"password": "$6$..."},
 *      "cert": {"pem": "-----BEGIN CERTIFICATE-----..."}}
 * GET /v1/identities shows the password and the PEM as "*****" (IDENT_MASK).  Passwords are
 * verified only at login, so a client that sends back the masked password it read keeps the
 * stored hash (update and replace), as upstream's API docs promise. */
#ifndef SCREE_IDENTITIES_H
#define SCREE_IDENTITIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

#define IDENT_MAX_COUNT 1000             /* identities in one store (refused beyond) */
#define IDENT_NAME_MAX 256               /* bytes of an identity name */
#define IDENT_SECRET_MAX (64u * 1024u)   /* bytes of a password hash or a certificate PEM */
#define IDENT_CRYPT_MAX_ROUNDS 100000    /* sha512-crypt rounds verified at login (see .c) */
#define IDENT_FILE_MAX (1024u * 1024u)   /* bytes of an identities YAML file */
#define IDENT_MASK "*****"

/* Access levels, least to most privileged.  The names are the API values. */
enum ident_access {
	IDENT_UNTRUSTED,  /* open endpoints only: the level of an unauthenticated caller */
	IDENT_METRICS,    /* open endpoints and GET /v1/metrics */
	IDENT_READ,       /* open and user (read) endpoints */
	IDENT_ADMIN,      /* everything */
	IDENT_ACCESS_MAX,
};

/* POST /v1/identities actions. */
enum ident_action {
	IDENT_ADD,        /* all named identities must be new */
	IDENT_UPDATE,     /* all named identities must exist */
	IDENT_REPLACE,    /* add or update; a NULL identity removes (if present) */
	IDENT_REMOVE,     /* all named identities must exist; values must be NULL */
	IDENT_ACTION_MAX,
};

struct ident {
	char *id_name;
	enum ident_access id_access;
	bool id_local;             /* has the "local" type */
	uint32_t id_uid;           /* its user-id */
	char *id_password;         /* "basic" type: the sha512-crypt hash as given; NULL if none */
	char *id_cert_pem;         /* "cert" type: the certificate re-encoded as PEM; NULL if none */
};

/* A set of identities sorted by name (names are unique). */
struct ident_store {
	struct ident **is_items;
	size_t is_n;
};

/* One entry of a change request: name and new value (NULL = null in the request). */
struct ident_req {
	const char *name;          /* borrowed */
	struct ident *ident;       /* owned by the request; NULL for a null value */
};

const char *ident_access_name(enum ident_access a);
/* "add", "update", "replace", "remove" -> action; -1 for anything else. */
int ident_action_parse(const char *s);
const char *ident_action_name(enum ident_action a);

/* Builds an identity from its JSON value v (API shape above) for name, validating it as
 * upstream does: the name, the access value, the types present, a non-empty password, a
 * parseable certificate.  v JSON null yields *ret = NULL and 0.  Unknown keys are ignored
 * and JSON null counts as absent.  On failure returns -EINVAL, *ret untouched and eb holds
 * the reason without the identity's name ("local identity must specify user-id",
 * "access value must be specified (...)", "identity name \"1x\" invalid: ..."); values of
 * the wrong JSON type are reported, but the API checks types first (api_identities.c). */
int ident_from_json(const char *name, json_t *v, struct ident **ret, struct errbuf *eb);
/* The identity as JSON (new reference): masked (API) or with its secrets (state file). */
json_t *ident_to_json(const struct ident *id, bool masked);
struct ident *ident_dup(const struct ident *id);
void ident_free(struct ident *id);

void ident_store_init(struct ident_store *st);
void ident_store_done(struct ident_store *st);
/* Exchanges the contents of a and b (the daemon swaps a committed store in). */
void ident_store_swap(struct ident_store *a, struct ident_store *b);
const struct ident *ident_store_get(const struct ident_store *st, const char *name);

/* Applies a change request (reqs sorted or not; names unique) to cur, writing the result
 * into *ret_new (initialised here) and leaving cur as it was.  Errors (-EINVAL, *ret_new
 * left empty, eb set), in upstream's words:
 *   "identity value for \"x\" must not be null for add operation" (also update),
 *   "identity value for \"x\" must be null for remove operation",
 *   "identities already exist: a, b", "identities do not exist: a, b",
 *   "cannot have multiple identities with user ID 42 (a, b)",
 *   "too many identities (at most 1000)".
 * A basic password equal to IDENT_MASK in update or replace keeps the stored hash of an
 * identity that has one.  The request's identities are copied, not taken. */
int ident_store_apply(const struct ident_store *cur, enum ident_action act, const struct ident_req *reqs,
		      size_t n, struct ident_store *ret_new, struct errbuf *eb);

/* ident_store_apply() for a JSON request {name: identity|null} (the API's and, converted,
 * an identities file's): each value goes through ident_from_json() in name order, the first
 * failure answered as "invalid identity for \"x\": <why>" (-EINVAL).  act may be -1, an
 * unknown action: once every identity is valid this returns -EOPNOTSUPP with eb untouched,
 * so that upstream's order of checks (identities first, then the action) is kept and the
 * caller words the refusal. */
int ident_store_apply_json(const struct ident_store *cur, int act, json_t *ids, struct ident_store *ret_new,
			   struct errbuf *eb);

/* The names of a {name: identity|null} object in order (Go sorts map keys when it
 * marshals and the CLI prints them; a stable order also makes "the first error" stable).
 * Returns a malloc'd array of borrowed keys (valid while ids is unchanged), *ret_n set. */
const char **ident_names_sorted(json_t *ids, size_t *ret_n);

/* {name: identity} (new reference), names in order; masked for the API. */
json_t *ident_store_to_json(const struct ident_store *st, bool masked);
/* Loads the state file's section (an object, or NULL/JSON null for none) into an empty
 * store.  -EINVAL with eb ("identity \"x\": ...") on a bad entry; st is then left empty. */
int ident_store_load_json(struct ident_store *st, json_t *v, struct errbuf *eb);

/* Caller matching (upstream IdentityFromInputs).  By uid: the identity with the "local"
 * type and that user-id.  By basic auth: the identity named user with the "basic" type
 * whose hash matches password (sha512-crypt only, verified with libxcrypt); NULL when the
 * name, the type or the password does not match.  Both return borrowed pointers, valid
 * until the store changes. */
const struct ident *ident_store_by_uid(const struct ident_store *st, uint32_t uid);
const struct ident *ident_store_by_basic(const struct ident_store *st, const char *user, const char *password);

/* Whether password matches the sha512-crypt hash ("$6$[rounds=N$]salt$digest").  False
 * for any other hash method and for more than IDENT_CRYPT_MAX_ROUNDS rounds. */
bool ident_password_ok(const char *hash, const char *password);

/* Reads an identities file's text (YAML `identities: {name: identity|null}`, as the CLI's
 * --from files and `run --identities` take) into the API's JSON shape: a new object
 * {name: identity|null} holding only the known fields, each with the JSON type the API
 * expects.  Errors (-EINVAL, eb): "cannot unmarshal identities: <why>" and
 * "no identities to add; did you forget the top-level \"identities\" key?". */
int ident_file_parse(const char *text, size_t len, json_t **ret, struct errbuf *eb);

#endif

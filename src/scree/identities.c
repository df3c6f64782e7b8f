/* identities.c - named identities; see identities.h. */
#include "identities.h"

#include <crypt.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

static const char *const access_names[IDENT_ACCESS_MAX] = {
	[IDENT_UNTRUSTED] = "untrusted",
	[IDENT_METRICS] = "metrics",
	[IDENT_READ] = "read",
	[IDENT_ADMIN] = "admin",
};

static const char *const action_names[IDENT_ACTION_MAX] = {
	[IDENT_ADD] = "add",
	[IDENT_UPDATE] = "update",
	[IDENT_REPLACE] = "replace",
	[IDENT_REMOVE] = "remove",
};

const char *ident_access_name(enum ident_access a)
{
	return a < IDENT_ACCESS_MAX ? access_names[a] : "untrusted";
}

const char *ident_action_name(enum ident_action a)
{
	return a < IDENT_ACTION_MAX ? action_names[a] : "";
}

int ident_action_parse(const char *s)
{
	for (int i = 0; s && i < IDENT_ACTION_MAX; i++)
		if (strcmp(s, action_names[i]) == 0)
			return i;
	return -1;
}

/* Go's %q of s, for messages. */
static const char *quoted(struct buf *b, const char *s)
{
	buf_reset(b);
	gofmt_quote(b, s, strlen(s), GOFMT_QUOTE_GO);
	return b->data;
}

/* ^[a-zA-Z][a-zA-Z0-9_\-]*$ (upstream's identityNameRegexp), at most IDENT_NAME_MAX bytes. */
static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > IDENT_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

void ident_free(struct ident *id)
{
	if (!id)
		return;
	free(id->id_name);
	if (id->id_password) {
		explicit_bzero(id->id_password, strlen(id->id_password));
		free(id->id_password);
	}
	free(id->id_cert_pem);
	free(id);
}

struct ident *ident_dup(const struct ident *id)
{
	struct ident *d = xcalloc(1, sizeof(*d));

	d->id_name = xstrdup(id->id_name);
	d->id_access = id->id_access;
	d->id_local = id->id_local;
	d->id_uid = id->id_uid;
	d->id_password = id->id_password ? xstrdup(id->id_password) : NULL;
	d->id_cert_pem = id->id_cert_pem ? xstrdup(id->id_cert_pem) : NULL;
	return d;
}

/* ---- certificates (OpenSSL) ---- */

/* Decodes the first PEM block of text as an X.509 certificate, as upstream does with Go's
 * pem.Decode and x509.ParseCertificate: text before the block is skipped, anything after
 * it is refused.  *ret_pem receives the certificate re-encoded as PEM. */
static int cert_parse(const char *text, size_t len, char **ret_pem, struct errbuf *eb)
{
	BIO *in = NULL, *out = NULL;
	char *name = NULL, *header = NULL, *mem;
	unsigned char *data = NULL;
	const unsigned char *p;
	long dlen = 0, olen;
	X509 *x = NULL;
	int rv = -EINVAL;

	ERR_clear_error();
	in = BIO_new_mem_buf(text, (int)len);
	if (!in) {
		errbuf_set(eb, "cannot parse certificate from cert identity: out of memory");
		rv = -ENOMEM;
		goto out;
	}
	if (!PEM_read_bio(in, &name, &header, &data, &dlen)) {
		errbuf_set(eb, "cert identity must include a PEM-encoded certificate");
		goto out;
	}
	if (BIO_ctrl_pending(in) > 0) {
		errbuf_set(eb, "cert identity cannot have extra data after the PEM block");
		goto out;
	}
	p = data;
	x = d2i_X509(NULL, &p, dlen);
	if (!x) {
		unsigned long e = ERR_peek_last_error();
		const char *why = e ? ERR_reason_error_string(e) : NULL;

		errbuf_set(eb, "cannot parse certificate from cert identity: x509: %s", why ? why : "malformed certificate");
		goto out;
	}
	if (p != data + dlen) {
		errbuf_set(eb, "cannot parse certificate from cert identity: x509: trailing data");
		goto out;
	}
	out = BIO_new(BIO_s_mem());
	if (!out || !PEM_write_bio_X509(out, x) || (olen = BIO_get_mem_data(out, &mem)) <= 0) {
		errbuf_set(eb, "cannot encode certificate of cert identity");
		rv = -ENOMEM;
		goto out;
	}
	*ret_pem = xstrndup(mem, (size_t)olen);
	rv = 0;
out:
	X509_free(x);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(in);
	BIO_free(out);
	ERR_clear_error();
	return rv;
}

/* ---- JSON ---- */

/* A member of obj, with JSON null counting as absent (Go's decoder: null = zero value). */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

int ident_from_json(const char *name, json_t *v, struct ident **ret, struct errbuf *eb)
{
	json_t *access, *local, *basic, *cert, *uid, *pw, *pem;
	struct ident *id = NULL;
	const char *as;
	struct buf q = BUF_INIT;
	int rv = -EINVAL, a;

	if (json_is_null(v)) {
		*ret = NULL;
		return 0;
	}
	buf_init(&q);
	if (!json_is_object(v)) {
		errbuf_set(eb, "identity must be an object");
		goto out;
	}
	id = xcalloc(1, sizeof(*id));
	id->id_name = xstrdup(name);
	access = member(v, "access");
	local = member(v, "local");
	basic = member(v, "basic");
	cert = member(v, "cert");
	if ((access && !json_is_string(access)) || (local && !json_is_object(local)) ||
	    (basic && !json_is_object(basic)) || (cert && !json_is_object(cert))) {
		errbuf_set(eb, "identity fields have the wrong type");
		goto out;
	}
	/* Type-specific fields first, then the common validation (upstream's order). */
	if (local) {
		uid = member(local, "user-id");
		if (!uid) {
			errbuf_set(eb, "local identity must specify user-id");
			goto out;
		}
		if (!json_is_integer(uid) || json_integer_value(uid) < 0 ||
		    json_integer_value(uid) > (json_int_t)UINT32_MAX) {
			errbuf_set(eb, "local identity user-id must be an integer between 0 and %" PRIu32, UINT32_MAX);
			goto out;
		}
		id->id_local = true;
		id->id_uid = (uint32_t)json_integer_value(uid);
	}
	if (basic) {
		pw = member(basic, "password");
		if (pw && !json_is_string(pw)) {
			errbuf_set(eb, "basic identity password must be a string");
			goto out;
		}
		if (pw && json_string_length(pw) > IDENT_SECRET_MAX) {
			errbuf_set(eb, "basic identity password must be at most %u bytes", IDENT_SECRET_MAX);
			goto out;
		}
		id->id_password = xstrdup(pw ? json_string_value(pw) : "");
	}
	if (cert) {
		pem = member(cert, "pem");
		if (pem && !json_is_string(pem)) {
			errbuf_set(eb, "cert identity pem must be a string");
			goto out;
		}
		if (pem && json_string_length(pem) > IDENT_SECRET_MAX) {
			errbuf_set(eb, "cert identity pem must be at most %u bytes", IDENT_SECRET_MAX);
			goto out;
		}
		if (cert_parse(pem ? json_string_value(pem) : "", pem ? json_string_length(pem) : 0,
			       &id->id_cert_pem, eb) < 0)
			goto out;
	}
	/* Upstream's Identity.Validate. */
	if (!name_valid(name)) {
		errbuf_set(eb,
			   "identity name %s invalid: must start with an alphabetic character and only contain "
			   "alphanumeric characters, underscore, and hyphen",
			   quoted(&q, name));
		goto out;
	}
	as = access ? json_string_value(access) : "";
	if (!*as) {
		errbuf_set(eb, "access value must be specified (\"admin\", \"read\", \"metrics\", or \"untrusted\")");
		goto out;
	}
	for (a = 0; a < IDENT_ACCESS_MAX; a++)
		if (strcmp(as, access_names[a]) == 0)
			break;
	if (a == IDENT_ACCESS_MAX) {
		errbuf_set(eb, "invalid access value %s, must be \"admin\", \"read\", \"metrics\", or \"untrusted\"",
			   quoted(&q, as));
		goto out;
	}
	id->id_access = (enum ident_access)a;
	if (id->id_password && !*id->id_password) {
		errbuf_set(eb, "basic identity must specify password (hashed)");
		goto out;
	}
	if (!id->id_local && !id->id_password && !id->id_cert_pem) {
		errbuf_set(eb, "identity must have at least one type (\"local\", \"basic\", or \"cert\")");
		goto out;
	}
	*ret = id;
	id = NULL;
	rv = 0;
out:
	ident_free(id);
	buf_done(&q);
	return rv;
}

json_t *ident_to_json(const struct ident *id, bool masked)
{
	json_t *o = json_object();

	json_object_set_new(o, "access", json_string(ident_access_name(id->id_access)));
	if (id->id_local)
		json_object_set_new(o, "local", json_pack("{s:I}", "user-id", (json_int_t)id->id_uid));
	if (id->id_password)
		json_object_set_new(o, "basic", json_pack("{s:s}", "password", masked ? IDENT_MASK : id->id_password));
	if (id->id_cert_pem)
		json_object_set_new(o, "cert", json_pack("{s:s}", "pem", masked ? IDENT_MASK : id->id_cert_pem));
	return o;
}

/* ---- the store ---- */

void ident_store_init(struct ident_store *st)
{
	memset(st, 0, sizeof(*st));
}

void ident_store_done(struct ident_store *st)
{
	for (size_t i = 0; i < st->is_n; i++)
		ident_free(st->is_items[i]);
	free(st->is_items);
	memset(st, 0, sizeof(*st));
}

void ident_store_swap(struct ident_store *a, struct ident_store *b)
{
	struct ident_store t = *a;

	*a = *b;
	*b = t;
}

/* Index of name, or -(insertion point) - 1. */
static ptrdiff_t find(const struct ident_store *st, const char *name)
{
	size_t lo = 0, hi = st->is_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->is_items[mid]->id_name, name);

		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(ptrdiff_t)lo - 1;
}

const struct ident *ident_store_get(const struct ident_store *st, const char *name)
{
	ptrdiff_t i = find(st, name);

	return i >= 0 ? st->is_items[i] : NULL;
}

/* Inserts or replaces (takes id). */
static void store_put(struct ident_store *st, struct ident *id)
{
	ptrdiff_t i = find(st, id->id_name);
	size_t at;

	if (i >= 0) {
		ident_free(st->is_items[i]);
		st->is_items[i] = id;
		return;
	}
	at = (size_t)(-i - 1);
	st->is_items = xrealloc(st->is_items, (st->is_n + 1) * sizeof(*st->is_items));
	memmove(st->is_items + at + 1, st->is_items + at, (st->is_n - at) * sizeof(*st->is_items));
	st->is_items[at] = id;
	st->is_n++;
}

static void store_del(struct ident_store *st, const char *name)
{
	ptrdiff_t i = find(st, name);

	if (i < 0)
		return;
	ident_free(st->is_items[i]);
	memmove(st->is_items + i, st->is_items + i + 1, (st->is_n - (size_t)i - 1) * sizeof(*st->is_items));
	st->is_n--;
}

static int cmp_req(const void *a, const void *b)
{
	const struct ident_req *x = *(const struct ident_req *const *)a, *y = *(const struct ident_req *const *)b;

	return strcmp(x->name, y->name);
}

static int cmp_ident_uid(const void *a, const void *b)
{
	const struct ident *x = *(const struct ident *const *)a, *y = *(const struct ident *const *)b;

	if (x->id_uid != y->id_uid)
		return x->id_uid < y->id_uid ? -1 : 1;
	return strcmp(x->id_name, y->id_name);
}

/* upstream verifyUniqueUserIDs: the lowest duplicated uid is reported, names sorted. */
static int check_unique_uids(const struct ident_store *st, struct errbuf *eb)
{
	const struct ident **loc = xcalloc(st->is_n ? st->is_n : 1, sizeof(*loc));
	size_t n = 0;
	int rv = 0;

	for (size_t i = 0; i < st->is_n; i++)
		if (st->is_items[i]->id_local)
			loc[n++] = st->is_items[i];
	qsort(loc, n, sizeof(*loc), cmp_ident_uid);
	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i + 1;
		struct buf names = BUF_INIT;

		if (loc[j]->id_uid != loc[i]->id_uid)
			continue;
		buf_init(&names);
		buf_adds(&names, loc[i]->id_name);
		for (; j < n && loc[j]->id_uid == loc[i]->id_uid; j++)
			buf_addf(&names, ", %s", loc[j]->id_name);
		errbuf_set(eb, "cannot have multiple identities with user ID %" PRIu32 " (%s)", loc[i]->id_uid,
			   names.data);
		buf_done(&names);
		rv = -EINVAL;
		break;
	}
	free(loc);
	return rv;
}

int ident_store_apply(const struct ident_store *cur, enum ident_action act, const struct ident_req *reqs,
		      size_t n, struct ident_store *ret_new, struct errbuf *eb)
{
	const struct ident_req **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	struct ident_store nw;
	struct buf names = BUF_INIT, q = BUF_INIT;
	int rv = -EINVAL;

	ident_store_init(&nw);
	ident_store_init(ret_new);
	buf_init(&names);
	buf_init(&q);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &reqs[i];
	qsort(sorted, n, sizeof(*sorted), cmp_req);

	/* Null values (checked by upstream's API handler before the manager runs). */
	for (size_t i = 0; i < n; i++) {
		const struct ident_req *r = sorted[i];

		if ((act == IDENT_ADD || act == IDENT_UPDATE) && !r->ident) {
			errbuf_set(eb, "identity value for %s must not be null for %s operation", quoted(&q, r->name),
				   action_names[act]);
			goto out;
		}
		if (act == IDENT_REMOVE && r->ident) {
			errbuf_set(eb, "identity value for %s must be null for remove operation", quoted(&q, r->name));
			goto out;
		}
	}
	/* Existence. */
	for (size_t i = 0; i < n; i++) {
		bool exists = ident_store_get(cur, sorted[i]->name) != NULL;

		if ((act == IDENT_ADD && exists) || ((act == IDENT_UPDATE || act == IDENT_REMOVE) && !exists))
			buf_addf(&names, "%s%s", names.len ? ", " : "", sorted[i]->name);
	}
	if (names.len) {
		errbuf_set(eb, "identities %s: %s", act == IDENT_ADD ? "already exist" : "do not exist", names.data);
		goto out;
	}

	for (size_t i = 0; i < cur->is_n; i++)
		store_put(&nw, ident_dup(cur->is_items[i]));
	for (size_t i = 0; i < n; i++) {
		const struct ident_req *r = sorted[i];
		const struct ident *old = ident_store_get(cur, r->name);
		struct ident *id;

		if (!r->ident) {
			store_del(&nw, r->name);
			continue;
		}
		id = ident_dup(r->ident);
		free(id->id_name);
		id->id_name = xstrdup(r->name);
		/* A client sending back the masked password it read keeps the stored hash. */
		if (id->id_password && strcmp(id->id_password, IDENT_MASK) == 0 && old && old->id_password) {
			free(id->id_password);
			id->id_password = xstrdup(old->id_password);
		}
		store_put(&nw, id);
	}
	if (nw.is_n > IDENT_MAX_COUNT) {
		errbuf_set(eb, "too many identities (at most %d)", IDENT_MAX_COUNT);
		goto out;
	}
	if (check_unique_uids(&nw, eb) < 0)
		goto out;
	ident_store_swap(ret_new, &nw);
	rv = 0;
out:
	ident_store_done(&nw);
	buf_done(&names);
	buf_done(&q);
	free(sorted);
	return rv;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **ident_names_sorted(json_t *ids, size_t *ret_n)
{
	const char **names = xcalloc(json_object_size(ids) + 1, sizeof(*names)), *name;
	size_t n = 0;
	json_t *v;

	json_object_foreach(ids, name, v)
		names[n++] = name;
	qsort(names, n, sizeof(*names), cmp_str);
	*ret_n = n;
	return names;
}

int ident_store_apply_json(const struct ident_store *cur, int act, json_t *ids, struct ident_store *ret_new,
			   struct errbuf *eb)
{
	size_t n;
	/* Go ranges over a map in random order; name order makes the first error stable. */
	const char **names = ident_names_sorted(ids, &n);
	struct ident_req *reqs = xcalloc(n + 1, sizeof(*reqs));
	struct buf q = BUF_INIT;
	int rv = 0;

	ident_store_init(ret_new);
	buf_init(&q);
	for (size_t i = 0; i < n && rv == 0; i++) {
		reqs[i].name = names[i];
		rv = ident_from_json(names[i], json_object_get(ids, names[i]), &reqs[i].ident, eb);
		if (rv < 0)
			errbuf_wrap(eb, "invalid identity for %s", quoted(&q, names[i]));
	}
	if (rv == 0 && (act < 0 || act >= IDENT_ACTION_MAX))
		rv = -EOPNOTSUPP;
	if (rv == 0)
		rv = ident_store_apply(cur, (enum ident_action)act, reqs, n, ret_new, eb);
	for (size_t i = 0; i < n; i++)
		ident_free(reqs[i].ident);
	free(reqs);
	free(names);
	buf_done(&q);
	return rv;
}

json_t *ident_store_to_json(const struct ident_store *st, bool masked)
{
	json_t *o = json_object();

	for (size_t i = 0; i < st->is_n; i++)
		json_object_set_new(o, st->is_items[i]->id_name, ident_to_json(st->is_items[i], masked));
	return o;
}

int ident_store_load_json(struct ident_store *st, json_t *v, struct errbuf *eb)
{
	const char *name;
	json_t *val;
	struct buf q = BUF_INIT;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		errbuf_set(eb, "identities: not an object");
		return -EINVAL;
	}
	buf_init(&q);
	json_object_foreach(v, name, val) {
		struct ident *id = NULL;

		if (ident_from_json(name, val, &id, eb) < 0) {
			errbuf_wrap(eb, "identity %s", quoted(&q, name));
			buf_done(&q);
			ident_store_done(st);
			return -EINVAL;
		}
		if (id)
			store_put(st, id);
	}
	buf_done(&q);
	return 0;
}

/* ---- matching callers ---- */

const struct ident *ident_store_by_uid(const struct ident_store *st, uint32_t uid)
{
	for (size_t i = 0; i < st->is_n; i++)
		if (st->is_items[i]->id_local && st->is_items[i]->id_uid == uid)
			return st->is_items[i];
	return NULL;
}

/* Verification blocks the loop for as long as the hash takes: about 2 ms at the default
 * 5000 rounds.  A hash with a huge rounds count (up to 999,999,999 are legal) would stall
 * the daemon for minutes per request, so more than IDENT_CRYPT_MAX_ROUNDS never matches. */
bool ident_password_ok(const char *hash, const char *password)
{
	struct crypt_data *cd;
	const char *out;
	size_t len;
	bool ok;

	if (!hash || !password || strncmp(hash, "$6$", 3) != 0)
		return false;
	if (strncmp(hash + 3, "rounds=", 7) == 0) {
		const char *p = hash + 10;
		unsigned long long r = 0;

		for (; *p >= '0' && *p <= '9'; p++) {
			r = r * 10 + (unsigned)(*p - '0');
			if (r > IDENT_CRYPT_MAX_ROUNDS)
				return false;
		}
	}
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r(password, hash, cd);
	len = strlen(hash);
	ok = out && out[0] == '$' && strlen(out) == len && CRYPTO_memcmp(out, hash, len) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

const struct ident *ident_store_by_basic(const struct ident_store *st, const char *user, const char *password)
{
	const struct ident *id = user ? ident_store_get(st, user) : NULL;

	if (!id || !id->id_password)
		return NULL;
	return ident_password_ok(id->id_password, password) ? id : NULL;
}

/* ---- identities files (YAML) ---- */

/* A YAML scalar read into a Go string field: yaml.v3 keeps the scalar's text. */
static int scalar_text(json_t *v, struct buf *out)
{
	buf_reset(out);
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		gofmt_float(out, json_real_value(v), GOFMT_FLOAT_G);
		return 0;
	case JSON_TRUE:
		buf_adds(out, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(out, "false");
		return 0;
	default:
		return -EINVAL;
	}
}

/* One identity's YAML mapping -> the API shape (the CLI's client.Identity marshalling). */
static int file_identity(const char *name, json_t *v, json_t **ret, struct errbuf *eb)
{
	json_t *o = NULL, *access, *local, *basic, *cert, *uid, *f;
	struct buf t = BUF_INIT, q = BUF_INIT;
	int rv = -EINVAL;

	buf_init(&t);
	buf_init(&q);
	if (!json_is_object(v)) {
		errbuf_set(eb, "cannot unmarshal identities: identity %s must be a mapping", quoted(&q, name));
		goto out;
	}
	o = json_object();
	access = member(v, "access");
	if (access && scalar_text(access, &t) < 0) {
		errbuf_set(eb, "cannot unmarshal identities: identity %s: access must be a string", quoted(&q, name));
		goto out;
	}
	json_object_set_new(o, "access", json_stringn(access ? t.data : "", access ? t.len : 0));
	if ((local = member(v, "local"))) {
		if (!json_is_object(local)) {
			errbuf_set(eb, "cannot unmarshal identities: identity %s: local must be a mapping",
				   quoted(&q, name));
			goto out;
		}
		uid = member(local, "user-id");
		if (uid && (!json_is_integer(uid) || json_integer_value(uid) < 0 ||
			    json_integer_value(uid) > (json_int_t)UINT32_MAX)) {
			errbuf_set(eb,
				   "cannot unmarshal identities: identity %s: user-id must be an integer between 0 and "
				   "%" PRIu32,
				   quoted(&q, name), UINT32_MAX);
			goto out;
		}
		json_object_set_new(o, "local", json_pack("{s:O}", "user-id", uid ? uid : json_null()));
	}
	if ((basic = member(v, "basic"))) {
		f = json_is_object(basic) ? member(basic, "password") : NULL;
		if (!json_is_object(basic) || (f && scalar_text(f, &t) < 0)) {
			errbuf_set(eb, "cannot unmarshal identities: identity %s: basic must be a mapping with a string password",
				   quoted(&q, name));
			goto out;
		}
		json_object_set_new(o, "basic", json_pack("{s:s%}", "password", f ? t.data : "", f ? t.len : 0));
	}
	if ((cert = member(v, "cert"))) {
		f = json_is_object(cert) ? member(cert, "pem") : NULL;
		if (!json_is_object(cert) || (f && scalar_text(f, &t) < 0)) {
			errbuf_set(eb, "cannot unmarshal identities: identity %s: cert must be a mapping with a string pem",
				   quoted(&q, name));
			goto out;
		}
		json_object_set_new(o, "cert", json_pack("{s:s%}", "pem", f ? t.data : "", f ? t.len : 0));
	}
	*ret = o;
	o = NULL;
	rv = 0;
out:
	json_decref(o);
	buf_done(&t);
	buf_done(&q);
	return rv;
}

int ident_file_parse(const char *text, size_t len, json_t **ret, struct errbuf *eb)
{
	json_t *doc = NULL, *ids, *out = NULL, *val;
	const char *name;
	int rv;

	rv = yaml_to_json(text, len, &doc, eb);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot unmarshal identities");
		return -EINVAL;
	}
	rv = -EINVAL;
	if (!json_is_null(doc) && !json_is_object(doc)) {
		errbuf_set(eb, "cannot unmarshal identities: the document must be a mapping");
		goto out;
	}
	ids = member(doc, "identities");
	if (ids && !json_is_object(ids)) {
		errbuf_set(eb, "cannot unmarshal identities: \"identities\" must be a mapping");
		goto out;
	}
	if (json_object_size(ids) == 0) {
		errbuf_set(eb, "no identities to add; did you forget the top-level \"identities\" key?");
		goto out;
	}
	out = json_object();
	json_object_foreach(ids, name, val) {
		json_t *one = NULL;

		if (json_is_null(val)) {
			json_object_set_new(out, name, json_null());
			continue;
		}
		if (file_identity(name, val, &one, eb) < 0)
			goto out;
		json_object_set_new(out, name, one);
	}
	*ret = out;
	out = NULL;
	rv = 0;
out:
	json_decref(out);
	json_decref(doc);
	return rv;
}

/* tls.c - CA and certificates, TLS contexts; see tls.h. */
#include "proto/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"

#define TLS_CA_DAYS (3650)
#define TLS_SERVER_DAYS (3650)

const char *tls_error(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, n, "unknown TLS error");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return 0;
}

/* A certificate for key, named cn, signed by issuer_key (self-signed when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
		       int days)
{
	X509 *c = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;

	if (!c)
		return NULL;
	X509_set_version(c, 2);
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)))
		goto fail;
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cairn", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	if (ca) {
		if (add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
		    add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    add_ext(c, issuer ? issuer : c, NID_subject_key_identifier, "hash"))
			goto fail;
	} else {
		if (add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
		    add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
		    add_ext(c, issuer, NID_ext_key_usage, "serverAuth,clientAuth") ||
		    add_ext(c, issuer, NID_subject_alt_name, "DNS:" TLS_SERVER_NAME) ||
		    add_ext(c, issuer, NID_authority_key_identifier, "keyid:always"))
			goto fail;
	}
	if (!X509_sign(c, issuer_key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	return c;
fail:
	BN_free(bn);
	X509_free(c);
	return NULL;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *c1, X509 *c2, struct errbuf *eb)
{
	char *tmp = xasprintf("%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok = f != NULL;
	char eb2[256];

	if (ok && key)
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (ok && c1)
		ok = PEM_write_X509(f, c1) == 1;
	if (ok && c2)
		ok = PEM_write_X509(f, c2) == 1;
	if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		ok = false;
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) < 0)
		ok = false;
	if (!ok) {
		errbuf_set(eb, "cannot write %s: %s", path, errno ? strerror(errno) : tls_error(eb2, sizeof(eb2)));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -EIO;
}

int tls_bootstrap(const char *dir, struct errbuf *eb)
{
	char *ca_crt = xasprintf("%s/ca.crt", dir), *ca_key = xasprintf("%s/ca.key", dir);
	char *srv_pem = xasprintf("%s/server.pem", dir), *srv_key = xasprintf("%s/server.key", dir);
	EVP_PKEY *ck = NULL, *sk = NULL;
	X509 *cc = NULL, *sc = NULL;
	char e[256];
	int r = 0;

	if (access(ca_crt, F_OK) == 0 && access(srv_pem, F_OK) == 0 && access(srv_key, F_OK) == 0)
		goto out;
	r = fs_mkdir_p(dir, 0700);
	if (r < 0) {
		errbuf_set(eb, "cannot create %s: %s", dir, strerror(-r));
		goto out;
	}
	ck = EVP_EC_gen("P-256");
	sk = EVP_EC_gen("P-256");
	if (!ck || !sk) {
		errbuf_set(eb, "cannot generate keys: %s", tls_error(e, sizeof(e)));
		r = -EIO;
		goto out;
	}
	cc = make_cert(ck, "cairn controller CA", NULL, ck, true, TLS_CA_DAYS);
	sc = cc ? make_cert(sk, TLS_SERVER_NAME, cc, ck, false, TLS_SERVER_DAYS) : NULL;
	if (!cc || !sc) {
		errbuf_set(eb, "cannot make certificates: %s", tls_error(e, sizeof(e)));
		r = -EIO;
		goto out;
	}
	/* The CA certificate goes last: its presence marks a complete bootstrap. */
	if ((r = write_pem(ca_key, ck, NULL, NULL, eb)) < 0 ||
	    (r = write_pem(srv_key, sk, NULL, NULL, eb)) < 0 ||
	    (r = write_pem(srv_pem, NULL, sc, cc, eb)) < 0 ||
	    (r = write_pem(ca_crt, NULL, cc, NULL, eb)) < 0)
		goto out;
out:
	EVP_PKEY_free(ck);
	EVP_PKEY_free(sk);
	X509_free(cc);
	X509_free(sc);
	free(ca_crt);
	free(ca_key);
	free(srv_pem);
	free(srv_key);
	return r;
}

static void fingerprint(X509 *c, char out[TLS_FINGERPRINT_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	X509_digest(c, EVP_sha256(), md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int tls_fingerprint_pem(const char *pem, char out[TLS_FINGERPRINT_HEX], struct errbuf *eb)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!c) {
		errbuf_set(eb, "not a PEM certificate");
		return -EINVAL;
	}
	fingerprint(c, out);
	X509_free(c);
	return 0;
}

int tls_fingerprint_file(const char *path, char out[TLS_FINGERPRINT_HEX], struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	int r;

	buf_init(&b);
	r = fs_read_file(path, 1u << 20, &b);
	if (r < 0)
		errbuf_set(eb, "cannot read %s: %s", path, strerror(-r));
	else
		r = tls_fingerprint_pem(b.data, out, eb);
	buf_done(&b);
	return r;
}

static SSL_CTX *new_ctx(const SSL_METHOD *m, struct errbuf *eb)
{
	SSL_CTX *ctx = SSL_CTX_new(m);
	char e[256];

	if (!ctx) {
		errbuf_set(eb, "cannot create a TLS context: %s", tls_error(e, sizeof(e)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

SSL_CTX *tls_server_ctx(const char *cert_chain, const char *key, struct errbuf *eb)
{
	SSL_CTX *ctx = new_ctx(TLS_server_method(), eb);
	char e[256];

	if (!ctx)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		errbuf_set(eb, "cannot load %s: %s", cert_chain, tls_error(e, sizeof(e)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *tls_client_ctx(const char *ca_pem, struct errbuf *eb)
{
	SSL_CTX *ctx = new_ctx(TLS_client_method(), eb);
	X509_STORE *store;
	BIO *b;
	X509 *ca;

	if (!ctx || !ca_pem)
		return ctx;
	b = BIO_new_mem_buf(ca_pem, -1);
	ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!ca) {
		errbuf_set(eb, "the controller's CA certificate is not valid PEM");
		SSL_CTX_free(ctx);
		return NULL;
	}
	store = SSL_CTX_get_cert_store(ctx);
	X509_STORE_add_cert(store, ca);
	X509_free(ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), TLS_SERVER_NAME, 0);
	return ctx;
}

int tls_verify_pinned(SSL *ssl, const char *pin_hex, char **ret_ca_pem, struct errbuf *eb)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509 *leaf = SSL_get0_peer_certificate(ssl), *ca = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *sctx = NULL;
	char fp[TLS_FINGERPRINT_HEX];
	int r = -EPERM;

	if (!chain || !leaf) {
		errbuf_set(eb, "the controller presented no certificate");
		return -EPERM;
	}
	for (int i = 0; i < sk_X509_num(chain); i++) {
		fingerprint(sk_X509_value(chain, i), fp);
		if (!strcmp(fp, pin_hex))
			ca = sk_X509_value(chain, i);
	}
	if (!ca) {
		errbuf_set(eb, "the controller's certificate authority does not match the join token");
		return -EPERM;
	}
	store = X509_STORE_new();
	sctx = X509_STORE_CTX_new();
	if (!store || !sctx || X509_STORE_add_cert(store, ca) != 1 ||
	    X509_STORE_CTX_init(sctx, store, leaf, chain) != 1) {
		errbuf_set(eb, "cannot verify the controller's certificate");
		goto out;
	}
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(sctx), TLS_SERVER_NAME, 0);
	if (X509_verify_cert(sctx) != 1) {
		errbuf_set(eb, "the controller's certificate does not verify: %s",
			   X509_verify_cert_error_string(X509_STORE_CTX_get_error(sctx)));
		goto out;
	}
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *p;
		long n;

		if (!b || PEM_write_bio_X509(b, ca) != 1) {
			BIO_free(b);
			errbuf_set(eb, "cannot encode the CA certificate");
			goto out;
		}
		n = BIO_get_mem_data(b, &p);
		*ret_ca_pem = xstrndup(p, (size_t)n);
		BIO_free(b);
	}
	r = 0;
out:
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(store);
	return r;
}

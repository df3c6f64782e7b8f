/* tls.h - the controller's certificate authority and the TLS contexts of both sides.
 *
 * At bootstrap the controller makes a private CA (EC P-256, self-signed) and a server
 * certificate signed by it for the name TLS_SERVER_NAME; an agent trusts only that CA and
 * checks that name, so an agent cannot be talked to by anything but its controller whatever
 * address it connects to (as Juju's agents check "juju-apiserver").  A join token carries
 * the SHA-256 fingerprint of the CA certificate, which lets a new host check the controller
 * before it sends its token (tls_verify_pinned); it then keeps the CA certificate. */
#ifndef CAIRN_TLS_H
#define CAIRN_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "lib/errbuf.h"

#define TLS_SERVER_NAME "cairn-controller"
#define TLS_FINGERPRINT_HEX 65

/* Creates dir/ca.crt, dir/ca.key, dir/server.pem (server certificate then the CA) and
 * dir/server.key when ca.crt does not exist yet; keys are written mode 0600.  Returns 0 or
 * a negative errno with eb set. */
int tls_bootstrap(const char *dir, struct errbuf *eb);

/* SHA-256 of the DER form of the first certificate in the PEM text or file, as hex. */
int tls_fingerprint_pem(const char *pem, char out[TLS_FINGERPRINT_HEX], struct errbuf *eb);
int tls_fingerprint_file(const char *path, char out[TLS_FINGERPRINT_HEX], struct errbuf *eb);

/* A server context presenting cert_chain (PEM, leaf first) and key. */
SSL_CTX *tls_server_ctx(const char *cert_chain, const char *key, struct errbuf *eb);
/* A client context that trusts only the CA in ca_pem (PEM text) and checks TLS_SERVER_NAME.
 * With ca_pem NULL nothing is verified during the handshake: the caller must then call
 * tls_verify_pinned() before sending anything. */
SSL_CTX *tls_client_ctx(const char *ca_pem, struct errbuf *eb);

/* After a handshake made with tls_client_ctx(NULL): checks that the peer's chain holds a CA
 * certificate whose fingerprint is pin_hex, that the server certificate is signed by it and
 * names TLS_SERVER_NAME.  Returns 0 and the CA certificate as PEM in *ret_ca_pem (caller
 * frees), or -EPERM with eb saying why. */
int tls_verify_pinned(SSL *ssl, const char *pin_hex, char **ret_ca_pem, struct errbuf *eb);

/* The last OpenSSL error as text (for messages); never NULL. */
const char *tls_error(char *buf, size_t n);

#endif

#ifndef CZ_AUTH_PKI_H
#define CZ_AUTH_PKI_H

/*
 * The certificates cozypkgd serves TLS with.
 *
 * On first start cozypkgd creates, in its data directory, a private CA and
 * a server certificate signed by it:
 *
 *   ca.crt      0644  self-signed, EC P-256, CA:TRUE, keyCertSign, 10 years,
 *                     CN "cozypkgd-ca"
 *   ca.key      0600  the CA's private key (PKCS#8 PEM)
 *   server.crt  0644  EC P-256, serverAuth, 1 year, CN "cozypkgd", SANs
 *                     DNS:localhost, IP:127.0.0.1, IP:::1 and the extra
 *                     names the caller gives
 *   server.key  0600  the server's private key (PKCS#8 PEM)
 *
 * Serial numbers are 16 random bytes (positive, 126 bits of randomness).
 * Every file is replaced atomically, so a crash leaves either the old or
 * the new file, never half of one.
 * Clients trust ca.crt (the kubeconfig carries it), so the CA is kept for
 * as long as it is usable and only the server certificate is reissued.
 */

#include <stdbool.h>
#include <time.h>

#include "util/error.h"

/* A server certificate with less than this left is reissued. */
#define CZ_PKI_RENEW_BEFORE_SECONDS (30L * 24 * 3600)

typedef struct cz_pki {
	/* PEM text, NUL-terminated, owned. */
	char *ca_cert_pem;
	char *server_cert_pem;
	char *server_key_pem;
	/* DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key, owned. */
	char *ca_cert_path;
	char *ca_key_path;
	char *server_cert_path;
	char *server_key_path;
	/* What this call wrote; a new CA means every client must be given the
	 * new ca.crt. */
	bool ca_generated;
	bool server_generated;
} cz_pki;

/*
 * Makes sure dir holds a usable CA and server certificate, and loads them
 * into *out (which the caller releases with cz_pki_release(), also after a
 * failure).
 *
 * dir is created (mode 0700) when it does not exist; its parent must.
 * extra_sans is a NULL-terminated list of additional names the server
 * certificate must cover, each an IPv4 or IPv6 address or a DNS name
 * (letters, digits, '-', '.', and a leading "*." for a wildcard); NULL
 * means none.
 *
 * The existing server.crt and server.key are kept when both parse, the key
 * belongs to the certificate, the certificate chains to ca.crt for TLS
 * server use, has at least CZ_PKI_RENEW_BEFORE_SECONDS left and covers
 * every SAN; otherwise a new server key and certificate are issued with
 * ca.key.  The CA is regenerated only when ca.crt or ca.key is missing,
 * unreadable, mismatched, not a CA or expired, and a server certificate
 * has to be issued.
 *
 * Returns CZ_OK, CZ_EINVALID for a malformed extra SAN, CZ_EIO naming the
 * file that could not be read or written, or CZ_ERR naming what the
 * crypto library refused.
 */
int cz_pki_ensure(const char *dir, const char *const *extra_sans, cz_pki *out,
		  cz_error *err);

/* cz_pki_ensure() as if the clock read `now` (used for issuing, validity
 * checks and renewal alike), so that expiry can be tested. */
int cz_pki_ensure_at(const char *dir, const char *const *extra_sans,
		     time_t now, cz_pki *out, cz_error *err);

/* Frees what *pki owns (wiping the key text) and zeroes it. */
void cz_pki_release(cz_pki *pki);

#endif

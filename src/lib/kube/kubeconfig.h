#ifndef CZ_KUBE_KUBECONFIG_H
#define CZ_KUBE_KUBECONFIG_H

/*
 * kubeconfig files: writing the one cozypkgd hands to its administrator,
 * and reading any kubeconfig kubectl would read, so that the cozypkg CLI
 * and the controllers in operator mode reach a server the same way kubectl
 * does.
 *
 * Only the fields needed to connect are read: the context's cluster
 * (server, certificate-authority[-data], insecure-skip-tls-verify,
 * tls-server-name), its user (token, tokenFile, client-certificate[-data],
 * client-key[-data]) and its namespace.  Other fields are ignored; exec and
 * auth-provider plugins are not supported.
 */

#include <stdbool.h>

#include "util/error.h"

/* Files a kubeconfig points at (certificates, keys, token files) are not
 * read past this size. */
#define CZ_KUBECONFIG_MAX_BYTES (1024 * 1024)

typedef struct cz_kubeconfig {
	char *context; /* the context's name */
	char *cluster; /* the cluster's name */
	char *user;    /* the user's name */
	char *server;  /* https://host:port */
	char *tls_server_name;  /* NULL unless set */
	char *ca_pem;           /* NULL: use the system's trust store */
	bool insecure_skip_tls_verify;
	char *token;            /* NULL when the user has none */
	char *client_cert_pem;  /* NULL when the user has none */
	char *client_key_pem;   /* NULL when the user has none */
	char *namespace;        /* "default" unless the context sets one */
} cz_kubeconfig;

/*
 * Writes a kubeconfig with one cluster, one user and one context, all
 * called name, current-context set to it: the cluster's server is
 * server_url and its certificate-authority-data the base64 of ca_pem; the
 * user authenticates with token.  The file is replaced atomically and has
 * mode 0600, since it holds the token.  Returns CZ_EINVALID for an empty
 * argument, CZ_EIO naming the file when it cannot be written.
 */
int cz_kubeconfig_write(const char *path, const char *server_url,
			const char *ca_pem, const char *token,
			const char *name, cz_error *err);

/*
 * Reads the kubeconfig at path and resolves context (NULL: the file's
 * current-context) into *out, which the caller releases with
 * cz_kubeconfig_release() (also after a failure).
 *
 * Relative certificate-authority, client-certificate, client-key and
 * tokenFile paths are taken relative to the kubeconfig's directory.  When
 * both the inline value (token, *-data) and the file are given, the inline
 * value wins, as in kubectl.  A tokenFile's surrounding whitespace is
 * trimmed.
 *
 * Errors start "kubeconfig PATH: " and name the field, e.g.
 * "kubeconfig /root/.kube/config: users[0].user.token: expected string":
 * CZ_ENOTFOUND when the file, the context, or the cluster or user it names
 * does not exist; CZ_EINVALID for a malformed file or a missing server;
 * CZ_EIO / CZ_ETOOLARGE for a referenced file that cannot be read.
 */
int cz_kubeconfig_load(const char *path, const char *context,
		       cz_kubeconfig *out, cz_error *err);

/*
 * Several files merged as kubectl merges $KUBECONFIG: for clusters, users
 * and contexts the first file to define a name wins, and so does the first
 * current-context.  Relative file references stay relative to the file
 * that holds them.  With more than one path, files that do not exist are
 * skipped (CZ_ENOTFOUND when none exists); messages name the paths joined
 * with ':'.
 */
int cz_kubeconfig_load_files(const char *const *paths, size_t npaths,
			     const char *context, cz_kubeconfig *out,
			     cz_error *err);

/*
 * kubectl's choice of files: path when given (it must exist), else every
 * file of $KUBECONFIG merged, else $HOME/.kube/config.
 */
int cz_kubeconfig_load_default(const char *path, const char *context,
			       cz_kubeconfig *out, cz_error *err);

void cz_kubeconfig_release(cz_kubeconfig *kc);

/*
 * The first file kubectl would look at: the first non-empty entry of
 * $KUBECONFIG (cz_kubeconfig_load_default() merges them all), else
 * $HOME/.kube/config.  Returns a malloc'ed path the caller frees, or NULL
 * when neither variable is set.
 */
char *cz_kubeconfig_default_path(void);

#endif

#ifndef CZ_APISERVER_DIRECT_H
#define CZ_APISERVER_DIRECT_H

/*
 * The in-process client: a cz_kube whose requests call the API server's
 * verbs (apiserver.h) on the store directly, as user, with the same
 * authorisation, the same answers and the same watch events as over
 * HTTPS, and no TLS, socket or JSON text in between.  The controllers in
 * cozypkgd use it; they cannot tell it from the libcurl client.
 */

#include "apiserver/apiserver.h"
#include "kube/client.h"

/* A client for store as user (copied), with the git storage of package
 * revisions (may be NULL: they are not served).  name is what messages
 * call the server.  The handle is freed with cz_kube_free(); the store
 * and revisions must outlive it and every handle duplicated from it. */
int cz_kube_open_direct(cz_store *store, struct cz_revstore *revisions,
			const cz_user *user,
			const char *name, const cz_kube_opts *opts,
			cz_kube **out, cz_error *err);

#endif

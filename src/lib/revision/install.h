#ifndef CZ_REVISION_INSTALL_H
#define CZ_REVISION_INSTALL_H

/*
 * What installing a deployment revision means, without a cluster: which of
 * its files are objects, in what order they are applied, and which objects
 * an earlier install applied that this one drops (docs/revisions.md, "The
 * install gate").  The controller (controller/ctl_install.c) does the
 * applying and pruning.
 *
 * An object reference is {"apiVersion", "kind", "namespace", "name"}
 * ("namespace" "" for cluster-scoped kinds); an inventory is an array of
 * them.
 */

#include <jansson.h>

#include "util/error.h"

/* The field manager of every apply, and the annotation that marks what the
 * installer applied ("<namespace>/<package key>"): pruning deletes only
 * objects that still carry it. */
#define CZ_INSTALL_MANAGER "cozypkg-install"
#define CZ_INSTALL_OWNER "pkg.pkgserver.dev/installed-by"

/*
 * The objects of a revision's files (PackageRevisionResources
 * spec.resources: path -> content), in apply order: Namespaces, then
 * CustomResourceDefinitions, then Secrets, ConfigMaps and ServiceAccounts,
 * then every other kind, then Packages; in path and document order within
 * a class.  Files ending .yaml, .yml or .json are read, but for the
 * Kptfile; a document annotated config.kubernetes.io/local-config: "true"
 * is left out, as kpt does.  A namespaced object without a namespace gets
 * ns.  *out is a new array of new objects.
 *
 * CZ_EINVALID names the file and line: a YAML error, a document that is
 * not an object with apiVersion, kind and metadata.name, a kind the server
 * does not serve, a namespace on a cluster-scoped kind, the same object
 * twice.
 */
int cz_install_objects(const json_t *resources, const char *ns,
		       json_t **out, cz_error *err);

/* The reference of obj (a new object). */
json_t *cz_install_ref(const json_t *obj);

/* The references of old that are not in now, in reverse apply order (a
 * new array): what pruning deletes. */
json_t *cz_install_dropped(const json_t *old, const json_t *now);

/* The references of a and of b, each once (a new array). */
json_t *cz_install_union(const json_t *a, const json_t *b);

#endif

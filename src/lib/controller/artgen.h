#ifndef CZ_CONTROLLER_ARTGEN_H
#define CZ_CONTROLLER_ARTGEN_H

/*
 * The pure pieces of the artifact generator (ctl_artifacts.c) and of the
 * route that serves the store: artifact URLs, ExternalArtifact objects and
 * their status, the generator's Ready condition, and publishing targets.
 * Nothing here does I/O, so the unit tests call it directly.
 *
 * An ExternalArtifact (source.toolkit.fluxcd.io/v1) per variant x
 * component, in cozy-system, named <source>-<variant>-<component> (dots as
 * dashes), labelled with cozystack.io/packagesource, cozystack.io/variant
 * and cozystack.io/component, owned by its PackageSource (controller
 * reference, so the garbage collector removes it with the PackageSource),
 * with status.artifact naming the blob in the store:
 *
 *   url:      <base>/artifacts/sha256/<hex>.tar.gz
 *   path:     sha256/<hex>.tar.gz
 *   revision: latest@sha256:<hex>
 *   digest:   sha256:<hex>
 *   size, lastUpdateTime (kept while the digest does not change)
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "artifact/assemble.h"
#include "artifact/tarball.h"
#include "util/error.h"

#define CZ_ARTGEN_NAMESPACE "cozy-system"
#define CZ_ARTGEN_FIELD_MANAGER "cozystack-artifact-generator"
#define CZ_LABEL_PACKAGESOURCE "cozystack.io/packagesource"
#define CZ_LABEL_VARIANT "cozystack.io/variant"
#define CZ_LABEL_COMPONENT "cozystack.io/component"

/*
 * The digest a request path names: true only for exactly
 * "/artifacts/sha256/<64 lowercase hex>.tar.gz", filling digest_out with
 * "sha256:<hex>".  Anything else (other prefixes, "..", upper case, wrong
 * length, a query, extra slashes) is false.
 */
bool cz_artifact_url_digest(const char *path, char digest_out[CZ_DIGEST_MAX]);

/* "<base_url>/artifacts/sha256/<hex>.tar.gz" for digest "sha256:<hex>"
 * (base_url without a trailing slash is expected; one is dropped);
 * malloc'ed, or NULL for a malformed digest. */
char *cz_artifact_url(const char *base_url, const char *digest);

/*
 * The ExternalArtifact for one assembled item of the PackageSource src_obj
 * (borrowed; its name and uid make the owner reference): metadata and
 * spec, no status.  New reference.
 */
json_t *cz_external_artifact_new(const json_t *src_obj,
				 const cz_assembled *item);

/*
 * The status of that ExternalArtifact.  previous is its current status
 * (may be NULL): lastUpdateTime and the Ready condition's
 * lastTransitionTime are kept when nothing changed.  When the item failed
 * (item->error.code != 0), the previous artifact is kept (the last good
 * build goes on being served) and Ready is False/BuildFailed with the
 * error; publish_error (may be NULL) makes Ready False/PublishFailed.
 * Otherwise Ready is True/Succeeded.  New reference.
 */
json_t *cz_external_artifact_status(const json_t *previous,
				    const char *base_url,
				    const cz_assembled *item,
				    const char *publish_error);

/* True when two ExternalArtifact statuses agree on the artifact and the
 * Ready condition (ignoring lastTransitionTime). */
bool cz_external_artifact_status_same(const json_t *a, const json_t *b);

/*
 * The generator's Ready condition for one assembly, copied to the
 * PackageSource: True/Succeeded "reconciliation succeeded, generated N
 * artifact(s) from <revision>", or False/BuildFailed with every failing
 * component's message (component, path and cause), joined by "; ".
 * Returns {status, reason, message} (new reference).
 */
json_t *cz_artgen_condition(const cz_assembly *a, const char *revision);

/*
 * Splits a publishing target "oci://HOST[:PORT]/PATH" into *host_out and
 * *path_out (both malloc'ed; the caller frees them).  PATH may be empty
 * (charts then go to <artifact name> at the top); it must be a valid
 * repository path otherwise.  CZ_EINVALID naming the problem.
 */
int cz_publish_target_parse(const char *url, char **host_out, char **path_out,
			    cz_error *err);

/* The repository an artifact is published to: "<path>/<name>" or
 * "<name>"; malloc'ed. */
char *cz_publish_repo(const char *path, const char *name);

#endif

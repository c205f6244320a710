#ifndef CZ_APISERVER_VALUES_H
#define CZ_APISERVER_VALUES_H

/*
 * Values admission: a Package create or update whose
 * spec.components.<c>.values, merged over the values.yaml of that
 * component's artifact, do not validate against the artifact's
 * values.schema.json is answered as kube-apiserver answers a schema
 * error (422, a cause per field path) in enforce mode, or goes through
 * with a Warning per problem in warn mode.  A component whose artifact is
 * not built yet passes (in enforce mode with a warning saying its values
 * were not checked).
 *
 * The artifact of component c of Package p (variant v) is the
 * ExternalArtifact <p>-<v>-<c> in the artifacts' namespace, its tarball
 * in the artifact store; the defaults and schema read from a tarball are
 * cached by digest.
 */

#include "apiserver/apiserver.h"
#include "artifact/store.h"

typedef enum cz_values_mode {
	CZ_VALUES_OFF,
	CZ_VALUES_WARN,
	CZ_VALUES_ENFORCE,
} cz_values_mode;

typedef struct cz_values_admission cz_values_admission;

/* "off", "warn" or "enforce"; CZ_EINVALID naming the flag otherwise. */
int cz_values_mode_parse(const char *text, cz_values_mode *out,
			 cz_error *err);

/* A checker over artifacts (borrowed; it must outlive the checker) whose
 * ExternalArtifacts live in ns.  Free with cz_values_admission_free(). */
cz_values_admission *cz_values_admission_new(cz_values_mode mode,
					     const cz_artifact_store *artifacts,
					     const char *ns);
void cz_values_admission_free(cz_values_admission *va);

/* Checks the values of the Package object pkg against the artifacts
 * whose ExternalArtifacts store holds: each problem is appended to causes
 * ({reason, field, message}), each component whose artifact is not built
 * yet to unchecked (its name).  Nothing in off mode.  Thread-safe. */
void cz_values_check(const cz_values_admission *va, cz_store *store,
		     const json_t *pkg, json_t *causes, json_t *unchecked);

/* Checks the Package pkg for the call c (whose store holds the
 * ExternalArtifacts): CZ_OK, with warnings added to c, or CZ_EINVALID
 * with c's answer the 422. */
int cz_values_admit(const cz_values_admission *va, cz_api_call *c,
		    const json_t *pkg);

#endif

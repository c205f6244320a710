#ifndef CZ_SERVER_HANDLERS_H
#define CZ_SERVER_HANDLERS_H

/* Shared by the resource handlers (objects.c, update.c, watch.c, gc.c). */

#include "object/meta.h"
#include "server.h"

/* Decodes the request body (JSON or YAML, one document, an object) into
 * *out (owned by the caller).  Answers 400 itself on failure. */
int cz_decode_body(cz_req *req, json_t **out);

/* Checks that obj's apiVersion and kind are the target resource's (setting
 * them when the body left both out is not allowed, as upstream).  Answers
 * 400 itself on failure. */
int cz_check_type(cz_req *req, const json_t *obj);

/* Parses the stored text of a blob; NULL only on a corrupt store. */
json_t *cz_blob_json(const cz_blob *b);

/* obj.metadata, created when missing (borrowed). */
json_t *cz_meta(json_t *obj);
int64_t cz_meta_rv(const json_t *obj);

/* Index of the string s in array, or -1. */
long cz_string_index(const json_t *array, const char *s);

/* Whether an object being deleted has no finalizer left (for a Namespace,
 * also none in spec.finalizers): then it goes. */
bool cz_deletion_finished(const cz_resource *r, const json_t *obj);

/* A new random RFC 4122 version 4 UUID. */
void cz_new_uid(char out[37]);

/* Whether this kind records metadata.generation (custom resources do,
 * ConfigMaps and Secrets do not). */
bool cz_tracks_generation(const cz_resource *r);

/* The field manager of a write: ?fieldManager=, else the user agent's
 * program name, as kube-apiserver derives it. */
const char *cz_field_manager(cz_req *req, char *buf, size_t size);

/* Validates obj as the target kind with the request's fieldValidation
 * mode; answers 400/422 itself on failure and adds Warning headers for
 * "Warn".  Unknown fields are pruned unless the mode is Strict. */
int cz_validate_request(cz_req *req, json_t *obj);

/* Parsed list filters: labelSelector and fieldSelector.  Answers 400 on a
 * malformed selector. */
typedef struct cz_filters cz_filters;
int cz_filters_parse(cz_req *req, cz_filters **out);
bool cz_filters_empty(const cz_filters *f);
bool cz_filters_match(const cz_filters *f, const json_t *obj);
void cz_filters_free(cz_filters *f);

/* Deletes (or marks for deletion) the object at key as the DELETE verb
 * does: finalizers, propagation policy, namespaces.  *out (optional)
 * receives what the client is answered with. */
typedef struct cz_delete_opts {
	const char *propagation; /* "Background", "Foreground", "Orphan" */
	const char *uid;         /* precondition, or NULL */
	int64_t rv;              /* precondition, or 0 */
	bool dry_run;
} cz_delete_opts;
int cz_delete_object(cz_server *srv, const cz_resource *r, const char *key,
		     const cz_delete_opts *opts, json_t **out, cz_error *err);

/* Writes an updated object: carries server-owned metadata over from cur,
 * bumps generation on spec changes, skips no-op writes, records managed
 * fields (unless already done by apply), completes a deletion whose last
 * finalizer went away.  *out is the answer. */
typedef struct cz_update_opts {
	bool status_only;
	bool dry_run;
	bool fields_managed; /* the caller already updated managedFields */
	const char *manager;
	int64_t expect_rv; /* 0: unconditional */
} cz_update_opts;
int cz_write_update(cz_req *req, const json_t *cur, json_t *next,
		    const cz_update_opts *opts, json_t **out);

/* Secrets: stringData is merged into data (base64) and dropped. */
void cz_secret_normalize(const cz_resource *r, json_t *obj);

/* Records in obj.metadata.managedFields that manager wrote the fields that
 * differ from old (all of them on create, old NULL). */
void cz_record_managed_fields(cz_req *req, json_t *obj, const json_t *old,
			      const char *manager);

/* Verb handlers. */
int cz_handle_apply(cz_req *req, const json_t *patch);
int cz_handle_update(cz_req *req);
int cz_handle_patch(cz_req *req);
int cz_handle_create_object(cz_req *req, json_t *obj, const char *manager,
			    bool fields_managed);

#endif

#ifndef CZ_APISERVER_INTERNAL_H
#define CZ_APISERVER_INTERNAL_H

/* Shared by the verb files of the API server library; not a public API. */

#include "apiserver/apiserver.h"

/* Validates obj as c's kind with the call's fieldValidation mode; records
 * warnings, and the 400/422 answer on failure.  Unknown fields are pruned
 * unless the mode is Strict. */
int cz_api_validate_object(cz_api_call *c, json_t *obj);
/* 400 unless obj's apiVersion and kind are the target resource's. */
int cz_api_check_type(cz_api_call *c, const json_t *obj);
/* Secrets: stringData is merged into data (base64) and dropped. */
void cz_api_secret_normalize(const cz_resource *r, json_t *obj);
/* Records in obj.metadata.managedFields that manager wrote the fields that
 * differ from old (all of them on create, old NULL). */
void cz_api_record_managed_fields(const cz_api_call *c, json_t *obj,
				  const json_t *old, const char *manager);
/* create with an explicit field manager; fields_managed when apply has
 * already recorded them. */
int cz_api_create_managed(cz_api_call *c, json_t *obj, const char *manager,
			  bool fields_managed);

/* The stored object at c's target, parsed, with its revision.  A
 * failure is recorded as c's answer. */
int cz_api_load_current(cz_api_call *c, json_t **cur, int64_t *rv);

/* Writes an updated object: carries server-owned metadata over from cur,
 * bumps generation on spec changes, skips no-op writes, records managed
 * fields (unless apply did), completes a deletion whose last finalizer
 * went away.  CZ_ECONFLICT when expect_rv is stale: the answer is then
 * not set, so that the caller may retry. */
typedef struct cz_update_opts {
	bool status_only;
	bool fields_managed;
	const char *manager;
	int64_t expect_rv; /* 0: unconditional */
} cz_update_opts;
int cz_api_write_update(cz_api_call *c, const json_t *cur, json_t *next,
			const cz_update_opts *opts);

/* Drops c's answer (object, blob, Status). */
void cz_api_answer_reset(cz_api_call *c);

/* Server-side apply (apply.c). */
int cz_api_apply(cz_api_call *c, const json_t *patch);

#endif

#ifndef CZ_CONTROLLER_HISTORY_H
#define CZ_CONTROLLER_HISTORY_H

/*
 * How the history of Packages and Flux sources is kept in apps/v1
 * ControllerRevisions (controller/ctl_history.c writes them; `cozypkg
 * history` and `rollback` read them).
 *
 *   name         <prefix>.<owner name>.<revision>, prefix from the kind
 *   namespace    the owner's; for cluster-scoped Packages, the history
 *                namespace (cozy-system by default)
 *   labels       CZ_HISTORY_OWNER_UID: the owner's uid
 *                CZ_HISTORY_KIND: the owner's kind
 *   annotations  CZ_HISTORY_OWNER: the owner's name
 *                CZ_HISTORY_HASH: SHA-256 of the data's canonical JSON
 *                CZ_HISTORY_CHANGED_BY: the field manager of the change
 *                CZ_HISTORY_CHANGED_AT: when it was recorded (RFC 3339)
 *   ownerReferences  the owner, controller: true
 *   revision     1, 2, ... per owner, never reused
 *   data         Package: {"spec": ...}; Flux source: {"url", "ref",
 *                "revision", "digest"} of the stored artifact
 */

#define CZ_HISTORY_OWNER_UID "history.cozypkg.io/owner-uid"
#define CZ_HISTORY_KIND "history.cozypkg.io/owner-kind"
#define CZ_HISTORY_OWNER "history.cozypkg.io/owner"
#define CZ_HISTORY_HASH "history.cozypkg.io/data-sha256"
#define CZ_HISTORY_CHANGED_BY "history.cozypkg.io/changed-by"
#define CZ_HISTORY_CHANGED_AT "history.cozypkg.io/changed-at"
#define CZ_HISTORY_DEFAULT_LIMIT 10
#define CZ_HISTORY_DEFAULT_NAMESPACE "cozy-system"

/* "package", "ocirepository" or "gitrepository" for kind (borrowed). */
const char *cz_history_prefix(const char *kind);

#endif

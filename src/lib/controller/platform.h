#ifndef CZ_CONTROLLER_PLATFORM_H
#define CZ_CONTROLLER_PLATFORM_H

/*
 * Native platform upgrades (ctl_platform.c): the secondary source that
 * every PackageSource reads follows the primary only once the primary's
 * revision is migrated.
 */

#include <jansson.h>
#include <stdint.h>

#include "util/error.h"

/* On the secondary source: the primary's artifact digest it was pinned
 * to after that revision's migrations succeeded. */
#define CZ_MIGRATED_ANNOTATION "platform.cozypkg.io/migrated-digest"

typedef enum cz_migrations_executor {
	CZ_MIGRATIONS_PROCESS, /* a subprocess per script (default) */
	CZ_MIGRATIONS_JOB,     /* the batch/v1 Job of the real hook */
} cz_migrations_executor;

/* Writes, at path, a kubeconfig for a new identity in the group
 * cozypkg:migrations that stays valid for ttl_ns, its token into token
 * (for the revoke callback).  Given by cozypkgd to its controllers. */
typedef int (*cz_issue_kubeconfig_fn)(void *ctx, const char *path,
				      int64_t ttl_ns, char token[65],
				      cz_error *err);
typedef void (*cz_revoke_token_fn)(void *ctx, const char *token);

#endif

#ifndef CZ_MARKET_FLUX_H
#define CZ_MARKET_FLUX_H

/*
 * Flux artifacts: a directory published to an OCI registry in exactly the
 * shape `flux push artifact` gives, and pulled back.
 *
 *   manifest  application/vnd.oci.image.manifest.v1+json
 *   config    application/vnd.cncf.flux.config.v1+json, the bytes "{}"
 *   layer     application/vnd.cncf.flux.content.v1.tar+gzip, one
 *   annotations org.opencontainers.image.created, .source, .revision
 *
 * The layer is reproducible (artifact/tarball.h): the same tree gives the
 * same layer digest on any machine; with the same created time the
 * manifest digest is the same too.  Only regular files and directories
 * go in, as Flux does: symbolic links are skipped and reported.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "oci/client.h"
#include "util/error.h"

#define CZ_FLUX_MT_CONFIG "application/vnd.cncf.flux.config.v1+json"
#define CZ_FLUX_MT_CONTENT "application/vnd.cncf.flux.content.v1.tar+gzip"
#define CZ_OCI_ANN_CREATED "org.opencontainers.image.created"
#define CZ_OCI_ANN_SOURCE "org.opencontainers.image.source"
#define CZ_OCI_ANN_REVISION "org.opencontainers.image.revision"

typedef struct cz_flux_push_opts {
	const char *source;   /* annotation .source; NULL: left out */
	const char *revision; /* annotation .revision; NULL: left out */
	time_t created;       /* annotation .created (RFC 3339 UTC) */
	/* Where built layers are kept, one per source directory, so that
	 * pushing a tree whose files did not change uploads the layer built
	 * before instead of compressing it again; NULL: no cache. */
	const char *cache_dir;
	/* Run on the tree before anything is sent (validation); a failure
	 * stops the push with its code.  Skipped when the cached layer was
	 * pushed after a check with the same check_tag (what the check
	 * decides on besides the tree: its options).  NULL: no check. */
	int (*check)(void *ctx, cz_error *err);
	void *check_ctx;
	const char *check_tag;
} cz_flux_push_opts;

typedef struct cz_flux_pushed {
	char manifest_digest[CZ_OCI_DIGEST_BUF];
	char layer_digest[CZ_OCI_DIGEST_BUF];
	uint64_t layer_size;
	size_t entries;      /* files and directories in the layer */
	bool layer_cached;   /* the layer came from opts->cache_dir */
	bool check_skipped;  /* opts->check passed on this tree before */
	char **skipped;      /* paths (relative to dir) of symbolic links and
			      * special files left out; owned */
	size_t nskipped;
} cz_flux_pushed;

void cz_flux_pushed_release(cz_flux_pushed *p);

/*
 * Packs every regular file and directory under dir (its contents at the
 * archive's root) and pushes it to repo:tag through c.  *out receives the
 * digests and what was skipped (release with cz_flux_pushed_release()).
 * CZ_ENOTFOUND when dir is not a directory; the registry's codes as
 * oci/client.h gives them.
 */
int cz_flux_push(cz_oci *c, const char *repo, const char *tag,
		 const char *dir, const cz_flux_push_opts *opts,
		 cz_flux_pushed *out, cz_error *err);

/*
 * Pulls repo@reference (a tag or a digest), checks that it is a Flux
 * artifact (or any single-layer tar+gzip artifact), and extracts its layer
 * safely into dest_dir (created; artifact/extract.h limits).
 * digest_out (may be NULL) receives the manifest digest.
 */
int cz_flux_pull(cz_oci *c, const char *repo, const char *reference,
		 const char *dest_dir, char digest_out[CZ_OCI_DIGEST_BUF],
		 cz_error *err);

#endif

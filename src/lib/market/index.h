#ifndef CZ_MARKET_INDEX_H
#define CZ_MARKET_INDEX_H

/*
 * The marketplace index: metadata about package repositories published by
 * third parties, so that `cozypkg search` can find them and `cozypkg tap
 * NAME` can turn a short name into an OCI reference.  The index never
 * holds chart bytes, so reading it runs nothing.
 *
 * Layout: one YAML file per entry under entries/ (*.yaml or *.yml; other
 * files there are ignored), each a mapping of
 *
 *   name         required  RFC 1123 subdomain; "cozystack", "community"
 *                          and their "cozystack." / "community." prefixes
 *                          are reserved
 *   ociRef       required  HOST/PATH, optionally with oci://; no tag, no
 *                          digest (the tag is `version`)
 *   version      required  an OCI tag
 *   digest       optional  sha256:<64 hex>: the manifest `version` must be
 *   description  required
 *   maintainer   required
 *   homepage     optional  an http(s) URL
 *   tags         optional  list of words ([a-z0-9-], up to 63 each)
 *   signing      optional  either {key: PEM public key} or
 *                          {identity: ..., issuer: https://...} (keyless)
 *
 * Unknown fields are errors, so that a typo never silently drops a
 * security-relevant field.  Every problem is reported as
 * "entries/FILE:LINE: FIELD: message".
 *
 * Where an index is read from (cz_market_load): a directory, a git URL
 * (https, http, git, ssh, file; "#REF" picks a branch, "#tag=T" a tag,
 * "#commit=SHA" a commit; default branch main, else master), or an
 * oci://HOST/REPO[:TAG|@DIGEST] Flux artifact whose root holds entries/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "oci/client.h"
#include "util/diags.h"
#include "util/error.h"

#define CZ_MARKET_DEFAULT_INDEX "oci://ghcr.io/cozystack/packages-index:latest"
#define CZ_MARKET_INDEX_ENV "COZYPKG_INDEX"

typedef enum cz_market_signing {
	CZ_MARKET_UNSIGNED = 0,
	CZ_MARKET_SIGNED_KEY,     /* signing.key */
	CZ_MARKET_SIGNED_KEYLESS, /* signing.identity + signing.issuer */
} cz_market_signing;

/* One entry; every string owned, NULL when the field is absent. */
typedef struct cz_market_entry {
	char *file; /* "entries/NAME.yaml", relative to the index root */
	char *name;
	char *oci_ref; /* HOST/PATH, without oci:// */
	char *version;
	char *digest;
	char *description;
	char *maintainer;
	char *homepage;
	char **tags;
	size_t ntags;
	cz_market_signing signing;
	char *signing_key; /* PEM */
	char *signing_identity;
	char *signing_issuer;
} cz_market_entry;

void cz_market_entry_release(cz_market_entry *e);
/* "keyless", "key" or "no". */
const char *cz_market_signing_name(cz_market_signing s);
/* "oci://" + oci_ref: the url a tap's OCIRepository gets; malloc'ed. */
char *cz_market_entry_url(const cz_market_entry *e);
/* "HOST/PATH:VERSION", with "@DIGEST" when one is pinned; malloc'ed. */
char *cz_market_entry_reference(const cz_market_entry *e);
/* The entry as `cozypkg search -o json` and cozypkgd's /market/search
 * show it (name, ociRef, version, digest, description, maintainer,
 * homepage, tags, signed, signing), so that both answer alike.  New
 * reference. */
json_t *cz_market_entry_json(const cz_market_entry *e);

typedef struct cz_market_limits {
	size_t max_entry_bytes;  /* one file; 0: 64 KiB */
	size_t max_entries;      /* files under entries/; 0: 100,000 */
	uint64_t max_total_bytes; /* all entry files; 0: 64 MiB */
} cz_market_limits;

#define CZ_MARKET_MAX_ENTRY_BYTES ((size_t)64 << 10)
#define CZ_MARKET_MAX_ENTRIES ((size_t)100000)
#define CZ_MARKET_MAX_TOTAL_BYTES ((uint64_t)64 << 20)

/*
 * Parses one entry file held in data[0..len); file is the name used in
 * messages.  signing.key is always checked for its PEM armour; with
 * verify_keys it is also decoded as a public key (slow: OpenSSL's
 * decoders cost more than the rest of an entry, so searching skips it
 * and `index validate` does it).  Every problem found is added to d (errors) and the result is
 * CZ_EINVALID; on CZ_OK *out holds the entry (release it with
 * cz_market_entry_release()).  Nothing is leaked either way.
 */
int cz_market_entry_parse(const char *data, size_t len, const char *file,
			 bool verify_keys, cz_market_entry *out, cz_diags *d);

/* A loaded index: valid entries only, sorted by name (names are unique). */
typedef struct cz_market_index {
	cz_market_entry *entries; /* owned */
	size_t len;
	size_t cap;
	size_t nfiles;   /* entry files read, valid or not */
	size_t ninvalid; /* entry files left out for a problem */
} cz_market_index;

#define CZ_MARKET_INDEX_INIT { NULL, 0, 0, 0, 0 }

void cz_market_index_release(cz_market_index *idx);

typedef struct cz_market_load_opts {
	const cz_market_limits *limits; /* NULL: the defaults */
	/* oci:// only: a client for the location's host (borrowed); NULL
	 * opens an anonymous one, over plain HTTP when insecure. */
	cz_oci *oci;
	bool insecure;
	/* Parent of the private scratch directory a git or OCI index is
	 * fetched into (removed before returning); NULL: $TMPDIR or /tmp. */
	const char *tmp_dir;
	bool verify_keys; /* see cz_market_entry_parse() */
	/* Where loaded indexes are cached (market/cache.h); NULL: no cache.
	 * Never used with verify_keys, which asks for every check again. */
	const char *cache_dir;
} cz_market_load_opts;

/*
 * Reads dir/entries/.  Problems in single entries go to d and leave the
 * entry out (idx->ninvalid counts them); the call still succeeds, so a
 * reader can use the rest and `index validate` can list every problem.
 * The result is an error only when the index cannot be read at all:
 * CZ_ENOTFOUND (no dir/entries directory), CZ_ETOOLARGE (more entries or
 * bytes than the limits allow: one error for the whole index, found
 * before more than the byte limit is read), CZ_EIO.  o may be NULL; only
 * its limits and verify_keys are used here.  idx must be initialised (CZ_MARKET_INDEX_INIT).
 */
int cz_market_load_dir(const char *dir, const cz_market_load_opts *o,
		      cz_market_index *idx, cz_diags *d, cz_error *err);

typedef enum cz_market_kind {
	CZ_MARKET_DIR,
	CZ_MARKET_GIT,
	CZ_MARKET_OCI,
} cz_market_kind;

/* What location names; CZ_EINVALID for an unknown "scheme://". */
int cz_market_location_kind(const char *location, cz_market_kind *kind,
			   cz_error *err);

/*
 * Loads the index at location (see the top of this file) as
 * cz_market_load_dir() does.  Fetch failures keep the fetcher's code
 * (CZ_EIO, CZ_ENOTFOUND, CZ_EDENIED, ...) and a message that starts with
 * the location (user information of URLs removed).  o may be NULL.
 */
int cz_market_load(const char *location, const cz_market_load_opts *o,
		  cz_market_index *idx, cz_diags *d, cz_error *err);

/*
 * The entries that match term, case-insensitively, as a substring of the
 * name, the description or a tag: an entry named exactly term first,
 * then the others by name.  NULL or "" matches everything.  *out is a
 * malloc'ed array of borrowed pointers (free() it); returns the count.
 */
size_t cz_market_search(const cz_market_index *idx, const char *term,
		       const cz_market_entry ***out);

/* The entry called name (exact), or NULL: `cozypkg tap NAME`. */
const cz_market_entry *cz_market_find(const cz_market_index *idx, const char *name);

/* ---- where the index is ------------------------------------------------ */

typedef enum cz_market_origin {
	CZ_MARKET_FROM_FLAG,    /* --index */
	CZ_MARKET_FROM_ENV,     /* $COZYPKG_INDEX */
	CZ_MARKET_FROM_CONFIG,  /* index: in the config file */
	CZ_MARKET_FROM_DEFAULT, /* CZ_MARKET_DEFAULT_INDEX */
} cz_market_origin;

/* $XDG_CONFIG_HOME/cozypkg/config.yaml, else
 * $HOME/.config/cozypkg/config.yaml; malloc'ed, NULL with neither set. */
char *cz_market_config_path(void);

/*
 * The index location: flag when not NULL or empty, else $COZYPKG_INDEX,
 * else `index:` in the config file, else the default.  *out is malloc'ed;
 * *origin (may be NULL) says which one won.  A config file that exists
 * but cannot be read or parsed is an error naming file and line; its
 * other keys are ignored, as they belong to other commands.
 */
int cz_market_location(const char *flag, char **out, cz_market_origin *origin,
		      cz_error *err);

#endif

#ifndef CZ_MARKET_CACHE_H
#define CZ_MARKET_CACHE_H

/*
 * A local cache of loaded marketplace indexes, so that `cozypkg search`
 * over a large index reads one file instead of parsing thousands of YAML
 * entries.  It holds only indexes that loaded without a problem, so a hit
 * never hides a diagnostic, and it is only ever a shortcut: any doubt
 * (another format, another key, a short or malformed file) is a miss and
 * the index is read again.
 *
 * An entry is found by an id naming what was read (a directory's real
 * path, or an OCI manifest digest) and trusted only when its key matches:
 * for a directory, a hash of every entry file's name, inode, size, mode,
 * mtime and ctime (a content change always moves ctime), with the reader's
 * limits and version; for content addressed by digest, the limits and
 * version alone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "market/index.h"
#include "util/error.h"

#define CZ_MARKET_CACHE_KEY_LEN 32

/* $XDG_CACHE_HOME/cozypkg/WHAT, else ~/.cache/cozypkg/WHAT, else NULL;
 * malloc'ed.  "index" for indexes, "layers" for pushed layers. */
char *cz_market_cache_default_dir(const char *what);

/* dir/HEX + suffix, HEX the first 32 hex digits of the SHA-256 of id:
 * the file a cache keeps for id; malloc'ed. */
char *cz_market_cache_path(const char *dir, const char *id,
			   const char *suffix);

/*
 * The cached index for id under dir into idx (which must be empty) when
 * its key is key; CZ_ENOTFOUND on any miss, with idx left empty.
 */
int cz_market_cache_load(const char *dir, const char *id,
			 const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			 cz_market_index *idx);

/* Stores idx for id under dir (created 0700), replacing the file
 * atomically.  Best effort: a cache that cannot be written is skipped. */
void cz_market_cache_store(const char *dir, const char *id,
			   const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			   const cz_market_index *idx);

/* The file's bytes for idx under key; malloc'ed, its length in *len. */
char *cz_market_cache_encode(const cz_market_index *idx,
			     const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			     size_t *len);

/* Decodes what cz_market_cache_encode() wrote, into the empty idx;
 * CZ_EINVALID (idx left empty) for anything else, whatever its bytes. */
int cz_market_cache_decode(const char *data, size_t len,
			   const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			   cz_market_index *idx);

/* A key hasher: start, feed, finish into key. */
typedef struct cz_market_cache_hasher cz_market_cache_hasher;
cz_market_cache_hasher *cz_market_cache_hasher_new(
	const cz_market_limits *limits);
void cz_market_cache_hasher_add(cz_market_cache_hasher *h, const void *data,
				size_t len);
/* Adds a file's name and identity (inode, device, size, mode, mtime,
 * ctime: a content change always moves ctime) to h.  *racy is set when the
 * file changed within two seconds of now: a file rewritten again within
 * the same timestamp tick would keep its identity, so what was read of
 * such a file must not be cached (as git treats a racily clean index). */
void cz_market_cache_hasher_add_file(cz_market_cache_hasher *h,
				     const char *name, const struct stat *st,
				     time_t now, bool *racy);
/* Writes the key and frees h. */
void cz_market_cache_hasher_finish(cz_market_cache_hasher *h,
				   unsigned char key[CZ_MARKET_CACHE_KEY_LEN]);

#endif

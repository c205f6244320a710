/* The local cache of loaded marketplace indexes (see cache.h). */

#include "market/cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#define MAGIC "cozypkg-index-cache 1\n"
#define MAGIC_LEN (sizeof(MAGIC) - 1)
#define ABSENT UINT32_MAX
#define MAX_TAGS 32
/* Past the largest index the loader accepts, with room for the keys. */
#define MAX_FILE_BYTES ((size_t)256 << 20)

#ifndef CZ_VERSION
#define CZ_VERSION "0.0.0"
#endif

/* OpenSSL's digests fail only when memory runs out, which the project's
 * allocator treats as fatal too. */
static void digest_failed(void)
{
	fputs("cozypkg: out of memory in SHA-256\n", stderr);
	abort();
}

struct cz_market_cache_hasher {
	EVP_MD_CTX *md;
};

cz_market_cache_hasher *cz_market_cache_hasher_new(
	const cz_market_limits *limits)
{
	cz_market_cache_hasher *h = cz_xcalloc(1, sizeof(*h));

	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL))
		digest_failed();
	/* What the entries were checked against is part of what a cached
	 * index means: another version or other limits may decide
	 * otherwise. */
	cz_market_cache_hasher_add(h, MAGIC CZ_VERSION, strlen(MAGIC CZ_VERSION));
	if (limits)
		cz_market_cache_hasher_add(h, limits, sizeof(*limits));
	return h;
}

void cz_market_cache_hasher_add(cz_market_cache_hasher *h, const void *data,
				size_t len)
{
	if (!EVP_DigestUpdate(h->md, data, len))
		digest_failed();
}

void cz_market_cache_hasher_add_file(cz_market_cache_hasher *h,
				     const char *name, const struct stat *st,
				     time_t now, bool *racy)
{
	int64_t meta[8] = {
		(int64_t)st->st_ino,	     (int64_t)st->st_dev,
		(int64_t)st->st_size,	     (int64_t)st->st_mode,
		(int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec,
		(int64_t)st->st_ctim.tv_sec, (int64_t)st->st_ctim.tv_nsec,
	};

	cz_market_cache_hasher_add(h, name, strlen(name) + 1);
	cz_market_cache_hasher_add(h, meta, sizeof(meta));
	if (st->st_mtim.tv_sec >= now - 2 || st->st_ctim.tv_sec >= now - 2)
		*racy = true;
}

void cz_market_cache_hasher_finish(cz_market_cache_hasher *h,
				   unsigned char key[CZ_MARKET_CACHE_KEY_LEN])
{
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(h->md, key, &n) ||
	    n != CZ_MARKET_CACHE_KEY_LEN)
		digest_failed();
	EVP_MD_CTX_free(h->md);
	free(h);
}

char *cz_market_cache_default_dir(const char *what)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg)
		return cz_xasprintf("%s/cozypkg/%s", xdg, what);
	if (home && *home)
		return cz_xasprintf("%s/.cache/cozypkg/%s", home, what);
	return NULL;
}

/* ---- encoding ------------------------------------------------------------ */

static void put_u32(cz_buf *b, uint32_t v)
{
	unsigned char le[4] = { (unsigned char)v, (unsigned char)(v >> 8),
				(unsigned char)(v >> 16),
				(unsigned char)(v >> 24) };

	cz_buf_append(b, le, sizeof(le));
}

static void put_str(cz_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u32(b, s ? (uint32_t)n : ABSENT);
	if (s)
		cz_buf_append(b, s, n);
}

/* The entry's strings in their fixed order, for both directions. */
static char **entry_field(cz_market_entry *e, size_t i)
{
	char **fields[] = { &e->file,        &e->name,
			    &e->oci_ref,     &e->version,
			    &e->digest,      &e->description,
			    &e->maintainer,  &e->homepage,
			    &e->signing_key, &e->signing_identity,
			    &e->signing_issuer };

	return i < sizeof(fields) / sizeof(fields[0]) ? fields[i] : NULL;
}

char *cz_market_cache_encode(const cz_market_index *idx,
			     const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			     size_t *len)
{
	cz_buf b;

	cz_buf_init(&b, CZ_BUF_UNLIMITED);
	cz_buf_append(&b, MAGIC, MAGIC_LEN);
	cz_buf_append(&b, key, CZ_MARKET_CACHE_KEY_LEN);
	put_u32(&b, (uint32_t)idx->len);
	put_u32(&b, (uint32_t)idx->nfiles);
	for (size_t i = 0; i < idx->len; i++) {
		cz_market_entry *e = &idx->entries[i];
		char **f;

		put_u32(&b, (uint32_t)e->signing);
		put_u32(&b, (uint32_t)e->ntags);
		for (size_t k = 0; (f = entry_field(e, k)); k++)
			put_str(&b, *f);
		for (size_t t = 0; t < e->ntags; t++)
			put_str(&b, e->tags[t]);
	}
	return cz_buf_detach(&b, len);
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct reader {
	const unsigned char *p;
	size_t left;
	bool bad;
} reader;

static uint32_t get_u32(reader *r)
{
	uint32_t v;

	if (r->left < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

/* A string, or NULL for an absent one; bad on anything else (a length
 * past the end, a NUL inside). */
static char *get_str(reader *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == ABSENT)
		return NULL;
	if (n > r->left || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = cz_xstrndup((const char *)r->p, n);
	r->p += n;
	r->left -= n;
	return s;
}

static void get_entry(reader *r, cz_market_entry *e)
{
	uint32_t signing = get_u32(r), ntags = get_u32(r);
	char **f;

	if (r->bad || signing > CZ_MARKET_SIGNED_KEYLESS || ntags > MAX_TAGS) {
		r->bad = true;
		return;
	}
	e->signing = (cz_market_signing)signing;
	for (size_t k = 0; !r->bad && (f = entry_field(e, k)); k++)
		*f = get_str(r);
	if (ntags)
		e->tags = cz_xcalloc(ntags, sizeof(*e->tags));
	for (; !r->bad && e->ntags < ntags; e->ntags++)
		if (!(e->tags[e->ntags] = get_str(r)))
			r->bad = true;
	/* What every reader of an entry relies on. */
	if (!e->file || !e->name || !e->oci_ref || !e->version)
		r->bad = true;
}

int cz_market_cache_decode(const char *data, size_t len,
			   const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			   cz_market_index *idx)
{
	reader r = { (const unsigned char *)data, len, false };
	uint32_t n, nfiles;

	if (len < MAGIC_LEN + CZ_MARKET_CACHE_KEY_LEN ||
	    memcmp(data, MAGIC, MAGIC_LEN) != 0 ||
	    memcmp(data + MAGIC_LEN, key, CZ_MARKET_CACHE_KEY_LEN) != 0)
		return CZ_EINVALID;
	r.p += MAGIC_LEN + CZ_MARKET_CACHE_KEY_LEN;
	r.left -= MAGIC_LEN + CZ_MARKET_CACHE_KEY_LEN;
	n = get_u32(&r);
	nfiles = get_u32(&r);
	if (r.bad || n > CZ_MARKET_MAX_ENTRIES || nfiles < n)
		return CZ_EINVALID;
	if (n)
		idx->entries = cz_xcalloc(n, sizeof(*idx->entries));
	idx->cap = n;
	while (!r.bad && idx->len < n) {
		cz_market_entry *e = &idx->entries[idx->len++];

		get_entry(&r, e);
		/* Lookups bisect by name: strictly increasing, as loaded. */
		if (!r.bad && idx->len > 1 &&
		    strcmp(idx->entries[idx->len - 2].name, e->name) >= 0)
			r.bad = true;
	}
	if (r.bad || r.left) {
		cz_market_index_release(idx);
		return CZ_EINVALID;
	}
	idx->nfiles = nfiles;
	return CZ_OK;
}

/* ---- files --------------------------------------------------------------- */

char *cz_market_cache_path(const char *dir, const char *id,
			   const char *suffix)
{
	unsigned char md[32];
	char hex[33];
	unsigned int n = 0;

	if (!EVP_Digest(id, strlen(id), md, &n, EVP_sha256(), NULL))
		digest_failed();
	for (size_t i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return cz_xasprintf("%s/%s%s", dir, hex, suffix);
}

int cz_market_cache_load(const char *dir, const char *id,
			 const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			 cz_market_index *idx)
{
	char *path = cz_market_cache_path(dir, id, "");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *map = MAP_FAILED;
	struct stat st;
	int rc = CZ_ENOTFOUND;

	/* Mapped, not read: the page cache's pages are decoded in place
	 * instead of copied into as many fresh ones first. */
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || (uint64_t)st.st_size > MAX_FILE_BYTES)
		goto cleanup;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ,
		   MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map != MAP_FAILED &&
	    cz_market_cache_decode(map, (size_t)st.st_size, key, idx) == CZ_OK)
		rc = CZ_OK;
cleanup:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

void cz_market_cache_store(const char *dir, const char *id,
			   const unsigned char key[CZ_MARKET_CACHE_KEY_LEN],
			   const cz_market_index *idx)
{
	cz_error err = CZ_ERROR_INIT;
	char *path = NULL, *data = NULL;
	size_t len = 0;

	if (cz_mkdirs(dir, 0700, &err) < 0)
		return;
	path = cz_market_cache_path(dir, id, "");
	data = cz_market_cache_encode(idx, key, &len);
	/* Not durable: losing the cache in a crash only costs a reread. */
	cz_file_replace(path, data, len, 0600, false, &err);
	free(data);
	free(path);
}

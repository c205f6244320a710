/* The marketplace index: entry files, their rules, loading from a
 * directory, git or OCI, search and where the index lives. */

#include "market/index.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "git/source.h"
#include "market/cache.h"
#include "market/flux.h"
#include "model/names.h"
#include "object/linemap.h"
#include "object/yaml.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#define MAX_TAGS 32
#define MAX_TAG_LEN 63
#define CONFIG_MAX_BYTES ((size_t)1 << 20)

/* ---- entries ----------------------------------------------------------- */

void cz_market_entry_release(cz_market_entry *e)
{
	if (!e)
		return;
	free(e->file);
	free(e->name);
	free(e->oci_ref);
	free(e->version);
	free(e->digest);
	free(e->description);
	free(e->maintainer);
	free(e->homepage);
	for (size_t i = 0; i < e->ntags; i++)
		free(e->tags[i]);
	free(e->tags);
	free(e->signing_key);
	free(e->signing_identity);
	free(e->signing_issuer);
	memset(e, 0, sizeof(*e));
}

const char *cz_market_signing_name(cz_market_signing s)
{
	return s == CZ_MARKET_SIGNED_KEY       ? "key"
	       : s == CZ_MARKET_SIGNED_KEYLESS ? "keyless"
					      : "no";
}

char *cz_market_entry_url(const cz_market_entry *e)
{
	return cz_xasprintf("oci://%s", e->oci_ref);
}

char *cz_market_entry_reference(const cz_market_entry *e)
{
	return e->digest ? cz_xasprintf("%s:%s@%s", e->oci_ref, e->version,
					e->digest)
			 : cz_xasprintf("%s:%s", e->oci_ref, e->version);
}

json_t *cz_market_entry_json(const cz_market_entry *e)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", e->name,
			      "ociRef", e->oci_ref, "version", e->version,
			      "description", e->description, "maintainer",
			      e->maintainer, "signed",
			      cz_market_signing_name(e->signing));
	json_t *tags = json_array();

	if (e->digest)
		json_object_set_new(o, "digest", json_string(e->digest));
	if (e->homepage)
		json_object_set_new(o, "homepage", json_string(e->homepage));
	for (size_t i = 0; i < e->ntags; i++)
		json_array_append_new(tags, json_string(e->tags[i]));
	json_object_set_new(o, "tags", tags);
	if (e->signing == CZ_MARKET_SIGNED_KEY)
		json_object_set_new(o, "signing",
				    json_pack("{s:s}", "key", e->signing_key));
	else if (e->signing == CZ_MARKET_SIGNED_KEYLESS)
		json_object_set_new(o, "signing",
				    json_pack("{s:s, s:s}", "identity",
					      e->signing_identity, "issuer",
					      e->signing_issuer));
	return o;
}

/*
 * One validation pass.  Most entries are valid, so the first pass runs
 * without positions (d NULL, only counting); only a file with problems is
 * parsed again with a line map to say where they are.
 */
typedef struct check_ctx {
	const char *file;
	const cz_linemap *lines; /* NULL in the counting pass */
	cz_diags *d;             /* NULL in the counting pass */
	unsigned doc_line;
	bool verify_keys;
	size_t nerrors;
} check_ctx;

static void problem(check_ctx *c, const json_t *obj, const char *key,
		    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void problem(check_ctx *c, const json_t *obj, const char *key,
		    const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	unsigned line = 0;

	c->nerrors++;
	if (!c->d)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (obj && key)
		line = cz_linemap_key(c->lines, obj, key);
	if (!line)
		line = c->doc_line;
	cz_diags_add(c->d, CZ_DIAG_ERROR, "%s:%u: %s: %s", c->file, line,
		     field, msg);
}

/* The string at obj[key]; NULL (with a problem when required, or when it
 * is there but not a non-empty string) otherwise. */
static const char *field_str(check_ctx *c, const json_t *obj, const char *key,
			     const char *field, bool required)
{
	const json_t *v = json_object_get(obj, key);

	if (!v) {
		if (required)
			problem(c, obj, NULL, field, "required");
		return NULL;
	}
	if (!json_is_string(v)) {
		problem(c, obj, key, field, "expected a string%s",
			json_is_number(v) ? " (quote it)" : "");
		return NULL;
	}
	if (!*json_string_value(v)) {
		problem(c, obj, key, field, "must not be empty");
		return NULL;
	}
	return json_string_value(v);
}

static void check_known(check_ctx *c, const json_t *obj,
			const char *const *known, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			char field[300];

			snprintf(field, sizeof(field), "%s%s", prefix, key);
			problem(c, obj, key, field, "unknown field");
		}
	}
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static const char *name_problem(const char *name)
{
	static const char *const reserved[] = { "cozystack", "community" };

	if (!cz_is_dns_subdomain(name))
		return "must be a lowercase RFC 1123 name (a-z, 0-9, '-' and "
		       "'.', starting and ending alphanumeric, at most 253 "
		       "characters)";
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(reserved[i]);

		if (strncmp(name, reserved[i], n) == 0 &&
		    (name[n] == '\0' || name[n] == '.'))
			return "the prefixes \"cozystack.\" and \"community.\" "
			       "are reserved; prefix the name with your "
			       "organisation (acme.hello)";
	}
	return NULL;
}

/* HOST is a registry host: DNS characters with a dot or a port (or
 * "localhost"), so that it is never read as a Docker Hub path. */
static bool host_valid(const char *s, size_t n)
{
	bool dot = false, port = false;

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (port && !isdigit((unsigned char)ch))
			return false;
		if (ch == ':')
			port = i + 1 < n;
		else if (ch == '.')
			dot = true;
		else if (!port && !isalnum((unsigned char)ch) && ch != '-')
			return false;
	}
	return dot || port || (n == 9 && strncmp(s, "localhost", 9) == 0);
}

/* Why text is not a valid ociRef, or NULL; *bare points past oci://. */
static const char *oci_ref_problem(const char *text, const char **bare)
{
	const char *s = has_prefix(text, "oci://") ? text + 6 : text;
	const char *slash;

	*bare = s;
	if (strstr(s, "://"))
		return "only oci:// may prefix the reference (HOST/PATH)";
	if (strchr(s, '@'))
		return "must not carry a digest: pin it with the digest field";
	slash = strchr(s, '/');
	if (!slash)
		return "expected HOST/PATH, e.g. ghcr.io/acme/packages";
	if (!host_valid(s, (size_t)(slash - s)))
		return "HOST must be a registry host name with a dot or a "
		       "port (e.g. ghcr.io, localhost:5000)";
	if (strchr(slash + 1, ':'))
		return "must not carry a tag: the tag is the version field";
	if (!cz_oci_repo_valid(slash + 1))
		return "PATH is not a valid repository name (lowercase "
		       "letters, digits and separators . _ __ - /)";
	return NULL;
}

static bool url_valid(const char *s, bool allow_http)
{
	const char *rest = has_prefix(s, "https://") ? s + 8
			   : allow_http && has_prefix(s, "http://") ? s + 7
								    : NULL;

	if (!rest || !*rest || *rest == '/')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

static bool pem_pubkey_valid(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)
			    : NULL;
	bool ok = key != NULL;

	EVP_PKEY_free(key);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

/* The PEM armour of a public key around base64 text: what is checked of
 * a key when reading an index for search, where a full parse of every key
 * (OpenSSL's decoders) would cost more than all the rest. */
static bool pem_armored(const char *pem)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char end[] = "-----END PUBLIC KEY-----";
	const char *p = pem, *stop;

	while (isspace((unsigned char)*p))
		p++;
	if (!has_prefix(p, begin))
		return false;
	p += sizeof(begin) - 1;
	stop = strstr(p, end);
	if (!stop || stop == p)
		return false;
	for (; p < stop; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+/=\r\n", *p))
			return false;
	for (p = stop + sizeof(end) - 1; *p; p++)
		if (!isspace((unsigned char)*p))
			return false;
	return true;
}

static bool tag_word_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_TAG_LEN)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static void take(char **dst, const char *s)
{
	*dst = s ? cz_xstrdup(s) : NULL;
}

static void check_tags(check_ctx *c, const json_t *root, cz_market_entry *e)
{
	const json_t *tags = json_object_get(root, "tags");
	size_t i;
	json_t *v;

	if (!tags)
		return;
	if (!json_is_array(tags)) {
		problem(c, root, "tags", "tags", "expected a list of words");
		return;
	}
	if (json_array_size(tags) > MAX_TAGS)
		problem(c, root, "tags", "tags", "at most %d tags", MAX_TAGS);
	e->tags = cz_xcalloc(json_array_size(tags) + 1, sizeof(char *));
	json_array_foreach (tags, i, v) {
		if (!json_is_string(v) || !tag_word_valid(json_string_value(v))) {
			char field[32];
			unsigned line = cz_linemap_index(c->lines, tags, i);

			snprintf(field, sizeof(field), "tags[%zu]", i);
			c->nerrors++;
			if (c->d)
				cz_diags_add(c->d, CZ_DIAG_ERROR,
					     "%s:%u: %s: expected a word of "
					     "a-z, 0-9 and '-' (at most %d)",
					     c->file, line ? line : c->doc_line,
					     field, MAX_TAG_LEN);
			continue;
		}
		e->tags[e->ntags++] = cz_xstrdup(json_string_value(v));
	}
}

static void check_signing(check_ctx *c, const json_t *root,
			  cz_market_entry *e)
{
	static const char *const known[] = { "key", "identity", "issuer",
					     NULL };
	const json_t *s = json_object_get(root, "signing");
	const char *key, *identity, *issuer;

	if (!s)
		return;
	if (!json_is_object(s)) {
		problem(c, root, "signing", "signing",
			"expected a mapping with key, or identity and issuer");
		return;
	}
	check_known(c, s, known, "signing.");
	key = field_str(c, s, "key", "signing.key", false);
	identity = field_str(c, s, "identity", "signing.identity", false);
	issuer = field_str(c, s, "issuer", "signing.issuer", false);
	if (key && (identity || issuer)) {
		problem(c, s, "key", "signing", "either key, or identity and "
			"issuer (keyless), not both");
		return;
	}
	if (key) {
		if (!pem_armored(key) ||
		    (c->verify_keys && !pem_pubkey_valid(key)))
			problem(c, s, "key", "signing.key",
				"not a PEM public key (-----BEGIN PUBLIC "
				"KEY-----, as cosign.pub)");
		e->signing = CZ_MARKET_SIGNED_KEY;
		take(&e->signing_key, key);
		return;
	}
	if (!identity || !issuer) {
		bool has_id = json_object_get(s, "identity") != NULL;
		bool has_iss = json_object_get(s, "issuer") != NULL;

		if (!has_id && !has_iss && !json_object_get(s, "key"))
			problem(c, root, "signing", "signing", "expected key, "
				"or identity and issuer (keyless)");
		else if (has_id && !has_iss)
			problem(c, s, "identity", "signing.issuer",
				"required with signing.identity (keyless)");
		else if (has_iss && !has_id)
			problem(c, s, "issuer", "signing.identity",
				"required with signing.issuer (keyless)");
		return;
	}
	if (!url_valid(issuer, false))
		problem(c, s, "issuer", "signing.issuer",
			"expected the OIDC issuer's https:// URL");
	e->signing = CZ_MARKET_SIGNED_KEYLESS;
	take(&e->signing_identity, identity);
	take(&e->signing_issuer, issuer);
}

static void check_ref_fields(check_ctx *c, const json_t *root,
			     cz_market_entry *e)
{
	const char *ref = field_str(c, root, "ociRef", "ociRef", true);
	const char *version = field_str(c, root, "version", "version", true);
	const char *digest = field_str(c, root, "digest", "digest", false);
	const char *bare, *why;

	if (ref) {
		if ((why = oci_ref_problem(ref, &bare)))
			problem(c, root, "ociRef", "ociRef", "%s", why);
		take(&e->oci_ref, bare);
	}
	if (version) {
		if (!cz_oci_tag_valid(version))
			problem(c, root, "version", "version",
				"not a valid OCI tag ([A-Za-z0-9_][A-Za-z0-9_.-]"
				", at most 128 characters)");
		take(&e->version, version);
	}
	if (digest) {
		if (!cz_oci_digest_is_sha256(digest))
			problem(c, root, "digest", "digest",
				"expected sha256: and 64 lowercase hex digits");
		take(&e->digest, digest);
	}
}

static void check_entry(check_ctx *c, const json_t *root, cz_market_entry *e)
{
	static const char *const known[] = {
		"name", "ociRef", "version", "digest", "description",
		"maintainer", "homepage", "tags", "signing", NULL,
	};
	const char *name, *homepage, *why;

	check_known(c, root, known, "");
	name = field_str(c, root, "name", "name", true);
	if (name && (why = name_problem(name)))
		problem(c, root, "name", "name", "%s", why);
	take(&e->name, name);
	check_ref_fields(c, root, e);
	take(&e->description,
	     field_str(c, root, "description", "description", true));
	take(&e->maintainer,
	     field_str(c, root, "maintainer", "maintainer", true));
	homepage = field_str(c, root, "homepage", "homepage", false);
	if (homepage && !url_valid(homepage, true))
		problem(c, root, "homepage", "homepage",
			"expected an http(s):// URL");
	take(&e->homepage, homepage);
	check_tags(c, root, e);
	check_signing(c, root, e);
}

/* Parses data into its one mapping; a problem is added to d. */
static int parse_root(const char *data, size_t len, const char *file,
		      cz_linemap *lines, cz_doc **docs, size_t *ndocs,
		      cz_diags *d)
{
	cz_error err = CZ_ERROR_INIT;
	cz_limits lim = cz_default_limits;

	lim.max_document_bytes = len + 1;
	if (cz_parse_stream(data, len, file, &lim, docs, ndocs, lines, &err) <
	    0) {
		if (d)
			cz_diags_add(d, CZ_DIAG_ERROR, "%s", err.msg);
		return CZ_EINVALID;
	}
	if (*ndocs != 1 || !json_is_object((*docs)[0].root)) {
		if (d)
			cz_diags_add(d, CZ_DIAG_ERROR, "%s:%u: expected one "
				     "YAML mapping (an index entry)", file,
				     *ndocs ? (*docs)[0].line : 1);
		return CZ_EINVALID;
	}
	return CZ_OK;
}

/* Second pass over a file known to have problems: now with positions. */
static void report(const char *data, size_t len, const char *file,
		   bool verify_keys, cz_diags *d)
{
	cz_linemap lines = CZ_LINEMAP_INIT;
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	cz_market_entry scratch;

	memset(&scratch, 0, sizeof(scratch));
	if (parse_root(data, len, file, &lines, &docs, &ndocs, d) == CZ_OK) {
		check_ctx c = { file, &lines, d, docs[0].line, verify_keys, 0 };

		check_entry(&c, docs[0].root, &scratch);
	}
	cz_market_entry_release(&scratch);
	cz_docs_free(docs, ndocs);
	cz_linemap_release(&lines);
}

int cz_market_entry_parse(const char *data, size_t len, const char *file,
			 bool verify_keys, cz_market_entry *out, cz_diags *d)
{
	cz_doc *docs = NULL;
	size_t ndocs = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_root(data, len, file, NULL, &docs, &ndocs, d);
	if (rc == CZ_OK) {
		check_ctx c = { file, NULL, NULL, docs[0].line, verify_keys,
				0 };

		check_entry(&c, docs[0].root, out);
		if (c.nerrors) {
			if (d)
				report(data, len, file, verify_keys, d);
			rc = CZ_EINVALID;
		}
	}
	cz_docs_free(docs, ndocs);
	if (rc == CZ_OK)
		out->file = cz_xstrdup(file);
	else
		cz_market_entry_release(out);
	return rc;
}

/* ---- an index ---------------------------------------------------------- */

void cz_market_index_release(cz_market_index *idx)
{
	for (size_t i = 0; i < idx->len; i++)
		cz_market_entry_release(&idx->entries[i]);
	free(idx->entries);
	memset(idx, 0, sizeof(*idx));
}

static cz_market_limits limits_or_default(const cz_market_limits *lim)
{
	cz_market_limits l = { 0, 0, 0 };

	if (lim)
		l = *lim;
	if (!l.max_entry_bytes)
		l.max_entry_bytes = CZ_MARKET_MAX_ENTRY_BYTES;
	if (!l.max_entries)
		l.max_entries = CZ_MARKET_MAX_ENTRIES;
	if (!l.max_total_bytes)
		l.max_total_bytes = CZ_MARKET_MAX_TOTAL_BYTES;
	return l;
}

static bool is_entry_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' &&
	       ((len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
		(len > 4 && strcmp(n + len - 4, ".yml") == 0));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The entry file names under entries/, sorted; stops past max. */
static int list_entry_files(const char *dir, const char *entries, size_t max,
			    char ***out, size_t *n, cz_error *err)
{
	DIR *dh = opendir(entries);
	struct dirent *de;
	size_t cap = 0;
	int rc = CZ_OK;

	*out = NULL;
	*n = 0;
	if (!dh)
		return cz_fail(err, errno == ENOENT || errno == ENOTDIR
					    ? CZ_ENOTFOUND
					    : CZ_EIO,
			       "%s: no readable entries/ directory (an index "
			       "holds one YAML file per entry under entries/)",
			       dir);
	while ((de = readdir(dh))) {
		if (!is_entry_name(de->d_name))
			continue;
		if (*n >= max) {
			rc = cz_fail(err, CZ_ETOOLARGE, "%s: the index has "
				     "more than %zu entries", dir, max);
			break;
		}
		CZ_GROW(*out, *n + 1, cap);
		(*out)[(*n)++] = cz_xstrdup(de->d_name);
	}
	closedir(dh);
	if (rc < 0) {
		free_names(*out, *n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	if (*n)
		qsort(*out, *n, sizeof(char *), cmp_str);
	return CZ_OK;
}

/* Reads exactly size bytes of fd; the size came from fstat, so a short
 * read means the file changed underneath. */
static int read_fd(int fd, size_t size, char **out)
{
	size_t got = 0;

	*out = cz_xmalloc(size + 1);
	while (got < size) {
		ssize_t r = read(fd, *out + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != size) {
		free(*out);
		*out = NULL;
		return CZ_EIO;
	}
	(*out)[size] = '\0';
	return CZ_OK;
}

/* Opens a regular file under dfd, its size in *size; a problem for d
 * otherwise (-1 returned). */
static int open_entry(int dfd, const char *name, const char *file,
		      size_t *size, cz_diags *d)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ELOOP) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: not a regular file", file);
		return -1;
	}
	if (fd < 0 || fstat(fd, &st) != 0) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: cannot read: %s", file,
			     strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: not a regular file", file);
	} else {
		*size = (size_t)st.st_size;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Loads one file; CZ_ETOOLARGE when it takes the index over its cap. */
static int load_one(int dfd, const char *name, const cz_market_limits *l,
		    bool verify_keys, uint64_t *total, cz_market_index *idx,
		    cz_diags *d, cz_error *err)
{
	char *file = cz_xasprintf("entries/%s", name);
	char *data = NULL;
	size_t size = 0;
	int fd = open_entry(dfd, name, file, &size, d);
	int rc = CZ_OK;
	cz_market_entry e;

	idx->nfiles++;
	if (fd < 0)
		goto invalid;
	*total += size;
	if (*total > l->max_total_bytes) {
		rc = cz_fail(err, CZ_ETOOLARGE, "the index is over %llu bytes, "
			     "the limit for a whole index",
			     (unsigned long long)l->max_total_bytes);
		goto cleanup;
	}
	if (size > l->max_entry_bytes) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: %zu bytes, over the "
			     "%zu-byte limit for one entry", file, size,
			     l->max_entry_bytes);
		goto invalid;
	}
	if (read_fd(fd, size, &data) < 0) {
		cz_diags_add(d, CZ_DIAG_ERROR, "%s: cannot read: %s", file,
			     strerror(errno));
		goto invalid;
	}
	if (cz_market_entry_parse(data, size, file, verify_keys, &e, d) ==
	    CZ_OK) {
		CZ_GROW(idx->entries, idx->len + 1, idx->cap);
		idx->entries[idx->len++] = e;
		goto cleanup;
	}
invalid:
	idx->ninvalid++;
cleanup:
	if (fd >= 0)
		close(fd);
	free(data);
	free(file);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	const cz_market_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->file, y->file);
}

/* Line of name: in the file of e, for the duplicate message. */
static unsigned name_line(int dfd, const cz_market_entry *e)
{
	char *data = NULL;
	cz_linemap lines = CZ_LINEMAP_INIT;
	cz_doc *docs = NULL;
	size_t ndocs = 0, size = 0;
	unsigned line = 1;
	cz_diags ignored;
	int fd;

	cz_diags_init(&ignored);
	fd = open_entry(dfd, e->file + strlen("entries/"), e->file, &size,
			&ignored);

	if (fd >= 0 && read_fd(fd, size, &data) == CZ_OK &&
	    parse_root(data, size, e->file, &lines, &docs, &ndocs, NULL) ==
		    CZ_OK)
		line = cz_linemap_key(&lines, docs[0].root, "name");
	cz_docs_free(docs, ndocs);
	cz_linemap_release(&lines);
	free(data);
	if (fd >= 0)
		close(fd);
	cz_diags_release(&ignored);
	return line ? line : 1;
}

/* Sorts by name and drops the later file of each duplicate name. */
static void drop_duplicates(int dfd, cz_market_index *idx, cz_diags *d)
{
	size_t out = 0;

	if (idx->len > 1)
		qsort(idx->entries, idx->len, sizeof(*idx->entries),
		      cmp_entry);
	for (size_t i = 0; i < idx->len; i++) {
		cz_market_entry *e = &idx->entries[i];

		if (out && strcmp(idx->entries[out - 1].name, e->name) == 0) {
			cz_diags_add(d, CZ_DIAG_ERROR, "%s:%u: name: \"%s\" "
				     "is already used by %s", e->file,
				     name_line(dfd, e), e->name,
				     idx->entries[out - 1].file);
			cz_market_entry_release(e);
			idx->ninvalid++;
			continue;
		}
		if (out != i)
			idx->entries[out] = *e;
		out++;
	}
	idx->len = out;
}

/* Whether a cache may stand for this load. */
static bool cache_wanted(const cz_market_load_opts *o,
			 const cz_market_index *idx)
{
	return o && o->cache_dir && !o->verify_keys && idx->len == 0 &&
	       idx->nfiles == 0;
}

/* The directory's cache key from every entry file's identity; *racy as
 * cz_market_cache_hasher_add_file() sets it. */
static bool dir_key(int dfd, char **names, size_t n,
		    const cz_market_limits *l,
		    unsigned char key[CZ_MARKET_CACHE_KEY_LEN], bool *racy)
{
	cz_market_cache_hasher *h = cz_market_cache_hasher_new(l);
	time_t now = time(NULL);
	struct stat st;
	bool ok = true;

	*racy = false;
	for (size_t i = 0; i < n && ok; i++) {
		ok = fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0;
		if (ok)
			cz_market_cache_hasher_add_file(h, names[i], &st, now,
							racy);
	}
	cz_market_cache_hasher_finish(h, key);
	return ok;
}

int cz_market_load_dir(const char *dir, const cz_market_load_opts *o,
		      cz_market_index *idx, cz_diags *d, cz_error *err)
{
	cz_market_limits l = limits_or_default(o ? o->limits : NULL);
	char *entries = cz_xasprintf("%s/entries", dir), *id = NULL;
	unsigned char key[CZ_MARKET_CACHE_KEY_LEN];
	char **names = NULL;
	size_t n = 0, problems = d->nerrors + d->nwarnings;
	uint64_t total = 0;
	bool cache = cache_wanted(o, idx), racy = true;
	int dfd = -1, rc;

	rc = list_entry_files(dir, entries, l.max_entries, &names, &n, err);
	if (rc < 0)
		goto cleanup;
	dfd = open(entries, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", entries, strerror(errno));
		goto cleanup;
	}
	if (cache && (id = realpath(dir, NULL)) &&
	    dir_key(dfd, names, n, &l, key, &racy) &&
	    cz_market_cache_load(o->cache_dir, id, key, idx) == CZ_OK)
		goto cleanup;
	for (size_t i = 0; i < n && rc == CZ_OK; i++)
		rc = load_one(dfd, names[i], &l, o && o->verify_keys, &total,
			      idx, d, err);
	if (rc == CZ_OK)
		drop_duplicates(dfd, idx, d);
	else
		cz_error_prefix(err, "%s", dir);
	if (rc == CZ_OK && cache && id && !racy &&
	    d->nerrors + d->nwarnings == problems && idx->ninvalid == 0)
		cz_market_cache_store(o->cache_dir, id, key, idx);
cleanup:
	if (dfd >= 0)
		close(dfd);
	free_names(names, n);
	free(entries);
	free(id);
	return rc;
}

/* ---- locations --------------------------------------------------------- */

int cz_market_location_kind(const char *location, cz_market_kind *kind,
			   cz_error *err)
{
	static const char *const git[] = { "https://", "http://", "git://",
					   "ssh://", "file://", NULL };

	if (has_prefix(location, "oci://")) {
		*kind = CZ_MARKET_OCI;
		return CZ_OK;
	}
	for (size_t i = 0; git[i]; i++)
		if (has_prefix(location, git[i])) {
			*kind = CZ_MARKET_GIT;
			return CZ_OK;
		}
	if (strstr(location, "://"))
		return cz_fail(err, CZ_EINVALID, "%s: unknown scheme (an index "
			       "is a directory, a git URL or oci://)",
			       location);
	*kind = CZ_MARKET_DIR;
	return CZ_OK;
}

/* A private directory for one fetch; malloc'ed path. */
static int scratch_dir(const char *parent, char **out, cz_error *err)
{
	const char *base = parent ? parent : getenv("TMPDIR");

	*out = cz_xasprintf("%s/cozypkg-index-XXXXXX",
			    base && *base ? base : "/tmp");
	if (!mkdtemp(*out)) {
		int rc = cz_fail(err, CZ_EIO, "%s: %s", *out, strerror(errno));

		free(*out);
		*out = NULL;
		return rc;
	}
	return CZ_OK;
}

/* Splits "URL#FRAGMENT" into o->url (malloc'ed in *url) and o->ref. */
static int git_split(const char *location, char **url, cz_git_ref *ref,
		     cz_error *err)
{
	const char *hash = strchr(location, '#');
	const char *frag;

	memset(ref, 0, sizeof(*ref));
	*url = hash ? cz_xstrndup(location, (size_t)(hash - location))
		    : cz_xstrdup(location);
	if (!hash)
		return CZ_OK;
	frag = hash + 1;
	if (has_prefix(frag, "tag="))
		ref->tag = frag + 4;
	else if (has_prefix(frag, "commit="))
		ref->commit = frag + 7;
	else if (has_prefix(frag, "branch="))
		ref->branch = frag + 7;
	else if (!strchr(frag, '='))
		ref->branch = frag;
	if (!ref->tag && !ref->commit && !ref->branch)
		return cz_fail(err, CZ_EINVALID, "%s: expected #BRANCH, "
			       "#tag=TAG or #commit=SHA after the URL", *url);
	if (!*frag || (ref->tag && !*ref->tag) ||
	    (ref->commit && !*ref->commit) || (ref->branch && !*ref->branch))
		return cz_fail(err, CZ_EINVALID, "%s: empty reference after "
			       "'#'", *url);
	return CZ_OK;
}

static int git_fetch_tree(const char *location, const char *scratch,
			  const cz_market_limits *l, char **tree, cz_error *err)
{
	cz_git_options o;
	cz_git_result r = { 0 };
	char *url = NULL, *cache = cz_xasprintf("%s/cache", scratch);
	bool default_ref;
	int rc;

	*tree = cz_xasprintf("%s/tree", scratch);
	memset(&o, 0, sizeof(o));
	if ((rc = git_split(location, &url, &o.ref, err)) < 0)
		goto cleanup;
	default_ref = !o.ref.branch && !o.ref.tag && !o.ref.commit;
	if (default_ref)
		o.ref.branch = "main";
	o.url = url;
	o.cache_dir = cache;
	/* The repository may hold more than entries/ (README, CI), so the
	 * transfer gets headroom over the index cap. */
	o.max_bytes = l->max_total_bytes * 4;
	o.max_export_bytes = l->max_total_bytes * 4;
	o.max_export_files = (unsigned)(l->max_entries + 10000);
	rc = cz_git_fetch_export(&o, *tree, &r, err);
	if (rc == CZ_ENOTFOUND && default_ref) {
		cz_git_result_release(&r);
		o.ref.branch = "master";
		rc = cz_git_fetch_export(&o, *tree, &r, err);
		if (rc == CZ_ENOTFOUND)
			cz_fail(err, rc, "%s: neither branch main nor master "
				"exists (name one with #BRANCH)", url);
	}
cleanup:
	cz_git_result_release(&r);
	free(url);
	free(cache);
	return rc;
}

static int load_git(const char *location, const cz_market_load_opts *o,
		    const cz_market_limits *l, cz_market_index *idx, cz_diags *d,
		    cz_error *err)
{
	char *scratch = NULL, *tree = NULL;
	bool inited = false;
	int rc;

	if ((rc = scratch_dir(o->tmp_dir, &scratch, err)) < 0)
		goto cleanup;
	if ((rc = cz_git_init(err)) < 0)
		goto cleanup;
	inited = true;
	rc = git_fetch_tree(location, scratch, l, &tree, err);
	if (rc == CZ_OK)
		rc = cz_market_load_dir(tree, o, idx, d, err);
cleanup:
	if (inited)
		cz_git_shutdown();
	if (scratch)
		cz_remove_tree(scratch);
	free(scratch);
	free(tree);
	return rc;
}

/*
 * An OCI index through the cache: the manifest's digest names the content,
 * so a hit costs one manifest request; a miss pulls by that digest, so
 * what is cached is what the digest names.
 */
static int load_oci_cached(cz_oci *c, const cz_oci_ref *ref,
			   const cz_market_load_opts *o, cz_market_index *idx,
			   cz_diags *d, cz_error *err)
{
	cz_oci_raw_manifest m = { 0 };
	cz_market_load_opts uncached = *o;
	cz_market_limits l = limits_or_default(o->limits);
	unsigned char key[CZ_MARKET_CACHE_KEY_LEN];
	size_t problems = d->nerrors + d->nwarnings;
	char *scratch = NULL, *tree = NULL, *id = NULL;
	int rc;

	rc = cz_oci_manifest_get(c, ref->repo, cz_oci_ref_reference(ref), &m,
				 err);
	if (rc < 0)
		goto cleanup;
	id = cz_xasprintf("oci:%s", m.digest);
	cz_market_cache_hasher_finish(cz_market_cache_hasher_new(&l), key);
	if (cz_market_cache_load(o->cache_dir, id, key, idx) == CZ_OK)
		goto cleanup;
	if ((rc = scratch_dir(o->tmp_dir, &scratch, err)) < 0)
		goto cleanup;
	tree = cz_xasprintf("%s/tree", scratch);
	uncached.cache_dir = NULL;
	rc = cz_flux_pull(c, ref->repo, m.digest, tree, NULL, err);
	if (rc == CZ_OK)
		rc = cz_market_load_dir(tree, &uncached, idx, d, err);
	if (rc == CZ_OK && d->nerrors + d->nwarnings == problems &&
	    idx->ninvalid == 0)
		cz_market_cache_store(o->cache_dir, id, key, idx);
cleanup:
	if (scratch)
		cz_remove_tree(scratch);
	free(scratch);
	free(tree);
	free(id);
	cz_oci_raw_manifest_release(&m);
	return rc;
}

static int load_oci(const char *location, const cz_market_load_opts *o,
		    cz_market_index *idx, cz_diags *d, cz_error *err)
{
	cz_oci_ref ref = CZ_OCI_REF_INIT;
	cz_oci *own = NULL, *c = o->oci;
	char *scratch = NULL, *tree = NULL;
	int rc;

	if ((rc = cz_oci_ref_parse(location, &ref, err)) < 0)
		goto cleanup;
	if (!c) {
		cz_oci_opts oo;

		memset(&oo, 0, sizeof(oo));
		oo.insecure = o->insecure;
		if ((rc = cz_oci_open(ref.host, &oo, &own, err)) < 0)
			goto cleanup;
		c = own;
	}
	if (cache_wanted(o, idx)) {
		rc = load_oci_cached(c, &ref, o, idx, d, err);
		goto cleanup;
	}
	if ((rc = scratch_dir(o->tmp_dir, &scratch, err)) < 0)
		goto cleanup;
	tree = cz_xasprintf("%s/tree", scratch);
	rc = cz_flux_pull(c, ref.repo, cz_oci_ref_reference(&ref), tree, NULL,
			  err);
	if (rc == CZ_OK)
		rc = cz_market_load_dir(tree, o, idx, d, err);
cleanup:
	if (scratch)
		cz_remove_tree(scratch);
	free(scratch);
	free(tree);
	if (own)
		cz_oci_free(own);
	cz_oci_ref_release(&ref);
	return rc;
}

int cz_market_load(const char *location, const cz_market_load_opts *o,
		  cz_market_index *idx, cz_diags *d, cz_error *err)
{
	cz_market_load_opts none;
	cz_market_limits l;
	cz_market_kind kind;
	int rc;

	memset(&none, 0, sizeof(none));
	if (!o)
		o = &none;
	l = limits_or_default(o->limits);
	if ((rc = cz_market_location_kind(location, &kind, err)) < 0)
		return rc;
	if (kind == CZ_MARKET_DIR)
		return cz_market_load_dir(location, o, idx, d, err);
	if (kind == CZ_MARKET_GIT)
		return load_git(location, o, &l, idx, d, err);
	return load_oci(location, o, idx, d, err);
}

/* ---- search ------------------------------------------------------------ */

/* True when the lowercase needle (of length n) occurs in hay, whatever
 * hay's letter case. */
static bool icontains(const char *hay, const char *needle, size_t n)
{
	if (!hay)
		return false;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == needle[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

static bool entry_matches(const cz_market_entry *e, const char *needle,
			  size_t n)
{
	if (icontains(e->name, needle, n) ||
	    icontains(e->description, needle, n))
		return true;
	for (size_t i = 0; i < e->ntags; i++)
		if (icontains(e->tags[i], needle, n))
			return true;
	return false;
}

size_t cz_market_search(const cz_market_index *idx, const char *term,
		       const cz_market_entry ***out)
{
	char *needle = cz_xstrdup(term ? term : "");
	size_t n = strlen(needle), count = 0;
	const cz_market_entry **res;

	for (size_t i = 0; i < n; i++)
		needle[i] = (char)tolower((unsigned char)needle[i]);
	res = cz_xcalloc(idx->len + 1, sizeof(*res));
	for (size_t i = 0; i < idx->len; i++) {
		const cz_market_entry *e = &idx->entries[i];

		if (!entry_matches(e, needle, n))
			continue;
		/* Names are unique, so at most one exact match moves to
		 * the front; the rest stay in name order. */
		if (n && strcmp(e->name, needle) == 0) {
			memmove(res + 1, res, count * sizeof(*res));
			res[0] = e;
		} else {
			res[count] = e;
		}
		count++;
	}
	free(needle);
	*out = res;
	return count;
}

const cz_market_entry *cz_market_find(const cz_market_index *idx, const char *name)
{
	size_t lo = 0, hi = idx->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(idx->entries[mid].name, name);

		if (c == 0)
			return &idx->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- where the index is ------------------------------------------------ */

char *cz_market_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg)
		return cz_xasprintf("%s/cozypkg/config.yaml", xdg);
	if (home && *home)
		return cz_xasprintf("%s/.config/cozypkg/config.yaml", home);
	return NULL;
}

/* index: from the config file at path; *out NULL when it has none. */
static int config_index(const char *path, char **out, cz_error *err)
{
	cz_linemap lines = CZ_LINEMAP_INIT;
	cz_doc *docs = NULL;
	size_t ndocs = 0, len = 0;
	char *data = NULL;
	const json_t *root, *v;
	int rc;

	*out = NULL;
	rc = cz_file_read(path, CONFIG_MAX_BYTES, &data, &len, err);
	if (rc == CZ_ENOTFOUND) {
		rc = CZ_OK;
		goto cleanup;
	}
	if (rc < 0 ||
	    (rc = cz_parse_stream(data, len, path, NULL, &docs, &ndocs, &lines,
				  err)) < 0)
		goto cleanup;
	root = ndocs ? docs[0].root : NULL;
	if (root && !json_is_object(root)) {
		rc = cz_fail(err, CZ_EINVALID, "%s:%u: expected a mapping",
			     path, docs[0].line);
		goto cleanup;
	}
	v = json_object_get(root, "index");
	if (v && (!json_is_string(v) || !*json_string_value(v))) {
		rc = cz_fail(err, CZ_EINVALID, "%s:%u: index: expected a "
			     "location (a directory, git URL or oci:// "
			     "reference)", path,
			     cz_linemap_key(&lines, root, "index"));
		goto cleanup;
	}
	if (v)
		*out = cz_xstrdup(json_string_value(v));
cleanup:
	cz_docs_free(docs, ndocs);
	cz_linemap_release(&lines);
	free(data);
	return rc;
}

int cz_market_location(const char *flag, char **out, cz_market_origin *origin,
		      cz_error *err)
{
	const char *env = getenv(CZ_MARKET_INDEX_ENV);
	cz_market_origin from = CZ_MARKET_FROM_FLAG;
	char *path = NULL;
	int rc = CZ_OK;

	*out = NULL;
	if (flag && *flag) {
		*out = cz_xstrdup(flag);
	} else if (env && *env) {
		from = CZ_MARKET_FROM_ENV;
		*out = cz_xstrdup(env);
	} else {
		from = CZ_MARKET_FROM_CONFIG;
		path = cz_market_config_path();
		if (path)
			rc = config_index(path, out, err);
		if (rc == CZ_OK && !*out) {
			from = CZ_MARKET_FROM_DEFAULT;
			*out = cz_xstrdup(CZ_MARKET_DEFAULT_INDEX);
		}
	}
	if (origin)
		*origin = from;
	free(path);
	return rc;
}

#include "auth/token.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/fileio.h"
#include "util/mem.h"

#define DIGEST_LEN CZ_TOKEN_DIGEST_LEN
#define MAX_FIELDS 4

typedef struct token_entry {
	unsigned char digest[DIGEST_LEN]; /* first: cz_token_digest_index() */
	unsigned line; /* where the token was read; 0 when added by code */
	cz_user user;
} token_entry;

struct cz_tokens {
	token_entry *items;
	size_t len;
	size_t cap;
};

int cz_token_generate(char out[65], cz_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[32];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
		out[0] = '\0';
		return cz_fail(err, CZ_ERR, "the random generator failed");
	}
	for (size_t i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 0xf];
	}
	out[64] = '\0';
	OPENSSL_cleanse(bytes, sizeof(bytes));
	return CZ_OK;
}

/* ---- the set ---------------------------------------------------------- */

cz_tokens *cz_tokens_new(void)
{
	return cz_xcalloc(1, sizeof(cz_tokens));
}

void cz_user_release(cz_user *user)
{
	free(user->name);
	free(user->uid);
	for (size_t i = 0; i < user->ngroups; i++)
		free(user->groups[i]);
	free(user->groups);
	memset(user, 0, sizeof(*user));
}

void cz_tokens_free(cz_tokens *tokens)
{
	if (!tokens)
		return;
	for (size_t i = 0; i < tokens->len; i++)
		cz_user_release(&tokens->items[i].user);
	if (tokens->items)
		OPENSSL_cleanse(tokens->items,
				tokens->cap * sizeof(*tokens->items));
	free(tokens->items);
	free(tokens);
}

size_t cz_tokens_count(const cz_tokens *tokens)
{
	return tokens ? tokens->len : 0;
}

int cz_token_digest(const char *token, unsigned char out[CZ_TOKEN_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1 ||
	    n != DIGEST_LEN)
		return CZ_ERR;
	return CZ_OK;
}

/* The entry whose digest equals digest, or NULL.  Not constant time: used
 * only while building the set, where duplicates are the file's own. */
static const token_entry *find_digest(const cz_tokens *tokens,
				      const unsigned char *digest)
{
	for (size_t i = 0; i < tokens->len; i++)
		if (memcmp(tokens->items[i].digest, digest, DIGEST_LEN) == 0)
			return &tokens->items[i];
	return NULL;
}

static void copy_groups(cz_user *user, const char *const *groups)
{
	size_t n = 0;

	while (groups && groups[n])
		n++;
	user->groups = n ? cz_xcalloc(n, sizeof(char *)) : NULL;
	for (size_t i = 0; i < n; i++)
		if (groups[i][0] != '\0')
			user->groups[user->ngroups++] = cz_xstrdup(groups[i]);
}

void cz_user_copy(cz_user *dst, const cz_user *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = cz_xstrdup(src->name);
	dst->uid = cz_xstrdup(src->uid ? src->uid : "");
	dst->groups = src->ngroups ? cz_xcalloc(src->ngroups, sizeof(char *))
				   : NULL;
	for (size_t i = 0; i < src->ngroups; i++)
		dst->groups[dst->ngroups++] = cz_xstrdup(src->groups[i]);
}

void cz_user_init(cz_user *user, const char *name, const char *uid,
		  const char *const *groups)
{
	memset(user, 0, sizeof(*user));
	user->name = cz_xstrdup(name);
	user->uid = cz_xstrdup(uid ? uid : "");
	copy_groups(user, groups);
}

/* Adds an entry; *dup is set to the existing entry on CZ_EEXISTS. */
static int add_entry(cz_tokens *tokens, const char *token, const char *user,
		     const char *uid, const char *const *groups, unsigned line,
		     const token_entry **dup)
{
	unsigned char digest[DIGEST_LEN];
	token_entry *e;

	if (cz_token_digest(token, digest) < 0)
		return CZ_ERR;
	*dup = find_digest(tokens, digest);
	if (*dup)
		return CZ_EEXISTS;
	CZ_GROW(tokens->items, tokens->len + 1, tokens->cap);
	e = &tokens->items[tokens->len++];
	memset(e, 0, sizeof(*e));
	memcpy(e->digest, digest, DIGEST_LEN);
	e->line = line;
	cz_user_init(&e->user, user, uid, groups);
	OPENSSL_cleanse(digest, sizeof(digest));
	return CZ_OK;
}

int cz_tokens_add(cz_tokens *tokens, const char *token, const char *user,
		  const char *uid, const char *const *groups, cz_error *err)
{
	const token_entry *dup = NULL;
	int rc;

	if (!token || !*token)
		return cz_fail(err, CZ_EINVALID, "empty token");
	if (!user || !*user)
		return cz_fail(err, CZ_EINVALID, "empty user name");
	rc = add_entry(tokens, token, user, uid, groups, 0, &dup);
	if (rc == CZ_EEXISTS)
		return cz_fail(err, rc, "duplicate token (user \"%s\" has it)",
			       dup->user.name);
	if (rc < 0)
		return cz_fail(err, rc, "cannot hash the token");
	return CZ_OK;
}

long cz_token_digest_index(const void *items, size_t n, size_t stride,
			   const unsigned char digest[CZ_TOKEN_DIGEST_LEN])
{
	const unsigned char *base = items;
	size_t found = 0, hit = 0;

	/* Tokens are unique, so at most one matches. */
	for (size_t i = 0; i < n; i++) {
		size_t equal = (size_t)(CRYPTO_memcmp(digest, base + i * stride,
						      CZ_TOKEN_DIGEST_LEN) == 0);
		size_t mask = (size_t)0 - equal;

		found |= i & mask;
		hit |= mask;
	}
	return hit ? (long)found : -1;
}

const cz_user *cz_tokens_find(const cz_tokens *tokens, const char *token)
{
	unsigned char digest[DIGEST_LEN];
	long i;

	if (!tokens || !token || !*token || cz_token_digest(token, digest) < 0)
		return NULL;
	i = cz_token_digest_index(tokens->items, tokens->len,
				  sizeof(token_entry), digest);
	OPENSSL_cleanse(digest, sizeof(digest));
	return i >= 0 ? &tokens->items[i].user : NULL;
}

/* ---- the file format -------------------------------------------------- */

typedef struct line_fields {
	cz_buf f[MAX_FIELDS];
	size_t n;
} line_fields;

static void fields_init(line_fields *lf)
{
	for (size_t i = 0; i < MAX_FIELDS; i++)
		cz_buf_init(&lf->f[i], CZ_TOKENS_MAX_BYTES);
	lf->n = 0;
}

static void fields_release(line_fields *lf)
{
	for (size_t i = 0; i < MAX_FIELDS; i++) {
		if (lf->f[i].cap)
			OPENSSL_cleanse(lf->f[i].data, lf->f[i].cap);
		cz_buf_release(&lf->f[i]);
	}
}

/* Reads one quoted field starting after its opening quote; *p ends after
 * the closing quote.  Returns NULL or the reason the field is bad. */
static const char *read_quoted(const char **p, const char *end, cz_buf *out)
{
	const char *s = *p;

	for (;;) {
		if (s == end)
			return "unterminated quote";
		if (*s != '"') {
			cz_buf_putc(out, *s++);
			continue;
		}
		if (s + 1 < end && s[1] == '"') {
			cz_buf_putc(out, '"');
			s += 2;
			continue;
		}
		s++;
		break;
	}
	*p = s;
	if (s < end && *s != ',')
		return "unexpected character after a closing quote";
	return NULL;
}

static const char *read_plain(const char **p, const char *end, cz_buf *out)
{
	const char *s = *p;

	while (s < end && *s != ',') {
		if (*s == '"')
			return "quote inside an unquoted field";
		s++;
	}
	cz_buf_append(out, *p, (size_t)(s - *p));
	*p = s;
	return NULL;
}

/* Splits line[0..len) into CSV fields.  Returns NULL or the reason. */
static const char *split_line(const char *line, size_t len, line_fields *lf)
{
	const char *p = line;
	const char *end = line + len;
	const char *why;

	for (;;) {
		if (lf->n == MAX_FIELDS)
			return "too many fields (expected token,user,uid"
			       "[,groups])";
		if (p < end && *p == '"') {
			p++;
			why = read_quoted(&p, end, &lf->f[lf->n]);
		} else {
			why = read_plain(&p, end, &lf->f[lf->n]);
		}
		if (why)
			return why;
		lf->n++;
		if (p == end)
			return NULL;
		p++; /* the comma */
	}
}

static void trim(char **start, char **end)
{
	while (*start < *end && isspace((unsigned char)**start))
		(*start)++;
	while (*end > *start && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

/* Splits the groups field on commas into a NULL-terminated array of
 * trimmed, non-empty names pointing into text, which is modified. */
static char **split_groups(char *text)
{
	size_t n = 0;
	char **groups = cz_xcalloc(strlen(text) / 2 + 2, sizeof(char *));
	char *p = text;

	for (;;) {
		char *comma = strchr(p, ',');
		char *start = p;
		char *stop = comma ? comma : p + strlen(p);

		trim(&start, &stop);
		*stop = '\0';
		if (*start)
			groups[n++] = start;
		if (!comma)
			break;
		p = comma + 1;
	}
	groups[n] = NULL;
	return groups;
}

static const char *check_fields(const line_fields *lf)
{
	if (lf->f[0].len == 0)
		return "empty token";
	if (lf->n < 2 || lf->f[1].len == 0)
		return "missing user";
	if (lf->n < 3)
		return "missing uid (expected token,user,uid[,groups])";
	return NULL;
}

static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)line[i]))
			return false;
	return true;
}

static int parse_line(cz_tokens *tokens, const char *line, size_t len,
		      const char *name, unsigned lineno, cz_error *err)
{
	line_fields lf;
	char **groups = NULL;
	const token_entry *dup = NULL;
	const char *why;
	int rc = CZ_OK;

	fields_init(&lf);
	if (memchr(line, '\0', len))
		why = "NUL byte";
	else if (!(why = split_line(line, len, &lf)))
		why = check_fields(&lf);
	if (why) {
		rc = cz_fail(err, CZ_EINVALID, "%s:%u: %s", name, lineno, why);
		goto cleanup;
	}
	if (lf.n == 4)
		groups = split_groups(lf.f[3].data);
	rc = add_entry(tokens, lf.f[0].data, lf.f[1].data, lf.f[2].data,
		       (const char *const *)groups, lineno, &dup);
	if (rc == CZ_EEXISTS)
		rc = cz_fail(err, CZ_EINVALID,
			     "%s:%u: duplicate token (first on line %u)", name,
			     lineno, dup->line);
	else if (rc < 0)
		rc = cz_fail(err, rc, "%s:%u: cannot hash the token", name,
			     lineno);
cleanup:
	free(groups);
	fields_release(&lf);
	return rc;
}

int cz_tokens_parse(const char *data, size_t len, const char *name,
		    cz_tokens **out, cz_error *err)
{
	cz_tokens *tokens = NULL;
	const char *p = data;
	const char *end = data + len;
	unsigned lineno = 0;
	int rc = CZ_OK;

	*out = NULL;
	if (len > CZ_TOKENS_MAX_BYTES)
		return cz_fail(err, CZ_ETOOLARGE, "%s: larger than %d bytes",
			       name, CZ_TOKENS_MAX_BYTES);
	tokens = cz_tokens_new();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - p);

		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		if (!blank(p, n) && p[0] != '#') {
			rc = parse_line(tokens, p, n, name, lineno, err);
			if (rc < 0)
				goto cleanup;
		}
		p = nl ? nl + 1 : end;
	}
	*out = tokens;
	tokens = NULL;
cleanup:
	cz_tokens_free(tokens);
	return rc;
}

int cz_tokens_load(const char *path, cz_tokens **out, cz_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = cz_file_read(path, CZ_TOKENS_MAX_BYTES, &data, &len, err);
	if (rc == CZ_OK)
		rc = cz_tokens_parse(data, len, path, out, err);
	if (data) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return rc;
}

/* ---- writing a line --------------------------------------------------- */

static bool needs_quotes(const char *s, bool first)
{
	/* A token starting with '#' would turn its line into a comment. */
	return strpbrk(s, ",\"") != NULL || (first && s[0] == '#');
}

static int put_field(cz_buf *out, const char *s, bool first)
{
	int rc = CZ_OK;

	if (!needs_quotes(s, first))
		return cz_buf_puts(out, s);
	rc = cz_buf_putc(out, '"');
	for (const char *c = s; *c && rc == CZ_OK; c++)
		rc = *c == '"' ? cz_buf_puts(out, "\"\"") : cz_buf_putc(out, *c);
	return rc == CZ_OK ? cz_buf_putc(out, '"') : rc;
}

static const char *check_value(const char *what, const char *s)
{
	if (strpbrk(s, "\r\n"))
		return what;
	return NULL;
}

static const char *check_line_values(const char *token, const char *user,
				      const char *uid,
				      const char *const *groups)
{
	const char *bad;

	if (!token || !*token)
		return "empty token";
	if (!user || !*user)
		return "empty user name";
	if ((bad = check_value("token contains a line break", token)) ||
	    (bad = check_value("user name contains a line break", user)) ||
	    (uid && (bad = check_value("uid contains a line break", uid))))
		return bad;
	for (size_t i = 0; groups && groups[i]; i++)
		if (strpbrk(groups[i], ",\r\n") || !*groups[i])
			return "a group name is empty or contains a comma or "
			       "a line break";
	return NULL;
}

static int join_groups(cz_buf *joined, const char *const *groups)
{
	int rc = CZ_OK;

	for (size_t i = 0; groups && groups[i] && rc == CZ_OK; i++) {
		if (i)
			rc = cz_buf_putc(joined, ',');
		if (rc == CZ_OK)
			rc = cz_buf_puts(joined, groups[i]);
	}
	return rc;
}

int cz_tokens_format_line(cz_buf *out, const char *token, const char *user,
			  const char *uid, const char *const *groups,
			  cz_error *err)
{
	const char *why = check_line_values(token, user, uid, groups);
	size_t start = out->len;
	cz_buf joined;
	int rc;

	if (why)
		return cz_fail(err, CZ_EINVALID, "token file line: %s", why);
	cz_buf_init(&joined, out->max);
	if ((rc = put_field(out, token, true)) < 0 ||
	    (rc = cz_buf_putc(out, ',')) < 0 ||
	    (rc = put_field(out, user, false)) < 0 ||
	    (rc = cz_buf_putc(out, ',')) < 0 ||
	    (rc = put_field(out, uid ? uid : "", false)) < 0 ||
	    (rc = join_groups(&joined, groups)) < 0)
		goto cleanup;
	if (joined.len && ((rc = cz_buf_putc(out, ',')) < 0 ||
			   (rc = put_field(out, joined.data, false)) < 0))
		goto cleanup;
	rc = cz_buf_putc(out, '\n');
cleanup:
	cz_buf_release(&joined);
	if (rc < 0) {
		out->len = start;
		out->data[start] = '\0';
		rc = cz_fail(err, rc, "token file line: too long");
	}
	return rc;
}

/* ---- authorization ---------------------------------------------------- */

bool cz_user_in_group(const cz_user *user, const char *group)
{
	for (size_t i = 0; user && i < user->ngroups; i++)
		if (strcmp(user->groups[i], group) == 0)
			return true;
	return false;
}

static bool is_read_verb(const char *verb)
{
	return strcmp(verb, "get") == 0 || strcmp(verb, "list") == 0 ||
	       strcmp(verb, "watch") == 0;
}

static bool is_secrets(const char *group, const char *resource)
{
	return (!group || !*group) && strcmp(resource, "secrets") == 0;
}

/* What the controllers generate and may therefore remove (the tap
 * controller removes the PackageSources a tapped revision drops, the
 * history controller the revisions past its limit, the migration runner
 * its previous Job). */
static bool controllers_may(const char *verb, const char *resource)
{
	static const char *const owned[] = { "helmreleases", "secrets",
					     "externalartifacts",
					     "packagesources",
					     "controllerrevisions", "jobs",
					     /* a PackageVariant's drafts */
					     "packagerevisions", NULL };

	if (strcmp(verb, "deletecollection") == 0)
		return false;
	if (strcmp(verb, "delete") != 0)
		return true;
	for (size_t i = 0; owned[i]; i++)
		if (strcmp(resource, owned[i]) == 0)
			return true;
	return false;
}

bool cz_user_may_approve(const cz_user *user)
{
	return cz_user_in_group(user, CZ_GROUP_MASTERS) ||
	       cz_user_in_group(user, CZ_GROUP_APPROVERS);
}

/* Package revisions and their contents: what authors and approvers
 * write. */
static bool is_revision(const char *group, const char *resource)
{
	return group && strcmp(group, "pkg.pkgserver.dev") == 0 &&
	       (strcmp(resource, "packagerevisions") == 0 ||
		strcmp(resource, "packagerevisionresourceses") == 0);
}

static bool authors_may(const cz_user *user, const char *verb,
			const char *group, const char *resource)
{
	return (cz_user_in_group(user, CZ_GROUP_AUTHORS) ||
		cz_user_in_group(user, CZ_GROUP_APPROVERS)) &&
	       is_revision(group, resource) &&
	       strcmp(verb, "deletecollection") != 0;
}

bool cz_authorize(const cz_user *user, const char *verb, const char *group,
		  const char *resource, const char *subresource)
{
	bool has_resource = resource && *resource;

	if (!user || !verb)
		return false;
	/* Publishing is a permission of its own, whoever else may write. */
	if (subresource && strcmp(subresource, "approval") == 0)
		return cz_user_may_approve(user);
	if (cz_user_in_group(user, CZ_GROUP_MASTERS))
		return true;
	if (has_resource && cz_user_in_group(user, CZ_GROUP_MIGRATIONS))
		return true;
	if (has_resource && cz_user_in_group(user, CZ_GROUP_INSTALLERS))
		return strcmp(verb, "deletecollection") != 0;
	if (has_resource && cz_user_in_group(user, CZ_GROUP_CONTROLLERS))
		return controllers_may(verb, resource);
	if (has_resource && authors_may(user, verb, group, resource))
		return true;
	/* Subresources are covered by their resource's rule: viewers may
	 * read packages/status but no part of a Secret. */
	return (cz_user_in_group(user, CZ_GROUP_VIEWERS) ||
		cz_user_in_group(user, CZ_GROUP_AUTHORS) ||
		cz_user_in_group(user, CZ_GROUP_APPROVERS)) &&
	       has_resource && is_read_verb(verb) &&
	       !is_secrets(group, resource);
}

/* path is root itself or lies below it. */
static bool path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

bool cz_authorize_nonresource(const cz_user *user, const char *path)
{
	static const char *const open_roots[] = {
		"/api",	   "/apis",  "/version", "/openapi",
		"/healthz", "/livez", "/readyz",  NULL,
	};

	if (!user || !path)
		return false;
	if (cz_user_in_group(user, CZ_GROUP_MASTERS))
		return true;
	/* The caller normalises paths; this only makes sure a mistake there
	 * cannot turn "/version/../x" into a way out of the open set. */
	if (strstr(path, ".."))
		return false;
	for (size_t i = 0; open_roots[i]; i++)
		if (path_under(path, open_roots[i]))
			return true;
	return false;
}

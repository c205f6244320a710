#include "object/project.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* One member along the kept paths.  A node with no children keeps its
 * whole value; "each" means the value is an array whose every element
 * continues at this node's children. */
typedef struct proj_node {
	char *name;
	bool each;
	bool leaf;
	bool raw; /* leaf kept as its JSON text, unparsed */
	bool open; /* on a "-" path: members it does not name are kept */
	bool drop; /* the end of a "-" path: skipped */
	struct proj_node *children;
	size_t nchildren;
	size_t cap;
} proj_node;

struct cz_projection {
	proj_node root;
};

static void node_release(proj_node *n)
{
	for (size_t i = 0; i < n->nchildren; i++)
		node_release(&n->children[i]);
	free(n->children);
	free(n->name);
}

static proj_node *child(proj_node *n, const char *name, size_t len, bool each)
{
	proj_node *c;

	for (size_t i = 0; i < n->nchildren; i++) {
		c = &n->children[i];
		if (c->each == each && strlen(c->name) == len &&
		    memcmp(c->name, name, len) == 0)
			return c;
	}
	CZ_GROW(n->children, n->nchildren + 1, n->cap);
	c = &n->children[n->nchildren++];
	memset(c, 0, sizeof(*c));
	c->name = cz_xstrndup(name, len);
	c->each = each;
	return c;
}

/* Adds one dotted path; false when it is malformed, or when a dropped
 * path and a kept one meet (one would silently undo the other). */
static bool add_path(proj_node *root, const char *text)
{
	proj_node *n = root;
	bool drop = text[0] == '-';
	size_t len = strlen(text + drop);
	bool raw = len && text[drop + len - 1] == '~';
	char *copy = cz_xstrndup(text + drop, raw ? len - 1 : len);
	const char *path = copy;
	bool ok = !(drop && raw);

	while (ok && *path) {
		len = strcspn(path, ".[");
		bool each = path[len] == '[';

		if (!len || (each && (drop || strncmp(path + len, "[]", 2)))) {
			ok = false;
			break;
		}
		n->open |= drop;
		n = child(n, path, len, each);
		ok = drop ? !n->leaf : !n->drop;
		path += len + (each ? 2 : 0);
		if (*path == '.')
			path++;
		else if (*path)
			ok = false;
	}
	free(copy);
	if (!ok || n == root || (drop && n->nchildren))
		return false;
	n->leaf = !drop;
	n->drop = drop;
	n->raw = raw;
	return true;
}

cz_projection *cz_projection_new(const char *const *paths, size_t npaths)
{
	cz_projection *p = cz_xcalloc(1, sizeof(*p));

	for (size_t i = 0; i < npaths; i++) {
		if (!paths[i] || !add_path(&p->root, paths[i])) {
			cz_projection_free(p);
			return NULL;
		}
	}
	if (!npaths) {
		cz_projection_free(p);
		return NULL;
	}
	return p;
}

const cz_projection *cz_projection_static(cz_static_projection *s)
{
	cz_projection *p = atomic_load(&s->built);
	cz_projection *none = NULL;

	if (p)
		return p;
	p = cz_projection_new(s->paths, s->npaths);
	/* Two first readers may race: one projection stays, the other goes. */
	if (!atomic_compare_exchange_strong(&s->built, &none, p)) {
		cz_projection_free(p);
		p = none;
	}
	return p;
}

void cz_projection_free(cz_projection *p)
{
	if (!p)
		return;
	node_release(&p->root);
	free(p);
}

/* ---- the scanner -------------------------------------------------------- */

typedef struct scanner {
	const char *s;
	size_t len;
	size_t pos;
	cz_error *err;
} scanner;

static int fail_at(scanner *sc, const char *what)
{
	return cz_fail(sc->err, CZ_EINVALID, "offset %zu: %s", sc->pos, what);
}

static void skip_ws(scanner *sc)
{
	while (sc->pos < sc->len &&
	       (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\n' ||
		sc->s[sc->pos] == '\r' || sc->s[sc->pos] == '\t'))
		sc->pos++;
}

/* Moves past a string whose opening quote is at pos. */
static int skip_string(scanner *sc)
{
	for (sc->pos++; sc->pos < sc->len; sc->pos++) {
		const char *q = memchr(sc->s + sc->pos, '"', sc->len - sc->pos);
		size_t slashes = 0;

		if (!q)
			break;
		sc->pos = (size_t)(q - sc->s);
		while (slashes < sc->pos - 1 &&
		       sc->s[sc->pos - 1 - slashes] == '\\')
			slashes++;
		if (slashes % 2 == 0) {
			sc->pos++;
			return CZ_OK;
		}
	}
	return fail_at(sc, "unterminated string");
}

/* Bytes that matter inside a skipped object or array. */
static bool is_structural(unsigned char c)
{
	return c == '"' || c == '{' || c == '}' || c == '[' || c == ']';
}

/* Moves past one value of any kind, tracking only nesting and strings. */
static int skip_value(scanner *sc)
{
	size_t depth = 0;

	skip_ws(sc);
	do {
		char c;

		/* Inside a container only strings and brackets matter. */
		while (depth && sc->pos < sc->len &&
		       !is_structural((unsigned char)sc->s[sc->pos]))
			sc->pos++;
		if (sc->pos >= sc->len)
			return fail_at(sc, "unexpected end of input");
		c = sc->s[sc->pos];
		if (c == '"') {
			if (skip_string(sc) < 0)
				return CZ_EINVALID;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > CZ_PROJECT_MAX_DEPTH)
				return fail_at(sc, "nested too deeply");
		} else if (c == '}' || c == ']') {
			if (!depth)
				return fail_at(sc, "unbalanced bracket");
			depth--;
		} else if (c == ',' || c == ':') {
			return fail_at(sc, "expected a value");
		}
		sc->pos++;
		/* A scalar at depth 0 ends at the next delimiter. */
		if (!depth && c != '}' && c != ']') {
			while (sc->pos < sc->len &&
			       !strchr(",]} \t\r\n", sc->s[sc->pos]))
				sc->pos++;
		}
	} while (depth);
	return CZ_OK;
}

/* A string without escapes needs no decoding; most names and messages
 * are such strings, and jansson's per-call setup would cost more than the
 * string itself.  NULL when the fast path does not apply. */
static json_t *plain_string(const char *s, size_t len)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"' ||
	    memchr(s + 1, '\\', len - 2))
		return NULL;
	for (size_t i = 1; i + 1 < len; i++)
		if ((unsigned char)s[i] < 0x20)
			return NULL;
	return json_stringn(s + 1, len - 2);
}

/* Parses the whole value at pos: plain strings directly, the rest with
 * jansson. */
static int parse_whole(scanner *sc, json_t **out)
{
	size_t start;
	json_error_t jerr;

	skip_ws(sc);
	start = sc->pos;
	if (skip_value(sc) < 0)
		return CZ_EINVALID;
	*out = plain_string(sc->s + start, sc->pos - start);
	if (*out)
		return CZ_OK;
	*out = json_loadb(sc->s + start, sc->pos - start, JSON_DECODE_ANY,
			  &jerr);
	if (!*out)
		return cz_fail(sc->err, CZ_EINVALID, "offset %zu: %s",
			       start + (size_t)(jerr.position > 0 ? jerr.position
								 : 0),
			       jerr.text);
	return CZ_OK;
}

static int expect(scanner *sc, char c, const char *what)
{
	skip_ws(sc);
	if (sc->pos >= sc->len || sc->s[sc->pos] != c)
		return fail_at(sc, what);
	sc->pos++;
	return CZ_OK;
}

/* Reads a member name; plain names are compared in place, escaped ones
 * decoded by jansson. */
static int read_key(scanner *sc, char **key)
{
	size_t start = sc->pos;
	json_t *decoded = NULL;

	*key = NULL;
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return fail_at(sc, "expected a member name");
	if (skip_string(sc) < 0)
		return CZ_EINVALID;
	if (!memchr(sc->s + start, '\\', sc->pos - start)) {
		*key = cz_xstrndup(sc->s + start + 1, sc->pos - start - 2);
		return CZ_OK;
	}
	sc->pos = start;
	if (parse_whole(sc, &decoded) < 0)
		return CZ_EINVALID;
	*key = cz_xstrdup(json_string_value(decoded));
	json_decref(decoded);
	return CZ_OK;
}

static const proj_node *find_child(const proj_node *n, const char *name)
{
	for (size_t i = 0; i < n->nchildren; i++)
		if (strcmp(n->children[i].name, name) == 0)
			return &n->children[i];
	return NULL;
}

static int project_value(scanner *sc, const proj_node *n, size_t depth,
			 json_t **out);

/* The elements of an array, each projected through n's children. */
static int project_each(scanner *sc, const proj_node *n, size_t depth,
			json_t **out)
{
	json_t *arr = json_array();
	int rc;

	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
		sc->pos++;
		*out = arr;
		return CZ_OK;
	}
	for (;;) {
		json_t *item = NULL;

		if ((rc = project_value(sc, n, depth + 1, &item)) < 0)
			break;
		json_array_append_new(arr, item ? item : json_null());
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if ((rc = expect(sc, ']', "expected ',' or ']'")) < 0)
			break;
		*out = arr;
		return CZ_OK;
	}
	json_decref(arr);
	return rc;
}

static int project_member(scanner *sc, const proj_node *c, size_t depth,
			  json_t **value)
{
	*value = NULL;
	if (!c || c->drop)
		return skip_value(sc);
	skip_ws(sc);
	if (c->each) {
		if (sc->pos < sc->len && sc->s[sc->pos] == '[')
			return project_each(sc, c, depth, value);
		return skip_value(sc);
	}
	return project_value(sc, c, depth + 1, value);
}

static int project_object(scanner *sc, const proj_node *n, size_t depth,
			  json_t **out)
{
	json_t *obj = json_object();
	const proj_node *c;
	char *key = NULL;
	int rc;

	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
		sc->pos++;
		*out = obj;
		return CZ_OK;
	}
	for (;;) {
		json_t *value = NULL;

		skip_ws(sc);
		if ((rc = read_key(sc, &key)) < 0 ||
		    (rc = expect(sc, ':', "expected ':'")) < 0)
			break;
		c = find_child(n, key);
		rc = !c && n->open ? parse_whole(sc, &value)
				   : project_member(sc, c, depth, &value);
		if (rc < 0)
			break;
		if (value)
			json_object_set_new(obj, key, value);
		free(key);
		key = NULL;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if ((rc = expect(sc, '}', "expected ',' or '}'")) < 0)
			break;
		*out = obj;
		return CZ_OK;
	}
	free(key);
	json_decref(obj);
	return rc;
}

static int project_value(scanner *sc, const proj_node *n, size_t depth,
			 json_t **out)
{
	*out = NULL;
	if (depth > CZ_PROJECT_MAX_DEPTH)
		return fail_at(sc, "nested too deeply");
	if (n->raw) {
		size_t start;

		skip_ws(sc);
		start = sc->pos;
		if (skip_value(sc) < 0)
			return CZ_EINVALID;
		*out = json_stringn(sc->s + start, sc->pos - start);
		return CZ_OK;
	}
	if (n->leaf || !n->nchildren)
		return parse_whole(sc, out);
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '{')
		return project_object(sc, n, depth, out);
	/* Not an object where the path needs one: kept whole where only a
	 * member was to go, else dropped. */
	return n->open ? parse_whole(sc, out) : skip_value(sc);
}

/* The whole document, with the projection's error form. */
static int parse_document(const char *data, size_t len, json_t **out,
			  cz_error *err)
{
	json_error_t jerr;

	*out = json_loadb(data, len, 0, &jerr);
	if (!*out)
		return cz_fail(err, CZ_EINVALID, "offset %zu: %s",
			       (size_t)(jerr.position > 0 ? jerr.position : 0),
			       jerr.text);
	return CZ_OK;
}

int cz_json_project(const char *data, size_t len, const cz_projection *p,
		    json_t **out, cz_error *err)
{
	scanner sc = { data, len, 0, err };
	int rc;

	if (!p)
		return parse_document(data, len, out, err);
	*out = NULL;
	rc = project_value(&sc, &p->root, 0, out);
	if (rc == CZ_OK) {
		skip_ws(&sc);
		if (sc.pos != sc.len)
			rc = fail_at(&sc, "text after the document");
	}
	if (rc == CZ_OK && !*out)
		rc = fail_at(&sc, "expected an object");
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

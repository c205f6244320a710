#ifndef CZ_OBJECT_YAML_H
#define CZ_OBJECT_YAML_H

/*
 * YAML and JSON input, turned into jansson values the way Kubernetes does
 * it (sigs.k8s.io/yaml on go-yaml v2), so that a manifest means the same
 * thing to cozypkg as to kubectl.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "object/linemap.h"
#include "util/error.h"

typedef struct cz_limits {
	size_t max_document_bytes; /* default 4 MiB: one YAML/JSON document */
	size_t max_total_bytes;    /* default 256 MiB: all input of one load
				      (checked by the caller, not here) */
	unsigned max_depth;        /* default 64 nesting levels of mappings and
				      sequences */
	size_t max_nodes;          /* default 1,000,000 nodes per document,
				      counted after alias expansion */
} cz_limits;

extern const cz_limits cz_default_limits;

typedef struct cz_doc {
	json_t *root;  /* owned; NULL for an empty document (a lone "---",
			  only comments) or one whose root is null */
	unsigned line; /* 1-based line where the document starts */
} cz_doc;

/*
 * Parses a whole YAML stream, or a JSON text / stream of JSON values, held
 * in data[0..len).  The input is JSON when its first non-whitespace byte is
 * '{' or '[' (as kubectl's YAMLOrJSONDecoder decides); JSON values must
 * then be objects or arrays separated by optional whitespace.
 *
 * filename is only used in messages; lim NULL means cz_default_limits.
 * On success *docs_out is a malloc'ed array of *ndocs_out documents that
 * the caller frees with cz_docs_free() (NULL when there are none).
 *
 * The position of every mapping key and sequence item is recorded in
 * `lines` when it is not NULL (YAML only; a JSON document only gets
 * cz_doc.line); a key brought in by a "<<" merge gets the position it has
 * in the merged mapping.  Anchored nodes are shared, not copied: an alias
 * adds a reference to the same json_t, so a caller that edits a document
 * in place must json_deep_copy() a node that may be aliased first.
 *
 * On failure returns CZ_EINVALID (syntax, duplicate key, bad alias,
 * unrepresentable value) or CZ_ETOOLARGE (a limit), err->msg is
 * "FILE:LINE:COL: message" (1-based), *docs_out is NULL and nothing is
 * leaked; `lines` may then hold entries for freed containers and should be
 * released.
 *
 * Document sizes are counted the way libyaml marks count them, in
 * characters for YAML (from the document's first token to its last), and
 * in bytes for JSON.  Either way an oversized document is refused while it
 * is read: no more than a few times the limit is ever read or built.
 */
int cz_parse_stream(const char *data, size_t len, const char *filename,
		    const cz_limits *lim, cz_doc **docs_out, size_t *ndocs_out,
		    cz_linemap *lines, cz_error *err);
void cz_docs_free(cz_doc *docs, size_t n);

/*
 * How an unquoted plain YAML scalar becomes JSON, by go-yaml v2's rules
 * except that the boolean and null words match in any letter case:
 * "", "~", "null" -> null; true/false/yes/no/on/off, y/Y/n/N -> boolean;
 * Go ParseInt base-0 integers (underscores dropped, 0x/0o/0b, leading 0 =
 * octal) that fit int64 -> integer; the YAML float syntax -> real; the rest
 * (timestamps included) -> string.  Returns a new reference, or NULL with
 * err set (CZ_EINVALID) for .inf and .nan, which JSON cannot represent.
 */
json_t *cz_yaml_resolve_plain(const char *text, size_t len, cz_error *err);

/* True when the plain scalar text resolves to a string, i.e. the emitter may
 * write it unquoted as far as resolution is concerned.  Allocates nothing. */
bool cz_yaml_plain_is_string(const char *text, size_t len);

#endif

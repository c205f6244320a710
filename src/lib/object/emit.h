#ifndef CZ_OBJECT_EMIT_H
#define CZ_OBJECT_EMIT_H

/*
 * YAML and JSON writers for jansson values, in the layout kubectl prints,
 * written by hand because libyaml's emitter is too slow for 100 MB outputs
 * and does not know cozypkg's scalar resolution (it would leave "yes" or
 * "0755" unquoted, which read back as a boolean and a number).
 *
 * Both writers append to out.  On failure (CZ_ETOOLARGE when out->max
 * would be passed, CZ_EINVALID for a string that is not valid UTF-8 or a
 * non-finite real) out is left as it was and err says why.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/*
 * Writes value as YAML in kubectl's (go-yaml v2) style: block style,
 * 2-space indentation, sequence items "- " at the same indentation as
 * their parent key, object keys in insertion order, "{}" and "[]" for
 * empty containers, a newline after the last line.  Strings are plain when
 * that reads back as the same string, literal blocks ("|", "|-", "|+") for
 * clean multi-line text, double-quoted otherwise; keys longer than 128
 * bytes use the explicit "? key" form because YAML caps implicit keys.
 */
int cz_emit_yaml(cz_buf *out, const json_t *value, cz_error *err);

/*
 * Writes value as JSON like `kubectl get -o json` (Go's encoding/json with
 * 4-space MarshalIndent): "key": value, keys in insertion order, <, > and &
 * escaped as \u003c \u003e \u0026, and a trailing newline.  compact=true
 * writes one line without spaces and without the trailing newline.
 */
int cz_emit_json(cz_buf *out, const json_t *value, bool compact,
		 cz_error *err);

/*
 * The compact form, where a real always reads back as a real ("2.0", not
 * Go's "2", which jansson reads as an integer): the text the store keeps,
 * so that an object read back equals, type for type, the one written.
 * About three times faster than json_dumps.
 */
int cz_emit_json_stored(cz_buf *out, const json_t *value, cz_error *err);

/*
 * The shortest text that reads back as exactly v, formatted as Go's
 * encoding/json formats a float64: plain decimal ("1000" for 1000.0,
 * "0.1"), exponent form when |v| < 1e-6 or |v| >= 1e21 ("1e+21", "1e-7").
 * An integral value therefore prints without ".0" and reads back as a JSON
 * integer.  NaN and infinities print as "NaN", "+Inf", "-Inf" (never valid
 * JSON; callers reject them first).  Writes a NUL-terminated string into
 * buf of size n, truncated if n is too small; 32 bytes always suffice.
 */
void cz_format_double(double v, char *buf, size_t n);

/* The same shortest digits laid out as Go's strconv.FormatFloat(v, 'g', -1,
 * 64) does ("1e+06", "123456", "1e-05", "0.0001"), which is how go-yaml
 * turns a float map key into a string. */
void cz_format_double_g(double v, char *buf, size_t n);

#endif

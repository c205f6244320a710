#ifndef CZ_API_PROTOBUF_H
#define CZ_API_PROTOBUF_H

/*
 * Kubernetes protobuf request bodies (Content-Type
 * application/vnd.kubernetes.protobuf), turned into the JSON the rest of
 * the server stores.
 *
 * kubectl and client-go send built-in kinds this way.  Only the few kinds
 * those clients create through typed clients are understood; every other
 * kind is refused with a message telling the client to send JSON, which
 * all Kubernetes clients can.
 */

#include <stddef.h>

#include <jansson.h>

#include "util/error.h"

/* Deepest nesting of messages and groups accepted, counting the envelope
 * as level 1.  The supported kinds nest five deep; only skipped unknown
 * groups can go further. */
#define CZ_PROTOBUF_MAX_DEPTH 32

/* Decodes a Kubernetes protobuf body (the "k8s\0" magic, then a
 * runtime.Unknown envelope whose raw bytes are the typed object) into the
 * object's JSON form as kube-apiserver would serve it (apiVersion and kind
 * from the envelope's TypeMeta; fields named as in JSON; bytes fields such
 * as Secret.data base64-encoded; Time as RFC 3339 "2026-01-01T00:00:00Z";
 * empty/zero-valued optional fields omitted like Go's omitempty).
 * Supported kinds: v1 Namespace, ConfigMap, Secret, and
 * meta.k8s.io/v1 DeleteOptions; coordination.k8s.io/v1 Lease. Anything else:
 * CZ_EINVALID "protobuf is not supported for <apiVersion>/<kind>; send
 * application/json". Malformed input (truncated varints, lengths past the
 * end, wrong wire types for known fields, nesting deeper than 32, more than
 * max_bytes of input) gives CZ_EINVALID / CZ_ETOOLARGE with a message naming
 * the field path, e.g. "protobuf: metadata.labels: truncated". Unknown
 * field numbers are skipped by wire type, as protobuf does.
 * *out is a new reference the caller owns.
 *
 * DeleteOptions is accepted under any "v1" or "<group>/v1" apiVersion,
 * because client-go labels it with the group of the resource it deletes.
 * Strings must be UTF-8 without NUL bytes (the JSON decoder of the store
 * refuses "\u0000"), and the envelope's contentEncoding must be empty, as
 * kube-apiserver requires.  *out is NULL after a failure. */
int cz_protobuf_decode(const void *data, size_t len, size_t max_bytes,
		       json_t **out, cz_error *err);

#endif

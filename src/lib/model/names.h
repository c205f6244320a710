#ifndef CZ_MODEL_NAMES_H
#define CZ_MODEL_NAMES_H

/*
 * Kubernetes' rules for names, label keys and values and ConfigMap keys, with
 * the messages of k8s.io/apimachinery/pkg/util/validation, word for word.
 * The rules report each problem through a callback, so that the API
 * validator can turn them into causes and the selector parser into one
 * "; "-joined message.
 */

#include <stdbool.h>

typedef void (*cz_name_msg_fn)(void *ctx, const char *msg);

/* IsDNS1123Label (namespaces). */
void cz_name_label_msgs(const char *s, cz_name_msg_fn emit, void *ctx);
/* IsDNS1123Subdomain (most object names). */
void cz_name_subdomain_msgs(const char *s, cz_name_msg_fn emit, void *ctx);
/* Path segment names (kube's IsValidPathSegmentName, the rule of
 * aggregated APIs such as pkgserver's): not "." or "..", no '/' or '%'. */
void cz_name_segment_msgs(const char *s, cz_name_msg_fn emit, void *ctx);
/* IsQualifiedName (label and annotation keys): [prefix/]name. */
void cz_name_qualified_msgs(const char *s, cz_name_msg_fn emit, void *ctx);
/* IsValidLabelValue. */
void cz_name_label_value_msgs(const char *s, cz_name_msg_fn emit, void *ctx);
/* IsConfigMapKey (ConfigMap and Secret data keys). */
void cz_name_config_key_msgs(const char *s, cz_name_msg_fn emit, void *ctx);

/* True when name is an RFC 1123 subdomain, as Kubernetes requires for the
 * names of most objects. */
bool cz_is_dns_subdomain(const char *name);
/* True when name is an RFC 1123 label (namespaces). */
bool cz_is_dns_label(const char *name);

#endif

#ifndef CZ_ARTIFACT_ASSEMBLE_H
#define CZ_ARTIFACT_ASSEMBLE_H

/*
 * The ArtifactGenerator role: from an extracted source tree and a
 * PackageSource, one reproducible .tar.gz per variant x component, put in
 * an artifact store and recorded under the ExternalArtifact name
 * <source>-<variant>-<component> (dots turned into dashes).
 *
 * Layout of one artifact, with seg the last segment of the component path
 * and every source path relative to the base path (spec.sourceRef.path,
 * trimmed of '/'; "packages" for a GitRepository and the root for an
 * OCIRepository when not set):
 *   seg/...                 the chart directory <base>/<component.path>
 *   seg/charts/<lib>/...    each library the component names, looked up
 *                           in the variant's libraries (unknown names are
 *                           ignored, as the operator does)
 *   seg/values.yaml         the component's valuesFiles (relative to the
 *                           chart directory): the first one replaces the
 *                           chart's values.yaml byte for byte; each later
 *                           one is deep-merged over it (mappings merge key
 *                           by key, anything else is replaced by the later
 *                           file) and the result written as YAML.
 * Components with an empty path are skipped.  A failing component (path
 * missing or leaving the source, invalid chart or library, bad values
 * file) gets an error naming it and its path; the others go on.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "artifact/chart.h"
#include "artifact/store.h"
#include "artifact/tarball.h"
#include "model/catalog.h"
#include "util/arena.h"
#include "util/error.h"

typedef struct cz_assemble_opts {
	time_t mtime;            /* of every entry; 0 by default */
	int compression_level;   /* 0 means 1: half the CPU of 6 for
				    about 10% larger artifacts */
	unsigned threads;        /* components built in parallel; 0 means 1 */
	size_t max_values_bytes; /* per values file; 0 means 4 MiB */
} cz_assemble_opts;

typedef struct cz_assembled {
	const char *name;      /* the artifact name */
	const char *variant;   /* borrowed from the catalog */
	const char *component; /* borrowed from the catalog */
	const char *path;      /* component path, borrowed */
	cz_chart_info chart;   /* name and version of the chart */
	cz_tar_result result;  /* digest and size, when error.code is 0 */
	cz_error error;        /* code 0, or why this artifact failed */
} cz_assembled;

typedef struct cz_assembly {
	cz_arena arena;      /* names */
	cz_assembled *items; /* variants in spec order, then components */
	size_t nitems;
	size_t nerrors;
} cz_assembly;

/*
 * Builds every artifact of src from the tree at source_root into store
 * (recording each as the newest revision of its name).  opts may be NULL.
 * *out is initialised here and released by the caller with
 * cz_assembly_release(), whatever is returned.  Returns CZ_OK when every
 * component was tried (check out->nerrors), or CZ_ENOTFOUND when
 * source_root is not a directory.
 */
int cz_assemble_source(const char *source_root, const cz_source *src,
		       cz_artifact_store *store, const cz_assemble_opts *opts,
		       cz_assembly *out, cz_error *err);
/*
 * The same for n sources at once: out[i] (n of them) is the assembly of
 * srcs[i], as cz_assemble_source() makes it, each released by the caller
 * whatever is returned.  The components of all sources share one pool of
 * opts->threads threads, so many small sources build as fast as one large
 * one.  Of two sources whose artifact names collide ("a.b" and "a-b"),
 * either may be recorded last.
 */
int cz_assemble_sources(const char *source_root,
			const cz_source *const *srcs, size_t n,
			cz_artifact_store *store, const cz_assemble_opts *opts,
			cz_assembly *out, cz_error *err);
void cz_assembly_release(cz_assembly *a);

/* True when rel (a path from a PackageSource) stays inside the tree: not
 * absolute and without ".." components. */
bool cz_path_relative_safe(const char *rel);

/* The normalised base path of src ("" for the root); allocated from arena. */
const char *cz_source_base_path(cz_arena *arena, const cz_source *src);

/* The values files of chart_dir (relative names inside it) merged in
 * order, each a YAML mapping of at most max bytes (0: the default cap);
 * *out is a new object, NULL when files is empty.  Errors name the file. */
int cz_values_files_merge(const char *chart_dir, const cz_strlist *files,
			  size_t max, json_t **out, cz_error *err);

/* Deep-merges overlay into base (both objects; base is modified, overlay
 * only read): objects merge recursively, any other value of overlay
 * replaces base's (copied, so the two share nothing). */
void cz_values_merge(json_t *base, json_t *overlay);

#endif

#ifndef CZ_MODEL_LOAD_H
#define CZ_MODEL_LOAD_H

/*
 * Reading PackageSources and Packages from files, directories and memory.
 *
 * Directories are walked recursively in name order for *.yaml, *.yml and
 * *.json; a file named on the command line is read whatever its extension;
 * "-" is standard input.  List kinds (PackageList, PackageSourceList,
 * v1 List) are unwrapped; documents of other kinds are skipped with a
 * warning.  Every problem becomes a diagnostic; loading goes on so that one
 * run reports them all.
 */

#include <stddef.h>

#include "model/catalog.h"
#include "object/yaml.h"
#include "util/diags.h"

typedef struct cz_loader {
	cz_catalog *catalog;
	cz_diags *diags;
	cz_limits limits;
	size_t total_bytes; /* read so far, checked against limits */
	size_t nobjects;    /* Packages and PackageSources accepted */
} cz_loader;

void cz_loader_init(cz_loader *ld, cz_catalog *cat, cz_diags *diags);

/* Loads a file, a directory or "-".  Returns CZ_OK, or CZ_EINVALID /
 * CZ_ETOOLARGE / CZ_EIO when this path added an error to the diagnostics. */
int cz_load_path(cz_loader *ld, const char *path);

/* Loads a YAML or JSON stream held in memory; name is used in messages. */
int cz_load_buffer(cz_loader *ld, const char *data, size_t len,
		   const char *name);

#endif

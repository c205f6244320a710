#ifndef CZ_UTIL_FILE_H
#define CZ_UTIL_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Writes data to path so that a crash leaves either the old file or the
 * new one, never a torn one: a temporary file beside it, fsync, rename,
 * fsync of the directory.  mode applies to the new file (0600 for keys). */
int cz_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, cz_error *err);

#endif

#ifndef CZ_UTIL_FILEIO_H
#define CZ_UTIL_FILEIO_H

/*
 * Whole-file reads with a size cap, and atomic whole-file writes.
 *
 * Secrets (keys, tokens, kubeconfigs) are written through
 * cz_file_write_atomic() so that a reader never sees half a file and a
 * crash never leaves a truncated one: the bytes go to a temporary file in
 * the same directory, created with the final mode, which is flushed to disk
 * and then renamed over the target.
 */

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Reads the file at path, refusing one larger than max bytes.  On success
 * *data_out is a malloc'ed, NUL-terminated copy (the caller frees it) and
 * *len_out (optional) its length.  Errors name the file: CZ_ENOTFOUND when
 * it does not exist, CZ_ETOOLARGE over max, CZ_EIO otherwise.
 */
int cz_file_read(const char *path, size_t max, char **data_out,
		 size_t *len_out, cz_error *err);

/*
 * Replaces the file at path with data[0..len), created with the given mode
 * (not reduced by the umask, so 0600 really means 0600).  The directory
 * must exist.  Returns CZ_EIO naming the file on failure, leaving any
 * previous file in place.
 */
int cz_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, cz_error *err);

#endif

#ifndef CZ_ARTIFACT_EXTRACT_H
#define CZ_ARTIFACT_EXTRACT_H

/*
 * Safe extraction of an untrusted .tar or .tar.gz into a directory.
 *
 * Every entry is checked before anything is written, and refused with an
 * error that names it when:
 *   - its path is absolute, empty, has a ".." component or a NUL-free but
 *     over-long name (PATH_MAX);
 *   - it is a device, a FIFO or a socket;
 *   - it is a symbolic link whose target is absolute or, resolved from the
 *     link's directory, leaves the tree;
 *   - it is a hard link to a path that is not a safe path of the tree;
 *   - the archive has more entries than max_entries, or its file contents
 *     add up to more than max_total_bytes (counted while decompressing, so
 *     a bomb stops at the cap whatever its headers claim).
 * Writing never follows a symbolic link already in the target: each
 * directory is opened with O_NOFOLLOW relative to its parent's descriptor,
 * and files are created with O_CREAT|O_EXCL|O_NOFOLLOW.  An entry whose
 * path goes through a link (one the archive made itself) is refused.
 *
 * Files are written 0644, or 0755 when the archive marks any execute bit;
 * directories 0755.  Owners, times, setuid/setgid and sticky bits are not
 * restored.  On failure the target may hold part of the archive (never
 * anything outside it); the caller removes it.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct cz_extract_limits {
	uint64_t max_total_bytes; /* sum of file sizes */
	size_t max_entries;       /* files, directories and links */
} cz_extract_limits;

/* 1 GiB and 100,000 entries. */
extern const cz_extract_limits cz_extract_default_limits;

typedef struct cz_extract_stats {
	size_t entries;
	uint64_t bytes; /* file contents written */
} cz_extract_stats;

/*
 * Extracts the archive at archive_path (tar, optionally gzip-compressed;
 * detected from the bytes) into target_dir, which is created when missing.
 * lim NULL means cz_extract_default_limits; stats may be NULL.  Returns
 * CZ_OK, CZ_EINVALID (a refused entry or a damaged archive), CZ_ETOOLARGE
 * (a cap), CZ_ENOTFOUND (no archive) or CZ_EIO.
 */
int cz_extract_file(const char *archive_path, const char *target_dir,
		    const cz_extract_limits *lim, cz_extract_stats *stats,
		    cz_error *err);

/* The same for an archive held in data[0..len) (borrowed). */
int cz_extract_memory(const void *data, size_t len, const char *target_dir,
		      const cz_extract_limits *lim, cz_extract_stats *stats,
		      cz_error *err);

#endif

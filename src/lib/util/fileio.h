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

#include <stdbool.h>
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
/* The same, with the flush to disk left to the caller: durable false
 * still never shows a reader half a file, but a crash may lose the new
 * one (for scratch files that do not outlive the process). */
int cz_file_replace(const char *path, const void *data, size_t len,
		    mode_t mode, bool durable, cz_error *err);

/*
 * A file written under a temporary name and renamed into place only once
 * complete and on disk, so that readers (and a restart after a crash) see
 * the old file or the whole new one, never a part.
 *
 *   cz_tmpfile t;
 *   cz_tmpfile_open(&t, "/dir/.name", err);   creates /dir/.name.XXXXXX
 *   ... write to t.fd ...
 *   cz_tmpfile_commit(&t, "/dir/name", 0644, true, err);
 *   cz_tmpfile_discard(&t);                    always; no-op once committed
 *
 * The temporary file must be on the target's file system.
 */
typedef struct cz_tmpfile {
	int fd;     /* -1 once closed */
	char *path; /* owned; NULL once committed or discarded */
} cz_tmpfile;

/* Creates prefix.XXXXXX (mode 0600); CZ_EIO naming it on failure. */
int cz_tmpfile_open(cz_tmpfile *t, const char *prefix, cz_error *err);
/* Sets mode (not reduced by the umask), closes and renames over target.
 * durable also fsyncs the file first and target's directory after; a
 * caller that hands the file on to storage that syncs it leaves it off.
 * CZ_EIO naming target on failure, leaving any previous file in place. */
int cz_tmpfile_commit(cz_tmpfile *t, const char *target, mode_t mode,
		      bool durable, cz_error *err);
/* Closes and removes the temporary file unless it was committed. */
void cz_tmpfile_discard(cz_tmpfile *t);

/* The directory part of path ("." without a slash, "/" for the root);
 * malloc'ed. */
char *cz_path_dir(const char *path);

/* mkdir -p: creates path and its missing parents with mode (existing ones
 * are left as they are).  CZ_EIO naming the directory that failed. */
int cz_mkdirs(const char *path, mode_t mode, cz_error *err);

/* Removes path and everything below it, not following symbolic links;
 * best effort (scratch trees), so nothing is reported. */
void cz_remove_tree(const char *path);

/* Copies the directory from to to (created 0700 when missing): its
 * directories and regular files, the files with file_mode; symbolic links
 * and special files are left out, files over max_file bytes refused
 * (CZ_ETOOLARGE).  CZ_ENOTFOUND when from does not exist. */
int cz_copy_tree(const char *from, const char *to, mode_t file_mode,
		 size_t max_file, cz_error *err);

/* Free bytes /dev/shm must have for cz_scratch_dir() to use it. */
#define CZ_SCRATCH_MEMORY_MIN (1024ull * 1024 * 1024)

/*
 * Creates a private directory (mode 0700) named NAME.XXXXXX for scratch
 * files: under $TMPDIR when it is set; else, when in_memory, under
 * /dev/shm if it has CZ_SCRATCH_MEMORY_MIN bytes free (thousands of small
 * files are created and removed many times faster in memory than on a
 * busy disk); else under /tmp.  Not for anything executed from there
 * (/dev/shm may be mounted noexec).  *out is malloc'ed; CZ_EIO naming
 * the parent on failure.
 */
int cz_scratch_dir(const char *name, bool in_memory, char **out,
		   cz_error *err);

/* fsyncs a directory, so that a rename inside it survives a crash. */
int cz_dir_sync(const char *dir, cz_error *err);

#endif

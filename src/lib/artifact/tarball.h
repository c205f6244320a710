#ifndef CZ_ARTIFACT_TARBALL_H
#define CZ_ARTIFACT_TARBALL_H

/*
 * Reproducible .tar.gz writer: the same content always gives the same
 * bytes, hence the same sha256, whatever the files' times, owners, modes
 * or the order a directory lists them in.
 *
 * A cz_tarball collects entries (archive path <- file on disk, or bytes in
 * memory), then writes them:
 *   - sorted by path (bytewise), each parent directory as its own entry;
 *   - mtime fixed (cz_tarball.mtime, 0 by default), uid and gid 0, no user
 *     or group names, no other times;
 *   - mode 0755 for directories and for files with any execute bit, 0644
 *     for the others;
 *   - POSIX ustar headers (pax only for paths that need it), gzip with no
 *     timestamp and no file name in its header, at a fixed level.
 * When two entries have the same path the one added last wins, so that
 * a caller can overlay files (a merged values.yaml over a chart's own).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "util/arena.h"
#include "util/error.h"

#define CZ_DIGEST_MAX 72 /* "sha256:" + 64 hex digits + NUL */

typedef struct cz_tar_entry {
	const char *path;        /* archive path, no leading "/" */
	const char *source_file; /* read at write time; NULL for bytes */
	const void *data;        /* bytes (arena copy) when source_file NULL */
	size_t len;
	bool executable;
	size_t order; /* position of addition, for "last wins" */
} cz_tar_entry;

typedef struct cz_tarball {
	cz_arena arena; /* paths and copied bytes */
	cz_tar_entry *entries;
	size_t nentries;
	size_t cap;
	time_t mtime;          /* of every entry; 0 by default */
	int compression_level; /* zlib level 1..9; 6 by default */
	/* Compress in fixed blocks on every processor (artifact/pgzip.h):
	 * other bytes than the default single stream, the same on any
	 * machine, a little larger, several times faster on several cores. */
	bool block_deflate;
} cz_tarball;

typedef struct cz_tar_result {
	char digest[CZ_DIGEST_MAX]; /* "sha256:<hex>" of the .tar.gz bytes */
	uint64_t size;              /* bytes of the .tar.gz */
	size_t entries;             /* files and directories written */
} cz_tar_result;

void cz_tarball_init(cz_tarball *t);
/* Frees everything the tarball holds. */
void cz_tarball_release(cz_tarball *t);

/* Adds the file at source_path as archive_path; the file is read (and its
 * execute bits looked at) when the tarball is written. */
void cz_tarball_add_file(cz_tarball *t, const char *archive_path,
			 const char *source_path);

/* Adds a copy of data[0..len) as archive_path. */
void cz_tarball_add_bytes(cz_tarball *t, const char *archive_path,
			  const void *data, size_t len, bool executable);

/*
 * Adds every regular file under dir, recursively, as prefix/<relative
 * path> (prefix "" puts them at the top).  A symbolic link is added as
 * the file it points to when that is a regular file inside dir; a link
 * to a directory or outside dir, and any special file, is refused with
 * CZ_EINVALID naming it.  CZ_ENOTFOUND when dir is not a directory.
 */
int cz_tarball_add_dir(cz_tarball *t, const char *prefix, const char *dir,
		       cz_error *err);

typedef struct cz_tar_dir_opts {
	/* Only regular files and directories, as Flux packs a tree: symbolic
	 * links and special files are left out and passed to on_skip (their
	 * archive path) instead of being followed or refused. */
	bool regular_only;
	void (*on_skip)(void *ctx, const char *archive_path);
	void *ctx;
	/* Every entry that is not a directory, added or skipped, with what
	 * lstat() said of it (NULL: not called), so that a caller can tell
	 * whether a tree changed without looking at each file again. */
	void (*on_file)(void *ctx, const char *archive_path,
			const struct stat *st);
} cz_tar_dir_opts;

/* cz_tarball_add_dir() with options (NULL: as cz_tarball_add_dir). */
int cz_tarball_add_dir_opts(cz_tarball *t, const char *prefix,
			    const char *dir, const cz_tar_dir_opts *opts,
			    cz_error *err);

/* Writes the archive to fd (not closed), hashing it on the way. */
int cz_tarball_write_fd(const cz_tarball *t, int fd, cz_tar_result *out,
			cz_error *err);

/* Writes the archive to a new file at path (replacing one that is there;
 * for crash-safe publishing use the artifact store). */
int cz_tarball_write_file(const cz_tarball *t, const char *path,
			  cz_tar_result *out, cz_error *err);

#endif

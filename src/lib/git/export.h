#ifndef CZ_GIT_EXPORT_H
#define CZ_GIT_EXPORT_H

/*
 * Writing a git tree into a directory from the objects: no checkout, no
 * index, no .git.  Directories are created and files opened relative to
 * directory descriptors with O_NOFOLLOW and O_EXCL, so that nothing the
 * tree contains can make a write land outside the target directory.
 */

#include <stdint.h>

#include <git2.h>

#include "util/error.h"

typedef struct cz_git_export_limits {
	uint64_t max_bytes; /* total size of the files written */
	unsigned max_files; /* files, links and directories */
} cz_git_export_limits;

/* 1 when name is acceptable as one path component of an exported tree:
 * not empty, ".", ".." or ".git" (in any case), without '/' or '\\'. */
int cz_git_entry_name_ok(const char *name);

/* 1 when the symbolic link target, found in directory dir (a relative
 * path, "" for the root), stays inside the tree read as plain text. */
int cz_git_link_target_ok(const char *dir, const char *target);

/*
 * Writes tree into dir (created when missing; it must be empty).  Regular
 * files get 0644, executables 0755, directories 0755; symbolic links must
 * resolve inside dir; submodules (gitlinks) are skipped.  On any failure
 * everything written is removed and the error names the offending path.
 */
int cz_git_export_tree(git_repository *repo, git_tree *tree, const char *dir,
		       const cz_git_export_limits *lim, cz_error *err);

#endif

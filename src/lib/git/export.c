/* Writing a git tree into a directory. */

#include "git/export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/mem.h"

#define MAX_DEPTH 128
#define MAX_LINK 4096

typedef struct exporter {
	git_repository *repo;
	const cz_git_export_limits *lim;
	uint64_t bytes;
	unsigned files;
	char **links; /* relative paths of the symbolic links written */
	size_t nlinks, links_cap;
} exporter;

int cz_git_entry_name_ok(const char *name)
{
	if (!name || !*name || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strcasecmp(name, ".git") == 0)
		return 0;
	if (strchr(name, '/') || strchr(name, '\\'))
		return 0;
	return strlen(name) <= NAME_MAX;
}

static int depth_of(const char *dir)
{
	int depth = 0;
	const char *p = dir;

	while (p && *p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n)
			depth++;
		p = slash ? slash + 1 : p + n;
	}
	return depth;
}

int cz_git_link_target_ok(const char *dir, const char *target)
{
	int depth = depth_of(dir);
	const char *p = target;

	if (!target || !*target || target[0] == '/')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p = slash ? slash + 1 : p + n;
	}
	return 1;
}

static char *join(const char *dir, const char *name)
{
	return *dir ? cz_xasprintf("%s/%s", dir, name) : cz_xstrdup(name);
}

static int count_entry(exporter *ex, const char *path, cz_error *err)
{
	if (++ex->files > ex->lim->max_files)
		return cz_fail(err, CZ_ETOOLARGE,
			       "git export: more than %u entries (at %s)",
			       ex->lim->max_files, path);
	return CZ_OK;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int export_blob(exporter *ex, int dfd, const char *name,
		       const char *path, const git_oid *id, int exec,
		       cz_error *err)
{
	git_blob *blob = NULL;
	mode_t mode = exec ? 0755 : 0644;
	git_object_size_t size;
	int fd = -1, rc = CZ_OK;

	if (git_blob_lookup(&blob, ex->repo, id) < 0) {
		rc = cz_fail(err, CZ_ENOTFOUND, "git export: %s: blob missing",
			     path);
		goto cleanup;
	}
	size = git_blob_rawsize(blob);
	if (size > ex->lim->max_bytes - ex->bytes) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "git export: more than %llu bytes (at %s)",
			     (unsigned long long)ex->lim->max_bytes, path);
		goto cleanup;
	}
	ex->bytes += size;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			       O_CLOEXEC, mode);
	if (fd < 0 || write_all(fd, git_blob_rawcontent(blob), (size_t)size) ||
	    fchmod(fd, mode) != 0) {
		rc = cz_fail(err, CZ_EIO, "git export: writing %s: %s", path,
			     strerror(errno));
		goto cleanup;
	}
cleanup:
	if (fd >= 0 && close(fd) != 0 && rc == CZ_OK)
		rc = cz_fail(err, CZ_EIO, "git export: writing %s: %s", path,
			     strerror(errno));
	git_blob_free(blob);
	return rc;
}

static int export_link(exporter *ex, int dfd, const char *name,
		       const char *dir, const char *path, const git_oid *id,
		       cz_error *err)
{
	git_blob *blob = NULL;
	char *target = NULL;
	git_object_size_t size;
	int rc = CZ_OK;

	if (git_blob_lookup(&blob, ex->repo, id) < 0) {
		rc = cz_fail(err, CZ_ENOTFOUND, "git export: %s: blob missing",
			     path);
		goto cleanup;
	}
	size = git_blob_rawsize(blob);
	if (size == 0 || size > MAX_LINK ||
	    memchr(git_blob_rawcontent(blob), '\0', (size_t)size)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "git export: symbolic link %s has a bad target",
			     path);
		goto cleanup;
	}
	target = cz_xstrndup(git_blob_rawcontent(blob), (size_t)size);
	if (!cz_git_link_target_ok(dir, target)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "git export: symbolic link %s points outside the tree",
			     path);
		goto cleanup;
	}
	if (symlinkat(target, dfd, name) != 0) {
		rc = cz_fail(err, CZ_EIO, "git export: creating %s: %s", path,
			     strerror(errno));
		goto cleanup;
	}
	CZ_GROW(ex->links, ex->nlinks + 1, ex->links_cap);
	ex->links[ex->nlinks++] = cz_xstrdup(path);
cleanup:
	free(target);
	git_blob_free(blob);
	return rc;
}

static int export_dir(exporter *ex, git_tree *tree, int dfd, const char *dir,
		      int depth, cz_error *err)
{
	size_t n = git_tree_entrycount(tree);
	int rc = CZ_OK;

	if (depth > MAX_DEPTH)
		return cz_fail(err, CZ_ETOOLARGE,
			       "git export: %s is nested too deep", dir);
	for (size_t i = 0; i < n && rc == CZ_OK; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_filemode_t mode = git_tree_entry_filemode(e);
		char *path = join(dir, name);
		git_tree *sub = NULL;
		int sfd = -1;

		if (!cz_git_entry_name_ok(name)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "git export: refusing tree entry \"%s\"",
				     path);
			goto next;
		}
		if (mode == GIT_FILEMODE_COMMIT)
			goto next; /* submodule */
		if ((rc = count_entry(ex, path, err)) != CZ_OK)
			goto next;
		switch (mode) {
		case GIT_FILEMODE_TREE:
			if (mkdirat(dfd, name, 0755) != 0 ||
			    (sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY |
						     O_NOFOLLOW | O_CLOEXEC)) < 0) {
				rc = cz_fail(err, CZ_EIO,
					     "git export: creating %s: %s", path,
					     strerror(errno));
				break;
			}
			if (git_tree_lookup(&sub, ex->repo,
					    git_tree_entry_id(e)) < 0) {
				rc = cz_fail(err, CZ_ENOTFOUND,
					     "git export: %s: tree missing", path);
				break;
			}
			rc = export_dir(ex, sub, sfd, path, depth + 1, err);
			break;
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE:
			rc = export_blob(ex, dfd, name, path,
					 git_tree_entry_id(e),
					 mode == GIT_FILEMODE_BLOB_EXECUTABLE, err);
			break;
		case GIT_FILEMODE_LINK:
			rc = export_link(ex, dfd, name, dir, path,
					 git_tree_entry_id(e), err);
			break;
		default:
			rc = cz_fail(err, CZ_EINVALID,
				     "git export: %s has unsupported mode %06o",
				     path, (unsigned)mode);
			break;
		}
next:
		if (sfd >= 0)
			close(sfd);
		git_tree_free(sub);
		free(path);
	}
	return rc;
}

/* The part of root/path that exists, resolved: path with trailing
 * components removed until realpath() succeeds. */
static char *resolve_existing(const char *root, const char *dir,
			      const char *target)
{
	char *full = *dir ? cz_xasprintf("%s/%s/%s", root, dir, target)
			  : cz_xasprintf("%s/%s", root, target);
	char *res = NULL;

	for (;;) {
		char *slash;

		res = realpath(full, NULL);
		if (res || errno != ENOENT)
			break;
		slash = strrchr(full, '/');
		if (!slash || slash == full)
			break;
		*slash = '\0';
	}
	free(full);
	return res;
}

/* Every link, followed on disk (through other links), must stay inside
 * the export: the text check alone cannot see chains of links. */
static int check_links(exporter *ex, const char *root, cz_error *err)
{
	size_t rl = strlen(root);

	for (size_t i = 0; i < ex->nlinks; i++) {
		const char *path = ex->links[i];
		char *dir = cz_xstrdup(path), *slash = strrchr(dir, '/');
		char *full = cz_xasprintf("%s/%s", root, path);
		char target[MAX_LINK + 1];
		ssize_t n = readlink(full, target, MAX_LINK);
		char *res = NULL;
		int inside;

		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		if (n >= 0) {
			target[n] = '\0';
			res = resolve_existing(root, dir, target);
		}
		inside = res && strncmp(res, root, rl) == 0 &&
			 (res[rl] == '/' || res[rl] == '\0');
		free(res);
		free(full);
		free(dir);
		if (!inside)
			return cz_fail(err, CZ_EINVALID,
				       "git export: symbolic link %s points outside the tree",
				       path);
	}
	return CZ_OK;
}

static int is_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Removes everything inside the directory open as dfd. */
static void remove_contents(int dfd)
{
	int dup_fd = dup(dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
							   O_NOFOLLOW | O_CLOEXEC);

			if (sfd >= 0) {
				remove_contents(sfd);
				close(sfd);
			}
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dfd, de->d_name, 0);
		}
	}
	closedir(d);
}


int cz_git_export_tree(git_repository *repo, git_tree *tree, const char *dir,
		       const cz_git_export_limits *lim, cz_error *err)
{
	exporter ex;
	char *root = NULL;
	int dfd = -1, rc = CZ_OK;

	memset(&ex, 0, sizeof(ex));
	ex.repo = repo;
	ex.lim = lim;
	if ((rc = cz_mkdirs(dir, 0755, err)) < 0) {
		cz_error_prefix(err, "git export");
		goto cleanup;
	}
	if (!is_empty_dir(dir)) {
		rc = cz_fail(err, CZ_EEXISTS,
			     "git export: %s is not an empty directory", dir);
		goto cleanup;
	}
	root = realpath(dir, NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!root || dfd < 0) {
		rc = cz_fail(err, CZ_EIO, "git export: opening %s: %s", dir,
			     strerror(errno));
		goto cleanup;
	}
	rc = export_dir(&ex, tree, dfd, "", 0, err);
	if (rc == CZ_OK)
		rc = check_links(&ex, root, err);
	if (rc != CZ_OK)
		remove_contents(dfd);
cleanup:
	if (dfd >= 0)
		close(dfd);
	for (size_t i = 0; i < ex.nlinks; i++)
		free(ex.links[i]);
	free(ex.links);
	free(root);
	return rc;
}

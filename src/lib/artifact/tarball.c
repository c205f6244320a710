/* Reproducible .tar.gz writer (see tarball.h). */

#include "artifact/tarball.h"
#include "artifact/pgzip.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/mem.h"
#include "util/strmap.h"

void cz_tarball_init(cz_tarball *t)
{
	memset(t, 0, sizeof(*t));
	t->compression_level = 6;
}

void cz_tarball_release(cz_tarball *t)
{
	cz_arena_release(&t->arena);
	free(t->entries);
	cz_tarball_init(t);
}

static cz_tar_entry *new_entry(cz_tarball *t, const char *archive_path)
{
	cz_tar_entry *e;

	while (*archive_path == '/')
		archive_path++;
	CZ_GROW(t->entries, t->nentries + 1, t->cap);
	e = &t->entries[t->nentries];
	memset(e, 0, sizeof(*e));
	e->path = cz_arena_strdup(&t->arena, archive_path);
	e->order = t->nentries++;
	return e;
}

void cz_tarball_add_file(cz_tarball *t, const char *archive_path,
			 const char *source_path)
{
	cz_tar_entry *e = new_entry(t, archive_path);

	e->source_file = cz_arena_strdup(&t->arena, source_path);
}

void cz_tarball_add_bytes(cz_tarball *t, const char *archive_path,
			  const void *data, size_t len, bool executable)
{
	cz_tar_entry *e = new_entry(t, archive_path);
	void *copy = cz_arena_alloc(&t->arena, len ? len : 1);

	if (len)
		memcpy(copy, data, len);
	e->data = copy;
	e->len = len;
	e->executable = executable;
}

/* What a walk needs besides the directory it is in. */
typedef struct tree_walk {
	const char *root_real;
	const cz_tar_dir_opts *opts; /* NULL: follow links inside the tree */
} tree_walk;

/* Reports child (archive_path) as left out, when the options skip it. */
static bool skipped(const tree_walk *w, const char *archive_path)
{
	if (!w->opts || !w->opts->regular_only)
		return false;
	if (w->opts->on_skip)
		w->opts->on_skip(w->opts->ctx, archive_path);
	return true;
}

/* Walks dir adding files under prefix. */
static int add_tree(cz_tarball *t, const char *prefix, const char *dir,
		    const tree_walk *w, unsigned depth, cz_error *err)
{
	const char *root_real = w->root_real;
	DIR *d = NULL;
	struct dirent *de;
	char *child = NULL;
	char *archive_path = NULL;
	char *resolved = NULL;
	int rc = CZ_OK;

	if (depth > 256)
		return cz_fail(err, CZ_EINVALID, "%s: directories nested too deep",
			       dir);
	d = opendir(dir);
	if (!d)
		return cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			       "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		free(child);
		free(archive_path);
		free(resolved);
		resolved = NULL;
		child = cz_xasprintf("%s/%s", dir, de->d_name);
		archive_path = *prefix ? cz_xasprintf("%s/%s", prefix, de->d_name)
				       : cz_xstrdup(de->d_name);
		if (lstat(child, &st) != 0) {
			rc = cz_fail(err, CZ_EIO, "%s: %s", child, strerror(errno));
			goto cleanup;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = add_tree(t, archive_path, child, w, depth + 1,
				      err);
			if (rc < 0)
				goto cleanup;
			continue;
		}
		if (w->opts && w->opts->on_file)
			w->opts->on_file(w->opts->ctx, archive_path, &st);
		if (!S_ISREG(st.st_mode) && skipped(w, archive_path))
			continue;
		if (S_ISLNK(st.st_mode)) {
			size_t root_len = strlen(root_real);

			resolved = realpath(child, NULL);
			if (!resolved || strncmp(resolved, root_real, root_len) != 0 ||
			    resolved[root_len] != '/' || stat(resolved, &st) != 0 ||
			    !S_ISREG(st.st_mode)) {
				rc = cz_fail(err, CZ_EINVALID,
					     "%s: a symbolic link that is not to a "
					     "file inside %s",
					     child, root_real);
				goto cleanup;
			}
			cz_tarball_add_file(t, archive_path, resolved);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = cz_fail(err, CZ_EINVALID, "%s: not a regular file",
				     child);
			goto cleanup;
		}
		cz_tarball_add_file(t, archive_path, child);
	}
cleanup:
	free(child);
	free(archive_path);
	free(resolved);
	closedir(d);
	return rc;
}

int cz_tarball_add_dir(cz_tarball *t, const char *prefix, const char *dir,
		       cz_error *err)
{
	return cz_tarball_add_dir_opts(t, prefix, dir, NULL, err);
}

int cz_tarball_add_dir_opts(cz_tarball *t, const char *prefix,
			    const char *dir, const cz_tar_dir_opts *opts,
			    cz_error *err)
{
	char *root_real = realpath(dir, NULL);
	tree_walk w = { root_real, opts };
	struct stat st;
	int rc;

	if (!root_real || stat(root_real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: not a directory", dir);
		goto cleanup;
	}
	while (*prefix == '/')
		prefix++;
	rc = add_tree(t, prefix, root_real, &w, 0, err);
cleanup:
	free(root_real);
	return rc;
}

/* --- writing ------------------------------------------------------------ */

typedef struct sink {
	int fd;
	EVP_MD_CTX *md;
	uint64_t size;
	int write_errno;
	cz_pgz *pgz; /* block-parallel gzip of the tar stream, or NULL */
} sink;

/* Writes compressed bytes to the file, hashing them on the way. */
static int sink_out(void *ctx, const void *buf, size_t len)
{
	sink *s = ctx;
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(s->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->write_errno = errno;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	EVP_DigestUpdate(s->md, buf, len);
	s->size += len;
	return 0;
}

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf,
			     size_t len)
{
	sink *s = ctx;
	int rc = s->pgz ? cz_pgz_write(s->pgz, buf, len)
			: sink_out(s, buf, len);

	if (rc != 0) {
		archive_set_error(a, s->write_errno ? s->write_errno : EIO,
				  "write: %s",
				  strerror(s->write_errno ? s->write_errno
							  : EIO));
		return -1;
	}
	return (la_ssize_t)len;
}

static int cmp_entry_ptr(const void *a, const void *b)
{
	const cz_tar_entry *x = *(const cz_tar_entry *const *)a;
	const cz_tar_entry *y = *(const cz_tar_entry *const *)b;
	int cmp = strcmp(x->path, y->path);

	if (cmp != 0)
		return cmp;
	return x->order < y->order ? -1 : x->order > y->order ? 1 : 0;
}

static int cmp_path_key(const void *key, const void *elem)
{
	return strcmp(key, (*(const cz_tar_entry *const *)elem)->path);
}

typedef struct writer {
	struct archive *archive;
	struct archive_entry *entry;
	const cz_tarball *t;
	cz_tar_entry **files; /* sorted, one per path */
	size_t nfiles;
	cz_strmap dirs_written; /* keys owned (value = key) */
	size_t entries;
	char block[64 * 1024];
} writer;

static int archive_failure(writer *w, const char *path, cz_error *err)
{
	return cz_fail(err, CZ_EIO, "writing \"%s\": %s", path,
		       archive_error_string(w->archive));
}

static void set_header(writer *w, const char *path, mode_t type, mode_t perm,
		       int64_t size)
{
	archive_entry_clear(w->entry);
	archive_entry_set_pathname(w->entry, path);
	archive_entry_set_filetype(w->entry, type);
	archive_entry_set_perm(w->entry, perm);
	archive_entry_set_size(w->entry, size);
	archive_entry_set_mtime(w->entry, w->t->mtime, 0);
	archive_entry_set_uid(w->entry, 0);
	archive_entry_set_gid(w->entry, 0);
}

/* Writes the directory entries of every parent of path not written yet. */
static int write_parents(writer *w, const char *path, cz_error *err)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return cz_fail(err, CZ_EINVALID, "path \"%s\" is too long", path);
	for (size_t i = 0; i < len; i++) {
		if (path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (i == 0 || cz_strmap_has(&w->dirs_written, dir))
			continue;
		if (bsearch(dir, w->files, w->nfiles, sizeof(*w->files),
			    cmp_path_key))
			return cz_fail(err, CZ_EINVALID,
				       "\"%s\" is both a file and a directory",
				       dir);
		{
			char *key = cz_xstrdup(dir);

			cz_strmap_put(&w->dirs_written, key, key);
		}
		set_header(w, dir, AE_IFDIR, 0755, 0);
		if (archive_write_header(w->archive, w->entry) != ARCHIVE_OK)
			return archive_failure(w, dir, err);
		w->entries++;
	}
	return CZ_OK;
}

static int write_data(writer *w, const char *path, const void *data,
		      size_t len, cz_error *err)
{
	if (len && archive_write_data(w->archive, data, len) != (la_ssize_t)len)
		return archive_failure(w, path, err);
	return CZ_OK;
}

static int write_source_file(writer *w, const cz_tar_entry *e, cz_error *err)
{
	int fd = open(e->source_file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t left;
	int rc;

	if (fd < 0)
		return cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			       "%s: %s", e->source_file, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cz_fail(err, CZ_EINVALID, "%s: not a regular file",
			     e->source_file);
		goto cleanup;
	}
	set_header(w, e->path, AE_IFREG, (st.st_mode & 0111) ? 0755 : 0644,
		   st.st_size);
	if (archive_write_header(w->archive, w->entry) != ARCHIVE_OK) {
		rc = archive_failure(w, e->path, err);
		goto cleanup;
	}
	for (left = (uint64_t)st.st_size; left > 0;) {
		size_t want = left < sizeof(w->block) ? (size_t)left
						      : sizeof(w->block);
		ssize_t n = read(fd, w->block, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = cz_fail(err, CZ_EIO, "%s: %s", e->source_file,
				     n < 0 ? strerror(errno)
					   : "file shrank while read");
			goto cleanup;
		}
		if ((rc = write_data(w, e->path, w->block, (size_t)n, err)) < 0)
			goto cleanup;
		left -= (uint64_t)n;
	}
	rc = CZ_OK;
cleanup:
	close(fd);
	return rc;
}

static int write_entries(writer *w, cz_error *err)
{
	int rc;

	for (size_t i = 0; i < w->nfiles; i++) {
		const cz_tar_entry *e = w->files[i];

		if (!*e->path)
			return cz_fail(err, CZ_EINVALID, "an entry has no path");
		if ((rc = write_parents(w, e->path, err)) < 0)
			return rc;
		if (e->source_file) {
			rc = write_source_file(w, e, err);
		} else {
			set_header(w, e->path, AE_IFREG,
				   e->executable ? 0755 : 0644, (int64_t)e->len);
			rc = archive_write_header(w->archive, w->entry) == ARCHIVE_OK
				     ? write_data(w, e->path, e->data, e->len, err)
				     : archive_failure(w, e->path, err);
		}
		if (rc < 0)
			return rc;
		w->entries++;
	}
	return CZ_OK;
}

/* Sorts the entries and keeps the last one added for each path. */
static void select_files(writer *w)
{
	const cz_tarball *t = w->t;
	size_t n = 0;

	w->files = cz_xcalloc(t->nentries ? t->nentries : 1, sizeof(*w->files));
	for (size_t i = 0; i < t->nentries; i++)
		w->files[i] = &t->entries[i];
	if (t->nentries > 1)
		qsort(w->files, t->nentries, sizeof(*w->files), cmp_entry_ptr);
	for (size_t i = 0; i < t->nentries; i++) {
		if (i + 1 < t->nentries &&
		    strcmp(w->files[i]->path, w->files[i + 1]->path) == 0)
			continue;
		w->files[n++] = w->files[i];
	}
	w->nfiles = n;
}

int cz_tarball_write_fd(const cz_tarball *t, int fd, cz_tar_result *out,
			cz_error *err)
{
	writer *w = cz_xcalloc(1, sizeof(*w));
	sink s = { fd, EVP_MD_CTX_new(), 0, 0, NULL };
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	char options[96];
	bool opened = false;
	int rc;

	w->t = t;
	w->archive = archive_write_new();
	w->entry = archive_entry_new();
	if (!w->archive || !w->entry || !s.md)
		abort();
	select_files(w);
	snprintf(options, sizeof(options),
		 "gzip:!timestamp,gzip:compression-level=%d",
		 t->compression_level >= 1 && t->compression_level <= 9
			 ? t->compression_level
			 : 6);
	if (t->block_deflate)
		s.pgz = cz_pgz_new(t->compression_level,
				   cz_pgz_default_threads(), sink_out, &s);
	if ((!s.pgz && (archive_write_add_filter_gzip(w->archive) != ARCHIVE_OK ||
			archive_write_set_options(w->archive, options) !=
				ARCHIVE_OK)) ||
	    archive_write_set_format_pax_restricted(w->archive) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->archive, 1) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_ERR, "tar writer: %s",
			     archive_error_string(w->archive));
		goto cleanup;
	}
	EVP_DigestInit_ex(s.md, EVP_sha256(), NULL);
	if (archive_write_open(w->archive, &s, NULL, sink_write, NULL) !=
	    ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EIO, "tar writer: %s",
			     archive_error_string(w->archive));
		goto cleanup;
	}
	opened = true;
	if ((rc = write_entries(w, err)) < 0)
		goto cleanup;
	opened = false;
	if (archive_write_close(w->archive) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EIO, "tar writer: %s",
			     archive_error_string(w->archive));
		goto cleanup;
	}
	if (s.pgz && cz_pgz_finish(s.pgz) != 0) {
		rc = cz_fail(err, CZ_EIO, "tar writer: %s",
			     strerror(s.write_errno ? s.write_errno : EIO));
		goto cleanup;
	}
	EVP_DigestFinal_ex(s.md, digest, &digest_len);
	memcpy(out->digest, "sha256:", 7);
	for (unsigned i = 0; i < digest_len; i++)
		snprintf(out->digest + 7 + 2 * i, 3, "%02x", digest[i]);
	out->size = s.size;
	out->entries = w->entries;
	rc = CZ_OK;
cleanup:
	if (opened)
		archive_write_close(w->archive);
	archive_write_free(w->archive);
	archive_entry_free(w->entry);
	EVP_MD_CTX_free(s.md);
	cz_pgz_free(s.pgz);
	cz_strmap_release_owned(&w->dirs_written);
	free(w->files);
	free(w);
	return rc;
}

int cz_tarball_write_file(const cz_tarball *t, const char *path,
			  cz_tar_result *out, cz_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc;

	if (fd < 0)
		return cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	rc = cz_tarball_write_fd(t, fd, out, err);
	if (close(fd) != 0 && rc == CZ_OK)
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	return rc;
}

/* nftw() is XSI. */
#define _XOPEN_SOURCE 700

#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"

static int read_fd(int fd, const char *path, size_t max, cz_buf *out,
		   cz_error *err)
{
	char chunk[16384];
	struct stat st;
	ssize_t n;

	/* A regular file's size is known: one buffer of that size is read
	 * into in place, instead of chunks copied into a doubling one. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= max &&
	    cz_buf_reserve(out, (size_t)st.st_size) == CZ_OK) {
		while (out->cap - out->len > 1) {
			n = read(fd, out->data + out->len,
				 out->cap - out->len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return cz_fail(err, CZ_EIO, "%s: read error: %s",
					       path, strerror(errno));
			if (n == 0)
				return CZ_OK;
			out->len += (size_t)n;
			out->data[out->len] = '\0';
		}
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			return CZ_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cz_fail(err, CZ_EIO, "%s: read error: %s", path,
				       strerror(errno));
		}
		if (cz_buf_append(out, chunk, (size_t)n) < 0)
			return cz_fail(err, CZ_ETOOLARGE,
				       "%s: larger than %zu bytes", path, max);
	}
}

int cz_file_read(const char *path, size_t max, char **data_out,
		 size_t *len_out, cz_error *err)
{
	cz_buf data;
	int fd = -1;
	int rc;

	*data_out = NULL;
	cz_buf_init(&data, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			     "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	rc = read_fd(fd, path, max, &data, err);
	if (rc < 0)
		goto cleanup;
	*data_out = cz_buf_detach(&data, len_out);
cleanup:
	if (fd >= 0)
		close(fd);
	cz_buf_release(&data);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int cz_mkdirs(const char *path, mode_t mode, cz_error *err)
{
	char *p = cz_xstrdup(path);
	int rc = CZ_OK;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = cz_fail(err, CZ_EIO, "creating %s: %s", p,
				     strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cz_remove_tree(const char *path)
{
	if (path && *path)
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int copy_file(const char *from, const char *to, mode_t mode,
		     size_t max, cz_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc = cz_file_read(from, max, &data, &len, err);

	if (rc == CZ_OK)
		rc = cz_file_write_atomic(to, data, len, mode, err);
	free(data);
	return rc;
}

/* One entry of cz_copy_tree(): directories recurse, regular files are
 * copied, anything else is left out. */
static int copy_entry(const char *from, const char *to, mode_t mode,
		      size_t max, cz_error *err)
{
	struct stat st;

	if (lstat(from, &st) != 0)
		return cz_fail(err, CZ_EIO, "%s: %s", from, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cz_copy_tree(from, to, mode, max, err);
	if (S_ISREG(st.st_mode))
		return copy_file(from, to, mode, max, err);
	return CZ_OK;
}

int cz_copy_tree(const char *from, const char *to, mode_t file_mode,
		 size_t max_file, cz_error *err)
{
	DIR *dir = opendir(from);
	struct dirent *e;
	int rc = CZ_OK;

	if (!dir)
		return cz_fail(err, errno == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
			       "%s: %s", from, strerror(errno));
	if (mkdir(to, 0700) != 0 && errno != EEXIST) {
		rc = cz_fail(err, CZ_EIO, "mkdir %s: %s", to, strerror(errno));
		goto cleanup;
	}
	while (rc == CZ_OK && (e = readdir(dir))) {
		char *src, *dst;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		src = cz_xasprintf("%s/%s", from, e->d_name);
		dst = cz_xasprintf("%s/%s", to, e->d_name);
		rc = copy_entry(src, dst, file_mode, max_file, err);
		free(src);
		free(dst);
	}
cleanup:
	closedir(dir);
	return rc;
}

int cz_dir_sync(const char *dir, cz_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = CZ_OK;

	if (fd < 0)
		return cz_fail(err, CZ_EIO, "open %s: %s", dir, strerror(errno));
	if (fsync(fd) != 0)
		rc = cz_fail(err, CZ_EIO, "fsync %s: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

char *cz_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return cz_xstrdup(".");
	if (slash == path)
		return cz_xstrdup("/");
	return cz_xstrndup(path, (size_t)(slash - path));
}

int cz_tmpfile_open(cz_tmpfile *t, const char *prefix, cz_error *err)
{
	t->path = cz_xasprintf("%s.XXXXXX", prefix);
	t->fd = mkstemp(t->path);
	if (t->fd >= 0)
		return CZ_OK;
	free(t->path);
	t->path = NULL;
	return cz_fail(err, CZ_EIO, "%s: cannot create a temporary file: %s",
		       prefix, strerror(errno));
}

int cz_tmpfile_commit(cz_tmpfile *t, const char *target, mode_t mode,
		      bool durable, cz_error *err)
{
	char *dir = NULL;
	int rc = CZ_OK;

	if (fchmod(t->fd, mode) != 0 || (durable && fsync(t->fd) != 0)) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", target, strerror(errno));
		goto cleanup;
	}
	rc = close(t->fd);
	t->fd = -1;
	if (rc != 0 || rename(t->path, target) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", target, strerror(errno));
		goto cleanup;
	}
	free(t->path);
	t->path = NULL;
	/* The new file is in place; a failed directory sync only weakens
	 * durability, which is not worth failing the write for. */
	if (durable) {
		dir = cz_path_dir(target);
		cz_dir_sync(dir, NULL);
	}
cleanup:
	free(dir);
	return rc;
}

void cz_tmpfile_discard(cz_tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path) {
		unlink(t->path);
		free(t->path);
		t->path = NULL;
	}
}

int cz_file_replace(const char *path, const void *data, size_t len,
		    mode_t mode, bool durable, cz_error *err)
{
	char *prefix = cz_xasprintf("%s.tmp", path);
	cz_tmpfile t;
	int rc = cz_tmpfile_open(&t, prefix, err);

	if (rc == CZ_OK && write_all(t.fd, data, len) != 0)
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
	if (rc == CZ_OK)
		rc = cz_tmpfile_commit(&t, path, mode, durable, err);
	cz_tmpfile_discard(&t);
	free(prefix);
	return rc;
}

int cz_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, cz_error *err)
{
	return cz_file_replace(path, data, len, mode, true, err);
}

/* The parent cz_scratch_dir() uses; borrowed. */
static const char *scratch_parent(bool in_memory)
{
	const char *tmp = getenv("TMPDIR");
	struct statvfs vfs;

	if (tmp && *tmp)
		return tmp;
	if (in_memory && statvfs("/dev/shm", &vfs) == 0 &&
	    access("/dev/shm", W_OK | X_OK) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize >=
		    CZ_SCRATCH_MEMORY_MIN)
		return "/dev/shm";
	return "/tmp";
}

int cz_scratch_dir(const char *name, bool in_memory, char **out,
		   cz_error *err)
{
	const char *parent = scratch_parent(in_memory);
	int e;

	*out = cz_xasprintf("%s/%s.XXXXXX", parent, name);
	if (mkdtemp(*out))
		return CZ_OK;
	e = errno;
	free(*out);
	*out = NULL;
	return cz_fail(err, CZ_EIO, "creating a scratch directory in %s: %s",
		       parent, strerror(e));
}

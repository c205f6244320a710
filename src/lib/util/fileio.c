#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"

static int read_fd(int fd, const char *path, size_t max, cz_buf *out,
		   cz_error *err)
{
	char chunk[16384];
	ssize_t n;

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

/* Makes the rename itself durable; failure here is not worth reporting
 * because the new file is already in place. */
static void sync_parent_dir(const char *path)
{
	char *dir = cz_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int cz_file_write_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, cz_error *err)
{
	char *tmp = cz_xasprintf("%s.tmp.XXXXXX", path);
	int fd = -1;
	int rc = CZ_OK;

	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = cz_fail(err, CZ_EIO, "%s: cannot create a temporary file: %s",
			     path, strerror(errno));
		goto cleanup;
	}
	/* mkstemp creates 0600; fchmod sets the exact mode whatever the
	 * umask, before any byte is written. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	sync_parent_dir(path);
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

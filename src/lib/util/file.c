#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void sync_parent(const char *path)
{
	char *copy = cz_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

int cz_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode, cz_error *err)
{
	char *tmp = cz_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = CZ_OK;

	if (fd < 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto cleanup;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		rc = cz_fail(err, CZ_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	sync_parent(path);
cleanup:
	free(tmp);
	return rc;
}

/* Temporary directories for the unit tests that touch files. */
#ifndef CZ_TEST_TMPDIR_H
#define CZ_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

/* Creates a fresh directory under $TMPDIR (or /tmp); the caller frees the
 * returned path after tmpdir_remove(). */
static inline char *tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(4096);

	snprintf(path, 4096, "%s/cz-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

/* Removes path and everything under it (symbolic links are not
 * followed). */
static inline void tmpdir_remove(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *child = cz_xasprintf("%s/%s", path, de->d_name);

		tmpdir_remove(child);
		free(child);
	}
	if (dir)
		closedir(dir);
	rmdir(path);
}

/* Writes text to dir/name, creating or replacing it. */
static inline void tmpdir_write(const char *dir, const char *name,
				const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
}

static inline mode_t tmpdir_mode(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

#endif

/* Safe extraction of untrusted tar archives (see extract.h). */

#include "artifact/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

const cz_extract_limits cz_extract_default_limits = {
	(uint64_t)1 << 30,
	100000,
};

#define MAX_DEPTH 256

/* A relative path split into components, none of them "", "." or "..". */
typedef struct safe_path {
	char text[PATH_MAX];       /* components joined by NUL bytes */
	const char *parts[MAX_DEPTH];
	size_t nparts;
} safe_path;

/*
 * Splits name into p, refusing absolute paths and ".." components.  "."
 * components and repeated slashes are dropped, so "./a//b/" is "a/b"; an
 * entry that is only "./" has no components.
 */
static int split_safe_path(const char *name, safe_path *p, cz_error *err)
{
	size_t len = strlen(name);
	char *s = p->text;

	p->nparts = 0;
	if (name[0] == '/')
		return cz_fail(err, CZ_EINVALID, "absolute path");
	if (len >= sizeof(p->text))
		return cz_fail(err, CZ_EINVALID, "path longer than %d bytes",
			       PATH_MAX - 1);
	memcpy(s, name, len + 1);
	while (*s) {
		char *slash = strchr(s, '/');
		char *next = slash ? slash + 1 : s + strlen(s);

		if (slash)
			*slash = '\0';
		if (strcmp(s, "..") == 0)
			return cz_fail(err, CZ_EINVALID,
				       "path has a \"..\" component");
		if (*s && strcmp(s, ".") != 0) {
			if (p->nparts == MAX_DEPTH)
				return cz_fail(err, CZ_EINVALID,
					       "path deeper than %d levels",
					       MAX_DEPTH);
			p->parts[p->nparts++] = s;
		}
		s = next;
	}
	return CZ_OK;
}

/* True when a link at link_path (nparts components, the last being the
 * link) pointing at target stays inside the tree. */
static bool link_target_inside(const safe_path *link_path, const char *target)
{
	char copy[PATH_MAX];
	size_t depth;
	char *s = copy;

	if (target[0] == '/' || strlen(target) >= sizeof(copy))
		return false;
	depth = link_path->nparts - 1; /* the directory holding the link */
	memcpy(copy, target, strlen(target) + 1);
	while (*s) {
		char *slash = strchr(s, '/');
		char *next = slash ? slash + 1 : s + strlen(s);

		if (slash)
			*slash = '\0';
		if (strcmp(s, "..") == 0) {
			if (depth == 0)
				return false;
			depth--;
		} else if (*s && strcmp(s, ".") != 0) {
			depth++;
		}
		s = next;
	}
	return true;
}

/*
 * Opens the directory that holds the last component of p, walking from
 * root_fd one component at a time without following symbolic links, and
 * creating missing directories when create is set.  Returns the descriptor
 * (the caller closes it) or a negative code.
 */
static int open_parent(int root_fd, const safe_path *p, bool create,
		       int *fd_out, cz_error *err)
{
	int fd = dup(root_fd);

	if (fd < 0)
		return cz_fail(err, CZ_EIO, "dup: %s", strerror(errno));
	for (size_t i = 0; i + 1 < p->nparts; i++) {
		int next = openat(fd, p->parts[i],
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, p->parts[i], 0755) != 0 && errno != EEXIST) {
				int saved = errno;

				close(fd);
				return cz_fail(err, CZ_EIO, "mkdir \"%s\": %s",
					       p->parts[i], strerror(saved));
			}
			next = openat(fd, p->parts[i],
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		}
		if (next < 0) {
			int saved = errno;

			close(fd);
			if (saved == ELOOP || saved == ENOTDIR)
				return cz_fail(err, CZ_EINVALID,
					       "path goes through \"%s\", which "
					       "is not a directory (a link or a "
					       "file)",
					       p->parts[i]);
			return cz_fail(err, saved == ENOENT ? CZ_ENOTFOUND : CZ_EIO,
				       "open \"%s\": %s", p->parts[i],
				       strerror(saved));
		}
		close(fd);
		fd = next;
	}
	*fd_out = fd;
	return CZ_OK;
}

/* Removes what is at name in dir_fd unless it is a directory, so that a
 * later entry replaces an earlier one (as tar does). */
static int clear_leaf(int dir_fd, const char *name, cz_error *err)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? CZ_OK
				       : cz_fail(err, CZ_EIO, "stat: %s",
						 strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cz_fail(err, CZ_EINVALID,
			       "a directory of that name was extracted already");
	if (unlinkat(dir_fd, name, 0) != 0)
		return cz_fail(err, CZ_EIO, "unlink: %s", strerror(errno));
	return CZ_OK;
}

static int write_all(int fd, const char *data, size_t len, cz_error *err)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cz_fail(err, CZ_EIO, "write: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return CZ_OK;
}

typedef struct extraction {
	struct archive *archive;
	int root_fd;
	const cz_extract_limits *lim;
	cz_extract_stats stats;
	char block[64 * 1024];
} extraction;

static int extract_file(extraction *x, struct archive_entry *entry,
			int parent_fd, const char *leaf, cz_error *err)
{
	mode_t mode = (archive_entry_perm(entry) & 0111) ? 0755 : 0644;
	uint64_t room = x->lim->max_total_bytes - x->stats.bytes;
	int fd = -1;
	int rc;

	if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0 &&
	    (uint64_t)archive_entry_size(entry) > room) {
		rc = cz_fail(err, CZ_ETOOLARGE,
			     "archive expands beyond %llu bytes",
			     (unsigned long long)x->lim->max_total_bytes);
		goto cleanup;
	}
	if ((rc = clear_leaf(parent_fd, leaf, err)) < 0)
		goto cleanup;
	fd = openat(parent_fd, leaf,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = cz_fail(err, CZ_EIO, "create: %s", strerror(errno));
		goto cleanup;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(x->archive, x->block,
						 sizeof(x->block));

		if (n == 0)
			break;
		if (n < 0) {
			rc = cz_fail(err, CZ_EINVALID, "damaged archive: %s",
				     archive_error_string(x->archive));
			goto cleanup;
		}
		if ((uint64_t)n > x->lim->max_total_bytes - x->stats.bytes) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "archive expands beyond %llu bytes",
				     (unsigned long long)x->lim->max_total_bytes);
			goto cleanup;
		}
		x->stats.bytes += (uint64_t)n;
		if ((rc = write_all(fd, x->block, (size_t)n, err)) < 0)
			goto cleanup;
	}
	if (fchmod(fd, mode) != 0) { /* the umask may have cut it */
		rc = cz_fail(err, CZ_EIO, "chmod: %s", strerror(errno));
		goto cleanup;
	}
	rc = CZ_OK;
cleanup:
	if (fd >= 0 && close(fd) != 0 && rc == CZ_OK)
		rc = cz_fail(err, CZ_EIO, "close: %s", strerror(errno));
	return rc;
}

static int extract_dir(int parent_fd, const char *leaf, cz_error *err)
{
	struct stat st;

	if (mkdirat(parent_fd, leaf, 0755) == 0)
		return CZ_OK;
	if (errno != EEXIST)
		return cz_fail(err, CZ_EIO, "mkdir: %s", strerror(errno));
	if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode))
		return cz_fail(err, CZ_EINVALID,
			       "a file or link of that name was extracted "
			       "already");
	return CZ_OK;
}

static int extract_hardlink(extraction *x, const char *target, int parent_fd,
			    const char *leaf, cz_error *err)
{
	safe_path *tp = cz_xmalloc(sizeof(*tp));
	int target_parent = -1;
	struct stat st;
	int rc;

	if ((rc = split_safe_path(target, tp, err)) < 0 || tp->nparts == 0) {
		if (rc == CZ_OK)
			rc = cz_fail(err, CZ_EINVALID, "empty path");
		cz_error_prefix(err, "hard link target \"%s\"", target);
		goto cleanup;
	}
	rc = open_parent(x->root_fd, tp, false, &target_parent, err);
	if (rc < 0) {
		cz_error_prefix(err, "hard link target \"%s\"", target);
		goto cleanup;
	}
	if (fstatat(target_parent, tp->parts[tp->nparts - 1], &st,
		    AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode)) {
		rc = cz_fail(err, CZ_EINVALID,
			     "hard link target \"%s\" is not a file extracted "
			     "before it",
			     target);
		goto cleanup;
	}
	if ((rc = clear_leaf(parent_fd, leaf, err)) < 0)
		goto cleanup;
	if (linkat(target_parent, tp->parts[tp->nparts - 1], parent_fd, leaf,
		   0) != 0) {
		rc = cz_fail(err, CZ_EIO, "link: %s", strerror(errno));
		goto cleanup;
	}
	rc = CZ_OK;
cleanup:
	if (target_parent >= 0)
		close(target_parent);
	free(tp);
	return rc;
}

/* Checks and writes one entry; errors do not yet name the entry. */
static int extract_entry(extraction *x, struct archive_entry *entry,
			 cz_error *err)
{
	const char *name = archive_entry_pathname(entry);
	const char *hardlink = archive_entry_hardlink(entry);
	mode_t type = archive_entry_filetype(entry);
	safe_path *p = cz_xmalloc(sizeof(*p));
	int parent_fd = -1;
	const char *leaf;
	int rc;

	if (!name || !*name) {
		rc = cz_fail(err, CZ_EINVALID, "entry without a name");
		goto cleanup;
	}
	if ((rc = split_safe_path(name, p, err)) < 0)
		goto cleanup;
	if (!hardlink && type != AE_IFREG && type != AE_IFDIR &&
	    type != AE_IFLNK) {
		rc = cz_fail(err, CZ_EINVALID,
			     "%s entries are not allowed",
			     type == AE_IFCHR    ? "character device"
			     : type == AE_IFBLK  ? "block device"
			     : type == AE_IFIFO  ? "FIFO"
			     : type == AE_IFSOCK ? "socket"
						 : "special file");
		goto cleanup;
	}
	if (p->nparts == 0) {
		if (type == AE_IFDIR && !hardlink)
			goto cleanup; /* "./": the target itself */
		rc = cz_fail(err, CZ_EINVALID, "empty path");
		goto cleanup;
	}
	if (type == AE_IFLNK && !hardlink) {
		const char *target = archive_entry_symlink(entry);

		if (!target || !*target || !link_target_inside(p, target)) {
			rc = cz_fail(err, CZ_EINVALID,
				     "symbolic link to \"%s\" points outside "
				     "the archive",
				     target ? target : "");
			goto cleanup;
		}
	}
	if ((rc = open_parent(x->root_fd, p, true, &parent_fd, err)) < 0)
		goto cleanup;
	leaf = p->parts[p->nparts - 1];
	if (hardlink) {
		rc = extract_hardlink(x, hardlink, parent_fd, leaf, err);
	} else if (type == AE_IFDIR) {
		rc = extract_dir(parent_fd, leaf, err);
	} else if (type == AE_IFLNK) {
		if ((rc = clear_leaf(parent_fd, leaf, err)) == CZ_OK &&
		    symlinkat(archive_entry_symlink(entry), parent_fd, leaf) != 0)
			rc = cz_fail(err, CZ_EIO, "symlink: %s", strerror(errno));
	} else {
		rc = extract_file(x, entry, parent_fd, leaf, err);
	}
cleanup:
	if (parent_fd >= 0)
		close(parent_fd);
	free(p);
	return rc;
}

/* Runs the extraction over an archive opened by the caller. */
static int extract_archive(struct archive *a, const char *source,
			   const char *target_dir, const cz_extract_limits *lim,
			   cz_extract_stats *stats, cz_error *err)
{
	extraction *x = cz_xcalloc(1, sizeof(*x));
	struct archive_entry *entry;
	int rc = CZ_OK;

	x->archive = a;
	x->lim = lim ? lim : &cz_extract_default_limits;
	x->root_fd = -1;
	if (mkdir(target_dir, 0755) != 0 && errno != EEXIST) {
		rc = cz_fail(err, CZ_EIO, "mkdir %s: %s", target_dir,
			     strerror(errno));
		goto cleanup;
	}
	x->root_fd = open(target_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->root_fd < 0) {
		rc = cz_fail(err, CZ_EIO, "open %s: %s", target_dir,
			     strerror(errno));
		goto cleanup;
	}
	for (;;) {
		int ar = archive_read_next_header(a, &entry);

		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			rc = cz_fail(err, CZ_EINVALID,
				     "%s: not a readable tar archive after %zu "
				     "entries: %s",
				     source, x->stats.entries,
				     archive_error_string(a));
			goto cleanup;
		}
		if (x->stats.entries == x->lim->max_entries) {
			rc = cz_fail(err, CZ_ETOOLARGE,
				     "%s: entry \"%s\": more than %zu entries",
				     source, archive_entry_pathname(entry),
				     x->lim->max_entries);
			goto cleanup;
		}
		x->stats.entries++;
		if ((rc = extract_entry(x, entry, err)) < 0) {
			const char *name = archive_entry_pathname(entry);

			cz_error_prefix(err, "%s: entry \"%s\"", source,
					name ? name : "");
			goto cleanup;
		}
	}
	if (stats)
		*stats = x->stats;
cleanup:
	if (x->root_fd >= 0)
		close(x->root_fd);
	free(x);
	return rc;
}

static struct archive *new_reader(void)
{
	struct archive *a = archive_read_new();

	if (!a)
		abort();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	return a;
}

int cz_extract_file(const char *archive_path, const char *target_dir,
		    const cz_extract_limits *lim, cz_extract_stats *stats,
		    cz_error *err)
{
	struct archive *a = new_reader();
	int rc;

	if (access(archive_path, F_OK) != 0) {
		rc = cz_fail(err, CZ_ENOTFOUND, "%s: %s", archive_path,
			     strerror(errno));
		goto cleanup;
	}
	if (archive_read_open_filename(a, archive_path, 64 * 1024) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EINVALID, "%s: %s", archive_path,
			     archive_error_string(a));
		goto cleanup;
	}
	rc = extract_archive(a, archive_path, target_dir, lim, stats, err);
cleanup:
	archive_read_free(a);
	return rc;
}

int cz_extract_memory(const void *data, size_t len, const char *target_dir,
		      const cz_extract_limits *lim, cz_extract_stats *stats,
		      cz_error *err)
{
	struct archive *a = new_reader();
	int rc;

	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		rc = cz_fail(err, CZ_EINVALID, "archive: %s",
			     archive_error_string(a));
		goto cleanup;
	}
	rc = extract_archive(a, "archive", target_dir, lim, stats, err);
cleanup:
	archive_read_free(a);
	return rc;
}

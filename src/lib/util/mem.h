#ifndef CZ_UTIL_MEM_H
#define CZ_UTIL_MEM_H

/*
 * Allocation policy: small internal allocations abort the process when the
 * system is out of memory (as redis and git do).  That is safe because every
 * size that comes from outside (files, requests, archives) is capped before
 * it is allocated; see cz_buf and cz_limits.
 */

#include <stddef.h>

void *cz_xmalloc(size_t size);
void *cz_xcalloc(size_t nmemb, size_t size);
void *cz_xrealloc(void *ptr, size_t size);
/* Reallocates an array of nmemb elements, checking the multiplication. */
void *cz_xreallocarray(void *ptr, size_t nmemb, size_t size);
char *cz_xstrdup(const char *s);
char *cz_xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *cz_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Makes jansson allocate through cz_xmalloc, so that json_object(),
 * json_pack(), json_string() and the rest follow the policy above and never
 * return NULL for want of memory; code does not check them for that.  Every
 * program calls it once at the top of main, before any JSON value exists
 * and before any thread starts (jansson's setting is a plain global).
 */
void cz_json_use_project_allocator(void);

/* Grows *items (of *cap elements) so that it holds at least need elements. */
#define CZ_GROW(items, need, cap)                                              \
	do {                                                                   \
		if ((need) > (cap)) {                                          \
			size_t cz_new_cap_ = (cap) ? (cap) * 2 : 8;            \
			while (cz_new_cap_ < (need))                           \
				cz_new_cap_ *= 2;                              \
			(items) = cz_xreallocarray((items), cz_new_cap_,       \
						   sizeof(*(items)));          \
			(cap) = cz_new_cap_;                                   \
		}                                                              \
	} while (0)

#endif

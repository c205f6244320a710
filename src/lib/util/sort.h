#ifndef CZ_UTIL_SORT_H
#define CZ_UTIL_SORT_H

#include <stdlib.h>
#include <string.h>

/* qsort() that accepts an empty array given as NULL (qsort's base must
 * never be NULL, even for zero elements). */
static inline void cz_sort(void *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Comparator for an array of C strings, in strcmp order. */
static inline int cz_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#endif

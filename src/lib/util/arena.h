#ifndef CZ_UTIL_ARENA_H
#define CZ_UTIL_ARENA_H

/*
 * cz_arena: a chunked bump allocator for objects that all die together
 * (the typed catalog, one render).  Memory from an arena is never freed one
 * piece at a time; cz_arena_release() frees everything at once.
 *
 * Chunks start small and double up to 64 KiB, so that the many small
 * arenas (one per live catalog object) cost about what they hold while a
 * big arena still allocates in large steps.  A request that does not fit
 * the next chunk gets a chunk of its own.  A zeroed cz_arena (or
 * CZ_ARENA_INIT) is an empty arena.
 */

#include <stddef.h>

typedef struct cz_arena_chunk cz_arena_chunk;

typedef struct cz_arena {
	cz_arena_chunk *head;
	size_t used;        /* bytes used in head */
	size_t total;       /* bytes handed out, for statistics */
	size_t reserved;    /* bytes in chunks, for statistics */
	size_t first_chunk; /* size of the first chunk; 0 for the default */
} cz_arena;

#define CZ_ARENA_INIT { NULL, 0, 0, 0, 0 }

/* An empty arena whose first chunk holds first_chunk bytes, for a caller
 * that knows how much it will allocate; later chunks grow as usual. */
void cz_arena_init_sized(cz_arena *a, size_t first_chunk);
/* Zeroed, suitably aligned memory owned by the arena. */
void *cz_arena_alloc(cz_arena *a, size_t size);
void *cz_arena_array(cz_arena *a, size_t nmemb, size_t size);
/* A copy of s owned by the arena. */
char *cz_arena_strdup(cz_arena *a, const char *s);
char *cz_arena_strndup(cz_arena *a, const char *s, size_t n);
char *cz_arena_printf(cz_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees every chunk; the arena is empty again, with the same first_chunk. */
void cz_arena_release(cz_arena *a);

#endif

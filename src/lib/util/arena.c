#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* The first chunk is small because most arenas are: a live catalog object
 * holds a few hundred bytes.  Doubling keeps the number of chunks of a big
 * arena logarithmic, and the cap bounds the unused tail of the last one. */
#define MIN_CHUNK 1024
#define MAX_CHUNK (64 * 1024)
#define ALIGN 16

struct cz_arena_chunk {
	cz_arena_chunk *next;
	size_t size;
	_Alignas(ALIGN) unsigned char data[];
};

static void too_large(void)
{
	fprintf(stderr, "cozypkg: arena allocation too large\n");
	abort();
}

static size_t round_up(size_t size)
{
	if (size > SIZE_MAX - sizeof(cz_arena_chunk) - ALIGN)
		too_large();
	return (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

void cz_arena_init_sized(cz_arena *a, size_t first_chunk)
{
	memset(a, 0, sizeof(*a));
	a->first_chunk = first_chunk;
}

static cz_arena_chunk *new_chunk(cz_arena *a, size_t size)
{
	cz_arena_chunk *chunk = cz_xmalloc(sizeof(*chunk) + size);

	chunk->size = size;
	a->reserved += size;
	return chunk;
}

/* The size of the chunk after head: double the head's, within bounds. */
static size_t next_chunk_size(const cz_arena *a)
{
	size_t size;

	if (!a->head)
		return a->first_chunk ? round_up(a->first_chunk) : MIN_CHUNK;
	size = a->head->size < MAX_CHUNK / 2 ? a->head->size * 2 : MAX_CHUNK;
	return size < MIN_CHUNK ? MIN_CHUNK : size;
}

void *cz_arena_alloc(cz_arena *a, size_t size)
{
	size_t rounded = round_up(size);
	void *p;

	if (!a->head || a->head->size - a->used < rounded) {
		size_t chunk_size = next_chunk_size(a);
		cz_arena_chunk *chunk;

		if (rounded > chunk_size && a->head) {
			/* Behind the head, so that the head's free space
			 * still serves the requests that follow. */
			chunk = new_chunk(a, rounded);
			chunk->next = a->head->next;
			a->head->next = chunk;
			a->total += rounded;
			memset(chunk->data, 0, size);
			return chunk->data;
		}
		chunk = new_chunk(a, rounded > chunk_size ? rounded : chunk_size);
		chunk->next = a->head;
		a->head = chunk;
		a->used = 0;
	}
	p = a->head->data + a->used;
	a->used += rounded;
	a->total += rounded;
	memset(p, 0, size);
	return p;
}

void *cz_arena_array(cz_arena *a, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		fprintf(stderr, "cozypkg: arena array too large\n");
		abort();
	}
	return cz_arena_alloc(a, nmemb * size);
}

char *cz_arena_strndup(cz_arena *a, const char *s, size_t n)
{
	char *p = cz_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cz_arena_strdup(cz_arena *a, const char *s)
{
	return cz_arena_strndup(a, s, strlen(s));
}

char *cz_arena_printf(cz_arena *a, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	p = cz_arena_alloc(a, (size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

void cz_arena_release(cz_arena *a)
{
	cz_arena_chunk *c = a->head;

	while (c) {
		cz_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
	a->total = 0;
	a->reserved = 0;
}

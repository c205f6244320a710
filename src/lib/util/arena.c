#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16

struct cz_arena_chunk {
	cz_arena_chunk *next;
	size_t size;
	_Alignas(ALIGN) unsigned char data[];
};

void *cz_arena_alloc(cz_arena *a, size_t size)
{
	cz_arena_chunk *chunk;
	size_t rounded = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	void *p;

	if (rounded < size)
		rounded = SIZE_MAX - ALIGN;
	if (!a->head || a->head->size - a->used < rounded) {
		size_t chunk_size = rounded > CHUNK_SIZE ? rounded : CHUNK_SIZE;

		chunk = cz_xmalloc(sizeof(*chunk) + chunk_size);
		chunk->size = chunk_size;
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
}

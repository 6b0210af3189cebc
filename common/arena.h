/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for values that live as long as one input line: every
 * allocation is freed at once by arena_reset().  jsonx parses into it; the
 * programs build their output records in it.
 */
#ifndef IOTPIPE_ARENA_H
#define IOTPIPE_ARENA_H

#include <stddef.h>
#include <string.h>

/*
 * Public only so that arena_alloc() inlines (the parser allocates for
 * every value): the fields are the allocator's own.
 */
struct arena {
	char *next, *end; /* the free part of the current block, a multiple
			   * of 8 bytes */
	struct ablock *head; /* current block, most recent first */
	struct ablock *first; /* kept across resets */
};

struct arena *arena_new(void); /* caller frees with arena_free() */
void arena_free(struct arena *a); /* NULL is a no-op */
/* Forget every allocation but keep the first block for reuse. */
void arena_reset(struct arena *a);
/* arena_alloc() when the current block has no room (or n is 0). */
void *arena_alloc_slow(struct arena *a, size_t n);

/* n bytes, 8-byte aligned, dies on OOM. */
static inline void *
arena_alloc(struct arena *a, size_t n)
{
	/* the free part is a multiple of 8: if n fits, n rounded up does */
	if (n - 1 < (size_t)(a->end - a->next)) {
		void *p = a->next;

		a->next += (n + 7) & ~(size_t)7;
		return p;
	}
	return arena_alloc_slow(a, n);
}

/* A copy of p[0..n) with a NUL after it. */
static inline char *
arena_memdup(struct arena *a, const void *p, size_t n)
{
	char *s = arena_alloc(a, n + 1);

	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

#endif

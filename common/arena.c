/* SPDX-License-Identifier: MIT */
/* The arena: blocks of 64 KiB, the first kept across resets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"

#define ARENA_BLOCK (64 * 1024)

struct ablock {
	struct ablock *next;
	size_t size, used;
	/* data follows, 16-byte aligned by the header size */
	max_align_t data[];
};

struct arena {
	struct ablock *head; /* current block, most recent first */
	struct ablock *first; /* kept across resets */
};

static struct ablock *
ablock_new(size_t size)
{
	struct ablock *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(void)
{
	struct arena *a = xmalloc(sizeof(*a));

	a->first = a->head = ablock_new(ARENA_BLOCK);
	return a;
}

void
arena_reset(struct arena *a)
{
	struct ablock *b, *next;

	for (b = a->head; b != a->first; b = next) {
		next = b->next;
		free(b);
	}
	a->head = a->first;
	a->first->used = 0;
	a->first->next = NULL;
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->first);
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct ablock *b = a->head;
	void *p;

	/* before rounding up: a size near SIZE_MAX would wrap to 0 */
	if (n > SIZE_MAX - sizeof(*b) - 7)
		xdie_oom();
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;

		b = ablock_new(size);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *
arena_memdup(struct arena *a, const void *p, size_t n)
{
	char *s = arena_alloc(a, n + 1);

	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

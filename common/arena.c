/* SPDX-License-Identifier: MIT */
/* The arena: blocks of 64 KiB, the first kept across resets. */
#include "prelude.h"

#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "xalloc.h"

#define ARENA_BLOCK (64 * 1024)

struct ablock {
	struct ablock *next;
	size_t size;
	/* data follows, 16-byte aligned by the header size */
	max_align_t data[];
};

static struct ablock *
ablock_new(size_t size)
{
	struct ablock *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	return b;
}

static void
use_block(struct arena *a, struct ablock *b)
{
	a->head = b;
	a->next = (char *)b->data;
	a->end = a->next + b->size;
}

struct arena *
arena_new(void)
{
	struct arena *a = xmalloc(sizeof(*a));

	a->first = ablock_new(ARENA_BLOCK);
	use_block(a, a->first);
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
	a->first->next = NULL;
	use_block(a, a->first);
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
arena_alloc_slow(struct arena *a, size_t n)
{
	void *p;

	/* before rounding up: a size near SIZE_MAX would wrap to 0 */
	if (n > SIZE_MAX - sizeof(struct ablock) - 7)
		xdie_oom();
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if ((size_t)(a->end - a->next) < n) {
		/* a new block; what is left of the current one is not used */
		struct ablock *b =
		    ablock_new(n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK);

		b->next = a->head;
		use_block(a, b);
	}
	p = a->next;
	a->next += n;
	return p;
}

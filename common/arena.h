/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for values that live as long as one input line: every
 * allocation is freed at once by arena_reset().  jsonx parses into it; the
 * programs build their output records in it.
 */
#ifndef IOTPIPE_ARENA_H
#define IOTPIPE_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void); /* caller frees with arena_free() */
void arena_free(struct arena *a); /* NULL is a no-op */
/* Forget every allocation but keep the first block for reuse. */
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* 8-byte aligned, dies on OOM */
char *arena_memdup(struct arena *a, const void *p, size_t n); /* adds NUL */

#endif

/* SPDX-License-Identifier: MIT */
/* A growable byte buffer for building output lines. */
#ifndef IOTPIPE_BUF_H
#define IOTPIPE_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data; /* not NUL-terminated unless buf_cstr() was called */
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* Make room for n more bytes; dies on out-of-memory (the x* rule). */
void buf_grow(struct buf *b, size_t n);
/* Release the storage; b is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Append printf-style text. */
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminate (not counted in len) and return data; borrowed. */
const char *buf_cstr(struct buf *b);

static inline void
buf_reset(struct buf *b)
{
	b->len = 0;
}

static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n)
		buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->cap == b->len)
		buf_grow(b, 1);
	b->data[b->len++] = c;
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

#endif

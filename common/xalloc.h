/* SPDX-License-Identifier: MIT */
/* Allocators that die on out-of-memory, as in git, sbase and signify. */
#ifndef IOTPIPE_XALLOC_H
#define IOTPIPE_XALLOC_H

#include <stddef.h>

/* Name used in the out-of-memory message; log_init() sets it. */
extern const char *xalloc_progname;

/* Print "<prog>: out of memory" and exit 1. */
void xdie_oom(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xmemdup(const void *p, size_t n); /* adds a NUL after n bytes */

#endif

/* SPDX-License-Identifier: MIT */
/* FNV-1a: the hash of the in-memory tables (inline: it runs per key). */
#ifndef IOTPIPE_HASH_H
#define IOTPIPE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The 32-bit FNV-1a hash of p[0..n). */
static inline uint32_t
fnv1a32(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

/* The 64-bit FNV-1a hash of p[0..n). */
static inline uint64_t
fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211u;
	return h;
}

#endif

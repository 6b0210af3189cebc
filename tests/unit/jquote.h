/* SPDX-License-Identifier: MIT */
/*
 * For cmocka tests: JSON written with single quotes, {'vin':'V'}, so that
 * it reads as JSON in C source.  J() returns a copy with every ' turned
 * into ".  No test text needs a literal single quote; a JSON-escaped quote
 * inside a string is written \\' (the C text "'a\\'b'" is "a\"b").  The
 * copies live until jquote_free() (a group teardown calls it).
 */
#ifndef IOTPIPE_TEST_JQUOTE_H
#define IOTPIPE_TEST_JQUOTE_H

#include <string.h>

#include "common/arena.h"

static struct arena *jquote_arena;

static const char *
J(const char *s)
{
	size_t i, n = strlen(s);
	char *d;

	if (jquote_arena == NULL)
		jquote_arena = arena_new();
	d = arena_memdup(jquote_arena, s, n);
	for (i = 0; i < n; i++)
		if (d[i] == '\'')
			d[i] = '"';
	return d;
}

static void
jquote_free(void)
{
	arena_free(jquote_arena);
	jquote_arena = NULL;
}

#endif

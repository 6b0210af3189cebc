/* SPDX-License-Identifier: MIT */
/* A cmocka group fixture: one arena that the tests of a file share. */
#ifndef IOTPIPE_TEST_ARENA_FIXTURE_H
#define IOTPIPE_TEST_ARENA_FIXTURE_H

#include "common/arena.h"

static struct arena *arena;

static int
arena_setup(void **state)
{
	(void)state;
	arena = arena_new();
	return 0;
}

static int
arena_teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

#endif

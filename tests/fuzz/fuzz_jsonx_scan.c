/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for jsonx_scan(): on any bytes it must accept exactly
 * what jsonx_parse() accepts, and agree with it on what it reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "tests/fuzz/fuzz.h"

static struct arena *arena;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct jsonx_scan s;
	struct jval *v, *vin;
	bool parsed, scanned;

	if (arena == NULL)
		arena = arena_new();
	arena_reset(arena);
	memset(&s, 0, sizeof(s));
	s.keys[0] = "vin";
	parsed = jsonx_parse(arena, p, size, &v, NULL) == JSONX_OK;
	scanned = jsonx_scan(p, size, &s) == JSONX_OK;
	CHECK(parsed == scanned);
	if (!parsed)
		return 0;
	CHECK(s.type == v->type);
	if (v->type != J_OBJECT)
		return 0;
	CHECK(s.members == v->len);
	if (s.key_escapes)
		return 0;
	CHECK(s.has_meta == (jsonx_meta(v) != NULL));
	vin = jsonx_get(v, "vin");
	CHECK(s.found[0].found == (vin != NULL));
	if (vin != NULL) {
		CHECK(s.found[0].type == vin->type);
		if (vin->type == J_NUMBER ||
		    (vin->type == J_STRING && !s.found[0].escaped))
			CHECK(s.found[0].len == vin->len &&
			    memcmp(s.found[0].p, vin->u.s, vin->len) == 0);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target here shares. */
#ifndef IOTPIPE_FUZZ_H
#define IOTPIPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: on failure, say which and abort (libFuzzer keeps the
 * input that did it). */
#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #c);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

#endif

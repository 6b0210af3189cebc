/* SPDX-License-Identifier: MIT */
/* Capped exponential backoff with full jitter, for reconnects and retries. */
#ifndef IOTPIPE_BACKOFF_H
#define IOTPIPE_BACKOFF_H

#include <stdint.h>

/*
 * A random number source: returns 64 random bits.  Tests inject a fixed
 * one; the default is a xorshift generator seeded from the clock and pid.
 */
typedef uint64_t (*backoff_rng_fn)(void *arg);

struct backoff {
	unsigned base_ms; /* ceiling of the first wait */
	unsigned cap_ms; /* no wait is longer than this */
	unsigned attempt; /* waits handed out since the last reset */
	backoff_rng_fn rng;
	void *rng_arg;
	uint64_t state; /* the default generator's state */
};

/*
 * Start at attempt 0 with the default generator.  base_ms 0 counts as 1;
 * a cap below the base is raised to it.
 */
void backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms);

/* Use rng(arg) instead of the default generator (NULL: back to it). */
void backoff_set_rng(struct backoff *b, backoff_rng_fn rng, void *arg);

/*
 * The next wait in milliseconds, "full jitter": uniform in
 * [0, min(cap, base * 2^attempt)], then attempt++.  The ceiling stops
 * doubling once it reaches the cap, so it never overflows.
 */
unsigned backoff_next_ms(struct backoff *b);

/* The ceiling the next backoff_next_ms() draws under. */
unsigned backoff_ceiling_ms(const struct backoff *b);

/* After a success: the next wait starts from the base again. */
void backoff_reset(struct backoff *b);

/*
 * The wait after attempt earlier waits, drawn from the random bits r:
 * uniform in [0, min(cap, base * 2^attempt)].  What backoff_next_ms()
 * hands out, without the state, for callers that keep the attempt
 * count themselves (common/retry.h).
 */
unsigned backoff_draw_ms(
    unsigned base_ms, unsigned cap_ms, unsigned attempt, uint64_t r);

/* A generator seeded from the clock and the pid, in *state. */
void backoff_seed(uint64_t *state);
/* The next 64 random bits of that generator. */
uint64_t backoff_random(uint64_t *state);

#endif

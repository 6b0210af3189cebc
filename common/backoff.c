/* SPDX-License-Identifier: MIT */
/* Capped exponential backoff with full jitter, for reconnects and retries. */
#include "prelude.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"

/* xorshift64*: small, fast, and good enough to spread reconnects. */
uint64_t
backoff_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t
default_rng(void *arg)
{
	struct backoff *b = arg;

	return backoff_random(&b->state);
}

static uint64_t
seed(void)
{
	struct timespec ts;
	uint64_t s;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		ts.tv_sec = ts.tv_nsec = 0;
	s = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32);
	/* splitmix64 finaliser: nearby seeds give unrelated states */
	s += 0x9E3779B97F4A7C15ULL;
	s = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9ULL;
	s = (s ^ (s >> 27)) * 0x94D049BB133111EBULL;
	s ^= s >> 31;
	return s != 0 ? s : 0x9E3779B97F4A7C15ULL;
}

void
backoff_seed(uint64_t *state)
{
	*state = seed();
}

void
backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->cap_ms = cap_ms >= b->base_ms ? cap_ms : b->base_ms;
	b->attempt = 0;
	b->rng = NULL;
	b->rng_arg = NULL;
	b->state = seed();
}

void
backoff_set_rng(struct backoff *b, backoff_rng_fn rng, void *arg)
{
	b->rng = rng;
	b->rng_arg = arg;
}

static unsigned
ceiling(unsigned base_ms, unsigned cap_ms, unsigned attempt)
{
	uint64_t c = base_ms;
	unsigned i;

	for (i = 0; i < attempt && c < cap_ms; i++)
		c *= 2;
	return c < cap_ms ? (unsigned)c : cap_ms;
}

unsigned
backoff_ceiling_ms(const struct backoff *b)
{
	return ceiling(b->base_ms, b->cap_ms, b->attempt);
}

unsigned
backoff_draw_ms(unsigned base_ms, unsigned cap_ms, unsigned attempt, uint64_t r)
{
	uint64_t c;

	if (base_ms == 0)
		base_ms = 1;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	c = ceiling(base_ms, cap_ms, attempt);
	/* The modulo bias is below 2^-32 here: irrelevant for a delay. */
	return (unsigned)(r % (c + 1));
}

unsigned
backoff_next_ms(struct backoff *b)
{
	uint64_t r;
	unsigned ms;

	r = b->rng != NULL ? b->rng(b->rng_arg) : default_rng(b);
	ms = backoff_draw_ms(b->base_ms, b->cap_ms, b->attempt, r);
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	return ms;
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

/* SPDX-License-Identifier: MIT */
/* kcons --acks: the contiguous acknowledged prefix of each partition. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acks.h"
#include "common/xalloc.h"

struct entry {
	int64_t offset;
	bool acked;
};

/* One partition: the records written and not yet behind the prefix, in
 * offset order, as a ring. */
struct part {
	char *topic;
	int32_t partition;
	struct entry *ring;
	size_t head, count, cap;
	int64_t next; /* the offset after the acknowledged prefix, or -1 */
	bool grown; /* next moved since the last acks_collect() */
};

struct acks {
	struct part *parts;
	size_t nparts, cap;
	size_t hit; /* the part found last */
	size_t pending;
};

struct acks *
acks_new(void)
{
	return xcalloc(1, sizeof(struct acks));
}

static void
part_clear(struct part *p)
{
	free(p->ring);
	free(p->topic);
}

void
acks_free(struct acks *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nparts; i++)
		part_clear(&k->parts[i]);
	free(k->parts);
	free(k);
}

static struct part *
find(struct acks *k, const char *topic, int32_t partition)
{
	size_t i;

	if (k->hit < k->nparts && k->parts[k->hit].partition == partition &&
	    strcmp(k->parts[k->hit].topic, topic) == 0)
		return &k->parts[k->hit];
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == partition &&
		    strcmp(k->parts[i].topic, topic) == 0) {
			k->hit = i;
			return &k->parts[i];
		}
	return NULL;
}

static struct part *
get(struct acks *k, const char *topic, int32_t partition)
{
	struct part *p = find(k, topic, partition);

	if (p != NULL)
		return p;
	if (k->nparts == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 8;
		k->parts = xreallocarray(k->parts, k->cap, sizeof(*k->parts));
	}
	p = &k->parts[k->nparts];
	memset(p, 0, sizeof(*p));
	p->topic = xstrdup(topic);
	p->partition = partition;
	p->next = -1;
	k->hit = k->nparts++;
	return p;
}

static struct entry *
at(const struct part *p, size_t i)
{
	return &p->ring[(p->head + i) % p->cap];
}

static void
forget(struct acks *k, struct part *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		if (!at(p, i)->acked)
			k->pending--;
	p->head = p->count = 0;
}

/* The index of the first entry at or after offset (count if none). */
static size_t
search(const struct part *p, int64_t offset)
{
	size_t lo = 0, hi = p->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (at(p, mid)->offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
grow(struct part *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 64, i;
	struct entry *ring = xreallocarray(NULL, ncap, sizeof(*ring));

	for (i = 0; i < p->count; i++)
		ring[i] = *at(p, i);
	free(p->ring);
	p->ring = ring;
	p->cap = ncap;
	p->head = 0;
}

/* Move the prefix past acknowledged records at the head. */
static void
advance(struct part *p)
{
	while (p->count > 0 && at(p, 0)->acked) {
		p->next = at(p, 0)->offset + 1;
		p->grown = true;
		p->head = (p->head + 1) % p->cap;
		p->count--;
	}
}

/*
 * Offsets normally grow, and a new entry goes at the end.  One at or
 * below the last (the partition was sought back, a range is replayed)
 * must not lose what is pending: the entries stay, and it is put in its
 * place, or merged with the entry already there (either copy's
 * acknowledgement says the record is done).  One below the prefix was
 * dealt with already and adds nothing.
 */
void
acks_add(struct acks *k, const char *topic, int32_t partition, int64_t offset,
    bool acked)
{
	struct part *p = get(k, topic, partition);
	struct entry *e;
	size_t i, j;

	if (offset < p->next)
		return;
	if (p->count == 0 || offset > at(p, p->count - 1)->offset) {
		if (acked && p->count == 0) {
			p->next = offset + 1;
			p->grown = true;
			return;
		}
		i = p->count;
	} else {
		i = search(p, offset);
		e = at(p, i);
		if (e->offset == offset) {
			if (acked && !e->acked) {
				e->acked = true;
				k->pending--;
				if (i == 0)
					advance(p);
			}
			return;
		}
	}
	if (p->count == p->cap)
		grow(p);
	for (j = p->count++; j > i; j--)
		*at(p, j) = *at(p, j - 1);
	e = at(p, i);
	e->offset = offset;
	e->acked = acked;
	if (!acked)
		k->pending++;
	else if (i == 0)
		advance(p);
}

enum acks_result
acks_ack(struct acks *k, const char *topic, int32_t partition, int64_t offset)
{
	struct part *p = find(k, topic, partition);
	size_t lo;
	struct entry *e;

	if (p == NULL || p->count == 0)
		return ACKS_UNKNOWN;
	lo = search(p, offset);
	if (lo == p->count || (e = at(p, lo))->offset != offset || e->acked)
		return ACKS_UNKNOWN;
	e->acked = true;
	k->pending--;
	if (lo == 0)
		advance(p);
	return ACKS_OK;
}

void
acks_collect(struct acks *k,
    void (*fn)(void *arg, const char *topic, int32_t partition, int64_t next),
    void *arg)
{
	size_t i;

	for (i = 0; i < k->nparts; i++) {
		struct part *p = &k->parts[i];

		if (!p->grown)
			continue;
		p->grown = false;
		fn(arg, p->topic, p->partition, p->next);
	}
}

void
acks_drop(struct acks *k, const char *topic, int32_t partition)
{
	struct part *p = find(k, topic, partition);
	size_t i;

	if (p == NULL)
		return;
	forget(k, p);
	part_clear(p);
	i = (size_t)(p - k->parts);
	k->parts[i] = k->parts[--k->nparts];
	k->hit = 0;
}

size_t
acks_pending(const struct acks *k)
{
	return k->pending;
}

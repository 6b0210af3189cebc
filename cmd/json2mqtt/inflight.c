/* SPDX-License-Identifier: MIT */
/* Publishes not yet acknowledged, by message id, with their input lines. */
#include "common/prelude.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "inflight.h"

#define NMIDS 65536

struct inflight {
	struct pending *slot[NMIDS]; /* by message id */
	struct pending *head, *tail; /* pending, oldest first */
	struct pending *free; /* reusable entries, by next */
	size_t count;
};

struct inflight *
inflight_new(void)
{
	return xcalloc(1, sizeof(struct inflight));
}

static void
free_list(struct pending *p)
{
	struct pending *next;

	for (; p != NULL; p = next) {
		next = p->next;
		buf_free(&p->line);
		free(p);
	}
}

void
inflight_free(struct inflight *f)
{
	if (f == NULL)
		return;
	free_list(f->head);
	free_list(f->free);
	free(f);
}

struct pending *
inflight_add(struct inflight *f, int mid, int qos, unsigned long long lineno,
    const char *line, size_t len)
{
	struct pending *p;

	if (mid < 1 || mid >= NMIDS || f->slot[mid] != NULL)
		return NULL;
	if ((p = f->free) != NULL)
		f->free = p->next;
	else
		p = xcalloc(1, sizeof(*p));
	p->mid = mid;
	p->qos = qos;
	p->lineno = lineno;
	buf_reset(&p->line);
	buf_add(&p->line, line, len);
	p->next = NULL;
	p->prev = f->tail;
	if (f->tail != NULL)
		f->tail->next = p;
	else
		f->head = p;
	f->tail = p;
	f->slot[mid] = p;
	f->count++;
	return p;
}

struct pending *
inflight_take(struct inflight *f, int mid)
{
	struct pending *p;

	if (mid < 1 || mid >= NMIDS || (p = f->slot[mid]) == NULL)
		return NULL;
	f->slot[mid] = NULL;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		f->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		f->tail = p->prev;
	p->prev = p->next = NULL;
	f->count--;
	return p;
}

void
inflight_put(struct inflight *f, struct pending *p)
{
	/* a line far above the usual keeps no memory once done */
	if (p->line.cap > 4096)
		buf_free(&p->line);
	p->next = f->free;
	f->free = p;
}

struct pending *
inflight_oldest(const struct inflight *f)
{
	return f->head;
}

size_t
inflight_count(const struct inflight *f)
{
	return f->count;
}

/* SPDX-License-Identifier: MIT */
/* vnorm --merge: one snapshot document per vehicle and tick. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/jsonx.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "merge.h"

#define NBUCKETS 1024

struct group {
	struct group *prev, *next; /* open order */
	struct group *hnext; /* hash chain */
	unsigned hash;
	char *vin;
	size_t vinlen;
	int64_t first_ms, min_ms;
	unsigned members;
	struct slot f[NFIELDS]; /* malloc'd texts */
	struct slot meta;
};

struct merger {
	int64_t window;
	void (*out)(void *, const struct vdoc *, unsigned);
	void *arg;
	struct group *head, *tail;
	struct group *buckets[NBUCKETS];
	unsigned long open;
	int64_t min_first; /* lower bound of every open group's first_ms */
	struct arena *arena; /* for re-reading @metadata on emit */
};

struct merger *
merger_new(int64_t window_ms,
    void (*out)(void *, const struct vdoc *, unsigned), void *arg)
{
	struct merger *m = xcalloc(1, sizeof(*m));

	m->window = window_ms;
	m->out = out;
	m->arg = arg;
	m->min_first = INT64_MAX;
	m->arena = arena_new();
	return m;
}

static void
copy_slot(struct slot *dst, const struct slot *src)
{
	dst->text = src->text ? xmemdup(src->text, src->len) : NULL;
	dst->len = src->len;
}

static void
group_free(struct group *g)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		free((char *)g->f[i].text);
	free((char *)g->meta.text);
	free(g->vin);
	free(g);
}

static void
unlink_group(struct merger *m, struct group *g)
{
	struct group **pp = &m->buckets[g->hash % NBUCKETS];

	while (*pp != g)
		pp = &(*pp)->hnext;
	*pp = g->hnext;
	if (g->prev)
		g->prev->next = g->next;
	else
		m->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		m->tail = g->prev;
	m->open--;
}

/* Write a group out as one snapshot document and forget it. */
static void
emit_group(struct merger *m, struct group *g)
{
	struct vdoc doc;
	char ts[32];
	static const char lat_key[] = "{\"lat\":", lon_key[] = ",\"lon\":";
	char *loc = NULL;

	unlink_group(m, g);
	memset(&doc, 0, sizeof(doc));
	memcpy(doc.f, g->f, sizeof(doc.f));
	doc.kind = K_SNAPSHOT;
	doc.f[F_KIND].text = "\"snapshot\"";
	doc.f[F_KIND].len = 10;
	ts[0] = '"';
	time_format(g->min_ms, ts + 1);
	ts[25] = '"';
	doc.f[F_TIMESTAMP].text = ts;
	doc.f[F_TIMESTAMP].len = 26;
	doc.ts_ms = g->min_ms;
	doc.vin = g->vin;
	doc.vinlen = g->vinlen;
	doc.meta = g->meta;
	if (g->meta.text != NULL) {
		struct jval *mv;

		arena_reset(m->arena);
		if (jsonx_parse(m->arena, g->meta.text, g->meta.len, &mv,
			NULL) == JSONX_OK)
			doc.meta_val = mv;
	}
	/* pair a latitude and a longitude that came in separately */
	if (!doc.f[F_LOCATION].text && doc.f[F_LATITUDE].text &&
	    doc.f[F_LONGITUDE].text) {
		struct buf b = BUF_INIT;

		buf_add(&b, lat_key, sizeof(lat_key) - 1);
		buf_add(&b, doc.f[F_LATITUDE].text, doc.f[F_LATITUDE].len);
		buf_add(&b, lon_key, sizeof(lon_key) - 1);
		buf_add(&b, doc.f[F_LONGITUDE].text, doc.f[F_LONGITUDE].len);
		buf_addc(&b, '}');
		loc = b.data;
		doc.f[F_LOCATION].text = loc;
		doc.f[F_LOCATION].len = b.len;
		doc.f[F_LATITUDE].text = doc.f[F_LONGITUDE].text = NULL;
	}
	m->out(m->arg, &doc, g->members);
	free(loc);
	group_free(g);
}

static struct group *
find_group(struct merger *m, const char *vin, size_t n, unsigned h)
{
	struct group *g;

	for (g = m->buckets[h % NBUCKETS]; g != NULL; g = g->hnext)
		if (g->hash == h && g->vinlen == n &&
		    memcmp(g->vin, vin, n) == 0)
			return g;
	return NULL;
}

/* Fields a member brings; two members may not bring the same one. */
static bool
merged_field(int f)
{
	return f >= F_VEHICLE_SPEED && f != F_KIND;
}

static bool
slot_eq(const struct slot *a, const struct slot *b)
{
	if (a->text == NULL || b->text == NULL)
		return a->text == b->text;
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static bool
can_join(const struct merger *m, const struct group *g, const struct vdoc *d)
{
	int64_t dt = d->ts_ms - g->first_ms;
	int f;

	if (dt > m->window || dt < -m->window)
		return false;
	if (!slot_eq(&g->f[F_TRIP_ID], &d->f[F_TRIP_ID]))
		return false;
	for (f = 0; f < NFIELDS; f++)
		if (merged_field(f) && g->f[f].text && d->f[f].text)
			return false;
	/* a location and a lone coordinate would be a second position */
	if ((g->f[F_LOCATION].text &&
		(d->f[F_LATITUDE].text || d->f[F_LONGITUDE].text)) ||
	    (d->f[F_LOCATION].text &&
		(g->f[F_LATITUDE].text || g->f[F_LONGITUDE].text)))
		return false;
	return true;
}

static void
join(struct group *g, const struct vdoc *d)
{
	int f;

	for (f = 0; f < NFIELDS; f++)
		if ((merged_field(f) || f == F_DEVICE_ID || f == F_ROUTE_ID) &&
		    !g->f[f].text && d->f[f].text)
			copy_slot(&g->f[f], &d->f[f]);
	if (d->ts_ms < g->min_ms)
		g->min_ms = d->ts_ms;
	g->members++;
}

static void
open_group(struct merger *m, const struct vdoc *d, unsigned h)
{
	struct group *g = xcalloc(1, sizeof(*g));

	g->hash = h;
	g->vin = xmemdup(d->vin, d->vinlen);
	g->vinlen = d->vinlen;
	g->first_ms = g->min_ms = d->ts_ms;
	copy_slot(&g->f[F_VIN], &d->f[F_VIN]);
	copy_slot(&g->f[F_TRIP_ID], &d->f[F_TRIP_ID]);
	copy_slot(&g->meta, &d->meta);
	join(g, d);
	g->hnext = m->buckets[h % NBUCKETS];
	m->buckets[h % NBUCKETS] = g;
	g->prev = m->tail;
	if (m->tail)
		m->tail->next = g;
	else
		m->head = g;
	m->tail = g;
	m->open++;
	if (g->first_ms < m->min_first)
		m->min_first = g->first_ms;
}

/* Emit the groups opened more than two windows before t. */
static void
sweep(struct merger *m, int64_t t)
{
	struct group *g, *next;
	int64_t min = INT64_MAX;

	if (m->min_first == INT64_MAX || t - m->min_first <= 2 * m->window)
		return;
	for (g = m->head; g != NULL; g = next) {
		next = g->next;
		if (t - g->first_ms > 2 * m->window)
			emit_group(m, g);
		else if (g->first_ms < min)
			min = g->first_ms;
	}
	m->min_first = min;
}

void
merger_add(struct merger *m, const struct vdoc *d)
{
	unsigned h = fnv1a32(d->vin, d->vinlen);
	struct group *g = find_group(m, d->vin, d->vinlen, h);
	/* A telemetry message whose signal is a lone latitude or longitude
	 * may carry a location as well.  In a snapshot the location would
	 * hide the coordinate (a container wins over coordinates), so such
	 * a message passes through as it is. */
	bool both = d->f[F_LOCATION].text != NULL &&
	    (d->f[F_LATITUDE].text != NULL || d->f[F_LONGITUDE].text != NULL);

	if ((d->kind != K_TELEMETRY && d->kind != K_LOCATION) || both) {
		if (g != NULL)
			emit_group(m, g);
		m->out(m->arg, d, 1);
	} else if (g != NULL && can_join(m, g, d)) {
		join(g, d);
	} else {
		if (g != NULL)
			emit_group(m, g);
		open_group(m, d, h);
	}
	sweep(m, d->ts_ms);
}

void
merger_finish(struct merger *m)
{
	while (m->head != NULL)
		emit_group(m, m->head);
	m->min_first = INT64_MAX;
}

unsigned long
merger_open(const struct merger *m)
{
	return m->open;
}

void
merger_free(struct merger *m)
{
	struct group *g, *next;

	if (m == NULL)
		return;
	for (g = m->head; g != NULL; g = next) {
		next = g->next;
		group_free(g);
	}
	arena_free(m->arena);
	free(m);
}

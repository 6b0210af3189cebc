/* SPDX-License-Identifier: MIT */
/* vsim's fleet: who ticks when, and what each tick sends (vsim(1)). */
#include "common/prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "fleet.h"

struct unit {
	struct vehicle v;
	struct emit_ids ids;
	int64_t phase; /* ms after the start: the vehicle's own clock */
	uint64_t index; /* its stream number: the order of -n */
};

struct fleet {
	struct fleet_conf c;
	struct unit *units; /* in phase order */
};

/* Separate streams for what is drawn once per vehicle or per run, so the
 * vehicles' own streams do not depend on them. */
#define STREAM_PHASE (1ULL << 62)
#define STREAM_RUN (1ULL << 63)

static int
cmp_unit(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct fleet *
fleet_new(const struct fleet_conf *c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789";
	struct fleet *f = xcalloc(1, sizeof(*f));
	enum trip_id_kind kind =
	    c->format == FORMAT_V3 ? TRIP_ID_NANOID : TRIP_ID_UUID;
	char prefix[7], id[16];
	struct rng r;
	size_t i;

	f->c = *c;
	f->units = xcalloc(c->n, sizeof(*f->units));
	/* v3's _id_: three letters of the simulation, three of the device
	 * type, then the device's number */
	rng_seed(&r, c->seed, STREAM_RUN);
	for (i = 0; i < 6; i++)
		prefix[i] = set[rng_next(&r) % 62];
	prefix[6] = '\0';
	for (i = 0; i < c->n; i++) {
		struct unit *u = &f->units[i];

		rng_seed(&r, c->seed, STREAM_PHASE | i);
		u->index = i;
		u->phase = (int64_t)(rng_next(&r) % (uint64_t)c->interval_ms);
	}
	qsort(f->units, c->n, sizeof(*f->units), cmp_unit);
	for (i = 0; i < c->n; i++) {
		struct unit *u = &f->units[i];

		model_vehicle_init(&u->v, c->seed, u->index, c->routes, kind,
		    c->start_ms + u->phase);
		snprintf(id, sizeof(id), "%s%llu", prefix,
		    (unsigned long long)u->index % 1000000000ULL);
		emit_ids_make(&u->ids, &u->v, c->format, id);
	}
	return f;
}

void
fleet_free(struct fleet *f)
{
	if (f == NULL)
		return;
	free(f->units);
	free(f);
}

int64_t
fleet_time(const struct fleet *f, uint64_t tick, size_t i)
{
	return f->c.start_ms + f->units[i].phase +
	    (int64_t)tick * f->c.interval_ms;
}

const struct vehicle *
fleet_vehicle(const struct fleet *f, size_t i)
{
	return &f->units[i].v;
}

/*
 * A code from the OBD-II families in the simulator's proportions (of its
 * 3071 codes: P0 483, P1 655, B1 780, B2 367, C1 486, C2 1, U1 272, U2
 * 27), three digits after them.
 */
static void
dtc_code(struct rng *r, char out[6])
{
	static const struct {
		char family[3];
		int weight;
	} fam[] = {{"P0", 483}, {"P1", 655}, {"B1", 780}, {"B2", 367},
	    {"C1", 486}, {"C2", 1}, {"U1", 272}, {"U2", 27}};
	int w = rng_int(r, 0, 3070), k = 0, i;

	while (w >= fam[k].weight) {
		w -= fam[k].weight;
		k++;
	}
	out[0] = fam[k].family[0];
	out[1] = fam[k].family[1];
	for (i = 2; i < 5; i++)
		out[i] = (char)('0' + rng_int(r, 0, 9));
	out[5] = '\0';
}

void
fleet_emit(struct fleet *f, uint64_t tick, size_t i, struct buf *b,
    struct fleet_counts *c)
{
	struct unit *u = &f->units[i];
	struct vehicle *v = &u->v;
	int64_t ms = fleet_time(f, tick, i), last;
	char code[6];

	model_advance(v, ms);
	if (f->c.format == FORMAT_V3) {
		emit_snapshot(b, &u->ids, v, ms);
		c->telemetry++;
		last = ms;
	} else {
		last = emit_telemetry(b, &u->ids, v, ms);
		c->telemetry += EMIT_SIGNALS + 1;
		if (v->ended || v->last_trip_msg_ms < 0 ||
		    ms - v->last_trip_msg_ms >= TRIP_EVERY_MS) {
			last += 1 + (int64_t)(rng_next(&v->rng) & 1);
			emit_trip(b, v, last, v->ended, ms);
			v->last_trip_msg_ms = ms;
			c->trip++;
		}
		if (v->dtc_pending) {
			dtc_code(&v->rng, code);
			last += 1 + (int64_t)(rng_next(&v->rng) & 1);
			emit_dtc(b, v, last, code);
			v->dtc_pending = false;
			v->dtc_sent = true;
			c->dtc++;
		}
	}
	if (v->ended) {
		/* the simulator's restart: a new route, a new trip */
		c->trips_ended++;
		model_trip_start(v, f->c.routes, last + 1);
		emit_ids_make(&u->ids, v, f->c.format, u->ids.device_id);
	}
}

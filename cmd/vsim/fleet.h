/* SPDX-License-Identifier: MIT */
/*
 * vsim's fleet: n vehicles, each ticking every interval at its own phase,
 * and what each tick sends (telemetry, trip aggregates, DTCs, the restart
 * at a route's end).  Pure: no clock, no I/O; the caller paces and writes.
 */
#ifndef IOTPIPE_VSIM_FLEET_H
#define IOTPIPE_VSIM_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "emit.h"
#include "routes.h"

#define TRIP_EVERY_MS 90000 /* aggregationTransmissionTime */

struct fleet_conf {
	size_t n; /* vehicles, >= 1 */
	uint64_t seed;
	int64_t start_ms; /* the simulated clock at start: epoch ms */
	int64_t interval_ms; /* between two ticks of a vehicle */
	enum vsim_format format;
	const struct route_set *routes; /* borrowed; must outlive the fleet */
};

struct fleet_counts {
	uint64_t telemetry, trip, dtc; /* messages */
	uint64_t trips_ended; /* final trip aggregates */
};

struct fleet;

/* Caller frees with fleet_free(). */
struct fleet *fleet_new(const struct fleet_conf *c);
void fleet_free(struct fleet *f); /* NULL is a no-op */

/*
 * The time of tick `tick` (1, 2, ...) of the i-th vehicle in phase order
 * (0 <= i < n): start + phase + tick * interval.  Vehicles are made at
 * start + phase, so no message is older than the start.
 */
int64_t fleet_time(const struct fleet *f, uint64_t tick, size_t i);

/*
 * Run the i-th vehicle (phase order) up to its tick `tick` and append what
 * it sends then to b, one message a line; counts are added to c.  Ticks
 * of one vehicle must come in order, one after the other.
 */
void fleet_emit(struct fleet *f, uint64_t tick, size_t i, struct buf *b,
    struct fleet_counts *c);

/* The vehicle i in phase order; borrowed (for tests). */
const struct vehicle *fleet_vehicle(const struct fleet *f, size_t i);

#endif

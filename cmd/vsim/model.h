/* SPDX-License-Identifier: MIT */
/*
 * vsim's vehicle model: a seeded random stream per vehicle, and the
 * dynamics that vsim(1) describes, stepped every 500 ms of simulated time
 * along a route.
 */
#ifndef IOTPIPE_VSIM_MODEL_H
#define IOTPIPE_VSIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "routes.h"

#define MODEL_STEP_MS 500
#define VIN_LEN 17
#define TRIP_ID_MAX 37 /* a UUID (36) or a v3 nanoid (21), and a NUL */

/* xoshiro256** seeded through splitmix64: fast, and the same everywhere. */
struct rng {
	uint64_t s[4];
};

/* Stream number stream of seed: the same pair, the same numbers. */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* Uniform integer in [lo, hi]. */
int rng_int(struct rng *r, int lo, int hi);

enum trip_id_kind {
	TRIP_ID_UUID, /* v2: a UUID v4 */
	TRIP_ID_NANOID, /* v3: 21 of [A-Za-z0-9_-] */
};

struct vehicle {
	struct rng rng;
	char vin[VIN_LEN + 1];
	char trip_id[TRIP_ID_MAX];
	const struct route *route;
	enum trip_id_kind id_kind;

	/* the trip */
	int64_t start_ms; /* when the model was made: start_time */
	int64_t step_ms; /* time of the next model step */
	double t; /* seconds of model time since start_ms */
	size_t point; /* the last route point reached */
	double km; /* distance driven along the route */
	size_t next_trigger; /* index into route->triggers */
	bool brake_event; /* a brake trigger holds the brake */
	bool burndown; /* route end reached: braking to a stop */
	double burndown_left; /* seconds */
	bool ended; /* ignition off: the trip's final tick is due */
	bool dtc_pending; /* a DTC trigger fired; not sent yet */
	bool dtc_sent; /* once per trip */
	bool oil_hot; /* an oil temperature trigger fired */
	double oil_plateau;

	/* signals (unrounded) */
	double speed; /* km/h */
	double pedal; /* accelerator, % */
	double pedal_set; /* the driver's pedal outside brake events */
	double brake; /* % */
	int gear; /* 0 neutral, 1-6 */
	double rpm, torque, acceleration;
	double odometer; /* km this trip */
	double fuel_consumed; /* litres this trip */
	double oil_temp;
	double next_pedal_change, next_jitter; /* model seconds */
	double window_speed; /* speed at the start of the acceleration window */
	int window_steps;

	/* trip aggregates */
	double sum_speed, sum_rpm, sum_torque, sum_oil, sum_pedal, sum_brake;
	uint64_t steps;
	int64_t high_speed_ms, idle_ms;
	unsigned high_accel, high_braking;
	int64_t last_trip_msg_ms; /* -1: none sent this trip */
};

/* Fuel tank, litres: fuel_level is the percentage left of it. */
#define MODEL_TANK_L 40.0

/*
 * A vehicle of stream index of seed: its VIN, then its first trip made
 * at start_ms (model_trip_start).
 */
void model_vehicle_init(struct vehicle *v, uint64_t seed, uint64_t index,
    const struct route_set *rs, enum trip_id_kind kind, int64_t start_ms);

/*
 * A new trip made at ms: a route picked at random among those of the
 * manifest, a new trip id, the dynamics and aggregates reset.
 */
void model_trip_start(
    struct vehicle *v, const struct route_set *rs, int64_t ms);

/* Step the model up to time ms (every step due at or before it); nothing
 * once the trip has ended. */
void model_advance(struct vehicle *v, int64_t ms);

/* The word of a gear: "neutral", "first" ... "sixth". */
const char *model_gear_word(int gear);

/* fuel_level, %. */
double model_fuel_level(const struct vehicle *v);

#endif

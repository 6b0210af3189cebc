/* SPDX-License-Identifier: MIT */
/* vsim's vehicle model: random streams and the dynamics of vsim(1). */
#include "common/prelude.h"

#include <math.h>
#include <string.h>

#include "model.h"

#define DT (MODEL_STEP_MS / 1000.0) /* seconds per step */

/* ---- random numbers */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	/* two rounds, so nearby seeds and streams start far apart */
	(void)splitmix64(&x);
	x ^= stream;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int
rng_int(struct rng *r, int lo, int hi)
{
	uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;

	return lo + (int)(rng_next(r) % span);
}

/* ---- identifiers */

static void
make_vin(struct vehicle *v)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	int i;

	for (i = 0; i < VIN_LEN; i++)
		v->vin[i] = set[rng_next(&v->rng) % 36];
	v->vin[VIN_LEN] = '\0';
}

static void
make_trip_id(struct vehicle *v)
{
	static const char hex[] = "0123456789abcdef";
	static const char nano[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789_-";
	int i, n = 0;

	if (v->id_kind == TRIP_ID_NANOID) {
		for (i = 0; i < 21; i++)
			v->trip_id[i] = nano[rng_next(&v->rng) % 64];
		v->trip_id[21] = '\0';
		return;
	}
	/* UUID v4: xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx, Y in 8-b */
	for (i = 0; i < 32; i++) {
		unsigned d = (unsigned)(rng_next(&v->rng) >> 60);

		if (i == 12)
			d = 4;
		else if (i == 16)
			d = 8 + (d & 3);
		if (i == 8 || i == 12 || i == 16 || i == 20)
			v->trip_id[n++] = '-';
		v->trip_id[n++] = hex[d];
	}
	v->trip_id[n] = '\0';
}

/* ---- the model */

/* Gears: speeds to shift up above and down below (km/h), the engine's
 * pull at full pedal (km/h per s) and the torque ratio. */
static const double up_above[] = {0, 25, 50, 75, 100, 125, 1e9};
static const double down_below[] = {0, -1, 20, 45, 70, 95, 120};
static const double pull[] = {0, 60, 30, 18, 11, 7.5, 6};
static const double torque_ratio[] = {0, 1.1, 0.9, 0.8, 0.7, 0.6, 0.5};

#define AIR_DRAG 5.73e-6 /* km/h per s per (km/h)^3: 109 km/h top speed */
#define ROLLING 0.2 /* km/h per s while moving */
#define BRAKING 22.0 /* km/h per s at a full brake */
#define HIGH_SPEED 112.6 /* km/h, 70 mph */
#define OIL_RISE 2.0417 /* degrees per second while warming up */
#define OIL_WARM 245.0
#define BURNDOWN_S 20.0

const char *
model_gear_word(int gear)
{
	static const char *const words[] = {
	    "neutral", "first", "second", "third", "fourth", "fifth", "sixth"};

	return gear >= 0 && gear <= 6 ? words[gear] : "neutral";
}

double
model_fuel_level(const struct vehicle *v)
{
	return 100.0 * (MODEL_TANK_L - v->fuel_consumed) / MODEL_TANK_L;
}

static bool
aggressive(const struct vehicle *v)
{
	return v->route->profile == PROFILE_AGGRESSIVE;
}

void
model_trip_start(struct vehicle *v, const struct route_set *rs, int64_t ms)
{
	struct rng keep = v->rng;
	char vin[VIN_LEN + 1];
	enum trip_id_kind kind = v->id_kind;

	memcpy(vin, v->vin, sizeof(vin));
	memset(v, 0, sizeof(*v));
	v->rng = keep;
	v->id_kind = kind;
	memcpy(v->vin, vin, sizeof(vin));
	make_trip_id(v);
	v->route = &rs->routes[rs->pick[rng_next(&v->rng) % rs->npick]];
	v->start_ms = ms;
	v->step_ms = ms + MODEL_STEP_MS;
	v->pedal_set =
	    aggressive(v) ? rng_int(&v->rng, 20, 40) : rng_int(&v->rng, 10, 40);
	v->pedal = v->pedal_set;
	v->next_pedal_change = rng_int(&v->rng, 30, 60);
	v->next_jitter = 7;
	v->last_trip_msg_ms = -1;
}

void
model_vehicle_init(struct vehicle *v, uint64_t seed, uint64_t index,
    const struct route_set *rs, enum trip_id_kind kind, int64_t start_ms)
{
	memset(v, 0, sizeof(*v));
	rng_seed(&v->rng, seed, index);
	v->id_kind = kind;
	make_vin(v);
	model_trip_start(v, rs, start_ms);
}

/* The driver's periodic pedal change; it also ends a brake event. */
static void
pedal_change(struct vehicle *v)
{
	int lo = aggressive(v) ? 10 : 2;
	int d = rng_int(&v->rng, lo, 25);

	if (rng_next(&v->rng) & 1)
		d = -d;
	v->pedal_set += d;
	if (v->pedal_set >= 100)
		v->pedal_set = 99;
	else if (v->pedal_set < 0)
		v->pedal_set = 5;
	v->brake_event = false;
	v->next_pedal_change = v->t + rng_int(&v->rng, 30, 60);
}

static void
fire(struct vehicle *v, enum trigger_kind kind)
{
	switch (kind) {
	case TRIGGER_DTC:
		if (!v->dtc_sent)
			v->dtc_pending = true;
		break;
	case TRIGGER_BRAKE:
		v->brake_event = true;
		break;
	case TRIGGER_OILTEMP:
		v->oil_hot = true;
		v->oil_plateau = 275 + 45 * rng_unit(&v->rng);
		break;
	}
}

/* Move along the route by the distance of this step. */
static void
drive(struct vehicle *v, double dkm)
{
	const struct route *r = v->route;

	v->km += dkm;
	while (
	    v->point + 1 < r->npoints && r->points[v->point + 1].km <= v->km) {
		v->point++;
		while (v->next_trigger < r->ntriggers &&
		    r->triggers[v->next_trigger].point <= v->point)
			fire(v, r->triggers[v->next_trigger++].kind);
	}
	if (v->point + 1 >= r->npoints && !v->burndown) {
		v->burndown = true;
		v->burndown_left = BURNDOWN_S;
	}
}

static void
step(struct vehicle *v)
{
	double a, prev;

	v->t += DT;
	if (!v->burndown) {
		if (v->t >= v->next_pedal_change)
			pedal_change(v);
		if (v->t >= v->next_jitter) {
			v->pedal_set =
			    floor(v->pedal_set + 0.5) + rng_int(&v->rng, -4, 4);
			if (v->pedal_set > 99)
				v->pedal_set = 99;
			else if (v->pedal_set < 0)
				v->pedal_set = 0;
			v->next_jitter = v->t + 7;
		}
	}
	if (v->burndown || v->brake_event) {
		v->pedal = 0;
		v->brake = 100;
	} else {
		v->pedal = v->pedal_set;
		v->brake = 0;
	}

	/* the forces in the gear engaged, then the automatic gearbox */
	if (v->gear == 0)
		v->gear = 1;
	a = v->pedal / 100 * pull[v->gear] -
	    AIR_DRAG * v->speed * v->speed * v->speed -
	    (v->speed > 0 ? ROLLING : 0) - v->brake / 100 * BRAKING;
	prev = v->speed;
	v->speed += a * DT;
	if (v->speed < 0)
		v->speed = 0;
	while (v->gear < 6 && v->speed > up_above[v->gear])
		v->gear++;
	while (v->gear > 1 && v->speed < down_below[v->gear])
		v->gear--;
	v->rpm = 16382 * v->speed / (100.0 * v->gear);
	v->torque =
	    v->pedal * 15 * torque_ratio[v->gear] - v->rpm * 500 / 16382;

	/* acceleration over windows of at least a second */
	if (++v->window_steps * DT >= 1.0) {
		v->acceleration =
		    (v->speed - v->window_speed) / (v->window_steps * DT);
		if (v->acceleration >= 12)
			v->high_accel++;
		if (v->brake > 0 && v->acceleration < -16)
			v->high_braking++;
		v->window_speed = v->speed;
		v->window_steps = 0;
	}

	v->odometer += (prev + v->speed) / 2 * DT / 3600;
	v->fuel_consumed += 0.000015 + 0.0015 * DT * v->pedal / 100;
	if (v->oil_hot)
		v->oil_temp = v->oil_plateau + 10 * rng_unit(&v->rng) - 5;
	else if (v->t <= OIL_WARM / OIL_RISE)
		v->oil_temp = OIL_RISE * v->t;
	else
		v->oil_temp = OIL_WARM + 10 * rng_unit(&v->rng) - 5;

	v->sum_speed += v->speed;
	v->sum_rpm += v->rpm;
	v->sum_torque += v->torque;
	v->sum_oil += v->oil_temp;
	v->sum_pedal += v->pedal;
	v->sum_brake += v->brake;
	v->steps++;
	if (v->speed > HIGH_SPEED)
		v->high_speed_ms += MODEL_STEP_MS;
	if (v->speed <= 1.0)
		v->idle_ms += MODEL_STEP_MS;

	if (v->burndown) {
		v->burndown_left -= DT;
		if (v->burndown_left <= 0) {
			/* ignition off: standing, brake released */
			v->ended = true;
			v->brake = 0;
			v->speed = 0;
			v->rpm = 0;
			v->torque = 0;
			v->acceleration = 0;
		}
	} else {
		drive(v, (prev + v->speed) / 2 * DT / 3600);
	}
}

void
model_advance(struct vehicle *v, int64_t ms)
{
	while (!v->ended && v->step_ms <= ms) {
		step(v);
		v->step_ms += MODEL_STEP_MS;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * vsim's messages on the wire, written by hand: the output is the hot
 * path, and every number must come out as the simulator wrote it
 * (vsim(1), "Messages" and "Numbers").
 */
#include "common/prelude.h"

#include <string.h>

#include "common/timefmt.h"
#include "emit.h"
#include "numfmt.h"

#define LIT(s) s, sizeof(s) - 1

static inline char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static inline char *
put_fixed(char *p, double v, int k)
{
	return p + num_fixed(p, num_round(v, k), k);
}

static inline char *
put_shortest(char *p, double v)
{
	return p + num_shortest(p, v);
}

static char *
put_uint(char *p, uint64_t u)
{
	char tmp[24];
	size_t t = 0;

	do {
		tmp[t++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	while (t > 0)
		*p++ = tmp[--t];
	return p;
}

static inline char *
two(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void
civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

unsigned
emit_timestamp(char *out, int64_t ms)
{
	/* one date per call site is the common case: keep the last one */
	static int64_t cached_day = INT64_MIN;
	static char date[11];
	int64_t day = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
	unsigned rem = (unsigned)(ms - day * 86400000), msec = rem % 1000;
	char *p = out;

	if (day != cached_day) {
		int y;
		unsigned m, d;

		civil(day, &y, &m, &d);
		date[0] = (char)('0' + y / 1000 % 10);
		date[1] = (char)('0' + y / 100 % 10);
		date[2] = (char)('0' + y / 10 % 10);
		date[3] = (char)('0' + y % 10);
		date[4] = '-';
		two(date + 5, m);
		date[7] = '-';
		two(date + 8, d);
		date[10] = ' ';
		cached_day = day;
	}
	p = put(p, date, 11);
	rem /= 1000;
	p = two(p, rem / 3600);
	*p++ = ':';
	p = two(p, rem / 60 % 60);
	*p++ = ':';
	p = two(p, rem % 60);
	*p++ = '.';
	*p++ = (char)('0' + msec / 100);
	p = two(p, msec % 100);
	p = put(p, "000000", 6);
	*p = '\0';
	return (unsigned)(p - out);
}

static char *
put_text(char *p, const char *s)
{
	return put(p, s, strlen(s));
}

void
emit_ids_make(struct emit_ids *ids, const struct vehicle *v,
    enum vsim_format fmt, const char *device_id)
{
	char *p = ids->head, dev[sizeof(ids->device_id)];

	/* device_id may be ids->device_id itself */
	memset(dev, 0, sizeof(dev));
	if (device_id != NULL)
		memcpy(dev, device_id, strnlen(device_id, sizeof(dev) - 1));
	memcpy(ids->device_id, dev, sizeof(dev));
	p = put(p,
	    LIT("{\"@metadata\":{\"mqtt\":{\"topic\":"
		"\"connectedcar/telemetry/"));
	p = put(p, v->vin, VIN_LEN);
	p = put(p, LIT("\"}},\"timestamp\":\""));
	ids->head_len = (unsigned)(p - ids->head);

	p = ids->mid;
	p = put(p, LIT("\",\"trip_id\":\""));
	p = put_text(p, v->trip_id);
	p = put(p, fmt == FORMAT_V3 ? "\",\"VIN\":\"" : "\",\"vin\":\"", 9);
	p = put(p, v->vin, VIN_LEN);
	p = put(p, LIT("\",\"route_id\":\""));
	p = put(p, v->route->id, v->route->id_len);
	if (fmt == FORMAT_V3)
		p = put(p, LIT("\","));
	else
		p = put(p, LIT("\",\"name\":\""));
	ids->mid_len = (unsigned)(p - ids->mid);
}

/* A message's start: head, timestamp, the trip's ids, up to the name. */
static inline char *
start(char *p, const struct emit_ids *ids, int64_t ms)
{
	p = put(p, ids->head, ids->head_len);
	p += emit_timestamp(p, ms);
	return put(p, ids->mid, ids->mid_len);
}

/* A message whose value is a number rounded to k decimals. */
#define NUMBER(name, val, k)                                                   \
	do {                                                                   \
		p = start(p, ids, ms + off[i++]);                              \
		p = put(p, LIT(name "\",\"value\":"));                         \
		p = put_fixed(p, (val), (k));                                  \
		p = put(p, LIT("}\n"));                                        \
	} while (0)
/* A message whose value is literal JSON text. */
#define TEXT(name, text)                                                       \
	do {                                                                   \
		p = start(p, ids, ms + off[i++]);                              \
		p = put(p, LIT(name "\",\"value\":"));                         \
		p = put_text(p, (text));                                       \
		p = put(p, LIT("}\n"));                                        \
	} while (0)

int64_t
emit_telemetry(
    struct buf *b, const struct emit_ids *ids, struct vehicle *v, int64_t ms)
{
	const struct route_point *pt = &v->route->points[v->point];
	uint64_t bits = rng_next(&v->rng);
	int off[EMIT_SIGNALS], o = 0, i;
	char *p, gear[24];

	/* each signal is stamped as it is made: 0-5 ms after the location */
	for (i = 0; i < EMIT_SIGNALS; i++) {
		if ((bits & 3) == 0 && o < 5)
			o++;
		bits >>= 2;
		off[i] = o;
	}
	gear[0] = '"';
	memcpy(gear + 1, model_gear_word(v->gear),
	    strlen(model_gear_word(v->gear)) + 1);
	memcpy(gear + strlen(gear), "\"", 2);

	if (b->cap - b->len < EMIT_TICK_MAX)
		buf_grow(b, EMIT_TICK_MAX);
	p = b->data + b->len;
	i = 0;
	NUMBER("steering_wheel_angle", 0.0, 1);
	NUMBER("torque_at_transmission", v->torque, 1);
	NUMBER("engine_speed", v->rpm, 1);
	NUMBER("vehicle_speed", v->speed, 2);
	NUMBER("acceleration", v->acceleration, 4);
	NUMBER("accelerator_pedal_position", v->pedal, 1);
	TEXT("parking_brake_status", "false");
	TEXT("brake_pedal_status", v->brake > 0 ? "true" : "false");
	TEXT("transmission_gear_position", gear);
	TEXT("gear_lever_position", "\"drive\"");
	NUMBER("odometer", v->odometer, 3);
	TEXT("ignition_status", "\"run\"");
	NUMBER("fuel_level", model_fuel_level(v), 2);
	NUMBER("fuel_consumed_since_restart", v->fuel_consumed, 6);
	NUMBER("oil_temp", v->oil_temp, 1);
	NUMBER("brake", v->brake, 1);

	/* the location: made first, so stamped first, but sent last */
	p = start(p, ids, ms);
	p = put(p, LIT("location\",\"latitude\":"));
	p += num_fixed(p, pt->lat5, 5);
	p = put(p, LIT(",\"longitude\":"));
	p += num_fixed(p, pt->lon5, 5);
	p = put(p, LIT("}\n"));
	b->len = (size_t)(p - b->data);
	return ms + off[EMIT_SIGNALS - 1];
}

#undef NUMBER
#undef TEXT

void
emit_snapshot(struct buf *b, const struct emit_ids *ids,
    const struct vehicle *v, int64_t ms)
{
	const struct route_point *pt = &v->route->points[v->point];
	char *p;

	if (b->cap - b->len < EMIT_TICK_MAX)
		buf_grow(b, EMIT_TICK_MAX);
	p = start(b->data + b->len, ids, ms);
	p = put(p, LIT("\"brake\":"));
	p = put_fixed(p, v->brake, 1);
	p = put(p, LIT(",\"steeringWheelAngle\":0,\"torqueAtTransmission\":"));
	p = put_fixed(p, v->torque, 1);
	p = put(p, LIT(",\"engineSpeed\":"));
	p = put_fixed(p, v->rpm, 2);
	p = put(p, LIT(",\"vehicleSpeed\":"));
	p = put_fixed(p, v->speed, 2);
	p = put(p, LIT(",\"acceleration\":"));
	p = put_fixed(p, v->acceleration, 4);
	p = put(p, LIT(",\"parkingBrakeStatus\":false,\"brakePedalStatus\":"));
	p = put_text(p, v->brake > 0 ? "true" : "false");
	p = put(p, LIT(",\"transmissionGearPosition\":\""));
	p = put_text(p, model_gear_word(v->gear));
	p = put(p, LIT("\",\"gearLeverPosition\":\"drive\",\"odometer\":"));
	p = put_fixed(p, v->odometer, 3);
	p = put(p, LIT(",\"ignitionStatus\":\"run\",\"fuelLevel\":"));
	p = put_fixed(p, model_fuel_level(v), 2);
	p = put(p, LIT(",\"fuelConsumedSinceRestart\":"));
	p = put_fixed(p, v->fuel_consumed, 6);
	p = put(p, LIT(",\"oilTemp\":"));
	p = put_fixed(p, v->oil_temp, 1);
	p = put(p, LIT(",\"location\":{\"latitude\":"));
	p = put_text(p, pt->lat_text);
	p = put(p, LIT(",\"longitude\":"));
	p = put_text(p, pt->lon_text);
	p = put(p, LIT("},\"_id_\":\""));
	p = put_text(p, ids->device_id);
	p = put(p, LIT("\"}\n"));
	b->len = (size_t)(p - b->data);
}

/* Where a trip or DTC message starts: @metadata with its own topic. */
static char *
start_other(char *p, const struct vehicle *v, const char *kind)
{
	p = put(p, LIT("{\"@metadata\":{\"mqtt\":{\"topic\":\"connectedcar/"));
	p = put_text(p, kind);
	*p++ = '/';
	p = put(p, v->vin, VIN_LEN);
	p = put(p, LIT("\"}},"));
	return p;
}

/* "timestamp","trip_id","vin","route_id" and the name, in that order. */
static char *
ids_tail(char *p, const struct vehicle *v, int64_t ms, const char *name)
{
	p = put(p, LIT("\"timestamp\":\""));
	p += emit_timestamp(p, ms);
	p = put(p, LIT("\",\"trip_id\":\""));
	p = put_text(p, v->trip_id);
	p = put(p, LIT("\",\"vin\":\""));
	p = put(p, v->vin, VIN_LEN);
	p = put(p, LIT("\",\"route_id\":\""));
	p = put(p, v->route->id, v->route->id_len);
	p = put(p, LIT("\",\"name\":\""));
	p = put_text(p, name);
	*p++ = '"';
	return p;
}

static double
mean(double sum, uint64_t n)
{
	return n > 0 ? sum / (double)n : 0;
}

void
emit_trip(struct buf *b, const struct vehicle *v, int64_t ms, bool final,
    int64_t end_ms)
{
	const struct route_point *pt = &v->route->points[v->point];
	char *p, iso[32];

	if (b->cap - b->len < EMIT_TICK_MAX)
		buf_grow(b, EMIT_TICK_MAX);
	p = start_other(b->data + b->len, v, "trip");
	p = put(p, LIT("\"vehicle_speed_mean\":"));
	p = put_shortest(p, mean(v->sum_speed, v->steps));
	p = put(p, LIT(",\"engine_speed_mean\":"));
	p = put_shortest(p, mean(v->sum_rpm, v->steps));
	p = put(p, LIT(",\"torque_at_transmission_mean\":"));
	p = put_shortest(p, mean(v->sum_torque, v->steps));
	p = put(p, LIT(",\"oil_temp_mean\":"));
	p = put_shortest(p, mean(v->sum_oil, v->steps));
	p = put(p, LIT(",\"accelerator_pedal_position_mean\":"));
	p = put_shortest(p, mean(v->sum_pedal, v->steps));
	p = put(p, LIT(",\"brake_mean\":"));
	p = put_shortest(p, mean(v->sum_brake, v->steps));
	p = put(p, LIT(",\"high_speed_duration\":"));
	p = put_uint(p, (uint64_t)v->high_speed_ms);
	p = put(p, LIT(",\"high_acceleration_event\":"));
	p = put_uint(p, v->high_accel);
	p = put(p, LIT(",\"high_braking_event\":"));
	p = put_uint(p, v->high_braking);
	p = put(p, LIT(",\"idle_duration\":"));
	p = put_uint(p, (uint64_t)v->idle_ms);
	p = put(p, LIT(",\"start_time\":\""));
	p = put(p, iso, time_format(v->start_ms, iso));
	p = put(p, LIT("\",\"ignition_status\":"));
	p = put_text(p, final ? "\"off\"" : "\"run\"");
	p = put(p, LIT(",\"brake_pedal_status\":"));
	p = put_text(p, v->brake > 0 ? "true" : "false");
	p = put(p, LIT(",\"transmission_gear_position\":\""));
	p = put_text(p, model_gear_word(v->gear));
	p = put(p, LIT("\",\"odometer\":"));
	p = put_shortest(p, v->odometer);
	p = put(p, LIT(",\"fuel_level\":"));
	p = put_shortest(p, model_fuel_level(v));
	p = put(p, LIT(",\"fuel_consumed_since_restart\":"));
	p = put_shortest(p, v->fuel_consumed);
	p = put(p, LIT(",\"latitude\":"));
	p = put_text(p, pt->lat_text);
	p = put(p, LIT(",\"longitude\":"));
	p = put_text(p, pt->lon_text);
	*p++ = ',';
	p = ids_tail(p, v, ms, "aggregated_telemetrics");
	if (final) {
		p = put(p, LIT(",\"end_time\":\""));
		p = put(p, iso, time_format(end_ms, iso));
		p = put(p,
		    LIT("\",\"geojson\":{\"bucket\":\"vsim\",\"key\":"
			"\"trip/"));
		p = put(p, v->vin, VIN_LEN);
		*p++ = '/';
		p = put_text(p, v->trip_id);
		p = put(p, LIT(".json\"}"));
	}
	p = put(p, LIT("}\n"));
	b->len = (size_t)(p - b->data);
}

void
emit_dtc(struct buf *b, const struct vehicle *v, int64_t ms, const char *code)
{
	char *p;

	if (b->cap - b->len < EMIT_TICK_MAX)
		buf_grow(b, EMIT_TICK_MAX);
	p = start_other(b->data + b->len, v, "dtc");
	p = ids_tail(p, v, ms, "dtc");
	p = put(p, LIT(",\"value\":\""));
	p = put_text(p, code);
	p = put(p, LIT("\"}\n"));
	b->len = (size_t)(p - b->data);
}

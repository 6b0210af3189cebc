/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vsim's pure parts: number texts, routes, the random
 * streams, the vehicle model, the messages and the fleet's ticks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/vsim/emit.h"
#include "cmd/vsim/fleet.h"
#include "cmd/vsim/model.h"
#include "cmd/vsim/numfmt.h"
#include "cmd/vsim/options.h"
#include "cmd/vsim/routes.h"
#include "common/jsonx.h"

#define T_2019 1560598755535LL /* 2019-06-15T11:39:15.535Z */

static void
check_fixed(int64_t scaled, int k, const char *want)
{
	char out[NUMFMT_MAX];
	size_t n = num_fixed(out, scaled, k);

	if (strcmp(out, want) != 0 || n != strlen(want))
		fail_msg("num_fixed(%lld, %d): '%s', want '%s'",
		    (long long)scaled, k, out, want);
}

static void
test_fixed(void **state)
{
	(void)state;
	check_fixed(0, 2, "0");
	check_fixed(2293, 2, "22.93");
	check_fixed(2290, 2, "22.9");
	check_fixed(4100, 2, "41");
	check_fixed(-1253, 1, "-125.3");
	check_fixed(-5, 4, "-0.0005");
	check_fixed(621, 6, "0.000621");
	check_fixed(1, 6, "0.000001");
	check_fixed(3895618, 5, "38.95618");
	check_fixed(-7739835, 5, "-77.39835");
	check_fixed(7, 0, "7");
	/* JavaScript rounds halves up, towards +infinity */
	assert_int_equal(num_round(0.125, 2), 13);
	assert_int_equal(num_round(-0.125, 2), -12);
	assert_int_equal(num_round(22.934, 2), 2293);
	assert_int_equal(num_round(-0.00001, 2), 0); /* never "-0" */
	check_fixed(num_round(-0.00001, 2), 2, "0");
}

static void
check_shortest(double v, const char *want)
{
	char out[NUMFMT_MAX];
	size_t n = num_shortest(out, v);

	if (strcmp(out, want) != 0 || n != strlen(want))
		fail_msg("num_shortest(%.17g): '%s', want '%s'", v, out, want);
}

static void
test_shortest(void **state)
{
	(void)state;
	check_shortest(0.0, "0");
	check_shortest(-0.0, "0");
	check_shortest(80.3, "80.3");
	check_shortest(0.1, "0.1");
	check_shortest(0.1 + 0.2, "0.30000000000000004");
	check_shortest(11.467249572956383, "11.467249572956383");
	check_shortest(0.0015929529429005748, "0.0015929529429005748");
	check_shortest(99.99844759235138, "99.99844759235138");
	check_shortest(38.956084, "38.956084");
	check_shortest(-77.39671, "-77.39671");
	check_shortest(682, "682");
	check_shortest(1e21, "1e+21");
	check_shortest(123456789012345680000.0, "123456789012345680000");
	check_shortest(0.000001, "0.000001");
	check_shortest(1.5e-7, "1.5e-7");
	check_shortest(-1.234e-7, "-1.234e-7");
	check_shortest(5e-324, "5e-324");
	check_shortest(1.7976931348623157e308, "1.7976931348623157e+308");
	check_shortest(100, "100");
}

static void
test_round5(void **state)
{
	(void)state;
	assert_int_equal(routes_round5("38.956175", 9), 3895618);
	assert_int_equal(routes_round5("-77.398352", 10), -7739835);
	assert_int_equal(routes_round5("-77.398355", 10), -7739835);
	assert_int_equal(routes_round5("-77.3983551", 11), -7739836);
	assert_int_equal(routes_round5("77.398355", 9), 7739836);
	assert_int_equal(routes_round5("-77.398356", 10), -7739836);
	assert_int_equal(routes_round5("38.9", 4), 3890000);
	assert_int_equal(routes_round5("12", 2), 1200000);
	assert_int_equal(routes_round5("1e-7", 4), 0);
}

static void
test_builtin_routes(void **state)
{
	struct route_set rs;
	struct buf err = BUF_INIT;
	size_t i, j;

	(void)state;
	if (routes_load(&rs, NULL, &err) < 0)
		fail_msg("%s", buf_cstr(&err));
	assert_int_equal(rs.n, 17);
	assert_int_equal(rs.npick, 16); /* route-a is not in the manifest */
	assert_string_equal(rs.routes[0].id, "route-a");
	assert_false(rs.routes[0].in_manifest);
	for (i = 0; i < rs.n; i++) {
		const struct route *r = &rs.routes[i];

		assert_true(r->npoints >= 2);
		for (j = 1; j < r->npoints; j++)
			assert_true(r->points[j].km >= r->points[j - 1].km);
		for (j = 0; j < r->ntriggers; j++) {
			assert_true(r->triggers[j].point >= 1);
			assert_true(r->triggers[j].point < r->npoints - 1);
			if (j > 0)
				assert_true(r->triggers[j].point >=
				    r->triggers[j - 1].point);
		}
	}
	/* route-e: IAD21 to DCA11, 1 dtc + 1 brake; starts at the vertex
	 * the simulator's sample starts from */
	{
		const struct route *e = &rs.routes[4];

		assert_string_equal(e->id, "route-e");
		assert_int_equal(e->profile, PROFILE_NORMAL);
		assert_int_equal(e->ntriggers, 2);
		assert_string_equal(e->points[0].lat_text, "38.956084");
		assert_string_equal(e->points[0].lon_text, "-77.39671");
		assert_int_equal(e->points[0].lat5, 3895608);
		assert_true(e->points[e->npoints - 1].km > 40 &&
		    e->points[e->npoints - 1].km < 50);
	}
	routes_free(&rs);
	buf_free(&err);
}

static void
check_bad_routes(const char *text, const char *want)
{
	struct route_set rs;
	struct buf err = BUF_INIT;

	memset(&rs, 0, sizeof(rs));
	if (routes_add_text(&rs, text, strlen(text), "t", &err) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(buf_cstr(&err), want) == NULL)
		fail_msg(
		    "'%s': error '%s', want '%s'", text, buf_cstr(&err), want);
	routes_free(&rs);
	buf_free(&err);
}

static void
test_route_errors(void **state)
{
	struct route_set rs;
	struct buf err = BUF_INIT;
	static const char good[] =
	    "{\"route_id\":\"x\",\"points\":[[-77.1,38.9],[-77.2,38.95]],"
	    "\"triggers\":{\"dtc\":1}}\r\n\n  \n";

	(void)state;
	check_bad_routes("{", "t: line 1: invalid JSON");
	check_bad_routes("[]", "not a JSON object");
	check_bad_routes("{\"points\":[[1,2],[3,4]]}", "route_id");
	check_bad_routes(
	    "{\"route_id\":\"a\\\"b\",\"points\":[[1,2],[3,4]]}", "route_id");
	check_bad_routes("{\"route_id\":\"x\"}", "no \"points\" array");
	check_bad_routes(
	    "{\"route_id\":\"x\",\"points\":[[1,2]]}", "at least 2 points");
	check_bad_routes(
	    "{\"route_id\":\"x\",\"points\":[[1,2],[3]]}", "not [lon, lat]");
	check_bad_routes(
	    "{\"route_id\":\"x\",\"points\":[[1,95],[3,4]]}", "out of range");
	check_bad_routes(
	    "{\"route_id\":\"x\",\"points\":[[0,0],[3,4]]}", "no GPS fix");
	check_bad_routes(
	    "{\"route_id\":\"x\",\"points\":[[1,2],[1,2]]}", "no length");
	check_bad_routes("{\"route_id\":\"x\",\"profile\":\"slow\","
			 "\"points\":[[1,2],[3,4]]}",
	    "profile");
	check_bad_routes("{\"route_id\":\"x\",\"points\":[[1,2],[3,4]],"
			 "\"triggers\":{\"dtc\":1.5}}",
	    "trigger count");
	check_bad_routes("\n{\"route_id\":\"x\",\"in_manifest\":1,"
			 "\"points\":[[1,2],[3,4]]}",
	    "t: line 2: \"in_manifest\"");

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(
	    routes_add_text(&rs, good, strlen(good), "t", &err), 0);
	assert_int_equal(rs.n, 1);
	assert_true(rs.routes[0].in_manifest);
	assert_int_equal(rs.routes[0].profile, PROFILE_NORMAL);
	assert_int_equal(rs.routes[0].ntriggers, 1);
	routes_free(&rs);
	buf_free(&err);
}

static void
test_rng(void **state)
{
	struct rng a, b, c;
	int i, lo = 0, hi = 0;

	(void)state;
	rng_seed(&a, 42, 7);
	rng_seed(&b, 42, 7);
	rng_seed(&c, 42, 8);
	for (i = 0; i < 100; i++) {
		uint64_t x = rng_next(&a);

		assert_true(x == rng_next(&b));
		assert_true(x != rng_next(&c));
	}
	for (i = 0; i < 10000; i++) {
		int v = rng_int(&a, -4, 4);
		double u = rng_unit(&a);

		assert_true(v >= -4 && v <= 4);
		lo += v == -4;
		hi += v == 4;
		assert_true(u >= 0 && u < 1);
	}
	assert_true(lo > 0 && hi > 0);
}

static struct route_set builtin;

static int
setup_routes(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	if (routes_load(&builtin, NULL, &err) < 0)
		return -1;
	buf_free(&err);
	return 0;
}

static int
teardown_routes(void **state)
{
	(void)state;
	routes_free(&builtin);
	return 0;
}

static bool
all_in(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

static void
test_vehicle_ids(void **state)
{
	struct vehicle v, w;

	(void)state;
	model_vehicle_init(&v, 1, 0, &builtin, TRIP_ID_UUID, T_2019);
	model_vehicle_init(&w, 1, 0, &builtin, TRIP_ID_UUID, T_2019);
	assert_int_equal(strlen(v.vin), 17);
	assert_true(all_in(v.vin, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
	assert_string_equal(v.vin, w.vin);
	assert_string_equal(v.trip_id, w.trip_id);
	assert_int_equal(strlen(v.trip_id), 36);
	assert_int_equal(v.trip_id[14], '4'); /* UUID v4 */
	assert_non_null(strchr("89ab", v.trip_id[19]));
	assert_true(v.route->in_manifest);
	model_vehicle_init(&w, 1, 1, &builtin, TRIP_ID_NANOID, T_2019);
	assert_string_not_equal(v.vin, w.vin);
	assert_int_equal(strlen(w.trip_id), 21);
	assert_true(all_in(w.trip_id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"));
}

/* Drive a vehicle to its route's end: the dynamics keep their bounds. */
static void
test_model_drive(void **state)
{
	struct vehicle v;
	int64_t ms = T_2019;
	double odo = 0, consumed = 0;
	int seen_gear[7] = {0};
	uint64_t n;

	(void)state;
	model_vehicle_init(&v, 3, 0, &builtin, TRIP_ID_UUID, T_2019);
	for (n = 0; n < 4 * 3600 * 2 && !v.ended; n++) {
		ms += MODEL_STEP_MS;
		model_advance(&v, ms);
		assert_true(v.odometer >= odo);
		assert_true(v.fuel_consumed > consumed);
		odo = v.odometer;
		consumed = v.fuel_consumed;
		assert_true(v.speed >= 0 && v.speed < 112.6);
		assert_true(v.pedal >= 0 && v.pedal <= 99);
		assert_true(v.brake == 0 || v.brake == 100);
		assert_true(v.gear >= 1 && v.gear <= 6);
		assert_true(v.rpm >= 0 && v.rpm <= 4200);
		assert_true(v.oil_temp >= 0 && v.oil_temp <= 325);
		assert_true(v.point < v.route->npoints);
		seen_gear[v.gear] = 1;
		if (n == 120 * 2)
			assert_true(v.oil_temp > 230);
	}
	assert_true(v.ended);
	assert_int_equal(v.point, v.route->npoints - 1);
	assert_true(v.speed == 0 && v.brake == 0);
	assert_true(v.odometer >= v.route->points[v.point].km * 0.99);
	assert_true(seen_gear[1] && seen_gear[2] && seen_gear[3]);
	assert_true(model_fuel_level(&v) > 90 && model_fuel_level(&v) < 100);
	/* nothing moves once ended */
	model_advance(&v, ms + 60000);
	assert_true(v.odometer == odo);
}

static void
test_timestamp(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(emit_timestamp(out, 1560598771639LL), 29);
	assert_string_equal(out, "2019-06-15 11:39:31.639000000");
	emit_timestamp(out, 0);
	assert_string_equal(out, "1970-01-01 00:00:00.000000000");
	emit_timestamp(out, 951782399999LL);
	assert_string_equal(out, "2000-02-28 23:59:59.999000000");
	emit_timestamp(out, 951782400000LL);
	assert_string_equal(out, "2000-02-29 00:00:00.000000000");
	emit_timestamp(out, 4102444799999LL);
	assert_string_equal(out, "2099-12-31 23:59:59.999000000");
}

/* The exact text of the messages for a vehicle in a known state. */
static void
test_emit_exact(void **state)
{
	struct vehicle v;
	struct emit_ids ids;
	struct buf b = BUF_INIT;
	const char *text, *line;
	int64_t last;

	(void)state;
	memset(&ids, 0, sizeof(ids));
	model_vehicle_init(&v, 1, 0, &builtin, TRIP_ID_UUID, T_2019);
	memcpy(v.vin, "UX6FZSBYHWGKO925M", 18);
	memcpy(v.trip_id, "ba06f103-735e-41b3-a70b-a8eb2af62099", 37);
	v.route = &builtin.routes[4]; /* route-e */
	v.point = 0;
	v.speed = 22.934999;
	v.rpm = 1878.94;
	v.torque = 518.35;
	v.acceleration = -0.00001;
	v.pedal = 38.4;
	v.gear = 1;
	v.odometer = 0.0015929529429005748;
	v.fuel_consumed = 0.0006209630594442069;
	v.oil_temp = 3.4;
	v.brake = 0;
	emit_ids_make(&ids, &v, FORMAT_V2, NULL);
	last = emit_telemetry(&b, &ids, &v, 1560598757631LL);
	assert_true(last >= 1560598757631LL && last <= 1560598757636LL);
	text = buf_cstr(&b);
	/* the first signal: 0 or 1 ms after the location */
	assert_memory_equal(text,
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"connectedcar/telemetry/"
	    "UX6FZSBYHWGKO925M\"}},\"timestamp\":\"2019-06-15 11:39:17.63",
	    110);
	assert_non_null(strstr(text,
	    "000000\",\"trip_id\":\"ba06f103-735e-41b3-a70b-a8eb2af62099\","
	    "\"vin\":\"UX6FZSBYHWGKO925M\",\"route_id\":\"route-e\","
	    "\"name\":\"steering_wheel_angle\",\"value\":0}\n"));
	assert_non_null(
	    strstr(text, "\"name\":\"vehicle_speed\",\"value\":22.93}"));
	assert_non_null(
	    strstr(text, "\"name\":\"engine_speed\",\"value\":1878.9}"));
	assert_non_null(strstr(
	    text, "\"name\":\"torque_at_transmission\",\"value\":518.4}"));
	assert_non_null(strstr(text, "\"name\":\"acceleration\",\"value\":0}"));
	assert_non_null(strstr(text,
	    "\"name\":\"transmission_gear_position\",\"value\":\"first\"}"));
	assert_non_null(strstr(text, "\"name\":\"odometer\",\"value\":0.002}"));
	assert_non_null(strstr(text, "\"name\":\"fuel_level\",\"value\":100}"));
	assert_non_null(strstr(text,
	    "\"name\":\"fuel_consumed_since_restart\",\"value\":0.000621}"));
	assert_non_null(
	    strstr(text, "\"name\":\"parking_brake_status\",\"value\":false}"));
	/* the location: last, stamped first, 5 decimals */
	line = strstr(text, "\"name\":\"location\"");
	assert_non_null(line);
	assert_string_equal(line,
	    "\"name\":\"location\",\"latitude\":38.95608,"
	    "\"longitude\":-77.39671}\n");
	assert_non_null(strstr(text,
	    "\"timestamp\":\"2019-06-15 11:39:17.631"
	    "000000\",\"trip_id\":\"ba06f103-735e-41b3-a70b-"
	    "a8eb2af62099\",\"vin\":\"UX6FZSBYHWGKO925M\","
	    "\"route_id\":\"route-e\",\"name\":\"location\""));

	buf_reset(&b);
	v.sum_speed = 11.467249572956383 * 4;
	v.steps = 4;
	v.idle_ms = 500;
	emit_trip(&b, &v, 1560598757639LL, true, 1560598757631LL);
	text = buf_cstr(&b);
	assert_non_null(strstr(text,
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"connectedcar/trip/"
	    "UX6FZSBYHWGKO925M\"}},\"vehicle_speed_mean\":11.467249572956383,"));
	assert_non_null(strstr(text,
	    "\"idle_duration\":500,\"start_time\":\"2019-06-15T11:39:15.535Z\","
	    "\"ignition_status\":\"off\","));
	assert_non_null(strstr(text,
	    "\"odometer\":0.0015929529429005748,\"fuel_level\":"
	    "99.99844759235138,\"fuel_consumed_since_restart\":"
	    "0.0006209630594442069,\"latitude\":38.956084,\"longitude\":"
	    "-77.39671,\"timestamp\":\"2019-06-15 11:39:17.639000000\","));
	assert_non_null(strstr(text,
	    "\"name\":\"aggregated_telemetrics\",\"end_time\":"
	    "\"2019-06-15T11:39:17.631Z\",\"geojson\":{\"bucket\":\"vsim\","
	    "\"key\":\"trip/UX6FZSBYHWGKO925M/"
	    "ba06f103-735e-41b3-a70b-a8eb2af62099.json\"}}\n"));

	buf_reset(&b);
	emit_dtc(&b, &v, 1560598773646LL, "P0171");
	assert_string_equal(buf_cstr(&b),
	    "{\"@metadata\":{\"mqtt\":{\"topic\":\"connectedcar/dtc/"
	    "UX6FZSBYHWGKO925M\"}},\"timestamp\":\"2019-06-15 11:39:33.646"
	    "000000\",\"trip_id\":\"ba06f103-735e-41b3-a70b-a8eb2af62099\","
	    "\"vin\":\"UX6FZSBYHWGKO925M\",\"route_id\":\"route-e\","
	    "\"name\":\"dtc\",\"value\":\"P0171\"}\n");
	buf_free(&b);
}

/* Each line of text is one JSON object; returns how many. */
static size_t
lines_valid(const char *p, size_t n)
{
	struct arena *a = arena_new();
	const char *end = p + n;
	size_t count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct jval *root;

		assert_non_null(nl);
		arena_reset(a);
		if (jsonx_parse(a, p, (size_t)(nl - p), &root, NULL) !=
		    JSONX_OK)
			fail_msg("invalid JSON: %.*s", (int)(nl - p), p);
		assert_int_equal(root->type, J_OBJECT);
		count++;
		p = nl + 1;
	}
	arena_free(a);
	return count;
}

static void
test_fleet_ticks(void **state)
{
	struct fleet_conf c = {.n = 5,
	    .seed = 9,
	    .start_ms = T_2019,
	    .interval_ms = 2000,
	    .format = FORMAT_V2,
	    .routes = &builtin};
	struct fleet *f = fleet_new(&c);
	struct fleet_counts fc = {0, 0, 0, 0};
	struct buf b = BUF_INIT;
	uint64_t tick;
	size_t i;

	(void)state;
	for (i = 1; i < c.n; i++)
		assert_true(fleet_time(f, 1, i) >= fleet_time(f, 1, i - 1));
	for (i = 0; i < c.n; i++) {
		assert_true(fleet_time(f, 1, i) >= T_2019 + 2000);
		assert_true(fleet_time(f, 1, i) < T_2019 + 4000);
	}
	/* the first tick: 17 telemetry and the first trip aggregate each */
	for (i = 0; i < c.n; i++)
		fleet_emit(f, 1, i, &b, &fc);
	assert_int_equal(fc.telemetry, 17 * c.n);
	assert_int_equal(fc.trip, c.n);
	assert_int_equal(lines_valid(b.data, b.len), 18 * c.n);
	/* the next 44 ticks (88 s): no trip message; the 45th (90 s) */
	b.len = 0;
	for (tick = 2; tick <= 45; tick++)
		for (i = 0; i < c.n; i++)
			fleet_emit(f, tick, i, &b, &fc);
	assert_int_equal(fc.trip, c.n);
	for (i = 0; i < c.n; i++)
		fleet_emit(f, 46, i, &b, &fc);
	assert_int_equal(fc.trip, 2 * c.n);
	assert_int_equal(fc.telemetry, 17 * c.n * 46);
	assert_int_equal(
	    lines_valid(b.data, b.len), 17 * c.n * 45 + c.n + fc.dtc);
	buf_free(&b);
	fleet_free(f);
}

/* Same seed, same bytes; another seed, other bytes. */
static void
fleet_text(uint64_t seed, enum vsim_format fmt, struct buf *b)
{
	struct fleet_conf c = {.n = 3,
	    .seed = seed,
	    .start_ms = T_2019,
	    .interval_ms = 2000,
	    .format = fmt,
	    .routes = &builtin};
	struct fleet *f = fleet_new(&c);
	struct fleet_counts fc = {0, 0, 0, 0};
	uint64_t tick;
	size_t i;

	for (tick = 1; tick <= 100; tick++)
		for (i = 0; i < c.n; i++)
			fleet_emit(f, tick, i, b, &fc);
	fleet_free(f);
}

static void
test_fleet_determinism(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;

	(void)state;
	fleet_text(5, FORMAT_V2, &a);
	fleet_text(5, FORMAT_V2, &b);
	fleet_text(6, FORMAT_V2, &c);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_true(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
	buf_reset(&c);
	fleet_text(5, FORMAT_V3, &c);
	assert_int_equal(lines_valid(c.data, c.len), 300);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

/* A one-route set with a DTC: a trip ends, a DTC comes, a trip restarts. */
static void
test_fleet_trip_end(void **state)
{
	static const char text[] =
	    "{\"route_id\":\"short\",\"profile\":\"aggressive\","
	    "\"triggers\":{\"dtc\":1},\"points\":[[-77.221188,38.894186],"
	    "[-77.222065,38.893667],[-77.224712,38.89464],"
	    "[-77.224944,38.895801],[-77.2241,38.899394]]}\n";
	struct route_set rs;
	struct buf err = BUF_INIT, b = BUF_INIT;
	struct fleet_conf c = {.n = 1,
	    .seed = 1,
	    .start_ms = T_2019,
	    .interval_ms = 2000,
	    .format = FORMAT_V2,
	    .routes = &rs};
	struct fleet *f;
	struct fleet_counts fc = {0, 0, 0, 0};
	char first_trip[TRIP_ID_MAX];
	uint64_t tick;

	(void)state;
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(
	    routes_add_text(&rs, text, strlen(text), "t", &err), 0);
	rs.pick = calloc(1, sizeof(*rs.pick));
	rs.npick = 1;
	f = fleet_new(&c);
	memcpy(first_trip, fleet_vehicle(f, 0)->trip_id, TRIP_ID_MAX);
	for (tick = 1; tick <= 200 && fc.trips_ended == 0; tick++)
		fleet_emit(f, tick, 0, &b, &fc);
	assert_int_equal(fc.trips_ended, 1);
	assert_int_equal(fc.dtc, 1);
	assert_non_null(strstr(buf_cstr(&b), "\"ignition_status\":\"off\""));
	assert_non_null(strstr(buf_cstr(&b), "\"end_time\":\""));
	assert_non_null(strstr(buf_cstr(&b), "\"topic\":\"connectedcar/dtc/"));
	assert_string_not_equal(fleet_vehicle(f, 0)->trip_id, first_trip);
	assert_false(fleet_vehicle(f, 0)->ended);
	fleet_free(f);
	routes_free(&rs);
	buf_free(&err);
	buf_free(&b);
}

static void
test_duration(void **state)
{
	long long ms = 0;

	(void)state;
	assert_int_equal(vsim_parse_duration("90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(vsim_parse_duration("30m", &ms), 0);
	assert_int_equal(ms, 1800000);
	assert_int_equal(vsim_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(vsim_parse_duration("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(vsim_parse_duration("366d", &ms), 0);
	assert_int_equal(vsim_parse_duration("367d", &ms), -1);
	assert_int_equal(vsim_parse_duration("90", &ms), -1);
	assert_int_equal(vsim_parse_duration("s", &ms), -1);
	assert_int_equal(vsim_parse_duration("0s", &ms), -1);
	assert_int_equal(vsim_parse_duration("-5m", &ms), -1);
	assert_int_equal(vsim_parse_duration("5w", &ms), -1);
	assert_int_equal(vsim_parse_duration("1.5h", &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed),
	    cmocka_unit_test(test_shortest),
	    cmocka_unit_test(test_round5),
	    cmocka_unit_test(test_builtin_routes),
	    cmocka_unit_test(test_route_errors),
	    cmocka_unit_test(test_rng),
	    cmocka_unit_test(test_vehicle_ids),
	    cmocka_unit_test(test_model_drive),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_emit_exact),
	    cmocka_unit_test(test_fleet_ticks),
	    cmocka_unit_test(test_fleet_determinism),
	    cmocka_unit_test(test_fleet_trip_end),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests_name(
	    "vsim", tests, setup_routes, teardown_routes);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests for the vnorm transform (normalize.c) and --merge (merge.c). */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "cmd/vnorm/merge.h"
#include "cmd/vnorm/normalize.h"
#include "tests/unit/jquote.h"

/* JSON in this file is written with single quotes (tests/unit/jquote.h):
 * every expect_*, norm* and feed helper passes it through J().  Text the
 * program wrote (its own output) and the data files go to the *_raw
 * helpers and check_merged(), unconverted. */
#define TS0 "'timestamp':'1970-01-01T00:00:00.000Z'"
#define T19 "'timestamp':'2019-06-15T11:39:17.632Z'"

/* ---- fixture: a transform with its warnings collected ---- */

struct fx {
	struct vnorm *vn;
	struct vnorm_conf conf;
	struct arena *a;
	struct buf out; /* the emitted document */
	struct buf warnings; /* "msg\n" per warning */
	unsigned nwarn;
	struct vdoc doc;
	const char *in; /* the text last normalized, for messages */
	bool soft; /* in a table loop: failures are counted, see FAIL */
	int nfail;
};

/*
 * A failed expectation, printed with its case.  Outside a table loop the
 * test stops here; inside one (between table_begin() and table_end()) the
 * helper returns and the loop goes on, so that one failing case does not
 * hide the others, and table_end() fails with the count.
 */
#define FAIL(fx, ...)                                                          \
	do {                                                                   \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                             \
		if (!(fx)->soft)                                               \
			fail();                                                \
		(fx)->nfail++;                                                 \
	} while (0)

static void
table_begin(struct fx *fx)
{
	fx->soft = true;
	fx->nfail = 0;
}

static void
table_end(struct fx *fx)
{
	fx->soft = false;
	if (fx->nfail > 0)
		fail_msg("%d failed cases, printed above", fx->nfail);
}

static void
collect_warning(void *arg, const char *msg)
{
	struct fx *fx = arg;

	buf_adds(&fx->warnings, msg);
	buf_addc(&fx->warnings, '\n');
	fx->nwarn++;
}

static void
fx_configure(struct fx *fx, bool drop_unknown, bool vin_from_topic)
{
	vnorm_free(fx->vn);
	memset(&fx->conf, 0, sizeof(fx->conf));
	fx->conf.drop_unknown = drop_unknown;
	fx->conf.vin_from_topic = vin_from_topic;
	fx->conf.warn = collect_warning;
	fx->conf.warn_arg = fx;
	fx->vn = vnorm_new(&fx->conf);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->a = arena_new();
	fx_configure(fx, false, false);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	vnorm_free(fx->vn);
	arena_free(fx->a);
	buf_free(&fx->out);
	buf_free(&fx->warnings);
	free(fx);
	jquote_free();
	return 0;
}

/* Normalize one JSON text: NULL and the document in fx->out, or the
 * reject reason.  Warnings of this record only. */
static const char *
norm_raw(struct fx *fx, const char *in, bool es_id)
{
	struct jval *root;
	struct jsonx_error err;
	const char *why;

	arena_reset(fx->a);
	buf_reset(&fx->out);
	buf_reset(&fx->warnings);
	fx->nwarn = 0;
	fx->in = in;
	if (jsonx_parse(fx->a, in, strlen(in), &root, &err) != JSONX_OK)
		fail_msg("test input is not JSON: %s (%s at %zu)", in,
		    err.detail ? err.detail : "-", err.offset);
	why = vnorm_transform(fx->vn, fx->a, root, &fx->doc);
	if (why == NULL)
		vnorm_emit(&fx->out, &fx->doc, es_id);
	buf_cstr(&fx->out);
	buf_cstr(&fx->warnings);
	return why;
}

static const char *
norm_es(struct fx *fx, const char *in, bool es_id)
{
	return norm_raw(fx, J(in), es_id);
}

static const char *
norm(struct fx *fx, const char *in)
{
	return norm_raw(fx, J(in), false);
}

/* in gives exactly want; want is a fixed point (idempotency) that
 * normalizes again without a warning. */
static void
expect_doc_raw(struct fx *fx, const char *in, const char *want)
{
	const char *why = norm_raw(fx, in, false);
	char *first;

	if (why != NULL) {
		FAIL(fx, "%s\n  rejected: %s", in, why);
		return;
	}
	if (strcmp(fx->out.data, want) != 0) {
		FAIL(fx, "%s\n  gave %s\n  want %s", in, fx->out.data, want);
		return;
	}
	first = strdup(fx->out.data);
	assert_non_null(first);
	buf_reset(&fx->warnings);
	why = norm_raw(fx, first, false);
	if (why != NULL)
		FAIL(
		    fx, "not idempotent: %s\n  rejected again: %s", first, why);
	else if (strcmp(fx->out.data, first) != 0)
		FAIL(fx, "not idempotent: %s\n  gave %s", first, fx->out.data);
	else if (fx->nwarn != 0)
		FAIL(
		    fx, "own output %s\n  warns: %s", first, fx->warnings.data);
	free(first);
	/* the warnings reported are those of in */
	(void)norm_raw(fx, in, false);
}

static void
expect_doc(struct fx *fx, const char *in, const char *want)
{
	expect_doc_raw(fx, J(in), J(want));
}

static void
expect_reject(struct fx *fx, const char *in, const char *reason)
{
	const char *why;

	in = J(in);
	why = norm_raw(fx, in, false);
	if (why == NULL)
		FAIL(fx, "%s\n  not rejected (want %s): %s", in, reason,
		    fx->out.data);
	else if (strcmp(why, reason) != 0)
		FAIL(fx, "%s\n  rejected '%s', want '%s'", in, why, reason);
}

/* The warnings of the last text normalized include msg. */
static void
expect_warning(struct fx *fx, const char *msg)
{
	if (strstr(fx->warnings.data ? fx->warnings.data : "", msg) == NULL)
		FAIL(fx, "%s\n  no warning '%s' (have: %s)", fx->in, msg,
		    fx->warnings.data ? fx->warnings.data : "none");
}

/* The last text normalized gave n warnings. */
static void
expect_nwarn(struct fx *fx, unsigned n)
{
	if (fx->nwarn != n)
		FAIL(fx, "%s\n  %u warnings, want %u: %s", fx->in, fx->nwarn, n,
		    fx->warnings.data ? fx->warnings.data : "");
}

/* The last document normalized is telemetry of signal sig. */
static void
expect_signal(struct fx *fx, const char *sig)
{
	size_t n = strlen(sig);

	if (fx->doc.signal == NULL || fx->doc.signallen < n ||
	    memcmp(fx->doc.signal, sig, n) != 0)
		FAIL(fx, "%s\n  signal %.*s, want %s", fx->in,
		    fx->doc.signal ? (int)fx->doc.signallen : 4,
		    fx->doc.signal ? fx->doc.signal : "none", sig);
}

/* The document of in contains frag. */
static void
expect_has(struct fx *fx, const char *in, const char *frag)
{
	const char *why;

	in = J(in);
	frag = J(frag);
	why = norm_raw(fx, in, false);
	if (why != NULL)
		FAIL(fx, "%s\n  rejected: %s", in, why);
	else if (strstr(fx->out.data, frag) == NULL)
		FAIL(fx, "%s\n  gave %s\n  without %s", in, fx->out.data, frag);
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- keys ---- */

static void
test_canon_key(void **state)
{
	static const char *const cases[][2] = {
	    {"VIN", "vin"},
	    {"tripId", "trip_id"},
	    {"Vehicle Speed", "vehicle_speed"},
	    {"acceleratorPedalPos", "accelerator_pedal_pos"},
	    {"Fuel-Level", "fuel_level"},
	    {"@timestamp", "timestamp"},
	    {"VINNumber", "vin_number"},
	    {"trip_id", "trip_id"},
	    {"engineRPM", "engine_rpm"},
	    {"HTTPServerError", "http_server_error"},
	    {"oilTemp2", "oil_temp2"},
	    {"temp2C", "temp2_c"},
	    {"__x__", "x"},
	    {"a--b", "a_b"},
	    {"  Speed (km/h) ", "speed_km_h"},
	    {"GPS_Lat", "gps_lat"},
	    {"fuelLevel%", "fuel_level"},
	    {"_id_", "id"},
	    {"@@x", "x"},
	    {"@", ""},
	    {"", ""},
	    {"\xC3\x84nderung", "nderung"},
	    {"A", "a"},
	    {"aB", "a_b"},
	    {"ABc", "a_bc"},
	    {"X1Y", "x1_y"},
	    {"acelerator_position", "acelerator_position"},
	};
	struct fx *fx = *state;
	struct buf b = BUF_INIT;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vnorm_canon_key(cases[i][0], strlen(cases[i][0]), &b);
		buf_cstr(&b);
		if (strcmp(b.data, cases[i][1]) != 0)
			FAIL(fx, "'%s' -> '%s', want '%s'", cases[i][0], b.data,
			    cases[i][1]);
	}
	table_end(fx);
	/* NUL bytes are just characters outside [a-z0-9] */
	vnorm_canon_key("a\0B", 3, &b);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a_b", 3);
	buf_free(&b);
}

/* Every alias of vnorm(1) "Field names", as a snapshot field. */
static void
test_aliases(void **state)
{
	static const char *const cases[][2] = {
	    {"'ts':1,'speed':5", "'timestamp':'1970-01-01T00:00:01.000Z'"},
	    {"'time':1,'speed':5", "'timestamp':'1970-01-01T00:00:01.000Z'"},
	    {"'@timestamp':1,'speed':5",
		"'timestamp':'1970-01-01T00:00:01.000Z'"},
	    {"'Timestamp':1,'speed':5",
		"'timestamp':'1970-01-01T00:00:01.000Z'"},
	    {"'ts':0,'tripId':'t','speed':5", "'trip_id':'t'"},
	    {"'ts':0,'tripid':'t','speed':5", "'trip_id':'t'"},
	    {"'ts':0,'TripID':'t','speed':5", "'trip_id':'t'"},
	    {"'ts':0,'deviceId':'d','speed':5", "'device_id':'d'"},
	    {"'ts':0,'deviceid':'d','speed':5", "'device_id':'d'"},
	    {"'ts':0,'_id_':'d','speed':5", "'device_id':'d'"},
	    {"'ts':0,'routeId':'r','speed':5", "'route_id':'r'"},
	    {"'ts':0,'routeid':'r','speed':5", "'route_id':'r'"},
	    {"'ts':0,'route':'r','speed':5", "'route_id':'r'"},
	    {"'ts':0,'speed':5", "'vehicle_speed':5"},
	    {"'ts':0,'vehicleSpeed':5", "'vehicle_speed':5"},
	    {"'ts':0,'rpm':5", "'engine_speed':5"},
	    {"'ts':0,'engineRPM':5", "'engine_speed':5"},
	    {"'ts':0,'engineSpeed':5", "'engine_speed':5"},
	    {"'ts':0,'torque':5", "'torque_at_transmission':5"},
	    {"'ts':0,'torqueAtTransmission':5", "'torque_at_transmission':5"},
	    {"'ts':0,'acceleratorPedalPos':5",
		"'accelerator_pedal_position':5"},
	    {"'ts':0,'accelerator_position':5",
		"'accelerator_pedal_position':5"},
	    {"'ts':0,'Acelerator Position':5",
		"'accelerator_pedal_position':5"},
	    {"'ts':0,'throttlePosition':5", "'accelerator_pedal_position':5"},
	    {"'ts':0,'throttle':5", "'accelerator_pedal_position':5"},
	    {"'ts':0,'brakePosition':5", "'brake':5"},
	    {"'ts':0,'brake_pedal_position':5", "'brake':5"},
	    {"'ts':0,'brake':5", "'brake':5"},
	    {"'ts':0,'brakePedalStatus':true", "'brake_pedal_status':true"},
	    {"'ts':0,'parkingBrake':true", "'parking_brake_status':true"},
	    {"'ts':0,'parkingBrakeStatus':false",
		"'parking_brake_status':false"},
	    {"'ts':0,'steeringAngle':5", "'steering_wheel_angle':5"},
	    {"'ts':0,'steeringWheelAngle':5", "'steering_wheel_angle':5"},
	    {"'ts':0,'Acceleration':5", "'acceleration':5"},
	    {"'ts':0,'gearPosition':'first'",
		"'transmission_gear_position':'first'"},
	    {"'ts':0,'transmissionGearPosition':'first'",
		"'transmission_gear_position':'first','transmission_gear':1"},
	    {"'ts':0,'transmission_gear':2", "'transmission_gear':2"},
	    {"'ts':0,'transmissionGearInt':2",
		"'transmission_gear_position':'second','transmission_gear':2"},
	    {"'ts':0,'gear':2", "'transmission_gear':2"},
	    {"'ts':0,'gearLever':'Park'", "'gear_lever_position':'park'"},
	    {"'ts':0,'gearLeverPosition':'park'",
		"'gear_lever_position':'park'"},
	    {"'ts':0,'ignition':'Run'", "'ignition_status':'run'"},
	    {"'ts':0,'ignitionStatus':'run'", "'ignition_status':'run'"},
	    {"'ts':0,'odometer':5", "'odometer':5"},
	    {"'ts':0,'fuelLevel':5", "'fuel_level':5"},
	    {"'ts':0,'fuelConsumedSinceRestart':5",
		"'fuel_consumed_since_restart':5"},
	    {"'ts':0,'fuel_consumed_since_start':5",
		"'fuel_consumed_since_restart':5"},
	    {"'ts':0,'fuelConsumed':5", "'fuel_consumed_since_restart':5"},
	    {"'ts':0,'oilTemp':5", "'oil_temp':5"},
	    {"'ts':0,'oil_temperature':5", "'oil_temp':5"},
	    {"'ts':0,'engineOilTemperature':5", "'oil_temp':5"},
	    {"'ts':0,'lat':5", "'latitude':5"},
	    {"'ts':0,'Latitude':5", "'latitude':5"},
	    {"'ts':0,'lon':5", "'longitude':5"},
	    {"'ts':0,'lng':5", "'longitude':5"},
	    {"'ts':0,'long':5", "'longitude':5"},
	    {"'ts':0,'Longitude':5", "'longitude':5"},
	    {"'ts':0,'position':[1,2]", "'location':{'lat':2,'lon':1}"},
	    {"'ts':0,'geo':[1,2]", "'location':{'lat':2,'lon':1}"},
	    {"'ts':0,'Location':[1,2]", "'location':{'lat':2,'lon':1}"},
	    {"'ts':0,'speed':1,'dtcCode':'p1'", "'dtc':'P1'"},
	    {"'ts':0,'speed':1,'DTC':'p1'", "'dtc':'P1'"},
	    {"'ts':0,'speed':1,'startTime':0",
		"'start_time':'1970-01-01T00:00:00.000Z'"},
	    {"'ts':0,'speed':1,'end_time':0",
		"'end_time':'1970-01-01T00:00:00.000Z'"},
	    {"'ts':0,'speed':1,'vehicleSpeedMean':1.50",
		"'vehicle_speed_mean':1.50"},
	    {"'ts':0,'speed':1,'engine_speed_mean':1.50",
		"'engine_speed_mean':1.50"},
	    {"'ts':0,'speed':1,'torqueAtTransmissionMean':1",
		"'torque_at_transmission_mean':1"},
	    {"'ts':0,'speed':1,'oilTempMean':1", "'oil_temp_mean':1"},
	    {"'ts':0,'speed':1,'acceleratorPedalPositionMean':1",
		"'accelerator_pedal_position_mean':1"},
	    {"'ts':0,'speed':1,'brakeMean':1", "'brake_mean':1"},
	    {"'ts':0,'speed':1,'highSpeedDuration':61234.000000",
		"'high_speed_duration':61234.000000"},
	    {"'ts':0,'speed':1,'idleDuration':1", "'idle_duration':1"},
	    {"'ts':0,'speed':1,'highAccelerationEvent':1",
		"'high_acceleration_event':1"},
	    {"'ts':0,'speed':1,'highBrakingEvent':1", "'high_braking_event':1"},
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&in);
		buf_printf(&in, "{'vin':'V',%s}", cases[i][0]);
		expect_has(fx, buf_cstr(&in), cases[i][1]);
		expect_nwarn(fx, 0);
	}
	table_end(fx);
	/* VIN in any case */
	expect_has(fx, "{'VIN':'V1','ts':0,'speed':1}", "'vin':'V1'");
	expect_has(fx, "{'Vin':'V1','ts':0,'speed':1}", "'vin':'V1'");
	buf_free(&in);
}

/* The full output shape: fixed field order, whatever the input order. */
static void
test_output_order(void **state)
{
	struct fx *fx = *state;

	expect_doc(fx,
	    "{'extra':{'z':1},'dtc':'x','location':[2,1],"
	    "'oil_temp':1,'route':'r','speed':3,'kind':'snapshot',"
	    "'deviceId':'d','tripId':'t','vin':'V','ts':0,"
	    "'start_time':0,'high_braking_event':2}",
	    "{" TS0 ",'vin':'V','trip_id':'t','device_id':'d',"
	    "'route_id':'r','kind':'snapshot','vehicle_speed':3,"
	    "'oil_temp':1,'location':{'lat':1,'lon':2},'dtc':'X',"
	    "'start_time':'1970-01-01T00:00:00.000Z',"
	    "'high_braking_event':2,'extra':{'z':1}}");
	assert_string_equal(vnorm_field_name(F_VEHICLE_SPEED), "vehicle_speed");
	assert_string_equal(vnorm_field_name(F_EXTRA), "extra");
	assert_string_equal(vnorm_kind_name(K_SNAPSHOT), "snapshot");
	assert_string_equal(vnorm_kind_name(K_TELEMETRY), "telemetry");
	assert_true(vnorm_field_is_signal(F_VEHICLE_SPEED));
	assert_true(vnorm_field_is_signal(F_LOCATION));
	assert_false(vnorm_field_is_signal(F_DTC));
	assert_false(vnorm_field_is_signal(F_KIND));
}

/* ---- kinds ---- */

static void
test_kinds(void **state)
{
	struct fx *fx = *state;

	/* name -> telemetry with that signal */
	expect_doc(fx,
	    "{'timestamp':'2019-06-15 11:39:17.632000000','trip_id':"
	    "'t1','vin':'V','name':'vehicle_speed','value':22.93}",
	    "{" T19 ",'vin':'V','trip_id':'t1','kind':'telemetry',"
	    "'vehicle_speed':22.93}");
	assert_int_equal(fx->doc.kind, K_TELEMETRY);
	assert_int_equal(fx->doc.signallen, 13);
	assert_memory_equal(fx->doc.signal, "vehicle_speed", 13);
	/* signal names are canonicalized and aliased */
	expect_doc(fx, "{'vin':'V','ts':0,'name':'Engine RPM','value':1}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','engine_speed':1}");
	/* location, dtc, trip */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'location','latitude':1,"
	    "'longitude':2}",
	    "{" TS0 ",'vin':'V','kind':'location','location':"
	    "{'lat':1,'lon':2}}");
	expect_doc(fx, "{'vin':'V','ts':0,'name':'DTC','value':'p0171'}",
	    "{" TS0 ",'vin':'V','kind':'dtc','dtc':'P0171'}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'aggregated_telemetrics',"
	    "'idle_duration':682}",
	    "{" TS0 ",'vin':'V','kind':'trip','idle_duration':682}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'aggregatedTelemetry',"
	    "'idle_duration':682}",
	    "{" TS0 ",'vin':'V','kind':'trip','idle_duration':682}");
	/* a trip message needs no signal */
	expect_doc(fx, "{'vin':'V','ts':0,'name':'aggregated_telemetrics'}",
	    "{" TS0 ",'vin':'V','kind':'trip'}");
	/* no name: a kind field, or snapshot */
	expect_doc(fx, "{'vin':'V','ts':0,'kind':'trip','odometer':1}",
	    "{" TS0 ",'vin':'V','kind':'trip','odometer':1}");
	expect_doc(fx, "{'vin':'V','ts':0,'odometer':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','odometer':1}");
	/* an unknown kind is kept in extra, the document is a snapshot */
	expect_doc(fx, "{'vin':'V','ts':0,'kind':'weird','odometer':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','odometer':1,"
	    "'extra':{'kind':'weird'}}");
	expect_doc(fx, "{'vin':'V','ts':0,'kind':7,'odometer':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','odometer':1,"
	    "'extra':{'kind':7}}");
	/* only a snapshot inferred from shape needs a signal: one that
	 * says so is vnorm's own (a --merge group of unknown signals) */
	expect_reject(
	    fx, "{'vin':'V','ts':0,'headlamp':true}", "no telemetry fields");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'kind':'snapshot',"
	    "'extra':{'headlamp':true}}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'extra':{'headlamp':true}}");
	/* kind telemetry without a name: the signal is the field present */
	expect_doc(fx, "{'vin':'V','ts':0,'kind':'telemetry','rpm':3}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','engine_speed':3}");
	assert_memory_equal(fx->doc.signal, "engine_speed", 12);
	/* read as strictly as a named one */
	expect_reject(fx, "{'vin':'V','ts':0,'kind':'telemetry','rpm':null}",
	    "null value");
	expect_reject(fx, "{'vin':'V','ts':0,'kind':'telemetry','lat':91}",
	    "latitude out of range");
	/* a latitude signal with a longitude rider: the same document on
	 * every pass, named or not */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'latitude','value':38,"
	    "'longitude':-77}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','latitude':38,"
	    "'longitude':-77}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'kind':'telemetry','latitude':38,"
	    "'longitude':-77}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','latitude':38,"
	    "'longitude':-77}");
	/* a location as the only field */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'kind':'telemetry',"
	    "'location':[-77,38]}",
	    "{" TS0 ",'vin':'V','kind':'telemetry',"
	    "'location':{'lat':38,'lon':-77}}");
	assert_memory_equal(fx->doc.signal, "location", 8);
}

/* Own output read again: every kind and shape is a fixed point. */
static void
test_idempotent_own_output(void **state)
{
	static const char *const in[] = {
	    "{'vin':'V','ts':0,'name':'headlamp_status','value':true}",
	    "{'vin':'V','ts':0,'name':'headlamp_status','value':true,"
	    "'other':1}",
	    "{'vin':'V','ts':0,'name':'gear','value':'drive'}",
	    "{'vin':'V','ts':0,'name':'gear','value':3}",
	    "{'vin':'V','ts':0,'name':'transmission_gear_position',"
	    "'value':'first'}",
	    "{'vin':'V','ts':0,'name':'latitude','value':38.9}",
	    "{'vin':'V','ts':0,'name':'dtc','value':'p1','x':[1]}",
	    "{'vin':'V','ts':0,'name':'location','value':[1,2]}",
	    "{'vin':'V','ts':0,'transmission_gear_position':'first',"
	    "'transmission_gear':1}",
	    "{'vin':'V','ts':0,'odometer':1,'value':5,'extra':3}",
	    "{'vin':'V','ts':0,'odometer':1,'extra':{'extra':{}}}",
	    "{'@metadata':{'a':[1,{'b':80.3}]},'vin':'V','ts':0,"
	    "'odometer':1}",
	};
	struct fx *fx = *state;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *first;
		const char *why = norm(fx, in[i]);

		if (why != NULL) {
			FAIL(fx, "%s: %s", in[i], why);
			continue;
		}
		first = strdup(fx->out.data);
		assert_non_null(first);
		expect_doc_raw(fx, J(in[i]), first);
		free(first);
	}
	table_end(fx);
}

/* ---- values (vnorm(1) "Values") ---- */

static void
test_numbers_verbatim(void **state)
{
	static const char *const nums[] = {
	    "80.3",
	    "1.184e2",
	    "-0.0",
	    "61234.000000",
	    "123456789012345678901234567890",
	    "9007199254740993",
	    "0",
	    "-5",
	    "1E+2",
	};
	static const char *const strs[][2] = {
	    {"'118.4'", "118.4"},
	    {"'  118.4 \\t'", "118.4"},
	    {"'1.184e2'", "1.184e2"},
	    {"'-0'", "-0"},
	};
	static const char *const bad[] = {
	    "'NaN'",
	    "'0x1A'",
	    "'1,5'",
	    "'+5'",
	    "'.5'",
	    "'05'",
	    "true",
	    "false",
	    "{}",
	    "[]",
	    "[1]",
	    "1e400",
	    "-1e400",
	    "'1e400'",
	    "''",
	    "' '",
	    "'Infinity'",
	    "'inf'",
	    "'5 km'",
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT, want = BUF_INIT;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		buf_reset(&in);
		buf_printf(&in, "{'vin':'V','ts':0,'name':'speed','value':%s}",
		    nums[i]);
		buf_reset(&want);
		buf_printf(&want,
		    "{" TS0 ",'vin':'V','kind':'telemetry',"
		    "'vehicle_speed':%s}",
		    nums[i]);
		expect_doc(fx, buf_cstr(&in), buf_cstr(&want));
	}
	table_end(fx);
	table_begin(fx);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		buf_reset(&in);
		buf_printf(&in, "{'vin':'V','ts':0,'odometer':%s}", strs[i][0]);
		buf_reset(&want);
		buf_printf(&want,
		    "{" TS0 ",'vin':'V','kind':'snapshot',"
		    "'odometer':%s}",
		    strs[i][1]);
		expect_doc(fx, buf_cstr(&in), buf_cstr(&want));
	}
	table_end(fx);
	table_begin(fx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* strict: the telemetry value */
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'odometer','value':%s}", bad[i]);
		expect_reject(fx, buf_cstr(&in), "bad value");
		/* lenient: a snapshot field */
		buf_reset(&in);
		buf_printf(
		    &in, "{'vin':'V','ts':0,'speed':1,'odometer':%s}", bad[i]);
		expect_doc(fx, buf_cstr(&in),
		    "{" TS0 ",'vin':'V','kind':'snapshot',"
		    "'vehicle_speed':1}");
		expect_warning(fx, "dropped field odometer: ");
		expect_nwarn(fx, 1);
	}
	table_end(fx);
	/* a long plain decimal is finite up to about 308 digits */
	buf_reset(&in);
	buf_adds(&in, "{'vin':'V','ts':0,'name':'odometer','value':");
	for (i = 0; i < 400; i++)
		buf_addc(&in, '9');
	buf_addc(&in, '}');
	expect_reject(fx, buf_cstr(&in), "bad value");
	buf_free(&in);
	buf_free(&want);
}

static void
test_booleans(void **state)
{
	static const char *const yes[] = {
	    "true",
	    "1",
	    "1.0",
	    "'true'",
	    "'TRUE'",
	    "' yes '",
	    "'On'",
	    "'1'",
	};
	static const char *const no[] = {
	    "false",
	    "0",
	    "-0",
	    "0.0",
	    "'false'",
	    "'No'",
	    "'OFF'",
	    "'0'",
	    "'\\tfalse\\n'",
	};
	static const char *const bad[] = {
	    "2",
	    "-1",
	    "0.5",
	    "'maybe'",
	    "''",
	    "'y'",
	    "'t'",
	    "[]",
	    "{}",
	    "'1.0'",
	    "'truex'",
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'brakePedalStatus',"
		    "'value':%s}",
		    yes[i]);
		expect_doc(fx, buf_cstr(&in),
		    "{" TS0 ",'vin':'V','kind':'telemetry',"
		    "'brake_pedal_status':true}");
	}
	table_end(fx);
	table_begin(fx);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'parking_brake',"
		    "'value':%s}",
		    no[i]);
		expect_doc(fx, buf_cstr(&in),
		    "{" TS0 ",'vin':'V','kind':'telemetry',"
		    "'parking_brake_status':false}");
	}
	table_end(fx);
	table_begin(fx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'brake_pedal_status',"
		    "'value':%s}",
		    bad[i]);
		expect_reject(fx, buf_cstr(&in), "bad value");
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'speed':1,"
		    "'brake_pedal_status':%s}",
		    bad[i]);
		expect_doc(fx, buf_cstr(&in),
		    "{" TS0 ",'vin':'V','kind':'snapshot',"
		    "'vehicle_speed':1}");
		expect_warning(fx, "dropped field brake_pedal_status: ");
	}
	table_end(fx);
	buf_free(&in);
}

static void
test_gears(void **state)
{
	static const char *const cases[][2] = {
	    {"'first'",
		"'transmission_gear_position':'first','transmission_gear':1"},
	    {"' Third '",
		"'transmission_gear_position':'third','transmission_gear':3"},
	    {"'NEUTRAL'",
		"'transmission_gear_position':'neutral','transmission_gear':0"},
	    {"'reverse'",
		"'transmission_gear_position':'reverse','transmission_gear':-1"},
	    {"'tenth'",
		"'transmission_gear_position':'tenth','transmission_gear':10"},
	    {"'drive'", "'transmission_gear_position':'drive'"},
	    {"'eleventh'", "'transmission_gear_position':'eleventh'"},
	    {"3", "'transmission_gear_position':'third','transmission_gear':3"},
	    {"3.0",
		"'transmission_gear_position':'third','transmission_gear':3"},
	    {"'3'",
		"'transmission_gear_position':'third','transmission_gear':3"},
	    {"' 4 '",
		"'transmission_gear_position':'fourth','transmission_gear':4"},
	    {"0",
		"'transmission_gear_position':'neutral','transmission_gear':0"},
	    {"-0",
		"'transmission_gear_position':'neutral','transmission_gear':0"},
	    {"-1",
		"'transmission_gear_position':'reverse','transmission_gear':-1"},
	    {"10",
		"'transmission_gear_position':'tenth','transmission_gear':10"},
	    {"1e1",
		"'transmission_gear_position':'tenth','transmission_gear':10"},
	};
	static const char *const bad[] = {
	    "11",
	    "-2",
	    "2.5",
	    "'2.5'",
	    "''",
	    "true",
	    "null",
	    "[]",
	    "1e400",
	};
	static const char *const names[] = {
	    "gear",
	    "transmission_gear_position",
	    "transmissionGear",
	    "gear_position",
	    "transmission_gear_int",
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT, want = BUF_INIT;
	size_t i, k;

	table_begin(fx);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			buf_reset(&in);
			buf_printf(&in,
			    "{'vin':'V','ts':0,'name':'%s',"
			    "'value':%s}",
			    names[k], cases[i][0]);
			buf_reset(&want);
			buf_printf(&want,
			    "{" TS0 ",'vin':'V','kind':'telemetry',%s}",
			    cases[i][1]);
			expect_doc(fx, buf_cstr(&in), buf_cstr(&want));
			expect_signal(fx, "transmission_gear");
			/* and as a snapshot field */
			buf_reset(&in);
			buf_printf(&in, "{'vin':'V','ts':0,'%s':%s}", names[k],
			    cases[i][0]);
			buf_reset(&want);
			buf_printf(&want,
			    "{" TS0 ",'vin':'V','kind':'snapshot',%s}",
			    cases[i][1]);
			expect_doc(fx, buf_cstr(&in), buf_cstr(&want));
		}
	}
	table_end(fx);
	table_begin(fx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&in);
		buf_printf(
		    &in, "{'vin':'V','ts':0,'name':'gear','value':%s}", bad[i]);
		expect_reject(fx, buf_cstr(&in),
		    strcmp(bad[i], "null") == 0 ? "null value" : "bad value");
	}
	table_end(fx);
	/* a word and a number are two fields, not a collision; neither is
	 * derived when both are given (vnorm(1) "Field names") */
	expect_doc(fx, "{'vin':'V','ts':0,'gear_position':'first','gear':2}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'transmission_gear_position':'first',"
	    "'transmission_gear':2}");
	assert_int_equal(fx->nwarn, 0);
	/* the thesis' document: gear as a number next to the word */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'Gear':4,'transmissionGearPosition':"
	    "'fourth'}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'transmission_gear_position':'fourth',"
	    "'transmission_gear':4}");
	assert_int_equal(fx->nwarn, 0);
	/* two words do collide */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'gear_position':'first',"
	    "'gear':'second'}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'transmission_gear_position':'second',"
	    "'transmission_gear':2}");
	expect_warning(fx, "key collision transmission_gear");
	/* a bad gear in a snapshot is dropped */
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'gear':11}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field transmission_gear: ");
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'gear':''}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field transmission_gear_position: ");
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'gear':null}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field transmission_gear: null");
	buf_free(&in);
	buf_free(&want);
}

static void
test_words_dtc_ids(void **state)
{
	struct fx *fx = *state;

	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'gear_lever_position',"
	    "'value':' Drive '}",
	    "{" TS0 ",'vin':'V','kind':'telemetry',"
	    "'gear_lever_position':'drive'}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'ignition_status',"
	    "'value':'RUN'}",
	    "{" TS0 ",'vin':'V','kind':'telemetry',"
	    "'ignition_status':'run'}");
	/* only ASCII letters change case */
	expect_doc(fx, "{'vin':'V','ts':0,'ignition':'\xC3\x89TAT \\'X\\''}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'ignition_status':'\xC3\x89tat \\'x\\''}");
	expect_reject(fx, "{'vin':'V','ts':0,'name':'ignition','value':' '}",
	    "bad value");
	expect_reject(
	    fx, "{'vin':'V','ts':0,'name':'ignition','value':1}", "bad value");
	/* dtc: trimmed, upper-cased, not checked */
	expect_doc(fx, "{'vin':'V','ts':0,'name':'dtc','value':' p0171 '}",
	    "{" TS0 ",'vin':'V','kind':'dtc','dtc':'P0171'}");
	expect_doc(fx, "{'vin':'V','ts':0,'name':'dtc','value':'1a2b'}",
	    "{" TS0 ",'vin':'V','kind':'dtc','dtc':'1A2B'}");
	expect_doc(fx, "{'vin':'V','ts':0,'name':'dtc','dtc':'u0100'}",
	    "{" TS0 ",'vin':'V','kind':'dtc','dtc':'U0100'}");
	expect_doc(fx, "{'vin':'V','ts':0,'kind':'dtc','dtc':'c0035'}",
	    "{" TS0 ",'vin':'V','kind':'dtc','dtc':'C0035'}");
	/* value and dtc both: value wins, with a warning */
	expect_has(fx,
	    "{'vin':'V','ts':0,'name':'dtc','value':'a',"
	    "'dtc':'b'}",
	    "'dtc':'A'");
	expect_warning(fx, "key collision dtc");
	/* ids: strings or integers, as strings */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'tripId':1234,'_id_':-5,"
	    "'routeId':'Mm3n-q_B','speed':1}",
	    "{" TS0 ",'vin':'V','trip_id':'1234','device_id':'-5',"
	    "'route_id':'Mm3n-q_B','kind':'snapshot',"
	    "'vehicle_speed':1}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'trip_id':123456789012345678901234567890,"
	    "'speed':1}",
	    "{" TS0 ",'vin':'V','trip_id':'123456789012345678901234567890',"
	    "'kind':'snapshot','vehicle_speed':1}");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'trip_id':1.5,'device_id':'',"
	    "'route_id':true,'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field trip_id: ");
	expect_warning(fx, "dropped field device_id: ");
	expect_warning(fx, "dropped field route_id: ");
	assert_int_equal(fx->nwarn, 3);
	expect_doc(fx, "{'vin':'V','ts':0,'trip_id':1e3,'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field trip_id: ");
	expect_doc(fx, "{'vin':'V','ts':0,'trip_id':null,'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field trip_id: null");
}

static void
test_vin(void **state)
{
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	int i;

	expect_has(fx, "{'vin':'  ux6fz I/O Q  ','ts':0,'speed':1}",
	    "'vin':'ux6fz I/O Q'");
	assert_int_equal(fx->doc.vinlen, 11);
	expect_has(fx, "{'vin':'V\\u00e9\\'','ts':0,'speed':1}",
	    "'vin':'V\xC3\xA9\\''");
	expect_reject(fx, "{'ts':0,'speed':1}", "missing vin");
	expect_reject(fx, "{'vin':null,'ts':0,'speed':1}", "missing vin");
	expect_reject(fx, "{'vin':123,'ts':0,'speed':1}", "invalid vin");
	expect_reject(fx, "{'vin':['V'],'ts':0,'speed':1}", "invalid vin");
	expect_reject(fx, "{'vin':'','ts':0,'speed':1}", "invalid vin");
	expect_reject(fx, "{'vin':'   ','ts':0,'speed':1}", "invalid vin");
	expect_reject(
	    fx, "{'vin':'A\\u0000B','ts':0,'speed':1}", "invalid vin");
	expect_reject(
	    fx, "{'vin':'A\\u001fB','ts':0,'speed':1}", "invalid vin");
	expect_reject(
	    fx, "{'vin':'A\\u007fB','ts':0,'speed':1}", "invalid vin");
	expect_reject(fx, "{'vin':'A\\nB','ts':0,'speed':1}", "invalid vin");
	/* 64 bytes fit, 65 do not */
	for (i = 64; i <= 65; i++) {
		buf_reset(&in);
		buf_printf(&in, "{'vin':'%0*d','ts':0,'speed':1}", i, 7);
		if (i == 64)
			expect_has(fx, buf_cstr(&in), "'vin':'000");
		else
			expect_reject(fx, buf_cstr(&in), "invalid vin");
	}
	buf_free(&in);
}

static void
test_timestamps(void **state)
{
	struct fx *fx = *state;

	expect_has(fx, "{'vin':'V','ts':1560598771.639,'speed':1}",
	    "'timestamp':'2019-06-15T11:39:31.639Z'");
	assert_int_equal(fx->doc.ts_ms, 1560598771639LL);
	expect_has(fx, "{'vin':'V','ts':'1560598771639','speed':1}",
	    "'timestamp':'2019-06-15T11:39:31.639Z'");
	expect_has(fx, "{'vin':'V','ts':' 1560598771639 ','speed':1}",
	    "'timestamp':'2019-06-15T11:39:31.639Z'");
	expect_has(fx, "{'vin':'V','ts':1560598771639123456,'speed':1}",
	    "'timestamp':'2019-06-15T11:39:31.639Z'");
	expect_has(fx, "{'vin':'V','ts':1.56e9,'speed':1}",
	    "'timestamp':'2019-06-08T13:20:00.000Z'");
	expect_has(fx,
	    "{'vin':'V','ts':' 2019-06-15 11:39:17,6329+00:00 ',"
	    "'speed':1}",
	    T19);
	expect_reject(fx, "{'vin':'V','speed':1}", "missing timestamp");
	expect_reject(
	    fx, "{'vin':'V','ts':null,'speed':1}", "missing timestamp");
	expect_reject(
	    fx, "{'vin':'V','ts':'yesterday','speed':1}", "bad timestamp");
	expect_reject(
	    fx, "{'vin':'V','ts':'2019-06-15','speed':1}", "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':'2019-02-29T00:00Z','speed':1}",
	    "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':true,'speed':1}", "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':{},'speed':1}", "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':'','speed':1}", "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':'0x10','speed':1}", "bad timestamp");
	expect_reject(fx, "{'vin':'V','ts':'1969-12-31T23:59:59Z','speed':1}",
	    "timestamp out of range");
	expect_reject(
	    fx, "{'vin':'V','ts':-1,'speed':1}", "timestamp out of range");
	expect_reject(
	    fx, "{'vin':'V','ts':1e400,'speed':1}", "timestamp out of range");
	expect_reject(fx, "{'vin':'V','ts':'2100-01-01 00:00','speed':1}",
	    "timestamp out of range");
	/* start_time/end_time are lenient */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'aggregated_telemetrics',"
	    "'start_time':'2019-06-15T11:39:15.535Z','end_time':'soon'}",
	    "{" TS0 ",'vin':'V','kind':'trip',"
	    "'start_time':'2019-06-15T11:39:15.535Z'}");
	expect_warning(fx, "dropped field end_time: bad timestamp");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'aggregated_telemetrics',"
	    "'end_time':-5}",
	    "{" TS0 ",'vin':'V','kind':'trip'}");
	expect_warning(fx, "dropped field end_time: timestamp out of range");
}

/* ---- location (vnorm(1) "Location") ---- */

static void
test_location_forms(void **state)
{
	static const char *const forms[] = {
	    "{'lat':38.9,'lon':-77.3}",
	    "{'latitude':38.9,'longitude':-77.3}",
	    "{'lat':38.9,'lng':-77.3}",
	    "{'Lat':38.9,'Long':-77.3}",
	    "{'lon':-77.3,'lat':38.9,'alt':5}",
	    "{'lat':' 38.9','lon':'-77.3 '}",
	    "{'type':'Point','coordinates':[-77.3,38.9]}",
	    "{'coordinates':[-77.3,38.9],'type':'Point'}",
	    "[-77.3,38.9]",
	    "[-77.3,38.9,12.5]",
	    "['-77.3','38.9']",
	    "'38.9,-77.3'",
	    "' 38.9 , -77.3 '",
	};
	static const char *const containers[] = {"location", "position", "geo"};
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	const char *want_loc = "'location':{'lat':38.9,'lon':-77.3}";
	size_t i, k;

	table_begin(fx);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		for (k = 0; k < 3; k++) {
			/* a snapshot field */
			buf_reset(&in);
			buf_printf(&in, "{'vin':'V','ts':0,'%s':%s}",
			    containers[k], forms[i]);
			expect_has(fx, buf_cstr(&in), want_loc);
			expect_nwarn(fx, 0);
		}
		/* a location message's value */
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'location','value':%s}",
		    forms[i]);
		buf_cstr(&in);
		expect_doc(fx, in.data,
		    "{" TS0 ",'vin':'V','kind':'location',"
		    "'location':{'lat':38.9,'lon':-77.3}}");
	}
	table_end(fx);
	/* top-level pairs */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'latitude':38.95618,'longitude':-77.39835}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'location':{'lat':38.95618,'lon':-77.39835}}");
	expect_doc(fx, "{'vin':'V','ts':0,'lng':-77.3,'lat':'38.9'}",
	    "{" TS0 ",'vin':'V','kind':'snapshot',"
	    "'location':{'lat':38.9,'lon':-77.3}}");
	/* a lone coordinate stays a plain number */
	expect_doc(fx, "{'vin':'V','ts':0,'latitude':38.9}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','latitude':38.9}");
	expect_doc(fx, "{'vin':'V','ts':0,'name':'longitude','value':-77.3}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','longitude':-77.3}");
	/* the container wins over a pair, with a warning */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'lat':1,'lon':2,'location':[-77.3,38.9]}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','location':"
	    "{'lat':38.9,'lon':-77.3}}");
	expect_warning(
	    fx, "ignored latitude/longitude: location container present");
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'location','lat':1,'lon':2,"
	    "'location':'38.9,-77.3'}",
	    "{" TS0 ",'vin':'V','kind':'location','location':"
	    "{'lat':38.9,'lon':-77.3}}");
	expect_warning(
	    fx, "ignored latitude/longitude: location container present");
	/* number texts kept */
	expect_has(fx, "{'vin':'V','ts':0,'location':[-77.398350,3.8956e1]}",
	    "'location':{'lat':3.8956e1,'lon':-77.398350}");
	/* the edges of the ranges are in */
	expect_has(fx, "{'vin':'V','ts':0,'location':[180,-90]}",
	    "'location':{'lat':-90,'lon':180}");
	expect_has(fx, "{'vin':'V','ts':0,'location':[-180,90]}",
	    "'location':{'lat':90,'lon':-180}");
	/* one coordinate zero is a fix */
	expect_has(fx, "{'vin':'V','ts':0,'location':[0,1]}",
	    "'location':{'lat':1,'lon':0}");
	buf_free(&in);
}

static void
test_location_rejects(void **state)
{
	static const char *const cases[][2] = {
	    {"[0,0]", "no GPS fix"},
	    {"[-0.0,0e0]", "no GPS fix"},
	    {"'0,0'", "no GPS fix"},
	    {"{'lat':0,'lon':0}", "no GPS fix"},
	    {"[0,91]", "latitude out of range"},
	    {"[0,-90.0001]", "latitude out of range"},
	    {"[181,1]", "longitude out of range"},
	    {"{'lat':1,'lon':-180.5}", "longitude out of range"},
	    {"[200,100]", "latitude out of range"},
	    {"'dqcjqcp'", "bad location"},
	    {"'38.9'", "bad location"},
	    {"'38.9,-77.3,1'", "bad location"},
	    {"'a,b'", "bad location"},
	    {"[1]", "bad location"},
	    {"[1,2,3,4]", "bad location"},
	    {"[1,'x']", "bad location"},
	    {"[1,2,'x']", "bad location"},
	    {"[1,1e400]", "bad location"},
	    {"[1,'NaN']", "bad location"},
	    {"{'lat':1}", "bad location"},
	    {"{'lon':1}", "bad location"},
	    {"{'lat':true,'lon':1}", "bad location"},
	    {"{'x':1,'y':2}", "bad location"},
	    {"{'type':'LineString','coordinates':[1,2]}", "bad location"},
	    {"{'type':'Point','coordinates':{'lat':1,'lon':2}}",
		"bad location"},
	    {"{'type':'Point','coordinates':[1]}", "bad location"},
	    {"5", "bad location"},
	    {"true", "bad location"},
	    {"null", "null value"},
	};
	struct fx *fx = *state;
	struct buf in = BUF_INIT;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* strict in a location message */
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'name':'location','value':%s}",
		    cases[i][0]);
		expect_reject(fx, buf_cstr(&in), cases[i][1]);
		buf_reset(&in);
		buf_printf(&in,
		    "{'vin':'V','ts':0,'kind':'location',"
		    "'location':%s}",
		    cases[i][0]);
		expect_reject(fx, buf_cstr(&in), cases[i][1]);
		/* lenient in a snapshot */
		buf_reset(&in);
		buf_printf(&in, "{'vin':'V','ts':0,'speed':1,'location':%s}",
		    cases[i][0]);
		expect_doc(fx, buf_cstr(&in),
		    "{" TS0 ",'vin':'V','kind':'snapshot',"
		    "'vehicle_speed':1}");
		expect_warning(fx, "dropped field location: ");
	}
	table_end(fx);
	/* a location message without coordinates, or with one */
	expect_reject(
	    fx, "{'vin':'V','ts':0,'name':'location'}", "bad location");
	expect_reject(fx, "{'vin':'V','ts':0,'name':'location','latitude':1}",
	    "bad location");
	expect_reject(fx,
	    "{'vin':'V','ts':0,'name':'location','latitude':0,"
	    "'longitude':0}",
	    "no GPS fix");
	expect_reject(fx,
	    "{'vin':'V','ts':0,'name':'location','latitude':95,"
	    "'longitude':0}",
	    "latitude out of range");
	/* top-level lone coordinates are range-checked too */
	expect_reject(fx, "{'vin':'V','ts':0,'name':'latitude','value':95}",
	    "latitude out of range");
	expect_reject(fx, "{'vin':'V','ts':0,'name':'lon','value':-181}",
	    "longitude out of range");
	/* a top-level pair at (0,0) in a snapshot is dropped */
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'lat':0,'lon':0}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_warning(fx, "dropped field location: no GPS fix");
	/* and a snapshot with nothing else is then empty */
	expect_reject(
	    fx, "{'vin':'V','ts':0,'lat':0,'lon':0}", "no telemetry fields");
	buf_free(&in);
}

/* ---- strict and lenient, every reject reason ---- */

static void
test_reject_reasons(void **state)
{
	static const char *const cases[][2] = {
	    {"[1,2]", "not a JSON object"},
	    {"'x'", "not a JSON object"},
	    {"null", "not a JSON object"},
	    {"5", "not a JSON object"},
	    {"{'ts':0,'speed':1}", "missing vin"},
	    {"{'vin':5,'ts':0,'speed':1}", "invalid vin"},
	    {"{'vin':'V','speed':1}", "missing timestamp"},
	    {"{'vin':'V','ts':'x','speed':1}", "bad timestamp"},
	    {"{'vin':'V','ts':-5,'speed':1}", "timestamp out of range"},
	    {"{'vin':'V','ts':0,'name':5,'value':1}", "bad signal name"},
	    {"{'vin':'V','ts':0,'name':'','value':1}", "bad signal name"},
	    {"{'vin':'V','ts':0,'name':' @-','value':1}", "bad signal name"},
	    {"{'vin':'V','ts':0,'name':null,'value':1}", "bad signal name"},
	    {"{'vin':'V','ts':0,'name':'speed'}", "missing value"},
	    {"{'vin':'V','ts':0,'name':'headlamp'}", "missing value"},
	    {"{'vin':'V','ts':0,'kind':'telemetry'}", "missing value"},
	    {"{'vin':'V','ts':0,'name':'speed','value':null}", "null value"},
	    {"{'vin':'V','ts':0,'name':'headlamp','value':null}", "null value"},
	    {"{'vin':'V','ts':0,'name':'speed','value':'fast'}", "bad value"},
	    {"{'vin':'V','ts':0,'kind':'telemetry','speed':'x'}", "bad value"},
	    {"{'vin':'V','ts':0,'name':'location','value':'x'}",
		"bad location"},
	    {"{'vin':'V','ts':0,'name':'location','value':[0,-91]}",
		"latitude out of range"},
	    {"{'vin':'V','ts':0,'name':'location','value':[190,0]}",
		"longitude out of range"},
	    {"{'vin':'V','ts':0,'name':'location','value':[0,0]}",
		"no GPS fix"},
	    {"{'vin':'V','ts':0,'name':'dtc'}", "bad dtc"},
	    {"{'vin':'V','ts':0,'name':'dtc','value':''}", "bad dtc"},
	    {"{'vin':'V','ts':0,'name':'dtc','value':171}", "bad dtc"},
	    {"{'vin':'V','ts':0,'name':'dtc','value':null}", "null value"},
	    {"{'vin':'V','ts':0,'kind':'dtc'}", "bad dtc"},
	    {"{'vin':'V','ts':0}", "no telemetry fields"},
	    {"{'vin':'V','ts':0,'trip_id':'t','foo':1}", "no telemetry fields"},
	    {"{'vin':'V','ts':0,'speed':'x'}", "no telemetry fields"},
	    {"{'vin':'V','ts':0,'dtc':'P1'}", "no telemetry fields"},
	};
	struct fx *fx = *state;
	size_t i;

	table_begin(fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_reject(fx, cases[i][0], cases[i][1]);
	table_end(fx);
}

/* Bad extra fields riding on a telemetry message are lenient. */
static void
test_lenient_riders(void **state)
{
	struct fx *fx = *state;

	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'speed','value':5,"
	    "'odometer':'far','trip_id':'t','oil_temp':null}",
	    "{" TS0 ",'vin':'V','trip_id':'t','kind':'telemetry',"
	    "'vehicle_speed':5}");
	expect_warning(fx, "dropped field odometer: ");
	expect_warning(fx, "dropped field oil_temp: null");
	assert_int_equal(fx->nwarn, 2);
	/* a snapshot with one good and several bad fields */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'speed':'NaN','rpm':'1,5',"
	    "'fuelLevel':'99.5','brake_pedal_status':'maybe'}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','fuel_level':99.5}");
	expect_warning(fx, "dropped field vehicle_speed: ");
	expect_warning(fx, "dropped field engine_speed: ");
	expect_warning(fx, "dropped field brake_pedal_status: ");
	assert_int_equal(fx->nwarn, 3);
	/* the signal of a telemetry message and the same field as a rider */
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'name':'speed','value':2}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','vehicle_speed':2}");
	expect_warning(fx, "key collision vehicle_speed");
}

/* ---- unknown fields (vnorm(1) "Unknown fields") ---- */

static void
test_unknown_fields(void **state)
{
	struct fx *fx = *state;

	expect_doc(fx,
	    "{'vin':'V','ts':0,'headlampStatus':true,'Weird Key':1.50,"
	    "'speed':1,'n':{'deep':[1e400,-0.0,'\\u0000']},'z':null}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1,"
	    "'extra':{'headlampStatus':true,'Weird Key':1.50,"
	    "'n':{'deep':[1e400,-0.0,'\\u0000']},'z':null}}");
	/* an unknown signal of a telemetry message */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'headlamp_status','value':true}",
	    "{" TS0 ",'vin':'V','kind':'telemetry',"
	    "'extra':{'headlamp_status':true}}");
	assert_memory_equal(fx->doc.signal, "headlamp_status", 15);
	/* a known field that is not a signal, used as a signal name */
	expect_doc(fx, "{'vin':'V','ts':0,'name':'trip_id','value':'x'}",
	    "{" TS0 ",'vin':'V','kind':'telemetry',"
	    "'extra':{'trip_id':'x'}}");
	/* value of a trip or snapshot goes to extra */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'aggregated_telemetrics',"
	    "'value':[1,2]}",
	    "{" TS0 ",'vin':'V','kind':'trip',"
	    "'extra':{'value':[1,2]}}");
	expect_doc(fx, "{'vin':'V','ts':0,'speed':1,'Value':3}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1,"
	    "'extra':{'Value':3}}");
	/* an input extra is merged, in order, later keys winning in place */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'a':1,'extra':{'b':2,'a':3},"
	    "'c':4,'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1,"
	    "'extra':{'a':3,'b':2,'c':4}}");
	expect_doc(fx, "{'vin':'V','ts':0,'extra':{},'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	expect_doc(fx, "{'vin':'V','ts':0,'extra':[1],'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1,"
	    "'extra':{'extra':[1]}}");
	/* keys that need escaping, and NUL in keys */
	expect_doc(fx, "{'vin':'V','ts':0,'q\\'k\\u0000':1,'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1,"
	    "'extra':{'q\\'k\\u0000':1}}");
}

static void
test_drop_unknown(void **state)
{
	struct fx *fx = *state;

	fx_configure(fx, true, false);
	expect_doc(fx,
	    "{'vin':'V','ts':0,'headlamp':true,'extra':{'a':1},"
	    "'speed':1}",
	    "{" TS0 ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	assert_int_equal(fx->nwarn, 0);
	expect_reject(
	    fx, "{'vin':'V','ts':0,'headlamp':true}", "no telemetry fields");
	/* an unknown signal leaves nothing: a document vnorm itself would
	 * refuse ("missing value") is not written */
	expect_reject(fx,
	    "{'vin':'V','ts':0,'name':'headlamp_status',"
	    "'value':true}",
	    "no telemetry fields");
	/* unless known fields ride along */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'name':'headlamp_status',"
	    "'value':true,'odometer':5}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','odometer':5}");
	expect_reject(fx,
	    "{'vin':'V','ts':0,'kind':'telemetry',"
	    "'extra':{'headlamp_status':true}}",
	    "no telemetry fields");
	/* known signals are not affected */
	expect_doc(fx, "{'vin':'V','ts':0,'name':'rpm','value':1}",
	    "{" TS0 ",'vin':'V','kind':'telemetry','engine_speed':1}");
	fx_configure(fx, false, false);
}

/* ---- duplicates and collisions (vnorm(1) "Field names") ---- */

static void
test_duplicates(void **state)
{
	struct fx *fx = *state;

	expect_has(
	    fx, "{'vin':'V','ts':0,'speed':1,'speed':2}", "'vehicle_speed':2");
	expect_warning(fx, "duplicate key speed");
	assert_int_equal(fx->nwarn, 1);
	/* unknown duplicates: last value at the first position */
	expect_has(fx, "{'vin':'V','ts':0,'x':1,'y':2,'x':3,'speed':1}",
	    "'extra':{'x':3,'y':2}");
	expect_warning(fx, "duplicate key x");
	assert_int_equal(fx->nwarn, 1);
	/* the last vin wins */
	expect_has(fx, "{'vin':'A','vin':'B','ts':0,'speed':1}", "'vin':'B'");
	expect_warning(fx, "duplicate key vin");
	expect_has(fx,
	    "{'@metadata':{'a':1},'vin':'V','ts':0,'speed':1,"
	    "'@metadata':{'b':2}}",
	    "{'@metadata':{'b':2},");
	expect_warning(fx, "duplicate key @metadata");
}

static void
test_collisions(void **state)
{
	struct fx *fx = *state;

	expect_has(fx, "{'vin':'V','ts':0,'speed':1,'vehicleSpeed':2}",
	    "'vehicle_speed':2");
	expect_warning(fx, "key collision vehicle_speed");
	assert_int_equal(fx->nwarn, 1);
	expect_has(fx, "{'vin':'V','ts':5,'@timestamp':0,'speed':1}", TS0);
	expect_warning(fx, "key collision timestamp");
	expect_has(fx, "{'VIN':'A','vin':'B','ts':0,'speed':1}", "'vin':'B'");
	expect_warning(fx, "key collision vin");
	expect_has(fx, "{'vin':'V','ts':0,'location':[1,2],'geo':[3,4]}",
	    "'location':{'lat':4,'lon':3}");
	expect_warning(fx, "key collision location");
	expect_has(
	    fx, "{'vin':'V','ts':0,'lat':1,'latitude':2}", "'latitude':2");
	expect_warning(fx, "key collision latitude");
}

/* ---- @metadata ---- */

static void
test_metadata_passthrough(void **state)
{
	struct fx *fx = *state;

	/* first in the output wherever it was, re-emitted compactly with
	 * number texts kept */
	expect_doc(fx,
	    "{'vin':'V','ts':0,'speed':1,'@metadata': {'kafka': "
	    "{'offset':123456789012345678901234567890,'x':80.3,"
	    "'key':null,'headers':[{'k':'\\u00e9\\n'}]}}}",
	    "{'@metadata':{'kafka':{'offset':"
	    "123456789012345678901234567890,'x':80.3,'key':null,"
	    "'headers':[{'k':'\xC3\xA9\\n'}]}}," TS0
	    ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	/* any value, not only objects */
	expect_doc(fx, "{'@metadata':[1,'x'],'vin':'V','ts':0,'speed':1}",
	    "{'@metadata':[1,'x']," TS0
	    ",'vin':'V','kind':'snapshot','vehicle_speed':1}");
	/* kept on rejects too, for the reject record */
	expect_reject(fx,
	    "{'@metadata':{'mqtt':{'topic':'t'}},'ts':0,'speed':1}",
	    "missing vin");
	assert_non_null(fx->doc.meta.text);
	assert_int_equal(fx->doc.meta.len, strlen(J("{'mqtt':{'topic':'t'}}")));
	assert_memory_equal(
	    fx->doc.meta.text, J("{'mqtt':{'topic':'t'}}"), fx->doc.meta.len);
	/* nested "@metadata" is an ordinary unknown key */
	expect_has(fx, "{'vin':'V','ts':0,'speed':1,'x':{'@metadata':1}}",
	    "'extra':{'x':{'@metadata':1}}");
	expect_reject(fx, "{'@metadata':{}}", "missing vin");
	assert_non_null(fx->doc.meta.text);
}

static void
test_vin_from_topic(void **state)
{
	struct fx *fx = *state;

	expect_reject(fx,
	    "{'@metadata':{'mqtt':{'topic':'connectedcar/telemetry/"
	    "VIN9'}},'ts':0,'speed':1}",
	    "missing vin");
	fx_configure(fx, false, true);
	expect_doc(fx,
	    "{'@metadata':{'mqtt':{'topic':'connectedcar/telemetry/"
	    "VIN9'}},'ts':0,'speed':1}",
	    "{'@metadata':{'mqtt':{'topic':'connectedcar/telemetry/"
	    "VIN9'}}," TS0 ",'vin':'VIN9','kind':'snapshot',"
	    "'vehicle_speed':1}");
	/* a null vin counts as missing; the payload's vin wins */
	expect_has(fx,
	    "{'@metadata':{'mqtt':{'topic':'a/b'}},'vin':null,"
	    "'ts':0,'speed':1}",
	    "'vin':'b'");
	expect_has(fx,
	    "{'@metadata':{'mqtt':{'topic':'a/b'}},'vin':'P',"
	    "'ts':0,'speed':1}",
	    "'vin':'P'");
	expect_has(fx,
	    "{'@metadata':{'mqtt':{'topic':'VINONLY'}},'ts':0,"
	    "'speed':1}",
	    "'vin':'VINONLY'");
	/* a topic without a usable last segment, or none */
	expect_reject(fx,
	    "{'@metadata':{'mqtt':{'topic':'a/b/'}},'ts':0,"
	    "'speed':1}",
	    "invalid vin");
	expect_reject(fx, "{'@metadata':{'mqtt':{'topic':5}},'ts':0,'speed':1}",
	    "missing vin");
	expect_reject(
	    fx, "{'@metadata':{'mqtt':{}},'ts':0,'speed':1}", "missing vin");
	expect_reject(fx, "{'ts':0,'speed':1}", "missing vin");
	expect_reject(fx, "{'@metadata':5,'ts':0,'speed':1}", "missing vin");
	fx_configure(fx, false, false);
}

static void
test_es_id(void **state)
{
	struct fx *fx = *state;

	assert_null(norm_es(fx, "{'vin':'V','ts':1.5,'speed':1}", true));
	assert_string_equal(fx->out.data,
	    J("{'@metadata':{'es':{'_id':'1500:V:snapshot'}},"
	      "'timestamp':'1970-01-01T00:00:01.500Z','vin':'V',"
	      "'kind':'snapshot','vehicle_speed':1}"));
	assert_null(norm_es(
	    fx, "{'vin':'V','ts':0,'name':'Vehicle Speed','value':1}", true));
	assert_non_null(strstr(fx->out.data,
	    J("{'@metadata':{'es':{'_id':'0:V:telemetry:vehicle_speed'}},")));
	assert_null(norm_es(
	    fx, "{'vin':'V','ts':0,'name':'headlamp','value':1}", true));
	assert_non_null(
	    strstr(fx->out.data, J("'_id':'0:V:telemetry:headlamp'")));
	assert_null(
	    norm_es(fx, "{'vin':'V','ts':0,'name':'gear','value':1}", true));
	assert_non_null(
	    strstr(fx->out.data, J("'_id':'0:V:telemetry:transmission_gear'")));
	assert_null(
	    norm_es(fx, "{'vin':'V','ts':0,'name':'dtc','value':'x'}", true));
	assert_non_null(strstr(fx->out.data, J("'_id':'0:V:dtc'")));
	/* with other metadata, kept in order, es added last */
	assert_null(norm_es(fx,
	    "{'@metadata':{'mqtt':{'topic':'t'},'kafka':{'offset':"
	    "7}},'vin':'V','ts':0,'speed':1}",
	    true));
	assert_non_null(strstr(fx->out.data,
	    J("{'@metadata':{'mqtt':{'topic':'t'},'kafka':{'offset':7},"
	      "'es':{'_id':'0:V:snapshot'}},'timestamp'")));
	/* an existing es member keeps its other members, _id replaced */
	assert_null(norm_es(fx,
	    "{'@metadata':{'es':{'_index':'cars','_id':'old',"
	    "'pipeline':'p'},'x':1},'vin':'V','ts':0,'speed':1}",
	    true));
	assert_non_null(strstr(fx->out.data,
	    J("{'@metadata':{'es':{'_index':'cars','pipeline':'p',"
	      "'_id':'0:V:snapshot'},'x':1},'timestamp'")));
	/* an empty object, an es that is not an object */
	assert_null(
	    norm_es(fx, "{'@metadata':{},'vin':'V','ts':0,'speed':1}", true));
	assert_non_null(strstr(
	    fx->out.data, J("{'@metadata':{'es':{'_id':'0:V:snapshot'}},")));
	assert_null(norm_es(
	    fx, "{'@metadata':{'es':5},'vin':'V','ts':0,'speed':1}", true));
	assert_non_null(strstr(
	    fx->out.data, J("{'@metadata':{'es':{'_id':'0:V:snapshot'}},")));
	/* metadata that is not an object is not ours to reshape */
	assert_null(
	    norm_es(fx, "{'@metadata':'m','vin':'V','ts':0,'speed':1}", true));
	assert_non_null(strstr(fx->out.data, J("{'@metadata':'m',")));
	/* the vin in the id is escaped as JSON */
	assert_null(norm_es(fx, "{'vin':'a\\'b','ts':0,'speed':1}", true));
	assert_non_null(strstr(fx->out.data, J("'_id':'0:a\\'b:snapshot'")));
	/* every output parses as one JSON object */
	{
		struct arena *a = arena_new();
		struct jval *v;

		assert_int_equal(
		    jsonx_parse(a, fx->out.data, fx->out.len, &v, NULL),
		    JSONX_OK);
		assert_int_equal(v->type, J_OBJECT);
		arena_free(a);
	}
	/* --es-id twice gives the same id */
	{
		char *first;

		assert_null(norm_es(
		    fx, "{'vin':'V','ts':0,'name':'rpm','value':1}", true));
		first = strdup(fx->out.data);
		assert_non_null(first);
		assert_null(norm_raw(fx, first, true));
		assert_string_equal(fx->out.data, first);
		free(first);
	}
}

/* ---- the goldens, line by line ---- */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the top of the tree)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Next line of *p (NUL-terminated in place), or NULL at the end. */
static char *
next_line(char **p)
{
	char *s = *p, *nl;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static void
test_golden_normalized(void **state)
{
	struct fx *fx = *state;
	size_t len1, len2, n = 0;
	char *raw = read_file("tests/data/raw-vehicle-sample.ndjson", &len1);
	char *want =
	    read_file("tests/data/expected-normalized-sample.ndjson", &len2);
	char *pr = raw, *pw = want, *r, *w;

	table_begin(fx);
	while ((r = next_line(&pr)) != NULL) {
		w = next_line(&pw);
		assert_non_null(w);
		n++;
		/* expect_doc_raw also checks the fixed point */
		expect_doc_raw(fx, r, w);
	}
	table_end(fx);
	assert_null(next_line(&pw));
	assert_int_equal(n, 127);
	free(raw);
	free(want);
}

/* ---- merge ---- */

struct mout {
	struct buf docs; /* emitted documents, one per line */
	unsigned n;
	unsigned members[64];
	bool es_id;
};

static void
on_doc(void *arg, const struct vdoc *doc, unsigned members)
{
	struct mout *m = arg;

	vnorm_emit(&m->docs, doc, m->es_id);
	buf_addc(&m->docs, '\n');
	if (m->n < 64)
		m->members[m->n] = members;
	m->n++;
}

/* Normalize each line of in (a '\n'-separated list) into the merger. */
static void
feed_raw(struct fx *fx, struct merger *mg, const char *in)
{
	char *copy = strdup(in), *p = copy, *line;

	assert_non_null(copy);
	while ((line = next_line(&p)) != NULL) {
		const char *why = norm_raw(fx, line, false);

		if (why != NULL) {
			FAIL(fx, "%s: %s", line, why);
			continue;
		}
		merger_add(mg, &fx->doc);
	}
	free(copy);
}

static void
feed(struct fx *fx, struct merger *mg, const char *in)
{
	feed_raw(fx, mg, J(in));
}

/*
 * The --merge cases of tests/unit/data/merge/: each NAME.in.ndjson through
 * the merger with a window of so many ms gives NAME.out.ndjson.
 */
static const struct {
	const char *name;
	int64_t window;
} merge_cases[] = {
    /* two signals and a location of one tick: one snapshot, stamped
     * with the smallest time */
    {"01-join-one-tick", 1000},
    /* what splits a group: a trip_id change, a field already in the
     * group, the window (exactly the window from the first joins, more
     * splits), going back in time, a tiny window */
    {"02-split-trip-id", 1000},
    {"03-split-field-repeated", 1000},
    {"04-split-window", 1000},
    {"05-split-backwards", 1000},
    {"06-split-tiny-window", 1},
    /* dtc, trip and snapshot documents pass through, after their VIN's
     * open group; other VINs' groups stay open */
    {"07-pass-through", 1000},
    /* a latitude signal with a location riding along: as a snapshot the
     * location would win over the latitude, so the message passes
     * through, after its VIN's open group (a fuzzer found this) */
    {"08-lone-coordinate-with-location", 1000},
    /* OpenXC style: separate latitude and longitude become a location */
    {"09-lat-lon-location", 1000},
    /* a location and a lone coordinate do not share a group: the
     * snapshot would carry two positions */
    {"10-location-apart-from-coordinate", 1000},
    /* unknown signals merge into extra */
    {"11-unknown-into-extra", 1000},
    /* a lone coordinate stays plain */
    {"12-lone-coordinate-plain", 1000},
};

/* Merge the lines of in with window ms: the documents are want. */
static void
check_merged(struct fx *fx, const char *name, int64_t window, const char *in,
    const char *want)
{
	struct mout m;
	struct merger *mg;
	int open;

	memset(&m, 0, sizeof(m));
	mg = merger_new(window, on_doc, &m);
	feed_raw(fx, mg, in);
	merger_finish(mg);
	open = (int)merger_open(mg);
	merger_free(mg);
	buf_cstr(&m.docs);
	if (open != 0)
		FAIL(fx, "%s: %d groups open after merger_finish", name, open);
	else if (strcmp(m.docs.data ? m.docs.data : "", want) != 0)
		FAIL(fx, "%s: merge of\n%sgave\n%swant\n%s", name, in,
		    m.docs.data ? m.docs.data : "", want);
	buf_free(&m.docs);
}

static void
test_merge_cases(void **state)
{
	struct fx *fx = *state;
	size_t i, len;

	table_begin(fx);
	for (i = 0; i < sizeof(merge_cases) / sizeof(merge_cases[0]); i++) {
		struct buf path = BUF_INIT;
		char *in, *want;

		buf_printf(&path, "tests/unit/data/merge/%s.in.ndjson",
		    merge_cases[i].name);
		in = read_file(buf_cstr(&path), &len);
		buf_reset(&path);
		buf_printf(&path, "tests/unit/data/merge/%s.out.ndjson",
		    merge_cases[i].name);
		want = read_file(buf_cstr(&path), &len);
		check_merged(
		    fx, merge_cases[i].name, merge_cases[i].window, in, want);
		free(in);
		free(want);
		buf_free(&path);
	}
	table_end(fx);
}

/* Every case in tests/unit/data/merge/ is in merge_cases: none is left
 * out by mistake. */
static void
test_merge_cases_listed(void **state)
{
	DIR *d = opendir("tests/unit/data/merge");
	struct dirent *e;
	size_t n = 0, len;

	(void)state;
	if (d == NULL)
		fail_msg("cannot open tests/unit/data/merge (run from the top "
			 "of the tree)");
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len > 10 && strcmp(e->d_name + len - 10, ".in.ndjson") == 0)
			n++;
	}
	closedir(d);
	assert_int_equal(n, sizeof(merge_cases) / sizeof(merge_cases[0]));
}

#define TS(s) "'timestamp':'1970-01-01T00:00:0" s "Z'"
#define HEAD(s) "{" TS(s) ",'vin':'V','trip_id':'t','kind':"

static void
test_merge_sweep(void **state)
{
	struct fx *fx = *state;
	struct mout m;
	struct merger *mg;

	memset(&m, 0, sizeof(m));
	mg = merger_new(1000, on_doc, &m);
	feed(fx, mg,
	    "{'vin':'A','ts':0,'name':'speed','value':1}\n"
	    "{'vin':'B','ts':1,'name':'speed','value':2}\n");
	assert_int_equal(merger_open(mg), 2);
	assert_int_equal(m.n, 0);
	/* exactly two windows later: A stays */
	feed(fx, mg, "{'vin':'C','ts':2,'name':'speed','value':3}\n");
	assert_int_equal(merger_open(mg), 3);
	assert_int_equal(m.n, 0);
	/* more than two windows after A's first time: A goes, B stays */
	feed(fx, mg, "{'vin':'C','ts':2.001,'name':'rpm','value':3}\n");
	assert_int_equal(m.n, 1);
	assert_int_equal(merger_open(mg), 2);
	buf_cstr(&m.docs);
	assert_non_null(strstr(m.docs.data, J("'vin':'A'")));
	/* a vehicle that falls silent is flushed by others' traffic */
	feed(fx, mg, "{'vin':'D','ts':60,'name':'speed','value':3}\n");
	assert_int_equal(m.n, 3);
	assert_int_equal(merger_open(mg), 1);
	merger_finish(mg);
	assert_int_equal(m.n, 4);
	assert_int_equal(merger_open(mg), 0);
	buf_cstr(&m.docs);
	/* B before C (opened first), D last */
	assert_true(strstr(m.docs.data, J("'vin':'B'")) <
	    strstr(m.docs.data, J("'vin':'C'")));
	assert_true(strstr(m.docs.data, J("'vin':'C'")) <
	    strstr(m.docs.data, J("'vin':'D'")));
	/* finish twice is harmless, free with open groups is clean */
	merger_finish(mg);
	feed(fx, mg, "{'vin':'E','ts':61,'name':'speed','value':3}\n");
	assert_int_equal(merger_open(mg), 1);
	merger_free(mg);
	merger_free(NULL);
	buf_free(&m.docs);
}

static void
test_merge_members_meta(void **state)
{
	struct fx *fx = *state;
	struct mout m;
	struct merger *mg;

	/* a merged group with unknown signals (case 11-unknown-into-extra)
	 * is a document vnorm takes back */
	expect_doc(fx,
	    HEAD("1.000") "'snapshot','extra':{'headlamp_status':true}}",
	    HEAD("1.000") "'snapshot','extra':{'headlamp_status':true}}");

	/* members are counted; @metadata is the first member's */
	memset(&m, 0, sizeof(m));
	mg = merger_new(1000, on_doc, &m);
	feed(fx, mg,
	    "{'@metadata':{'n':1},'vin':'V','ts':1,'name':'speed',"
	    "'value':1}\n"
	    "{'@metadata':{'n':2},'vin':'V','ts':1,'name':'rpm',"
	    "'value':1}\n"
	    "{'@metadata':{'n':3},'vin':'V','ts':1,'name':'brake',"
	    "'value':1}\n"
	    "{'vin':'V','ts':1,'name':'dtc','value':'x'}\n");
	merger_finish(mg);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.members[0], 3);
	assert_int_equal(m.members[1], 1);
	buf_cstr(&m.docs);
	assert_true(starts_with(m.docs.data, J("{'@metadata':{'n':1},")));
	merger_free(mg);
	buf_free(&m.docs);

	/* es ids of merged documents are snapshot ids, in the first
	 * member's metadata */
	memset(&m, 0, sizeof(m));
	m.es_id = true;
	mg = merger_new(1000, on_doc, &m);
	feed(fx, mg,
	    "{'@metadata':{'n':1},'vin':'V','ts':1.5,'name':"
	    "'speed','value':1}\n"
	    "{'vin':'V','ts':1,'name':'rpm','value':1}\n");
	merger_finish(mg);
	buf_cstr(&m.docs);
	assert_true(starts_with(m.docs.data,
	    J("{'@metadata':{'n':1,'es':{'_id':'1000:V:snapshot'}},")));
	merger_free(mg);
	buf_free(&m.docs);
}

/* The sample through the merger gives the merged golden. */
static void
test_golden_merged(void **state)
{
	struct fx *fx = *state;
	size_t len1, len2;
	char *raw = read_file("tests/data/raw-vehicle-sample.ndjson", &len1);
	char *want =
	    read_file("tests/data/expected-merged-sample.ndjson", &len2);
	struct mout m;
	struct merger *mg;
	unsigned i, total = 0;

	memset(&m, 0, sizeof(m));
	mg = merger_new(1000, on_doc, &m);
	feed_raw(fx, mg, raw);
	merger_finish(mg);
	merger_free(mg);
	buf_cstr(&m.docs);
	assert_string_equal(m.docs.data, want);
	/* in = out + merged */
	for (i = 0; i < m.n && i < 64; i++)
		total += m.members[i];
	assert_int_equal(m.n, 15);
	assert_int_equal(total, 127);
	buf_free(&m.docs);
	free(raw);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canon_key),
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_output_order),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_idempotent_own_output),
	    cmocka_unit_test(test_numbers_verbatim),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_gears),
	    cmocka_unit_test(test_words_dtc_ids),
	    cmocka_unit_test(test_vin),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_location_forms),
	    cmocka_unit_test(test_location_rejects),
	    cmocka_unit_test(test_reject_reasons),
	    cmocka_unit_test(test_lenient_riders),
	    cmocka_unit_test(test_unknown_fields),
	    cmocka_unit_test(test_drop_unknown),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_metadata_passthrough),
	    cmocka_unit_test(test_vin_from_topic),
	    cmocka_unit_test(test_es_id),
	    cmocka_unit_test(test_golden_normalized),
	    cmocka_unit_test(test_merge_cases),
	    cmocka_unit_test(test_merge_cases_listed),
	    cmocka_unit_test(test_merge_sweep),
	    cmocka_unit_test(test_merge_members_meta),
	    cmocka_unit_test(test_golden_merged),
	};

	return cmocka_run_group_tests_name("normalize", tests, setup, teardown);
}

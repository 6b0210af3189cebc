/* SPDX-License-Identifier: MIT */
/*
 * The vnorm transform: one parsed raw record to one normalized document
 * (vnorm(1) DESCRIPTION), pure and reusable by tests and fuzzers.
 */
#ifndef IOTPIPE_NORMALIZE_H
#define IOTPIPE_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/jsonx.h"

/* Output fields, in output order (vnorm(1) "Output"). */
enum field {
	F_TIMESTAMP,
	F_VIN,
	F_TRIP_ID,
	F_DEVICE_ID,
	F_ROUTE_ID,
	F_KIND,
	F_VEHICLE_SPEED, /* first signal */
	F_ENGINE_SPEED,
	F_TORQUE,
	F_ACCEL_PEDAL,
	F_BRAKE,
	F_BRAKE_PEDAL_STATUS,
	F_PARKING_BRAKE_STATUS,
	F_STEERING,
	F_ACCELERATION,
	F_GEAR_POS,
	F_GEAR,
	F_GEAR_LEVER,
	F_IGNITION,
	F_ODOMETER,
	F_FUEL_LEVEL,
	F_FUEL_CONSUMED,
	F_OIL_TEMP,
	F_LATITUDE,
	F_LONGITUDE,
	F_LOCATION, /* last signal */
	F_DTC,
	F_START_TIME,
	F_END_TIME,
	F_VS_MEAN,
	F_ES_MEAN,
	F_TORQUE_MEAN,
	F_OIL_MEAN,
	F_APP_MEAN,
	F_BRAKE_MEAN,
	F_HIGH_SPEED_DURATION,
	F_IDLE_DURATION,
	F_HIGH_ACCEL,
	F_HIGH_BRAKING,
	F_EXTRA,
	NFIELDS
};

enum kind {
	K_TELEMETRY,
	K_LOCATION,
	K_DTC,
	K_TRIP,
	K_SNAPSHOT,
};

/* A field's value as compact JSON text; text == NULL when absent. */
struct slot {
	const char *text;
	size_t len;
};

/* One normalized document; every pointer lives in the arena passed to
 * vnorm_transform() and is valid until it is reset. */
struct vdoc {
	enum kind kind;
	struct slot f[NFIELDS];
	struct slot meta; /* "@metadata" value as received, or absent */
	const struct jval *meta_val; /* parsed @metadata, or NULL */
	int64_t ts_ms;
	const char *vin; /* decoded, for grouping and ids */
	size_t vinlen;
	const char *signal; /* telemetry: the signal's name for ids */
	size_t signallen;
};

struct vnorm_conf {
	bool drop_unknown;
	bool vin_from_topic;
	/* called once per warning with its text ("duplicate key K", ...) */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

struct vnorm;

/* Caller frees with vnorm_free(); conf is copied. */
struct vnorm *vnorm_new(const struct vnorm_conf *conf);
void vnorm_free(struct vnorm *vn);

/*
 * Normalize root (any parsed JSON value).  Returns NULL on success with
 * *doc filled in, or the reject reason (static text, one of vnorm(1) "Rejects and warnings").
 */
const char *vnorm_transform(struct vnorm *vn, struct arena *a,
    const struct jval *root, struct vdoc *doc);

/* Name of an output field ("vehicle_speed"), of a kind ("telemetry"). */
const char *vnorm_field_name(enum field f);
const char *vnorm_kind_name(enum kind k);

/* True for the fields --merge folds together (signals and location). */
bool vnorm_field_is_signal(enum field f);

/*
 * Append the document as one compact JSON object (no newline).  With
 * es_id, "@metadata" gets "es":{"_id":"<vin>:<ms>:<kind>[:<signal>]"}.
 */
void vnorm_emit(struct buf *b, const struct vdoc *doc, bool es_id);

/* Lower-case snake_case form of a key (vnorm(1) "Field names") into out. */
void vnorm_canon_key(const char *key, size_t klen, struct buf *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * vsim's messages on the wire: the per-signal, location, trip and DTC
 * messages of the simulator (v2) and its later snapshots (v3), written by
 * hand as vsim(1) describes them, with @metadata.mqtt.topic and route_id.
 */
#ifndef IOTPIPE_VSIM_EMIT_H
#define IOTPIPE_VSIM_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "model.h"

enum vsim_format {
	FORMAT_V2, /* the thesis-era simulator: 17 messages a tick */
	FORMAT_V3, /* the later snapshot: one message a tick */
};

#define EMIT_SIGNALS 16 /* per-signal messages of a v2 tick */
#define EMIT_TICK_MAX 16384 /* bytes a tick can take, at most */

/* A vehicle's fixed pieces of text, made once per trip. */
struct emit_ids {
	char head[96]; /* {"@metadata":...telemetry/VIN"}},"timestamp":" */
	unsigned head_len;
	char mid[256]; /* ","trip_id":...,"name":" (v2) or ...", (v3) */
	unsigned mid_len;
	char device_id[16]; /* v3 _id_ */
};

/* Remake ids for v's current trip; device_id is the v3 _id_ (copied). */
void emit_ids_make(struct emit_ids *ids, const struct vehicle *v,
    enum vsim_format fmt, const char *device_id);

/* "YYYY-MM-DD HH:MM:SS.mmm000000" for epoch milliseconds ms, into out
 * (30 bytes with the NUL); returns 29.  The simulator's own format. */
unsigned emit_timestamp(char *out, int64_t ms);

/*
 * The 16 signal messages then the location message of v's tick at ms
 * (the location stamped ms, the signals 0-5 ms later), appended to b.
 * Returns the time of the last signal.
 */
int64_t emit_telemetry(
    struct buf *b, const struct emit_ids *ids, struct vehicle *v, int64_t ms);

/* The v3 snapshot of v at ms. */
void emit_snapshot(struct buf *b, const struct emit_ids *ids,
    const struct vehicle *v, int64_t ms);

/* The trip aggregate of v at ms; final: ignition off, with end_time (at
 * end_ms) and the geojson pointer. */
void emit_trip(struct buf *b, const struct vehicle *v, int64_t ms, bool final,
    int64_t end_ms);

/* A DTC message with code at ms. */
void emit_dtc(
    struct buf *b, const struct vehicle *v, int64_t ms, const char *code);

#endif

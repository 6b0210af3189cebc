/* SPDX-License-Identifier: MIT */
/*
 * vsim's routes: the NDJSON route set (built in, or --routes FILE) parsed
 * into geometry with distances, rounded coordinates and trigger points.
 */
#ifndef IOTPIPE_VSIM_ROUTES_H
#define IOTPIPE_VSIM_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define ROUTE_TEXT_MAX 24 /* a coordinate's shortest text, NUL included */

struct route_point {
	double lat, lon;
	double km; /* distance along the route from its first point */
	int32_t lat5, lon5; /* rounded to 5 decimals, in 1e-5 degrees */
	char lat_text[ROUTE_TEXT_MAX]; /* shortest round-trip text */
	char lon_text[ROUTE_TEXT_MAX];
};

enum route_profile {
	PROFILE_NORMAL,
	PROFILE_AGGRESSIVE,
};

enum trigger_kind {
	TRIGGER_DTC,
	TRIGGER_BRAKE,
	TRIGGER_OILTEMP,
};

struct trigger {
	size_t point; /* fires when the vehicle reaches this point */
	enum trigger_kind kind;
};

struct route {
	char *id; /* route_id */
	size_t id_len;
	enum route_profile profile;
	bool in_manifest; /* picked for a trip; false: never */
	struct route_point *points;
	size_t npoints; /* at least 2 */
	struct trigger *triggers; /* by point, ascending */
	size_t ntriggers;
};

struct route_set {
	struct route *routes;
	size_t n;
	size_t *pick; /* indexes of the routes with in_manifest */
	size_t npick; /* at least 1 */
};

/* The built-in set as NDJSON lines, NULL-terminated (routes_data.c). */
extern const char *const routes_builtin_text[];

/*
 * Add the routes of NDJSON text p[0..n) to set (zeroed before the first
 * call); name is what error messages call the text.  Returns 0, or -1
 * with "name: line N: reason" appended to err (set then holds the routes
 * before that line; free it).
 */
int routes_add_text(struct route_set *set, const char *p, size_t n,
    const char *name, struct buf *err);

/*
 * Fill set with the built-in routes, or those of the file path when path
 * is not NULL.  Returns 0, or -1 with the reason appended to err (and
 * set emptied).  Free with routes_free().
 */
int routes_load(struct route_set *set, const char *path, struct buf *err);

/* Release what set holds; set is then empty. */
void routes_free(struct route_set *set);

/*
 * x rounded to 5 decimals as vsim(1) says (JavaScript's Math.round on the
 * shortest decimal text of x: halves go up), in 1e-5 units.  Exact for
 * decimal texts of up to 17 significant digits.
 */
int32_t routes_round5(const char *text, size_t n);

#endif

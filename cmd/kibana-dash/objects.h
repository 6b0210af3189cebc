/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash's saved objects (pure): the index pattern, the five
 * visualizations and the dashboard of the portable profile, as the NDJSON
 * that Kibana 7.10-9.x and OpenSearch Dashboards 2.x import, and the check
 * of an Elasticsearch mapping against the fields they use.  The rules the
 * objects follow are listed in kibana-dash(1), OBJECTS.
 */
#ifndef KIBANA_DASH_OBJECTS_H
#define KIBANA_DASH_OBJECTS_H

#include <stddef.h>

#include "common/buf.h"

/* The field names the objects use (--time-field, --vin-field ...). */
struct kd_fields {
	const char *time; /* date */
	const char *vin; /* keyword */
	const char *speed; /* number */
	const char *location; /* geo_point */
	const char *route; /* keyword */
	const char *fuel; /* number */
};

struct kd_conf {
	const char *id_prefix; /* --id-prefix, checked by kd_id_prefix_check */
	const char *index_pattern; /* --index-pattern: "vehicles-*" */
	const char *title; /* --title: the dashboard's */
	struct kd_fields f;
};

/* The objects, in the order of the file; the dashboard comes last. */
enum kd_obj {
	KD_INDEX_PATTERN,
	KD_VIS_VIN,
	KD_VIS_EVENTS,
	KD_VIS_HEATMAP,
	KD_VIS_ROUTES,
	KD_VIS_FUEL,
	KD_DASHBOARD,
	KD_NOBJ
};

#define KD_DEFAULT_PREFIX "iotpipe"
#define KD_DEFAULT_PATTERN "vehicles-*"
#define KD_DEFAULT_TITLE "Vehicle telemetry"
#define KD_PREFIX_MAX 64

/* Defaults: the vehicles documents of vnorm(1) and esbulk --template. */
void kd_conf_init(struct kd_conf *c);

/* "index-pattern", "visualization" or "dashboard". */
const char *kd_obj_type(enum kd_obj o);
/* The object's id, "<prefix>-<name>", appended to b. */
void kd_obj_id(const struct kd_conf *c, enum kd_obj o, struct buf *b);

/*
 * 0 when s is a usable --id-prefix: 1 to KD_PREFIX_MAX characters of
 * [a-z0-9-], starting with a letter or digit.  Else -1 with the reason
 * appended to err.
 */
int kd_id_prefix_check(const char *s, struct buf *err);

/*
 * The whole file: one compact JSON object per line, each ending in '\n',
 * appended to out.  The same configuration always gives the same bytes.
 */
void kd_build(const struct kd_conf *c, struct buf *out);

/*
 * Check the answer of GET <pattern>/_mapping (body[0..len)) against the
 * fields the objects use: each must be mapped in every index, with the
 * type its panel needs (date; keyword; a number; geo_point).  Each problem
 * is one line appended to problems ("location: geo_point needed, index
 * vehicles-x maps it as float").  Returns the number of problems, or -1
 * when the body is not a mapping answer (a line in problems says why).
 */
int kd_mapping_check(const struct kd_conf *c, const char *body, size_t len,
    struct buf *problems);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash's saved objects: built with jansson in the shape a Kibana
 * 7.10 export has, with migrationVersion pinned to the newest versions
 * that 7.10 and OpenSearch Dashboards know, so later Kibanas migrate them
 * on import (kibana-dash(1), OBJECTS and COMPATIBILITY).
 */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/xalloc.h"
#include "objects.h"

/* kibana-dash(1): the portable profile's migration versions. */
#define MV_INDEX_PATTERN "7.6.0"
#define MV_VISUALIZATION "7.10.0"
#define MV_DASHBOARD "7.9.3"
#define PANEL_VERSION "7.10.0"

/* Reals with up to 10 significant digits print as written (0.9, not
 * 0.90000000000000002). */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

#define INDEX_REF "kibanaSavedObjectMeta.searchSourceJSON.index"

static const struct {
	enum kd_obj o;
	const char *suffix, *type;
} names[KD_NOBJ] = {
    {KD_INDEX_PATTERN, "index-pattern", "index-pattern"},
    {KD_VIS_VIN, "vis-vin-control", "visualization"},
    {KD_VIS_EVENTS, "vis-events-speed", "visualization"},
    {KD_VIS_HEATMAP, "vis-location-heatmap", "visualization"},
    {KD_VIS_ROUTES, "vis-routes-pie", "visualization"},
    {KD_VIS_FUEL, "vis-fuel-gauge", "visualization"},
    {KD_DASHBOARD, "dashboard", "dashboard"},
};

/*
 * The fields esbulk --template vehicles maps (esbulk(1)), for the index
 * pattern's field list; the time, vin, speed, location, route and fuel
 * entries take the names given on the command line.
 */
static const struct {
	const char *name, *es_type;
} vehicle_fields[] = {
    {"timestamp", "date"},
    {"vin", "keyword"},
    {"trip_id", "keyword"},
    {"device_id", "keyword"},
    {"route_id", "keyword"},
    {"kind", "keyword"},
    {"vehicle_speed", "float"},
    {"engine_speed", "float"},
    {"torque_at_transmission", "float"},
    {"accelerator_pedal_position", "float"},
    {"brake", "float"},
    {"brake_pedal_status", "boolean"},
    {"parking_brake_status", "boolean"},
    {"steering_wheel_angle", "float"},
    {"acceleration", "float"},
    {"transmission_gear_position", "keyword"},
    {"transmission_gear", "short"},
    {"gear_lever_position", "keyword"},
    {"ignition_status", "keyword"},
    {"odometer", "double"},
    {"fuel_level", "float"},
    {"fuel_consumed_since_restart", "double"},
    {"oil_temp", "float"},
    {"latitude", "double"},
    {"longitude", "double"},
    {"location", "geo_point"},
    {"dtc", "keyword"},
    {"start_time", "date"},
    {"end_time", "date"},
    {"vehicle_speed_mean", "double"},
    {"engine_speed_mean", "double"},
    {"torque_at_transmission_mean", "double"},
    {"oil_temp_mean", "double"},
    {"accelerator_pedal_position_mean", "double"},
    {"brake_mean", "double"},
    {"high_speed_duration", "long"},
    {"idle_duration", "long"},
    {"high_acceleration_event", "long"},
    {"high_braking_event", "long"},
};

void
kd_conf_init(struct kd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->id_prefix = KD_DEFAULT_PREFIX;
	c->index_pattern = KD_DEFAULT_PATTERN;
	c->title = KD_DEFAULT_TITLE;
	c->f.time = "timestamp";
	c->f.vin = "vin";
	c->f.speed = "vehicle_speed";
	c->f.location = "location";
	c->f.route = "route_id";
	c->f.fuel = "fuel_level";
}

const char *
kd_obj_type(enum kd_obj o)
{
	return names[o].type;
}

void
kd_obj_id(const struct kd_conf *c, enum kd_obj o, struct buf *b)
{
	buf_printf(b, "%s-%s", c->id_prefix, names[o].suffix);
}

int
kd_id_prefix_check(const char *s, struct buf *err)
{
	size_t n = strlen(s);

	if (n == 0 || n > KD_PREFIX_MAX) {
		buf_printf(
		    err, "'%s': use 1 to %d characters", s, KD_PREFIX_MAX);
		return -1;
	}
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    s[0] == '-') {
		buf_printf(err,
		    "'%s': use lower-case letters, digits and '-', "
		    "starting with a letter or digit",
		    s);
		return -1;
	}
	return 0;
}

/* ---- building blocks ---- */

static char *
id_of(const struct kd_conf *c, enum kd_obj o)
{
	struct buf b = BUF_INIT;
	char *s;

	kd_obj_id(c, o, &b);
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* j dumped as a JSON string value (the "JSON in a string" attributes);
 * steals j. */
static json_t *
stringified(json_t *j)
{
	char *s = json_dumps(j, DUMP_FLAGS);
	json_t *out;

	if (s == NULL)
		xdie_oom();
	out = json_string(s);
	free(s);
	json_decref(j);
	if (out == NULL)
		xdie_oom();
	return out;
}

static json_t *
checked(json_t *j)
{
	if (j == NULL)
		xdie_oom();
	return j;
}

static json_t *
agg(const char *id, const char *type, const char *schema, json_t *params)
{
	return checked(json_pack("{s:s,s:b,s:s,s:s,s:o}", "id", id, "enabled",
	    1, "type", type, "schema", schema, "params", params));
}

static json_t *
field_param(const char *field)
{
	return checked(json_pack("{s:s}", "field", field));
}

static json_t *
terms_params(const char *field, const char *order, int size, bool other_bucket)
{
	return checked(json_pack("{s:s,s:s,s:s,s:i,s:b,s:s,s:b,s:s}", "field",
	    field, "orderBy", "1", "order", order, "size", size, "otherBucket",
	    other_bucket, "otherBucketLabel", "Other", "missingBucket", 0,
	    "missingBucketLabel", "Missing"));
}

static json_t *
search_source(bool with_index)
{
	json_t *s = checked(json_pack("{s:{s:s,s:s},s:[]}", "query", "query",
	    "", "language", "kuery", "filter"));

	if (with_index)
		json_object_set_new(s, "indexRefName", json_string(INDEX_REF));
	return stringified(s);
}

static json_t *
reference(const char *name, const char *type, const char *id)
{
	return checked(
	    json_pack("{s:s,s:s,s:s}", "name", name, "type", type, "id", id));
}

/* One saved object: envelope, attributes (stolen), references (stolen). */
static json_t *
envelope(const struct kd_conf *c, enum kd_obj o, const char *mv,
    json_t *attributes, json_t *references)
{
	char *id = id_of(c, o);
	json_t *j = checked(json_pack("{s:s,s:s,s:{s:s},s:o,s:o}", "id", id,
	    "type", names[o].type, "migrationVersion", names[o].type, mv,
	    "attributes", attributes, "references", references));

	free(id);
	return j;
}

/* A visualization over the index pattern; vis_params and aggs stolen. */
static json_t *
visualization(const struct kd_conf *c, enum kd_obj o, const char *title,
    const char *vis_type, json_t *aggs, json_t *vis_params)
{
	char *ip = id_of(c, KD_INDEX_PATTERN);
	bool control = o == KD_VIS_VIN;
	json_t *vis, *attrs, *refs;

	vis = checked(json_pack("{s:s,s:s,s:o,s:o}", "title", title, "type",
	    vis_type, "aggs", aggs, "params", vis_params));
	attrs = checked(json_pack("{s:s,s:s,s:i,s:o,s:s,s:{s:o}}", "title",
	    title, "description", "", "version", 1, "visState",
	    stringified(vis), "uiStateJSON", "{}", "kibanaSavedObjectMeta",
	    "searchSourceJSON", search_source(!control)));
	/* input controls name their index pattern per control
	 * (kibana-dash(1), OBJECTS) */
	refs = checked(json_pack("[o]",
	    reference(control ? "control_0_index_pattern" : INDEX_REF,
		"index-pattern", ip)));
	free(ip);
	return envelope(c, o, MV_VISUALIZATION, attrs, refs);
}

static void
titled(struct buf *b, const struct kd_conf *c, const char *what)
{
	buf_reset(b);
	buf_printf(b, "[%s] %s", c->title, what);
}

/* ---- the objects ---- */

static const char *
kibana_type(const char *es_type)
{
	if (strcmp(es_type, "keyword") == 0)
		return "string";
	if (strcmp(es_type, "date") == 0 || strcmp(es_type, "boolean") == 0 ||
	    strcmp(es_type, "geo_point") == 0)
		return es_type;
	return "number";
}

static json_t *
field_spec(const char *name, const char *type, const char *es_type,
    bool searchable, bool aggregatable, bool doc_values)
{
	return checked(json_pack("{s:i,s:s,s:s,s:[s],s:b,s:b,s:b,s:b}", "count",
	    0, "name", name, "type", type, "esTypes", es_type, "scripted", 0,
	    "searchable", searchable, "aggregatable", aggregatable,
	    "readFromDocValues", doc_values));
}

/* The name a template field goes by here, or NULL to leave it out. */
static const char *
field_name(const struct kd_conf *c, const char *name)
{
	struct kd_conf d;
	size_t i;

	kd_conf_init(&d);
	{
		const char *const def[] = {d.f.time, d.f.vin, d.f.speed,
		    d.f.location, d.f.route, d.f.fuel};
		const char *const got[] = {c->f.time, c->f.vin, c->f.speed,
		    c->f.location, c->f.route, c->f.fuel};

		for (i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			if (strcmp(name, def[i]) == 0)
				return got[i]; /* a role: its given name */
		for (i = 0; i < sizeof(got) / sizeof(got[0]); i++)
			if (strcmp(name, got[i]) == 0)
				return NULL; /* a role's new name took it */
	}
	return name;
}

static json_t *
index_pattern(const struct kd_conf *c)
{
	json_t *fields = checked(json_array()), *attrs;
	size_t i;

	json_array_append_new(
	    fields, field_spec("_id", "string", "_id", true, true, false));
	json_array_append_new(fields,
	    field_spec("_index", "string", "_index", true, true, false));
	json_array_append_new(fields,
	    field_spec("_score", "number", "_score", false, false, false));
	json_array_append_new(fields,
	    field_spec("_source", "_source", "_source", false, false, false));
	for (i = 0; i < sizeof(vehicle_fields) / sizeof(vehicle_fields[0]);
	     i++) {
		const char *name = field_name(c, vehicle_fields[i].name);
		const char *es = vehicle_fields[i].es_type;

		if (name != NULL)
			json_array_append_new(fields,
			    field_spec(
				name, kibana_type(es), es, true, true, true));
	}
	/* title, time field and fields only: the other attributes differ
	 * between versions (kibana-dash(1), OBJECTS) */
	attrs = checked(json_pack("{s:s,s:s,s:o}", "title", c->index_pattern,
	    "timeFieldName", c->f.time, "fields", stringified(fields)));
	return envelope(c, KD_INDEX_PATTERN, MV_INDEX_PATTERN, attrs,
	    checked(json_array()));
}

static json_t *
vin_control(const struct kd_conf *c, struct buf *title)
{
	json_t *params;

	titled(title, c, "Vehicle filter");
	params = checked(json_pack(
	    "{s:[{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:b,s:b,s:i,s:s},s:s}],s:b,s:b,"
	    "s:b}",
	    "controls", "id", "1", "fieldName", c->f.vin, "parent", "", "label",
	    "Vehicle (VIN)", "type", "list", "options", "type", "terms",
	    "multiselect", 1, "dynamicOptions", 1, "size", 5, "order", "desc",
	    "indexPatternRefName", "control_0_index_pattern",
	    "updateFiltersOnChange", 1, "useTimeFilter", 0, "pinFilters", 0));
	return visualization(c, KD_VIS_VIN, buf_cstr(title),
	    "input_control_vis", checked(json_array()), params);
}

static json_t *
axis_labels(bool category)
{
	if (category)
		return checked(json_pack(
		    "{s:b,s:b,s:i}", "show", 1, "filter", 1, "truncate", 100));
	return checked(json_pack("{s:b,s:i,s:b,s:i}", "show", 1, "rotate", 0,
	    "filter", 0, "truncate", 100));
}

static json_t *
value_axis(
    const char *id, const char *name, const char *position, const char *text)
{
	return checked(json_pack("{s:s,s:s,s:s,s:s,s:b,s:{},s:{s:s,s:s},s:o,"
				 "s:{s:s}}",
	    "id", id, "name", name, "type", "value", "position", position,
	    "show", 1, "style", "scale", "type", "linear", "mode", "normal",
	    "labels", axis_labels(false), "title", "text", text));
}

static json_t *
series(const char *agg_id, const char *label, const char *axis)
{
	return checked(json_pack("{s:b,s:s,s:s,s:{s:s,s:s},s:s,s:b,s:i,s:s,"
				 "s:b}",
	    "show", 1, "type", "line", "mode", "normal", "data", "label", label,
	    "id", agg_id, "valueAxis", axis, "drawLinesBetweenPoints", 1,
	    "lineWidth", 2, "interpolate", "linear", "showCircles", 1));
}

static json_t *
events_speed(const struct kd_conf *c, struct buf *title)
{
	struct buf label = BUF_INIT;
	json_t *aggs, *params, *dh, *v;

	buf_printf(&label, "Average %s", c->f.speed);
	titled(title, c, "Events and average speed per vehicle");
	dh = checked(json_pack("{s:s,s:b,s:b,s:s,s:b,s:i,s:{}}", "field",
	    c->f.time, "useNormalizedEsInterval", 1, "scaleMetricValues", 0,
	    "interval", "auto", "drop_partials", 0, "min_doc_count", 1,
	    "extended_bounds"));
	aggs = checked(json_pack("[o,o,o,o]",
	    agg("1", "count", "metric", checked(json_object())),
	    agg("2", "avg", "metric", field_param(c->f.speed)),
	    agg("3", "date_histogram", "segment", dh),
	    agg("4", "terms", "group", terms_params(c->f.vin, "desc", 5, 0))));
	params = checked(json_pack(
	    "{s:s,s:{s:b},s:[{s:s,s:s,s:s,s:b,s:{},s:{s:s},s:o,s:{}}],"
	    "s:[o,o],s:[o,o],s:b,s:b,s:s,s:[],s:b,s:{},s:{s:b,s:i,s:i,s:s,"
	    "s:s}}",
	    "type", "line", "grid", "categoryLines", 0, "categoryAxes", "id",
	    "CategoryAxis-1", "type", "category", "position", "bottom", "show",
	    1, "style", "scale", "type", "linear", "labels", axis_labels(true),
	    "title", "valueAxes",
	    value_axis("ValueAxis-1", "LeftAxis-1", "left", "Events"),
	    value_axis("ValueAxis-2", "RightAxis-1", "right", buf_cstr(&label)),
	    "seriesParams", series("1", "Events", "ValueAxis-1"),
	    series("2", buf_cstr(&label), "ValueAxis-2"), "addTooltip", 1,
	    "addLegend", 1, "legendPosition", "right", "times", "addTimeMarker",
	    0, "labels", "thresholdLine", "show", 0, "value", 10, "width", 1,
	    "style", "full", "color", "#E7664C"));
	v = visualization(
	    c, KD_VIS_EVENTS, buf_cstr(title), "line", aggs, params);
	buf_free(&label);
	return v;
}

static json_t *
heatmap(const struct kd_conf *c, struct buf *title)
{
	json_t *aggs, *params;

	titled(title, c, "Vehicle locations (heat map)");
	aggs = checked(json_pack("[o,o]",
	    agg("1", "count", "metric", checked(json_object())),
	    agg("2", "geohash_grid", "segment",
		checked(json_pack("{s:s,s:b,s:i,s:b,s:b}", "field",
		    c->f.location, "autoPrecision", 1, "precision", 5,
		    "useGeocentroid", 1, "isFilteredByCollar", 1)))));
	/* centred on Washington DC, where the thesis' vehicles drive */
	params = checked(json_pack("{s:s,s:s,s:b,s:b,s:f,s:s,s:i,s:[f,f],"
				   "s:{s:b,s:{s:s,s:b}}}",
	    "colorSchema", "Yellow to Red", "mapType", "Heatmap",
	    "isDesaturated", 1, "addTooltip", 1, "heatClusterSize", 1.5,
	    "legendPosition", "bottomright", "mapZoom", 10, "mapCenter", 38.9,
	    -77.1, "wms", "enabled", 0, "options", "format", "image/png",
	    "transparent", 1));
	return visualization(
	    c, KD_VIS_HEATMAP, buf_cstr(title), "tile_map", aggs, params);
}

static json_t *
routes_pie(const struct kd_conf *c, struct buf *title)
{
	json_t *aggs, *params;

	titled(title, c, "Most travelled routes");
	aggs = checked(json_pack("[o,o]",
	    agg("1", "count", "metric", checked(json_object())),
	    agg("2", "terms", "segment",
		terms_params(c->f.route, "desc", 10, 1))));
	params = checked(json_pack("{s:s,s:b,s:b,s:s,s:b,s:{s:b,s:b,s:b,s:i}}",
	    "type", "pie", "addTooltip", 1, "addLegend", 1, "legendPosition",
	    "right", "isDonut", 1, "labels", "show", 1, "values", 1,
	    "last_level", 1, "truncate", 100));
	return visualization(
	    c, KD_VIS_ROUTES, buf_cstr(title), "pie", aggs, params);
}

static json_t *
fuel_gauge(const struct kd_conf *c, struct buf *title)
{
	json_t *aggs, *gauge, *params;

	titled(title, c, "Fuel level per vehicle");
	aggs = checked(json_pack("[o,o]",
	    agg("1", "max", "metric", field_param(c->f.fuel)),
	    agg("2", "terms", "group", terms_params(c->f.vin, "asc", 10, 0))));
	/* "Green to Red" inverted: red under 25, yellow under 50, green
	 * above (kibana-dash(1), OBJECTS) */
	gauge = checked(json_pack(
	    "{s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:i,s:i},{s:i,s:i},"
	    "{s:i,s:i}],s:b,s:{s:b,s:s},s:{s:b,s:b,s:s},s:s,s:{s:f,s:f,s:b,"
	    "s:b,s:i,s:s,s:b,s:s,s:i}}",
	    "alignment", "automatic", "extendRange", 1, "percentageMode", 0,
	    "gaugeType", "Arc", "gaugeStyle", "Full", "backStyle", "Full",
	    "orientation", "vertical", "colorSchema", "Green to Red",
	    "gaugeColorMode", "Labels", "colorsRange", "from", 0, "to", 25,
	    "from", 25, "to", 50, "from", 50, "to", 100, "invertColors", 1,
	    "labels", "show", 1, "color", "black", "scale", "show", 1, "labels",
	    0, "color", "rgba(105,112,125,0.2)", "type", "meter", "style",
	    "bgWidth", 0.9, "width", 0.9, "mask", 0, "bgMask", 0, "maskBars",
	    50, "bgFill", "rgba(105,112,125,0.2)", "bgColor", 1, "subText", "",
	    "fontSize", 60));
	params = checked(
	    json_pack("{s:s,s:b,s:b,s:b,s:o}", "type", "gauge", "addTooltip", 1,
		"addLegend", 1, "isDisplayWarning", 0, "gauge", gauge));
	return visualization(
	    c, KD_VIS_FUEL, buf_cstr(title), "gauge", aggs, params);
}

/*
 * The 48-column grid, top to bottom: the VIN filter across, events and
 * speed across, heat map and routes side by side, fuel across.
 */
static const struct {
	enum kd_obj o;
	int x, y, w, h;
} layout[] = {
    {KD_VIS_VIN, 0, 0, 48, 6},
    {KD_VIS_EVENTS, 0, 6, 48, 15},
    {KD_VIS_HEATMAP, 0, 21, 24, 18},
    {KD_VIS_ROUTES, 24, 21, 24, 18},
    {KD_VIS_FUEL, 0, 39, 48, 12},
};

static json_t *
dashboard(const struct kd_conf *c)
{
	json_t *panels = checked(json_array()), *refs = checked(json_array());
	json_t *attrs;
	char idx[16], ref[32];
	size_t i;

	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		char *vid = id_of(c, layout[i].o);

		(void)snprintf(idx, sizeof(idx), "%zu", i + 1);
		(void)snprintf(ref, sizeof(ref), "panel_%zu", i);
		json_array_append_new(panels,
		    checked(json_pack("{s:s,s:{s:i,s:i,s:i,s:i,s:s},s:s,s:{},"
				      "s:s}",
			"version", PANEL_VERSION, "gridData", "x", layout[i].x,
			"y", layout[i].y, "w", layout[i].w, "h", layout[i].h,
			"i", idx, "panelIndex", idx, "embeddableConfig",
			"panelRefName", ref)));
		json_array_append_new(
		    refs, reference(ref, "visualization", vid));
		free(vid);
	}
	attrs = checked(json_pack("{s:s,s:s,s:i,s:i,s:o,s:s,s:b,s:s,s:s,"
				  "s:{s:b,s:i},s:{s:o}}",
	    "title", c->title, "description",
	    "Vehicle telemetry: where, how fast, which routes, how much fuel",
	    "hits", 0, "version", 1, "panelsJSON", stringified(panels),
	    "optionsJSON", "{\"useMargins\":true,\"hidePanelTitles\":false}",
	    "timeRestore", 1, "timeFrom", "now-7d", "timeTo", "now",
	    "refreshInterval", "pause", 1, "value", 0, "kibanaSavedObjectMeta",
	    "searchSourceJSON", search_source(false)));
	return envelope(c, KD_DASHBOARD, MV_DASHBOARD, attrs, refs);
}

static void
emit(struct buf *out, json_t *j)
{
	char *s = json_dumps(j, DUMP_FLAGS);

	if (s == NULL)
		xdie_oom();
	buf_adds(out, s);
	buf_addc(out, '\n');
	free(s);
	json_decref(j);
}

void
kd_build(const struct kd_conf *c, struct buf *out)
{
	struct buf title = BUF_INIT;

	emit(out, index_pattern(c));
	emit(out, vin_control(c, &title));
	emit(out, events_speed(c, &title));
	emit(out, heatmap(c, &title));
	emit(out, routes_pie(c, &title));
	emit(out, fuel_gauge(c, &title));
	emit(out, dashboard(c));
	buf_free(&title);
}

/* ---- the mapping check ---- */

enum need { NEED_DATE, NEED_KEYWORD, NEED_NUMBER, NEED_GEO_POINT };

static const char *const need_name[] = {
    "date", "keyword", "a number type", "geo_point"};

static bool
satisfies(enum need n, const char *t)
{
	static const char *const numbers[] = {"long", "integer", "short",
	    "byte", "double", "float", "half_float", "scaled_float",
	    "unsigned_long"};
	size_t i;

	switch (n) {
	case NEED_DATE:
		return strcmp(t, "date") == 0 || strcmp(t, "date_nanos") == 0;
	case NEED_KEYWORD:
		return strcmp(t, "keyword") == 0 ||
		    strcmp(t, "constant_keyword") == 0;
	case NEED_NUMBER:
		for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
			if (strcmp(t, numbers[i]) == 0)
				return true;
		return false;
	case NEED_GEO_POINT:
		return strcmp(t, "geo_point") == 0;
	}
	return false;
}

/* The mapping of a dotted field name under properties, or NULL. */
static json_t *
lookup(json_t *props, const char *name)
{
	const char *dot;
	json_t *m;

	if (!json_is_object(props))
		return NULL;
	if ((m = json_object_get(props, name)) != NULL)
		return m;
	dot = strchr(name, '.');
	if (dot == NULL)
		return NULL;
	m = json_object_getn(props, name, (size_t)(dot - name));
	return m == NULL ? NULL
			 : lookup(json_object_get(m, "properties"), dot + 1);
}

int
kd_mapping_check(
    const struct kd_conf *c, const char *body, size_t len, struct buf *problems)
{
	const struct {
		const char *field, *role;
		enum need need;
	} used[] = {
	    {c->f.time, "--time-field", NEED_DATE},
	    {c->f.vin, "--vin-field", NEED_KEYWORD},
	    {c->f.speed, "--speed-field", NEED_NUMBER},
	    {c->f.location, "--location-field", NEED_GEO_POINT},
	    {c->f.route, "--route-field", NEED_KEYWORD},
	    {c->f.fuel, "--fuel-field", NEED_NUMBER},
	};
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *v;
	const char *index;
	void *it;
	int n = 0;
	size_t i;

	if (!json_is_object(root)) {
		buf_printf(problems, "the mapping answer is not a JSON object");
		json_decref(root);
		return -1;
	}
	if (json_object_size(root) == 0) {
		buf_printf(
		    problems, "no index matches '%s'\n", c->index_pattern);
		json_decref(root);
		return 1;
	}
	for (it = json_object_iter(root);
	     it != NULL && (index = json_object_iter_key(it)) != NULL &&
	     (v = json_object_iter_value(it)) != NULL;
	     it = json_object_iter_next(root, it)) {
		json_t *props = json_object_get(
		    json_object_get(v, "mappings"), "properties");

		for (i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
			json_t *m = lookup(props, used[i].field);
			const char *t =
			    json_string_value(json_object_get(m, "type"));

			if (m == NULL) {
				buf_printf(problems,
				    "%s (%s): not mapped in index %s: "
				    "%s needed\n",
				    used[i].field, used[i].role, index,
				    need_name[used[i].need]);
				n++;
			} else if (t == NULL) {
				buf_printf(problems,
				    "%s (%s): %s needed, index %s maps it "
				    "as an object%s\n",
				    used[i].field, used[i].role,
				    need_name[used[i].need], index,
				    used[i].need == NEED_GEO_POINT
					? " (dynamic mapping of {lat,lon}: "
					  "map it as geo_point, e.g. with "
					  "esbulk --template vehicles)"
					: "");
				n++;
			} else if (!satisfies(used[i].need, t)) {
				buf_printf(problems,
				    "%s (%s): %s needed, index %s maps it "
				    "as %s\n",
				    used[i].field, used[i].role,
				    need_name[used[i].need], index, t);
				n++;
			}
		}
	}
	json_decref(root);
	return n;
}

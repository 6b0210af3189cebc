/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for kibana-dash's pure parts: the saved objects
 * (cmd/kibana-dash/objects.c) and the reading of Kibana's answers
 * (cmd/kibana-dash/kibana.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/buf.h"
#include "cmd/kibana-dash/kibana.h"
#include "cmd/kibana-dash/objects.h"

static void
test_id_prefix(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(kd_id_prefix_check("iotpipe", &err), 0);
	assert_int_equal(kd_id_prefix_check("fleet-2", &err), 0);
	assert_int_equal(kd_id_prefix_check("9", &err), 0);
	assert_int_equal(kd_id_prefix_check("", &err), -1);
	assert_int_equal(kd_id_prefix_check("-x", &err), -1);
	assert_int_equal(kd_id_prefix_check("Fleet", &err), -1);
	assert_int_equal(kd_id_prefix_check("a_b", &err), -1);
	assert_int_equal(kd_id_prefix_check("a b", &err), -1);
	assert_int_equal(
	    kd_id_prefix_check(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaa",
		&err),
	    -1);
	assert_non_null(strstr(buf_cstr(&err), "lower-case"));
	buf_free(&err);
}

/* The lines of the file as JSON objects, checked to be 7. */
static json_t *
load_lines(const struct buf *b)
{
	json_t *arr = json_array();
	const char *p = b->data, *end = b->data + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		json_error_t e;
		json_t *o;

		assert_non_null(nl);
		o = json_loadb(p, (size_t)(nl - p), 0, &e);
		assert_non_null(o);
		json_array_append_new(arr, o);
		p = nl + 1;
	}
	assert_int_equal(json_array_size(arr), KD_NOBJ);
	return arr;
}

static json_t *
inner(json_t *obj, const char *key)
{
	json_error_t e;
	json_t *v = json_loads(json_string_value(json_object_get(
				   json_object_get(obj, "attributes"), key)),
	    0, &e);

	assert_non_null(v);
	return v;
}

static void
test_build_default(void **state)
{
	struct kd_conf c;
	struct buf a = BUF_INIT, b = BUF_INIT, id = BUF_INIT;
	json_t *arr, *o, *vis, *panels, *fields;
	size_t i;

	(void)state;
	kd_conf_init(&c);
	kd_build(&c, &a);
	kd_build(&c, &b);
	/* the same bytes every time */
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	arr = load_lines(&a);
	for (i = 0; i < KD_NOBJ; i++) {
		o = json_array_get(arr, i);
		buf_reset(&id);
		kd_obj_id(&c, (enum kd_obj)i, &id);
		assert_string_equal(
		    json_string_value(json_object_get(o, "id")), buf_cstr(&id));
		assert_string_equal(
		    json_string_value(json_object_get(o, "type")),
		    kd_obj_type((enum kd_obj)i));
		assert_null(json_object_get(o, "coreMigrationVersion"));
		assert_int_equal(
		    json_object_size(json_object_get(o, "migrationVersion")),
		    1);
	}
	/* the index pattern: title, time field, esbulk's vehicle fields */
	o = json_array_get(arr, KD_INDEX_PATTERN);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(o, "attributes"), "title")),
	    "vehicles-*");
	fields = inner(o, "fields");
	assert_true(json_array_size(fields) > 40);
	json_decref(fields);
	/* the gauge's colour bands */
	o = json_array_get(arr, KD_VIS_FUEL);
	vis = inner(o, "visState");
	assert_string_equal(
	    json_string_value(json_object_get(vis, "type")), "gauge");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(
				   json_object_get(
				       json_object_get(vis, "params"), "gauge"),
				   "colorsRange"),
		    0),
		"to")),
	    25);
	json_decref(vis);
	/* the heat map on the location field */
	vis = inner(json_array_get(arr, KD_VIS_HEATMAP), "visState");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(
		    json_array_get(json_object_get(vis, "aggs"), 1), "params"),
		"field")),
	    "location");
	json_decref(vis);
	/* five panels, each named by a reference */
	o = json_array_get(arr, KD_DASHBOARD);
	panels = inner(o, "panelsJSON");
	assert_int_equal(json_array_size(panels), 5);
	assert_int_equal(json_array_size(json_object_get(o, "references")), 5);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(panels, 4), "panelRefName")),
	    "panel_4");
	json_decref(panels);
	json_decref(arr);
	buf_free(&a);
	buf_free(&b);
	buf_free(&id);
}

static void
test_build_fields(void **state)
{
	struct kd_conf c;
	struct buf a = BUF_INIT;
	json_t *arr, *fields, *f;
	size_t i;
	int trip = 0, pos = 0, location = 0;

	(void)state;
	kd_conf_init(&c);
	c.id_prefix = "fleet";
	c.f.location = "pos";
	c.f.route = "trip_id";
	c.title = "Trucks \"A\"";
	kd_build(&c, &a);
	assert_non_null(strstr(buf_cstr(&a), "\"id\":\"fleet-dashboard\""));
	assert_null(strstr(buf_cstr(&a), "iotpipe-"));
	arr = load_lines(&a);
	fields = inner(json_array_get(arr, KD_INDEX_PATTERN), "fields");
	for (i = 0; i < json_array_size(fields) &&
	     (f = json_array_get(fields, i)) != NULL;
	     i++) {
		const char *n = json_string_value(json_object_get(f, "name"));

		trip += strcmp(n, "trip_id") == 0;
		pos += strcmp(n, "pos") == 0;
		location += strcmp(n, "location") == 0;
		if (strcmp(n, "pos") == 0)
			assert_string_equal(
			    json_string_value(json_object_get(f, "type")),
			    "geo_point");
	}
	/* the route took trip_id's place: once; location became pos */
	assert_int_equal(trip, 1);
	assert_int_equal(pos, 1);
	assert_int_equal(location, 0);
	json_decref(fields);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(
		    json_array_get(arr, KD_DASHBOARD), "attributes"),
		"title")),
	    "Trucks \"A\"");
	json_decref(arr);
	buf_free(&a);
}

#define VEHICLES_MAPPING                                                       \
	"{\"vehicles-2019.06.15\":{\"mappings\":{\"dynamic\":\"false\","       \
	"\"properties\":{\"timestamp\":{\"type\":\"date\"},"                   \
	"\"vin\":{\"type\":\"keyword\"},\"route_id\":{\"type\":\"keyword\"},"  \
	"\"vehicle_speed\":{\"type\":\"float\"},"                              \
	"\"fuel_level\":{\"type\":\"float\"},"                                 \
	"\"location\":{\"type\":\"geo_point\"}}}}}"

static void
test_mapping_check(void **state)
{
	struct kd_conf c;
	struct buf p = BUF_INIT;
	const char *bad =
	    "{\"v1\":{\"mappings\":{\"properties\":{"
	    "\"timestamp\":{\"type\":\"date\"},"
	    "\"vin\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":"
	    "\"keyword\"}}},"
	    "\"vehicle_speed\":{\"type\":\"long\"},"
	    "\"fuel_level\":{\"type\":\"keyword\"},"
	    "\"location\":{\"properties\":{\"lat\":{\"type\":\"float\"},"
	    "\"lon\":{\"type\":\"float\"}}}}}}}";
	const char *nested =
	    "{\"t\":{\"mappings\":{\"properties\":{"
	    "\"ts\":{\"type\":\"date_nanos\"},"
	    "\"truck\":{\"properties\":{\"id\":{\"type\":\"keyword\"}}},"
	    "\"route_id\":{\"type\":\"keyword\"},"
	    "\"vehicle_speed\":{\"type\":\"double\"},"
	    "\"fuel_level\":{\"type\":\"scaled_float\"},"
	    "\"location\":{\"type\":\"geo_point\"}}}}}";

	(void)state;
	kd_conf_init(&c);
	assert_int_equal(kd_mapping_check(&c, VEHICLES_MAPPING,
			     strlen(VEHICLES_MAPPING), &p),
	    0);
	assert_int_equal(p.len, 0);
	/* vin as text, no route, fuel a keyword, location two floats */
	assert_int_equal(kd_mapping_check(&c, bad, strlen(bad), &p), 4);
	assert_non_null(strstr(buf_cstr(&p),
	    "vin (--vin-field): keyword needed, index v1 maps it as text"));
	assert_non_null(strstr(buf_cstr(&p),
	    "route_id (--route-field): not "
	    "mapped in index v1"));
	assert_non_null(
	    strstr(buf_cstr(&p), "fuel_level (--fuel-field): a number type"));
	assert_non_null(strstr(buf_cstr(&p),
	    "location (--location-field): geo_point needed, index v1 maps it "
	    "as an object"));
	/* dotted names walk object properties */
	buf_reset(&p);
	c.f.time = "ts";
	c.f.vin = "truck.id";
	assert_int_equal(kd_mapping_check(&c, nested, strlen(nested), &p), 0);
	/* no index; not a mapping */
	buf_reset(&p);
	assert_int_equal(kd_mapping_check(&c, "{}", 2, &p), 1);
	assert_non_null(strstr(buf_cstr(&p), "no index matches 'vehicles-*'"));
	assert_int_equal(kd_mapping_check(&c, "<html>", 6, &p), -1);
	buf_free(&p);
}

static void
test_status(void **state)
{
	struct kb_status st;
	struct buf err = BUF_INIT, name = BUF_INIT;
	const char *k8 = "{\"name\":\"kibana\",\"version\":{\"number\":"
			 "\"8.15.3\",\"build_snapshot\":false},\"status\":{"
			 "\"overall\":{\"level\":\"available\"}}}";
	const char *k7 = "{\"version\":{\"number\":\"7.17.9\"},\"status\":{"
			 "\"overall\":{\"state\":\"yellow\"}}}";
	const char *osd = "{\"version\":{\"number\":\"2.17.1\"},\"status\":{"
			  "\"overall\":{\"state\":\"red\"}}}";
	const char *redacted = "{\"status\":{\"overall\":{\"level\":"
			       "\"available\"}}}";

	(void)state;
	assert_int_equal(kb_status_parse(k8, strlen(k8), &st, &err), 0);
	assert_int_equal(st.flavor, KB_KIBANA);
	assert_int_equal(st.major, 8);
	assert_int_equal(st.minor, 15);
	assert_true(st.ready);
	kb_status_name(&st, &name);
	assert_string_equal(buf_cstr(&name), "Kibana 8.15.3");
	assert_int_equal(kb_status_parse(k7, strlen(k7), &st, &err), 0);
	assert_int_equal(st.flavor, KB_KIBANA);
	assert_true(st.ready);
	assert_int_equal(kb_status_parse(osd, strlen(osd), &st, &err), 0);
	assert_int_equal(st.flavor, KB_OSD);
	assert_false(st.ready);
	assert_true(st.has_level);
	buf_reset(&name);
	kb_status_name(&st, &name);
	assert_string_equal(buf_cstr(&name), "OpenSearch Dashboards 2.17.1");
	assert_int_equal(
	    kb_status_parse(redacted, strlen(redacted), &st, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "holds no version"));
	assert_int_equal(kb_status_parse("nope", 4, &st, &err), -1);
	buf_free(&err);
	buf_free(&name);
}

static void
test_describe(void **state)
{
	struct buf b = BUF_INIT;
	const char *login = "\n  <!DOCTYPE html><html>Sign in</html>";
	const char *e400 = "{\"statusCode\":400,\"error\":\"Bad Request\","
			   "\"message\":\"[request query.compatibilityMode]: "
			   "definition for this key is missing\"}";

	(void)state;
	assert_true(kb_is_html("text/html; charset=utf-8", "x", 1));
	assert_true(kb_is_html(NULL, login, strlen(login)));
	assert_false(kb_is_html("application/json", "{}", 2));
	kb_describe(&b, 200, NULL, login, strlen(login));
	assert_non_null(strstr(buf_cstr(&b), "HTML page, not the Kibana API"));
	buf_reset(&b);
	kb_describe(&b, 400, "application/json", e400, strlen(e400));
	assert_string_equal(buf_cstr(&b),
	    "HTTP 400: [request query.compatibilityMode]: definition for this "
	    "key is missing");
	buf_reset(&b);
	kb_describe(
	    &b, 404, "application/json", "{\"message\":\"Not Found\"}", 23);
	assert_non_null(strstr(buf_cstr(&b), "wrong base path"));
	buf_reset(&b);
	kb_describe(
	    &b, 503, "text/plain", "Kibana server is not ready yet", 30);
	assert_string_equal(buf_cstr(&b),
	    "HTTP 503: Kibana server is not ready yet (Kibana is not ready: "
	    "retry, or give --wait SECONDS)");
	buf_free(&b);
}

static void
test_import(void **state)
{
	struct kb_import r;
	struct buf errors = BUF_INIT, notes = BUF_INIT, err = BUF_INIT;
	const char *ok = "{\"success\":true,\"successCount\":7,"
			 "\"successResults\":[{\"type\":\"dashboard\",\"id\":"
			 "\"d\",\"destinationId\":\"new\"},{\"type\":"
			 "\"visualization\",\"id\":\"v\"}],\"warnings\":[]}";
	const char *missing =
	    "{\"success\":false,\"successCount\":6,\"errors\":[{\"id\":\"v\","
	    "\"type\":\"visualization\",\"title\":\"V\",\"meta\":{},\"error\":{"
	    "\"type\":\"missing_references\",\"references\":[{\"type\":"
	    "\"index-pattern\",\"id\":\"a\"},{\"type\":\"search\",\"id\":"
	    "\"b\"}]}}]}";
	const char *unknown =
	    "{\"success\":false,\"successCount\":6,\"errors\":[{\"id\":\"d\","
	    "\"type\":\"dashboard\",\"error\":{\"type\":\"unknown\","
	    "\"statusCode\":400,\"message\":\"bad\\nthing\"}}]}";

	(void)state;
	assert_int_equal(
	    kb_import_parse(ok, strlen(ok), &r, &errors, &notes, &err), 0);
	assert_true(r.success);
	assert_int_equal(r.success_count, 7);
	assert_int_equal(r.nerrors, 0);
	assert_int_equal(errors.len, 0);
	assert_string_equal(
	    buf_cstr(&notes), "dashboard d is new in this space\n");
	assert_string_equal(kb_import_id(&r, "dashboard", "d"), "new");
	assert_string_equal(kb_import_id(&r, "visualization", "v"), "v");
	assert_string_equal(kb_import_id(&r, "visualization", "d"), "d");
	kb_import_free(&r);
	assert_int_equal(kb_import_parse(missing, strlen(missing), &r, &errors,
			     &notes, &err),
	    0);
	assert_false(r.success);
	assert_true(r.resolvable);
	assert_string_equal(buf_cstr(&errors),
	    "visualization v: missing_references index-pattern:a,search:b\n");
	buf_reset(&errors);
	assert_int_equal(kb_import_parse(unknown, strlen(unknown), &r, &errors,
			     &notes, &err),
	    0);
	assert_false(r.resolvable);
	assert_int_equal(r.nerrors, 1);
	assert_string_equal(
	    buf_cstr(&errors), "dashboard d: unknown: bad thing\n");
	assert_int_equal(kb_import_parse("{\"statusCode\":400}", 18, &r,
			     &errors, &notes, &err),
	    -1);
	buf_free(&errors);
	buf_free(&notes);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_prefix),
	    cmocka_unit_test(test_build_default),
	    cmocka_unit_test(test_build_fields),
	    cmocka_unit_test(test_mapping_check),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_import),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

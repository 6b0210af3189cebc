/* SPDX-License-Identifier: MIT */
/* The server's root document, and the index template esbulk installs. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "server.h"

int
server_parse_root(struct arena *a, const char *body, size_t len,
    struct es_server *out, struct buf *err)
{
	struct jval *root, *version, *num, *dist;
	const char *p;
	size_t n;
	int major = 0, minor = 0;

	memset(out, 0, sizeof(*out));
	arena_reset(a);
	if (jsonx_parse(a, body, len, &root, NULL) != JSONX_OK ||
	    (version = jsonx_get(root, "version")) == NULL ||
	    (num = jsonx_get(version, "number")) == NULL ||
	    num->type != J_STRING) {
		buf_adds(err,
		    "GET / did not answer with version.number: not "
		    "Elasticsearch or OpenSearch?");
		return -1;
	}
	p = num->u.s;
	n = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < 4)
		major = major * 10 + (p[n++] - '0');
	if (n == 0) {
		buf_printf(
		    err, "GET /: version.number '%.20s' is not a version", p);
		return -1;
	}
	if (p[n] == '.')
		for (n++; p[n] >= '0' && p[n] <= '9' && minor < 1000; n++)
			minor = minor * 10 + (p[n] - '0');
	out->major = major;
	out->minor = minor;
	snprintf(out->version, sizeof(out->version), "%s", p);
	dist = jsonx_get(version, "distribution");
	out->opensearch = dist != NULL && dist->type == J_STRING &&
	    strcmp(dist->u.s, "opensearch") == 0;
	return 0;
}

int
server_parse_nodes(
    struct arena *a, const char *body, size_t len, struct es_server *out)
{
	struct jval *root, *nodes, *v;
	struct buf doc = BUF_INIT, err = BUF_INIT;
	struct es_server s;
	int rc = -1;

	arena_reset(a);
	if (jsonx_parse(a, body, len, &root, NULL) != JSONX_OK ||
	    (nodes = jsonx_get(root, "nodes")) == NULL ||
	    nodes->type != J_OBJECT || nodes->len == 0 ||
	    (v = jsonx_get(nodes->u.members[0].val, "version")) == NULL ||
	    v->type != J_STRING)
		goto out;
	/* as a root document, so that one parser reads both */
	buf_adds(&doc, "{\"version\":{\"number\":");
	jsonx_emit_string(&doc, v->u.s, v->len);
	buf_adds(&doc, "}}");
	if (server_parse_root(a, doc.data, doc.len, &s, &err) == 0) {
		*out = s;
		rc = 0;
	}
out:
	buf_free(&doc);
	buf_free(&err);
	return rc;
}

void
server_describe(const struct es_server *s, struct buf *b)
{
	buf_printf(b, "%s %s", s->opensearch ? "OpenSearch" : "Elasticsearch",
	    s->version);
}

bool
server_composable_templates(const struct es_server *s)
{
	return s->opensearch || s->major > 7 ||
	    (s->major == 7 && s->minor >= 8);
}

/* The fields vnorm writes (vnorm(1) "Output"; esbulk(1) --template). */
const char template_vehicles_mappings[] =
    "{\"dynamic\":false,\"properties\":{"
    "\"timestamp\":{\"type\":\"date\"},\"vin\":{\"type\":\"keyword\"},"
    "\"trip_id\":{\"type\":\"keyword\"},\"device_id\":{\"type\":\"keyword\"},"
    "\"route_id\":{\"type\":\"keyword\"},\"kind\":{\"type\":\"keyword\"},"
    "\"vehicle_speed\":{\"type\":\"float\"},"
    "\"engine_speed\":{\"type\":\"float\"},"
    "\"torque_at_transmission\":{\"type\":\"float\"},"
    "\"accelerator_pedal_position\":{\"type\":\"float\"},"
    "\"brake\":{\"type\":\"float\"},"
    "\"brake_pedal_status\":{\"type\":\"boolean\"},"
    "\"parking_brake_status\":{\"type\":\"boolean\"},"
    "\"steering_wheel_angle\":{\"type\":\"float\"},"
    "\"acceleration\":{\"type\":\"float\"},"
    "\"transmission_gear_position\":{\"type\":\"keyword\"},"
    "\"transmission_gear\":{\"type\":\"short\"},"
    "\"gear_lever_position\":{\"type\":\"keyword\"},"
    "\"ignition_status\":{\"type\":\"keyword\"},"
    "\"odometer\":{\"type\":\"double\"},\"fuel_level\":{\"type\":\"float\"},"
    "\"fuel_consumed_since_restart\":{\"type\":\"double\"},"
    "\"oil_temp\":{\"type\":\"float\"},\"latitude\":{\"type\":\"double\"},"
    "\"longitude\":{\"type\":\"double\"},"
    "\"location\":{\"type\":\"geo_point\"},\"dtc\":{\"type\":\"keyword\"},"
    "\"start_time\":{\"type\":\"date\"},\"end_time\":{\"type\":\"date\"},"
    "\"vehicle_speed_mean\":{\"type\":\"double\"},"
    "\"engine_speed_mean\":{\"type\":\"double\"},"
    "\"torque_at_transmission_mean\":{\"type\":\"double\"},"
    "\"oil_temp_mean\":{\"type\":\"double\"},"
    "\"accelerator_pedal_position_mean\":{\"type\":\"double\"},"
    "\"brake_mean\":{\"type\":\"double\"},"
    "\"high_speed_duration\":{\"type\":\"long\"},"
    "\"idle_duration\":{\"type\":\"long\"},"
    "\"high_acceleration_event\":{\"type\":\"long\"},"
    "\"high_braking_event\":{\"type\":\"long\"},"
    "\"extra\":{\"type\":\"object\",\"enabled\":false}}}";

void
template_pattern(const char *index, struct buf *b)
{
	const char *pct = strchr(index, '%');

	if (pct == NULL) {
		buf_adds(b, index);
		return;
	}
	buf_add(b, index, (size_t)(pct - index));
	buf_addc(b, '*');
}

void
template_default_name(const char *index, struct buf *b)
{
	size_t n = strcspn(index, "%");

	while (n > 0 && strchr("-_.+", index[n - 1]) != NULL)
		n--;
	buf_add(b, index, n);
}

static bool
is_key(const struct jmember *m, const char *key)
{
	return strlen(key) == m->klen && memcmp(m->key, key, m->klen) == 0;
}

/* Member m of a template body: one of the keys that go inside
 * "template" in a composable template. */
static bool
inner_key(const struct jmember *m)
{
	return is_key(m, "settings") || is_key(m, "mappings") ||
	    is_key(m, "aliases");
}

static void
emit_member(struct buf *b, const struct jmember *m, bool *first)
{
	if (!*first)
		buf_addc(b, ',');
	*first = false;
	jsonx_emit_string(b, m->key, m->klen);
	buf_addc(b, ':');
	jsonx_emit(b, m->val);
}

static void
emit_patterns(struct buf *b, const char *pattern, bool *first)
{
	if (!*first)
		buf_addc(b, ',');
	*first = false;
	buf_adds(b, "\"index_patterns\":[");
	jsonx_emit_string(b, pattern, strlen(pattern));
	buf_addc(b, ']');
}

/* mappings for Elasticsearch 6: under the type "_doc" unless already. */
static void
emit_mappings6(struct buf *b, const struct jmember *m, bool *first)
{
	const struct jval *v = m->val;

	if (!*first)
		buf_addc(b, ',');
	*first = false;
	buf_adds(b, "\"mappings\":");
	if (v->type == J_OBJECT && jsonx_get(v, "_doc") == NULL &&
	    (jsonx_get(v, "properties") != NULL ||
		jsonx_get(v, "dynamic") != NULL)) {
		buf_adds(b, "{\"_doc\":");
		jsonx_emit(b, v);
		buf_addc(b, '}');
	} else {
		jsonx_emit(b, v);
	}
}

int
template_body(struct arena *a, const char *text, size_t len,
    const char *pattern, const struct es_server *s, struct buf *out,
    struct buf *err)
{
	struct buf built = BUF_INIT;
	struct jval *root, *tmpl;
	struct jsonx_error jerr;
	bool composable = server_composable_templates(s), first = true;
	bool es6 = !s->opensearch && s->major < 7;
	size_t i;
	int rc = -1;

	if (text == NULL) {
		buf_adds(&built, "{\"mappings\":");
		buf_adds(&built, template_vehicles_mappings);
		buf_adds(
		    &built, ",\"_meta\":{\"created_by\":\"iotpipe esbulk\"}}");
		text = built.data;
		len = built.len;
	}
	arena_reset(a);
	if (jsonx_parse(a, text, len, &root, &jerr) != JSONX_OK) {
		jsonx_error_text(&jerr, err);
		goto out;
	}
	if (root->type != J_OBJECT) {
		buf_adds(err, "not a JSON object");
		goto out;
	}
	if (jsonx_get(root, "index_patterns") == NULL && pattern == NULL) {
		buf_adds(err,
		    "no index_patterns in the template and no -i to "
		    "make them from");
		goto out;
	}
	tmpl = jsonx_get(root, "template");
	if (tmpl != NULL && tmpl->type != J_OBJECT) {
		buf_adds(err, "\"template\" is not an object");
		goto out;
	}
	buf_addc(out, '{');
	if (jsonx_get(root, "index_patterns") == NULL)
		emit_patterns(out, pattern, &first);
	if (composable) {
		bool inner = false;

		for (i = 0; i < root->len; i++) {
			const struct jmember *m = &root->u.members[i];

			if (inner_key(m)) {
				inner = true;
				continue;
			}
			if (is_key(m, "order"))
				continue; /* legacy only */
			emit_member(out, m, &first);
		}
		if (inner && tmpl == NULL) {
			bool f2 = true;

			buf_adds(out, first ? "" : ",");
			buf_adds(out, "\"template\":{");
			first = false;
			for (i = 0; i < root->len; i++)
				if (inner_key(&root->u.members[i]))
					emit_member(
					    out, &root->u.members[i], &f2);
			buf_addc(out, '}');
		}
	} else {
		for (i = 0; i < root->len; i++) {
			const struct jmember *m = &root->u.members[i];

			if (is_key(m, "template") || is_key(m, "priority") ||
			    is_key(m, "composed_of") ||
			    is_key(m, "data_stream") || is_key(m, "_meta"))
				continue;
			if (es6 && is_key(m, "mappings"))
				emit_mappings6(out, m, &first);
			else
				emit_member(out, m, &first);
		}
		for (i = 0; tmpl != NULL && i < tmpl->len; i++) {
			const struct jmember *m = &tmpl->u.members[i];

			if (es6 && is_key(m, "mappings"))
				emit_mappings6(out, m, &first);
			else
				emit_member(out, m, &first);
		}
	}
	buf_addc(out, '}');
	rc = 0;
out:
	buf_free(&built);
	return rc;
}

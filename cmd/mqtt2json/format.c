/* SPDX-License-Identifier: MIT */
/* One MQTT message as one NDJSON line: the payload rules of iotpipe(7). */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
#include "format.h"
#include "topicfields.h"

#define MAX_CAPS 32

/* The members of @metadata.mqtt, without braces. */
static void
mqtt_members(const struct m2j_msg *m, struct buf *out)
{
	size_t i;

	buf_adds(out, "\"topic\":");
	jsonx_emit_string_lossy(out, m->topic, strlen(m->topic));
	buf_printf(out, ",\"qos\":%d,\"retain\":%s", m->qos,
	    m->retain ? "true" : "false");
	if (m->received_ms > 0)
		buf_printf(
		    out, ",\"received\":%lld", (long long)m->received_ms);
	if (m->nprops == 0)
		return;
	buf_adds(out, ",\"user_properties\":[");
	for (i = 0; i < m->nprops; i++) {
		if (i > 0)
			buf_addc(out, ',');
		buf_addc(out, '[');
		jsonx_emit_string_lossy(
		    out, m->props[i].name, strlen(m->props[i].name));
		buf_addc(out, ',');
		jsonx_emit_string_lossy(
		    out, m->props[i].value, strlen(m->props[i].value));
		buf_addc(out, ']');
	}
	buf_addc(out, ']');
}

struct ctx {
	const struct m2j_msg *m;
	const struct topic_capture *caps;
	size_t ncaps;
};

static void
members(const void *arg, struct buf *out)
{
	mqtt_members(((const struct ctx *)arg)->m, out);
}

/* The captured topic levels the object obj (may be NULL) lacks. */
static void
fields(const void *arg, const struct jval *obj, bool first, struct buf *out)
{
	const struct ctx *x = arg;
	size_t i;

	for (i = 0; i < x->ncaps; i++) {
		if (obj != NULL &&
		    jsonx_getn(obj, x->caps[i].name, x->caps[i].nlen) != NULL)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = false;
		jsonx_emit_string_lossy(out, x->caps[i].name, x->caps[i].nlen);
		buf_addc(out, ':');
		jsonx_emit_string_lossy(out, x->caps[i].value, x->caps[i].vlen);
	}
}

void
m2j_meta(const struct m2j_msg *m, struct buf *out)
{
	struct ctx x = {m, NULL, 0};
	struct payload_rules r = {
	    PAYLOAD_BINARY_REJECT, "mqtt", members, NULL, &x, false};

	payload_meta(&r, out);
}

const char *
m2j_format(const struct m2j_conf *c, struct arena *a, const struct m2j_msg *m,
    struct buf *out)
{
	struct topic_capture caps[MAX_CAPS];
	struct ctx x = {m, caps, 0};
	struct payload_rules r = {
	    c->binary, c->metadata ? "mqtt" : NULL, members, NULL, &x, true};

	if (c->tf != NULL && topic_fields_count(c->tf) <= MAX_CAPS &&
	    topic_fields_match(c->tf, m->topic, strlen(m->topic), caps))
		x.ncaps = topic_fields_count(c->tf);
	if (x.ncaps > 0)
		r.fields = fields;
	/* MQTT has no null payload: no bytes are an empty one */
	return payload_record(
	    &r, a, m->payload != NULL ? m->payload : "", m->len, out);
}

/* ------------------------------------------------------------ -F */

const char *
m2j_human_check(const char *fmt)
{
	const char *p;

	for (p = fmt; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || strchr("\\ntr0ae", p[1]) == NULL)
				return "unknown escape (\\\\ \\n \\t \\r \\0 "
				       "\\a \\e)";
			p++;
		} else if (*p == '%') {
			if (p[1] == '\0' || strchr("tpqrlxXjIU%", p[1]) == NULL)
				return "unknown %-letter (%t %p %q %r %l %x %X "
				       "%j %I %U %%)";
			p++;
		}
	}
	return NULL;
}

bool
m2j_human_time(const char *fmt)
{
	const char *p;

	for (p = fmt; *p != '\0'; p++)
		if (*p == '%' || *p == '\\') {
			if (*p == '%' && strchr("jIU", p[1]) != NULL)
				return true;
			if (p[1] != '\0')
				p++;
		}
	return false;
}

/* 2024-05-01T10:00:00.123456+0000, mosquitto_sub's %I with the
 * microseconds of its %j "tst". */
static void
add_iso(struct buf *out, const struct timespec *when, bool micro)
{
	struct tm tm;
	char s[64];

	if (localtime_r(&when->tv_sec, &tm) == NULL)
		return;
	if (strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	buf_adds(out, s);
	if (micro)
		buf_printf(out, ".%06ld", when->tv_nsec / 1000);
	if (strftime(s, sizeof(s), "%z", &tm) > 0)
		buf_adds(out, s);
}

static void
add_hex(struct buf *out, const unsigned char *p, size_t n, bool upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_addc(out, d[p[i] >> 4]);
		buf_addc(out, d[p[i] & 15]);
	}
}

void
m2j_human(const char *fmt, const struct m2j_msg *m, const struct timespec *when,
    struct buf *out)
{
	const char *p, *esc;

	for (p = fmt; *p != '\0'; p++) {
		if (*p == '\\') {
			static const char from[] = "\\ntr0ae";
			static const char to[] = "\\\n\t\r\0\a\033";

			p++;
			esc = strchr(from, *p);
			buf_addc(out, esc != NULL ? to[esc - from] : *p);
			continue;
		}
		if (*p != '%') {
			buf_addc(out, *p);
			continue;
		}
		switch (*++p) {
		case 't':
			buf_adds(out, m->topic);
			break;
		case 'p':
			buf_add(out, m->payload, m->len);
			break;
		case 'q':
			buf_printf(out, "%d", m->qos);
			break;
		case 'r':
			buf_addc(out, m->retain ? '1' : '0');
			break;
		case 'l':
			buf_printf(out, "%zu", m->len);
			break;
		case 'x':
		case 'X':
			add_hex(out, m->payload, m->len, *p == 'X');
			break;
		case 'I':
			add_iso(out, when, false);
			break;
		case 'U':
			buf_printf(out, "%lld.%09ld", (long long)when->tv_sec,
			    when->tv_nsec);
			break;
		case 'j':
			buf_adds(out, "{\"tst\":\"");
			add_iso(out, when, true);
			buf_adds(out, "\",\"topic\":");
			jsonx_emit_string(out, m->topic, strlen(m->topic));
			buf_printf(out,
			    ",\"qos\":%d,\"retain\":%d,\"payload\":", m->qos,
			    m->retain ? 1 : 0);
			jsonx_emit_string_lossy(out, m->payload, m->len);
			buf_addc(out, '}');
			break;
		default: /* '%' */
			buf_addc(out, '%');
		}
	}
}

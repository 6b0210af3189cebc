/* SPDX-License-Identifier: MIT */
/* One NDJSON line as one Kafka message: routing from flags and @metadata. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/payload.h"
#include "record.h"
#include "common/banned.h"

#define BOM "\xEF\xBB\xBF"

/* s[0..n) as a NUL-terminated copy in the arena. */
static const char *
dup(struct arena *a, const char *s, size_t n)
{
	return arena_memdup(a, s, n);
}

/*
 * Bytes of a key or header value written as {"base64":"..."}: 1 with
 * out and outlen set, 0 when v is not that form, -1 when it is broken.
 */
static int
base64_form(
    struct arena *a, const struct jval *v, const char **out, size_t *outlen)
{
	const struct jval *b;
	struct buf tmp = BUF_INIT;

	if (v->type != J_OBJECT || v->len != 1 ||
	    (b = jsonx_get(v, "base64")) == NULL)
		return 0;
	if (b->type != J_STRING ||
	    base64_decode_append(&tmp, b->u.s, b->len) < 0) {
		buf_free(&tmp);
		return -1;
	}
	*out = dup(a, tmp.data != NULL ? tmp.data : "", tmp.len);
	*outlen = tmp.len;
	buf_free(&tmp);
	return 1;
}

/* A JSON value as key bytes: string bytes, number text, else compact
 * JSON.  false for null (no key from this source). */
static bool
key_bytes(
    struct arena *a, const struct jval *v, const char **out, size_t *outlen)
{
	struct buf tmp = BUF_INIT;

	switch (v->type) {
	case J_NULL:
		return false;
	case J_STRING:
	case J_NUMBER:
		*out = v->u.s;
		*outlen = v->len;
		return true;
	default:
		jsonx_emit(&tmp, v);
		*out = dup(a, tmp.data, tmp.len);
		*outlen = tmp.len;
		buf_free(&tmp);
		return true;
	}
}

/* Whole decimal digits (with an optional '-') into *out. */
static bool
integer(const struct jval *v, int64_t min, int64_t *out)
{
	int64_t x = 0;
	size_t i = 0;
	bool neg = false;

	if (v->type != J_NUMBER || v->len == 0)
		return false;
	if (v->u.s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == v->len)
		return false;
	for (; i < v->len; i++) {
		char c = v->u.s[i];

		if (c < '0' || c > '9' || x > (INT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (c - '0');
	}
	*out = neg ? -x : x;
	return *out >= min;
}

/* The --timestamp-field value: epoch by magnitude, or a date string.
 * 1: *ms set; 0: null or absent; -1: bad. */
static int
field_time(const struct jval *v, int64_t *ms)
{
	if (v == NULL || v->type == J_NULL)
		return 0;
	if (v->type == J_NUMBER)
		return time_parse_epoch(v->u.s, v->len, ms) == TIME_OK ? 1 : -1;
	if (v->type != J_STRING)
		return -1;
	if (v->len > 0 && strspn(v->u.s, "0123456789") == v->len)
		return time_parse_epoch(v->u.s, v->len, ms) == TIME_OK ? 1 : -1;
	return time_parse_string(v->u.s, v->len, ms) == TIME_OK ? 1 : -1;
}

/* @metadata.kafka.timestamp: epoch milliseconds, or a date string. */
static int
meta_time(const struct jval *v, int64_t *ms)
{
	if (v == NULL || v->type == J_NULL)
		return 0;
	if (v->type == J_NUMBER)
		return integer(v, 0, ms) ? 1 : -1;
	if (v->type == J_STRING)
		return time_parse_string(v->u.s, v->len, ms) == TIME_OK ? 1
									: -1;
	return -1;
}

/* One header value: a string, null or {"base64":...}. */
static bool
header_value(struct arena *a, const struct jval *v, struct kp_header *h)
{
	if (v->type == J_NULL) {
		h->value = NULL;
		h->vlen = 0;
		return true;
	}
	if (v->type == J_STRING) {
		h->value = v->u.s;
		h->vlen = v->len;
		return true;
	}
	return base64_form(a, v, &h->value, &h->vlen) == 1;
}

/* The headers of @metadata.kafka followed by -H, into m. */
static bool
headers(const struct kp_conf *c, struct arena *a, const struct jval *hv,
    struct kp_msg *m)
{
	size_t n = hv != NULL && hv->type != J_NULL ? hv->len : 0, i;
	struct kp_header *h;

	m->headers = NULL;
	m->nheaders = 0;
	if (n + c->nheaders == 0)
		return true;
	if (hv != NULL && hv->type != J_NULL && hv->type != J_ARRAY &&
	    hv->type != J_OBJECT)
		return false;
	h = arena_alloc(a, (n + c->nheaders) * sizeof(*h));
	for (i = 0; i < n; i++) {
		if (hv->type == J_OBJECT) {
			h[i].name = hv->u.members[i].key;
			h[i].nlen = hv->u.members[i].klen;
			if (!header_value(a, hv->u.members[i].val, &h[i]))
				return false;
			continue;
		}
		{
			const struct jval *pair = hv->u.items[i];

			if (pair->type != J_ARRAY || pair->len != 2 ||
			    pair->u.items[0]->type != J_STRING)
				return false;
			h[i].name = pair->u.items[0]->u.s;
			h[i].nlen = pair->u.items[0]->len;
			if (!header_value(a, pair->u.items[1], &h[i]))
				return false;
		}
	}
	for (i = 0; i < c->nheaders; i++)
		h[n + i] = c->headers[i];
	m->headers = h;
	m->nheaders = n + c->nheaders;
	return true;
}

static const char *
fail(struct buf *why, const char *reason)
{
	buf_reset(why);
	buf_adds(why, reason);
	return buf_cstr(why);
}

/* A scanned member as key bytes: false when the full parse must decide
 * (escapes, containers) or when it is null or absent (*absent set). */
static bool
span_key(
    const struct jsonx_span *f, const char **key, size_t *keylen, bool *absent)
{
	*absent = !f->found || f->type == J_NULL;
	if (*absent || f->escaped || f->type == J_OBJECT || f->type == J_ARRAY)
		return false;
	*key = f->p;
	*keylen = f->len;
	return true;
}

/* A scanned --timestamp-field: 1 set, 0 absent, -1 bad, -2 undecided. */
static int
span_time(const struct jsonx_span *f, int64_t *ms)
{
	if (!f->found || f->type == J_NULL)
		return 0;
	if (f->escaped)
		return -2;
	if (f->type == J_NUMBER ||
	    (f->type == J_STRING && f->len > 0 &&
		strspn(f->p, "0123456789") >= f->len))
		return time_parse_epoch(f->p, f->len, ms) == TIME_OK ? 1 : -1;
	if (f->type != J_STRING)
		return -1;
	return time_parse_string(f->p, f->len, ms) == TIME_OK ? 1 : -1;
}

/* A record kcons -m wrapped: the bytes it held (see payload_unwrap). */
static const char *
unwrap(struct arena *a, const struct jval *root, const struct jval *kind,
    struct kp_msg *m)
{
	struct buf tmp = BUF_INIT;
	const char *reason;
	bool none;

	if ((reason = payload_unwrap(root, kind, &tmp, &none)) == NULL) {
		m->value_is_line = false;
		m->value = none
		    ? NULL
		    : dup(a, tmp.data != NULL ? tmp.data : "", tmp.len);
		m->vlen = tmp.len;
	}
	buf_free(&tmp);
	return reason;
}

/*
 * The common case without building a tree: a valid line without
 * @metadata, routed by the flags, with plain top-level --key-field and
 * --timestamp-field members.  1: m is ready; 0: the full parse decides.
 */
static int
fast(const struct kp_conf *c, const char *line, size_t len, struct kp_msg *m)
{
	struct jsonx_scan s;
	bool absent;
	int k = 0, t = -1, rc;

	if (c->topic == NULL || (c->key_field && strchr(c->key_field, '.')) ||
	    (c->ts_field && strchr(c->ts_field, '.')))
		return 0;
	memset(s.keys, 0, sizeof(s.keys));
	if (c->key_field != NULL)
		s.keys[k++] = c->key_field;
	if (c->ts_field != NULL)
		s.keys[t = k++] = c->ts_field;
	if (jsonx_scan(line, len, &s) != JSONX_OK || s.has_meta ||
	    s.key_escapes)
		return 0;
	m->topic = c->topic;
	m->partition = c->partition;
	m->value = line;
	m->vlen = len;
	m->value_is_line = true;
	m->borrowed = true;
	m->headers = c->headers;
	m->nheaders = c->nheaders;
	if (c->key_field != NULL &&
	    !span_key(&s.found[0], &m->key, &m->keylen, &absent)) {
		if (!absent)
			return 0;
		m->key = NULL;
	}
	if (m->key == NULL && c->key != NULL) {
		m->key = c->key;
		m->keylen = c->keylen;
	}
	if (t >= 0 && (rc = span_time(&s.found[t], &m->timestamp)) < 0)
		return 0; /* the full parse gives the reason */
	return 1;
}

const char *
kp_prepare(const struct kp_conf *c, struct arena *a, const char *line,
    size_t len, struct kp_msg *m, struct buf *why)
{
	const struct jval *root, *meta, *kafka = NULL, *v;
	struct jval *parsed;
	struct jsonx_error err;
	struct buf tmp = BUF_INIT;
	const char *reason;
	int64_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	m->partition = -1;
	if (len >= 3 && memcmp(line, BOM, 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (fast(c, line, len, m))
		return NULL;
	memset(m, 0, sizeof(*m));
	m->partition = -1;
	if (jsonx_parse(a, line, len, &parsed, &err) != JSONX_OK) {
		buf_reset(why);
		jsonx_error_text(&err, why);
		return buf_cstr(why);
	}
	root = parsed;
	meta = jsonx_meta(root);
	if (meta != NULL && meta->type == J_OBJECT &&
	    (kafka = jsonx_get(meta, "kafka")) != NULL &&
	    kafka->type != J_OBJECT)
		kafka = NULL;

	/* value */
	if (meta != NULL) {
		jsonx_emit_without_meta(&tmp, root);
		m->value = dup(a, tmp.data, tmp.len);
		m->vlen = tmp.len;
		buf_free(&tmp);
	} else {
		m->value = line;
		m->vlen = len;
		m->value_is_line = true;
	}

	if (kafka != NULL && (v = jsonx_get(kafka, "wrapped")) != NULL &&
	    (reason = unwrap(a, root, v, m)) != NULL)
		return fail(why, reason);

	/* topic and partition */
	if (c->topic != NULL) {
		m->topic = c->topic;
	} else if (kafka != NULL && (v = jsonx_get(kafka, "topic")) != NULL &&
	    v->type == J_STRING && v->len > 0 &&
	    memchr(v->u.s, '\0', v->len) == NULL) {
		m->topic = dup(a, v->u.s, v->len);
		if ((v = jsonx_get(kafka, "partition")) != NULL &&
		    v->type != J_NULL) {
			if (!integer(v, 0, &n) || n > INT32_MAX)
				return fail(
				    why, "bad @metadata.kafka.partition");
			m->partition = (int32_t)n;
		}
	} else {
		return fail(why,
		    "no topic: neither -t nor "
		    "@metadata.kafka.topic");
	}
	if (c->partition >= 0)
		m->partition = c->partition;

	/* key */
	if (c->key_field != NULL && (v = jsonx_path(root, c->key_field)) &&
	    key_bytes(a, v, &m->key, &m->keylen)) {
		/* from the document */
	} else if (kafka != NULL && (v = jsonx_get(kafka, "key")) != NULL &&
	    v->type != J_NULL) {
		if (v->type == J_STRING) {
			m->key = v->u.s;
			m->keylen = v->len;
		} else if (base64_form(a, v, &m->key, &m->keylen) != 1) {
			return fail(why, "bad @metadata.kafka.key");
		}
	} else if (c->key != NULL) {
		m->key = c->key;
		m->keylen = c->keylen;
	}

	/* timestamp */
	rc = c->ts_field != NULL
	    ? field_time(jsonx_path(root, c->ts_field), &m->timestamp)
	    : 0;
	if (rc < 0)
		return fail(why,
		    "bad --timestamp-field value (epoch time or "
		    "RFC 3339 expected)");
	if (rc == 0 && kafka != NULL &&
	    meta_time(jsonx_get(kafka, "timestamp"), &m->timestamp) < 0)
		return fail(why, "bad @metadata.kafka.timestamp");

	if (!headers(
		c, a, kafka != NULL ? jsonx_get(kafka, "headers") : NULL, m))
		return fail(why, "bad @metadata.kafka.headers");
	return NULL;
}

void
kp_line_meta(struct arena *a, const char *line, size_t len, struct buf *out)
{
	struct jval *root;
	const struct jval *meta;

	if (len >= 3 && memcmp(line, BOM, 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (jsonx_parse(a, line, len, &root, NULL) != JSONX_OK)
		return;
	if ((meta = jsonx_meta(root)) != NULL)
		jsonx_emit(out, meta);
}

/* SPDX-License-Identifier: MIT */
/* One NDJSON line as one Kafka message: routing from flags and @metadata. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/payload.h"
#include "common/timefmt.h"
#include "record.h"

#define BOM "\xEF\xBB\xBF"

/* s[0..n) as a NUL-terminated copy in the arena. */
static const char *
dup(struct arena *a, const char *s, size_t n)
{
	return arena_memdup(a, s, n);
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

/* The headers of @metadata.kafka k followed by -H, into m. */
static bool
headers(const struct kp_conf *c, struct arena *a, const struct jval *k,
    struct kp_msg *m)
{
	const struct jval *hs = NULL;
	struct kp_header *h;
	size_t n, i;

	m->headers = NULL;
	m->nheaders = 0;
	if (kafkameta_headers(k, &hs, &n) < 0)
		return false;
	if (n + c->nheaders == 0)
		return true;
	h = arena_alloc(a, (n + c->nheaders) * sizeof(*h));
	for (i = 0; i < n; i++)
		if (!kafkameta_header(a, hs, i, &h[i].name, &h[i].nlen,
			&h[i].value, &h[i].vlen))
			return false;
	for (i = 0; i < c->nheaders; i++)
		h[n + i] = c->headers[i];
	m->headers = h;
	m->nheaders = n + c->nheaders;
	return true;
}

const char kp_no_topic[] = "no topic: neither -t nor @metadata.kafka.topic";

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
	const struct jval *root, *kafka, *v;
	struct jval *parsed;
	struct jsonx_error err;
	struct buf tmp = BUF_INIT;
	const char *reason;
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	m->partition = -1;
	if (c->raw) {
		m->topic = c->topic;
		m->partition = c->partition;
		m->key = c->key;
		m->keylen = c->keylen;
		m->value = line;
		m->vlen = len;
		m->value_is_line = true;
		m->borrowed = true;
		m->headers = c->headers;
		m->nheaders = c->nheaders;
		return NULL;
	}
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
	kafka = kafkameta_find(root);

	/* value */
	if (jsonx_meta(root) != NULL) {
		jsonx_emit_without_meta(&tmp, root);
		m->value = dup(a, tmp.data, tmp.len);
		m->vlen = tmp.len;
		buf_free(&tmp);
	} else {
		m->value = line;
		m->vlen = len;
		m->value_is_line = true;
	}

	if ((v = kafkameta_wrapped(kafka)) != NULL &&
	    (reason = unwrap(a, root, v, m)) != NULL)
		return fail(why, reason);

	/* topic and partition */
	if (c->topic != NULL) {
		m->topic = c->topic;
	} else if (kafkameta_topic(kafka, &m->topic, &n)) {
		if (kafkameta_partition(kafka, &m->partition) < 0)
			return fail(why, "bad @metadata.kafka.partition");
	} else {
		return kp_no_topic;
	}
	if (c->partition >= 0)
		m->partition = c->partition;

	/* key */
	if (c->key_field != NULL && (v = jsonx_path(root, c->key_field)) &&
	    key_bytes(a, v, &m->key, &m->keylen)) {
		/* from the document */
	} else if ((rc = kafkameta_key(a, kafka, &m->key, &m->keylen)) != 0) {
		if (rc < 0)
			return fail(why, "bad @metadata.kafka.key");
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
	if (rc == 0 && kafkameta_timestamp(kafka, &m->timestamp) < 0)
		return fail(why, "bad @metadata.kafka.timestamp");

	if (!headers(c, a, kafka, m))
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

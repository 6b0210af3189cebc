/* SPDX-License-Identifier: MIT */
/* The _bulk request builder and the per-item response parser. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/jsonx.h"
#include "common/kafkameta.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "bulk.h"

/* ---------------------------------------------------------------- dates */

/*
 * The rules Elasticsearch and OpenSearch have for an index name, checked
 * once at start rather than refused for every document: lowercase, none
 * of \ / * ? " < > | , # : or a space, not starting with - _ +, not . or
 * .., at most 255 bytes.  A pattern's conversions give digits.
 */
static int
index_name_check(const char *pattern, struct buf *err)
{
	const char *p;
	size_t n = 0;

	if (strcmp(pattern, ".") == 0 || strcmp(pattern, "..") == 0 ||
	    strchr("-_+", pattern[0]) != NULL) {
		buf_printf(err,
		    "invalid index name '%s': it must not be . or .. nor start "
		    "with -, _ or +",
		    pattern);
		return -1;
	}
	for (p = pattern; *p != '\0'; p++, n++) {
		if (*p == '%') {
			p++; /* checked above: a conversion, or %% */
			continue;
		}
		if (*p >= 'A' && *p <= 'Z') {
			buf_printf(err,
			    "invalid index name '%s': index names must be "
			    "lowercase",
			    pattern);
			return -1;
		}
		if (strchr("\\/*?\"<>|,#: ", *p) != NULL) {
			buf_printf(err,
			    "invalid index name '%s': '%c' is not allowed in "
			    "an index name",
			    pattern, *p);
			return -1;
		}
	}
	if (n > 255) {
		buf_printf(
		    err, "invalid index name: longer than 255 bytes (%zu)", n);
		return -1;
	}
	return 0;
}

int
bulk_index_check(const char *pattern, bool *dated, struct buf *err)
{
	const char *p;

	*dated = false;
	if (pattern == NULL || *pattern == '\0') {
		buf_adds(err, "empty index name");
		return -1;
	}
	for (p = pattern; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		if (*p == '\0' || strchr("YyGgmdjHVUWuw", *p) == NULL) {
			buf_printf(err,
			    "index pattern '%s': conversion '%%%c' is not "
			    "supported (use %%Y %%y %%G %%g %%m %%d %%j %%H "
			    "%%V %%U %%W %%u %%w %%%%)",
			    pattern, *p != '\0' ? *p : ' ');
			return -1;
		}
		*dated = true;
	}
	return index_name_check(pattern, err);
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int md[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : md[m - 1];
}

static int
iso_time(const char *s, size_t n, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	size_t i;

	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) < 0 ||
	    digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 || mo < 1 ||
	    mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	i = 10;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (n - i < 2 || digits(s + i, 2, &h) < 0 || h > 23)
			return -1;
		i += 2;
		if (i < n && s[i] == ':') {
			if (n - i < 3 || digits(s + i + 1, 2, &mi) < 0 ||
			    mi > 59)
				return -1;
			i += 3;
			if (i < n && s[i] == ':') {
				if (n - i < 3 ||
				    digits(s + i + 1, 2, &sec) < 0 || sec > 59)
					return -1;
				i += 3;
				if (i < n && (s[i] == '.' || s[i] == ',')) {
					i++;
					if (i == n || s[i] < '0' || s[i] > '9')
						return -1;
					while (
					    i < n && s[i] >= '0' && s[i] <= '9')
						i++;
				}
			}
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			sign = s[i] == '-' ? -1 : 1;
			i++;
			if (n - i < 2 || digits(s + i, 2, &zh) < 0 || zh > 23)
				return -1;
			i += 2;
			if (i < n && s[i] == ':')
				i++;
			if (i < n) {
				if (n - i < 2 || digits(s + i, 2, &zm) < 0 ||
				    zm > 59)
					return -1;
				i += 2;
			}
		}
		if (i != n)
			return -1;
	}
	*out = (time_t)(days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
	    mi * 60LL + sec - sign * (zh * 3600LL + zm * 60LL));
	return 0;
}

static int
millis_time(const char *s, size_t n, time_t *out)
{
	long long v = 0;
	size_t i;

	if (n == 0 || n > 15)
		return -1;
	for (i = 0; i < n && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i < n)
		for (i++; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return -1;
	*out = (time_t)(v / 1000);
	return 0;
}

int
bulk_doc_time(const struct jval *v, time_t *out)
{
	if (v == NULL)
		return -1;
	if (v->type == J_NUMBER)
		return millis_time(v->u.s, v->len, out);
	if (v->type != J_STRING)
		return -1;
	if (v->len > 0 && strspn(v->u.s, "0123456789") == v->len)
		return millis_time(v->u.s, v->len, out);
	return iso_time(v->u.s, v->len, out);
}

/* -------------------------------------------------------------- batches */

struct bulk_batch *
bulk_batch_new(void)
{
	return xcalloc(1, sizeof(struct bulk_batch));
}

void
bulk_batch_free(struct bulk_batch *b)
{
	if (b == NULL)
		return;
	buf_free(&b->body);
	buf_free(&b->side);
	free(b->items);
	free(b);
}

void
bulk_refusal_free(struct bulk_refusal *r)
{
	buf_free(&r->reason);
	buf_free(&r->meta);
	buf_free(&r->kafka);
}

static struct bulk_item *
new_item(struct bulk_batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->items = xreallocarray(b->items, b->cap, sizeof(*b->items));
	}
	memset(&b->items[b->n], 0, sizeof(b->items[0]));
	return &b->items[b->n];
}

/* A string or number member as id text; NULL if it is neither. */
static const char *
scalar_text(const struct jval *v, size_t *n)
{
	if (v == NULL || (v->type != J_STRING && v->type != J_NUMBER))
		return NULL;
	*n = v->len;
	return v->u.s;
}

/* The reason why a line is refused; -1 for the caller to return. */
static int
refuse(struct bulk_refusal *r, const char *why, const char *arg)
{
	buf_adds(&r->reason, why);
	if (arg != NULL) {
		buf_adds(&r->reason, " ");
		buf_adds(&r->reason, arg);
	}
	return -1;
}

/* The document's _id into id (empty when the server is to pick one). */
static int
doc_id(const struct bulk_conf *c, const struct jval *root,
    const struct jval *es, struct buf *id, struct bulk_refusal *r)
{
	const struct jval *v;
	const char *p;
	size_t n, i;

	if ((v = jsonx_get(es, "_id")) != NULL) {
		if ((p = scalar_text(v, &n)) == NULL || n == 0)
			return refuse(r,
			    "@metadata.es._id is not a non-empty string", NULL);
		buf_add(id, p, n);
		return 0;
	}
	if (c->id_fields != NULL) {
		for (i = 0; c->id_fields[i] != NULL; i++) {
			v = jsonx_path(root, c->id_fields[i]);
			if (v == NULL) {
				r->id_missing = true;
				return refuse(
				    r, "missing id field", c->id_fields[i]);
			}
			if ((p = scalar_text(v, &n)) == NULL)
				return refuse(r,
				    "not a string or number: id field",
				    c->id_fields[i]);
			if (i > 0)
				buf_addc(id, ':');
			buf_add(id, p, n);
		}
		if (id->len == 0)
			return refuse(r, "empty _id", NULL);
		return 0;
	}
	if (c->kafka_id && kafkameta_id(kafkameta_find(root), id) < 0) {
		r->config = "--kafka-id needs the @metadata.kafka of kcons -m "
			    "in every record: run kcons with -m, or give --id";
		return refuse(r,
		    "--kafka-id: no @metadata.kafka topic, partition and "
		    "offset",
		    NULL);
	}
	return 0;
}

static int
doc_index(const struct bulk_conf *c, const struct jval *root,
    const struct jval *es, struct buf *index, struct bulk_refusal *r)
{
	const struct jval *v;
	const char *p;
	size_t n;
	struct tm tm;
	time_t t;
	char name[512];

	if ((v = jsonx_get(es, "_index")) != NULL) {
		if ((p = scalar_text(v, &n)) == NULL || v->type != J_STRING ||
		    n == 0)
			return refuse(r,
			    "@metadata.es._index is not a non-empty string",
			    NULL);
		buf_add(index, p, n);
		return 0;
	}
	if (c->index == NULL) {
		r->config = "give -i INDEX, or an @metadata.es._index in every "
			    "record";
		return refuse(
		    r, "no index: no -i and no @metadata.es._index", NULL);
	}
	if (!c->index_dated) {
		buf_adds(index, c->index);
		return 0;
	}
	v = jsonx_path(root, c->date_field);
	if (v == NULL)
		return refuse(
		    r, "missing date for the index pattern:", c->date_field);
	if (bulk_doc_time(v, &t) < 0 || gmtime_r(&t, &tm) == NULL)
		return refuse(
		    r, "bad date for the index pattern:", c->date_field);
		/* the pattern was checked by bulk_index_check() */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(name, sizeof(name), c->index, &tm);
#pragma GCC diagnostic pop
	if (n == 0)
		return refuse(r, "index name too long", NULL);
	buf_add(index, name, n);
	return 0;
}

/* ---- the source without "@metadata", cut out of the line's own text */

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Past the string starting at p (a '"'), in text known to be valid. */
static const char *
skip_string(const char *p, const char *end)
{
	const char *q;

	for (p++; p < end; p = q + 1) {
		size_t bs = 0;

		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
			return end;
		/* escaped when an odd number of backslashes precede it */
		while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			return q + 1;
	}
	return end;
}

/* Past the value starting at p, in text known to be valid JSON. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		if (*p == '"') {
			p = skip_string(p, end);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (depth == 0 &&
		    (*p == ',' || *p == ' ' || *p == '\t' || *p == '\r' ||
			*p == '\n'))
			return p;
		p++;
	} while (p < end &&
	    (depth > 0 ||
		(*p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		    *p != '\t' && *p != '\r' && *p != '\n')));
	return p;
}

/*
 * Append line without its top-level "@metadata" member to b, cutting the
 * member out of the text (the line was parsed: it is a valid object).
 * Returns -1, appending nothing, when the key is written with escapes or
 * appears twice: the caller then emits the parsed value instead.
 */
static int
splice_without_meta(
    struct buf *b, const char *line, size_t len, const char **mv, size_t *mvlen)
{
	const char *p = line, *end = line + len, *kstart, *vstart, *vend;
	const char *cut0 = NULL, *cut1 = NULL, *prev_end = NULL;
	bool first = true, meta;

	p = skip_ws(p, end);
	p++; /* '{' */
	for (;;) {
		p = skip_ws(p, end);
		if (*p == '}')
			break;
		kstart = p;
		p = skip_string(p, end);
		/* a key written with escapes might spell "@metadata" */
		if (memchr(kstart, '\\', (size_t)(p - kstart)) != NULL)
			return -1;
		meta = p - kstart == 11 &&
		    memcmp(kstart, "\"@metadata\"", 11) == 0;
		p = skip_ws(p, end);
		p++; /* ':' */
		vstart = p = skip_ws(p, end);
		vend = skip_value(p, end);
		p = skip_ws(vend, end);
		if (meta) {
			if (cut0 != NULL)
				return -1;
			*mv = vstart;
			*mvlen = (size_t)(vend - vstart);
			if (first) {
				/* up to the next member's key, or the '}' */
				cut0 = kstart;
				cut1 = *p == ',' ? skip_ws(p + 1, end) : p;
			} else {
				/* from the comma after the previous value */
				cut0 = prev_end;
				cut1 = vend;
			}
		}
		first = false;
		prev_end = vend;
		if (*p == ',')
			p++;
		else
			break;
	}
	if (cut0 == NULL) {
		buf_add(b, line, len);
		return 0;
	}
	buf_add(b, line, (size_t)(cut0 - line));
	buf_add(b, cut1, (size_t)(end - cut1));
	return 0;
}

static void
add_member(struct buf *b, const char *key, const char *p, size_t n, bool first)
{
	if (!first)
		buf_addc(b, ',');
	buf_addc(b, '"');
	buf_adds(b, key);
	buf_adds(b, "\":");
	jsonx_emit_string(b, p, n);
}

int
bulk_add_line(const struct bulk_conf *c, struct bulk_batch *b, struct arena *a,
    const char *line, size_t len, unsigned long long lineno,
    struct bulk_refusal *r)
{
	struct jval *root, *meta, *es, *v;
	const struct jval *kafka;
	struct jsonx_error err;
	struct bulk_item *it;
	struct buf id = BUF_INIT, index = BUF_INIT;
	size_t body0 = b->body.len, side0 = b->side.len;
	int rc = -1;

	buf_reset(&r->reason);
	buf_reset(&r->meta);
	buf_reset(&r->kafka);
	r->config = NULL;
	r->id_missing = false;
	arena_reset(a);
	if (jsonx_parse(a, line, len, &root, &err) != JSONX_OK) {
		jsonx_error_text(&err, &r->reason);
		return -1;
	}
	if (root->type != J_OBJECT) {
		buf_adds(&r->reason, "not a JSON object");
		return -1;
	}
	meta = jsonx_meta(root);
	if ((kafka = kafkameta_find(root)) != NULL)
		jsonx_emit(&r->kafka, kafka);
	es = jsonx_get(meta, "es");
	if (doc_index(c, root, es, &index, r) < 0 ||
	    doc_id(c, root, es, &id, r) < 0) {
		if (meta != NULL)
			jsonx_emit(&r->meta, meta);
		goto out;
	}

	it = new_item(b);
	it->lineno = lineno;
	it->off = body0;
	buf_adds(&b->body,
	    c->op == BULK_OP_CREATE ? "{\"create\":{" : "{\"index\":{");
	add_member(&b->body, "_index", index.data, index.len, true);
	if (c->doc_type)
		buf_adds(&b->body, ",\"_type\":\"_doc\"");
	if (id.len > 0)
		add_member(&b->body, "_id", id.data, id.len, false);
	if ((v = jsonx_get(es, "pipeline")) != NULL && v->type == J_STRING &&
	    v->len > 0)
		add_member(&b->body, "pipeline", v->u.s, v->len, false);
	buf_adds(&b->body, "}}\n");
	it->action_len = b->body.len - body0;
	if (meta == NULL) {
		buf_add(&b->body, line, len);
		it->orig_is_src = true;
	} else {
		const char *mv = NULL;
		size_t mvlen = 0;

		it->orig_off = b->side.len;
		it->orig_len = len;
		buf_add(&b->side, line, len);
		it->meta_off = b->side.len;
		if (splice_without_meta(&b->body, line, len, &mv, &mvlen) < 0) {
			jsonx_emit_without_meta(&b->body, root);
			jsonx_emit(&b->side, meta);
		} else {
			buf_add(&b->side, mv, mvlen);
		}
		it->meta_len = b->side.len - it->meta_off;
		if (r->kafka.len > 0) {
			it->kafka_off = b->side.len;
			it->kafka_len = r->kafka.len;
			buf_add(&b->side, r->kafka.data, r->kafka.len);
		}
	}
	buf_addc(&b->body, '\n');
	it->len = b->body.len - body0;
	b->n++;
	rc = 0;
out:
	if (rc < 0) {
		b->body.len = body0;
		b->side.len = side0;
	}
	buf_free(&id);
	buf_free(&index);
	return rc;
}

void
bulk_copy_item(struct bulk_batch *to, const struct bulk_batch *from, size_t i)
{
	const struct bulk_item *src = &from->items[i];
	struct bulk_item *it = new_item(to);

	*it = *src;
	it->off = to->body.len;
	buf_add(&to->body, from->body.data + src->off, src->len);
	if (!src->orig_is_src) {
		it->orig_off = to->side.len;
		buf_add(
		    &to->side, from->side.data + src->orig_off, src->orig_len);
	}
	if (src->meta_len > 0) {
		it->meta_off = to->side.len;
		buf_add(
		    &to->side, from->side.data + src->meta_off, src->meta_len);
	}
	if (src->kafka_len > 0) {
		it->kafka_off = to->side.len;
		buf_add(&to->side, from->side.data + src->kafka_off,
		    src->kafka_len);
	}
	to->n++;
}

void
bulk_split(
    const struct bulk_batch *b, struct bulk_batch **lo, struct bulk_batch **hi)
{
	size_t i, half = b->n / 2;

	*lo = bulk_batch_new();
	*hi = bulk_batch_new();
	for (i = 0; i < b->n; i++)
		bulk_copy_item(i < half ? *lo : *hi, b, i);
	(*lo)->attempt = (*hi)->attempt = b->attempt;
	(*lo)->first_fail = (*hi)->first_fail = b->first_fail;
	(*lo)->born = (*hi)->born = b->born;
}

void
bulk_item_input(const struct bulk_batch *b, size_t i, const char **p, size_t *n)
{
	const struct bulk_item *it = &b->items[i];

	if (it->orig_is_src) {
		*p = b->body.data + it->off + it->action_len;
		*n = it->len - it->action_len - 1;
	} else {
		*p = b->side.data + it->orig_off;
		*n = it->orig_len;
	}
}

/* ------------------------------------------------------------ responses */

static int
status_of(const struct jval *v)
{
	int s = 0;
	size_t i;

	if (v == NULL || v->type != J_NUMBER || v->len > 3)
		return 0;
	for (i = 0; i < v->len; i++) {
		if (v->u.s[i] < '0' || v->u.s[i] > '9')
			return 0;
		s = s * 10 + (v->u.s[i] - '0');
	}
	return s;
}

static const char *
string_of(const struct jval *v)
{
	return v != NULL && v->type == J_STRING ? v->u.s : NULL;
}

int
bulk_parse_response(struct arena *a, const char *body, size_t len, size_t n,
    struct bulk_result *res, struct buf *err)
{
	struct jval *root, *items, *op, *error;
	struct jsonx_error jerr;
	size_t i;

	arena_reset(a);
	if (jsonx_parse(a, body, len, &root, &jerr) != JSONX_OK) {
		buf_adds(err, "response: ");
		jsonx_error_text(&jerr, err);
		return -1;
	}
	items = jsonx_get(root, "items");
	if (items == NULL || items->type != J_ARRAY) {
		if (n == 0 && items == NULL)
			return 0;
		buf_adds(err, "response has no items");
		return -1;
	}
	if (items->len != n) {
		buf_printf(err, "response has %zu items for %zu actions",
		    items->len, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct jval *it = items->u.items[i];

		memset(&res[i], 0, sizeof(res[i]));
		if (it->type != J_OBJECT || it->len < 1 ||
		    (op = it->u.members[0].val)->type != J_OBJECT) {
			buf_printf(
			    err, "response item %zu is not an object", i);
			return -1;
		}
		res[i].status = status_of(jsonx_get(op, "status"));
		error = jsonx_get(op, "error");
		if (error != NULL && error->type == J_OBJECT) {
			res[i].error = error;
			res[i].type = string_of(jsonx_get(error, "type"));
			res[i].reason = string_of(jsonx_get(error, "reason"));
		} else if (error != NULL && error->type == J_STRING) {
			/* Elasticsearch 1.x and some proxies */
			res[i].reason = error->u.s;
		}
		if (res[i].status == 0) {
			buf_printf(err, "response item %zu has no status", i);
			return -1;
		}
	}
	return 0;
}

bool
bulk_refusal_not_docs(const struct bulk_result *r)
{
	static const char *const types[] = {
	    "invalid_index_name_exception",
	    "index_closed_exception",
	    "index_not_found_exception",
	    "cluster_block_exception",
	    "security_exception",
	    "authorization_exception",
	    NULL,
	};
	size_t i;

	if (r->status == 401 || r->status == 403)
		return true;
	if (r->type == NULL)
		return false;
	for (i = 0; types[i] != NULL; i++)
		if (strcmp(r->type, types[i]) == 0)
			return true;
	return false;
}

enum bulk_verdict
bulk_verdict(const struct bulk_result *r, enum bulk_op op)
{
	struct retry_outcome o = {RETRY_ITEM, CURLE_OK, r->status, -1, false};

	/* create: the document is there already, as a retry may find it */
	if (r->status == 409 && op == BULK_OP_CREATE)
		return BULK_DONE;
	/* Two requests in flight that bring the same new field, one as a
	 * whole number and one as a fraction, race to map it: the loser's
	 * documents get a 400 although the field is mapped now and they
	 * fit it.  Sent again they are indexed, or refused for a reason of
	 * their own. */
	if (r->status == 400 && r->type != NULL &&
	    strcmp(r->type, "illegal_argument_exception") == 0 &&
	    r->reason != NULL &&
	    strstr(r->reason, "cannot be changed from type") != NULL)
		return BULK_RETRY;
	switch (retry_classify(&o)) {
	case RETRY_DONE:
		return BULK_DONE;
	case RETRY_AGAIN:
		return BULK_RETRY;
	default:
		return BULK_REJECT;
	}
}

void
bulk_error_reset(struct bulk_error *e)
{
	e->status = 0;
	buf_reset(&e->type);
	buf_reset(&e->cause);
}

void
bulk_error_free(struct bulk_error *e)
{
	buf_free(&e->type);
	buf_free(&e->cause);
}

static void
fill_error(
    struct bulk_error *e, long status, const char *type, const struct jval *err)
{
	const struct jval *cause = jsonx_get(err, "caused_by");

	bulk_error_reset(e);
	e->status = (int)status;
	if (type != NULL) {
		buf_adds(&e->type, type);
		buf_cstr(&e->type);
	}
	if (cause != NULL && cause->type == J_OBJECT)
		jsonx_emit(&e->cause, cause);
}

void
bulk_result_reject(
    const struct bulk_result *r, struct buf *reason, struct bulk_error *e)
{
	if (r->reason != NULL && *r->reason != '\0')
		buf_adds(reason, r->reason);
	else if (r->type != NULL)
		buf_adds(reason, r->type);
	else
		buf_printf(reason, "HTTP %d", r->status);
	fill_error(e, r->status, r->type, r->error);
}

void
bulk_request_error(struct arena *a, long status, const char *body, size_t len,
    struct buf *reason, struct bulk_error *e)
{
	struct jval *root = NULL, *error;
	const char *type = NULL, *why = NULL;

	arena_reset(a);
	if (len > 0 && jsonx_parse(a, body, len, &root, NULL) == JSONX_OK &&
	    (error = jsonx_get(root, "error")) != NULL) {
		if (error->type == J_OBJECT) {
			type = string_of(jsonx_get(error, "type"));
			why = string_of(jsonx_get(error, "reason"));
		} else if (error->type == J_STRING) {
			why = error->u.s;
		}
	} else {
		error = NULL;
	}
	buf_printf(reason, "HTTP %ld", status);
	if (why != NULL && *why != '\0')
		buf_printf(reason, ": %s", why);
	else if (type != NULL)
		buf_printf(reason, ": %s", type);
	fill_error(e, status, type,
	    error != NULL && error->type == J_OBJECT ? error : NULL);
}

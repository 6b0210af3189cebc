/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the vnorm transform and --merge.  Each line of the
 * input is parsed (as vnorm's main does) and normalized; a document must
 * be one compact JSON object without duplicate keys, and normalizing it
 * again must give the same bytes (idempotency).  The documents then go
 * through a merger; what it emits must account for every document and be
 * a fixed point of the 1:1 transform as well.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/jsonx.h"
#include "cmd/vnorm/merge.h"
#include "cmd/vnorm/normalize.h"
#include "tests/fuzz/fuzz.h"

#define CHECK_SAME(x, y)                                                       \
	do {                                                                   \
		if ((x).len != (y).len ||                                      \
		    memcmp((x).data, (y).data, (x).len) != 0) {                \
			fprintf(stderr, "not idempotent:\n%.*s\n%.*s\n",       \
			    (int)(x).len, (x).data, (int)(y).len, (y).data);   \
			abort();                                               \
		}                                                              \
	} while (0)

static const char *const reasons[] = {
    "not a JSON object",
    "missing vin",
    "invalid vin",
    "missing timestamp",
    "bad timestamp",
    "timestamp out of range",
    "bad signal name",
    "missing value",
    "null value",
    "bad value",
    "bad location",
    "latitude out of range",
    "longitude out of range",
    "no GPS fix",
    "bad dtc",
    "no telemetry fields",
};

static const char *const warnings[] = {
    "duplicate key ",
    "key collision ",
    "dropped field ",
    "ignored latitude/longitude: location container present",
};

static void
on_warning(void *arg, const char *msg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++)
		if (strncmp(msg, warnings[i], strlen(warnings[i])) == 0)
			return;
	fprintf(stderr, "unknown warning: %s\n", msg);
	abort();
}

static struct vnorm *vns[4];
static struct arena *a1, *a2;
static struct buf out1, out2, merged;
static unsigned long n_docs, n_members;
static bool es_id;

/* One compact JSON object, no key twice at the top level. */
static void
check_doc(const struct buf *b)
{
	struct jval *v;
	size_t i, j;

	CHECK(utf8_valid(b->data, b->len));
	CHECK(memchr(b->data, '\n', b->len) == NULL);
	arena_reset(a2);
	CHECK(jsonx_parse(a2, b->data, b->len, &v, NULL) == JSONX_OK);
	CHECK(v->type == J_OBJECT);
	for (i = 0; i < v->len; i++)
		for (j = i + 1; j < v->len; j++)
			CHECK(v->u.members[i].klen != v->u.members[j].klen ||
			    memcmp(v->u.members[i].key, v->u.members[j].key,
				v->u.members[i].klen) != 0);
}

/* Normalize text again: it must come back as the same bytes.  (With
 * es_id, a telemetry message carrying other signals may get another _id
 * the second time: the output does not say which field was the signal;
 * so 1:1 documents are compared without ids.) */
static void
check_fixed_point(struct vnorm *vn, const struct buf *b, bool with_id)
{
	struct jval *v;
	struct vdoc doc;
	const char *why;

	arena_reset(a2);
	CHECK(jsonx_parse(a2, b->data, b->len, &v, NULL) == JSONX_OK);
	why = vnorm_transform(vn, a2, v, &doc);
	if (why != NULL) {
		fprintf(stderr, "own output rejected (%s): %.*s\n", why,
		    (int)b->len, b->data);
		abort();
	}
	buf_reset(&out2);
	vnorm_emit(&out2, &doc, with_id);
	CHECK_SAME(*b, out2);
}

static void
on_merged(void *arg, const struct vdoc *doc, unsigned members)
{
	(void)arg;
	CHECK(members >= 1);
	n_members += members;
	vnorm_emit(&merged, doc, es_id);
	buf_addc(&merged, '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = fnv1a64(data, size);
	unsigned conf_ix = (unsigned)(h & 3);
	struct vnorm *vn;
	struct merger *mg;
	const char *p = (const char *)data, *end = p + size;
	size_t i;

	if (vns[0] == NULL) {
		for (i = 0; i < 4; i++) {
			struct vnorm_conf c;

			memset(&c, 0, sizeof(c));
			c.drop_unknown = (i & 1) != 0;
			c.vin_from_topic = (i & 2) != 0;
			c.warn = on_warning;
			vns[i] = vnorm_new(&c);
		}
		a1 = arena_new();
		a2 = arena_new();
	}
	vn = vns[conf_ix];
	es_id = (h & 4) != 0;
	n_docs = n_members = 0;
	buf_reset(&merged);
	mg = merger_new(1 + (int64_t)((h >> 8) % 3000), on_merged, NULL);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p, *why;
		struct jval *root;
		struct vdoc doc;

		p += len + (nl ? 1 : 0);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3;
			len -= 3;
		}
		arena_reset(a1);
		if (jsonx_parse(a1, line, len, &root, NULL) != JSONX_OK)
			continue;
		why = vnorm_transform(vn, a1, root, &doc);
		if (why != NULL) {
			for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]);
			     i++)
				if (strcmp(why, reasons[i]) == 0)
					break;
			CHECK(i < sizeof(reasons) / sizeof(reasons[0]));
			continue;
		}
		buf_reset(&out1);
		vnorm_emit(&out1, &doc, es_id);
		check_doc(&out1);
		/* the same record gives the same bytes */
		{
			struct vdoc again;

			CHECK(vnorm_transform(vn, a1, root, &again) == NULL);
			buf_reset(&out2);
			vnorm_emit(&out2, &again, es_id);
			CHECK_SAME(out1, out2);
		}
		if (es_id) {
			buf_reset(&out1);
			vnorm_emit(&out1, &doc, false);
		}
		check_fixed_point(vn, &out1, false);
		merger_add(mg, &doc);
		n_docs++;
	}
	merger_finish(mg);
	CHECK(merger_open(mg) == 0);
	merger_free(mg);
	CHECK(n_members == n_docs);

	/* merged documents are objects and fixed points too */
	if (merged.len == 0)
		return 0;
	p = merged.data;
	end = p + merged.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct buf one = BUF_INIT;

		CHECK(nl != NULL);
		buf_add(&one, p, (size_t)(nl - p));
		check_doc(&one);
		check_fixed_point(vn, &one, es_id);
		buf_free(&one);
		p = nl + 1;
	}
	return 0;
}

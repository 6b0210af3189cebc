/* SPDX-License-Identifier: MIT */
/* A message's payload as one NDJSON record: the payload rules. */
#include "prelude.h"

#include <stdbool.h>
#include <string.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/payload.h"

#define BOM "\xEF\xBB\xBF"

enum payload_binary
payload_binary_opt(const char *arg)
{
	if (strcmp(arg, "reject") == 0)
		return PAYLOAD_BINARY_REJECT;
	if (strcmp(arg, "base64") == 0)
		return PAYLOAD_BINARY_BASE64;
	usage_error("--binary: unknown mode '%s' (reject or base64)", arg);
}

void
payload_meta(const struct payload_rules *r, struct buf *out)
{
	buf_addc(out, '{');
	jsonx_emit_string_lossy(out, r->ns, strlen(r->ns));
	buf_adds(out, ":{");
	r->members(r->arg, out);
	buf_adds(out, "}}");
}

/* "@metadata":{...}, merged with the payload's own (may be NULL); a
 * comma after it when more follows. */
static void
emit_meta(const struct payload_rules *r, const struct jval *own,
    const char *wrapped, bool more, struct buf *out)
{
	jsonx_emit_meta_open(out, own, r->ns);
	r->members(r->arg, out);
	/* fields of its own would make it more than a wrapper */
	if (wrapped != NULL && r->mark_wrapped && r->fields == NULL) {
		buf_adds(out, ",\"wrapped\":\"");
		buf_adds(out, wrapped);
		buf_addc(out, '"');
	}
	buf_adds(out, "}}");
	if (more)
		buf_addc(out, ',');
}

static void
emit_fields(const struct payload_rules *r, const struct jval *obj, bool first,
    struct buf *out)
{
	if (r->fields != NULL)
		r->fields(r->arg, obj, first, out);
}

/* {"@metadata":...,"value": ... then wrap_close(): ,fields} */
static void
wrap_open(const struct payload_rules *r, const char *kind, struct buf *out)
{
	buf_addc(out, '{');
	if (r->ns != NULL)
		emit_meta(r, NULL, kind, true, out);
	buf_adds(out, "\"value\":");
}

static void
wrap_close(const struct payload_rules *r, struct buf *out)
{
	emit_fields(r, NULL, false, out);
	buf_addc(out, '}');
}

/* {"@metadata":..., + the members of the compact object p[0..n) */
static void
splice(const struct payload_rules *r, const char *p, size_t n, bool empty,
    struct buf *out)
{
	buf_addc(out, '{');
	emit_meta(r, NULL, NULL, !empty, out);
	buf_add(out, p + 1, n - 1);
}

const char *
payload_record(const struct payload_rules *r, struct arena *a, const char *p,
    size_t n, struct buf *out)
{
	struct jsonx_scan scan;
	struct jval *root = NULL;
	enum jsonx_status st;
	bool first;

	if (p == NULL) {
		wrap_open(r, "null", out);
		buf_adds(out, "null");
		wrap_close(r, out);
		return NULL;
	}
	/* the common case, a compact object, without building a tree */
	memset(scan.keys, 0, sizeof(scan.keys));
	st = jsonx_scan(p, n, &scan);
	if (st == JSONX_OK && scan.type == J_OBJECT && scan.compact &&
	    !scan.key_escapes && !scan.has_meta && r->fields == NULL) {
		if (r->ns == NULL)
			buf_add(out, p, n);
		else
			splice(r, p, n, scan.members == 0, out);
		return NULL;
	}
	if (st != JSONX_OK && !utf8_valid(p, n)) {
		if (r->binary != PAYLOAD_BINARY_BASE64)
			return "binary payload (not UTF-8)";
		wrap_open(r, "base64", out);
		buf_addc(out, '"');
		base64_append(out, p, n);
		buf_adds(out, "\",\"encoding\":\"base64\"");
		wrap_close(r, out);
		return NULL;
	}
	/* a byte order mark is not part of the JSON text */
	if (st != JSONX_OK && n >= 3 && memcmp(p, BOM, 3) == 0) {
		st = jsonx_parse(a, p + 3, n - 3, &root, NULL);
		if (st == JSONX_OK) {
			p += 3;
			n -= 3;
		}
	} else {
		st = jsonx_parse(a, p, n, &root, NULL);
	}
	if (st == JSONX_EDEPTH)
		return "JSON nested too deeply";
	if (st == JSONX_OK && root->type == J_OBJECT) {
		if (r->fields == NULL && jsonx_no_space(p, n) &&
		    (r->ns == NULL || jsonx_meta(root) == NULL)) {
			if (r->ns == NULL)
				buf_add(out, p, n);
			else
				splice(r, p, n, root->len == 0, out);
			return NULL;
		}
		buf_addc(out, '{');
		first = true;
		if (r->ns != NULL) {
			emit_meta(r, jsonx_meta(root), NULL, false, out);
			first = false;
		}
		first = jsonx_emit_members(out, root, r->ns != NULL, first);
		emit_fields(r, root, first, out);
		buf_addc(out, '}');
		return NULL;
	}
	/* the wrapper is one level more */
	if (st == JSONX_OK && jsonx_depth(root) >= JSONX_MAX_DEPTH)
		return "JSON nested too deeply";
	wrap_open(r, st != JSONX_OK ? "text" : "json", out);
	if (st != JSONX_OK)
		jsonx_emit_string(out, p, n);
	else if (jsonx_no_space(p, n))
		buf_add(out, p, n);
	else
		jsonx_emit(out, root);
	wrap_close(r, out);
	return NULL;
}

static bool
is(const struct jval *v, const char *s)
{
	size_t n = strlen(s);

	return v != NULL && v->type == J_STRING && v->len == n &&
	    memcmp(v->u.s, s, n) == 0;
}

const char *
payload_unwrap(const struct jval *root, const struct jval *kind,
    struct buf *out, bool *none)
{
	const struct jval *v = jsonx_get(root, "value");
	bool b64 = is(kind, "base64");

	*none = false;
	if (kind->type != J_STRING)
		return "bad \"wrapped\" in @metadata";
	if (v == NULL || root->len != (b64 ? 3U : 2U) ||
	    (b64 && jsonx_get(root, "encoding") == NULL))
		return "wrapped record with members other than value";
	if (is(kind, "null")) {
		if (v->type != J_NULL)
			return "wrapped \"null\" with a value";
		*none = true;
	} else if (is(kind, "json")) {
		jsonx_emit(out, v);
	} else if (is(kind, "text")) {
		if (v->type != J_STRING)
			return "wrapped \"text\" that is not a string";
		buf_add(out, v->u.s, v->len);
	} else if (b64) {
		if (v->type != J_STRING ||
		    !is(jsonx_get(root, "encoding"), "base64") ||
		    base64_decode_append(out, v->u.s, v->len) < 0)
			return "wrapped \"base64\" that is not base64";
	} else {
		return "bad \"wrapped\" in @metadata (json, text, base64 or "
		       "null)";
	}
	return NULL;
}

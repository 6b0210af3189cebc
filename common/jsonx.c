/* SPDX-License-Identifier: MIT */
/* Strict JSON parser into an arena and a compact, number-preserving emitter. */
#include "prelude.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonx.h"
#include "xalloc.h"

/* ----------------------------------------------------------------- UTF-8 */

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), 0 if
 * the bytes there are not one. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		unsigned char lo = 0x80, hi = 0xBF;

		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		unsigned char lo = 0x80, hi = 0xBF;

		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Offset of the first byte that is not well-formed UTF-8, or n. */
static size_t
utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		/* ASCII runs 8 bytes at a time */
		while (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

bool
utf8_valid(const char *p, size_t n)
{
	return utf8_check(p, n) == n;
}

/* ---------------------------------------------------------------- parser */

struct parser {
	struct arena *a;
	const char *p, *end, *start;
	int depth;
	struct jsonx_error err;
	/* scratch stacks shared by every nesting level */
	struct jmember *ms;
	size_t mlen, mcap;
	struct jval **vs;
	size_t vlen, vcap;
	struct buf sb; /* decoded string scratch */
};

static int
fail(struct parser *ps, enum jsonx_status st, const char *at, const char *d)
{
	if (ps->err.status == JSONX_OK) {
		ps->err.status = st;
		ps->err.offset = (size_t)(at - ps->start);
		ps->err.detail = d;
	}
	return -1;
}

static inline void
skip_ws(struct parser *ps)
{
	const char *p = ps->p;

	while (p < ps->end &&
	    (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	ps->p = p;
}

static struct jval *
newval(struct parser *ps, enum jtype t)
{
	struct jval *v = arena_alloc(ps->a, sizeof(*v));

	v->type = t;
	v->len = 0;
	v->u.s = NULL;
	return v;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 4);
	}
}

/* Parse a string at ps->p (on the opening quote); the decoded bytes go to
 * the arena.  Input is known to be valid UTF-8. */
static int
parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const char *p = ps->p + 1, *end = ps->end, *run;

	/* fast path: no escapes */
	run = p;
	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*out = arena_memdup(ps->a, run, (size_t)(p - run));
			*outlen = (size_t)(p - run);
			ps->p = p + 1;
			return 0;
		}
		if (c == '\\' || c < 0x20)
			break;
		p++;
	}
	buf_reset(&ps->sb);
	buf_add(&ps->sb, run, (size_t)(p - run));
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		unsigned cp, lo;

		if (c == '"') {
			*out = arena_memdup(ps->a, ps->sb.data, ps->sb.len);
			*outlen = ps->sb.len;
			ps->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(ps, JSONX_ESYNTAX, p,
			    "control character in string");
		if (c != '\\') {
			run = p;
			while (p < end && *p != '"' && *p != '\\' &&
			    (unsigned char)*p >= 0x20)
				p++;
			buf_add(&ps->sb, run, (size_t)(p - run));
			continue;
		}
		if (end - p < 2)
			break;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			buf_addc(&ps->sb, p[1]);
			break;
		case 'b':
			buf_addc(&ps->sb, '\b');
			break;
		case 'f':
			buf_addc(&ps->sb, '\f');
			break;
		case 'n':
			buf_addc(&ps->sb, '\n');
			break;
		case 'r':
			buf_addc(&ps->sb, '\r');
			break;
		case 't':
			buf_addc(&ps->sb, '\t');
			break;
		case 'u':
			if (end - p < 6 || hex4(p + 2, &cp) < 0)
				return fail(
				    ps, JSONX_ESYNTAX, p, "invalid \\u escape");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(
				    ps, JSONX_ESURROGATE, p, "lone surrogate");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' || hex4(p + 8, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return fail(ps, JSONX_ESURROGATE, p,
					    "lone surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
			put_utf8(&ps->sb, cp);
			p += 6;
			continue;
		default:
			return fail(ps, JSONX_ESYNTAX, p, "invalid escape");
		}
		p += 2;
	}
	return fail(ps, JSONX_ESYNTAX, end, "unterminated string");
}

/* The number of ASCII digits at p (not past end). */
static inline size_t
digits(const char *p, const char *end)
{
	const char *s = p;
	uint64_t w, t;

	/* eight bytes at a time: a byte is a digit when its high nibble is 3
	 * and adding 6 leaves it 3 (a carry out of a non-digit byte spoils
	 * only the bytes after it) */
	while (end - p >= 8) {
		memcpy(&w, p, 8);
		t = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
		    (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) ^
			0x3030303030303030ULL);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (t != 0)
			return (size_t)(p - s) + (size_t)__builtin_ctzll(t) / 8;
		p += 8;
#else
		if (t != 0)
			break;
		p += 8;
#endif
	}
	while (p < end && (unsigned char)(*p - '0') < 10)
		p++;
	return (size_t)(p - s);
}

/* Length of the JSON number at p, 0 if there is none. */
static size_t
number_len(const char *s, const char *end)
{
	const char *p = s;
	size_t k;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return 0;
	if (*p == '0')
		p++;
	else if ((k = digits(p, end)) > 0)
		p += k;
	else
		return 0;
	if (p < end && *p == '.') {
		p++;
		if ((k = digits(p, end)) == 0)
			return 0;
		p += k;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((k = digits(p, end)) == 0)
			return 0;
		p += k;
	}
	return (size_t)(p - s);
}

bool
jsonx_number_valid(const char *p, size_t n)
{
	return n > 0 && number_len(p, p + n) == n;
}

static struct jval *parse_value(struct parser *ps);

static struct jval *
parse_object(struct parser *ps)
{
	size_t base = ps->mlen, n;
	struct jval *obj;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return newval(ps, J_OBJECT);
	}
	for (;;) {
		struct jmember m;

		if (ps->p >= ps->end) {
			fail(ps, JSONX_ESYNTAX, ps->p,
			    "unexpected end of input");
			goto bad;
		}
		if (*ps->p != '"') {
			fail(ps, JSONX_ESYNTAX, ps->p, "expected a string key");
			goto bad;
		}
		if (parse_string(ps, &m.key, &m.klen) < 0)
			goto bad;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			fail(ps, JSONX_ESYNTAX, ps->p, "expected ':'");
			goto bad;
		}
		ps->p++;
		if ((m.val = parse_value(ps)) == NULL)
			goto bad;
		if (ps->mlen == ps->mcap) {
			ps->mcap = ps->mcap ? ps->mcap * 2 : 64;
			ps->ms =
			    xreallocarray(ps->ms, ps->mcap, sizeof(*ps->ms));
		}
		ps->ms[ps->mlen++] = m;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			break;
		}
		fail(ps, JSONX_ESYNTAX, ps->p,
		    ps->p >= ps->end ? "unexpected end of input"
				     : "expected ',' or '}'");
		goto bad;
	}
	obj = newval(ps, J_OBJECT);
	n = ps->mlen - base;
	obj->len = n;
	obj->u.members = arena_alloc(ps->a, n * sizeof(struct jmember));
	memcpy(obj->u.members, ps->ms + base, n * sizeof(struct jmember));
	ps->mlen = base;
	return obj;
bad:
	ps->mlen = base;
	return NULL;
}

static struct jval *
parse_array(struct parser *ps)
{
	size_t base = ps->vlen, n;
	struct jval *arr, *v;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return newval(ps, J_ARRAY);
	}
	for (;;) {
		if ((v = parse_value(ps)) == NULL)
			goto bad;
		if (ps->vlen == ps->vcap) {
			ps->vcap = ps->vcap ? ps->vcap * 2 : 64;
			ps->vs =
			    xreallocarray(ps->vs, ps->vcap, sizeof(*ps->vs));
		}
		ps->vs[ps->vlen++] = v;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			break;
		}
		fail(ps, JSONX_ESYNTAX, ps->p,
		    ps->p >= ps->end ? "unexpected end of input"
				     : "expected ',' or ']'");
		goto bad;
	}
	arr = newval(ps, J_ARRAY);
	n = ps->vlen - base;
	arr->len = n;
	arr->u.items = arena_alloc(ps->a, n * sizeof(struct jval *));
	memcpy(arr->u.items, ps->vs + base, n * sizeof(struct jval *));
	ps->vlen = base;
	return arr;
bad:
	ps->vlen = base;
	return NULL;
}

static int
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, JSONX_ESYNTAX, ps->p, "unexpected character");
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct jval *
parse_value(struct parser *ps)
{
	struct jval *v;
	size_t n;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, JSONX_ESYNTAX, ps->p, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > JSONX_MAX_DEPTH) {
			fail(ps, JSONX_EDEPTH, ps->p, NULL);
			return NULL;
		}
		v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
		ps->depth--;
		return v;
	case '"':
		v = newval(ps, J_STRING);
		if (parse_string(ps, &v->u.s, &v->len) < 0)
			return NULL;
		return v;
	case 't':
		if (literal(ps, "true", 4) < 0)
			return NULL;
		return newval(ps, J_TRUE);
	case 'f':
		if (literal(ps, "false", 5) < 0)
			return NULL;
		return newval(ps, J_FALSE);
	case 'n':
		if (literal(ps, "null", 4) < 0)
			return NULL;
		return newval(ps, J_NULL);
	default:
		if ((n = number_len(ps->p, ps->end)) == 0) {
			fail(ps, JSONX_ESYNTAX, ps->p,
			    (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
				? "invalid number"
				: "unexpected character");
			return NULL;
		}
		/* "01" and "1." are caught here: a digit or '.' may not
		 * follow a complete number */
		if (ps->p + n < ps->end &&
		    ((ps->p[n] >= '0' && ps->p[n] <= '9') || ps->p[n] == '.' ||
			ps->p[n] == 'e' || ps->p[n] == 'E')) {
			fail(ps, JSONX_ESYNTAX, ps->p, "invalid number");
			return NULL;
		}
		v = newval(ps, J_NUMBER);
		v->u.s = arena_memdup(ps->a, ps->p, n);
		v->len = n;
		ps->p += n;
		return v;
	}
}

static struct parser *
parser_scratch(void)
{
	/* one parser's scratch stacks per thread, reused line after line */
	static _Thread_local struct parser *ps;

	if (ps == NULL)
		ps = xcalloc(1, sizeof(*ps));
	return ps;
}

enum jsonx_status
jsonx_parse(struct arena *a, const char *p, size_t n, struct jval **out,
    struct jsonx_error *err)
{
	struct parser *ps = parser_scratch();
	struct jval *v;
	size_t bad;

	ps->a = a;
	ps->start = ps->p = p;
	ps->end = p + n;
	ps->depth = 0;
	ps->mlen = ps->vlen = 0;
	ps->err.status = JSONX_OK;
	ps->err.offset = 0;
	ps->err.detail = NULL;
	*out = NULL;

	if ((bad = utf8_check(p, n)) != n) {
		fail(ps, JSONX_EUTF8, p + bad, NULL);
		goto out;
	}
	if ((v = parse_value(ps)) == NULL)
		goto out;
	skip_ws(ps);
	if (ps->p != ps->end) {
		fail(ps, JSONX_ESYNTAX, ps->p, "trailing data after the value");
		goto out;
	}
	*out = v;
out:
	if (err)
		*err = ps->err;
	if (ps->sb.cap > 1024 * 1024)
		buf_free(&ps->sb);
	return ps->err.status;
}

void
jsonx_error_text(const struct jsonx_error *err, struct buf *b)
{
	switch (err->status) {
	case JSONX_OK:
		buf_adds(b, "ok");
		break;
	case JSONX_EUTF8:
		buf_adds(b, "invalid UTF-8");
		break;
	case JSONX_ESURROGATE:
		buf_adds(b, "invalid JSON: lone surrogate");
		break;
	case JSONX_EDEPTH:
		buf_adds(b, "nesting too deep");
		break;
	case JSONX_ESYNTAX:
		buf_printf(b, "invalid JSON: %s at byte %zu",
		    err->detail ? err->detail : "syntax error",
		    err->offset + 1);
		break;
	}
}

/* ---------------------------------------------------------------- access */

struct jval *
jsonx_getn(const struct jval *v, const char *key, size_t klen)
{
	size_t i;

	if (v == NULL || v->type != J_OBJECT)
		return NULL;
	for (i = v->len; i-- > 0;) {
		const struct jmember *m = &v->u.members[i];

		if (m->klen == klen && memcmp(m->key, key, klen) == 0)
			return m->val;
	}
	return NULL;
}

struct jval *
jsonx_get(const struct jval *v, const char *key)
{
	return jsonx_getn(v, key, strlen(key));
}

struct jval *
jsonx_path(const struct jval *v, const char *path)
{
	const char *dot;
	struct jval *cur = (struct jval *)v;

	while (cur != NULL) {
		dot = strchr(path, '.');
		if (dot == NULL)
			return jsonx_get(cur, path);
		cur = jsonx_getn(cur, path, (size_t)(dot - path));
		path = dot + 1;
	}
	return NULL;
}

int
jsonx_depth(const struct jval *v)
{
	int d, max = 0;
	size_t i;

	if (v->type != J_OBJECT && v->type != J_ARRAY)
		return 0;
	for (i = 0; i < v->len; i++) {
		d = jsonx_depth(
		    v->type == J_OBJECT ? v->u.members[i].val : v->u.items[i]);
		if (d > max)
			max = d;
	}
	return max + 1;
}

struct jval *
jsonx_meta(const struct jval *v)
{
	return jsonx_get(v, "@metadata");
}

/* -------------------------------------------------------------- building */

struct jval *
jsonx_new_string(struct arena *a, const char *s, size_t n)
{
	struct jval *v = arena_alloc(a, sizeof(*v));

	v->type = J_STRING;
	v->u.s = arena_memdup(a, s, n);
	v->len = n;
	return v;
}

struct jval *
jsonx_new_number(struct arena *a, const char *text, size_t n)
{
	struct jval *v = jsonx_new_string(a, text, n);

	v->type = J_NUMBER;
	return v;
}

struct jval *
jsonx_new_object(struct arena *a)
{
	struct jval *v = arena_alloc(a, sizeof(*v));

	v->type = J_OBJECT;
	v->len = 0;
	v->u.members = NULL;
	return v;
}

void
jsonx_obj_append(struct arena *a, struct jval *obj, const char *key,
    size_t klen, struct jval *val)
{
	struct jmember *m;

	/* arena arrays cannot grow in place: copy (objects built by hand
	 * are small) */
	m = arena_alloc(a, (obj->len + 1) * sizeof(*m));
	if (obj->len)
		memcpy(m, obj->u.members, obj->len * sizeof(*m));
	m[obj->len].key = arena_memdup(a, key, klen);
	m[obj->len].klen = klen;
	m[obj->len].val = val;
	obj->u.members = m;
	obj->len++;
}

void
jsonx_obj_set(
    struct arena *a, struct jval *obj, const char *key, struct jval *val)
{
	size_t i, klen = strlen(key);

	for (i = obj->len; i-- > 0;) {
		struct jmember *m = &obj->u.members[i];

		if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
			m->val = val;
			return;
		}
	}
	jsonx_obj_append(a, obj, key, klen, val);
}

/* -------------------------------------------------------------- emitting */

/* 0: copy as is; 1: needs an escape */
/* clang-format off */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '<' is fine */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
};
/* clang-format on */

static void
emit_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', 0, 0};

	switch (c) {
	case '"':
		buf_add(b, "\\\"", 2);
		return;
	case '\\':
		buf_add(b, "\\\\", 2);
		return;
	case '\n':
		buf_add(b, "\\n", 2);
		return;
	case '\r':
		buf_add(b, "\\r", 2);
		return;
	case '\t':
		buf_add(b, "\\t", 2);
		return;
	case '\b':
		buf_add(b, "\\b", 2);
		return;
	case '\f':
		buf_add(b, "\\f", 2);
		return;
	default:
		e[4] = hex[c >> 4];
		e[5] = hex[c & 15];
		buf_add(b, e, 6);
	}
}

void
jsonx_emit_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;

	buf_grow(b, n + 2);
	buf_addc(b, '"');
	while (p < end) {
		run = p;
		while (p < end && !needs_escape[*p])
			p++;
		buf_add(b, run, (size_t)(p - run));
		if (p < end)
			emit_escape(b, *p++);
	}
	buf_addc(b, '"');
}

void
jsonx_emit_string_lossy(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t k;

	buf_addc(b, '"');
	while (p < end) {
		if (*p < 0x80) {
			if (needs_escape[*p])
				emit_escape(b, *p);
			else
				buf_addc(b, (char)*p);
			p++;
		} else if ((k = utf8_seq(p, (size_t)(end - p))) != 0) {
			buf_add(b, p, k);
			p += k;
		} else {
			buf_add(b, "\xEF\xBF\xBD", 3);
			p++;
		}
	}
	buf_addc(b, '"');
}

static void
emit(struct buf *b, const struct jval *v, int skip_meta)
{
	size_t i;
	int first = 1;

	switch (v->type) {
	case J_NULL:
		buf_add(b, "null", 4);
		break;
	case J_FALSE:
		buf_add(b, "false", 5);
		break;
	case J_TRUE:
		buf_add(b, "true", 4);
		break;
	case J_NUMBER:
		buf_add(b, v->u.s, v->len);
		break;
	case J_STRING:
		jsonx_emit_string(b, v->u.s, v->len);
		break;
	case J_ARRAY:
		buf_addc(b, '[');
		for (i = 0; i < v->len; i++) {
			if (i)
				buf_addc(b, ',');
			emit(b, v->u.items[i], 0);
		}
		buf_addc(b, ']');
		break;
	case J_OBJECT:
		buf_addc(b, '{');
		for (i = 0; i < v->len; i++) {
			const struct jmember *m = &v->u.members[i];

			if (skip_meta && m->klen == 9 &&
			    memcmp(m->key, "@metadata", 9) == 0)
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			jsonx_emit_string(b, m->key, m->klen);
			buf_addc(b, ':');
			emit(b, m->val, 0);
		}
		buf_addc(b, '}');
		break;
	}
}

void
jsonx_emit(struct buf *b, const struct jval *v)
{
	emit(b, v, 0);
}

void
jsonx_emit_without_meta(struct buf *b, const struct jval *v)
{
	emit(b, v, 1);
}

void
jsonx_emit_meta_open(struct buf *b, const struct jval *own, const char *ns)
{
	size_t i, nslen = strlen(ns);

	buf_adds(b, "\"@metadata\":{");
	if (own != NULL && own->type == J_OBJECT)
		for (i = 0; i < own->len; i++) {
			const struct jmember *mb = &own->u.members[i];

			if (mb->klen == nslen &&
			    memcmp(mb->key, ns, nslen) == 0)
				continue;
			jsonx_emit_string(b, mb->key, mb->klen);
			buf_addc(b, ':');
			jsonx_emit(b, mb->val);
			buf_addc(b, ',');
		}
	jsonx_emit_string(b, ns, nslen);
	buf_adds(b, ":{");
}

bool
jsonx_emit_members(
    struct buf *b, const struct jval *obj, bool skip_meta, bool first)
{
	size_t i;

	for (i = 0; i < obj->len; i++) {
		const struct jmember *mb = &obj->u.members[i];

		if (skip_meta && mb->klen == 9 &&
		    memcmp(mb->key, "@metadata", 9) == 0)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		jsonx_emit_string(b, mb->key, mb->klen);
		buf_addc(b, ':');
		jsonx_emit(b, mb->val);
	}
	return first;
}

bool
jsonx_no_space(const char *p, size_t n)
{
	return memchr(p, ' ', n) == NULL && memchr(p, '\n', n) == NULL &&
	    memchr(p, '\t', n) == NULL && memchr(p, '\r', n) == NULL;
}

/* -------------------------------------------------------------- scanning */

/*
 * A line of at most QMAP_MAX bytes holding no backslash, no control
 * character and no byte above 0x7f (most telemetry) gets a bitmap of its
 * quotes first: every string in it is then plain, and its end is the next
 * set bit, found without a branch per run of characters.
 */
#define QMAP_MAX 8192

struct scanner {
	const char *p, *end;
	bool compact;
	bool ws; /* false: the line holds no white space at all */
	const char *base; /* of qmap */
	const uint64_t *qmap; /* bit i: base[i] is '"'; NULL: no map */
	size_t nw; /* words in qmap */
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* ASCII bytes that end a run of plain string characters (every byte above
 * 0x7f does too). */
static const unsigned char string_stop[128] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* controls */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* controls */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
};

static inline bool
stops(unsigned char c)
{
	return c >= 0x80 || string_stop[c];
}

/*
 * The index of the first byte of the 8 in w (in memory order) that ends a
 * run: '"', '\\', below 0x20 or above 0x7f; 8 when none does.  Each test
 * may flag bytes after a true one (a borrow), never before, so the lowest
 * flag is exact.
 */
static inline unsigned
stop8(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\'), m;

	m = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) |
		w) &
	    HIGHS;
	return m != 0 ? (unsigned)__builtin_ctzll(m) / 8 : 8;
#else
	unsigned char c[8];
	unsigned i;

	memcpy(c, &w, 8);
	for (i = 0; i < 8 && !stops(c[i]); i++)
		;
	return i;
#endif
}

#ifdef __SSE2__
/* As stop8() for the 16 bytes at p. */
static inline unsigned
stop16(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m =
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		/* x <= 0x1f, unsigned */
		_mm_cmpeq_epi8(
		    _mm_max_epu8(x, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)));
	/* the high bit of x itself: bytes above 0x7f */
	unsigned bits =
	    (unsigned)_mm_movemask_epi8(m) | (unsigned)_mm_movemask_epi8(x);

	return bits != 0 ? (unsigned)__builtin_ctz(bits) : 16;
}
#endif

#ifdef __SSE2__
/* Bit i of the result: p[i] == '"'; *other gets the bits of the bytes that
 * end a plain run otherwise (backslash, below 0x20, above 0x7f), *space
 * those of the spaces. */
static inline uint64_t
quotes64(const char *p, uint64_t *other, uint64_t *space)
{
	uint64_t q = 0, o = 0, sp = 0;
	unsigned i, sh;

	for (i = 0; i < 4; i++) {
		__m128i x = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p + 16 * i));
		/* below 0x20 as signed bytes: above 0x7f too */
		__m128i odd =
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
			_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));

		sh = 16 * i;
		q |= (uint64_t)(unsigned)_mm_movemask_epi8(
			 _mm_cmpeq_epi8(x, _mm_set1_epi8('"')))
		    << sh;
		o |= (uint64_t)(unsigned)_mm_movemask_epi8(odd) << sh;
		sp |= (uint64_t)(unsigned)_mm_movemask_epi8(
			  _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')))
		    << sh;
	}
	*other = o;
	*space = sp;
	return q;
}

/* Fill qmap for p[0..n) and return true, or false when the line has a
 * byte that needs scan_string()'s slow path; *spaces: it has a space. */
static bool
quote_map(const char *p, size_t n, uint64_t *qmap, bool *spaces)
{
	char tail[64];
	uint64_t other = 0, sp = 0, o, s;
	size_t i, w, r;

	for (i = 0, w = 0; i + 64 <= n; i += 64, w++) {
		qmap[w] = quotes64(p + i, &o, &s);
		other |= o;
		sp |= s;
	}
	if ((r = n - i) > 0) {
		if (n >= 64) {
			/* the last 64 bytes shifted into place, rather than
			 * a copy: loading bytes just stored piecemeal stalls */
			qmap[w] = quotes64(p + n - 64, &o, &s) >> (64 - r);
			o >>= 64 - r;
			s >>= 64 - r;
		} else { /* padded with a byte of no class */
			memset(tail, 'x', sizeof(tail));
			memcpy(tail, p + i, r);
			qmap[w] = quotes64(tail, &o, &s);
		}
		other |= o;
		sp |= s;
	}
	*spaces = sp != 0;
	return other == 0;
}
#endif

/* The end of a plain string whose quote is at sc->p, from the quote map. */
static inline int
scan_string_mapped(struct scanner *sc)
{
	size_t off = (size_t)(sc->p - sc->base) + 1, w = off / 64;
	uint64_t bits;

	if (w >= sc->nw)
		return -1;
	bits = sc->qmap[w] & (~0ULL << (off % 64));
	while (bits == 0) {
		if (++w >= sc->nw)
			return -1;
		bits = sc->qmap[w];
	}
	/* no quote past the end: the map has none there */
	sc->p = sc->base + w * 64 + (size_t)__builtin_ctzll(bits) + 1;
	return 0;
}

/*
 * A string at sc->p (on its quote), as parse_string() accepts it.  UTF-8
 * is checked here, where it can occur: any other byte above 0x7f is a
 * syntax error anyway.
 */
static int
scan_string(struct scanner *sc, bool *escaped)
{
	const char *p = sc->p + 1, *end = sc->end;
	unsigned cp, lo, k;
	unsigned char c;
	uint64_t w;
	size_t n;

	*escaped = false;
	for (;;) {
		for (;;) {
#ifdef __SSE2__
			if (end - p >= 16) {
				k = stop16(p);
				p += k;
				if (k < 16)
					break;
				continue;
			}
#endif
			if (end - p < 8) {
				while (p < end && !stops((unsigned char)*p))
					p++;
				break;
			}
			memcpy(&w, p, 8);
			k = stop8(w);
			p += k;
			if (k < 8)
				break;
		}
		if (p >= end)
			return -1;
		c = (unsigned char)*p;
		if (c == '"') {
			sc->p = p + 1;
			return 0;
		}
		if (c >= 0x80) {
			if ((n = utf8_seq((const unsigned char *)p,
				 (size_t)(end - p))) == 0)
				return -1;
			p += n;
			continue;
		}
		if (c < 0x20 || end - p < 2)
			return -1;
		*escaped = true;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u':
			if (end - p < 6 || hex4(p + 2, &cp) < 0 ||
			    (cp >= 0xDC00 && cp <= 0xDFFF))
				return -1;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' || hex4(p + 8, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				p += 6;
			}
			p += 6;
			break;
		default:
			return -1;
		}
	}
}

/* A string at sc->p: the plain case inline. */
static inline int
scan_str(struct scanner *sc, bool *escaped)
{
	if (sc->qmap != NULL) {
		*escaped = false;
		return scan_string_mapped(sc);
	}
	return scan_string(sc, escaped);
}

static inline void
scan_ws(struct scanner *sc)
{
	const char *p = sc->p;

	if (!sc->ws || (p<sc->end && * p> ' '))
		return;
	while (p < sc->end &&
	    (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p != sc->p)
		sc->compact = false;
	sc->p = p;
}

static int scan_container(struct scanner *sc, int depth);

/* One value at sc->p (white space before it allowed); *type set.  Inline
 * even where it recurses through scan_container(). */
static inline __attribute__((always_inline)) int
scan_value(struct scanner *sc, int depth, enum jtype *type, bool *escaped)
{
	size_t n;

	scan_ws(sc);
	*escaped = false;
	if (sc->p >= sc->end)
		return -1;
	switch (*sc->p) {
	case '"':
		*type = J_STRING;
		return scan_str(sc, escaped);
	case '{':
	case '[':
		*type = *sc->p == '{' ? J_OBJECT : J_ARRAY;
		return scan_container(sc, depth + 1);
	case 't':
		*type = J_TRUE;
		n = 4;
		if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, "true", n))
			return -1;
		break;
	case 'f':
		*type = J_FALSE;
		n = 5;
		if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, "false", n))
			return -1;
		break;
	case 'n':
		*type = J_NULL;
		n = 4;
		if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, "null", n))
			return -1;
		break;
	default:
		*type = J_NUMBER;
		if ((n = number_len(sc->p, sc->end)) == 0)
			return -1;
		if (sc->p + n < sc->end &&
		    ((sc->p[n] >= '0' && sc->p[n] <= '9') || sc->p[n] == '.' ||
			sc->p[n] == 'e' || sc->p[n] == 'E'))
			return -1;
		break;
	}
	sc->p += n;
	return 0;
}

/* An object or array at sc->p, the container at nesting depth. */
static int
scan_container(struct scanner *sc, int depth)
{
	char close = *sc->p == '{' ? '}' : ']';
	bool esc, first;
	enum jtype t;

	if (depth > JSONX_MAX_DEPTH)
		return -1;
	sc->p++;
	scan_ws(sc);
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		return 0;
	}
	for (first = true;; first = false) {
		if (!first) {
			scan_ws(sc);
			if (sc->p < sc->end && *sc->p == close) {
				sc->p++;
				return 0;
			}
			if (sc->p >= sc->end || *sc->p != ',')
				return -1;
			sc->p++;
			scan_ws(sc);
		}
		if (close == '}') {
			if (sc->p >= sc->end || *sc->p != '"' ||
			    scan_str(sc, &esc) < 0)
				return -1;
			scan_ws(sc);
			if (sc->p >= sc->end || *sc->p != ':')
				return -1;
			sc->p++;
		}
		if (scan_value(sc, depth, &t, &esc) < 0)
			return -1;
	}
}

/* The top-level member key: val..end, of type t, if it is one of the keys
 * asked for. */
static void
scan_found(struct jsonx_scan *s, const size_t *klens, size_t nkeys,
    const char *key, size_t klen, const char *val, const char *end,
    enum jtype t, bool esc)
{
	size_t i;

	for (i = 0; i < nkeys; i++) {
		struct jsonx_span *f = &s->found[i];

		if (klens[i] != klen || memcmp(s->keys[i], key, klen) != 0)
			continue;
		f->found = true;
		f->type = t;
		f->escaped = esc;
		f->p = t == J_STRING ? val + 1 : val;
		f->len = (size_t)(end - val) - (t == J_STRING ? 2 : 0);
	}
}

/* The members of the top-level object, noting the keys asked for. */
static int
scan_members(struct scanner *sc, struct jsonx_scan *s)
{
	const char *key, *val;
	size_t klen, nkeys, klens[JSONX_SCAN_KEYS];
	uint64_t lens; /* bit k: a key asked for is k bytes long */
	bool esc, first;
	enum jtype t;

	for (nkeys = 0, lens = 0;
	     nkeys < JSONX_SCAN_KEYS && s->keys[nkeys] != NULL; nkeys++) {
		klens[nkeys] = strlen(s->keys[nkeys]);
		if (klens[nkeys] < 64)
			lens |= 1ULL << klens[nkeys];
	}
	sc->p++;
	scan_ws(sc);
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return 0;
	}
	for (first = true;; first = false) {
		if (!first) {
			scan_ws(sc);
			if (sc->p < sc->end && *sc->p == '}') {
				sc->p++;
				return 0;
			}
			if (sc->p >= sc->end || *sc->p != ',')
				return -1;
			sc->p++;
			scan_ws(sc);
		}
		if (sc->p >= sc->end || *sc->p != '"')
			return -1;
		key = sc->p + 1;
		if (scan_str(sc, &esc) < 0)
			return -1;
		klen = (size_t)(sc->p - 1 - key);
		if (esc)
			s->key_escapes = true;
		scan_ws(sc);
		if (sc->p >= sc->end || *sc->p != ':')
			return -1;
		sc->p++;
		scan_ws(sc);
		val = sc->p;
		if (scan_value(sc, 1, &t, &esc) < 0)
			return -1;
		s->members++;
		if (klen == 9 && memcmp(key, "@metadata", 9) == 0)
			s->has_meta = true;
		if (klen < 64 ? lens >> klen & 1 : nkeys > 0)
			scan_found(
			    s, klens, nkeys, key, klen, val, sc->p, t, esc);
	}
}

enum jsonx_status
jsonx_scan(const char *p, size_t n, struct jsonx_scan *s)
{
	struct scanner sc = {p, p + n, true, true, p, NULL, 0};
#ifdef __SSE2__
	uint64_t qmap[QMAP_MAX / 64];
	bool spaces;
#endif
	bool esc;
	size_t i;

#ifdef __SSE2__
	if (n <= QMAP_MAX && quote_map(p, n, qmap, &spaces)) {
		/* plain: no tab, CR or LF either */
		sc.qmap = qmap;
		sc.nw = (n + 63) / 64;
		sc.ws = spaces;
	}
#endif

	s->type = J_NULL;
	s->members = 0;
	s->has_meta = s->key_escapes = false;
	for (i = 0; i < JSONX_SCAN_KEYS; i++)
		memset(&s->found[i], 0, sizeof(s->found[i]));
	scan_ws(&sc);
	if (sc.p < sc.end && *sc.p == '{') {
		s->type = J_OBJECT;
		if (scan_members(&sc, s) < 0)
			return JSONX_ESYNTAX;
	} else if (scan_value(&sc, 0, &s->type, &esc) < 0) {
		return JSONX_ESYNTAX;
	}
	scan_ws(&sc);
	if (sc.p != sc.end)
		return JSONX_ESYNTAX;
	s->compact = sc.compact;
	return JSONX_OK;
}

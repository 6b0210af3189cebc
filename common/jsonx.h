/* SPDX-License-Identifier: MIT */
/*
 * JSON for iotpipe: a strict RFC 8259 parser into an arena, and a compact
 * emitter that keeps every number's text exactly as it came in.
 *
 * Why not jansson's parser: jansson 2.14 turns every real into a double
 * (so "80.3" comes back as "80.299999999999997", "61234.000000" as
 * "61234.0") and refuses integers beyond 2^63.  The contract says numbers
 * pass through verbatim, so jsonx keeps the number's source text.
 */
#ifndef IOTPIPE_JSONX_H
#define IOTPIPE_JSONX_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"

/* ---- values ---- */

enum jtype {
	J_NULL,
	J_FALSE,
	J_TRUE,
	J_NUMBER, /* s/len: the number's source text, grammar-checked */
	J_STRING, /* s/len: decoded UTF-8; may contain NUL bytes */
	J_ARRAY,
	J_OBJECT,
};

struct jmember;

struct jval {
	enum jtype type;
	size_t len; /* bytes of s, or count of items/members */
	union {
		const char *s;
		struct jval **items;
		struct jmember *members;
	} u;
};

struct jmember {
	const char *key; /* decoded UTF-8, NUL-terminated, may hold NULs */
	size_t klen;
	struct jval *val;
};

/* ---- parsing ---- */

#define JSONX_MAX_DEPTH 64 /* top-level container = depth 1 */

enum jsonx_status {
	JSONX_OK = 0,
	JSONX_EUTF8, /* "invalid UTF-8" */
	JSONX_ESYNTAX, /* "invalid JSON" (+ detail) */
	JSONX_ESURROGATE, /* "invalid JSON: lone surrogate" */
	JSONX_EDEPTH, /* "nesting too deep" */
};

struct jsonx_error {
	enum jsonx_status status;
	size_t offset; /* byte offset in the input */
	const char *detail; /* static text, e.g. "unexpected character" */
};

/*
 * Parse exactly one JSON value from p[0..n) (surrounding JSON white space
 * allowed, nothing else).  The input must not contain the line terminator.
 * Checks UTF-8 first.  On success *out is a value in arena a (borrowed,
 * valid until arena_reset).  Returns JSONX_OK or the failure status with
 * err filled in (err may be NULL).
 */
enum jsonx_status jsonx_parse(struct arena *a, const char *p, size_t n,
    struct jval **out, struct jsonx_error *err);

/* "invalid JSON: unexpected end of input" and the like; static storage
 * is not used: the text goes to b. */
void jsonx_error_text(const struct jsonx_error *err, struct buf *b);

/* True when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *p, size_t n);

/* True when p[0..n) matches the JSON number grammar exactly. */
bool jsonx_number_valid(const char *p, size_t n);

/* ---- scanning: checking without building values ---- */

#define JSONX_SCAN_KEYS 4

/* Where a top-level member's value is in the input. */
struct jsonx_span {
	bool found;
	enum jtype type;
	bool escaped; /* a string holding backslash escapes */
	const char *p; /* the value's text; a string's without its quotes */
	size_t len;
};

struct jsonx_scan {
	/* in: top-level member names to find, NULL-terminated early or
	 * JSONX_SCAN_KEYS of them; compared with the key text as written */
	const char *keys[JSONX_SCAN_KEYS];
	/* out */
	enum jtype type; /* of the value */
	size_t members; /* of a top-level object */
	bool has_meta; /* a top-level object with an "@metadata" member */
	bool key_escapes; /* some top-level key holds an escape: has_meta
			   * and found[] may miss it, jsonx_parse() knows */
	bool compact; /* no white space outside strings */
	struct jsonx_span found[JSONX_SCAN_KEYS]; /* the last of duplicates */
};

/*
 * Check p[0..n) without building anything: returns JSONX_OK exactly when
 * jsonx_parse() would, and JSONX_ESYNTAX otherwise, whatever the cause
 * (call jsonx_parse() for the precise error).  s->keys are read; the rest
 * of s is filled in on success.  Several times faster than jsonx_parse().
 */
enum jsonx_status jsonx_scan(const char *p, size_t n, struct jsonx_scan *s);

/* ---- access (all borrowed) ---- */

/* Object member by key, NULL when absent or v is not an object.  With
 * duplicate keys the last one wins. */
struct jval *jsonx_get(const struct jval *v, const char *key);
struct jval *jsonx_getn(const struct jval *v, const char *key, size_t klen);
/* Dotted path "a.b.c" through objects; NULL when absent. */
struct jval *jsonx_path(const struct jval *v, const char *path);
/* Containers nested in v, v included: 0 for a scalar, 1 for [] or {}. */
int jsonx_depth(const struct jval *v);
/* The "@metadata" member of a top-level object, or NULL. */
struct jval *jsonx_meta(const struct jval *v);

/* ---- building (values live in the arena) ---- */

struct jval *jsonx_new_string(struct arena *a, const char *s, size_t n);
struct jval *jsonx_new_number(struct arena *a, const char *text, size_t n);
struct jval *jsonx_new_object(struct arena *a);
/* Append (no duplicate check); grows the member array in the arena. */
void jsonx_obj_append(struct arena *a, struct jval *obj, const char *key,
    size_t klen, struct jval *val);
/* Replace the member with that key in place, or append it. */
void jsonx_obj_set(
    struct arena *a, struct jval *obj, const char *key, struct jval *val);

/* ---- emitting ---- */

/* Compact JSON of v appended to b; numbers as their source text. */
void jsonx_emit(struct buf *b, const struct jval *v);
/* Same, leaving out a top-level "@metadata" member. */
void jsonx_emit_without_meta(struct buf *b, const struct jval *v);
/* A JSON string literal (with quotes) for bytes s[0..n) that are valid
 * UTF-8; NUL and control characters are escaped. */
void jsonx_emit_string(struct buf *b, const char *s, size_t n);
/* Same for arbitrary bytes: invalid UTF-8 sequences become U+FFFD. */
void jsonx_emit_string_lossy(struct buf *b, const char *s, size_t n);
/*
 * The start of a program's "@metadata" member: `"@metadata":{`, the
 * members of own (the document's @metadata, may be NULL) except ns, then
 * `"ns":{`.  The caller adds its own members and closes with "}}".
 */
void jsonx_emit_meta_open(
    struct buf *b, const struct jval *own, const char *ns);
/*
 * The members of object obj, compact and comma-separated, without braces,
 * leaving "@metadata" out when skip_meta; first says that nothing precedes
 * them (no leading comma).  Returns whether still nothing was written.
 */
bool jsonx_emit_members(
    struct buf *b, const struct jval *obj, bool skip_meta, bool first);
/* No JSON white space byte in p[0..n): valid JSON text that is compact. */
bool jsonx_no_space(const char *p, size_t n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash's HTTP side: requests to Kibana or OpenSearch Dashboards
 * (the saved-objects import as multipart/form-data, reads, deletes, the
 * status), and the pure reading of their answers, unit-tested.  URLs,
 * authentication and TLS are common/http.h's.
 */
#ifndef KIBANA_DASH_KIBANA_H
#define KIBANA_DASH_KIBANA_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/http.h"

enum kb_flavor { KB_AUTO, KB_KIBANA, KB_OSD };

/* ---- answers (pure) ---- */

struct kb_status {
	enum kb_flavor flavor; /* from the version: major <= 3 is OSD */
	int major, minor, patch;
	char number[32]; /* "8.15.0", "" when the answer holds none */
	bool ready; /* overall available/degraded, or green/yellow */
	bool has_level; /* the answer said anything about its state */
};

/*
 * Read a 200 answer of GET /api/status (Kibana 7.x/8.x/9.x, OSD 1.x-3.x).
 * Returns 0, or -1 with the reason in err (not JSON, no version: a Kibana
 * that hides its status from anonymous requests).
 */
int kb_status_parse(
    const char *body, size_t len, struct kb_status *st, struct buf *err);

/* "Kibana 8.15.0" or "OpenSearch Dashboards 2.17.1". */
void kb_status_name(const struct kb_status *st, struct buf *b);

/* True when a body with this Content-Type (may be NULL) is HTML. */
bool kb_is_html(const char *ctype, const char *body, size_t len);

/*
 * Why a request failed, on one line, for a message: the server's
 * "message" for a JSON error, what an HTML answer means (a proxy or a
 * login page), what a 404 or 401/403 usually means.  Appended to b.
 */
void kb_describe(struct buf *b, long status, const char *ctype,
    const char *body, size_t len);

/* An object that Kibana stored under another id than the file's. */
struct kb_moved {
	char *type, *id, *dest;
};

/* The outcome of an import; free with kb_import_free(). */
struct kb_import {
	bool success;
	long long success_count;
	size_t nerrors;
	bool resolvable; /* a conflict, ambiguous_conflict or
			  * missing_references: nothing was written */
	struct kb_moved *moved; /* successResults with a destinationId */
	size_t nmoved;
};

void kb_import_free(struct kb_import *r);

/* The id Kibana gave the object type/id: its destinationId, else id. */
const char *kb_import_id(
    const struct kb_import *r, const char *type, const char *id);

/*
 * Read a 200 answer of POST _import.  errors gets one line per failed
 * object ("visualization iotpipe-vis-x: missing_references
 * index-pattern:abc"), notes one line per object whose destinationId
 * differs from its id (kept in r->moved too).  Returns 0, or -1 when the body is not an import
 * answer (err says why).
 */
int kb_import_parse(const char *body, size_t len, struct kb_import *r,
    struct buf *errors, struct buf *notes, struct buf *err);

/* ---- requests ---- */

struct kb_conf {
	const char *base; /* http_url base: no userinfo, no trailing '/' */
	const char *space; /* a Kibana space, or NULL */
	const char *tenant; /* securitytenant header (OSD), or NULL */
	const struct http_tls *tls;
	enum http_auth auth;
	const char *user, *secret;
	long timeout_ms;
	/*
	 * Called about once a second while a request runs, and more often
	 * while data moves; sent is true once the whole request body is
	 * out.  Nonzero stops the request (CURLE_ABORTED_BY_CALLBACK).  May
	 * be NULL.
	 */
	int (*tick)(void *arg, bool sent);
	void *tick_arg;
	long connect_timeout_ms; /* --connect-timeout; 0: libcurl's */
};

struct kb;

/* A client (one libcurl handle, reused); caller frees with kb_free(). */
struct kb *kb_new(const struct kb_conf *c);
void kb_free(struct kb *k);

/* The answer of the last request. */
struct kb_answer {
	CURLcode rc;
	long status; /* 0 when there was no HTTP answer */
	char ctype[128]; /* Content-Type, "" when none */
	struct buf body;
};

/*
 * One request.  method is "GET", "POST" or "DELETE"; path starts with
 * '/' and gets the space prefix when space is true.  mime (may be NULL)
 * is the body.  Headers: kbn-xsrf and osd-xsrf (each server reads its
 * own), Accept: application/json, the authentication, and
 * securitytenant when a tenant is set.  Fills a (the
 * caller owns a->body) and returns the class of the outcome, from
 * retry_classify() (common/retry.h): done, worth another try while
 * --wait lasts (transport errors, 408, 429, 5xx), or failed for good.
 */
enum kb_class {
	KB_OK,
	KB_RETRY,
	KB_FAIL,
};

enum kb_class kb_request(struct kb *k, const char *method, const char *path,
    bool space, curl_mime *mime, struct kb_answer *a);

/* The multipart body of an import: field "file", filename name (ends in
 * ".ndjson"), type application/ndjson, data p[0..n) (copied). */
curl_mime *kb_import_body(
    struct kb *k, const char *name, const char *p, size_t n);

/* The URL of path (with the space prefix when space), appended to b. */
void kb_url(const struct kb *k, const char *path, bool space, struct buf *b);

/* A one-line description of a failed answer (transport or HTTP). */
void kb_answer_text(
    const struct kb *k, const struct kb_answer *a, struct buf *b);

#endif

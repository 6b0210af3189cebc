/* SPDX-License-Identifier: MIT */
/*
 * HTTP for the tools that talk to Elasticsearch, OpenSearch and Kibana:
 * base URLs, authentication headers (pure), and the libcurl settings every
 * request shares: TLS verified unless told otherwise, keep-alive, no
 * signals, bounded times.  Whether and when to try again is
 * common/retry.h's.
 *
 * Kept apart from the rest of libcommon.a: only the programs that call
 * into it link libcurl.
 */
#ifndef IOTPIPE_HTTP_H
#define IOTPIPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"
#include "options.h"

/* ---- URLs (pure) ---- */

struct http_url {
	char *base; /* scheme://host[:port][/path], no userinfo, no '/' at
		     * the end; printable: it holds no secret */
	char *user; /* percent-decoded userinfo user, or NULL */
	char *password; /* percent-decoded userinfo password, or NULL */
	bool tls; /* https */
	bool loopback; /* host is localhost, 127.x.y.z or [::1] */
};

/*
 * Parse a server URL: "http://host:9200", "https://user@host/prefix",
 * or "host:9200" (http:// is assumed when the scheme is missing, as
 * miku/esbulk does).  Only http and https; no query or fragment.  Fills
 * out (caller frees with http_url_free()) and returns 0, or returns -1
 * with a one-line message appended to err.  The message never holds the
 * password.
 */
int http_url_parse(const char *in, struct http_url *out, struct buf *err);
/* Free what http_url_parse() allocated; the password is wiped. */
void http_url_free(struct http_url *u);

/* Append base + path to b; path starts with '/'. */
void http_url_join(struct buf *b, const char *base, const char *path);

/* ---- authentication (pure) ---- */

enum http_auth {
	HTTP_AUTH_NONE,
	HTTP_AUTH_BASIC, /* user:password */
	HTTP_AUTH_APIKEY, /* Elasticsearch "ApiKey <encoded>" */
	HTTP_AUTH_BEARER, /* "Bearer <token>" */
};

/* "none", "basic", "apikey", "bearer" -> 0 and *out; -1 otherwise. */
int http_auth_parse(const char *s, enum http_auth *out);
const char *http_auth_name(enum http_auth a);

/*
 * The "Authorization: ..." header line (no CRLF) appended to b, for
 * scheme a with user (basic only) and secret.  HTTP_AUTH_NONE appends
 * nothing.  The caller wipes b after use: it holds the secret.
 */
void http_auth_header(
    struct buf *b, enum http_auth a, const char *user, const char *secret);

/* ---- libcurl ---- */

struct http_tls {
	const char *cafile; /* --cafile, or NULL: the system's CAs */
	const char *cert; /* --cert client certificate (PEM), or NULL */
	const char *key; /* --key for it, or NULL */
	bool insecure; /* --insecure: no verification at all */
};

/* Ids of the TLS options every HTTP client takes (esbulk, kibana-dash). */
enum {
	OPT_TLS_CAFILE = 0x1e00,
	OPT_TLS_CERT,
	OPT_TLS_INSECURE,
	OPT_TLS_KEY,
};

/* --cafile, --cert, --insecure, --key: rows for a program's table. */
extern const struct opt_row http_tls_rows[];

/*
 * Take p's option into tls when it is one of http_tls_rows: true; false
 * for any other option.  The strings are borrowed from argv.
 */
bool http_tls_take(const struct opt_parser *p, struct http_tls *tls);

/* Exit 2 (usage) when tls is not usable as given: --cert without --key. */
void http_tls_check(const struct http_tls *tls);

/*
 * Settings every request of a tool shares: TLS as in tls (borrowed: the
 * strings must outlive the handle), timeout_ms for the whole transfer
 * (0: none), a connect timeout of at most 10 s, TCP keep-alive,
 * CURLOPT_NOSIGNAL, no redirects, and the User-Agent "iotpipe-<tool>/<v>".
 * Returns CURLE_OK or the first error.
 */
CURLcode http_easy_setup(
    CURL *h, const struct http_tls *tls, long timeout_ms, const char *tool);

/*
 * A one-line description of a failed transfer for messages: "HTTP 503",
 * the detail in curl's error buffer, or curl's text for rc when errbuf is
 * NULL or empty.  Appended to b.
 */
void http_error_text(
    struct buf *b, CURLcode rc, long status, const char *errbuf);

#endif

/* SPDX-License-Identifier: MIT */
/* HTTP helpers over libcurl: URLs, authentication, options, messages. */
#include "prelude.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base64.h"
#include "buf.h"
#include "env.h"
#include "http.h"
#include "log.h"
#include "xalloc.h"

static bool
host_is_loopback(const char *h, size_t n)
{
	if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	    (n == 5 && memcmp(h, "[::1]", 5) == 0))
		return true;
	return n >= 4 && memcmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") == n;
}

int
http_url_parse(const char *in, struct http_url *out, struct buf *err)
{
	const char *p, *auth, *auth_end, *at, *host, *hostend, *path;
	struct buf b = BUF_INIT;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (in == NULL || *in == '\0') {
		buf_printf(err, "empty URL");
		return -1;
	}
	if ((p = strstr(in, "://")) != NULL) {
		n = (size_t)(p - in);
		if (n == 4 && strncasecmp(in, "http", 4) == 0)
			out->tls = false;
		else if (n == 5 && strncasecmp(in, "https", 5) == 0)
			out->tls = true;
		else {
			buf_printf(err,
			    "URL scheme '%.*s' is not http or https",
			    (int)(n < 32 ? n : 32), in);
			return -1;
		}
		auth = p + 3;
	} else {
		auth = in;
	}
	auth_end = auth + strcspn(auth, "/?#");
	/* the last '@' ends the userinfo, so a raw '@' in a password works */
	at = NULL;
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	host = at != NULL ? at + 1 : auth;
	if (host == auth_end) {
		buf_printf(err, "URL has no host");
		return -1;
	}
	if (*auth_end == '?' || *auth_end == '#' ||
	    strpbrk(auth_end, "?#") != NULL) {
		buf_printf(err, "URL must not have a query or fragment");
		return -1;
	}
	if (at != NULL) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		const char *uend = colon != NULL ? colon : at;

		if (uend > auth &&
		    (out->user = url_pct_decode(auth, (size_t)(uend - auth))) ==
			NULL) {
			buf_printf(err, "bad percent escape in the URL's user");
			goto fail;
		}
		if (colon != NULL &&
		    (out->password = url_pct_decode(
			 colon + 1, (size_t)(at - colon - 1))) == NULL) {
			buf_printf(
			    err, "bad percent escape in the URL's password");
			goto fail;
		}
	}
	/* host[:port]; an IPv6 literal keeps its brackets */
	hostend = host;
	if (*host == '[') {
		hostend = memchr(host, ']', (size_t)(auth_end - host));
		hostend = hostend != NULL ? hostend + 1 : auth_end;
	} else {
		while (hostend < auth_end && *hostend != ':')
			hostend++;
	}
	if (hostend < auth_end) {
		if (*hostend != ':' || hostend + 1 == auth_end ||
		    strspn(hostend + 1, "0123456789") !=
			(size_t)(auth_end - hostend - 1) ||
		    auth_end - hostend - 1 > 5 ||
		    strtol(hostend + 1, NULL, 10) < 1 ||
		    strtol(hostend + 1, NULL, 10) > 65535) {
			buf_printf(err, "bad port in URL");
			goto fail;
		}
	}
	out->loopback = host_is_loopback(host, (size_t)(hostend - host));
	buf_adds(&b, out->tls ? "https://" : "http://");
	buf_add(&b, host, (size_t)(auth_end - host));
	path = auth_end;
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	buf_add(&b, path, n);
	out->base = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	http_url_free(out);
	return -1;
}

void
http_url_free(struct http_url *u)
{
	if (u == NULL)
		return;
	free(u->base);
	free(u->user);
	secret_free(u->password);
	memset(u, 0, sizeof(*u));
}

void
http_url_join(struct buf *b, const char *base, const char *path)
{
	buf_adds(b, base);
	if (*path != '/')
		buf_addc(b, '/');
	buf_adds(b, path);
}

static const char *const auth_names[] = {"none", "basic", "apikey", "bearer"};

int
http_auth_parse(const char *s, enum http_auth *out)
{
	size_t i;

	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (s != NULL && strcmp(s, auth_names[i]) == 0) {
			*out = (enum http_auth)i;
			return 0;
		}
	return -1;
}

const char *
http_auth_name(enum http_auth a)
{
	return (unsigned)a < 4 ? auth_names[a] : "?";
}

void
http_auth_header(
    struct buf *b, enum http_auth a, const char *user, const char *secret)
{
	struct buf up = BUF_INIT;

	switch (a) {
	case HTTP_AUTH_NONE:
		break;
	case HTTP_AUTH_BASIC:
		buf_adds(&up, user != NULL ? user : "");
		buf_addc(&up, ':');
		buf_adds(&up, secret != NULL ? secret : "");
		buf_adds(b, "Authorization: Basic ");
		base64_append(b, up.data, up.len);
		explicit_bzero(up.data, up.len);
		break;
	case HTTP_AUTH_APIKEY:
		buf_adds(b, "Authorization: ApiKey ");
		buf_adds(b, secret != NULL ? secret : "");
		break;
	case HTTP_AUTH_BEARER:
		buf_adds(b, "Authorization: Bearer ");
		buf_adds(b, secret != NULL ? secret : "");
		break;
	}
	buf_free(&up);
}

CURLcode
http_easy_setup(
    CURL *h, const struct http_tls *tls, long timeout_ms, const char *tool)
{
	char ua[64];
	CURLcode rc = CURLE_OK;

	snprintf(ua, sizeof(ua), "iotpipe-%s/%s", tool, IOTPIPE_VERSION);
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(h, opt, val);                    \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms > 0 && timeout_ms < 10000 ? timeout_ms : 10000L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	if (tls != NULL) {
		if (tls->cafile != NULL)
			SET(CURLOPT_CAINFO, tls->cafile);
		if (tls->cert != NULL)
			SET(CURLOPT_SSLCERT, tls->cert);
		if (tls->key != NULL)
			SET(CURLOPT_SSLKEY, tls->key);
		SET(CURLOPT_SSL_VERIFYPEER, tls->insecure ? 0L : 1L);
		SET(CURLOPT_SSL_VERIFYHOST, tls->insecure ? 0L : 2L);
	}
#undef SET
	return rc;
}

void
http_error_text(struct buf *b, CURLcode rc, long status, const char *errbuf)
{
	if (rc == CURLE_OK) {
		buf_printf(b, "HTTP %ld", status);
		return;
	}
	/* curl's own detail says more than the code's text */
	if (errbuf != NULL && *errbuf != '\0') {
		size_t n = strlen(errbuf);

		while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '.'))
			n--;
		buf_add(b, errbuf, n);
	} else {
		buf_adds(b, curl_easy_strerror(rc));
	}
}

/* ---- the TLS options ---- */

/* clang-format off */
const struct opt_row http_tls_rows[] = {
	OPT_ARG(OPT_TLS_CAFILE, "cafile", "file", NULL,
	    "verify the server with the CA certificates in file (PEM)"),
	OPT_ARG(OPT_TLS_CERT, "cert", "file", NULL,
	    "present the client certificate in file (PEM, with --key)"),
	OPT_FLAG(OPT_TLS_INSECURE, "insecure",
	    "do not verify the server's certificate or name"),
	OPT_ARG(OPT_TLS_KEY, "key", "file", NULL,
	    "the private key (PEM) of --cert"),
	OPT_END,
};
/* clang-format on */

bool
http_tls_take(const struct opt_parser *p, struct http_tls *tls)
{
	switch (p->row->id) {
	case OPT_TLS_CAFILE:
		tls->cafile = p->arg;
		return true;
	case OPT_TLS_CERT:
		tls->cert = p->arg;
		return true;
	case OPT_TLS_INSECURE:
		tls->insecure = true;
		return true;
	case OPT_TLS_KEY:
		tls->key = p->arg;
		return true;
	default:
		return false;
	}
}

void
http_tls_check(const struct http_tls *tls)
{
	if ((tls->cert == NULL) != (tls->key == NULL))
		usage_error("--cert and --key go together");
}

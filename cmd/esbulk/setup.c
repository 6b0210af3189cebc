/* SPDX-License-Identifier: MIT */
/* esbulk before the first batch: which server, the template, the headers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/log.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "bulk.h"
#include "server.h"
#include "setup.h"

#define TEMPLATE_MAX (16u * 1024 * 1024)

/* Wait ms milliseconds unless a signal to stop comes.  -1 on a stop. */
static int
nap(unsigned ms)
{
	struct pollfd pfd = {.fd = sig_fd(), .events = POLLIN};

	if (sig_stop)
		return -1;
	if (poll(&pfd, 1, (int)ms) > 0)
		sig_drain();
	return sig_stop ? -1 : 0;
}

/*
 * One setup request with retries, as documents get them: up to
 * --max-retry-time for transport errors, 429 and 5xx.  Returns the
 * class of the last answer; -1 when stopped by a signal.
 */
static int
setup_request(const struct setup *r, const char *method, const char *path,
    const char *body, size_t len, long *status, struct buf *resp,
    struct buf *err)
{
	struct backoff bo;
	double t0 = mono_now();
	enum http_class cls;
	unsigned ms;

	backoff_init(&bo, 100, (unsigned)(r->o->backoff_max_s * 1000));
	for (;;) {
		buf_reset(err);
		cls = sender_request(
		    r->snd, method, path, body, len, status, resp, err);
		if (cls != HTTP_RETRY)
			break;
		if (mono_now() - t0 >= r->o->max_retry_s) {
			buf_printf(
			    err, ": gave up after %.1f s", mono_now() - t0);
			break;
		}
		ms = backoff_next_ms(&bo);
		log_warn("%s: retry in %.1f s", buf_cstr(err), ms / 1000.0);
		if (nap(ms) < 0)
			return -1;
	}
	return (int)cls;
}

static void
describe_failure(const struct setup *r, const char *what, long status,
    const struct buf *resp)
{
	struct buf reason = BUF_INIT;
	struct bulk_error e = {0, BUF_INIT, BUF_INIT};

	bulk_request_error(
	    r->arena, status, resp->data, resp->len, &reason, &e);
	log_err("%s: %s", what, buf_cstr(&reason));
	buf_free(&reason);
	bulk_error_free(&e);
}

/* GET /: which server, which version.  0, 1 (failed) or -1 (stopped). */
int
setup_detect(const struct setup *r, struct es_server *srv)
{
	struct buf resp = BUF_INIT, err = BUF_INIT, d = BUF_INIT;
	long status;
	int cls, rc = 0;

	/* assume a current server when GET / is not allowed */
	memset(srv, 0, sizeof(*srv));
	srv->major = 8;
	snprintf(srv->version, sizeof(srv->version), "unknown");
	cls = setup_request(r, "GET", "/", NULL, 0, &status, &resp, &err);
	if (cls < 0) {
		rc = -1;
	} else if (cls == HTTP_OK) {
		buf_reset(&err);
		if (server_parse_root(
			r->arena, resp.data, resp.len, srv, &err) < 0) {
			log_err("%s: %s", r->o->bases[0], buf_cstr(&err));
			rc = 1;
		}
	} else if (status == 406 && r->o->compat) {
		log_err("GET /: HTTP 406: the server does not take --compat "
			"(OpenSearch and Elasticsearch before 7.11 do not)");
		rc = 1;
	} else if (status >= 400 && status < 500 && status != 401) {
		/* a node without the root endpoint (Elasticsearch's
		 * integ-test-zip, some proxies): ask the nodes API; not
		 * allowed to ask at all (an API key without the monitor
		 * privilege): go on with the defaults */
		long st2 = 0;

		buf_reset(&err);
		if (setup_request(r, "GET",
			"/_nodes/_local?filter_path=nodes.*.version", NULL, 0,
			&st2, &resp, &err) == HTTP_OK &&
		    server_parse_nodes(r->arena, resp.data, resp.len, srv) == 0)
			log_info("GET /: HTTP %ld: version from the nodes API",
			    status);
		else
			log_warn("GET /: HTTP %ld: cannot tell the server's "
				 "version; assuming Elasticsearch 8 or "
				 "OpenSearch",
			    status);
	} else {
		if (status != 0)
			describe_failure(r, "GET /", status, &resp);
		else
			log_err("%s", buf_cstr(&err));
		rc = 1;
	}
	if (rc == 0) {
		server_describe(srv, &d);
		log_info("%s: %s", r->o->bases[0], buf_cstr(&d));
		if (r->o->compat && srv->opensearch) {
			log_err("--compat: %s takes no compatibility headers",
			    buf_cstr(&d));
			rc = 1;
		}
	}
	buf_free(&resp);
	buf_free(&err);
	buf_free(&d);
	return rc;
}

static int
read_file(const char *path, struct buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (b->len + (size_t)n > TEMPLATE_MAX) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* PUT the index template.  0, 1 (failed) or -1 (stopped). */
int
setup_template(const struct setup *r, const struct es_server *srv)
{
	const struct opts *o = r->o;
	struct buf text = BUF_INIT, body = BUF_INIT, err = BUF_INIT;
	struct buf pattern = BUF_INIT, path = BUF_INIT, resp = BUF_INIT;
	bool builtin = strcmp(o->template, "vehicles") == 0;
	long status;
	int cls, rc = 1;

	if (!builtin && read_file(o->template, &text) < 0) {
		log_err("--template %s: %s", o->template, strerror(errno));
		goto out;
	}
	if (o->bulk.index != NULL)
		template_pattern(o->bulk.index, &pattern);
	if (template_body(r->arena, builtin ? NULL : text.data, text.len,
		pattern.len ? buf_cstr(&pattern) : NULL, srv, &body,
		&err) < 0) {
		log_err("--template %s: %s", o->template, buf_cstr(&err));
		goto out;
	}
	buf_printf(&path, "/%s/%s",
	    server_composable_templates(srv) ? "_index_template" : "_template",
	    o->template_name);
	cls = setup_request(r, "PUT", buf_cstr(&path), body.data, body.len,
	    &status, &resp, &err);
	if (cls < 0) {
		rc = -1;
	} else if (cls != HTTP_OK && status == 0) {
		log_err("%s", buf_cstr(&err));
	} else if (cls != HTTP_OK) {
		buf_reset(&err);
		buf_printf(&err, "PUT %s", buf_cstr(&path));
		describe_failure(r, buf_cstr(&err), status, &resp);
	} else {
		log_info("PUT %s: template installed", buf_cstr(&path));
		rc = 0;
	}
out:
	buf_free(&text);
	buf_free(&body);
	buf_free(&err);
	buf_free(&pattern);
	buf_free(&path);
	buf_free(&resp);
	return rc;
}

/* The headers of every request. */
struct curl_slist *
setup_headers(const struct opts *o, bool ndjson, bool gzip)
{
	struct curl_slist *h = NULL;
	struct buf b = BUF_INIT;

	if (o->compat) {
		buf_printf(&b,
		    "Content-Type: application/vnd.elasticsearch+%s;"
		    "compatible-with=%u",
		    ndjson ? "x-ndjson" : "json", o->compat);
		h = curl_slist_append(h, buf_cstr(&b));
		buf_reset(&b);
		buf_printf(&b,
		    "Accept: application/vnd.elasticsearch+json;"
		    "compatible-with=%u",
		    o->compat);
		h = curl_slist_append(h, buf_cstr(&b));
	} else {
		h = curl_slist_append(h,
		    ndjson ? "Content-Type: "
			     "application/x-ndjson"
			   : "Content-Type: "
			     "application/json");
		h = curl_slist_append(h, "Accept: application/json");
	}
	/* no 100-continue round trip before each large body */
	h = curl_slist_append(h, "Expect:");
	if (gzip)
		h = curl_slist_append(h, "Content-Encoding: gzip");
	buf_reset(&b);
	http_auth_header(&b, o->auth, o->user, o->secret);
	if (b.len > 0)
		h = curl_slist_append(h, buf_cstr(&b));
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	if (h == NULL)
		xdie_oom();
	return h;
}

bool
setup_want_gzip(const struct opts *o)
{
	size_t i;

	if (o->gzip != GZIP_AUTO)
		return o->gzip == GZIP_ALWAYS;
	for (i = 0; i < o->nurls; i++)
		if (!o->urls[i].loopback)
			return true;
	return false;
}

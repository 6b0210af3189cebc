/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash's requests to Kibana and OpenSearch Dashboards, and the
 * reading of their answers (kibana-dash(1), DESCRIPTION and DIAGNOSTICS).
 */
#include "common/prelude.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/retry.h"
#include "common/xalloc.h"
#include "kibana.h"

#define RESPONSE_MAX (8u * 1024 * 1024)

/* ---- answers ---- */

int
kb_status_parse(
    const char *body, size_t len, struct kb_status *st, struct buf *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *overall;
	const char *num, *level, *state;
	int n;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(root)) {
		buf_adds(err, "the status answer is not a JSON object");
		json_decref(root);
		return -1;
	}
	num = json_string_value(
	    json_object_get(json_object_get(root, "version"), "number"));
	overall = json_object_get(json_object_get(root, "status"), "overall");
	level = json_string_value(json_object_get(overall, "level"));
	state = json_string_value(json_object_get(overall, "state"));
	if (level != NULL) {
		st->has_level = true;
		st->ready = strcmp(level, "available") == 0 ||
		    strcmp(level, "degraded") == 0;
	} else if (state != NULL) {
		st->has_level = true;
		st->ready =
		    strcmp(state, "green") == 0 || strcmp(state, "yellow") == 0;
	}
	if (num == NULL) {
		buf_adds(err,
		    "the status answer holds no version: give "
		    "credentials (KIBANA_USER and KIBANA_PASSWORD, "
		    "or KIBANA_API_KEY), or --flavor");
		json_decref(root);
		return -1;
	}
	(void)snprintf(st->number, sizeof(st->number), "%s", num);
	n = sscanf(num, "%d.%d.%d", &st->major, &st->minor, &st->patch);
	if (n < 2 || st->major < 1) {
		buf_printf(err,
		    "the status answer's version '%s' is not "
		    "major.minor.patch",
		    st->number);
		json_decref(root);
		return -1;
	}
	/* OpenSearch Dashboards is 1.x-3.x, Kibana with this API 6.x up */
	st->flavor = st->major <= 3 ? KB_OSD : KB_KIBANA;
	json_decref(root);
	return 0;
}

void
kb_status_name(const struct kb_status *st, struct buf *b)
{
	buf_printf(b, "%s %s",
	    st->flavor == KB_OSD ? "OpenSearch Dashboards" : "Kibana",
	    st->number[0] != '\0' ? st->number : "(version unknown)");
}

bool
kb_is_html(const char *ctype, const char *body, size_t len)
{
	size_t i = 0;

	if (ctype != NULL && strncasecmp(ctype, "text/html", 9) == 0)
		return true;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	return i < len && body[i] == '<';
}

/* At most 200 bytes of s, on one line, appended to b. */
static void
one_line(struct buf *b, const char *s, size_t n)
{
	size_t i;

	if (n > 200)
		n = 200;
	for (i = 0; i < n; i++)
		buf_addc(b,
		    (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' '
								   : s[i]);
}

void
kb_describe(
    struct buf *b, long status, const char *ctype, const char *body, size_t len)
{
	json_error_t jerr;
	json_t *root;
	const char *msg = NULL;

	buf_printf(b, "HTTP %ld", status);
	if (kb_is_html(ctype, body, len)) {
		buf_adds(b,
		    ": the server answered with an HTML page, not "
		    "the Kibana API: is the URL Kibana's (a proxy, a "
		    "login page or a base path in between?)");
		return;
	}
	root = json_loadb(body, len, 0, &jerr);
	if (json_is_object(root))
		msg = json_string_value(json_object_get(root, "message"));
	if (msg != NULL) {
		buf_adds(b, ": ");
		one_line(b, msg, strlen(msg));
	} else if (len > 0) {
		buf_adds(b, ": ");
		one_line(b, body, len);
	}
	json_decref(root);
	switch (status) {
	case 401:
		buf_adds(b,
		    " (check KIBANA_USER and KIBANA_PASSWORD or "
		    "--password-file, or KIBANA_API_KEY)");
		break;
	case 403:
		buf_adds(b,
		    " (the user lacks the saved-objects privileges "
		    "for this space or tenant)");
		break;
	case 404:
		buf_adds(b,
		    " (no Kibana API here: a wrong base path in the "
		    "URL, or a space that does not exist?)");
		break;
	case 413:
		buf_adds(b,
		    " (the file is larger than "
		    "savedObjects.maxImportPayloadBytes)");
		break;
	case 503:
		buf_adds(b,
		    " (Kibana is not ready: retry, or give --wait "
		    "SECONDS)");
		break;
	default:
		break;
	}
}

int
kb_import_parse(const char *body, size_t len, struct kb_import *r,
    struct buf *errors, struct buf *notes, struct buf *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *list, *e, *ok;
	size_t i, j;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(root) ||
	    !json_is_boolean(json_object_get(root, "success"))) {
		buf_adds(err,
		    "the import answer is not JSON with "
		    "\"success\"");
		json_decref(root);
		return -1;
	}
	r->success = json_is_true(json_object_get(root, "success"));
	r->success_count =
	    json_integer_value(json_object_get(root, "successCount"));
	list = json_object_get(root, "errors");
	for (i = 0;
	     i < json_array_size(list) && (e = json_array_get(list, i)) != NULL;
	     i++) {
		json_t *er = json_object_get(e, "error"), *refs, *ref;
		const char *type =
		    json_string_value(json_object_get(er, "type"));
		const char *msg =
		    json_string_value(json_object_get(er, "message"));

		if (type == NULL)
			type = "unknown";
		r->nerrors++;
		if (strcmp(type, "conflict") == 0 ||
		    strcmp(type, "ambiguous_conflict") == 0 ||
		    strcmp(type, "missing_references") == 0)
			r->resolvable = true;
		buf_printf(errors, "%s %s: %s",
		    json_string_value(json_object_get(e, "type")),
		    json_string_value(json_object_get(e, "id")), type);
		refs = json_object_get(er, "references");
		for (j = 0; j < json_array_size(refs) &&
		     (ref = json_array_get(refs, j)) != NULL;
		     j++)
			buf_printf(errors, "%s%s:%s", j == 0 ? " " : ",",
			    json_string_value(json_object_get(ref, "type")),
			    json_string_value(json_object_get(ref, "id")));
		if (msg != NULL) {
			buf_adds(errors, ": ");
			one_line(errors, msg, strlen(msg));
		}
		buf_addc(errors, '\n');
	}
	list = json_object_get(root, "successResults");
	for (i = 0; i < json_array_size(list) &&
	     (ok = json_array_get(list, i)) != NULL;
	     i++) {
		const char *id = json_string_value(json_object_get(ok, "id"));
		const char *dest =
		    json_string_value(json_object_get(ok, "destinationId"));

		const char *type =
		    json_string_value(json_object_get(ok, "type"));

		if (dest != NULL && id != NULL && type != NULL &&
		    strcmp(id, dest) != 0) {
			buf_printf(notes, "%s %s is %s in this space\n", type,
			    id, dest);
			r->moved = xreallocarray(
			    r->moved, r->nmoved + 1, sizeof(*r->moved));
			r->moved[r->nmoved].type = xstrdup(type);
			r->moved[r->nmoved].id = xstrdup(id);
			r->moved[r->nmoved].dest = xstrdup(dest);
			r->nmoved++;
		}
	}
	json_decref(root);
	return 0;
}

void
kb_import_free(struct kb_import *r)
{
	size_t i;

	for (i = 0; i < r->nmoved; i++) {
		free(r->moved[i].type);
		free(r->moved[i].id);
		free(r->moved[i].dest);
	}
	free(r->moved);
	r->moved = NULL;
	r->nmoved = 0;
}

const char *
kb_import_id(const struct kb_import *r, const char *type, const char *id)
{
	size_t i;

	for (i = 0; i < r->nmoved; i++)
		if (strcmp(r->moved[i].type, type) == 0 &&
		    strcmp(r->moved[i].id, id) == 0)
			return r->moved[i].dest;
	return id;
}

/* ---- requests ---- */

struct kb {
	struct kb_conf c;
	CURL *h;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	struct kb_answer *cur;
	bool cut;
	bool body; /* this request sends one */
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct kb *k = arg;

	n *= size;
	if (k->cur->body.len + n > RESPONSE_MAX) {
		k->cut = true;
		return 0;
	}
	buf_add(&k->cur->body, p, n);
	return n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct kb *k = arg;
	size_t len = size * n, v;

	if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		v = 13;
		while (v < len && (p[v] == ' ' || p[v] == '\t'))
			v++;
		while (len > v && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		(void)snprintf(k->cur->ctype, sizeof(k->cur->ctype), "%.*s",
		    (int)(len - v), p + v);
	}
	return size * n;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct kb *k = arg;

	(void)dltotal;
	(void)dlnow;
	/* a body's size is known (ultotal > 0) once its upload starts */
	return k->c.tick(
	    k->c.tick_arg, !k->body || (ultotal > 0 && ulnow >= ultotal));
}

struct kb *
kb_new(const struct kb_conf *c)
{
	struct kb *k = xcalloc(1, sizeof(*k));
	struct buf auth = BUF_INIT;
	static const char *const fixed[] = {
	    /* each server checks its own header (kibana-dash(1)) */
	    "kbn-xsrf: true",
	    "osd-xsrf: true",
	    "Accept: application/json",
	};
	size_t i;

	k->c = *c;
	if ((k->h = curl_easy_init()) == NULL)
		xdie_oom();
	http_easy_setup(k->h, c->tls, c->timeout_ms, "kibana-dash");
	if (c->connect_timeout_ms > 0)
		curl_easy_setopt(
		    k->h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if ((k->headers = curl_slist_append(k->headers, fixed[i])) ==
		    NULL)
			xdie_oom();
	if (c->tenant != NULL) {
		struct buf t = BUF_INIT;

		buf_printf(&t, "securitytenant: %s", c->tenant);
		if ((k->headers = curl_slist_append(
			 k->headers, buf_cstr(&t))) == NULL)
			xdie_oom();
		buf_free(&t);
	}
	http_auth_header(&auth, c->auth, c->user, c->secret);
	if (auth.len > 0 &&
	    (k->headers = curl_slist_append(k->headers, buf_cstr(&auth))) ==
		NULL)
		xdie_oom();
	if (auth.data != NULL)
		explicit_bzero(auth.data, auth.cap);
	buf_free(&auth);
	curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k->h, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k->h, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
	if (c->tick != NULL) {
		curl_easy_setopt(k->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(k->h, CURLOPT_XFERINFODATA, k);
		curl_easy_setopt(k->h, CURLOPT_NOPROGRESS, 0L);
	}
	return k;
}

void
kb_free(struct kb *k)
{
	struct curl_slist *s;

	if (k == NULL)
		return;
	curl_easy_cleanup(k->h);
	/* the Authorization line holds the secret */
	for (s = k->headers; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(k->headers);
	free(k);
}

void
kb_url(const struct kb *k, const char *path, bool space, struct buf *b)
{
	struct buf p = BUF_INIT;

	if (space && k->c.space != NULL)
		buf_printf(&p, "/s/%s", k->c.space);
	buf_adds(&p, path);
	http_url_join(b, k->c.base, buf_cstr(&p));
	buf_free(&p);
}

curl_mime *
kb_import_body(struct kb *k, const char *name, const char *p, size_t n)
{
	curl_mime *m = curl_mime_init(k->h);
	curl_mimepart *part;

	if (m == NULL || (part = curl_mime_addpart(m)) == NULL ||
	    curl_mime_name(part, "file") != CURLE_OK ||
	    curl_mime_filename(part, name) != CURLE_OK ||
	    curl_mime_type(part, "application/ndjson") != CURLE_OK ||
	    curl_mime_data(part, p, n) != CURLE_OK)
		xdie_oom();
	return m;
}

enum kb_class
kb_request(struct kb *k, const char *method, const char *path, bool space,
    curl_mime *mime, struct kb_answer *a)
{
	struct retry_outcome o = {RETRY_REQUEST, CURLE_OK, 0, -1, false};
	struct buf url = BUF_INIT;

	buf_reset(&a->body);
	a->ctype[0] = '\0';
	a->status = 0;
	k->errbuf[0] = '\0';
	k->cur = a;
	k->cut = false;
	k->body = mime != NULL;
	kb_url(k, path, space, &url);
	curl_easy_setopt(k->h, CURLOPT_URL, buf_cstr(&url));
	curl_easy_setopt(k->h, CURLOPT_MIMEPOST, (curl_mime *)NULL);
	curl_easy_setopt(k->h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(k->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	if (mime != NULL)
		curl_easy_setopt(k->h, CURLOPT_MIMEPOST, mime);
	if (strcmp(method, "DELETE") == 0)
		curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, "DELETE");
	a->rc = curl_easy_perform(k->h);
	if (a->rc == CURLE_WRITE_ERROR && k->cut)
		(void)snprintf(k->errbuf, sizeof(k->errbuf),
		    "the answer is larger than %u bytes", RESPONSE_MAX);
	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_setopt(k->h, CURLOPT_MIMEPOST, (curl_mime *)NULL);
	buf_free(&url);
	k->cur = NULL;
	o.rc = a->rc;
	o.status = a->status;
	switch (retry_classify(&o)) {
	case RETRY_DONE:
		return KB_OK;
	case RETRY_AGAIN:
		return KB_RETRY;
	default:
		return KB_FAIL;
	}
}

void
kb_answer_text(const struct kb *k, const struct kb_answer *a, struct buf *b)
{
	if (a->rc != CURLE_OK) {
		http_error_text(b, a->rc, a->status, k->errbuf);
		return;
	}
	kb_describe(b, a->status, a->ctype,
	    a->body.data != NULL ? a->body.data : "", a->body.len);
}

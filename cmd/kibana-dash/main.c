/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash: the vehicle dashboard (an index pattern, five
 * visualizations, one dashboard) in Kibana 7.10-9.x or OpenSearch
 * Dashboards 2.x, in one idempotent command; or the import file for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/stats.h"
#include "common/xalloc.h"
#include "kibana.h"
#include "objects.h"
#include "options.h"

#define WAIT_STEP_S 2.0

struct run {
	const struct opts *o;
	struct stats *st;
	uint64_t *in, *out, *rejected, *requests;
	struct kb *kb;
	struct kb_answer a;
	struct kb_status status;
	enum kb_flavor flavor;
	struct buf ndjson;
	struct kb_import res; /* the import's answer: ids Kibana changed */
};

static void
nap(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static enum kb_class
request(struct run *r, const char *method, const char *path, bool space,
    curl_mime *mime)
{
	(*r->requests)++;
	log_debug("%s %s", method, path);
	return kb_request(r->kb, method, path, space, mime, &r->a);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --output FILE: the NDJSON, written whole or not at all. */
static void
write_output(struct run *r)
{
	const char *path = r->o->output;
	struct buf tmp = BUF_INIT;
	int fd;

	if (strcmp(path, "-") == 0) {
		if (write_all(1, r->ndjson.data, r->ndjson.len) < 0)
			fatal("stdout: %s", strerror(errno));
		return;
	}
	buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(
	    buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal("--output %s: %s", path, strerror(errno));
	if (write_all(fd, r->ndjson.data, r->ndjson.len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(buf_cstr(&tmp), path) < 0) {
		int e = errno;

		(void)unlink(buf_cstr(&tmp));
		fatal("--output %s: %s", path, strerror(e));
	}
	buf_free(&tmp);
	log_info("%s: %u objects for Kibana's Saved Objects import", path,
	    (unsigned)KD_NOBJ);
}

/*
 * GET /api/status until Kibana is ready, for up to --wait seconds, with a
 * line of progress per try.  Sets r->flavor.
 */
static void
connect_kibana(struct run *r)
{
	const struct opts *o = r->o;
	double t0 = mono_now(), left;
	struct buf why = BUF_INIT, err = BUF_INIT, name = BUF_INIT;
	enum kb_class cls;
	bool parsed;

	for (;;) {
		buf_reset(&why);
		buf_reset(&err);
		cls = request(r, "GET", "/api/status", false, NULL);
		parsed = cls == KB_OK &&
		    !kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len) &&
		    kb_status_parse(
			r->a.body.data, r->a.body.len, &r->status, &err) == 0;
		if (cls == KB_OK &&
		    (!parsed || !r->status.has_level || r->status.ready))
			break;
		if (cls == KB_FAIL)
			break;
		/* not answering, 5xx, or up but not available yet */
		if (cls == KB_OK)
			buf_adds(&why, "status not available yet");
		else
			kb_answer_text(r->kb, &r->a, &why);
		left = o->wait_s - (mono_now() - t0);
		if (left <= 0) {
			if (o->wait_s > 0)
				fatal("%s: Kibana not ready after %.0f s: %s",
				    r->o->url.base, o->wait_s, buf_cstr(&why));
			if (cls != KB_OK && r->a.rc != CURLE_OK)
				/* never reached: say what to check */
				fatal("%s: %s: %s check -u / KIBANA_URL",
				    r->o->url.base, buf_cstr(&why),
				    retry_unreached_hint(r->a.rc));
			fatal("%s: %s%s", r->o->url.base, buf_cstr(&why),
			    cls == KB_OK ? " (give --wait SECONDS)" : "");
		}
		log_warn("waiting for Kibana at %s: %s; %.0f s left",
		    o->url.base, buf_cstr(&why), left);
		nap(left < WAIT_STEP_S ? left : WAIT_STEP_S);
	}
	if (cls != KB_OK) {
		kb_answer_text(r->kb, &r->a, &why);
		fatal("%s/api/status: %s", o->url.base, buf_cstr(&why));
	}
	if (kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len)) {
		kb_answer_text(r->kb, &r->a, &why);
		fatal("%s/api/status: %s", o->url.base, buf_cstr(&why));
	}
	if (!parsed) {
		if (o->flavor == KB_AUTO)
			fatal("%s/api/status: %s", o->url.base, buf_cstr(&err));
		log_info("%s/api/status: %s; going on as --flavor says",
		    o->url.base, buf_cstr(&err));
		r->status.flavor = o->flavor;
	}
	r->flavor = o->flavor != KB_AUTO ? o->flavor : r->status.flavor;
	kb_status_name(&r->status, &name);
	log_info("%s at %s", buf_cstr(&name), o->url.base);
	if (r->flavor == KB_KIBANA && o->tenant != NULL)
		usage_error("--tenant %s: tenants belong to OpenSearch "
			    "Dashboards' security plugin; Kibana has spaces "
			    "(--space)",
		    o->tenant);
	if (r->flavor == KB_OSD && o->space != NULL)
		usage_error("--space %s: OpenSearch Dashboards has no spaces "
			    "(its security plugin has tenants: --tenant)",
		    o->space);
	buf_free(&why);
	buf_free(&err);
	buf_free(&name);
}

static void
dashboard_url(struct run *r, struct buf *b)
{
	struct buf path = BUF_INIT;

	struct buf id = BUF_INIT;

	kd_obj_id(&r->o->kd, KD_DASHBOARD, &id);
	buf_printf(&path, "/app/dashboards#/view/%s",
	    kb_import_id(&r->res, "dashboard", buf_cstr(&id)));
	buf_free(&id);
	kb_url(r->kb, buf_cstr(&path), true, b);
	buf_free(&path);
}

/*
 * POST _import?overwrite=true: the query parameter every Kibana since
 * 7.10 and every OpenSearch Dashboards knows (kibana-dash(1)).
 */
static int
import(struct run *r)
{
	struct buf name = BUF_INIT, errors = BUF_INIT, notes = BUF_INIT,
		   err = BUF_INIT, why = BUF_INIT, url = BUF_INIT;
	struct kb_import *res = &r->res;
	curl_mime *mime;
	enum kb_class cls;
	int rc = 0;

	buf_printf(&name, "%s.ndjson", r->o->kd.id_prefix);
	mime = kb_import_body(
	    r->kb, buf_cstr(&name), r->ndjson.data, r->ndjson.len);
	cls = request(
	    r, "POST", "/api/saved_objects/_import?overwrite=true", true, mime);
	curl_mime_free(mime);
	if (cls != KB_OK || r->a.status != 200) {
		kb_answer_text(r->kb, &r->a, &why);
		log_err("import into %s: %s; nothing was imported",
		    r->o->url.base, buf_cstr(&why));
		*r->rejected += KD_NOBJ;
		rc = 1;
		goto out;
	}
	if (kb_import_parse(r->a.body.data, r->a.body.len, res, &errors, &notes,
		&err) < 0) {
		kb_answer_text(r->kb, &r->a, &why);
		log_err("import into %s: %s: %s", r->o->url.base,
		    buf_cstr(&err), buf_cstr(&why));
		rc = 1;
		goto out;
	}
	if (notes.len > 0)
		log_warn("%s", buf_cstr(&notes));
	if (!res->success || res->nerrors > 0) {
		*r->rejected += res->nerrors;
		if (res->resolvable)
			log_err("import: nothing was imported: Kibana writes "
				"no object while one of them has a conflict "
				"or a missing reference:");
		else
			log_err("import: %zu of %u objects were not "
				"imported:",
			    res->nerrors, (unsigned)KD_NOBJ);
		log_raw(errors.data, errors.len);
		if (!res->resolvable)
			*r->out += (uint64_t)res->success_count;
		rc = 1;
		goto out;
	}
	*r->out += (uint64_t)res->success_count;
	dashboard_url(r, &url);
	log_info("imported %lld objects", res->success_count);
	printf("%s\n", buf_cstr(&url));
	if (fflush(stdout) != 0)
		rc = 1;
out:
	buf_free(&name);
	buf_free(&errors);
	buf_free(&notes);
	buf_free(&err);
	buf_free(&why);
	buf_free(&url);
	return rc;
}

static void
object_path(struct run *r, enum kd_obj o, struct buf *b)
{
	struct buf id = BUF_INIT;

	kd_obj_id(&r->o->kd, o, &id);
	/* where this run's import put it (Kibana 8 may change the id) */
	buf_printf(b, "/api/saved_objects/%s/%s", kd_obj_type(o),
	    kb_import_id(&r->res, kd_obj_type(o), buf_cstr(&id)));
	buf_free(&id);
}

/* --delete: the dashboard first, the index pattern last. */
static int
delete_all(struct run *r)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	int o, rc = 0, absent = 0;
	bool html;

	for (o = KD_NOBJ - 1; o >= 0; o--) {
		buf_reset(&path);
		object_path(r, (enum kd_obj)o, &path);
		(void)request(r, "DELETE", buf_cstr(&path), true, NULL);
		html = kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len);
		if (r->a.rc == CURLE_OK && r->a.status == 200 && !html) {
			(*r->out)++;
		} else if (r->a.rc == CURLE_OK && r->a.status == 404 && !html) {
			absent++;
			log_info("%s: not there", buf_cstr(&path));
		} else {
			buf_reset(&why);
			kb_answer_text(r->kb, &r->a, &why);
			log_err(
			    "delete %s: %s", buf_cstr(&path), buf_cstr(&why));
			(*r->rejected)++;
			rc = 1;
		}
	}
	log_info("deleted %llu objects, %d were not there",
	    (unsigned long long)*r->out, absent);
	buf_free(&path);
	buf_free(&why);
	return rc;
}

/* --check, Kibana's side: each object reads back. */
static int
check_objects(struct run *r)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	int o, bad = 0;

	for (o = 0; o < KD_NOBJ; o++) {
		buf_reset(&path);
		object_path(r, (enum kd_obj)o, &path);
		if (request(r, "GET", buf_cstr(&path), true, NULL) == KB_OK &&
		    !kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len))
			continue;
		buf_reset(&why);
		kb_answer_text(r->kb, &r->a, &why);
		log_err("check: %s: %s", buf_cstr(&path), buf_cstr(&why));
		bad++;
	}
	if (bad == 0)
		log_info(
		    "check: the %u objects are in Kibana", (unsigned)KD_NOBJ);
	buf_free(&path);
	buf_free(&why);
	return bad > 0;
}

/* --check, the data's side: GET <pattern>/_mapping on ELASTICSEARCH_URL. */
static int
check_mapping(const struct opts *o)
{
	struct kb_conf c = {.base = o->es_url.base,
	    .tls = &o->tls,
	    .auth = o->es_auth,
	    .user = o->es_user,
	    .secret = o->es_secret,
	    .timeout_ms = (long)(o->timeout_s * 1000)};
	struct kb *es = kb_new(&c);
	struct kb_answer a = {0};
	struct buf path = BUF_INIT, problems = BUF_INIT, why = BUF_INIT;
	int n, rc = 0;

	buf_printf(&path, "/%s/_mapping", o->kd.index_pattern);
	(void)kb_request(es, "GET", buf_cstr(&path), false, NULL, &a);
	if (a.rc == CURLE_OK && a.status == 404) {
		log_err("check: no index matches '%s' at %s",
		    o->kd.index_pattern, o->es_url.base);
		rc = 1;
	} else if (a.rc != CURLE_OK || a.status != 200) {
		kb_answer_text(es, &a, &why);
		log_err("check: %s%s: %s", o->es_url.base, buf_cstr(&path),
		    buf_cstr(&why));
		rc = 1;
	} else if ((n = kd_mapping_check(
			&o->kd, a.body.data, a.body.len, &problems)) != 0) {
		log_err("check: the data at %s does not fit the dashboard:",
		    o->es_url.base);
		log_raw(problems.data, problems.len);
		rc = 1;
	} else {
		log_info("check: the mapping of '%s' has every field the "
			 "dashboard uses",
		    o->kd.index_pattern);
	}
	kb_free(es);
	buf_free(&a.body);
	buf_free(&path);
	buf_free(&problems);
	buf_free(&why);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	int rc = 0;

	log_init(argv[0]);
	opts_parse(argc, argv, &o);
	log_set_verbosity(o.verbosity);
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.st = stats_new("kibana-dash");
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	r.requests = stats_counter(r.st, "requests");
	stats_configure(r.st, o.stats_interval, o.stats, false);
	kd_build(&o.kd, &r.ndjson);
	*r.in = KD_NOBJ;
	if (o.output != NULL) {
		write_output(&r);
		*r.out = KD_NOBJ;
		if (o.check)
			rc = check_mapping(&o);
	} else {
		struct kb_conf c = {.base = o.url.base,
		    .space = o.space,
		    .tenant = o.tenant,
		    .tls = &o.tls,
		    .auth = o.auth,
		    .user = o.user,
		    .secret = o.secret,
		    .timeout_ms = (long)(o.timeout_s * 1000),
		    .connect_timeout_ms = (long)(o.connect_timeout * 1000)};

		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("libcurl could not start");
		r.kb = kb_new(&c);
		connect_kibana(&r);
		if (o.action == KD_DELETE) {
			rc = delete_all(&r);
		} else {
			rc = import(&r);
			if (rc == 0 && o.check) {
				rc = check_objects(&r);
				if (o.es && check_mapping(&o) != 0)
					rc = 1;
			}
		}
		kb_free(r.kb);
		kb_import_free(&r.res);
		buf_free(&r.a.body);
		curl_global_cleanup();
	}
	stats_final(r.st);
	stats_free(r.st);
	buf_free(&r.ndjson);
	opts_free(&o);
	return rc;
}

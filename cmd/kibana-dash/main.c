/* SPDX-License-Identifier: MIT */
/*
 * kibana-dash: the vehicle dashboard (an index pattern, five
 * visualizations, one dashboard) in Kibana 7.10-9.x or OpenSearch
 * Dashboards 2.x, in one idempotent command; or the import file for it.
 */
#include "common/prelude.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "common/sig.h"
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
	const char *sending; /* "import", "delete": a request that changes
			      * Kibana is in flight */
	bool stopped_sent; /* a signal stopped a request whose body was out */
	bool told; /* the first signal's message was given */
};

/*
 * What the run did not do when it stopped early: "nothing was imported"
 * or "nothing was deleted".
 */
static const char *
nothing(const struct run *r)
{
	return r->o->action == KD_DELETE ? "nothing was deleted"
					 : "nothing was imported";
}

/*
 * Called by libcurl about once a second during a request: SIGUSR1 and
 * the --stats lines, as between requests; and SIGINT/SIGTERM.  A first
 * signal stops a read (the status, --check) at once, and an import whose
 * body is not all sent (Kibana imports nothing from a cut body); a
 * request that Kibana already has runs to its answer, so that the run can
 * say what happened; a second signal stops it too (kibana-dash(1),
 * SIGNALS).
 */
static int
tick(void *arg, bool sent)
{
	struct run *r = arg;

	stats_serve_signals(r->st, NULL);
	stats_check(r->st);
	if (!sig_stop)
		return 0;
	if (sig_stop >= 2 || r->sending == NULL || !sent) {
		r->stopped_sent = sent && r->sending != NULL;
		return 1;
	}
	if (!r->told) {
		log_warn("stopping: waiting for Kibana's answer to the %s in "
			 "flight (a second signal stops at once)",
		    r->sending);
		r->told = true;
	}
	return 0;
}

/*
 * Sleep s seconds, printing the --stats lines that come due; false, at
 * once, when a signal to stop came.
 */
static bool
nap(struct run *r, double s)
{
	struct pollfd pfd = {.fd = sig_fd(), .events = POLLIN};
	double end = mono_now() + s, left;
	int ms, next;

	while (!sig_stop && (left = end - mono_now()) > 0) {
		ms = (int)(left * 1000) + 1;
		if ((next = stats_next_ms(r->st)) >= 0 && next < ms)
			ms = next;
		if (poll(&pfd, 1, ms) > 0)
			sig_drain();
		stats_serve_signals(r->st, NULL);
		stats_check(r->st);
	}
	return !sig_stop;
}

/* After a request: a signal to stop ended it or came during it. */
static bool
stopped(struct run *r, const char *when)
{
	if (!sig_stop)
		return false;
	log_err("stopped by a signal %s; %s", when, nothing(r));
	return true;
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
		/* a reader that went away (EPIPE, head -1) wanted no more */
		if (write_all(1, r->ndjson.data, r->ndjson.len) < 0 &&
		    errno != EPIPE)
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
 * line of progress per try.  Sets r->flavor.  Returns 0, or 1 when Kibana
 * is not there, not ready or not Kibana, or a signal came (said on
 * stderr).
 */
static int
connect_kibana(struct run *r)
{
	const struct opts *o = r->o;
	double t0 = mono_now(), left;
	struct buf why = BUF_INIT, err = BUF_INIT, name = BUF_INIT;
	enum kb_class cls;
	bool parsed;
	int rc = 1;

	for (;;) {
		buf_reset(&why);
		buf_reset(&err);
		cls = request(r, "GET", "/api/status", false, NULL);
		if (stopped(r,
			o->wait_s > 0 ? "while waiting for Kibana"
				      : "while asking Kibana's status"))
			goto out;
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
				log_err("%s: Kibana not ready after %.0f s: %s",
				    r->o->url.base, o->wait_s, buf_cstr(&why));
			else if (cls != KB_OK && r->a.rc != CURLE_OK)
				/* never reached: say what to check */
				log_err("%s: %s: %s check -u / KIBANA_URL",
				    r->o->url.base, buf_cstr(&why),
				    retry_unreached_hint(r->a.rc));
			else
				log_err("%s: %s%s", r->o->url.base,
				    buf_cstr(&why),
				    cls == KB_OK ? " (give --wait SECONDS)"
						 : "");
			goto out;
		}
		log_warn("waiting for Kibana at %s: %s; %.0f s left",
		    o->url.base, buf_cstr(&why), left);
		if (!nap(r, left < WAIT_STEP_S ? left : WAIT_STEP_S)) {
			(void)stopped(r, "while waiting for Kibana");
			goto out;
		}
	}
	if (cls != KB_OK ||
	    kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len)) {
		kb_answer_text(r->kb, &r->a, &why);
		log_err("%s/api/status: %s", o->url.base, buf_cstr(&why));
		goto out;
	}
	if (!parsed) {
		if (o->flavor == KB_AUTO) {
			log_err(
			    "%s/api/status: %s", o->url.base, buf_cstr(&err));
			goto out;
		}
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
	rc = 0;
out:
	buf_free(&why);
	buf_free(&err);
	buf_free(&name);
	return rc;
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
	r->sending = "import";
	cls = request(
	    r, "POST", "/api/saved_objects/_import?overwrite=true", true, mime);
	r->sending = NULL;
	curl_mime_free(mime);
	if (r->a.rc == CURLE_ABORTED_BY_CALLBACK) {
		if (r->stopped_sent)
			log_err("stopped by a second signal while Kibana "
				"imported: what it imported is unknown; run "
				"kibana-dash again (it overwrites) or with "
				"--delete");
		else
			log_err("stopped by a signal before the objects were "
				"sent; nothing was imported");
		rc = 1;
		goto out;
	}
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
	if (r->told)
		log_warn("the import in flight finished: %lld objects "
			 "imported",
		    res->success_count);
	else
		log_info("imported %lld objects", res->success_count);
	printf("%s\n", buf_cstr(&url));
	/* a reader that went away (EPIPE) lost nothing: the objects are in */
	if (fflush(stdout) != 0 && errno != EPIPE) {
		log_err("stdout: %s", strerror(errno));
		rc = 1;
	}
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
		if (sig_stop) {
			log_err("stopped by a signal: %s and the objects "
				"after it in the file are left",
			    buf_cstr(&path));
			rc = 1;
			break;
		}
		r->sending = "delete";
		(void)request(r, "DELETE", buf_cstr(&path), true, NULL);
		r->sending = NULL;
		html = kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len);
		if (r->a.rc == CURLE_ABORTED_BY_CALLBACK) {
			log_err("stopped by a second signal: whether %s was "
				"deleted is unknown",
			    buf_cstr(&path));
			rc = 1;
			break;
		}
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
		if (sig_stop) {
			log_err("stopped by a signal: the objects were "
				"imported; --check was not done");
			bad++;
			break;
		}
		if (request(r, "GET", buf_cstr(&path), true, NULL) == KB_OK &&
		    !kb_is_html(r->a.ctype, r->a.body.data, r->a.body.len))
			continue;
		if (sig_stop)
			continue; /* said at the top */
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
check_mapping(struct run *r)
{
	const struct opts *o = r->o;
	struct kb_conf c = {.base = o->es_url.base,
	    .tls = &o->tls,
	    .auth = o->es_auth,
	    .user = o->es_user,
	    .secret = o->es_secret,
	    .timeout_ms = (long)(o->timeout_s * 1000),
	    .tick = tick,
	    .tick_arg = r};
	struct kb *es = kb_new(&c);
	struct kb_answer a = {0};
	struct buf path = BUF_INIT, problems = BUF_INIT, why = BUF_INIT;
	int n, rc = 0;

	buf_printf(&path, "/%s/_mapping", o->kd.index_pattern);
	(*r->requests)++;
	(void)kb_request(es, "GET", buf_cstr(&path), false, NULL, &a);
	if (sig_stop) {
		log_err("stopped by a signal: the mapping was not checked");
		rc = 1;
	} else if (a.rc == CURLE_OK && a.status == 404) {
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
	stats_metrics_file(r.st, o.metrics_file);
	/* SIGINT/SIGTERM end the run with a message (kibana-dash(1),
	 * SIGNALS); SIGUSR1 prints the stats line */
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	kd_build(&o.kd, &r.ndjson);
	*r.in = KD_NOBJ;
	if (o.output != NULL) {
		write_output(&r);
		*r.out = KD_NOBJ;
		if (o.check)
			rc = check_mapping(&r);
	} else {
		struct kb_conf c = {.base = o.url.base,
		    .space = o.space,
		    .tenant = o.tenant,
		    .tls = &o.tls,
		    .auth = o.auth,
		    .user = o.user,
		    .secret = o.secret,
		    .timeout_ms = (long)(o.timeout_s * 1000),
		    .connect_timeout_ms = (long)(o.connect_timeout * 1000),
		    .tick = tick,
		    .tick_arg = &r};

		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("libcurl could not start");
		r.kb = kb_new(&c);
		if (connect_kibana(&r) != 0) {
			rc = 1;
		} else if (o.action == KD_DELETE) {
			rc = delete_all(&r);
		} else {
			rc = import(&r);
			if (rc == 0 && o.check) {
				rc = check_objects(&r);
				if (o.es && check_mapping(&r) != 0)
					rc = 1;
			}
		}
		/* in = out + rejected: what was not imported is rejected */
		if (o.action == KD_IMPORT && *r.out + *r.rejected < *r.in)
			*r.rejected = *r.in - *r.out;
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

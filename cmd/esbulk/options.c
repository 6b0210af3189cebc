/* SPDX-License-Identifier: MIT */
/* esbulk's command line and environment, merged and checked. */
#include "common/prelude.h"

#include <sys/stat.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/env.h"
#include "common/http.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"
#include "common/xalloc.h"
#include "options.h"
#include "server.h"

enum {
	OPT_ACKS = OPT_OWN,
	OPT_ACKS_TIMEOUT,
	OPT_AUTH,
	OPT_BACKOFF_MAX,
	OPT_BATCH_BYTES,
	OPT_COMPAT,
	OPT_DATE_FIELD,
	OPT_GZIP,
	OPT_ID,
	OPT_KAFKA_ID,
	OPT_LINGER,
	OPT_MAX_RETRY,
	OPT_OP_TYPE,
	OPT_PASSWORD_FILE,
	OPT_PIPELINE,
	OPT_TEMPLATE,
	OPT_TEMPLATE_NAME,
	OPT_TIMEOUT,
	OPT_USER,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_ARG('i', "index", "index", NULL,
	    "the index of documents without @metadata.es._index"),
	OPT_ARG('s', "size", "docs", "1000",
	    "the most documents in one request, 1 to 1000000"),
	OPT_ARG('u', "url", "url", "http://localhost:9200",
	    "the servers, separated by commas (else ELASTICSEARCH_URL)"),
	OPT_ARG('w', "workers", "requests", "2",
	    "how many requests may be in flight at once, 1 to 256"),
	OPT_ARG(OPT_ACKS, "acks", "fifo", NULL,
	    "write each document's @metadata.kafka to fifo once it is done"),
	OPT_ARG(OPT_ACKS_TIMEOUT, "acks-timeout", "seconds", "60",
	    "wait at most seconds for kcons to open the --acks fifo"),
	OPT_ARG(OPT_AUTH, "auth", "scheme", NULL,
	    "how to authenticate: none, basic, apikey or bearer"),
	OPT_ARG(OPT_BACKOFF_MAX, "backoff-max", "seconds", "30",
	    "the longest wait between two tries"),
	OPT_ARG(OPT_BATCH_BYTES, "batch-bytes", "bytes", "5M",
	    "send a batch once its body holds this many bytes (1k to 1G)"),
	OPT_ARG(OPT_COMPAT, "compat", "version", NULL,
	    "send Elasticsearch's compatibility headers for 7, 8 or 9"),
	OPT_ARG(OPT_DATE_FIELD, "date-field", "field", "timestamp",
	    "the field whose date fills in the date conversions of -i"),
	OPT_OPTARG(OPT_GZIP, "gzip", "when", "auto",
	    "compress request bodies: always, never or auto"),
	OPT_ARG(OPT_ID, "id", "fields", NULL,
	    "make each document's _id of these comma-separated fields"),
	OPT_FLAG(OPT_KAFKA_ID, "kafka-id",
	    "make each document's _id topic+partition+offset"),
	OPT_ARG(OPT_LINGER, "linger-ms", "ms", "1000",
	    "how long a batch that is not full waits for more documents"),
	OPT_ARG(OPT_MAX_RETRY, "max-retry-time", "seconds", "300",
	    "give up on a document that keeps failing this long"),
	OPT_ARG(OPT_OP_TYPE, "op-type", "op", "index",
	    "index (create or replace) or create (keep an existing one)"),
	OPT_ARG(OPT_PASSWORD_FILE, "password-file", "path", NULL,
	    "read the secret of --auth from the first line of path"),
	OPT_ARG(OPT_PIPELINE, "pipeline", "name", NULL,
	    "run every document through the ingest pipeline name"),
	OPT_ARG(OPT_TEMPLATE, "template", "file", NULL,
	    "install the index template in file (vehicles: the built-in)"),
	OPT_ARG(OPT_TEMPLATE_NAME, "template-name", "name", NULL,
	    "the template's name (default: from -i)"),
	OPT_ARG(OPT_TIMEOUT, "timeout", "seconds", "60",
	    "give up on one request after this long (it is tried again)"),
	OPT_ARG(OPT_USER, "user", "name", NULL,
	    "the user for basic authentication"),
	OPT_SET(opt_rows_basic),
	OPT_SET(connect_opt_rows),
	OPT_SET(http_tls_rows),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_input_rows),
	OPT_END,
};
/* clang-format on */

#define DEFAULT_URL "http://localhost:9200"

static void
number(const struct opt_parser *p, unsigned long long min,
    unsigned long long max, unsigned long long *out, bool size)
{
	const char *errstr;
	char hint[64];
	int rc = size ? parse_size(p->arg, min, max, out, &errstr)
		      : parse_uint_range(p->arg, min, max, out, &errstr);

	if (rc < 0) {
		(void)snprintf(hint, sizeof(hint), "%llu to %llu", min, max);
		opt_bad_value(p, errstr, "value", hint);
	}
}

static void
seconds(const struct opt_parser *p, double min, double max, double *out)
{
	const char *errstr;
	char hint[64];

	if (parse_seconds(p->arg, min, max, out, &errstr) < 0) {
		(void)snprintf(
		    hint, sizeof(hint), "%g to %g seconds", min, max);
		opt_bad_value(p, errstr, "value", hint);
	}
}

static void
add_url(struct opts *o, const char *s, size_t n)
{
	struct buf err = BUF_INIT;
	char *one = xmemdup(s, n), *safe, msg[1024];
	bool bad;

	o->urls = xreallocarray(o->urls, o->nurls + 1, sizeof(*o->urls));
	bad = http_url_parse(one, &o->urls[o->nurls], &err) < 0;
	if (bad) {
		safe = url_redact(one);
		(void)snprintf(
		    msg, sizeof(msg), "URL '%s': %s", safe, buf_cstr(&err));
		free(safe);
	}
	explicit_bzero(one, n);
	free(one);
	buf_free(&err);
	/* the message is on the stack and the copies are freed: usage_error
	 * does not return, and a pointer held only in a register then
	 * makes a leak report */
	if (bad)
		usage_error("%s", msg);
	o->nurls++;
}

/* "a,b , c" -> add each URL. */
static void
add_urls(struct opts *o, const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ", ");

		if (n > 0)
			add_url(o, p, n);
		p += n;
		p += strspn(p, ", ");
	}
}

static char **
split_fields(const char *arg)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = arg;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0)
			usage_error("--id: empty field name in '%s'", arg);
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = xmemdup(p, len);
		v[n] = NULL;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return v;
}

static void
free_fields(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Authentication: flags first, then the environment (iotpipe(7) ENVIRONMENT). */
static void
settle_auth(struct opts *o, bool auth_given, const char *password_file)
{
	struct buf err = BUF_INIT;
	const char *env = NULL, *url_pw = NULL;
	size_t i;

	for (i = 0; i < o->nurls; i++) {
		if (o->user == NULL && o->urls[i].user != NULL)
			o->user = o->urls[i].user;
		if (url_pw == NULL && o->urls[i].password != NULL)
			url_pw = o->urls[i].password;
	}
	if (!auth_given) {
		if (o->user != NULL)
			o->auth = HTTP_AUTH_BASIC;
		else if (env_get("ELASTICSEARCH_API_KEY") != NULL)
			o->auth = HTTP_AUTH_APIKEY;
		else
			o->auth = HTTP_AUTH_NONE;
	}
	switch (o->auth) {
	case HTTP_AUTH_NONE:
		if (password_file != NULL)
			usage_error("--password-file needs --user or --auth");
		return;
	case HTTP_AUTH_BASIC:
		if (o->user == NULL)
			usage_error(
			    "--auth basic needs --user or a user in the "
			    "URL");
		env = "ELASTICSEARCH_PASSWORD";
		break;
	case HTTP_AUTH_APIKEY:
		env = "ELASTICSEARCH_API_KEY";
		break;
	case HTTP_AUTH_BEARER:
		env = "ELASTICSEARCH_BEARER_TOKEN";
		break;
	}
	if (secret_load(env, password_file, &o->secret, &err) < 0)
		usage_error("%s", buf_cstr(&err));
	if (o->secret == NULL && url_pw != NULL && o->auth == HTTP_AUTH_BASIC) {
		log_warn("a password in the URL is visible to other users: "
			 "prefer ELASTICSEARCH_PASSWORD or --password-file");
		o->secret = xstrdup(url_pw);
	}
	if (o->secret == NULL)
		usage_error("--auth %s: no secret: set %s or give "
			    "--password-file",
		    http_auth_name(o->auth), env);
	buf_free(&err);
}

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "index an NDJSON stream into Elasticsearch or OpenSearch",
    .env = "ELASTICSEARCH_URL\tthe cluster when -u is not given\n"
	   "ELASTICSEARCH_PASSWORD\tthe password of the user of the URL\n"
	   "ELASTICSEARCH_API_KEY\tan API key, sent as Authorization: ApiKey\n"
	   "ELASTICSEARCH_BEARER_TOKEN\ta token, sent as Authorization: Bearer",
    .examples =
	"vnorm raw.ndjson | esbulk -u http://localhost:9200 -i 'vehicles-%Y.%m.%d'\n"
	"kcons -m -G indexer --acks acks telemetry | esbulk -i vehicles --acks acks",
};

void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct buf err = BUF_INIT;
	const char *password_file = NULL, *env;
	unsigned long long v;
	bool auth_given = false;
	struct opt_parser p;
	size_t i;
	int c, first;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	o->bulk.date_field = "timestamp";
	o->size = 1000;
	o->batch_bytes = 5ULL << 20;
	o->workers = 2;
	o->linger_s = 1.0;
	o->timeout_s = 60;
	o->max_retry_s = 300;
	o->backoff_max_s = 30;
	o->acks_timeout_s = 60;
	o->connect_timeout = CONNECT_TIMEOUT_DEFAULT;
	opt_init(&p, "esbulk", rows, "[file ...]", argc, argv);
	p.help = &help;
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io) ||
		    connect_opt_take(&p, &o->connect_timeout) ||
		    http_tls_take(&p, &o->tls))
			continue;
		switch (c) {
		case 'i':
			if (bulk_index_check(
				p.arg, &o->bulk.index_dated, &err) < 0)
				opt_error(&p, "%s", buf_cstr(&err));
			o->bulk.index = p.arg;
			break;
		case 's':
			number(&p, 1, 1000000, &o->size, false);
			break;
		case 'u':
			add_urls(o, p.arg);
			break;
		case 'w':
			number(&p, 1, 256, &o->workers, false);
			break;
		case OPT_ACKS:
			o->acks = p.arg;
			break;
		case OPT_ACKS_TIMEOUT:
			seconds(&p, 0.001, 86400, &o->acks_timeout_s);
			break;
		case OPT_AUTH:
			if (http_auth_parse(p.arg, &o->auth) < 0)
				opt_error(&p,
				    "'%s' is not none, basic, "
				    "apikey or bearer",
				    p.arg);
			auth_given = true;
			break;
		case OPT_BACKOFF_MAX:
			seconds(&p, 0.001, 3600, &o->backoff_max_s);
			break;
		case OPT_BATCH_BYTES:
			number(&p, 1024, 1ULL << 30, &o->batch_bytes, true);
			break;
		case OPT_COMPAT:
			number(&p, 7, 9, &v, false);
			o->compat = (unsigned)v;
			break;
		case OPT_DATE_FIELD:
			if (*p.arg == '\0')
				opt_error(&p, "empty field name");
			o->bulk.date_field = p.arg;
			break;
		case OPT_GZIP:
			if (p.arg == NULL || strcmp(p.arg, "always") == 0)
				o->gzip = GZIP_ALWAYS;
			else if (strcmp(p.arg, "never") == 0)
				o->gzip = GZIP_NEVER;
			else if (strcmp(p.arg, "auto") == 0)
				o->gzip = GZIP_AUTO;
			else
				opt_error(&p,
				    "'%s' is not auto, always "
				    "or never",
				    p.arg);
			break;
		case OPT_ID:
			free_fields(o->id_fields);
			o->id_fields = split_fields(p.arg);
			break;
		case OPT_KAFKA_ID:
			o->bulk.kafka_id = true;
			break;
		case OPT_LINGER:
			number(&p, 0, 3600000, &v, false);
			o->linger_s = (double)v / 1000.0;
			break;
		case OPT_MAX_RETRY:
			seconds(&p, 0, 31536000, &o->max_retry_s);
			break;
		case OPT_OP_TYPE:
			if (strcmp(p.arg, "index") == 0)
				o->bulk.op = BULK_OP_INDEX;
			else if (strcmp(p.arg, "create") == 0)
				o->bulk.op = BULK_OP_CREATE;
			else
				opt_error(&p,
				    "'%s' is not index or "
				    "create",
				    p.arg);
			break;
		case OPT_PASSWORD_FILE:
			password_file = p.arg;
			break;
		case OPT_PIPELINE:
			if (*p.arg == '\0')
				opt_error(&p, "empty name");
			o->pipeline = p.arg;
			break;
		case OPT_TEMPLATE:
			o->template = p.arg;
			break;
		case OPT_TEMPLATE_NAME:
			if (*p.arg == '\0' ||
			    strspn(p.arg,
				"abcdefghijklmnopqrstuvwxyz0123456789-_.+") !=
				strlen(p.arg))
				opt_error(&p,
				    "'%s': use "
				    "lower-case letters, digits and "
				    "-_.+",
				    p.arg);
			o->template_name = p.arg;
			break;
		case OPT_TIMEOUT:
			seconds(&p, 0.001, 86400, &o->timeout_s);
			break;
		case OPT_USER:
			if (*p.arg == '\0' || strchr(p.arg, ':') != NULL)
				opt_error(&p, "a user name without ':'");
			o->user = p.arg;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	first = opt_end(&p);
	log_set_verbosity(o->c.verbosity);

	/* the environment, where no flag said otherwise */
	if (o->nurls == 0 && (env = env_get("ELASTICSEARCH_URL")) != NULL)
		add_urls(o, env);
	if (o->nurls == 0)
		add_url(o, DEFAULT_URL, strlen(DEFAULT_URL));
	o->bases = xcalloc(o->nurls + 1, sizeof(*o->bases));
	for (i = 0; i < o->nurls; i++)
		o->bases[i] = o->urls[i].base;
	settle_auth(o, auth_given, password_file);

	/* combinations */
	o->bulk.id_fields = (const char *const *)o->id_fields;
	if (o->id_fields != NULL && o->bulk.kafka_id)
		usage_error("--id and --kafka-id exclude each other");
	http_tls_check(&o->tls);
	if (o->template_name != NULL && o->template == NULL)
		usage_error("--template-name needs --template");
	if (o->template != NULL && o->template_name == NULL) {
		struct buf name = BUF_INIT;

		if (o->bulk.index != NULL)
			template_default_name(o->bulk.index, &name);
		if (name.len == 0)
			usage_error("--template needs -i or --template-name "
				    "to name the template");
		o->template_name = o->owned_name = xstrdup(buf_cstr(&name));
		buf_free(&name);
	}
	if (o->template != NULL && strcmp(o->template, "vehicles") != 0) {
		struct stat st;

		if (stat(o->template, &st) < 0)
			usage_error("--template: %s: no such file (or "
				    "'vehicles' for the built-in one)",
			    o->template);
	}
	o->inputs = io_inputs(&o->io, argv + first, argc - first);
	buf_free(&err);
}

void
opts_free(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->nurls; i++)
		http_url_free(&o->urls[i]);
	free(o->urls);
	free(o->bases);
	free_fields(o->id_fields);
	secret_free(o->secret);
	free(o->owned_name);
}

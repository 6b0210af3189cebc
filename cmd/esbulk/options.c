/* SPDX-License-Identifier: MIT */
/* esbulk's command line and environment, merged and checked. */
#include <sys/stat.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/env.h"
#include "common/http.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "options.h"
#include "server.h"
#include "common/banned.h"

static const char usage_text[] =
    "usage: esbulk [-hqVv] [--follow] [--insecure] [--kafka-id] [--progress]\n"
    "              [--strict] [-i index] [-s docs] [-u url] [-w requests]\n"
    "              [--acks fifo] [--auth scheme] [--backoff-max seconds]\n"
    "              [--batch-bytes bytes] [--cafile file] [--cert file]\n"
    "              [--compat version] [--date-field field] [--gzip[=when]]\n"
    "              [--id fields] [--key file] [--linger-ms ms]\n"
    "              [--max-line bytes] [--max-retry-time seconds]\n"
    "              [--op-type op] [--password-file path] [--pipeline name]\n"
    "              [--rejects path] [--stats seconds] [--template file]\n"
    "              [--template-name name] [--timeout seconds] [--user name]\n"
    "              [file ...]\n";

enum {
	OPT_ACKS = OPT_COMMON_END,
	OPT_AUTH,
	OPT_BACKOFF_MAX,
	OPT_BATCH_BYTES,
	OPT_CAFILE,
	OPT_CERT,
	OPT_COMPAT,
	OPT_DATE_FIELD,
	OPT_FOLLOW,
	OPT_GZIP,
	OPT_ID,
	OPT_INSECURE,
	OPT_KAFKA_ID,
	OPT_KEY,
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

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"index", required_argument, NULL, 'i'},
    {"size", required_argument, NULL, 's'},
    {"url", required_argument, NULL, 'u'},
    {"workers", required_argument, NULL, 'w'},
    {"acks", required_argument, NULL, OPT_ACKS},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"backoff-max", required_argument, NULL, OPT_BACKOFF_MAX},
    {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"cert", required_argument, NULL, OPT_CERT},
    {"compat", required_argument, NULL, OPT_COMPAT},
    {"date-field", required_argument, NULL, OPT_DATE_FIELD},
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {"gzip", optional_argument, NULL, OPT_GZIP},
    {"id", required_argument, NULL, OPT_ID},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"kafka-id", no_argument, NULL, OPT_KAFKA_ID},
    {"key", required_argument, NULL, OPT_KEY},
    {"linger-ms", required_argument, NULL, OPT_LINGER},
    {"max-retry-time", required_argument, NULL, OPT_MAX_RETRY},
    {"op-type", required_argument, NULL, OPT_OP_TYPE},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"pipeline", required_argument, NULL, OPT_PIPELINE},
    {"template", required_argument, NULL, OPT_TEMPLATE},
    {"template-name", required_argument, NULL, OPT_TEMPLATE_NAME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"user", required_argument, NULL, OPT_USER},
    COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define DEFAULT_URL "http://localhost:9200"

static void
number(const char *opt, const char *arg, unsigned long long min,
    unsigned long long max, unsigned long long *out, bool size)
{
	const char *errstr;
	int rc = size ? parse_size(arg, min, max, out, &errstr)
		      : parse_uint_range(arg, min, max, out, &errstr);

	if (rc < 0)
		usage_error("%s: %s value '%s' (%llu to %llu)", opt, errstr,
		    arg, min, max);
}

static void
seconds(const char *opt, const char *arg, double min, double max, double *out)
{
	const char *errstr;

	if (parse_seconds(arg, min, max, out, &errstr) < 0)
		usage_error("%s: %s value '%s' (%g to %g seconds)", opt, errstr,
		    arg, min, max);
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

/* Authentication: flags first, then the environment (DESIGN.md). */
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

void
opts_parse(int argc, char **argv, struct opts *o)
{
	static char dash[] = "-";
	static char *stdin_only[] = {dash, NULL};
	struct buf err = BUF_INIT;
	const char *password_file = NULL, *env;
	unsigned long long v;
	bool auth_given = false;
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	o->bulk.date_field = "timestamp";
	o->size = 1000;
	o->batch_bytes = 5ULL << 20;
	o->workers = 2;
	o->linger_s = 1.0;
	o->timeout_s = 60;
	o->max_retry_s = 300;
	o->backoff_max_s = 30;
	opterr = 0; /* one message of our own, with the esbulk: prefix */
	while ((c = getopt_long(argc, argv, ":hqVvi:s:u:w:", longopts, NULL)) !=
	    -1) {
		if (common_opt_handle(&o->c, c, optarg))
			continue;
		switch (c) {
		case 'h':
			opt_help(usage_text);
		case 'q':
			opt_quiet(&o->c);
			break;
		case 'V':
			opt_version("esbulk", NULL);
		case 'v':
			opt_verbose(&o->c, 1);
			break;
		case 'i':
			if (bulk_index_check(
				optarg, &o->bulk.index_dated, &err) < 0)
				usage_error("-i: %s", buf_cstr(&err));
			o->bulk.index = optarg;
			break;
		case 's':
			number("-s", optarg, 1, 1000000, &o->size, false);
			break;
		case 'u':
			add_urls(o, optarg);
			break;
		case 'w':
			number("-w", optarg, 1, 256, &o->workers, false);
			break;
		case OPT_ACKS:
			o->acks = optarg;
			break;
		case OPT_AUTH:
			if (http_auth_parse(optarg, &o->auth) < 0)
				usage_error("--auth: '%s' is not none, basic, "
					    "apikey or bearer",
				    optarg);
			auth_given = true;
			break;
		case OPT_BACKOFF_MAX:
			seconds("--backoff-max", optarg, 0.001, 3600,
			    &o->backoff_max_s);
			break;
		case OPT_BATCH_BYTES:
			number("--batch-bytes", optarg, 1024, 1ULL << 30,
			    &o->batch_bytes, true);
			break;
		case OPT_CAFILE:
			o->tls.cafile = optarg;
			break;
		case OPT_CERT:
			o->tls.cert = optarg;
			break;
		case OPT_COMPAT:
			number("--compat", optarg, 7, 9, &v, false);
			o->compat = (unsigned)v;
			break;
		case OPT_DATE_FIELD:
			if (*optarg == '\0')
				usage_error("--date-field: empty field name");
			o->bulk.date_field = optarg;
			break;
		case OPT_FOLLOW:
			o->follow = true;
			break;
		case OPT_GZIP:
			if (optarg == NULL || strcmp(optarg, "always") == 0)
				o->gzip = GZIP_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				o->gzip = GZIP_NEVER;
			else if (strcmp(optarg, "auto") == 0)
				o->gzip = GZIP_AUTO;
			else
				usage_error("--gzip: '%s' is not auto, always "
					    "or never",
				    optarg);
			break;
		case OPT_ID:
			free_fields(o->id_fields);
			o->id_fields = split_fields(optarg);
			break;
		case OPT_INSECURE:
			o->tls.insecure = true;
			break;
		case OPT_KAFKA_ID:
			o->bulk.kafka_id = true;
			break;
		case OPT_KEY:
			o->tls.key = optarg;
			break;
		case OPT_LINGER:
			number("--linger-ms", optarg, 0, 3600000, &v, false);
			o->linger_s = (double)v / 1000.0;
			break;
		case OPT_MAX_RETRY:
			seconds("--max-retry-time", optarg, 0, 31536000,
			    &o->max_retry_s);
			break;
		case OPT_OP_TYPE:
			if (strcmp(optarg, "index") == 0)
				o->bulk.op = BULK_OP_INDEX;
			else if (strcmp(optarg, "create") == 0)
				o->bulk.op = BULK_OP_CREATE;
			else
				usage_error("--op-type: '%s' is not index or "
					    "create",
				    optarg);
			break;
		case OPT_PASSWORD_FILE:
			password_file = optarg;
			break;
		case OPT_PIPELINE:
			if (*optarg == '\0')
				usage_error("--pipeline: empty name");
			o->pipeline = optarg;
			break;
		case OPT_TEMPLATE:
			o->template = optarg;
			break;
		case OPT_TEMPLATE_NAME:
			if (*optarg == '\0' ||
			    strspn(optarg,
				"abcdefghijklmnopqrstuvwxyz0123456789-_.+") !=
				strlen(optarg))
				usage_error("--template-name: '%s': use "
					    "lower-case letters, digits and "
					    "-_.+",
				    optarg);
			o->template_name = optarg;
			break;
		case OPT_TIMEOUT:
			seconds(
			    "--timeout", optarg, 0.001, 86400, &o->timeout_s);
			break;
		case OPT_USER:
			if (*optarg == '\0' || strchr(optarg, ':') != NULL)
				usage_error("--user: a user name without ':'");
			o->user = optarg;
			break;
		default:
			opt_bad(c, argv);
		}
	}
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
	if ((o->tls.cert == NULL) != (o->tls.key == NULL))
		usage_error("--cert and --key go together");
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
	if (o->follow) {
		struct stat st;

		if (argc - optind != 1 || strcmp(argv[optind], "-") == 0)
			usage_error("--follow needs exactly one file operand "
				    "(a fifo)");
		if (stat(argv[optind], &st) == 0 && !S_ISFIFO(st.st_mode))
			usage_error("--follow: %s is not a fifo", argv[optind]);
	}
	o->inputs = optind < argc ? argv + optind : stdin_only;
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

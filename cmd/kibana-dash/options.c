/* SPDX-License-Identifier: MIT */
/* kibana-dash's command line and environment, merged and checked. */
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
#include "common/banned.h"

static const char usage_text[] =
    "usage: kibana-dash [-hqVv] [--check] [--delete] [--insecure]\n"
    "                   [-u url] [--cafile file] [--cert file]\n"
    "                   [--flavor flavor] [--fuel-field field]\n"
    "                   [--id-prefix prefix] [--index-pattern pattern]\n"
    "                   [--key file] [--location-field field]\n"
    "                   [--output file] [--password-file path]\n"
    "                   [--route-field field] [--space space]\n"
    "                   [--speed-field field] [--stats seconds]\n"
    "                   [--time-field field] [--timeout seconds]\n"
    "                   [--title title] [--user name]\n"
    "                   [--vin-field field] [--wait seconds]\n";

enum {
	OPT_CAFILE = OPT_COMMON_END,
	OPT_CERT,
	OPT_CHECK,
	OPT_DELETE,
	OPT_FLAVOR,
	OPT_FUEL_FIELD,
	OPT_ID_PREFIX,
	OPT_INDEX_PATTERN,
	OPT_INSECURE,
	OPT_KEY,
	OPT_LOCATION_FIELD,
	OPT_OUTPUT,
	OPT_PASSWORD_FILE,
	OPT_ROUTE_FIELD,
	OPT_SPACE,
	OPT_SPEED_FIELD,
	OPT_KD_STATS,
	OPT_TIME_FIELD,
	OPT_TIMEOUT,
	OPT_TITLE,
	OPT_USER,
	OPT_VIN_FIELD,
	OPT_WAIT,
};

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"kibana-url", required_argument, NULL, 'u'},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"cert", required_argument, NULL, OPT_CERT},
    {"check", no_argument, NULL, OPT_CHECK},
    {"delete", no_argument, NULL, OPT_DELETE},
    {"flavor", required_argument, NULL, OPT_FLAVOR},
    {"fuel-field", required_argument, NULL, OPT_FUEL_FIELD},
    {"id-prefix", required_argument, NULL, OPT_ID_PREFIX},
    {"index-pattern", required_argument, NULL, OPT_INDEX_PATTERN},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"key", required_argument, NULL, OPT_KEY},
    {"location-field", required_argument, NULL, OPT_LOCATION_FIELD},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"route-field", required_argument, NULL, OPT_ROUTE_FIELD},
    {"space", required_argument, NULL, OPT_SPACE},
    {"speed-field", required_argument, NULL, OPT_SPEED_FIELD},
    {"stats", required_argument, NULL, OPT_KD_STATS},
    {"time-field", required_argument, NULL, OPT_TIME_FIELD},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"title", required_argument, NULL, OPT_TITLE},
    {"user", required_argument, NULL, OPT_USER},
    {"vin-field", required_argument, NULL, OPT_VIN_FIELD},
    {"wait", required_argument, NULL, OPT_WAIT},
    {NULL, 0, NULL, 0},
};

#define DEFAULT_URL "http://localhost:5601"

static void
seconds(const char *opt, const char *arg, double min, double max, double *out)
{
	const char *errstr;

	if (parse_seconds(arg, min, max, out, &errstr) < 0)
		usage_error("%s: %s value '%s' (%g to %g seconds)", opt, errstr,
		    arg, min, max);
}

/* A field name: not empty, no control characters. */
static const char *
field(const char *opt, const char *arg)
{
	const char *p;

	if (*arg == '\0')
		usage_error("%s: empty field name", opt);
	for (p = arg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			usage_error("%s: control character in '%s'", opt, arg);
	return arg;
}

static const char *
text(const char *opt, const char *arg)
{
	if (*arg == '\0')
		usage_error("%s: empty", opt);
	return arg;
}

/* Parse a URL into u; the message never holds a password. */
static void
url(const char *what, const char *s, struct http_url *u)
{
	struct buf err = BUF_INIT;
	char *safe, msg[1024];

	if (http_url_parse(s, u, &err) == 0) {
		buf_free(&err);
		return;
	}
	safe = url_redact(s);
	(void)snprintf(
	    msg, sizeof(msg), "%s '%s': %s", what, safe, buf_cstr(&err));
	free(safe);
	buf_free(&err);
	usage_error("%s", msg);
}

/*
 * Kibana's credentials (kibana-dash(1), ENVIRONMENT): a user (--user,
 * KIBANA_USER or the URL) means basic with KIBANA_PASSWORD or
 * --password-file; else KIBANA_API_KEY means ApiKey; else none.
 */
static void
kibana_auth(struct opts *o, const char *password_file)
{
	struct buf err = BUF_INIT;
	const char *env;

	if (o->user == NULL)
		o->user = env_get("KIBANA_USER");
	if (o->user == NULL)
		o->user = o->url.user;
	if (o->user != NULL) {
		o->auth = HTTP_AUTH_BASIC;
		env = "KIBANA_PASSWORD";
	} else if (password_file != NULL) {
		usage_error("--password-file needs --user or KIBANA_USER");
	} else if (env_get("KIBANA_API_KEY") != NULL) {
		o->auth = HTTP_AUTH_APIKEY;
		env = "KIBANA_API_KEY";
	} else {
		o->auth = HTTP_AUTH_NONE;
		return;
	}
	if (secret_load(env, password_file, &o->secret, &err) < 0)
		usage_error("%s", buf_cstr(&err));
	if (o->secret == NULL && o->url.password != NULL) {
		log_warn("a password in the URL is visible to other users: "
			 "prefer KIBANA_PASSWORD or --password-file");
		o->secret = xstrdup(o->url.password);
	}
	if (o->secret == NULL)
		usage_error("user '%s': no password: set KIBANA_PASSWORD or "
			    "give --password-file",
		    o->user);
	buf_free(&err);
}

/* ELASTICSEARCH_URL for --check, with esbulk's credentials. */
static void
elasticsearch(struct opts *o)
{
	struct buf err = BUF_INIT;
	const char *s = env_get("ELASTICSEARCH_URL");

	if (s == NULL)
		return;
	o->es = true;
	url("ELASTICSEARCH_URL", s, &o->es_url);
	o->es_user = o->es_url.user;
	if (o->es_user != NULL) {
		o->es_auth = HTTP_AUTH_BASIC;
		if (secret_load("ELASTICSEARCH_PASSWORD", NULL, &o->es_secret,
			&err) < 0)
			usage_error("%s", buf_cstr(&err));
		if (o->es_secret == NULL && o->es_url.password != NULL)
			o->es_secret = xstrdup(o->es_url.password);
		if (o->es_secret == NULL)
			usage_error("ELASTICSEARCH_URL names user '%s': set "
				    "ELASTICSEARCH_PASSWORD",
			    o->es_user);
	} else if (env_get("ELASTICSEARCH_API_KEY") != NULL) {
		o->es_auth = HTTP_AUTH_APIKEY;
		o->es_secret = xstrdup(env_get("ELASTICSEARCH_API_KEY"));
	}
	buf_free(&err);
}

void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct buf err = BUF_INIT;
	const char *password_file = NULL, *kibana_url = NULL, *errstr;
	size_t n;
	int c;

	memset(o, 0, sizeof(*o));
	kd_conf_init(&o->kd);
	o->timeout_s = 30;
	opterr = 0; /* one message of our own, with the kibana-dash: prefix */
	while ((c = getopt_long(argc, argv, ":hqVvu:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			opt_help(usage_text);
		case 'q':
			o->verbosity = -1;
			break;
		case 'V':
			opt_version("kibana-dash", NULL);
		case 'v':
			o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1;
			break;
		case 'u':
			kibana_url = optarg;
			break;
		case OPT_CAFILE:
			o->tls.cafile = optarg;
			break;
		case OPT_CERT:
			o->tls.cert = optarg;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_DELETE:
			o->action = KD_DELETE;
			break;
		case OPT_FLAVOR:
			if (strcmp(optarg, "auto") == 0)
				o->flavor = KB_AUTO;
			else if (strcmp(optarg, "kibana") == 0)
				o->flavor = KB_KIBANA;
			else if (strcmp(optarg, "osd") == 0)
				o->flavor = KB_OSD;
			else
				usage_error("--flavor: '%s' is not auto, "
					    "kibana or osd",
				    optarg);
			break;
		case OPT_FUEL_FIELD:
			o->kd.f.fuel = field("--fuel-field", optarg);
			break;
		case OPT_ID_PREFIX:
			if (kd_id_prefix_check(optarg, &err) < 0)
				usage_error("--id-prefix: %s", buf_cstr(&err));
			o->kd.id_prefix = optarg;
			break;
		case OPT_INDEX_PATTERN:
			if (*optarg == '\0' ||
			    strcspn(optarg, " \"\\/?#") != strlen(optarg))
				usage_error("--index-pattern: '%s': no blanks, "
					    "quotes, '\\', '/', '?' or '#'",
				    optarg);
			o->kd.index_pattern = optarg;
			break;
		case OPT_INSECURE:
			o->tls.insecure = true;
			break;
		case OPT_KEY:
			o->tls.key = optarg;
			break;
		case OPT_LOCATION_FIELD:
			o->kd.f.location = field("--location-field", optarg);
			break;
		case OPT_OUTPUT:
			n = strlen(optarg);
			if (strcmp(optarg, "-") != 0 &&
			    (n < 7 || strcmp(optarg + n - 7, ".ndjson") != 0))
				usage_error("--output: '%s': Kibana imports "
					    "only files whose name ends in "
					    ".ndjson (or give - for stdout)",
				    optarg);
			o->output = optarg;
			break;
		case OPT_PASSWORD_FILE:
			password_file = optarg;
			break;
		case OPT_ROUTE_FIELD:
			o->kd.f.route = field("--route-field", optarg);
			break;
		case OPT_SPACE:
			if (*optarg == '\0' ||
			    strspn(optarg,
				"abcdefghijklmnopqrstuvwxyz0123456789_-") !=
				strlen(optarg))
				usage_error("--space: '%s': a space id is "
					    "lower-case letters, digits, '_' "
					    "and '-'",
				    optarg);
			o->space =
			    strcmp(optarg, "default") == 0 ? NULL : optarg;
			break;
		case OPT_SPEED_FIELD:
			o->kd.f.speed = field("--speed-field", optarg);
			break;
		case OPT_KD_STATS:
			if (parse_seconds(optarg, 0, COMMON_STATS_MAX,
				&o->stats_interval, &errstr) < 0)
				usage_error("--stats: %s value '%s' (0 to %g "
					    "seconds)",
				    errstr, optarg, COMMON_STATS_MAX);
			o->stats = true;
			break;
		case OPT_TIME_FIELD:
			o->kd.f.time = field("--time-field", optarg);
			break;
		case OPT_TIMEOUT:
			seconds("--timeout", optarg, 0.1, 3600, &o->timeout_s);
			break;
		case OPT_TITLE:
			o->kd.title = text("--title", optarg);
			break;
		case OPT_USER:
			o->user = text("--user", optarg);
			break;
		case OPT_VIN_FIELD:
			o->kd.f.vin = field("--vin-field", optarg);
			break;
		case OPT_WAIT:
			seconds("--wait", optarg, 0, 86400, &o->wait_s);
			break;
		default:
			opt_bad(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s': kibana-dash reads no "
			    "files (see --output)",
		    argv[optind]);
	if (o->output != NULL) {
		if (o->action == KD_DELETE)
			usage_error("--delete and --output: --output sends "
				    "nothing, so there is nothing to delete");
	} else {
		if (kibana_url == NULL)
			kibana_url = env_get("KIBANA_URL");
		url("Kibana URL", kibana_url != NULL ? kibana_url : DEFAULT_URL,
		    &o->url);
		kibana_auth(o, password_file);
	}
	if (o->output != NULL && password_file != NULL)
		usage_error("--password-file and --output: --output sends "
			    "nothing");
	if (o->check)
		elasticsearch(o);
	if (o->check && o->output != NULL && !o->es)
		usage_error("--check with --output checks the data's mapping: "
			    "set ELASTICSEARCH_URL");
	if (o->action == KD_DELETE && o->check)
		usage_error("--check and --delete: choose one");
	buf_free(&err);
}

void
opts_free(struct opts *o)
{
	http_url_free(&o->url);
	http_url_free(&o->es_url);
	secret_free(o->secret);
	secret_free(o->es_secret);
}

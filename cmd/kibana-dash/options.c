/* SPDX-License-Identifier: MIT */
/* kibana-dash's command line and environment, merged and checked. */
#include "common/prelude.h"

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

enum {
	OPT_CHECK = OPT_OWN,
	OPT_DELETE,
	OPT_FLAVOR,
	OPT_FUEL_FIELD,
	OPT_ID_PREFIX,
	OPT_INDEX_PATTERN,
	OPT_LOCATION_FIELD,
	OPT_OUTPUT,
	OPT_PASSWORD_FILE,
	OPT_ROUTE_FIELD,
	OPT_SPACE,
	OPT_SPEED_FIELD,
	OPT_KD_STATS,
	OPT_TENANT,
	OPT_TIME_FIELD,
	OPT_TIMEOUT,
	OPT_TITLE,
	OPT_USER,
	OPT_VIN_FIELD,
	OPT_WAIT,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_ARG('u', "kibana-url", "url", "http://localhost:5601",
	    "Kibana or OpenSearch Dashboards (KIBANA_URL)"),
	OPT_FLAG(OPT_CHECK, "check",
	    "read the objects back; check the data's mapping (ELASTICSEARCH_URL)"),
	OPT_FLAG(OPT_DELETE, "delete",
	    "delete the objects this command creates, nothing else"),
	OPT_ARG(OPT_FLAVOR, "flavor", "flavor", "auto",
	    "auto, kibana or osd: what the server is"),
	OPT_ARG(OPT_FUEL_FIELD, "fuel-field", "field", "fuel_level",
	    "the fuel level field (a number)"),
	OPT_ARG(OPT_ID_PREFIX, "id-prefix", "prefix", "iotpipe",
	    "the objects' ids start with prefix-"),
	OPT_ARG(OPT_INDEX_PATTERN, "index-pattern", "pattern", "vehicles-*",
	    "the indices the dashboard reads"),
	OPT_ARG(OPT_LOCATION_FIELD, "location-field", "field", "location",
	    "the position field (a geo_point)"),
	OPT_ARG(OPT_OUTPUT, "output", "file", NULL,
	    "write the import file (.ndjson, '-': stdout), send nothing"),
	OPT_ARG(OPT_PASSWORD_FILE, "password-file", "path", NULL,
	    "read the password of the user from the first line of path"),
	OPT_ARG(OPT_ROUTE_FIELD, "route-field", "field", "route_id",
	    "the route field (a keyword)"),
	OPT_ARG(OPT_SPACE, "space", "space", NULL,
	    "the Kibana space to import into"),
	OPT_ARG(OPT_SPEED_FIELD, "speed-field", "field", "vehicle_speed",
	    "the speed field (a number)"),
	OPT_ARG(OPT_KD_STATS, "stats", "seconds", NULL,
	    "print a JSON stats line on stderr every seconds (0: at exit only)"),
	OPT_ARG(OPT_TENANT, "tenant", "tenant", NULL,
	    "the OpenSearch Dashboards security tenant (global, private ...)"),
	OPT_ARG(OPT_TIME_FIELD, "time-field", "field", "timestamp",
	    "the time field (a date)"),
	OPT_ARG(OPT_TIMEOUT, "timeout", "seconds", "30",
	    "give up on one request after seconds"),
	OPT_ARG(OPT_TITLE, "title", "title", "Vehicle telemetry",
	    "the dashboard's title"),
	OPT_ARG(OPT_USER, "user", "name", NULL,
	    "basic authentication as name (KIBANA_USER)"),
	OPT_ARG(OPT_VIN_FIELD, "vin-field", "field", "vin",
	    "the vehicle id field (a keyword)"),
	OPT_ARG(OPT_WAIT, "wait", "seconds", "0",
	    "wait up to seconds for Kibana to be ready"),
	OPT_SET(opt_rows_basic),
	OPT_SET(connect_opt_rows),
	OPT_SET(http_tls_rows),
	OPT_SET(metrics_opt_rows),
	OPT_END,
};
/* clang-format on */

#define DEFAULT_URL "http://localhost:5601"

static void
seconds(const struct opt_parser *p, double min, double max, const char *hint,
    double *out)
{
	const char *errstr;

	if (parse_seconds(p->arg, min, max, out, &errstr) < 0)
		opt_bad_value(p, errstr, "seconds", hint);
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

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "create the vehicle dashboard in Kibana or OpenSearch Dashboards",
    .env = "KIBANA_URL\tKibana when -u is not given\n"
	   "KIBANA_USER\tthe user for basic authentication\n"
	   "KIBANA_PASSWORD\tthat user's password\n"
	   "KIBANA_API_KEY\tan API key, sent as Authorization: ApiKey\n"
	   "ELASTICSEARCH_URL\tthe cluster, for --check\n"
	   "ELASTICSEARCH_PASSWORD\tits password\n"
	   "ELASTICSEARCH_API_KEY\tits API key",
    .examples = "kibana-dash -u http://localhost:5601 --wait 120\n"
		"kibana-dash --output vehicles.ndjson",
};

void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct buf err = BUF_INIT;
	const char *password_file = NULL, *kibana_url = NULL, *errstr;
	struct opt_parser p;
	size_t n;
	int c, first;

	memset(o, 0, sizeof(*o));
	kd_conf_init(&o->kd);
	o->timeout_s = 30;
	o->connect_timeout = CONNECT_TIMEOUT_DEFAULT;
	opt_init(&p, "kibana-dash", rows, NULL, argc, argv);
	p.help = &help;
	while ((c = opt_next(&p)) != -1) {
		if (connect_opt_take(&p, &o->connect_timeout) ||
		    http_tls_take(&p, &o->tls) ||
		    metrics_opt_take(&p, &o->metrics_file))
			continue;
		switch (c) {
		case 'u':
			kibana_url = p.arg;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_DELETE:
			o->action = KD_DELETE;
			break;
		case OPT_FLAVOR:
			if (strcmp(p.arg, "auto") == 0)
				o->flavor = KB_AUTO;
			else if (strcmp(p.arg, "kibana") == 0)
				o->flavor = KB_KIBANA;
			else if (strcmp(p.arg, "osd") == 0)
				o->flavor = KB_OSD;
			else
				usage_error("--flavor: '%s' is not auto, "
					    "kibana or osd",
				    p.arg);
			break;
		case OPT_FUEL_FIELD:
			o->kd.f.fuel = field("--fuel-field", p.arg);
			break;
		case OPT_ID_PREFIX:
			if (kd_id_prefix_check(p.arg, &err) < 0)
				usage_error("--id-prefix: %s", buf_cstr(&err));
			o->kd.id_prefix = p.arg;
			break;
		case OPT_INDEX_PATTERN:
			if (*p.arg == '\0' ||
			    strcspn(p.arg, " \"\\/?#") != strlen(p.arg))
				usage_error("--index-pattern: '%s': no blanks, "
					    "quotes, '\\', '/', '?' or '#'",
				    p.arg);
			o->kd.index_pattern = p.arg;
			break;
		case OPT_LOCATION_FIELD:
			o->kd.f.location = field("--location-field", p.arg);
			break;
		case OPT_OUTPUT:
			n = strlen(p.arg);
			if (strcmp(p.arg, "-") != 0 &&
			    (n < 7 || strcmp(p.arg + n - 7, ".ndjson") != 0))
				usage_error("--output: '%s': Kibana imports "
					    "only files whose name ends in "
					    ".ndjson (or give - for stdout)",
				    p.arg);
			o->output = p.arg;
			break;
		case OPT_PASSWORD_FILE:
			password_file = p.arg;
			break;
		case OPT_ROUTE_FIELD:
			o->kd.f.route = field("--route-field", p.arg);
			break;
		case OPT_SPACE:
			if (*p.arg == '\0' ||
			    strspn(p.arg,
				"abcdefghijklmnopqrstuvwxyz0123456789_-") !=
				strlen(p.arg))
				usage_error("--space: '%s': a space id is "
					    "lower-case letters, digits, '_' "
					    "and '-'",
				    p.arg);
			o->space = strcmp(p.arg, "default") == 0 ? NULL : p.arg;
			break;
		case OPT_SPEED_FIELD:
			o->kd.f.speed = field("--speed-field", p.arg);
			break;
		case OPT_KD_STATS:
			if (parse_seconds(p.arg, 0, COMMON_STATS_MAX,
				&o->stats_interval, &errstr) < 0)
				opt_bad_value(&p, errstr, "seconds", NULL);
			o->stats = true;
			break;
		case OPT_TENANT:
			if (*p.arg == '\0' || strpbrk(p.arg, "\r\n") != NULL)
				opt_bad_value(&p, NULL, "tenant", NULL);
			o->tenant = p.arg;
			break;
		case OPT_TIME_FIELD:
			o->kd.f.time = field("--time-field", p.arg);
			break;
		case OPT_TIMEOUT:
			seconds(&p, 0.1, 3600, "0.1-3600", &o->timeout_s);
			break;
		case OPT_TITLE:
			o->kd.title = text("--title", p.arg);
			break;
		case OPT_USER:
			o->user = text("--user", p.arg);
			break;
		case OPT_VIN_FIELD:
			o->kd.f.vin = field("--vin-field", p.arg);
			break;
		case OPT_WAIT:
			seconds(&p, 0, 86400, "0-86400", &o->wait_s);
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->verbosity = p.verbosity;
	first = opt_end(&p);
	if (first < argc)
		usage_error("unexpected argument '%s': kibana-dash reads no "
			    "files (see --output)",
		    argv[first]);
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
	http_tls_check(&o->tls);
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

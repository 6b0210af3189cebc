/* SPDX-License-Identifier: MIT */
/* json2mqtt's command line and MQTT_URL, checked. */
#include "common/prelude.h"

#include <stdbool.h>
#include <string.h>

#include <mosquitto.h>

#include "common/buf.h"
#include "common/env.h"
#include "common/log.h"
#include "common/mqttopt.h"
#include "common/opt.h"
#include "common/options.h"
#include "options.h"

#define WINDOW_DEFAULT 100ULL
#define STR(x) #x
#define XSTR(x) STR(x)
#define WINDOW_MAX 65000

enum {
	OPT_TEMPLATE = OPT_OWN,
	OPT_RAW,
};

/* -m goes through a pipe on stdin: it must fit the pipe's buffer. */
#define MESSAGE_MAX 65000

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_FLAG('r', "retain", "publish retained messages"),
	OPT_ARG('M', "max-inflight", "count", "100",
	    "at most count messages published and not yet acknowledged"),
	OPT_ARG('t', "topic", "topic", NULL,
	    "publish every message to topic"),
	OPT_ARG(OPT_TEMPLATE, "topic-template", "template", NULL,
	    "make each message's topic from its record's {path} fields"),
	OPT_ARG('m', "message", "message", NULL,
	    "publish this one message as it is, not stdin (needs -t)"),
	OPT_FLAG(OPT_RAW, "raw",
	    "publish each line as it is, JSON or not (needs -t)"),
	OPT_SET(opt_rows_basic_mqtt),
	OPT_SET(mqtt_opt_rows),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_input_rows),
	OPT_END,
};
/* clang-format on */

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "publish each line of an NDJSON stream as an MQTT message",
    .env =
	"MQTT_URL\tthe broker, as -L takes it: mqtt[s]://user@host:port/topic\n"
	"MQTT_PASSWORD\tthe password (else --password-file)",
    .examples =
	"vsim | json2mqtt -t connectedcar/telemetry\n"
	"json2mqtt -L mqtts://sim@broker.example --topic-template 'cars/{vin}' < docs.ndjson",
};

void
opts_parse(int argc, char **argv, struct opts *o)
{
	struct opt_parser p;
	struct buf err = BUF_INIT;
	const char *errstr;
	int c, first;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	mqtt_opts_init(&o->m);
	o->window = WINDOW_DEFAULT;
	opt_init(&p, "json2mqtt", rows, NULL, argc, argv);
	p.help = &help;
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io) ||
		    mqtt_opt_take(&p, &o->m))
			continue;
		switch (c) {
		case 'r':
			o->retain = true;
			break;
		case 'M':
			if (parse_uint_range(
				p.arg, 1, WINDOW_MAX, &o->window, &errstr) < 0)
				opt_bad_value(
				    &p, errstr, "count", "1-" XSTR(WINDOW_MAX));
			break;
		case 't':
			if (*p.arg == '\0' || strpbrk(p.arg, "+#") != NULL ||
			    mosquitto_pub_topic_check(p.arg) !=
				MOSQ_ERR_SUCCESS)
				opt_bad_value(&p, NULL, "topic",
				    "no '+' or '#' when publishing");
			o->rec.topic = p.arg;
			break;
		case OPT_TEMPLATE:
			o->template = p.arg;
			break;
		case 'm':
			if (*p.arg == '\0')
				opt_error(&p,
				    "empty message (an empty line "
				    "is no record)");
			if (strlen(p.arg) > MESSAGE_MAX)
				opt_bad_value(&p, "too long", "message",
				    "65000 bytes at most; more through stdin");
			if (strpbrk(p.arg, "\r\n") != NULL)
				opt_bad_value(&p, NULL, "message",
				    "one line; several messages through stdin");
			o->message = p.arg;
			o->rec.raw = true;
			break;
		case OPT_RAW:
			o->rec.raw = true;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	if ((first = opt_end(&p)) < argc)
		usage_error("unexpected operand '%s' (input is the standard "
			    "input)",
		    argv[first]);
	io_check_follow(&o->io, o->io.input);
	log_set_verbosity(o->c.verbosity);
	if (mqtt_opts_finish(&o->m, env_get("MQTT_URL"), &err) < 0)
		usage_error("%s", buf_cstr(&err));
	buf_free(&err);
	if (o->rec.topic != NULL && o->template != NULL)
		usage_error("-t and --topic-template exclude each other");
	if (o->rec.topic == NULL && o->template == NULL && o->m.topic != NULL) {
		if (strpbrk(o->m.topic, "+#") != NULL)
			usage_error("the topic in the URL has a wildcard");
		o->rec.topic = o->m.topic;
	}
	if (o->rec.raw && o->rec.topic == NULL)
		usage_error("%s needs -t topic (a raw payload has no fields "
			    "for --topic-template, no @metadata.mqtt.topic)",
		    o->message != NULL ? "-m" : "--raw");
	if (o->message != NULL && (o->io.input != NULL || o->io.follow))
		usage_error("-m excludes --input and --follow (the message is "
			    "the input)");
	if (o->message != NULL && (size_t)o->c.max_line < strlen(o->message))
		usage_error("-m: the message is longer than --max-line");
}

/* SPDX-License-Identifier: MIT */
/* mqtt2json's command line and MQTT_URL, checked. */
#include "common/prelude.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/env.h"
#include "common/log.h"
#include "common/mqttopt.h"
#include "common/opt.h"
#include "common/options.h"
#include "common/payload.h"
#include "options.h"
#include "subs.h"

#define EXPIRY_NEVER 4294967295ULL

enum {
	OPT_DURABLE = OPT_OWN,
	OPT_RETAINED_ONLY,
	OPT_BINARY,
	OPT_IDLE,
	OPT_LINGER,
	OPT_TOPIC_FIELDS,
	OPT_RECEIVED,
	OPT_REMOVE_RETAINED,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_FLAG('m', "metadata",
	    "add each message's topic, QoS and retain flag as @metadata.mqtt"),
	OPT_FLAG('R', "no-retained", "leave out retained messages"),
	OPT_ARG('F', "format", "format", NULL,
	    "a human view as mosquitto_sub -F: %t %p %j %I ..., not NDJSON"),
	OPT_ARG('C', "count", "count", NULL, "exit after count messages"),
	OPT_ARG('T', "filter-out", "filter", NULL,
	    "leave out messages whose topic matches filter; may be repeated"),
	OPT_ARG('t', "topic", "filter[@qos]", NULL,
	    "subscribe to filter, with a QoS of its own; may be repeated"),
	OPT_ARG('W', "timeout", "seconds", NULL, "exit after seconds"),
	OPT_ARG('x', "session-expiry", "seconds", "never",
	    "with --durable: how long the broker keeps the session"),
	OPT_FLAG(OPT_DURABLE, "durable",
	    "keep the subscription across restarts (needs -i)"),
	OPT_FLAG(OPT_RETAINED_ONLY, "retained-only",
	    "write retained messages only, exit at the first other one"),
	OPT_ARG(OPT_BINARY, "binary", "mode", "reject",
	    "a payload that is not UTF-8: reject or base64"),
	OPT_ARG(OPT_IDLE, "idle-timeout", "seconds", NULL,
	    "exit when no message came for seconds"),
	OPT_ARG(OPT_LINGER, "linger-ms", "ms", "0",
	    "gather messages this long before writing and acknowledging them"),
	OPT_FLAG(OPT_REMOVE_RETAINED, "remove-retained",
	    "clear each retained message received (as mosquitto_sub)"),
	OPT_FLAG(OPT_RECEIVED, "received",
	    "add the receive time, epoch ms, as @metadata.mqtt.received (-m)"),
	OPT_ARG(OPT_TOPIC_FIELDS, "topic-fields", "pattern", NULL,
	    "copy levels of each message's topic into fields"),
	OPT_SET(opt_rows_basic_mqtt),
	OPT_SET(mqtt_opt_rows),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_output_rows),
	OPT_END,
};
/* clang-format on */

static void
add_sub(struct opts *o, const char *arg)
{
	struct buf err = BUF_INIT;

	if (subs_add(&o->subs, arg, &err) < 0)
		usage_error("-t: %s", buf_cstr(&err));
}

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "subscribe to MQTT topics and write each message as one JSON line",
    .env =
	"MQTT_URL\tthe broker, as -L takes it: mqtt[s]://user@host:port/topic\n"
	"MQTT_PASSWORD\tthe password (else --password-file)",
    .examples =
	"mqtt2json -m -t 'connectedcar/#' | vnorm | kprod -t telemetry\n"
	"mqtt2json -t 'status/#' --retained-only -W 5",
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
	opt_init(&p, "mqtt2json", rows, NULL, argc, argv);
	p.help = &help;
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io) ||
		    mqtt_opt_take(&p, &o->m))
			continue;
		switch (c) {
		case 'm':
			o->fmt.metadata = true;
			break;
		case 'R':
			o->no_retained = true;
			break;
		case OPT_REMOVE_RETAINED:
			o->remove_retained = true;
			break;
		case OPT_RECEIVED:
			o->fmt.received = true;
			o->fmt.metadata = true;
			break;
		case 'F':
			if ((errstr = m2j_human_check(p.arg)) != NULL)
				opt_error(&p, "%s", errstr);
			o->fmt.human = p.arg;
			break;
		case 'C':
			if (parse_uint_range(
				p.arg, 1, UINT64_MAX, &o->count, &errstr) < 0)
				opt_bad_value(&p, errstr, "count", NULL);
			break;
		case 'T':
			if (subs_add_skip(&o->subs, p.arg, &err) < 0)
				opt_error(&p, "%s", buf_cstr(&err));
			break;
		case 't':
			add_sub(o, p.arg);
			break;
		case 'W':
		case OPT_IDLE:
			if (parse_seconds(p.arg, 0.001, 31536000.0,
				c == 'W' ? &o->timeout_s : &o->idle_s,
				&errstr) < 0)
				opt_bad_value(&p, errstr, "time", "seconds");
			break;
		case 'x':
			if (strcmp(p.arg, "never") == 0)
				o->expiry = EXPIRY_NEVER;
			else if (parse_uint_range(p.arg, 0, EXPIRY_NEVER,
				     &o->expiry, &errstr) < 0)
				opt_bad_value(&p, errstr, "interval",
				    "seconds or 'never'");
			o->expiry_set = true;
			break;
		case OPT_LINGER:
			if (parse_uint_range(p.arg, 0, LINGER_MAX_MS,
				&o->linger_ms, &errstr) < 0)
				opt_bad_value(&p, errstr, "linger-ms",
				    "milliseconds, 0 to 10000");
			break;
		case OPT_DURABLE:
			o->durable = true;
			break;
		case OPT_RETAINED_ONLY:
			o->retained_only = true;
			break;
		case OPT_BINARY:
			o->fmt.binary = payload_binary_opt(p.arg);
			break;
		case OPT_TOPIC_FIELDS:
			o->topic_fields = p.arg;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	if ((first = opt_end(&p)) < argc)
		usage_error("unexpected operand '%s'", argv[first]);
	log_set_verbosity(o->c.verbosity);
	if (mqtt_opts_finish(&o->m, env_get("MQTT_URL"), &err) < 0)
		usage_error("%s", buf_cstr(&err));
	buf_free(&err);
	if (o->subs.n == 0 && o->m.topic != NULL)
		add_sub(o, o->m.topic);
	if (o->subs.n == 0)
		usage_error("no topic: give -t (or a topic in -L or MQTT_URL)");
	if (o->durable) {
		if (o->m.id == NULL)
			usage_error("--durable needs a fixed client id (-i)");
		if (!o->expiry_set)
			o->expiry = EXPIRY_NEVER;
		if (o->m.qos == 0)
			log_warn("--durable with -q 0: most brokers keep no "
				 "QoS 0 message for a subscriber that is away");
	} else if (o->expiry_set)
		usage_error("-x needs --durable");
	if (o->remove_retained && o->no_retained)
		usage_error("--remove-retained and -R exclude each other (-R "
			    "leaves retained messages out)");
	if (o->retained_only && o->no_retained)
		usage_error("--retained-only and -R exclude each other");
	if (o->fmt.human != NULL &&
	    (o->fmt.metadata || o->topic_fields != NULL))
		usage_error("-F excludes -m and --topic-fields (it writes a "
			    "human view, not NDJSON)");
}

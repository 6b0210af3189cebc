/* SPDX-License-Identifier: MIT */
/* kprod's command line. */
#include "common/prelude.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/options.h"
#include "common/xalloc.h"
#include "options.h"

#define FLUSH_TIMEOUT_DEFAULT 10.0

enum {
	OPT_FLUSH_TIMEOUT = OPT_OWN,
	OPT_KEY_FIELD,
	OPT_RECEIPTS,
	OPT_TIMESTAMP_FIELD,
	OPT_RAW,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_ARG('c', "count", "count", NULL,
	    "stop reading after count lines"),
	OPT_ARG('H', "header", "name=value", NULL,
	    "add a header to every message; may be repeated"),
	OPT_ARG('k', "message-key", "key", NULL,
	    "the key of messages that get none from --key-field"),
	OPT_ARG('p', "partition", "partition", "-1",
	    "publish to partition (-1: the partitioner chooses)"),
	OPT_ARG('t', "topic", "topic", NULL,
	    "publish to topic (else @metadata.kafka.topic)"),
	OPT_ARG('z', "compression", "codec", "lz4",
	    "the compression codec: none, gzip, snappy, lz4 or zstd"),
	OPT_ARG(OPT_FLUSH_TIMEOUT, "flush-timeout", "seconds", "10",
	    "at the end, wait at most seconds for messages in flight"),
	OPT_ARG(OPT_KEY_FIELD, "key-field", "path", NULL,
	    "take each message's key from the field at path"),
	OPT_ARG(OPT_RECEIPTS, "receipts", "path", NULL,
	    "write one line per acknowledged message to path"),
	OPT_ARG(OPT_TIMESTAMP_FIELD, "timestamp-field", "path", NULL,
	    "take each message's timestamp from the field at path"),
	OPT_FLAG(OPT_RAW, "raw",
	    "publish each line as it is, JSON or not (needs -t)"),
	OPT_SET(opt_rows_basic),
	OPT_SET(kafka_opt_rows),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_input_rows),
	OPT_END,
};
/* clang-format on */

/* librdkafka settings that differ from its defaults; -X wins. */
const struct kafka_default kp_defaults[] = {
    {"client.id", "kprod"},
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"linger.ms", "20"},
    {"compression.codec", "lz4"},
    {"queue.buffering.max.messages", "100000"},
    {"queue.buffering.max.kbytes", "65536"},
    {NULL, NULL},
};

static void
parse_header(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct kp_header *h;

	if (eq == arg || *arg == '\0')
		usage_error("-H %s: expected name=value", arg);
	o->headers =
	    xreallocarray(o->headers, o->rec.nheaders + 1, sizeof(*o->headers));
	h = &o->headers[o->rec.nheaders++];
	h->name = arg;
	h->nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	h->value = eq != NULL ? eq + 1 : NULL;
	h->vlen = eq != NULL ? strlen(eq + 1) : 0;
	o->rec.headers = o->headers;
}

/* What --help says besides the options. */
static const struct opt_help help = {
    .about = "publish each line of an NDJSON stream as a Kafka message",
    .env = "KAFKA_BROKERS\tthe bootstrap brokers when -b is not given\n"
	   "KAFKA_SASL_PASSWORD\tthe SASL password (else --password-file)",
    .examples =
	"vnorm raw.ndjson | kprod -b kafka1:9092 -t telemetry --key-field vin\n"
	"kprod -t telemetry --rejects failed.ndjson < docs.ndjson",
};

void
kp_parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const codecs[] = {
	    "none", "gzip", "snappy", "lz4", "zstd", NULL};
	struct buf err = BUF_INIT, prop = BUF_INIT;
	unsigned long long v;
	const char *errstr;
	struct opt_parser p;
	int c, i, first;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	kafka_opts_init(&o->k);
	o->rec.partition = -1;
	o->flush_timeout = FLUSH_TIMEOUT_DEFAULT;
	opt_init(&p, "kprod", rows, NULL, argc, argv);
	p.help = &help;
	p.version_extra = kafka_version();
	while ((c = opt_next(&p)) != -1) {
		if (common_opt_take(&p, &o->c) || io_opt_take(&p, &o->io) ||
		    kafka_opt_take(&p, &o->k))
			continue;
		switch (c) {
		case 'c':
			if (parse_uint_range(
				p.arg, 1, UINT64_MAX, &o->count, &errstr) < 0)
				opt_bad_value(&p, errstr, "count", NULL);
			break;
		case 'H':
			parse_header(o, p.arg);
			break;
		case 'k':
			o->rec.key = p.arg;
			o->rec.keylen = strlen(p.arg);
			break;
		case 'p':
			if (strcmp(p.arg, "-1") == 0)
				o->rec.partition = -1;
			else if (parse_uint_range(
				     p.arg, 0, INT32_MAX, &v, &errstr) < 0)
				opt_bad_value(&p, errstr, "partition", NULL);
			else
				o->rec.partition = (int32_t)v;
			break;
		case 't':
			if (*p.arg == '\0')
				opt_error(&p, "empty topic");
			o->rec.topic = p.arg;
			break;
		case 'z':
			for (i = 0; codecs[i] != NULL; i++)
				if (strcmp(p.arg, codecs[i]) == 0)
					break;
			if (codecs[i] == NULL)
				opt_bad_value(&p, "unknown", "codec",
				    "none, gzip, snappy, lz4, zstd");
			buf_reset(&prop);
			buf_printf(&prop, "compression.codec=%s", p.arg);
			(void)kafka_opt_handle(
			    &o->k, 'X', buf_cstr(&prop), &err);
			break;
		case OPT_FLUSH_TIMEOUT:
			if (parse_seconds(p.arg, 0, 86400, &o->flush_timeout,
				&errstr) < 0)
				opt_bad_value(&p, errstr, "seconds", "0-86400");
			break;
		case OPT_KEY_FIELD:
			o->rec.key_field = p.arg;
			break;
		case OPT_RECEIPTS:
			if (*p.arg == '\0')
				opt_error(&p, "empty path");
			o->receipts = p.arg;
			break;
		case OPT_TIMESTAMP_FIELD:
			o->rec.ts_field = p.arg;
			break;
		case OPT_RAW:
			o->rec.raw = true;
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	first = opt_end(&p);
	if (first < argc)
		usage_error("unexpected operand '%s' (kprod reads the standard "
			    "input)",
		    argv[first]);
	io_check_follow(&o->io, o->io.input);
	if (o->rec.raw && o->rec.topic == NULL)
		usage_error("--raw needs -t topic (a raw line has no "
			    "@metadata.kafka.topic)");
	if (o->rec.raw && (o->rec.key_field != NULL || o->rec.ts_field != NULL))
		usage_error("--raw excludes --key-field and --timestamp-field "
			    "(a raw line has no fields); use -k for a key");
	if (o->receipts != NULL && o->c.rejects != NULL &&
	    strcmp(o->receipts, o->c.rejects) == 0 &&
	    strcmp(o->receipts, "-") != 0)
		usage_error("--receipts and --rejects name the same file");
	buf_free(&err);
	buf_free(&prop);
}

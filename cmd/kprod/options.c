/* SPDX-License-Identifier: MIT */
/* kprod's command line. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "options.h"

#define FLUSH_TIMEOUT_DEFAULT 10.0

static const char usage_text[] =
    "usage: kprod [-hqVv] [--insecure] [--print-config] [--progress] "
    "[--strict]\n"
    "             [-b brokers] [-c count] [-d contexts] [-F file]\n"
    "             [-H name=value] [-k key] [-p partition] [-t topic]\n"
    "             [-X property=value] [-z codec] [--cafile file] "
    "[--cert file]\n"
    "             [--flush-timeout seconds] [--key file] "
    "[--key-field path]\n"
    "             [--max-line bytes] [--password-file file] "
    "[--receipts path]\n"
    "             [--rejects path] [--sasl-mechanism mechanism]\n"
    "             [--sasl-user user] [--stats seconds] "
    "[--timestamp-field path]\n";

enum {
	OPT_FLUSH_TIMEOUT = KAFKA_OPT_END,
	OPT_KEY_FIELD,
	OPT_RECEIPTS,
	OPT_TIMESTAMP_FIELD,
};

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"count", required_argument, NULL, 'c'},
    {"header", required_argument, NULL, 'H'},
    {"message-key", required_argument, NULL, 'k'},
    {"partition", required_argument, NULL, 'p'},
    {"topic", required_argument, NULL, 't'},
    {"compression", required_argument, NULL, 'z'},
    {"flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT},
    {"key-field", required_argument, NULL, OPT_KEY_FIELD},
    {"receipts", required_argument, NULL, OPT_RECEIPTS},
    {"timestamp-field", required_argument, NULL, OPT_TIMESTAMP_FIELD},
    KAFKA_LONGOPTS,
    COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

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

void
kp_parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const codecs[] = {
	    "none", "gzip", "snappy", "lz4", "zstd", NULL};
	struct buf err = BUF_INIT, prop = BUF_INIT;
	unsigned long long v;
	const char *errstr;
	int c, i;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	kafka_opts_init(&o->k);
	o->rec.partition = -1;
	o->flush_timeout = FLUSH_TIMEOUT_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hH:k:p:qt:Vvz:" KAFKA_SHORTOPTS,
		    longopts, NULL)) != -1) {
		if (kafka_opt_take(&o->c, &o->k, c, optarg))
			continue;
		switch (c) {
		case 'c':
			if (parse_uint_range(
				optarg, 1, UINT64_MAX, &o->count, &errstr) < 0)
				usage_error(
				    "-c: %s count '%s'", errstr, optarg);
			break;
		case 'h':
			opt_help(usage_text);
		case 'H':
			parse_header(o, optarg);
			break;
		case 'k':
			o->rec.key = optarg;
			o->rec.keylen = strlen(optarg);
			break;
		case 'p':
			if (strcmp(optarg, "-1") == 0)
				o->rec.partition = -1;
			else if (parse_uint_range(
				     optarg, 0, INT32_MAX, &v, &errstr) < 0)
				usage_error(
				    "-p: %s partition '%s'", errstr, optarg);
			else
				o->rec.partition = (int32_t)v;
			break;
		case 'q':
			opt_quiet(&o->c);
			break;
		case 't':
			if (*optarg == '\0')
				usage_error("-t: empty topic");
			o->rec.topic = optarg;
			break;
		case 'V':
			opt_version("kprod", kafka_version());
		case 'v':
			opt_verbose(&o->c, 1);
			break;
		case 'z':
			for (i = 0; codecs[i] != NULL; i++)
				if (strcmp(optarg, codecs[i]) == 0)
					break;
			if (codecs[i] == NULL)
				usage_error("-z: unknown codec '%s' (none, "
					    "gzip, snappy, lz4, zstd)",
				    optarg);
			buf_reset(&prop);
			buf_printf(&prop, "compression.codec=%s", optarg);
			(void)kafka_opt_handle(
			    &o->k, 'X', buf_cstr(&prop), &err);
			break;
		case OPT_FLUSH_TIMEOUT:
			if (parse_seconds(optarg, 0, 86400, &o->flush_timeout,
				&errstr) < 0)
				usage_error("--flush-timeout: %s seconds '%s' "
					    "(0-86400)",
				    errstr, optarg);
			break;
		case OPT_KEY_FIELD:
			o->rec.key_field = optarg;
			break;
		case OPT_RECEIPTS:
			if (*optarg == '\0')
				usage_error("--receipts: empty path");
			o->receipts = optarg;
			break;
		case OPT_TIMESTAMP_FIELD:
			o->rec.ts_field = optarg;
			break;
		default:
			opt_bad(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected operand '%s' (kprod reads the standard "
			    "input)",
		    argv[optind]);
	if (o->receipts != NULL && o->c.rejects != NULL &&
	    strcmp(o->receipts, o->c.rejects) == 0 &&
	    strcmp(o->receipts, "-") != 0)
		usage_error("--receipts and --rejects name the same file");
	buf_free(&err);
	buf_free(&prop);
}

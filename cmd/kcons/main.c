/* SPDX-License-Identifier: MIT */
/* kcons: Kafka messages as NDJSON lines, committed only once handed on. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/kafkaopt.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "kcons.h"

#define FLUSH_TIMEOUT_DEFAULT 10.0
#define TIMEOUT_DEFAULT 10.0

static const char usage_text[] =
    "usage: kcons [-ehmqVv] [--insecure] [--list] [--print-config] "
    "[--progress]\n"
    "             [--strict] [-b brokers] [-c count] [-d contexts] "
    "[-F file]\n"
    "             [-G group] [-o offset] [-p partition] [-t topic]\n"
    "             [-X property=value] [--acks fifo] [--binary mode]\n"
    "             [--cafile file] [--cert file] "
    "[--commit topic:partition:offset]\n"
    "             [--flush-timeout seconds] [--idle-timeout seconds]\n"
    "             [--key file] [--max-line bytes] [--password-file file]\n"
    "             [--rejects path] [--reset-offsets to]\n"
    "             [--sasl-mechanism mechanism] [--sasl-user user]\n"
    "             [--stats seconds] [--timeout seconds] [topic ...]\n";

enum {
	OPT_ACKS = KAFKA_OPT_END,
	OPT_BINARY,
	OPT_COMMIT,
	OPT_FLUSH_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_LIST,
	OPT_RESET_OFFSETS,
	OPT_TIMEOUT,
};

static const struct option longopts[] = {
    {"exit", no_argument, NULL, 'e'},
    {"help", no_argument, NULL, 'h'},
    {"metadata", no_argument, NULL, 'm'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"count", required_argument, NULL, 'c'},
    {"group", required_argument, NULL, 'G'},
    {"offset", required_argument, NULL, 'o'},
    {"partition", required_argument, NULL, 'p'},
    {"topic", required_argument, NULL, 't'},
    {"acks", required_argument, NULL, OPT_ACKS},
    {"binary", required_argument, NULL, OPT_BINARY},
    {"commit", required_argument, NULL, OPT_COMMIT},
    {"flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"list", no_argument, NULL, OPT_LIST},
    {"reset-offsets", required_argument, NULL, OPT_RESET_OFFSETS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    KAFKA_LONGOPTS,
    COMMON_LONGOPTS,
    {NULL, 0, NULL, 0},
};

static void
add_topic(struct kc_opts *o, const char *t)
{
	if (*t == '\0')
		usage_error("empty topic name");
	o->topics =
	    xreallocarray(o->topics, o->ntopics + 1, sizeof(*o->topics));
	o->topics[o->ntopics++] = t;
}

/* topic:partition:offset; the topic may hold ':' itself. */
static void
add_commit(struct kc_opts *o, const char *arg)
{
	size_t len = strlen(arg), i, c1 = 0, c2 = 0, nc = 0;
	unsigned long long part, off;
	const char *errstr;
	struct kc_commit *k;
	char num[32];

	/* the last two ':' */
	for (i = 0; i < len; i++)
		if (arg[i] == ':') {
			c1 = c2;
			c2 = i;
			nc++;
		}
	if (nc < 2 || c1 == 0 || c2 - c1 - 1 >= sizeof(num))
		usage_error(
		    "--commit %s: expected topic:partition:offset", arg);
	snprintf(num, sizeof(num), "%.*s", (int)(c2 - c1 - 1), arg + c1 + 1);
	if (parse_uint_range(num, 0, INT32_MAX, &part, &errstr) < 0)
		usage_error("--commit %s: %s partition", arg, errstr);
	if (parse_uint_range(arg + c2 + 1, 0, INT64_MAX, &off, &errstr) < 0)
		usage_error("--commit %s: %s offset", arg, errstr);
	o->commits =
	    xreallocarray(o->commits, o->ncommits + 1, sizeof(*o->commits));
	k = &o->commits[o->ncommits++];
	k->topic = xmemdup(arg, c1);
	k->partition = (int32_t)part;
	k->offset = (int64_t)off;
}

static void
parse_offset(struct kc_opts *o, const char *arg)
{
	struct buf err = BUF_INIT;
	struct offspec spec;
	bool is_end;

	if (offspec_parse(arg, kc_now_ms(), &spec, &is_end, &err) < 0)
		usage_error("-o %s", buf_cstr(&err));
	if (is_end) {
		if (o->has_end)
			usage_error("-o: more than one end (e@)");
		o->has_end = true;
		o->end_ms = spec.value;
	} else {
		if (o->has_start)
			usage_error("-o: more than one start");
		o->has_start = true;
		o->start = spec;
	}
	buf_free(&err);
}

static double
seconds(const char *opt, const char *arg, double min)
{
	const char *errstr;
	double v;

	if (parse_seconds(arg, min, 86400 * 365, &v, &errstr) < 0)
		usage_error("%s: %s seconds '%s'", opt, errstr, arg);
	return v;
}

static void
validate(struct kc_opts *o)
{
	int admin = o->list + (o->reset_to != NULL) + (o->ncommits > 0);
	struct stat st;
	size_t i;

	if (admin > 1)
		usage_error("--list, --reset-offsets and --commit exclude each "
			    "other");
	if ((o->reset_to != NULL || o->ncommits > 0) && o->group == NULL)
		usage_error("%s needs -G group",
		    o->reset_to != NULL ? "--reset-offsets" : "--commit");
	if (o->reset_to != NULL && o->ntopics == 0)
		usage_error("--reset-offsets needs the topics to reset");
	if (!admin && o->ntopics == 0)
		usage_error("no topic: give -t topic, or -G group topic ...");
	if (o->npartitions > 0 && o->group != NULL)
		usage_error("-p: not with -G (the group assigns partitions)");
	for (i = 0; i < o->ntopics; i++)
		if (o->topics[i][0] == '^' && o->group == NULL)
			usage_error(
			    "topic %s: a pattern needs -G", o->topics[i]);
	if (o->has_start && o->start.kind == OFF_STORED && o->group == NULL &&
	    !kafka_opts_has(&o->k, "group.id"))
		usage_error("-o stored needs -G group (or -X group.id)");
	if (o->acks != NULL) {
		if (o->group == NULL)
			usage_error("--acks needs -G group: offsets are "
				    "committed for a group");
		if (stat(o->acks, &st) == 0 && !S_ISFIFO(st.st_mode))
			usage_error("--acks %s: not a fifo", o->acks);
		/* acknowledgements name records by their @metadata.kafka */
		o->fmt.metadata = true;
	}
}

static void
parse_args(int argc, char **argv, struct kc_opts *o)
{
	struct buf err = BUF_INIT;
	unsigned long long v;
	const char *errstr;
	int c;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	kafka_opts_init(&o->k);
	o->flush_timeout = FLUSH_TIMEOUT_DEFAULT;
	o->timeout_ms = (int)(TIMEOUT_DEFAULT * 1000);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:eG:hmo:p:qt:Vv" KAFKA_SHORTOPTS,
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
		case 'e':
			o->exit_eof = true;
			break;
		case 'G':
			if (*optarg == '\0')
				usage_error("-G: empty group");
			o->group = optarg;
			break;
		case 'h':
			opt_help(usage_text);
		case 'm':
			o->fmt.metadata = true;
			break;
		case 'o':
			parse_offset(o, optarg);
			break;
		case 'p':
			if (parse_uint_range(
				optarg, 0, INT32_MAX, &v, &errstr) < 0)
				usage_error(
				    "-p: %s partition '%s'", errstr, optarg);
			o->partitions = xreallocarray(o->partitions,
			    o->npartitions + 1, sizeof(*o->partitions));
			o->partitions[o->npartitions++] = (int32_t)v;
			break;
		case 'q':
			opt_quiet(&o->c);
			break;
		case 't':
			add_topic(o, optarg);
			break;
		case 'V':
			opt_version("kcons", kafka_version());
		case 'v':
			opt_verbose(&o->c, 1);
			break;
		case OPT_ACKS:
			if (*optarg == '\0')
				usage_error("--acks: empty path");
			o->acks = optarg;
			break;
		case OPT_BINARY:
			o->fmt.binary = payload_binary_opt(optarg);
			break;
		case OPT_COMMIT:
			add_commit(o, optarg);
			break;
		case OPT_FLUSH_TIMEOUT:
			o->flush_timeout =
			    seconds("--flush-timeout", optarg, 0);
			break;
		case OPT_IDLE_TIMEOUT:
			o->idle_timeout =
			    seconds("--idle-timeout", optarg, 0.001);
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_RESET_OFFSETS:
			o->reset_to = optarg;
			if (strcmp(optarg, "earliest") != 0 &&
			    strcmp(optarg, "latest") != 0) {
				int64_t ms;

				if (offspec_time(
					optarg, kc_now_ms(), &ms, &err) < 0)
					usage_error("--reset-offsets: %s "
						    "(or earliest, latest)",
					    buf_cstr(&err));
			}
			break;
		case OPT_TIMEOUT:
			o->timeout_ms =
			    (int)(seconds("--timeout", optarg, 0.001) * 1000);
			break;
		default:
			opt_bad(c, argv);
		}
	}
	for (; optind < argc; optind++)
		add_topic(o, argv[optind]);
	if (!o->k.list)
		validate(o);
	buf_free(&err);
}

static void
opts_free(struct kc_opts *o)
{
	size_t i;

	for (i = 0; i < o->ncommits; i++)
		free(o->commits[i].topic);
	free(o->commits);
	free(o->topics);
	free(o->partitions);
	kafka_opts_free(&o->k);
}

/* The configuration for the mode; exits 2 on a configuration error, 0
 * after --print-config. */
static rd_kafka_conf_t *
configure(struct kc_opts *o, struct kafka_client *kc, void *opaque)
{
	struct kafka_default defs[10];
	struct buf err = BUF_INIT;
	rd_kafka_conf_t *conf;
	char errstr[512];
	size_t n = 0;
	bool admin = o->list || o->reset_to != NULL || o->ncommits > 0;
	/* -e or an end offset: partition ends are looked for */
	bool ends = (o->exit_eof || o->has_end) && !admin;

	defs[n++] = (struct kafka_default){"client.id", "kcons"};
	defs[n++] = (struct kafka_default){"enable.auto.offset.store", "false"};
	defs[n++] = (struct kafka_default){"enable.auto.commit",
	    o->group != NULL && !admin ? "true" : "false"};
	defs[n++] = (struct kafka_default){"auto.offset.reset", "earliest"};
	defs[n++] = (struct kafka_default){
	    "partition.assignment.strategy", "cooperative-sticky"};
	/* the broker holds a fetch at a partition's end this long before it
	 * answers that there is nothing more: librdkafka's 500 ms is half a
	 * second lost at the end of every -e run */
	if (ends)
		defs[n++] = (struct kafka_default){"fetch.wait.max.ms", "100"};
	/* assign() wants a group id even where nothing is committed */
	if (o->group == NULL && !kafka_opts_has(&o->k, "group.id"))
		defs[n++] = (struct kafka_default){"group.id", "kcons"};
	defs[n] = (struct kafka_default){NULL, NULL};
	if (kafka_conf_build(&o->k, defs, kc, opaque, &conf, &err) < 0)
		usage_error("%s", buf_cstr(&err));
	/* flags win over -X */
	if ((o->group != NULL &&
		rd_kafka_conf_set(conf, "group.id", o->group, errstr,
		    sizeof(errstr)) != RD_KAFKA_CONF_OK) ||
	    (ends &&
		rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
		    sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
		rd_kafka_conf_destroy(conf);
		usage_error("configuration: %s", errstr);
	}
	if (o->k.print_config) {
		kafka_conf_print(conf, &err);
		fwrite(err.data, 1, err.len, stdout);
		rd_kafka_conf_destroy(conf);
		buf_free(&err);
		exit(fflush(stdout) == 0 ? 0 : 1);
	}
	buf_free(&err);
	return conf;
}

static rd_kafka_t *
consumer(rd_kafka_conf_t *conf)
{
	char errstr[512];
	rd_kafka_t *rk;

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		rd_kafka_conf_destroy(conf);
		usage_error("configuration: %s", errstr);
	}
	return rk;
}

/*
 * librdkafka before 2.3.0 asserts (abort, core) when a cooperative-sticky
 * consumer is destroyed after joining its group and before its first
 * assignment (librdkafka#4312), as when a signal comes while a group of
 * kcons starts.  Such a handle, closed already (it left the group and has
 * nothing to commit), is left to the process exit.
 */
static bool
destroy_would_abort(rd_kafka_t *rk, const struct kc_run *r)
{
	char v[256];
	size_t n = sizeof(v);

	if (rd_kafka_version() >= 0x020300ff || kc_run_assigned(r))
		return false;
	if (rd_kafka_conf_get(rd_kafka_conf(rk),
		"partition.assignment.strategy", v, &n) != RD_KAFKA_CONF_OK)
		return true;
	return strstr(v, "cooperative-sticky") != NULL;
}

int
main(int argc, char **argv)
{
	struct kafka_client kc;
	struct kc_opts o;
	struct kc_run *r;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	int rc;

	log_init(argv[0]);
	/* SIGPIPE ignored from here on: a reader gone is EPIPE */
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	parse_args(argc, argv, &o);
	log_set_verbosity(o.c.verbosity);
	if (o.k.list) {
		kafka_properties_show(stdout);
		opts_free(&o);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (o.list || o.reset_to != NULL || o.ncommits > 0) {
		/* one request after another, each up to --timeout: a signal
		 * ends the command there (a commit sent is the broker's) */
		if (sig_default_stop() < 0)
			fatal("signals: %s", strerror(errno));
		memset(&kc, 0, sizeof(kc));
		conf = configure(&o, &kc, &kc);
		rk = consumer(conf);
		if (o.list)
			rc = kc_list(&o, rk);
		else if (o.reset_to != NULL)
			rc = kc_reset(&o, rk);
		else
			rc = kc_commit(&o, rk);
		/* never subscribed and every commit synchronous: no group to
		 * leave, and closing one could wait on a gone coordinator */
		rd_kafka_destroy_flags(
		    rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
		rd_kafka_wait_destroyed(5000);
		kafka_client_clear(&kc);
		opts_free(&o);
		return rc;
	}

	r = kc_run_new(&o);
	conf = configure(&o, kc_run_client(r), r);
	kc_run_configure(r, conf);
	rk = consumer(conf);
	rc = kc_consume(r, rk);
	if (destroy_would_abort(rk, r)) {
		log_debug("librdkafka %s: handle left to the exit "
			  "(librdkafka#4312)",
		    rd_kafka_version_str());
		fflush(NULL);
		_exit(rc);
	}
	if (kc_run_abort(r))
		rd_kafka_destroy_flags(
		    rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	else
		rd_kafka_destroy(rk);
	rd_kafka_wait_destroyed(5000);
	kc_run_free(r);
	opts_free(&o);
	return rc;
}

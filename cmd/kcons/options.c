/* SPDX-License-Identifier: MIT */
/* kcons's command line, checked. */
#include "common/prelude.h"

#include <sys/stat.h>

#include <stdbool.h>
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
#include "kcons.h"
#include "offspec.h"
#include "options.h"

#define FLUSH_TIMEOUT_DEFAULT 10.0
#define ACKS_TIMEOUT_DEFAULT 60.0
#define TIMEOUT_DEFAULT 10.0

enum {
	OPT_ACKS = OPT_OWN,
	OPT_ACKS_TIMEOUT,
	OPT_BINARY,
	OPT_COMMIT,
	OPT_FLUSH_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_LIST,
	OPT_RESET_OFFSETS,
	OPT_TIMEOUT,
};

/* clang-format off */
static const struct opt_row rows[] = {
	OPT_FLAG('e', "exit",
	    "stop once every assigned partition is at its end"),
	OPT_FLAG('m', "metadata",
	    "put the message's coordinates in front of each record"),
	OPT_FLAG('J', NULL, "the same as -m: kcat's JSON envelope"),
	OPT_FLAG('Q', "query",
	    "print the offset of each -t topic:partition:time and exit"),
	OPT_ARG('f', "format", "format", NULL,
	    "a human view: kcat's %t %p %o %k %s %T %h ..., not NDJSON"),
	OPT_ARG('c', "count", "count", NULL, "stop after count messages"),
	OPT_ARG('G', "group", "group", NULL,
	    "join the consumer group; the topics are the operands"),
	OPT_ARG('o', "offset", "offset", "beginning",
	    "where to start: beginning, end, stored, N, -N, s@TIME, e@TIME"),
	OPT_ARG('p', "partition", "partition", NULL,
	    "without -G: read only this partition; may be repeated"),
	OPT_ARG('t', "topic", "topic", NULL,
	    "a topic to read; may be repeated"),
	OPT_ARG(OPT_ACKS, "acks", "fifo", NULL,
	    "store an offset only once downstream acknowledges it on fifo"),
	OPT_ARG(OPT_ACKS_TIMEOUT, "acks-timeout", "seconds", "60",
	    "fail when nothing comes back on fifo for seconds after a line"),
	OPT_ARG(OPT_BINARY, "binary", "mode", "reject",
	    "a payload that is not UTF-8: reject or base64"),
	OPT_ARG(OPT_COMMIT, "commit", "topic:partition:offset", NULL,
	    "commit offset for the partition in the group of -G and exit"),
	OPT_ARG(OPT_FLUSH_TIMEOUT, "flush-timeout", "seconds", "10",
	    "at the end, wait at most seconds for the last commits"),
	OPT_ARG(OPT_IDLE_TIMEOUT, "idle-timeout", "seconds", NULL,
	    "stop when no message came for seconds"),
	OPT_FLAG(OPT_LIST, "list",
	    "print the brokers and partitions as NDJSON and exit"),
	OPT_ARG(OPT_RESET_OFFSETS, "reset-offsets", "to", NULL,
	    "commit earliest (beginning), latest (end) or a time's offsets"),
	OPT_ARG(OPT_TIMEOUT, "timeout", "seconds", "10",
	    "how long metadata, offset and group requests may take"),
	OPT_SET(opt_rows_basic),
	OPT_SET(kafka_opt_rows),
	OPT_SET(common_opt_rows),
	OPT_SET(metrics_opt_rows),
	OPT_SET(io_output_rows),
	OPT_END,
};
/* clang-format on */

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
seconds(const struct opt_parser *p, double min)
{
	const char *errstr;
	double v;

	if (parse_seconds(p->arg, min, 86400 * 365, &v, &errstr) < 0)
		opt_bad_value(p, errstr, "seconds", NULL);
	return v;
}

/* -Q: each -t is topic:partition:time (a topic has no ':'; the time
 * may: RFC 3339). */
static void
add_queries(struct kc_opts *o)
{
	const char *t, *c1, *c2, *errstr;
	unsigned long long part;
	struct buf err = BUF_INIT;
	struct kc_commit *q;
	char num[16];
	size_t i;

	for (i = 0; i < o->ntopics; i++) {
		t = o->topics[i];
		c1 = strchr(t, ':');
		c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c1 == NULL || c2 == NULL || c1 == t ||
		    (size_t)(c2 - c1 - 1) >= sizeof(num)) {
			usage_error(
			    "-Q: '%s': expected topic:partition:time", t);
			continue; /* not reached */
		}
		snprintf(num, sizeof(num), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		if (parse_uint_range(num, 0, INT32_MAX, &part, &errstr) < 0)
			usage_error("-Q: '%s': %s partition", t, errstr);
		o->queries = xreallocarray(
		    o->queries, o->nqueries + 1, sizeof(*o->queries));
		q = &o->queries[o->nqueries++];
		q->topic = xmalloc((size_t)(c1 - t) + 1);
		memcpy(q->topic, t, (size_t)(c1 - t));
		q->topic[c1 - t] = '\0';
		q->partition = (int32_t)part;
		if (offspec_time(c2 + 1, kc_now_ms(), &q->offset, &err) < 0)
			usage_error("-Q: %s", buf_cstr(&err));
	}
	buf_free(&err);
}

static void
validate(struct kc_opts *o)
{
	int admin =
	    o->list + (o->reset_to != NULL) + (o->ncommits > 0) + o->query;
	struct stat st;
	size_t i;

	if (admin > 1 && o->query)
		usage_error("--list, --reset-offsets, --commit and -Q exclude "
			    "each other");
	if (admin > 1)
		usage_error("--list, --reset-offsets and --commit exclude each "
			    "other");
	if (o->query) {
		if (o->ntopics == 0)
			usage_error("-Q needs -t topic:partition:time");
		add_queries(o);
		return;
	}
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
	if (o->fmt.human != NULL && (o->fmt.metadata || o->acks != NULL))
		usage_error("-f excludes -m, -J and --acks (it writes a human "
			    "view, not NDJSON)");
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

/* What --help says besides the options. */
static const struct opt_help help = {
    .about =
	"read Kafka messages as NDJSON, committing only what was handed on",
    .env = "KAFKA_BROKERS\tthe bootstrap brokers when -b is not given\n"
	   "KAFKA_SASL_PASSWORD\tthe SASL password (else --password-file)",
    .examples =
	"kcons -b kafka1:9092 -t telemetry -o -10m -e\n"
	"kcons -m -G indexer --acks acks telemetry | esbulk -i vehicles --acks acks",
};

void
kc_parse_args(int argc, char **argv, struct kc_opts *o)
{
	struct buf err = BUF_INIT;
	unsigned long long v;
	const char *errstr;
	struct opt_parser p;
	int c, i;

	memset(o, 0, sizeof(*o));
	common_opts_init(&o->c);
	io_opts_init(&o->io);
	kafka_opts_init(&o->k);
	o->flush_timeout = FLUSH_TIMEOUT_DEFAULT;
	o->acks_timeout = ACKS_TIMEOUT_DEFAULT;
	o->timeout_ms = (int)(TIMEOUT_DEFAULT * 1000);
	opt_init(&p, "kcons", rows, "[topic ...]", argc, argv);
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
		case 'e':
			o->exit_eof = true;
			break;
		case 'G':
			if (*p.arg == '\0')
				opt_error(&p, "empty group");
			o->group = p.arg;
			break;
		case 'Q':
			o->query = true;
			break;
		case 'f':
			if ((errstr = kc_human_check(p.arg)) != NULL)
				opt_error(&p, "%s", errstr);
			o->fmt.human = p.arg;
			break;
		case 'm':
		case 'J':
			o->fmt.metadata = true;
			break;
		case 'o':
			parse_offset(o, p.arg);
			break;
		case 'p':
			if (parse_uint_range(p.arg, 0, INT32_MAX, &v, &errstr) <
			    0)
				opt_bad_value(&p, errstr, "partition", NULL);
			o->partitions = xreallocarray(o->partitions,
			    o->npartitions + 1, sizeof(*o->partitions));
			o->partitions[o->npartitions++] = (int32_t)v;
			break;
		case 't':
			add_topic(o, p.arg);
			break;
		case OPT_ACKS:
			if (*p.arg == '\0')
				opt_error(&p, "empty path");
			o->acks = p.arg;
			break;
		case OPT_ACKS_TIMEOUT:
			o->acks_timeout = seconds(&p, 0.001);
			break;
		case OPT_BINARY:
			o->fmt.binary = payload_binary_opt(p.arg);
			break;
		case OPT_COMMIT:
			add_commit(o, p.arg);
			break;
		case OPT_FLUSH_TIMEOUT:
			o->flush_timeout = seconds(&p, 0);
			break;
		case OPT_IDLE_TIMEOUT:
			o->idle_timeout = seconds(&p, 0.001);
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_RESET_OFFSETS:
			/* -o's words too: beginning, end */
			if (strcmp(p.arg, "beginning") == 0)
				o->reset_to = "earliest";
			else if (strcmp(p.arg, "end") == 0)
				o->reset_to = "latest";
			else
				o->reset_to = p.arg;
			if (strcmp(o->reset_to, "earliest") != 0 &&
			    strcmp(o->reset_to, "latest") != 0) {
				int64_t ms;

				if (offspec_time(
					p.arg, kc_now_ms(), &ms, &err) < 0)
					usage_error("--reset-offsets: %s "
						    "(or earliest, latest)",
					    buf_cstr(&err));
			}
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = (int)(seconds(&p, 0.001) * 1000);
			break;
		default:
			opt_unhandled(&p);
		}
	}
	o->c.verbosity = p.verbosity;
	for (i = opt_end(&p); i < argc; i++)
		add_topic(o, argv[i]);
	if (!o->k.list)
		validate(o);
	buf_free(&err);
}

void
kc_opts_free(struct kc_opts *o)
{
	size_t i;

	for (i = 0; i < o->ncommits; i++)
		free(o->commits[i].topic);
	free(o->commits);
	for (i = 0; i < o->nqueries; i++)
		free(o->queries[i].topic);
	free(o->queries);
	free(o->topics);
	free(o->partitions);
	kafka_opts_free(&o->k);
}

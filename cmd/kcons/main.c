/* SPDX-License-Identifier: MIT */
/* kcons: Kafka messages as NDJSON lines, committed only once handed on. */
#include "common/prelude.h"

#include <sys/stat.h>

#include <errno.h>
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
#include "common/ndjson.h"
#include "common/opt.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "kcons.h"
#include "options.h"

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

/*
 * The handle; exits 2 on a configuration error.  With timeout_s > 0, once
 * a broker answered (--connect-timeout), else exit 1: never reached is a
 * mistake to report, not an outage to wait out.  A consumer without -G
 * passes 0: its metadata request has --timeout already.  The admin modes
 * bound it too: each of their requests has --timeout, but a commit tries
 * again until librdkafka gives up, far past it.
 */
static rd_kafka_t *
consumer_new(rd_kafka_conf_t *conf)
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

static void
consumer_await(rd_kafka_t *rk, struct kafka_client *kc, double timeout_s)
{
	struct buf err = BUF_INIT;

	if (timeout_s > 0 && kafka_await_broker(rk, kc, timeout_s, &err) < 0) {
		log_err("%s", buf_cstr(&err));
		rd_kafka_destroy_flags(
		    rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
		exit(1);
	}
	buf_free(&err);
}

static rd_kafka_t *
consumer(rd_kafka_conf_t *conf, struct kafka_client *kc, double timeout_s)
{
	rd_kafka_t *rk = consumer_new(conf);

	consumer_await(rk, kc, timeout_s);
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
	kc_parse_args(argc, argv, &o);
	log_set_verbosity(o.c.verbosity);
	if (o.k.list) {
		kafka_properties_show(stdout);
		kc_opts_free(&o);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (o.list || o.reset_to != NULL || o.ncommits > 0 || o.query) {
		/* one request after another, each up to --timeout: a signal
		 * ends the command there (a commit sent is the broker's) */
		if (sig_default_stop() < 0)
			fatal("signals: %s", strerror(errno));
		memset(&kc, 0, sizeof(kc));
		conf = configure(&o, &kc, &kc);
		/* no request waits longer than --timeout, the first one
		 * for a broker included */
		rk = consumer(conf, &kc,
		    o.timeout_ms / 1000.0 < o.k.connect_timeout
			? o.timeout_ms / 1000.0
			: o.k.connect_timeout);
		if (o.list)
			rc = kc_list(&o, rk);
		else if (o.query)
			rc = kc_query(&o, rk);
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
		kc_opts_free(&o);
		return rc;
	}

	r = kc_run_new(&o);
	/* the configuration checked before the fifos: a kcons that exits 2
	 * for a bad -X must not have opened the acks fifo, or esbulk takes
	 * it for its partner, sees its input end and exits 0 */
	conf = configure(&o, kc_run_client(r), r);
	kc_run_configure(r, conf);
	rk = consumer_new(conf);
	/* the acks fifo first: opening a fifo --output waits for esbulk,
	 * which opens its --input only once the acks fifo is open */
	kc_run_open_acks(r);
	if (ndjson_output_on_stdout(o.io.output) < 0)
		fatal("%s: %s", o.io.output, strerror(errno));
	if (o.io.output != NULL) {
		struct stat st;

		o.output_fifo =
		    stat(o.io.output, &st) == 0 && S_ISFIFO(st.st_mode);
	}
	/* a group member waits for its coordinator forever: bound the first
	 * connection; without -G, the metadata request has --timeout */
	consumer_await(
	    rk, kc_run_client(r), o.group != NULL ? o.k.connect_timeout : 0);
	rc = kc_consume(r, rk);
	if (kc_run_close_given_up(r) || destroy_would_abort(rk, r)) {
		log_debug("librdkafka %s: handle left to the exit%s",
		    rd_kafka_version_str(),
		    kc_run_close_given_up(r) ? "" : " (librdkafka#4312)");
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
	kc_opts_free(&o);
	return rc;
}

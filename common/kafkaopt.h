/* SPDX-License-Identifier: MIT */
/*
 * The Kafka tools' shared option layer (kprod, kcons): brokers from -b or
 * KAFKA_BROKERS, librdkafka properties from -F files and -X, SASL and TLS
 * convenience flags, the SASL password from KAFKA_SASL_PASSWORD or
 * --password-file, -X list, --print-config with secrets redacted, and
 * librdkafka's log and error callbacks routed through common/log.
 *
 * Kept apart from the rest of libcommon.a: only the programs that call
 * into it link librdkafka.
 */
#ifndef IOTPIPE_KAFKAOPT_H
#define IOTPIPE_KAFKAOPT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "opt.h"
#include "options.h"

/* Ids of the shared long-only Kafka options. */
enum {
	KAFKA_OPT_CAFILE = OPT_COMMON_END,
	KAFKA_OPT_CERT,
	KAFKA_OPT_KEY,
	KAFKA_OPT_INSECURE,
	KAFKA_OPT_PASSWORD_FILE,
	KAFKA_OPT_PRINT_CONFIG,
	KAFKA_OPT_SASL_MECHANISM,
	KAFKA_OPT_SASL_USER,
	KAFKA_OPT_END
};

/* -b -d -F -X, the TLS and SASL flags and --connect-timeout, for a tool's table (OPT_SET). */
extern const struct opt_row kafka_opt_rows[];

/* One librdkafka property from -F or -X, in command-line order. */
struct kafka_prop {
	char *name;
	char *value;
	char *origin; /* "-X" or "FILE:LINE", for messages */
};

/* The shared options; main() owns the struct.  Strings borrowed from argv
 * unless said otherwise. */
struct kafka_opts {
	const char *brokers; /* -b; NULL: KAFKA_BROKERS */
	const char *debug; /* -d: librdkafka debug contexts */
	const char *cafile, *cert, *key;
	const char *sasl_mechanism, *sasl_user;
	const char *password_file;
	bool insecure;
	bool print_config; /* --print-config or -X dump */
	bool list; /* -X list */
	double connect_timeout; /* --connect-timeout */
	struct kafka_prop *props; /* owned */
	size_t nprops, cap;
};

void kafka_opts_init(struct kafka_opts *o);
/* Free the properties; o is then empty.  NULL is a no-op. */
void kafka_opts_free(struct kafka_opts *o);

/*
 * Handle getopt_long's value c with its optarg arg.  1: a shared Kafka
 * option, stored (-F reads its file now, so that -F and -X keep their
 * order); 0: not one of ours; -1: a bad value, with "-X foo: reason"
 * appended to err (a usage or configuration error: exit 2).  A secret
 * property (see kafka_prop_secret) is refused on -X: the command line is
 * visible to every user of the machine.
 */
int kafka_opt_handle(
    struct kafka_opts *o, int c, const char *arg, struct buf *err);
/* Take the option opt_next() returned when it is one of kafka_opt_rows:
 * true; false when it is not.  A bad value (kafka_opt_handle's -1) is a
 * usage error, exit 2. */
bool kafka_opt_take(const struct opt_parser *p, struct kafka_opts *o);

/* True when -F or -X set property name. */
bool kafka_opts_has(const struct kafka_opts *o, const char *name);

/* A property the tool sets before the user's, which win. */
struct kafka_default {
	const char *name, *value;
};

/*
 * What librdkafka's callbacks share with the tool.  The opaque given to
 * kafka_conf_build() (rd_kafka_opaque()) must point to a struct whose
 * first member is this one.
 */
struct kafka_client {
	char *secret; /* the SASL password, scrubbed from log lines; owned */
	bool debug; /* -d: librdkafka's debug lines are printed */
	/* a fatal error was reported, or one that retrying cannot fix: a
	 * refused login, a broker certificate that does not verify */
	volatile sig_atomic_t fatal;
	volatile sig_atomic_t all_down; /* all brokers down right now */
	/* the last transport error error_cb saw, for kafka_await_broker() */
	int last_err;
	char last_reason[512];
};

/*
 * Build the configuration, in this order (later wins): librdkafka's
 * defaults, the tool's defaults (may be NULL, ends with a NULL name),
 * KAFKA_BROKERS, KAFKA_SASL_PASSWORD, -F and -X in command-line order,
 * -b, -d, the TLS and SASL flags and --password-file.  A SASL flag
 * selects security.protocol SASL_SSL and a TLS flag SSL, unless -F or -X
 * set it.  The log and error callbacks report through common/log with
 * kc (see struct kafka_client), and opaque becomes the conf's opaque.
 * Returns 0 with *out (the caller hands it to rd_kafka_new() or destroys
 * it), or -1 with a one-line message appended to err: a configuration
 * error (exit 2).  Messages never hold a secret.
 */
int kafka_conf_build(const struct kafka_opts *o,
    const struct kafka_default *defaults, struct kafka_client *kc, void *opaque,
    rd_kafka_conf_t **out, struct buf *err);

/*
 * The first connection, bounded: wait up to timeout_s (--connect-timeout)
 * for a broker to answer a metadata request, serving rk's main queue
 * (call it before rd_kafka_poll_set_consumer()).  A name that does not
 * resolve ends the wait at once.  Returns 0 when a broker answered, or -1
 * with the cause and the fix appended to err ("127.0.0.1:59999: Connect
 * ... refused: is the broker running? check -b / KAFKA_BROKERS"): never
 * reached is a configuration mistake, exit 1.
 */
int kafka_await_broker(
    rd_kafka_t *rk, struct kafka_client *kc, double timeout_s, struct buf *err);

/* The message of kafka_await_broker() for a broker never reached in
 * timeout_s, for a tool that watches the time itself; appended to err. */
void kafka_unreached_text(
    const struct kafka_client *kc, double timeout_s, struct buf *err);

/* True once some broker answered rk (without waiting). */
bool kafka_reached(rd_kafka_t *rk);

/* Wipe and free the secret; kc stays usable. */
void kafka_client_clear(struct kafka_client *kc);

/* True for a property whose value is a secret (sasl.password, ...). */
bool kafka_prop_secret(const char *name);

/*
 * The properties of conf (global, then the default topic configuration)
 * that differ from librdkafka's defaults, one "name=value\n" each, a
 * secret's value as "***", appended to b.  Callbacks and pointers are
 * left out.
 */
void kafka_conf_print(rd_kafka_conf_t *conf, struct buf *b);

/* -X list: librdkafka's table of properties on fp. */
void kafka_properties_show(FILE *fp);

/*
 * Parse the text of a -F file: "name=value" lines, blanks around both
 * trimmed; empty lines and lines starting with '#' skipped; "\r\n" taken.
 * Calls fn(arg, line, name, value) for each (strings valid during the
 * call); fn returns 0, or -1 having appended its message to err.  Returns
 * 0, or -1 with "path:line: reason" (or fn's message) appended to err.
 */
typedef int (*kafka_conffile_fn)(void *arg, unsigned line, const char *name,
    const char *value, struct buf *err);
int kafka_conffile_parse(const char *text, size_t len, const char *path,
    kafka_conffile_fn fn, void *arg, struct buf *err);

/* "librdkafka 2.0.2", for --version; static storage. */
const char *kafka_version(void);

#endif

/* SPDX-License-Identifier: MIT */
/* kmock: librdkafka's mock Kafka cluster as a process that takes fault commands, for fault-injection tests only. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 64
#define MAX_ERRS 1000
#define LINE_MAX_LEN 4096
#define MAX_WORDS 8

static volatile sig_atomic_t stop_flag;

static const char *const api_names[] = {
    "Produce",
    "Fetch",
    "ListOffsets",
    "Metadata",
    "LeaderAndIsr",
    "StopReplica",
    "UpdateMetadata",
    "ControlledShutdown",
    "OffsetCommit",
    "OffsetFetch",
    "FindCoordinator",
    "JoinGroup",
    "Heartbeat",
    "LeaveGroup",
    "SyncGroup",
    "DescribeGroups",
    "ListGroups",
    "SaslHandshake",
    "ApiVersions",
    "CreateTopics",
    "DeleteTopics",
    "DeleteRecords",
    "InitProducerId",
    "OffsetForLeaderEpoch",
    "AddPartitionsToTxn",
    "AddOffsetsToTxn",
    "EndTxn",
    "WriteTxnMarkers",
    "TxnOffsetCommit",
    "DescribeAcls",
    "CreateAcls",
    "DeleteAcls",
    "DescribeConfigs",
    "AlterConfigs",
    "AlterReplicaLogDirs",
    "DescribeLogDirs",
    "SaslAuthenticate",
    "CreatePartitions",
    "CreateDelegationToken",
    "RenewDelegationToken",
    "ExpireDelegationToken",
    "DescribeDelegationToken",
    "DeleteGroups",
    "ElectLeaders",
    "IncrementalAlterConfigs",
    "AlterPartitionReassignments",
    "ListPartitionReassignments",
    "OffsetDelete",
    "DescribeClientQuotas",
    "AlterClientQuotas",
    "DescribeUserScramCredentials",
    "AlterUserScramCredentials",
};

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(FILE *fp)
{
	fputs("usage: kmock [-h] [-b brokers] [-c fifo] [-d debug] "
	      "[-t topic:partitions[:rf]]...\n"
	      "Prints the bootstrap servers, then reads one command per line "
	      "from stdin (or from\nthe fifo given with -c) and answers "
	      "\"ok: ...\" or \"error: ...: reason\":\n"
	      "  err APIKEY ERRCODE [COUNT]   the next COUNT requests of "
	      "APIKEY fail with ERRCODE\n"
	      "  clear APIKEY                 drop the queued errors of "
	      "APIKEY\n"
	      "  down BROKER | up BROKER      broker id, -1 for all\n"
	      "  rtt BROKER MS                add round-trip latency\n"
	      "  topic NAME PARTITIONS [RF]   create a topic\n"
	      "  topicerr TOPIC ERRCODE       topic-level error in metadata\n"
	      "  leader TOPIC PARTITION BROKER\n"
	      "  coord group|transaction KEY BROKER\n"
	      "  apiver APIKEY MIN MAX\n"
	      "  bootstraps | help | quit\n"
	      "APIKEY is a name (Produce, OffsetCommit, ...) or a number; "
	      "ERRCODE a librdkafka\nerror name (NOT_LEADER_FOR_PARTITION, "
	      "_TRANSPORT, ...) or a number.\n",
	    fp);
}

/* A whole decimal number in [min, max], or -1 with *ok cleared. */
static long
parse_long(const char *s, long min, long max, int *ok)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		*ok = 0;
		return -1;
	}
	return v;
}

static int
parse_apikey(const char *s, int16_t *out)
{
	size_t i;
	int ok = 1;
	long v;

	for (i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
		if (strcasecmp(s, api_names[i]) == 0) {
			*out = (int16_t)i;
			return 0;
		}
	}
	v = parse_long(s, 0, INT16_MAX, &ok);
	if (!ok)
		return -1;
	*out = (int16_t)v;
	return 0;
}

static int
parse_errcode(const char *s, rd_kafka_resp_err_t *out)
{
	const struct rd_kafka_err_desc *descs;
	const char *prefix = "RD_KAFKA_RESP_ERR_";
	size_t cnt, i;
	int ok = 1;
	long v;

	if (strncasecmp(s, prefix, strlen(prefix)) == 0)
		s += strlen(prefix);
	rd_kafka_get_err_descs(&descs, &cnt);
	for (i = 0; i < cnt; i++) {
		if (descs[i].name != NULL &&
		    strcasecmp(s, descs[i].name) == 0) {
			*out = descs[i].code;
			return 0;
		}
	}
	v = parse_long(s, INT_MIN, INT_MAX, &ok);
	if (!ok)
		return -1;
	*out = (rd_kafka_resp_err_t)v;
	return 0;
}

static void
reply(const char *line, const char *error)
{
	if (error == NULL)
		printf("ok: %s\n", line);
	else
		printf("error: %s: %s\n", line, error);
	fflush(stdout);
}

static int
split(char *line, char **words, int max)
{
	int n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t\r", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* Run one command line; returns 1 when asked to quit. */
static int
command(rd_kafka_mock_cluster_t *mc, const char *line)
{
	char copy[LINE_MAX_LEN], *w[MAX_WORDS];
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR, code;
	rd_kafka_resp_err_t errs[MAX_ERRS];
	int16_t key;
	long a, b, c;
	int n, ok = 1;

	snprintf(copy, sizeof(copy), "%s", line);
	n = split(copy, w, MAX_WORDS);
	if (n == 0)
		return 0;
	if (n < 0) {
		reply(line, "too many words");
		return 0;
	}
	if (strcmp(w[0], "quit") == 0) {
		reply(line, NULL);
		return 1;
	} else if (strcmp(w[0], "help") == 0) {
		usage(stdout);
		reply(line, NULL);
		return 0;
	} else if (strcmp(w[0], "bootstraps") == 0) {
		printf("ok: bootstraps %s\n",
		    rd_kafka_mock_cluster_bootstraps(mc));
		fflush(stdout);
		return 0;
	} else if (strcmp(w[0], "err") == 0 && (n == 3 || n == 4)) {
		a = n == 4 ? parse_long(w[3], 1, MAX_ERRS, &ok) : 1;
		if (parse_apikey(w[1], &key) < 0 ||
		    parse_errcode(w[2], &code) < 0 || !ok) {
			reply(
			    line, "usage: err APIKEY ERRCODE [COUNT 1..1000]");
			return 0;
		}
		for (b = 0; b < a; b++)
			errs[b] = code;
		rd_kafka_mock_push_request_errors_array(
		    mc, key, (size_t)a, errs);
	} else if (strcmp(w[0], "clear") == 0 && n == 2) {
		if (parse_apikey(w[1], &key) < 0) {
			reply(line, "usage: clear APIKEY");
			return 0;
		}
		rd_kafka_mock_clear_request_errors(mc, key);
	} else if ((strcmp(w[0], "down") == 0 || strcmp(w[0], "up") == 0) &&
	    n == 2) {
		a = parse_long(w[1], -1, INT32_MAX, &ok);
		if (!ok) {
			reply(line, "usage: down|up BROKER");
			return 0;
		}
		err = w[0][0] == 'd'
		    ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
		    : rd_kafka_mock_broker_set_up(mc, (int32_t)a);
	} else if (strcmp(w[0], "rtt") == 0 && n == 3) {
		a = parse_long(w[1], -1, INT32_MAX, &ok);
		b = parse_long(w[2], 0, 600000, &ok);
		if (!ok) {
			reply(line, "usage: rtt BROKER MS");
			return 0;
		}
		err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
	} else if (strcmp(w[0], "topic") == 0 && (n == 3 || n == 4)) {
		a = parse_long(w[2], 1, 10000, &ok);
		b = n == 4 ? parse_long(w[3], 1, 16, &ok) : 1;
		if (!ok) {
			reply(line, "usage: topic NAME PARTITIONS [RF]");
			return 0;
		}
		err = rd_kafka_mock_topic_create(mc, w[1], (int)a, (int)b);
	} else if (strcmp(w[0], "topicerr") == 0 && n == 3) {
		if (parse_errcode(w[2], &code) < 0) {
			reply(line, "usage: topicerr TOPIC ERRCODE");
			return 0;
		}
		rd_kafka_mock_topic_set_error(mc, w[1], code);
	} else if (strcmp(w[0], "leader") == 0 && n == 4) {
		a = parse_long(w[2], 0, INT32_MAX, &ok);
		b = parse_long(w[3], -1, INT32_MAX, &ok);
		if (!ok) {
			reply(line, "usage: leader TOPIC PARTITION BROKER");
			return 0;
		}
		err = rd_kafka_mock_partition_set_leader(
		    mc, w[1], (int32_t)a, (int32_t)b);
	} else if (strcmp(w[0], "coord") == 0 && n == 4) {
		a = parse_long(w[3], 0, INT32_MAX, &ok);
		if (!ok ||
		    (strcmp(w[1], "group") != 0 &&
			strcmp(w[1], "transaction") != 0)) {
			reply(
			    line, "usage: coord group|transaction KEY BROKER");
			return 0;
		}
		err = rd_kafka_mock_coordinator_set(mc, w[1], w[2], (int32_t)a);
	} else if (strcmp(w[0], "apiver") == 0 && n == 4) {
		b = parse_long(w[2], -1, INT16_MAX, &ok);
		c = parse_long(w[3], -1, INT16_MAX, &ok);
		if (parse_apikey(w[1], &key) < 0 || !ok) {
			reply(line, "usage: apiver APIKEY MIN MAX");
			return 0;
		}
		err = rd_kafka_mock_set_apiversion(
		    mc, key, (int16_t)b, (int16_t)c);
	} else {
		reply(line,
		    "unknown command or wrong number of arguments "
		    "(try: help)");
		return 0;
	}
	reply(line, err ? rd_kafka_err2str(err) : NULL);
	return 0;
}

/* Read what is there on fd; run each complete line. Returns 1 to quit
 * (a quit command, or end of input on stdin). */
static int
drain(
    int fd, rd_kafka_mock_cluster_t *mc, char *buf, size_t *len, int *skipping)
{
	ssize_t n;
	char *nl, *start;

	n = read(fd, buf + *len, LINE_MAX_LEN - 1 - *len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (n == 0)
		return 1;
	*len += (size_t)n;
	buf[*len] = '\0';
	start = buf;
	while ((nl = strchr(start, '\n')) != NULL) {
		*nl = '\0';
		if (*skipping)
			*skipping = 0;
		else if (command(mc, start))
			return 1;
		start = nl + 1;
	}
	*len -= (size_t)(start - buf);
	memmove(buf, start, *len);
	if (*len == LINE_MAX_LEN - 1) {
		if (!*skipping)
			reply("(line)", "longer than 4095 bytes: ignored");
		*skipping = 1;
		*len = 0;
	}
	return 0;
}

static int
add_topic(rd_kafka_mock_cluster_t *mc, const char *spec)
{
	char name[256], *p, *q;
	int ok = 1;
	long parts = 1, rf = 1;
	rd_kafka_resp_err_t err;

	snprintf(name, sizeof(name), "%s", spec);
	if ((p = strchr(name, ':')) != NULL) {
		*p++ = '\0';
		if ((q = strchr(p, ':')) != NULL) {
			*q++ = '\0';
			rf = parse_long(q, 1, 16, &ok);
		}
		parts = parse_long(p, 1, 10000, &ok);
	}
	if (!ok || name[0] == '\0') {
		fprintf(stderr,
		    "kmock: -t %s: expected topic:partitions[:rf]\n", spec);
		return -1;
	}
	err = rd_kafka_mock_topic_create(mc, name, (int)parts, (int)rf);
	if (err) {
		fprintf(stderr, "kmock: topic %s: %s\n", name,
		    rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *topics[MAX_TOPICS], *fifo = NULL, *debug = NULL;
	char errstr[512], buf[LINE_MAX_LEN];
	rd_kafka_mock_cluster_t *mc = NULL;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk = NULL;
	struct sigaction sa;
	struct pollfd pfd;
	size_t len = 0;
	int ntopics = 0, brokers = 1, ok = 1, fd = -1, opt, i;
	int status = 1, skipping = 0, quit = 0;

	while ((opt = getopt(argc, argv, "b:c:d:ht:")) != -1) {
		switch (opt) {
		case 'b':
			brokers = (int)parse_long(optarg, 1, 16, &ok);
			if (!ok) {
				fprintf(stderr,
				    "kmock: -b %s: expected 1..16\n", optarg);
				return 2;
			}
			break;
		case 'c':
			fifo = optarg;
			break;
		case 'd':
			debug = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 't':
			if (ntopics == MAX_TOPICS) {
				fprintf(stderr, "kmock: at most %d -t\n",
				    MAX_TOPICS);
				return 2;
			}
			topics[ntopics++] = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* The handle only owns the mock cluster; it talks to no broker, so
	 * its "no bootstrap.servers" warning is silenced. */
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) ||
	    (debug != NULL &&
		rd_kafka_conf_set(
		    conf, "debug", debug, errstr, sizeof(errstr)))) {
		fprintf(stderr, "kmock: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 2;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "kmock: rd_kafka_new: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "kmock: cannot create the mock cluster\n");
		goto out;
	}
	for (i = 0; i < ntopics; i++)
		if (add_topic(mc, topics[i]) < 0)
			goto out;

	if (fifo == NULL) {
		fd = STDIN_FILENO;
	} else {
		if (mkfifo(fifo, 0600) < 0 && errno != EEXIST) {
			fprintf(
			    stderr, "kmock: %s: %s\n", fifo, strerror(errno));
			goto out;
		}
		/* read-write: the fifo never reports end of input when a
		 * writer goes away */
		fd = open(fifo, O_RDWR | O_NONBLOCK);
		if (fd < 0) {
			fprintf(
			    stderr, "kmock: %s: %s\n", fifo, strerror(errno));
			goto out;
		}
	}

	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop_flag && !quit) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 200) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "kmock: poll: %s\n", strerror(errno));
			goto out;
		}
		if (pfd.revents & (POLLIN | POLLHUP))
			quit = drain(fd, mc, buf, &len, &skipping);
		else if (pfd.revents & (POLLERR | POLLNVAL))
			quit = 1;
	}
	status = 0;
out:
	if (fifo != NULL && fd >= 0) {
		close(fd);
		unlink(fifo);
	}
	if (mc != NULL)
		rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return status;
}

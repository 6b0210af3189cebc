/* SPDX-License-Identifier: MIT */
/*
 * kcons: the output side of a run: stdout written without blocking the
 * polling, offsets stored once their lines are written, and --acks.
 */
#include "common/prelude.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/acksfifo.h"
#include "common/clock.h"
#include "common/kafkameta.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/sig.h"
#include "common/xalloc.h"
#include "run.h"

/* ---------------------------------------------------------------- output */

/* Write what is buffered: 1 all written, 0 would block, -1 gone/error. */
int
output_drain(struct kc_run *r)
{
	ssize_t n;

	if (r->ogone || r->oerr || r->oclosed)
		return -1;
	while (r->ooff < r->ob.len) {
		n = write(
		    STDOUT_FILENO, r->ob.data + r->ooff, r->ob.len - r->ooff);
		if (n < 0) {
			if (errno == EINTR) {
				if (sig_stop >= 2)
					return 0;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (r->blocked_since == 0)
					r->blocked_since = mono_now();
				return 0;
			}
			/* --output fifo: wait for its next reader, and go
			 * on from the first byte not written */
			if (errno == EPIPE && r->o->output_fifo &&
			    ndjson_wait_reader(STDOUT_FILENO, r->o->io.output,
				r->o->io.reopen_timeout) == 0)
				continue;
			if (errno == EPIPE)
				r->ogone = true;
			else
				r->oerr = errno;
			r->ob.len = r->ooff = 0;
			return -1;
		}
		r->ooff += (size_t)n;
	}
	r->ob.len = r->ooff = 0;
	r->blocked_since = 0;
	return 1;
}

/*
 * Whether the reader of a pipe or socket on stdout went away, asked
 * without writing: a consumer with nothing to write would otherwise learn
 * it only at the next message, which on a quiet topic may never come.  A
 * pipe without readers polls POLLERR, a socket closed by its peer POLLHUP.
 */
bool
output_reader_gone(struct kc_run *r)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};

	/* an --output fifo waits for its next reader at the next write */
	if (r->oflags < 0 || r->ogone || r->oclosed || r->o->output_fifo)
		return r->ogone;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)))
		r->ogone = true;
	return r->ogone;
}

/* Wait up to ms for a signal, room on stdout (want_out) or acks. */
void
output_wait(struct kc_run *r, bool want_out, int ms)
{
	struct pollfd pfd[3];

	pfd[0].fd = sig_fd();
	pfd[0].events = POLLIN;
	pfd[1].fd = want_out ? STDOUT_FILENO : -1;
	pfd[1].events = POLLOUT;
	pfd[2].fd = r->afd;
	pfd[2].events = POLLIN;
	(void)poll(pfd, 3, ms);
	sig_drain();
}

/* Offsets of what is now written: stored, so the next commit has them. */
void
output_store_written(struct kc_run *r)
{
	rd_kafka_topic_partition_list_t *l;
	size_t i;

	r->unstored = false;
	if (reject_flush(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop = true;
		return;
	}
	l = rd_kafka_topic_partition_list_new((int)r->nparts);
	for (i = 0; i < r->nparts; i++) {
		if (r->parts[i].store < 0)
			continue;
		rd_kafka_topic_partition_list_add(
		    l, r->parts[i].topic, r->parts[i].partition)
		    ->offset = r->parts[i].store;
		r->parts[i].store = -1;
	}
	/* a partition revoked meanwhile says __STATE: its lines will be
	 * read again by the new owner, which at-least-once allows */
	if (l->cnt > 0)
		(void)rd_kafka_offsets_store(r->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/* ------------------------------------------------------------------ acks */

static void
acked_add(void *arg, const char *topic, int32_t partition, int64_t next)
{
	struct kc_run *r = arg;

	rd_kafka_topic_partition_list_add(r->store_list, topic, partition)
	    ->offset = next;
}

/* Store the offsets that acknowledgements made safe.  A reject counts
 * as acknowledged when written: the reject stream is flushed first, so no
 * commit passes a reject still in a buffer. */
static void
store_acked(struct kc_run *r)
{
	acks_collect(r->acks, acked_add, r);
	if (r->store_list->cnt == 0)
		return;
	if (reject_flush(r->rej) < 0) {
		log_err("rejects: %s", strerror(errno));
		r->failed = r->stop = true;
	} else {
		(void)rd_kafka_offsets_store(r->rk, r->store_list);
	}
	rd_kafka_topic_partition_list_destroy(r->store_list);
	r->store_list = rd_kafka_topic_partition_list_new(16);
}

void
output_read_acks(struct kc_run *r)
{
	struct ndjson_line ln;
	enum ndjson_status s;
	struct jval *root;
	const char *topic;
	int32_t part;
	int64_t off;

	(void)output_acks_partner(r);
	while ((s = ndjson_read(r->ard, &ln)) == NDJSON_LINE ||
	    s == NDJSON_TOOLONG) {
		arena_reset(r->arena);
		if (s == NDJSON_LINE &&
		    jsonx_parse(r->arena, ln.line, ln.len, &root, NULL) ==
			JSONX_OK &&
		    kafkameta_position(
			kafkameta_find(root), &topic, &part, &off) &&
		    acks_ack(r->acks, topic, part, off) == ACKS_OK) {
			(*r->acked)++;
			continue;
		}
		(*r->ack_unknown)++;
		log_debug("--acks: ignored: %.*s",
		    (int)(ln.len > 200 ? 200 : ln.len), ln.line);
	}
	if (s == NDJSON_ERROR) {
		log_err("--acks %s: %s", r->o->acks, strerror(errno));
		r->failed = r->stop = true;
	}
	store_acked(r);
}

/* Open the --acks fifo, made when missing (atomically: esbulk may make it
 * at the same moment), read-write: it never reports the end of input when
 * esbulk restarts.  What is there must be a fifo: a regular file would
 * read as an empty end, and nothing would ever be committed. */
int
output_open_acks(struct kc_run *r, struct buf *err)
{
	const char *path = r->o->acks;

	if (acksfifo_make(path) < 0) {
		buf_printf(err, "--acks %s: %s", path, strerror(errno));
		return -1;
	}
	r->afd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->afd < 0) {
		buf_printf(err, "--acks %s: %s", path, strerror(errno));
		return -1;
	}
	if (!acksfifo_is_fifo(r->afd)) {
		buf_printf(err, "--acks %s: not a fifo", path);
		return -1;
	}
	r->acks = acks_new();
	r->ard = ndjson_reader_new(r->afd, (size_t)r->o->c.max_line);
	r->store_list = rd_kafka_topic_partition_list_new(16);
	return 0;
}

/*
 * Whether the writer of the acks fifo came: esbulk writes an empty line
 * once it has its end open, any other writer its first acknowledgement.
 * Until then, lines written wait for it at most --acks-timeout seconds.
 */
bool
output_acks_partner(struct kc_run *r)
{
	int n = 0;

	if (r->partner)
		return true;
	if (ioctl(r->afd, FIONREAD, &n) == 0 && n > 0)
		r->partner = true;
	else if (acks_pending(r->acks) == 0)
		r->waited_from = 0;
	else if (r->waited_from == 0)
		r->waited_from = mono_now();
	else if (mono_now() - r->waited_from >= r->o->acks_timeout) {
		log_err("--acks %s: nothing came back in %g s after the "
			"first line written (--acks-timeout): is esbulk "
			"--acks %s running?",
		    r->o->acks, r->o->acks_timeout, r->o->acks);
		r->failed = r->stop = true;
	}
	return r->partner;
}

/* SPDX-License-Identifier: MIT */
/* esbulk: index NDJSON documents into Elasticsearch or OpenSearch (_bulk). */
#include "common/prelude.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/acksfifo.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/jsonx.h"
#include "common/log.h"
#include "common/ndjson.h"
#include "common/reject.h"
#include "common/sig.h"
#include "common/stats.h"
#include "common/xalloc.h"
#include "bulk.h"
#include "options.h"
#include "sender.h"
#include "server.h"
#include "setup.h"

#define READ_BUDGET 4096 /* lines read between two network services */

struct run {
	const struct opts *o;
	struct sender *snd;
	struct bulk_batch *b; /* the batch being filled */
	struct arena *arena;
	struct bulk_refusal ref;
	struct reject_stream *rej;
	struct ndjson_writer *acks;
	struct ndjson_reader *rd;
	struct stats *st;
	uint64_t *in, *out, *rejected, *conflicts;
	size_t input; /* index into o->inputs */
	int fd; /* the input being read, or -1 */
	int stdin_flags; /* to restore, or -1 */
	bool eof; /* every input read */
	bool again; /* the input would block */
	bool failed; /* an error that makes the exit status 1 */
	bool id_seen; /* a record was taken with --id in force */
	unsigned id_misses; /* records without them before one had them */
};

/*
 * --id names fields that none of the first ID_PROBE records has: a
 * misspelt name, not records at fault, so esbulk stops as it does for a
 * missing index.  Once one record has them, a record without them is a
 * reject like any other.
 */
#define ID_PROBE 10
#define ID_PROBE_STR_(x) #x
#define ID_PROBE_STR(x) ID_PROBE_STR_(x)

#define ID_FIX                                                                 \
	"check the names given to --id (dots for nested fields, commas "       \
	"between fields), or leave --id out"

/* ---------------------------------------------------- outcomes of lines */

static void
ack(struct run *r, const char *kafka, size_t len)
{
	struct buf *b;

	if (r->acks == NULL || len == 0 || ndjson_writer_gone(r->acks))
		return;
	b = ndjson_writer_buf(r->acks);
	buf_adds(b, "{\"@metadata\":{\"kafka\":");
	buf_add(b, kafka, len);
	buf_adds(b, "}}");
	if (ndjson_writer_commit(r->acks) < 0 && !r->failed) {
		log_err("--acks %s: %s", r->o->acks,
		    ndjson_writer_gone(r->acks)
			? "the reader went away"
			: strerror(ndjson_writer_error(r->acks)));
		r->failed = true;
	}
}

/* Count a reject and write it. */
static void
reject(struct run *r, const struct reject *rec)
{
	(*r->rejected)++;
	if (reject_write(r->rej, rec) < 0 && !r->failed) {
		log_err("rejects: %s", strerror(errno));
		r->failed = true;
	}
}

static void
on_indexed(void *arg, const struct bulk_batch *b, size_t i, int status)
{
	struct run *r = arg;
	const struct bulk_item *it = &b->items[i];

	(*r->out)++;
	if (status == 409)
		(*r->conflicts)++;
	ack(r, b->side.data + it->kafka_off, it->kafka_len);
}

static void
on_refused(void *arg, const struct bulk_batch *b, size_t i, const char *reason,
    const struct bulk_error *e, bool lost)
{
	struct run *r = arg;
	const struct bulk_item *it = &b->items[i];
	struct reject rec;
	const char *line;
	size_t len;

	bulk_item_input(b, i, &line, &len);
	reject_init(&rec, reason, it->lineno, line, len);
	if (it->meta_len > 0)
		reject_with_meta(
		    &rec, b->side.data + it->meta_off, it->meta_len);
	if (e != NULL) {
		rec.status = e->status;
		rec.type = e->type.len > 0 ? e->type.data : NULL;
		rec.caused_by = e->cause.data;
		rec.caused_by_len = e->cause.len;
	}
	reject(r, &rec);
	/* refused for good and on the reject stream: handed on; a document
	 * given up on is not acknowledged, so a replay sends it again */
	if (!lost)
		ack(r, b->side.data + it->kafka_off, it->kafka_len);
}

static void
on_settled(void *arg)
{
	struct run *r = arg;

	if (r->acks != NULL && ndjson_writer_flush(r->acks) < 0 && !r->failed) {
		log_err("--acks %s: %s", r->o->acks,
		    ndjson_writer_gone(r->acks)
			? "the reader went away"
			: strerror(ndjson_writer_error(r->acks)));
		r->failed = true;
	}
}

/* ---------------------------------------------------------------- input */

static bool
batch_full(const struct run *r)
{
	return r->b != NULL &&
	    (r->b->n >= r->o->size || r->b->body.len >= r->o->batch_bytes);
}

static void
process(struct run *r, enum ndjson_status s, const struct ndjson_line *ln)
{
	struct reject rec;

	(*r->in)++;
	if (s == NDJSON_TOOLONG) {
		reject_init(&rec, NULL, ln->lineno, ln->line, ln->len);
		reject_too_long(&rec, ln->total);
		reject(r, &rec);
		return;
	}
	if (r->b == NULL)
		r->b = bulk_batch_new();
	if (bulk_add_line(&r->o->bulk, r->b, r->arena, ln->line, ln->len,
		ln->lineno, &r->ref) < 0) {
		reject_init(&rec, buf_cstr(&r->ref.reason), ln->lineno,
		    ln->line, ln->len);
		reject_with_meta(&rec, r->ref.meta.data, r->ref.meta.len);
		reject(r, &rec);
		ack(r, r->ref.kafka.data, r->ref.kafka.len);
		if (r->ref.id_missing && !r->id_seen &&
		    ++r->id_misses == ID_PROBE)
			r->ref.config = "none of the first " ID_PROBE_STR(
			    ID_PROBE) " records has the --id fields: " ID_FIX;
		if (r->ref.config != NULL) {
			/* every record like it would be refused: stop here,
			 * once; what was read before is still sent */
			log_err("line %llu: %s: %s", ln->lineno,
			    buf_cstr(&r->ref.reason), r->ref.config);
			r->eof = r->failed = true;
		}
		return;
	}
	if (r->o->bulk.id_fields != NULL)
		r->id_seen = true;
	if (r->b->n == 1)
		r->b->born = mono_now();
}

/* A pipe or socket is read without blocking, so that a half line never
 * holds up the responses; the flags come back at exit. */
static int
nonblock(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return -1;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fl;
}

/* Open the next input; false when there is none or it failed. */
static bool
next_input(struct run *r)
{
	const char *path = r->o->inputs[r->input];
	int fd;

	if (path == NULL)
		return false;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
		r->stdin_flags = nonblock(fd);
	} else {
		/* --follow: opened without blocking, and again at each end of
		 * input by the reader (a restarted writer) */
		fd = ndjson_open_input(path, r->o->io.follow);
		if (fd < 0) {
			if (!(errno == EINTR && sig_stop))
				log_err("%s: %s", path, strerror(errno));
			if (errno != EINTR)
				r->failed = true;
			return false;
		}
		(void)nonblock(fd);
	}
	r->fd = fd;
	if (r->rd == NULL)
		r->rd = ndjson_reader_new(fd, (size_t)r->o->c.max_line);
	else
		ndjson_reader_set_fd(r->rd, fd);
	if (r->o->io.follow) {
		/* the loop polls the reader's fd: no wait in the reader */
		ndjson_reader_follow(r->rd, path);
		ndjson_reader_set_timeout(r->rd, 0);
	}
	return true;
}

static void
close_input(struct run *r)
{
	/* a --follow reader owns its fd, and closes it when freed */
	if (r->fd > STDIN_FILENO && !r->o->io.follow)
		close(r->fd);
	r->fd = -1;
	r->input++;
}

/* Read lines until the batch is full, the input would block or ends. */
static void
read_input(struct run *r)
{
	struct ndjson_line ln;
	enum ndjson_status s;
	int i;

	r->again = false;
	for (i = 0; i < READ_BUDGET && !batch_full(r) && !sig_stop; i++) {
		if (r->fd < 0 && !next_input(r)) {
			r->eof = true;
			return;
		}
		s = ndjson_read(r->rd, &ln);
		if (s == NDJSON_AGAIN) {
			r->again = true;
			return;
		}
		if (s == NDJSON_EOF) {
			close_input(r);
			continue;
		}
		if (s == NDJSON_ERROR) {
			log_err("%s: read: %s",
			    strcmp(r->o->inputs[r->input], "-") == 0
				? "stdin"
				: r->o->inputs[r->input],
			    strerror(errno));
			r->failed = true;
			close_input(r);
			continue;
		}
		if (s == NDJSON_TORN) {
			/* a killed writer's half line: no record */
			(*stats_counter(r->st, "torn"))++;
			ndjson_warn_torn(&ln);
			continue;
		}
		process(r, s, &ln);
		stats_tick(r->st);
		if (r->eof)
			return;
	}
}

/* ----------------------------------------------------------------- loop */

static void
loop(struct run *r)
{
	struct curl_waitfd fds[2];
	unsigned nfds;
	int timeout, n;
	bool done, wait, told = false;

	for (;;) {
		stats_serve_signals(r->st, r->rej);
		if (sig_stop >= 2 || sender_fatal(r->snd))
			break;
		done = r->eof || sig_stop;
		if (sig_stop && !told) {
			size_t batches = sender_pending(r->snd);
			size_t unsent = r->b != NULL ? r->b->n : 0;

			if (batches > 0 || unsent > 0)
				log_warn("stopping: finishing what was read "
					 "(%zu request%s in flight or to be "
					 "retried, %zu document%s to send); a "
					 "second signal stops at once",
				    batches, batches == 1 ? "" : "s", unsent,
				    unsent == 1 ? "" : "s");
			told = true;
		}
		if (r->b != NULL && r->b->n > 0 && sender_has_room(r->snd) &&
		    (done || batch_full(r) ||
			mono_now() - r->b->born >= r->o->linger_s)) {
			sender_submit(r->snd, r->b);
			r->b = NULL;
		}
		if (done && (r->b == NULL || r->b->n == 0) &&
		    sender_pending(r->snd) == 0)
			break;
		wait = true;
		if (!done && !batch_full(r)) {
			read_input(r);
			wait = r->again;
		} else if (r->b != NULL && r->b->n > 0 &&
		    sender_has_room(r->snd)) {
			wait = false;
		}
		timeout = 0;
		nfds = 0;
		if (wait) {
			/* acknowledgements of local rejects wait for no
			 * response: out with them before blocking */
			on_settled(r);
			timeout = 1000;
			/* the linger time matters only while a slot is free:
			 * a batch that waits for one waits for a response */
			if (r->b != NULL && r->b->n > 0 &&
			    sender_has_room(r->snd)) {
				double left =
				    r->b->born + r->o->linger_s - mono_now();

				timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
				if (timeout > 1000)
					timeout = 1000;
			}
			if ((n = stats_next_ms(r->st)) >= 0 && n < timeout)
				timeout = n;
			fds[nfds].fd = sig_fd();
			fds[nfds].events = CURL_WAIT_POLLIN;
			fds[nfds++].revents = 0;
			if (r->again && r->fd >= 0 && !batch_full(r)) {
				fds[nfds].fd = ndjson_reader_fd(r->rd);
				fds[nfds].events = CURL_WAIT_POLLIN;
				fds[nfds++].revents = 0;
			}
		}
		if (sender_run(r->snd, fds, nfds, timeout) < 0)
			break;
		if (nfds > 0 && fds[0].revents)
			sig_drain();
		stats_check(r->st);
	}
}

static int
finish(struct run *r)
{
	int rc;

	if (r->id_misses > 0 && r->id_misses < ID_PROBE && !r->id_seen &&
	    !sig_stop) {
		/* a shorter input, and none of it had them either */
		log_err("%u record%s, none with the --id fields: " ID_FIX,
		    r->id_misses, r->id_misses == 1 ? "" : "s");
		r->failed = true;
	}
	rc = r->failed ? 1 : 0;
	if (sig_stop >= 2 || sender_fatal(r->snd)) {
		const char *why = sig_stop >= 2 ? "stopped by a second signal"
						: "the server refused the "
						  "requests";

		sender_abort(r->snd, why);
		if (r->b != NULL && r->b->n > 0) {
			struct bulk_batch *b = r->b;
			size_t i;
			char reason[96];

			snprintf(reason, sizeof(reason), "not sent: %s", why);
			for (i = 0; i < b->n; i++)
				on_refused(r, b, i, reason, NULL, true);
			rc = 1;
		}
	}
	if (sender_lost(r->snd) || sender_fatal(r->snd))
		rc = 1;
	on_settled(r);
	return stats_finish(r->st, r->rej, r->o->c.strict, *r->rejected, rc);
}

/*
 * What open_acks() watches for the end of the input: stdin, or the one
 * input when it is a fifo (--input, or kcons --output's fifo as the only
 * operand), opened without blocking: a reader end that sees a writer come
 * and go.  *keep is that extra fd, open until exit so that the writer is
 * never left without a reader before the loop opens the input; -1 for
 * none.  A regular file never ends that way: nothing to watch.
 */
static int
input_watch(const struct opts *o, int *keep)
{
	struct stat st;
	int fd;

	*keep = -1;
	if (strcmp(o->inputs[0], "-") == 0)
		return STDIN_FILENO;
	if (o->inputs[1] != NULL || stat(o->inputs[0], &st) < 0 ||
	    !S_ISFIFO(st.st_mode))
		return -1;
	if ((fd = open(o->inputs[0], O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	*keep = fd;
	return fd;
}

/*
 * --acks: "-" is stdout, a regular file is appended to; else a fifo, made
 * if missing (never a regular file: kcons --acks may make the fifo at the
 * same moment), and opened once kcons has its end open.  A kcons that
 * dies first (a bad option, an unreachable broker) ends our input: that
 * is watched, and the wait is bounded, so neither hangs for the other.
 */
static int
open_acks(const struct opts *o, int *watch_fd)
{
	int fd, watch;

	if (strcmp(o->acks, "-") == 0)
		return STDOUT_FILENO;
	watch = input_watch(o, watch_fd);
	switch (acksfifo_open_writer(o->acks, watch, o->acks_timeout_s, &fd)) {
	case ACKSFIFO_OPEN:
		break;
	case ACKSFIFO_ENDED:
		fatal("--acks %s: kcons never opened it: the input ended "
		      "first (did kcons --acks %s fail to start?)",
		    o->acks, o->acks);
	case ACKSFIFO_TIMEOUT:
		fatal("--acks %s: kcons never opened it: waited %g s "
		      "(--acks-timeout); is kcons --acks %s running?",
		    o->acks, o->acks_timeout_s, o->acks);
	case ACKSFIFO_STOPPED:
		exit(1);
	case ACKSFIFO_ERROR:
	default:
		fatal("--acks %s: %s", o->acks, strerror(errno));
	}
	/* an empty line, which readers skip, tells kcons we are here
	 * before any document is done */
	if (acksfifo_is_fifo(fd) && write(fd, "\n", 1) < 0) {
		/* kcons went away meanwhile: the next write says so */
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct sender_conf sc;
	struct sender_cb cb;
	struct curl_slist *bulk_h, *json_h;
	struct es_server srv;
	struct setup su;
	struct buf err = BUF_INIT, path = BUF_INIT;
	int rc, acks_fd = -1, watch_fd = -1;
	bool gzip;

	log_init(argv[0]);
	opts_parse(argc, argv, &o);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.fd = -1;
	r.stdin_flags = -1;
	if (sig_init() < 0)
		fatal("signals: %s", strerror(errno));
	if ((r.rej = reject_open(o.c.rejects, "esbulk", &err)) == NULL)
		fatal("%s", buf_cstr(&err));
	if (o.acks != NULL) {
		acks_fd = open_acks(&o, &watch_fd);
		r.acks = ndjson_writer_new(acks_fd);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("curl: cannot initialise");
	gzip = setup_want_gzip(&o);
	bulk_h = setup_headers(&o, true, gzip);
	json_h = setup_headers(&o, false, false);
	buf_adds(
	    &path, "/_bulk?filter_path=errors,items.*.status,items.*.error");
	if (o.pipeline != NULL) {
		char *e = curl_easy_escape(NULL, o.pipeline, 0);

		buf_printf(&path, "&pipeline=%s", e != NULL ? e : "");
		curl_free(e);
	}
	memset(&sc, 0, sizeof(sc));
	sc.urls = (const char *const *)o.bases;
	sc.nurls = o.nurls;
	sc.bulk_path = buf_cstr(&path);
	sc.bulk_headers = bulk_h;
	sc.json_headers = json_h;
	sc.gzip = gzip;
	sc.tls = &o.tls;
	sc.timeout_ms = (long)(o.timeout_s * 1000);
	sc.workers = (unsigned)o.workers;
	retry_policy_init(
	    &sc.retry, o.max_retry_s, o.backoff_max_s, o.timeout_s);
	sc.retry.connect_s = o.connect_timeout;
	sc.op = o.bulk.op;
	cb.arg = &r;
	cb.indexed = on_indexed;
	cb.refused = on_refused;
	cb.settled = on_settled;
	r.st = stats_new("esbulk");
	stats_configure(r.st, o.c.stats_interval, o.c.stats, o.c.progress);
	r.in = stats_counter(r.st, "in");
	r.out = stats_counter(r.st, "out");
	r.rejected = stats_counter(r.st, "rejected");
	r.conflicts = stats_counter(r.st, "conflicts");
	r.snd = sender_new(&sc, &cb, r.st);
	stats_metrics_file(r.st, o.c.metrics_file);
	r.arena = arena_new();

	su.o = &o;
	su.snd = r.snd;
	su.arena = r.arena;
	if ((rc = setup_detect(&su, &srv)) == 0) {
		o.bulk.doc_type = !srv.opensearch && srv.major < 7;
		if (o.template != NULL)
			rc = setup_template(&su, &srv);
	}
	if (rc == 0) {
		loop(&r);
		rc = finish(&r);
	} else {
		/* stopped by a signal before the server answered (-1): no
		 * document was sent, which is no success either */
		rc = 1;
		stats_final(r.st);
		(void)reject_close(r.rej);
	}

	if (r.stdin_flags >= 0)
		(void)fcntl(STDIN_FILENO, F_SETFL, r.stdin_flags);
	if (r.fd > STDIN_FILENO)
		close(r.fd);
	sender_free(r.snd);
	bulk_batch_free(r.b);
	ndjson_reader_free(r.rd);
	if (r.acks != NULL) {
		if (ndjson_writer_flush(r.acks) < 0 &&
		    !ndjson_writer_gone(r.acks) && rc != 1) {
			log_err("--acks %s: %s", o.acks,
			    strerror(ndjson_writer_error(r.acks)));
			rc = 1;
		}
		ndjson_writer_free(r.acks);
		if (acks_fd > STDOUT_FILENO && close(acks_fd) < 0 && rc != 1) {
			log_err("--acks %s: %s", o.acks, strerror(errno));
			rc = 1;
		}
	}
	if (watch_fd >= 0)
		close(watch_fd);
	stats_free(r.st);
	arena_free(r.arena);
	bulk_refusal_free(&r.ref);
	curl_slist_free_all(bulk_h);
	curl_slist_free_all(json_h);
	curl_global_cleanup();
	buf_free(&path);
	buf_free(&err);
	opts_free(&o);
	return rc;
}

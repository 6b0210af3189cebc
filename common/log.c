/* SPDX-License-Identifier: MIT */
/* Program name, verbosity and "prog: message" lines on stderr. */
#include "prelude.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

static const char *progname = "iotpipe";
static int verbosity;
/*
 * The status line on screen (with STATUS_ERASE in front), and room to
 * write a line around it; under status_lock, as librdkafka logs from its
 * own threads.
 */
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static char *status;
static size_t status_len, status_cap;
static char *around;
static size_t around_cap;

#define STATUS_ERASE "\r\033[K" /* column 0, erase to the end of line */

void
log_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	if (slash != NULL && slash[1] != '\0')
		progname = slash + 1;
	else if (slash == NULL)
		progname = argv0;
	xalloc_progname = progname;
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_verbosity(int v)
{
	verbosity = v;
}

int
log_verbosity(void)
{
	return verbosity;
}

static int
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make *p hold at least n bytes; false when memory runs out (no
 * xmalloc here: its message would come back to this lock). */
static bool
room(char **p, size_t *cap, size_t n)
{
	char *q;

	if (n <= *cap)
		return true;
	if ((q = realloc(*p, n)) == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

int
log_raw(const char *p, size_t n)
{
	size_t e = sizeof(STATUS_ERASE) - 1, need;
	int rc, saved;

	pthread_mutex_lock(&status_lock);
	need = e + n + status_len;
	if (status_len == 0 || !room(&around, &around_cap, need)) {
		rc = write_all(p, n);
	} else {
		memcpy(around, STATUS_ERASE, e);
		memcpy(around + e, p, n);
		memcpy(around + e + n, status, status_len);
		rc = write_all(around, need);
	}
	saved = errno;
	pthread_mutex_unlock(&status_lock);
	errno = saved;
	return rc;
}

void
log_status(const char *text, size_t n)
{
	size_t e = sizeof(STATUS_ERASE) - 1;

	pthread_mutex_lock(&status_lock);
	if (n == 0 || !room(&status, &status_cap, e + n)) {
		if (status_len > 0)
			(void)write_all(STATUS_ERASE, e);
		status_len = 0;
	} else {
		/* kept with the erase in front: one write draws it */
		memcpy(status, STATUS_ERASE, e);
		memcpy(status + e, text, n);
		status_len = e + n;
		(void)write_all(status, status_len);
	}
	pthread_mutex_unlock(&status_lock);
}

/*
 * Build the whole line first, so it leaves in one write(2).  Most lines
 * fit the stack buffer; longer ones go to the heap.  errno is kept, so a
 * caller can log and then still look at it.  With hint, the "Try ...
 * --help" line of usage_error() follows in the same write.
 */
static void vemit(bool hint, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
vemit(bool hint, const char *fmt, va_list ap)
{
	static const char try1[] = "Try '";
	static const char try2[] = " --help' for more information.\n";
	char stack[1024];
	char *line = stack;
	size_t plen, len, cap;
	int saved = errno;
	int n;
	va_list ap2;

	plen = strlen(progname);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	cap = plen + 2 + (size_t)n + 2;
	if (hint)
		cap += sizeof(try1) + plen + sizeof(try2);
	if (cap > sizeof(stack))
		line = xmalloc(cap);
	memcpy(line, progname, plen);
	memcpy(line + plen, ": ", 2);
	len = plen + 2;
	if (n > 0) {
		vsnprintf(line + len, (size_t)n + 1, fmt, ap);
		len += (size_t)n;
		if (line[len - 1] == '\n')
			len--;
	}
	line[len++] = '\n';
	if (hint) {
		memcpy(line + len, try1, sizeof(try1) - 1);
		len += sizeof(try1) - 1;
		memcpy(line + len, progname, plen);
		len += plen;
		memcpy(line + len, try2, sizeof(try2) - 1);
		len += sizeof(try2) - 1;
	}
	(void)log_raw(line, len);
	if (line != stack)
		free(line);
	errno = saved;
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(false, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vemit(false, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vemit(false, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	vemit(false, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(false, fmt, ap);
	va_end(ap);
	exit(1);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(true, fmt, ap);
	va_end(ap);
	exit(2);
}

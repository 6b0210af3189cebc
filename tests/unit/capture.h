/* SPDX-License-Identifier: MIT */
/* For cmocka tests: what the code under test writes on stderr (fd 2). */
#ifndef IOTPIPE_TEST_CAPTURE_H
#define IOTPIPE_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct capture {
	FILE *tmp;
	int saved;
};

/* fd 2 onto a temporary file, until cap_end(). */
static void
cap_begin(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
}

/* Restore fd 2; the captured bytes, NUL-terminated: caller frees. */
static char *
cap_end(struct capture *c)
{
	long n;
	char *s;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	n = lseek(fileno(c->tmp), 0, SEEK_END);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(pread(fileno(c->tmp), s, (size_t)n, 0), n);
	fclose(c->tmp);
	return s;
}

#endif

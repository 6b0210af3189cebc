/* SPDX-License-Identifier: MIT */
/* BSD functions that Debian 12's glibc (2.36) does not have yet, and
 * system-specific calls behind one portable name. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "prelude.h"

#include <fcntl.h>
#include <string.h>

#include "compat.h"

#ifdef IOTPIPE_NEED_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int compat_unused;
#endif

void
pipe_grow(int fd, int bytes)
{
#ifdef F_SETPIPE_SZ
	int cur = fcntl(fd, F_GETPIPE_SZ);

	if (cur >= 0 && cur < bytes)
		(void)fcntl(fd, F_SETPIPE_SZ, bytes);
#else
	(void)fd;
	(void)bytes;
#endif
}

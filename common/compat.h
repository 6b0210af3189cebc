/* SPDX-License-Identifier: MIT */
/* BSD functions that Debian 12's glibc (2.36) does not have yet. */
#ifndef IOTPIPE_COMPAT_H
#define IOTPIPE_COMPAT_H

#include <stddef.h>
#include <string.h>

/*
 * glibc declares strlcpy from 2.38 on; the BSDs, macOS and musl always
 * had it.  Only glibc before 2.38 gets ours.
 */
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if !__GLIBC_PREREQ(2, 38)
#define IOTPIPE_NEED_STRLCPY 1
#endif
#endif

#ifdef IOTPIPE_NEED_STRLCPY
/*
 * Copy the string src into dst of size bytes, always NUL-terminating when
 * size > 0.  Returns strlen(src); a result >= size means dst was truncated.
 * No ownership change: dst is the caller's, src is only read.
 */
size_t strlcpy(char *dst, const char *src, size_t size);
#endif

/*
 * Make the pipe fd hold up to bytes (Linux's F_SETPIPE_SZ; elsewhere, and
 * when refused, e.g. above /proc/sys/fs/pipe-max-size, nothing happens).
 * Fewer, larger writes to a fast reader: fewer context switches.
 */
void pipe_grow(int fd, int bytes);

#endif

/* SPDX-License-Identifier: MIT */
/* Turn calls to unsafe libc functions into compile errors (git's idea). */
#ifndef IOTPIPE_BANNED_H
#define IOTPIPE_BANNED_H

/*
 * Include this last, after every system header, in the .c files that opt
 * in.  A banned call expands to an undeclared identifier whose name says
 * why the build broke.  Use strlcpy (common/compat.h), snprintf with a
 * truncation check, strtok_r, parse_uint_range (common/opt.h), mkstemp,
 * gmtime_r and localtime_r instead.
 */
#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef mktemp
#define mktemp(x) BANNED(mktemp)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)

#endif

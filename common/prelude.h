/* SPDX-License-Identifier: MIT */
/*
 * The first include of every .c file in common/ and cmd/ (the idea of
 * git's git-compat-util.h): the libc headers that declare what banned.h
 * forbids, then banned.h, so no file can leave it out.  The lint target
 * checks that it comes first.
 */
#ifndef IOTPIPE_PRELUDE_H
#define IOTPIPE_PRELUDE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

#endif

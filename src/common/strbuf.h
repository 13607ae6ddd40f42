/* SPDX-License-Identifier: Apache-2.0 */
/* Appending to a fixed-size string buffer without ever overrunning it. */
#ifndef ATTLS_STRBUF_H
#define ATTLS_STRBUF_H

#include <stddef.h>

#include "compiler.h"

/* Appends to the string in 'out' (capacity 'len') with snprintf semantics:
 * never overruns, keeps 'out' terminated, silently stops when full. The cause
 * and evidence lines are built this way, piece by piece. */
void strbuf_cat(char *out, size_t len, const char *fmt, ...) ATTLS_PRINTF(3, 4);

#endif

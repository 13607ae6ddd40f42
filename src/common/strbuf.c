/* SPDX-License-Identifier: Apache-2.0 */
/* strbuf_cat(): appending to a fixed-size string with snprintf semantics, for
 * cause and evidence lines. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

void
strbuf_cat(char *out, size_t len, const char *fmt, ...)
{
	size_t off = strnlen(out, len);
	va_list ap;

	if (off + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + off, len - off, fmt, ap);
	va_end(ap);
}

/* SPDX-License-Identifier: Apache-2.0 */
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

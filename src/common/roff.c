/* SPDX-License-Identifier: Apache-2.0 */
/* roff escaping for the generated man pages. */
#include "config.h"

#include "roff.h"

void
roff_text(FILE *out, const char *s)
{
	const char *start = s;

	for (; *s; s++) {
		/* A line starting with . or ' would be a request. */
		if ((*s == '.' || *s == '\'') && (s == start || s[-1] == '\n'))
			fputs("\\&", out);
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

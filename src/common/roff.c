/* SPDX-License-Identifier: Apache-2.0 */
/* roff escaping for the generated man pages. */
#include "config.h"

#include "roff.h"

void
roff_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Writing man pages (roff) from the tables that also print --help. */
#ifndef ATTLS_ROFF_H
#define ATTLS_ROFF_H

#include <stdio.h>

/* Writes 's' as roff text: backslashes and hyphens escaped, and a line that
 * starts with . or ' kept from being a request. */
void roff_text(FILE *out, const char *s);

#endif

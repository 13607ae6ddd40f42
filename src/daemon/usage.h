/* SPDX-License-Identifier: Apache-2.0 */
/* attlsd's command line as one table: getopt, --help and attlsd(8) read it. */
#ifndef ATTLS_USAGE_H
#define ATTLS_USAGE_H

#include <getopt.h>
#include <stdio.h>

/* getopt values of the options without a short letter. */
enum { USAGE_LIST_RC = 1, USAGE_LIST_KEYS, USAGE_MAN, USAGE_MAN8 };

#define USAGE_DEFAULT_POLICY "/etc/attls/policy.yaml"
#define USAGE_MAX_OPTS 24

/* Fills 'lo' (USAGE_MAX_OPTS entries) and 'shortopts' (64 bytes) for getopt_long. */
void usage_getopt(struct option *lo, char *shortopts);
/* attlsd --help */
void usage_print(FILE *out);
/* attlsd --man8: the man page attlsd(8) in roff. */
void usage_man(FILE *out);

#endif

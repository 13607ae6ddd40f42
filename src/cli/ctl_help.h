/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl's subcommands as one table: --help, help SUBCOMMAND, attlsctl(8)
 * and the bash completion all read it. */
#ifndef ATTLS_CTL_HELP_H
#define ATTLS_CTL_HELP_H

#include <stdio.h>

/* attlsctl --help: every subcommand's synopsis and summary. */
void ctl_help_usage(FILE *out);
/* attlsctl help [SUBCOMMAND | --man | --commands | --options SUBCOMMAND]. */
int ctl_help_main(int argc, char **argv);
/* "attlsctl SUBCOMMAND ... --help": prints that subcommand's help and returns
 * 1; 0 when argv asks for no help (or names no subcommand). */
int ctl_help_asked(int argc, char **argv);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Private to attlsctl: attlsctl tickets rotate FILE [--staged | --promote] [--keep N]. */
#ifndef ATTLS_CTL_TICKETS_H
#define ATTLS_CTL_TICKETS_H

/* argv[0] is "tickets". Exit status: 0 done, 1 failed, 2 usage. */
int ctl_tickets(int argc, char **argv);

#endif

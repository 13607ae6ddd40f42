/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl triage: ClientHellos in a pcap judged against a policy, offline. */
#ifndef ATTLS_CTL_TRIAGE_H
#define ATTLS_CTL_TRIAGE_H

#include <pcap/pcap.h>

#include "policy/policy.h"

/* argv[0] is "triage". Returns the exit status: 0 every hello would pass, 1
 * some would fail, 2 usage or input error. */
int ctl_triage(int argc, char **argv);

/* The same on an open capture and a loaded policy (tests/fuzz/fuzz_triage.c):
 * the report on stdout, and the exit status. */
int ctl_triage_pcap(const struct policy *p, pcap_t *pc);

#endif

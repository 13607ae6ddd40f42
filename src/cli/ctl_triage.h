/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl triage: ClientHellos in a pcap judged against a policy, offline. */
#ifndef ATTLS_CTL_TRIAGE_H
#define ATTLS_CTL_TRIAGE_H

#include <pcap/pcap.h>

#include <stdbool.h>

#include "policy/policy.h"
#include "triage_replay.h"

/* argv[0] is "triage". Returns the exit status: 0 every hello would pass, 1
 * some would fail, 2 usage or input error. */
int ctl_triage(int argc, char **argv);

/* The same on an open capture, a loaded policy and its replayer (which keeps
 * the rules' TLS contexts, so tests/fuzz/fuzz_triage.c builds them once);
 * 'lint': the keyring lint too. The report on stdout, and the exit status. */
int ctl_triage_pcap(const struct policy *p, struct triage_replay *replay, pcap_t *pc, bool lint);

#endif

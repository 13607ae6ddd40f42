/* SPDX-License-Identifier: Apache-2.0 */
/* Private to attlsctl triage: a captured ClientHello replayed against the TLS
 * context attlsd would build for the rule (tls_ctx_new), in memory, so OpenSSL
 * decides versions, suites, signature algorithms, groups and the certificate
 * exactly as the daemon would; the verdict is worded by the daemon's own
 * classifier and evidence (tls_err.c, chello.c). */
#ifndef ATTLS_TRIAGE_REPLAY_H
#define ATTLS_TRIAGE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policy/policy.h"

struct triage_replay;

/* The replayer for the rules of 'p' (which it does not own): 0, or ATTLS_ENOMEM. */
int triage_replay_new(const struct policy *p, struct triage_replay **out);
void triage_replay_free(struct triage_replay *t);

/* Replays the client's bytes 'up' (its first TLS records; after a
 * HelloRetryRequest its second hello too) against rule 'r' as of time 'ts'
 * (certificate dates). Returns 0 when the handshake would pass the server's
 * first flight, else the RC attlsd would log; 'out' says why, or what would be
 * negotiated. '*at_client': the failure is the client's refusal of what the
 * server sends (our certificate), after a ServerHello. */
int triage_replay_judge(struct triage_replay *t, const struct policy_rule *r, const uint8_t *up,
			size_t len, time_t ts, char *out, size_t olen, bool *at_client);

#endif

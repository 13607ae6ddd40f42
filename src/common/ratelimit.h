/* SPDX-License-Identifier: Apache-2.0 */
/* A log budget: at most N lines per window of seconds, counting the rest. */
#ifndef ATTLS_RATELIMIT_H
#define ATTLS_RATELIMIT_H

#include <stdatomic.h>
#include <stdbool.h>

/* One budget: a window opens with the first event after the previous one is
 * over and lasts 'len' seconds. Lock-free, so many workers may share one
 * (IP filter counters); under a lock its fields may also be read directly.
 * Zeroed is a valid, empty budget. */
struct ratelimit {
	atomic_llong start;       /* second the current window opened */
	atomic_uint count;        /* events in it, admitted or not; 0: none open */
	atomic_ullong suppressed; /* events not admitted, until taken */
};

/* The clock of attlsd's log budgets: monotonic seconds. */
long long ratelimit_now(void);
/* Counts an event at second 'now' (any clock, the same one every time) and
 * says whether its line may go out: the first 'limit' of each window may
 * (limit 0: every one), the rest are counted in 'suppressed'. */
bool ratelimit_admit(struct ratelimit *rl, long long now, unsigned len, unsigned limit);
/* The same for an event of 'n' lines that go out together or not at all: it
 * may while fewer than 'limit' were counted before it, so a window lets out
 * at most limit + n - 1 lines and an event larger than the limit still can. */
bool ratelimit_admit_n(struct ratelimit *rl, long long now, unsigned len, unsigned limit,
		       unsigned n);
/* True when the window that opened is over at 'now' (false: none open). */
bool ratelimit_over(const struct ratelimit *rl, long long now, unsigned len);
/* The suppressed count since the last call, and starts it again from 0. */
unsigned long long ratelimit_take_suppressed(struct ratelimit *rl);

#endif

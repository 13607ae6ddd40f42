/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-window log budgets shared by the IP filter log, the EZD error aggregation, the log ceiling and the event log's write warnings. */
#include "config.h"

#include <time.h>

#include "ratelimit.h"

long long
ratelimit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static bool
ratelimit_expired(long long start, unsigned count, long long now, unsigned len)
{
	/* A clock that stepped back also ends the window, as a new second would. */
	return count == 0 || now < start || now - start >= (long long)(len ? len : 1);
}

bool
ratelimit_admit(struct ratelimit *rl, long long now, unsigned len, unsigned limit)
{
	return ratelimit_admit_n(rl, now, len, limit, 1);
}

bool
ratelimit_admit_n(struct ratelimit *rl, long long now, unsigned len, unsigned limit, unsigned n)
{
	long long start = atomic_load(&rl->start);

	if (ratelimit_expired(start, atomic_load(&rl->count), now, len) &&
	    atomic_compare_exchange_strong(&rl->start, &start, now))
		atomic_store(&rl->count, 0);
	/* Racing workers may let a line or two more through at a window's edge:
	 * a budget for log volume, not an exact quota. */
	if (atomic_fetch_add(&rl->count, n) < limit || limit == 0)
		return true;
	atomic_fetch_add(&rl->suppressed, n);
	return false;
}

bool
ratelimit_over(const struct ratelimit *rl, long long now, unsigned len)
{
	unsigned count = atomic_load(&rl->count);

	return count && ratelimit_expired(atomic_load(&rl->start), count, now, len);
}

unsigned long long
ratelimit_take_suppressed(struct ratelimit *rl)
{
	return atomic_exchange(&rl->suppressed, 0);
}

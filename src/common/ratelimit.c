/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-window log budgets shared by the IP filter log and the EZD error aggregation. */
#include "config.h"

#include "ratelimit.h"

static bool
ratelimit_expired(long long start, unsigned count, long long now, unsigned len)
{
	/* A clock that stepped back also ends the window, as a new second would. */
	return count == 0 || now < start || now - start >= (long long)(len ? len : 1);
}

bool
ratelimit_admit(struct ratelimit *rl, long long now, unsigned len, unsigned limit)
{
	long long start = atomic_load(&rl->start);

	if (ratelimit_expired(start, atomic_load(&rl->count), now, len) &&
	    atomic_compare_exchange_strong(&rl->start, &start, now))
		atomic_store(&rl->count, 0);
	/* Racing workers may let a line or two more through at a window's edge:
	 * a budget for log volume, not an exact quota. */
	if (atomic_fetch_add(&rl->count, 1) < limit || limit == 0)
		return true;
	atomic_fetch_add(&rl->suppressed, 1);
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

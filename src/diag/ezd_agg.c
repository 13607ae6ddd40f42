/* SPDX-License-Identifier: Apache-2.0 */
/* Aggregation of identical connection failures: one window per key, in a fixed
 * table whose overflow is counted in catch-all windows, never by ending a live
 * window early (which would let a peer that rotates its networks log freely). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/netprefix.h"
#include "common/ratelimit.h"
#include "ezd_agg.h"

/* Keyed windows first, then catch-all windows of (rule, RC, end) for keys
 * that found the keyed part full, then one window for everything else. A
 * table of a few hundred slots: a failure scans it under one lock, which is
 * the failure path only, never a good connection's. */
#define AGG_KEYED 128
#define AGG_CATCH 32
#define AGG_SLOTS (AGG_KEYED + AGG_CATCH + 1)

struct agg_slot {
	char rule[128];
	int rc;
	char end[32];
	char net[EZD_AGG_NET];
	struct ratelimit rl; /* rl.count 0: slot free */
	unsigned window, limit; /* from the settings when it opened */
	uint32_t first_id, last_id; /* of the ones not logged */
};

static struct agg_slot tab[AGG_SLOTS];
static uint64_t last_sweep;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const struct ezd_agg_key any_key = { "*", 0, "*", "*" };

void
ezd_agg_net(const struct sockaddr *sa, unsigned prefix_v6, char net[EZD_AGG_NET])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const uint8_t *m;
	struct in6_addr a;
	char b[INET6_ADDRSTRLEN];
	unsigned bits;

	if (sa->sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		a = s6->sin6_addr;
		bits = netprefix_v6(a.s6_addr, prefix_v6);
		inet_ntop(AF_INET6, &a, b, sizeof(b));
		snprintf(net, EZD_AGG_NET, "%s/%u", b, bits);
		return;
	}
	if (sa->sa_family == AF_INET6)
		m = s6->sin6_addr.s6_addr + 12;
	else
		m = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	snprintf(net, EZD_AGG_NET, "%u.%u.%u.0/24", m[0], m[1], m[2]);
}

/* A stored field equals 's' as far as the field could hold it. */
static bool
field_eq(const char *field, size_t size, const char *s)
{
	return strncmp(field, s, size - 1) == 0;
}

static bool
slot_used(const struct agg_slot *a)
{
	return atomic_load(&a->rl.count) != 0;
}

static bool
slot_is(const struct agg_slot *a, const struct ezd_agg_key *k, const char *net)
{
	return slot_used(a) && a->rc == k->rc && field_eq(a->rule, sizeof(a->rule), k->rule) &&
	       field_eq(a->end, sizeof(a->end), k->end) && strcmp(a->net, net) == 0;
}

/* Under lock: the window of 'k' (with network 'net') in slots [lo, hi), or
 * a free slot there opened for it, or NULL when there is neither. */
static struct agg_slot *
slot_get(size_t lo, size_t hi, const struct ezd_agg_key *k, const char *net, unsigned window,
	 unsigned limit)
{
	struct agg_slot *free_slot = NULL;
	size_t i;

	for (i = lo; i < hi; i++) {
		if (slot_is(&tab[i], k, net))
			return &tab[i];
		if (!free_slot && !slot_used(&tab[i]))
			free_slot = &tab[i];
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->rule, sizeof(free_slot->rule), "%s", k->rule);
	snprintf(free_slot->end, sizeof(free_slot->end), "%s", k->end);
	snprintf(free_slot->net, sizeof(free_slot->net), "%s", net);
	free_slot->rc = k->rc;
	free_slot->window = window;
	free_slot->limit = limit;
	return free_slot;
}

static void
slot_count(const struct agg_slot *a, uint64_t now, struct ezd_agg_count *n)
{
	unsigned count = atomic_load(&a->rl.count);

	*n = (struct ezd_agg_count){
		.rule = a->rule,
		.end = a->end,
		.net = a->net,
		.rc = a->rc,
		.count = count,
		.logged = count < a->limit ? count : a->limit,
		.seconds = (unsigned)(now - (uint64_t)atomic_load(&a->rl.start)),
		.window = a->window,
		.first_id = a->first_id,
		.last_id = a->last_id,
	};
}

/* Under lock. */
static void
sweep(uint64_t now, bool all, const struct ezd_agg_out *out)
{
	struct ezd_agg_count n;
	size_t i;

	for (i = 0; i < AGG_SLOTS; i++) {
		struct agg_slot *a = &tab[i];

		if (!slot_used(a) ||
		    !(all || ratelimit_over(&a->rl, (long long)now, a->window)))
			continue;
		if (atomic_load(&a->rl.count) > a->limit) {
			slot_count(a, now, &n);
			out->end(&n);
		}
		memset(a, 0, sizeof(*a));
	}
	last_sweep = now;
}

void
ezd_agg_sweep(uint64_t now, bool all, const struct ezd_agg_out *out)
{
	pthread_mutex_lock(&lock);
	sweep(now, all, out);
	pthread_mutex_unlock(&lock);
}

bool
ezd_agg_admit(const struct ezd_agg_key *k, uint32_t connid, uint64_t now, unsigned limit,
	      unsigned window, const struct ezd_agg_out *out)
{
	struct ezd_agg_count n;
	struct agg_slot *a;
	bool ok;

	if (!limit)
		return true;
	pthread_mutex_lock(&lock);
	/* Windows end on second boundaries: one sweep a second finds them all
	 * before a failure could reopen one and lose its count. */
	if (now != last_sweep)
		sweep(now, false, out);
	if (!(a = slot_get(0, AGG_KEYED, k, k->net, window, limit)) &&
	    !(a = slot_get(AGG_KEYED, AGG_SLOTS - 1, k, "*", window, limit)))
		a = slot_get(AGG_SLOTS - 1, AGG_SLOTS, &any_key, "*", window, limit);
	ok = ratelimit_admit(&a->rl, (long long)now, a->window, a->limit);
	if (!ok) {
		if (!a->first_id)
			a->first_id = connid;
		a->last_id = connid;
		if (atomic_load(&a->rl.count) == a->limit + 1) {
			slot_count(a, now, &n);
			n.count = a->limit;
			out->start(&n);
		}
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

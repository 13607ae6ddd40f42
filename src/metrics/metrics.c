/* SPDX-License-Identifier: Apache-2.0 */
/* The counters behind /metrics: a block per worker written only by its own
 * thread (relaxed loads and stores, no locks), rule names interned once into
 * slots all workers agree on, and the policy gauges the daemon sets. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "metrics.h"
#include "metrics_int.h"
#include "tls/sesscache.h"

const unsigned metrics_bucket_ms[METRICS_BUCKETS] = { 1,   2,   5,    10,   25,   50,
						      100, 250, 500, 1000, 2500, 10000 };
const char *const metrics_refuse_names[METRICS_REFUSE_N] = { "limit", "denied", "owner_unknown",
							     "other" };

/* One writer per counter: a plain add, atomic only so the scrape may read it. */
#define CTR_ADD(c, n)                                                                      \
	atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + (n), \
			      memory_order_relaxed)

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_worker *workers;          /* under metrics_lock, never freed */
static char *slot_names[METRICS_RULES];         /* written once under metrics_lock */
static _Atomic unsigned nslots;

#define SLOT_CACHE METRICS_SLOT_CACHE

static __thread struct metrics_worker *self;

struct metrics_worker *
metrics_workers(void)
{
	struct metrics_worker *w;

	pthread_mutex_lock(&metrics_lock);
	w = workers;
	pthread_mutex_unlock(&metrics_lock);
	return w;
}

const char *
metrics_slot_name(unsigned slot)
{
	if (slot == METRICS_RULES)
		return "(other)";
	return slot < atomic_load(&nslots) ? slot_names[slot] : NULL;
}

void
metrics_worker_start(void)
{
	struct metrics_worker *w = calloc(1, sizeof(*w));

	if (!w) {
		log_warn("metrics: no memory for a worker's counters; it counts nothing");
		return;
	}
	pthread_mutex_lock(&metrics_lock);
	w->next = workers;
	workers = w;
	pthread_mutex_unlock(&metrics_lock);
	self = w;
}

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The shared slot of a name, made on first sight; METRICS_RULES when full. */
static unsigned
intern(const char *name)
{
	unsigned i, n;

	pthread_mutex_lock(&metrics_lock);
	n = atomic_load(&nslots);
	for (i = 0; i < n && strcmp(slot_names[i], name) != 0; i++)
		;
	if (i == n && n < METRICS_RULES && (slot_names[n] = strdup(name)) != NULL)
		atomic_store(&nslots, ++n);
	pthread_mutex_unlock(&metrics_lock);
	return i < n ? i : METRICS_RULES;
}

static unsigned
slot_of(const struct policy_rule *r)
{
	struct metrics_slot_cache *cache = &self->cache;
	const char *name = r ? r->name : "(none)";
	unsigned h = hash(name), i, k, slot;

	for (i = 0; i < SLOT_CACHE; i++) {
		k = (h + i) % SLOT_CACHE;
		if (!cache->name[k])
			break;
		if (strcmp(cache->name[k], name) == 0)
			return cache->slot[k];
	}
	if (i == SLOT_CACHE)
		return intern(name); /* a full cache: every lookup locks, still right */
	/* A rule beyond the slots is not cached either: it counts as "(other)". */
	if ((slot = intern(name)) != METRICS_RULES) {
		cache->slot[k] = slot;
		cache->name[k] = metrics_slot_name(slot);
	}
	return slot;
}

void
metrics_conn_accepted(const struct policy_rule *r)
{
	if (self)
		CTR_ADD(self->rules[slot_of(r)].accepted, 1);
}

void
metrics_conn_refused(const struct policy_rule *r, const char *why)
{
	unsigned k;

	if (!self)
		return;
	for (k = 0; k < METRICS_REFUSE_OTHER && strcmp(metrics_refuse_names[k], why) != 0; k++)
		;
	CTR_ADD(self->rules[slot_of(r)].refused[k], 1);
}

void
metrics_conn_closed(const struct policy_rule *r, uint64_t from_client, uint64_t from_backend)
{
	struct metrics_rule *m;

	if (!self)
		return;
	m = &self->rules[slot_of(r)];
	CTR_ADD(m->closed, 1);
	CTR_ADD(m->bytes_in, from_client);
	CTR_ADD(m->bytes_out, from_backend);
}

static void
count_rc(unsigned slot, int role, int rc)
{
	uint64_t key = (uint64_t)(slot + 1) << 24 | (uint64_t)(role & 0xff) << 16 |
		       (uint64_t)(rc & 0xffff);
	unsigned i, k, h = (unsigned)(key * 2654435761u);

	for (i = 0; i < METRICS_RC_SLOTS; i++) {
		uint64_t have;

		k = (h + i) % METRICS_RC_SLOTS;
		have = atomic_load_explicit(&self->rcs[k].key, memory_order_relaxed);
		if (have == key) {
			CTR_ADD(self->rcs[k].count, 1);
			return;
		}
		if (have == 0) {
			/* The count before the key: a scrape never sees a key without it. */
			atomic_store_explicit(&self->rcs[k].count, 1, memory_order_relaxed);
			atomic_store_explicit(&self->rcs[k].key, key, memory_order_release);
			return;
		}
	}
	CTR_ADD(self->rc_overflow, 1);
}

void
metrics_handshake(const struct policy_rule *r, SSL *ssl, int rc, uint64_t ms)
{
	enum sesscache_kind kind;
	unsigned b;
	bool hit;

	if (!self)
		return;
	count_rc(slot_of(r), r ? r->eff.role : 0, rc);
	for (b = 0; b < METRICS_BUCKETS && ms > metrics_bucket_ms[b]; b++)
		;
	CTR_ADD(self->buckets[b], 1);
	CTR_ADD(self->hs_count, 1);
	CTR_ADD(self->hs_sum_ms, ms);
	if (rc == 0 && ssl && (kind = sesscache_resumption(ssl, &hit)) != SESSCACHE_OFFERED_NONE)
		CTR_ADD(self->resumed[kind][hit], 1);
}

void
metrics_owner_lookup(enum metrics_owner what)
{
	if (self && what < METRICS_OWNER_N)
		CTR_ADD(self->owner[what], 1);
}

int
metrics_start(const char *listen)
{
	return listen && listen[0] ? httpd_start(listen) : 0;
}

void
metrics_stop(void)
{
	httpd_stop();
	expo_policy_clear();
}

void
metrics_policy_loaded(struct rt_gen *g, unsigned generation, bool ok)
{
	expo_policy_set(g, generation, ok);
}

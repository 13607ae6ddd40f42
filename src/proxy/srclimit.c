/* SPDX-License-Identifier: Apache-2.0 */
/* Per-source accounting of connections and handshakes in progress, one table
 * for all workers: SO_REUSEPORT spreads one source's connections over every
 * worker, so per-worker counts would let a source hold the limit times the
 * workers. An entry lives while its source holds a connection; memory is
 * bounded by the connections held. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/hash.h"
#include "common/netprefix.h"
#include "srclimit.h"

#define KEY_LEN 17        /* family, then the address (IPv6 masked to its prefix) */
#define SEED_LEN 16
#define BUCKETS 4096      /* a power of two */

struct srclimit_entry {
	struct srclimit_entry *next;
	unsigned char key[KEY_LEN];
	unsigned bucket;
	unsigned conns, hs;
};

static struct srclimit_entry *tab[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint hs_total;
/* Addresses are the attacker's choice: a secret seed ahead of the key keeps
 * them from picking addresses that share a bucket. */
static unsigned char seed[SEED_LEN];
static bool seeded;

static void
make_key(const struct sockaddr *sa, unsigned prefix_v6, unsigned char *k)
{
	memset(k, 0, KEY_LEN);
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k[0] = AF_INET;
			memcpy(k + 1, s6->sin6_addr.s6_addr + 12, 4);
			return;
		}
		k[0] = AF_INET6;
		memcpy(k + 1, s6->sin6_addr.s6_addr, 16);
		netprefix_v6(k + 1, prefix_v6);
		return;
	}
	k[0] = AF_INET;
	memcpy(k + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

/* Under lock. */
static unsigned
bucket_of(const unsigned char *k)
{
	unsigned char b[SEED_LEN + KEY_LEN];

	if (!seeded) {
		if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
			memset(seed, 0x5a, sizeof(seed)); /* still correct, only guessable */
		seeded = true;
	}
	memcpy(b, seed, SEED_LEN);
	memcpy(b + SEED_LEN, k, KEY_LEN);
	return (unsigned)(hash_bytes(b, sizeof(b)) & (BUCKETS - 1));
}

/* Under lock: the entry of key 'k', or NULL. */
static struct srclimit_entry *
find(const unsigned char *k, unsigned bucket)
{
	struct srclimit_entry *e;

	for (e = tab[bucket]; e; e = e->next)
		if (memcmp(e->key, k, KEY_LEN) == 0)
			return e;
	return NULL;
}

/* Under lock: unlinks and frees 'e' once its source holds nothing. */
static void
maybe_free(struct srclimit_entry *e)
{
	struct srclimit_entry **pp;

	if (e->conns)
		return;
	for (pp = &tab[e->bucket]; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	free(e);
}

/* Counts a handshake against the global limit; false (nothing counted) when
 * it is reached. */
static bool
hs_total_take(unsigned limit)
{
	unsigned n = atomic_load(&hs_total);

	do {
		if (limit && n >= limit)
			return false;
	} while (!atomic_compare_exchange_weak(&hs_total, &n, n + 1));
	return true;
}

enum srclimit_verdict
srclimit_acquire(struct srclimit_hold *h, const struct sockaddr *sa,
		 const struct srclimit_limits *l)
{
	unsigned char k[KEY_LEN];
	struct srclimit_entry *e;
	enum srclimit_verdict v = SRCLIMIT_OK;
	unsigned b;

	h->e = NULL;
	h->hs = false;
	make_key(sa, l->prefix_v6, k);
	pthread_mutex_lock(&lock);
	b = bucket_of(k);
	e = find(k, b);
	if (e && l->conns_per_source && e->conns >= l->conns_per_source)
		v = SRCLIMIT_SOURCE_CONNS;
	else if (e && l->hs_per_source && e->hs >= l->hs_per_source)
		v = SRCLIMIT_SOURCE_HS;
	else if (!hs_total_take(l->hs_total))
		v = SRCLIMIT_HS_TOTAL;
	else if (!e && !(e = calloc(1, sizeof(*e)))) {
		/* Out of memory: not counted, but not refused for it either. */
		atomic_fetch_sub(&hs_total, 1);
	} else {
		if (!e->conns) {
			memcpy(e->key, k, KEY_LEN);
			e->bucket = b;
			e->next = tab[b];
			tab[b] = e;
		}
		e->conns++;
		e->hs++;
		h->e = e;
		h->hs = true;
	}
	pthread_mutex_unlock(&lock);
	return v;
}

void
srclimit_hs_done(struct srclimit_hold *h)
{
	if (!h->e || !h->hs)
		return;
	pthread_mutex_lock(&lock);
	h->e->hs--;
	pthread_mutex_unlock(&lock);
	atomic_fetch_sub(&hs_total, 1);
	h->hs = false;
}

void
srclimit_release(struct srclimit_hold *h)
{
	if (!h->e)
		return;
	srclimit_hs_done(h);
	pthread_mutex_lock(&lock);
	h->e->conns--;
	maybe_free(h->e);
	pthread_mutex_unlock(&lock);
	h->e = NULL;
}

void
srclimit_counts(const struct sockaddr *sa, unsigned prefix_v6, unsigned *conns, unsigned *hs)
{
	unsigned char k[KEY_LEN];
	struct srclimit_entry *e;

	make_key(sa, prefix_v6, k);
	pthread_mutex_lock(&lock);
	e = find(k, bucket_of(k));
	*conns = e ? e->conns : 0;
	*hs = e ? e->hs : 0;
	pthread_mutex_unlock(&lock);
}

unsigned
srclimit_handshakes(void)
{
	return atomic_load(&hs_total);
}

void
srclimit_source_name(const struct sockaddr *sa, unsigned prefix_v6, char *out, size_t len)
{
	unsigned char k[KEY_LEN];
	char b[INET6_ADDRSTRLEN];

	make_key(sa, prefix_v6, k);
	if (k[0] == AF_INET) {
		inet_ntop(AF_INET, k + 1, b, sizeof(b));
		snprintf(out, len, "%s", b);
		return;
	}
	inet_ntop(AF_INET6, k + 1, b, sizeof(b));
	if (prefix_v6 >= 128)
		snprintf(out, len, "%s", b);
	else
		snprintf(out, len, "%s/%u", b, prefix_v6);
}

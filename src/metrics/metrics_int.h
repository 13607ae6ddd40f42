/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the metrics part: the counters as the scrape reads them. */
#ifndef ATTLS_METRICS_INT_H
#define ATTLS_METRICS_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "metrics.h"

#define METRICS_RULES 256      /* rule names with counters of their own */
#define METRICS_RC_SLOTS 1024  /* (rule, role, rc) of handshakes, per worker */
#define METRICS_BUCKETS 12     /* handshake duration histogram */

/* Upper bounds of the duration buckets, milliseconds (then +Inf). */
extern const unsigned metrics_bucket_ms[METRICS_BUCKETS];

enum { METRICS_REFUSE_LIMIT, METRICS_REFUSE_DENIED, METRICS_REFUSE_OWNER, METRICS_REFUSE_OTHER,
       METRICS_REFUSE_N };
extern const char *const metrics_refuse_names[METRICS_REFUSE_N];

/* One worker's counters for one rule slot. Written by that worker only. */
struct metrics_rule {
	atomic_uint_fast64_t accepted, closed, bytes_in, bytes_out;
	atomic_uint_fast64_t refused[METRICS_REFUSE_N];
};

/* Handshakes by (rule slot, role, rc): an open-addressed table; a key once
 * written never changes. Key 0 is free: slot + 1 in the high bits. */
struct metrics_rc {
	atomic_uint_fast64_t key; /* (slot + 1) << 24 | role << 16 | rc */
	atomic_uint_fast64_t count;
};

/* A worker's own map of rule names to slots, so the shared table is locked
 * only the first time a worker meets a rule. */
#define METRICS_SLOT_CACHE 512
struct metrics_slot_cache {
	const char *name[METRICS_SLOT_CACHE]; /* the interned name */
	unsigned slot[METRICS_SLOT_CACHE];
};

struct metrics_worker {
	struct metrics_worker *next;
	struct metrics_slot_cache cache; /* the worker's only */
	struct metrics_rule rules[METRICS_RULES + 1]; /* the last: every other rule */
	struct metrics_rc rcs[METRICS_RC_SLOTS];
	atomic_uint_fast64_t rc_overflow;
	atomic_uint_fast64_t buckets[METRICS_BUCKETS + 1];
	atomic_uint_fast64_t hs_count, hs_sum_ms;
	atomic_uint_fast64_t resumed[3][2]; /* enum sesscache_kind x miss, hit */
	atomic_uint_fast64_t owner[METRICS_OWNER_N]; /* enum metrics_owner */
};

/* The workers' blocks (never freed) and the rule names of the slots. */
struct metrics_worker *metrics_workers(void);
/* The name of a rule slot, NULL when unused; METRICS_RULES is "(other)". */
const char *metrics_slot_name(unsigned slot);

/* expo.c: the Prometheus text exposition of everything, into 'out'; the
 * policy it describes (a reference to 'g' is taken, NULL keeps the last). */
void expo_write(FILE *out);
struct rt_gen;
void expo_policy_set(struct rt_gen *g, unsigned generation, bool ok);
/* At exit: the generation and certificates are given back. */
void expo_policy_clear(void);

/* httpd.c: the HTTP server of /metrics. */
int httpd_start(const char *listen);
void httpd_stop(void);

#endif

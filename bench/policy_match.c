/* SPDX-License-Identifier: Apache-2.0 */
/* Policy matcher benchmark: generates policies of N rules, times loading them
 * (policy_parse end to end, index included) and times lookups through the
 * compiled index and through the linear scan. Built by bench/policy_match.sh.
 * Usage: policy_match [-w] [-l lookups] [-s seed] N... (default 10 1000 10000);
 * -w: the worst shape for the index, every rule All in every dimension. */
#include "config.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/diag.h"
#include "policy/policy.h"

static uint64_t rng_state = 42;
static int wide;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		if (!(b->s = realloc(b->s, b->cap))) {
			perror("realloc");
			exit(1);
		}
	}
	b->len += (size_t)n;
}

/* A service policy: rule i serves local port 10000+i on 10.(i/250).(i%250).0/24
 * (IPv6 2001:db8:i::/64 for every 8th), some limited to a client network, every
 * 10th spanning a /16 and a 16-port range (overlaps), a few catch-alls at the
 * bottom. Priorities are drawn from 1..1000, so ties go by name. */
static char *
gen_policy(unsigned n)
{
	struct sbuf b = { 0 };
	unsigned i, port;

	sb_printf(&b, "groups:\n  off: { enabled: Off }\nrules:\n");
	for (i = 0; wide && i < n; i++)
		sb_printf(&b,
			  "  any%05u:\n    priority: %u\n    direction: Inbound\n    local_port: 0\n"
			  "    group: off\n    backend: 127.0.0.1:1\n    listen: 127.0.0.1:1\n",
			  i, 1 + rnd(1000));
	for (i = 0; !wide && i < n; i++) {
		port = 10000 + i;
		sb_printf(&b, "  svc%05u:\n    priority: %u\n    direction: Inbound\n", i,
			  2 + rnd(1000));
		if (i % 10 == 9)
			sb_printf(&b, "    local_port: %u-%u\n    local_addr: 10.%u.0.0/16\n",
				  port - 15, port, i / 250);
		else if (i % 8 == 7)
			sb_printf(&b, "    local_port: %u\n    local_addr: \"2001:db8:%x::/64\"\n",
				  port, i);
		else
			sb_printf(&b, "    local_port: %u\n    local_addr: 10.%u.%u.0/24\n", port,
				  i / 250, i % 250);
		if (i % 3 == 0)
			sb_printf(&b, "    remote_addr: [172.16.%u.0/24, 192.168.0.0/16]\n", i % 256);
		sb_printf(&b, "    group: off\n    backend: 127.0.0.1:1\n    listen: 127.0.0.1:%u\n",
			  port);
	}
	for (i = 0; !wide && i < 3 && i < n; i++)
		sb_printf(&b,
			  "  zz-catchall%u:\n    priority: 1\n    direction: Inbound\n"
			  "    local_port: %s\n    group: off\n    backend: 127.0.0.1:1\n"
			  "    listen: 127.0.0.1:%u\n",
			  i, i == 0 ? "All" : i == 1 ? "1-9999" : "443", 9000 + i);
	return b.s;
}

/* 80% aimed at a random rule (inside its port and address ranges), 20% random. */
static void
gen_conn(const struct policy *p, struct policy_conn_attrs *a)
{
	const struct policy_rule *r = &p->rules[rnd((uint32_t)p->nrules)];
	unsigned i;

	memset(a, 0, sizeof(*a));
	a->direction = POLICY_DIR_INBOUND;
	a->local_port = (uint16_t)(1 + rnd(65535));
	a->remote_port = (uint16_t)(1024 + rnd(60000));
	policy_addr_from_v4(htonl(0x0a000000u | rnd(1u << 24)), a->local_addr);
	policy_addr_from_v4(htonl(0xac100000u | rnd(1u << 16)), a->remote_addr);
	if (rnd(5) == 0)
		return;
	a->local_port = (uint16_t)(r->local_port.lo + rnd(r->local_port.hi - r->local_port.lo + 1u));
	if (r->local_addr.n) {
		memcpy(a->local_addr, r->local_addr.ranges[0].lo, 16);
		for (i = 13; i < 16; i++)
			a->local_addr[i] |= (uint8_t)(rnd(256) & r->local_addr.ranges[0].hi[i]);
	}
	if (r->remote_addr.n)
		memcpy(a->remote_addr, r->remote_addr.ranges[0].lo, 16);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

struct stats {
	double median, p99, per_s;
};

typedef const struct policy_rule *match_fn(const struct policy *, const struct policy_conn_attrs *);

/* Times each lookup alone (minus the clock's own cost) for median and p99, then
 * all of them in one run for lookups/s. */
static void
run_lookups(const struct policy *p, match_fn *fn, const struct policy_conn_attrs *conns,
	    size_t n, uint64_t clock_cost, struct stats *st)
{
	uint64_t *ns = malloc(n * sizeof(*ns)), t0, t1;
	volatile uintptr_t sink = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		sink += (uintptr_t)fn(p, &conns[i]);
		t1 = now_ns();
		ns[i] = t1 - t0 > clock_cost ? t1 - t0 - clock_cost : 0;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	st->median = (double)ns[n / 2];
	st->p99 = (double)ns[n * 99 / 100];
	t0 = now_ns();
	for (i = 0; i < n; i++)
		sink += (uintptr_t)fn(p, &conns[i]);
	st->per_s = (double)n * 1e9 / (double)(now_ns() - t0);
	free(ns);
	(void)sink;
}

static uint64_t
clock_cost_ns(void)
{
	uint64_t v[1001], t0;
	int i;

	for (i = 0; i < 1001; i++) {
		t0 = now_ns();
		v[i] = now_ns() - t0;
	}
	qsort(v, 1001, sizeof(*v), cmp_u64);
	return v[500];
}

static struct policy *
load(const char *text, double *ms)
{
	struct diag_list dl;
	struct policy *p = NULL;
	uint64_t t0;

	diag_list_init(&dl);
	t0 = now_ns();
	if (policy_parse("bench.yaml", text, strlen(text), NULL, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		exit(1);
	}
	*ms = (double)(now_ns() - t0) / 1e6;
	diag_list_cleanup(&dl);
	return p;
}

/* Live heap bytes, counted by wrapping the allocator (policy_match.sh links with
 * -Wl,--wrap=malloc,...); exact for code in libattls_policy.a, which is all
 * policy_index_build() runs. mallinfo2() is not: it also counts free chunks. */
static long long live_bytes;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *
__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);

	live_bytes += p ? (long long)malloc_usable_size(p) : 0;
	return p;
}

void *
__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);

	live_bytes += p ? (long long)malloc_usable_size(p) : 0;
	return p;
}

void *
__wrap_realloc(void *p, size_t n)
{
	long long old = p ? (long long)malloc_usable_size(p) : 0;
	void *q = __real_realloc(p, n);

	if (q || n == 0)
		live_bytes += (q ? (long long)malloc_usable_size(q) : 0) - old;
	return q;
}

void
__wrap_free(void *p)
{
	live_bytes -= p ? (long long)malloc_usable_size(p) : 0;
	__real_free(p);
}

/* Heap bytes and time of one more index build for p (the policy keeps its own). */
static void
index_cost(const struct policy *p, size_t *bytes, double *ms)
{
	struct policy_index *ix;
	long long before = live_bytes;
	uint64_t t0 = now_ns();

	if (policy_index_build(p, &ix) != 0) {
		fprintf(stderr, "policy_index_build failed\n");
		exit(1);
	}
	*ms = (double)(now_ns() - t0) / 1e6;
	*bytes = (size_t)(live_bytes - before);
	policy_index_free(ix);
}

static void
bench(unsigned nrules, size_t nlookups, uint64_t clock_cost)
{
	char *text = gen_policy(nrules);
	struct policy_conn_attrs *conns = malloc(nlookups * sizeof(*conns));
	struct stats six, slin;
	struct policy *p;
	double load_ms, ix_ms;
	size_t i, nlin, ix_bytes, mismatches = 0;

	p = load(text, &load_ms);
	index_cost(p, &ix_bytes, &ix_ms);
	for (i = 0; i < nlookups; i++) {
		gen_conn(p, &conns[i]);
		mismatches += policy_match(p, &conns[i]) != policy_match_linear(p, &conns[i]);
	}
	/* The linear scan gets fewer lookups on big policies to keep the run short. */
	nlin = nrules > 1000 ? nlookups / 10 : nlookups;
	run_lookups(p, policy_match, conns, nlookups, clock_cost, &six);
	run_lookups(p, policy_match_linear, conns, nlin, clock_cost, &slin);
	printf("rules=%-6zu load+compile=%8.2f ms (index %6.2f ms, %7.1f KiB)  mismatches=%zu\n",
	       p->nrules, load_ms, ix_ms, (double)ix_bytes / 1024, mismatches);
	printf("  index : median %7.0f ns  p99 %7.0f ns  %12.0f lookups/s\n", six.median, six.p99,
	       six.per_s);
	printf("  linear: median %7.0f ns  p99 %7.0f ns  %12.0f lookups/s\n", slin.median,
	       slin.p99, slin.per_s);
	printf("  speedup (lookups/s index/linear): %.1fx\n", six.per_s / slin.per_s);
	policy_unref(p);
	free(conns);
	free(text);
}

int
main(int argc, char **argv)
{
	static const unsigned dflt[] = { 10, 1000, 10000 };
	size_t nlookups = 200000;
	uint64_t clock_cost;
	int c, i;

	while ((c = getopt(argc, argv, "l:s:w")) != -1) {
		if (c == 'w')
			wide = 1;
		else if (c == 'l')
			nlookups = strtoul(optarg, NULL, 10);
		else if (c == 's')
			rng_state = strtoull(optarg, NULL, 10) | 1;
		else
			return 2;
	}
	if (nlookups < 100)
		nlookups = 100;
	clock_cost = clock_cost_ns();
	printf("clock_gettime cost %llu ns (subtracted from each timed lookup)\n",
	       (unsigned long long)clock_cost);
	if (optind == argc)
		for (i = 0; i < 3; i++)
			bench(dflt[i], nlookups, clock_cost);
	for (i = optind; i < argc; i++)
		bench((unsigned)strtoul(argv[i], NULL, 10), nlookups, clock_cost);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Accept-time IP filter decision cost with 10, 1,000 and 10,000 filters: load
 * and compile time, and median / p99 ns per decision through the compiled
 * lookup and through the linear scan. The filters are realistic: distinct
 * source prefixes and destination ports, some ranges, a few time windows, and
 * a catch-all deny near the end. Target: median under 1 us at 10,000. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/diag.h"
#include "policy/policy.h"

static unsigned long long rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static char *
gen(unsigned n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned i;

	fputs("groups:\n  off: { enabled: Off }\n"
	      "time_conditions:\n  office: { days_of_week: Mon-Fri, time_of_day: '07:00-19:00' }\n"
	      "rules:\n  r: { priority: 1, direction: Inbound, local_port: 1, listen: '127.0.0.1:1',"
	      " group: off, backend: '127.0.0.1:2' }\nfilters:\n",
	      f);
	for (i = 0; i < n; i++) {
		fprintf(f, "  f%u: { action: %s, source: 10.%u.%u.0/24", i, rnd(3) ? "permit" : "deny",
			i / 256 % 256, i % 256);
		if (rnd(2))
			fprintf(f, ", destination_port: %u", 1000 + rnd(5000));
		if (rnd(4) == 0)
			fprintf(f, ", source_port: 1024-65535");
		if (rnd(20) == 0)
			fprintf(f, ", time_condition: office");
		fputs(" }\n", f);
		if (i == n - n / 50 - 1)
			fputs("  scanners: { action: deny, source: 203.0.113.0/24 }\n", f);
	}
	fclose(f);
	return text;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
measure(const struct policy *p, bool linear, unsigned lookups, double *median, double *p99)
{
	double *t = malloc(lookups * sizeof(*t));
	volatile uintptr_t sink = 0;
	unsigned i, batch = 16;

	for (i = 0; i < lookups; i++) {
		struct policy_conn_attrs a;
		double t0;
		unsigned k;

		memset(&a, 0, sizeof(a));
		a.direction = POLICY_DIR_INBOUND;
		a.now = 1748858400; /* a Monday, 10:00 UTC */
		policy_addr_from_v4(htonl(0x7f000001), a.local_addr);
		policy_addr_from_v4(htonl(0x0a000000u | rnd(1 << 16) << 8 | rnd(256)), a.remote_addr);
		a.local_port = (uint16_t)(1000 + rnd(5000));
		a.remote_port = (uint16_t)(1024 + rnd(60000));
		/* A batch per sample: clock_gettime costs about as much as a lookup. */
		t0 = now_ns();
		for (k = 0; k < batch; k++)
			sink += (uintptr_t)(linear ? policy_filter_match_linear(p, &a)
						   : policy_filter_match(p, &a));
		t[i] = (now_ns() - t0) / batch;
	}
	qsort(t, lookups, sizeof(*t), cmp_double);
	*median = t[lookups / 2];
	*p99 = t[lookups * 99 / 100];
	free(t);
	(void)sink;
}

int
main(int argc, char **argv)
{
	static const unsigned sizes[] = { 10, 1000, 10000 };
	unsigned lookups = argc > 1 ? (unsigned)atoi(argv[1]) : 20000, i;

	printf("%8s %12s %14s %12s %14s %12s %8s\n", "filters", "load+compile", "index median",
	       "index p99", "linear median", "linear p99", "speedup");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *text = gen(sizes[i]);
		struct diag_list dl;
		struct policy *p = NULL;
		double t0, load, m1, q1, m2, q2;

		diag_list_init(&dl);
		t0 = now_ns();
		if (policy_parse("bench.yaml", text, strlen(text), NULL, &p, &dl) != 0) {
			diag_print(&dl, stderr);
			return 1;
		}
		load = (now_ns() - t0) / 1e6;
		measure(p, false, lookups, &m1, &q1);
		measure(p, true, sizes[i] > 1000 ? lookups / 10 : lookups, &m2, &q2);
		printf("%8zu %9.1f ms %11.0f ns %9.0f ns %11.0f ns %9.0f ns %7.0fx\n", p->nfilters,
		       load, m1, q1, m2, q2, m2 / m1);
		policy_unref(p);
		diag_list_cleanup(&dl);
		free(text);
	}
	return 0;
}

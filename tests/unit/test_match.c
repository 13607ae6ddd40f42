/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the compiled matcher (index.c): it must pick exactly the rule the
 * linear scan picks, on hand-written cases and on random policies. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "policy/diag.h"
#include "policy/policy.h"

/* Every rule is clear text (group "off") and names its listener, so any mix of
 * conditions loads. */
#define HEAD                          \
	"groups:\n"                   \
	"  off: { enabled: Off }\n"   \
	"time_conditions:\n"          \
	"  day: { time_of_day: \"08:00-17:59\", time_zone: UTC }\n" \
	"  past: { period: \"20000101000000:20000102000000\", time_zone: UTC }\n" \
	"ports:\n"                    \
	"  lowp: [1-5, 9, 12-14]\n"   \
	"  edgep: [65534, 30-35, lowp]\n" \
	"rules:\n"
#define TAIL "    group: off\n    backend: 127.0.0.1:1\n    listen: 127.0.0.1:1\n"
/* One rule in flow style: R("web", "priority: 5, direction: Inbound"). */
#define R(name, conds) \
	"  " name ": { " conds ", group: off, backend: 127.0.0.1:1, listen: 127.0.0.1:1 }\n"

struct fixture {
	struct diag_list dl;
	struct policy *p;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	diag_list_init(&f->dl);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	policy_unref(f->p);
	diag_list_cleanup(&f->dl);
	free(f);
	return 0;
}

/* Parses 'text', printing the diagnostics if it fails; the policy must have an index. */
static void
parse(struct fixture *f, const char *text)
{
	int r;

	policy_unref(f->p);
	f->p = NULL;
	diag_list_cleanup(&f->dl);
	diag_list_init(&f->dl);
	r = policy_parse("t.yaml", text, strlen(text), NULL, &f->p, &f->dl);
	if (r != 0)
		diag_print(&f->dl, stderr);
	assert_int_equal(r, 0);
	assert_non_null(f->p->index);
}

static void
addr(uint8_t out[16], const char *s)
{
	struct policy_addr_range r;

	assert_int_equal(policy_addr_parse(s, &r), 0);
	memcpy(out, r.lo, 16);
}

static void
attrs(struct policy_conn_attrs *a, int dir, const char *local, uint16_t lport,
      const char *remote, uint16_t rport)
{
	memset(a, 0, sizeof(*a));
	addr(a->local_addr, local);
	addr(a->remote_addr, remote);
	a->local_port = lport;
	a->remote_port = rport;
	a->direction = dir;
}

/* The name of the rule both matchers pick ("-" for none), after checking they agree. */
static const char *
match(const struct policy *p, const struct policy_conn_attrs *a)
{
	const struct policy_rule *r = policy_match(p, a);

	assert_ptr_equal(r, policy_match_linear(p, a));
	return r ? r->name : "-";
}

static void
test_match_ties_go_by_name(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	parse(f, HEAD R("zeta", "priority: 5, direction: Inbound, local_port: 80")
		      R("beta", "priority: 5, direction: Inbound, local_port: 80")
		      R("alpha", "priority: 4, direction: Inbound, local_port: 80")
		      R("omega", "priority: 6, direction: Inbound, local_port: 81"));
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 80, "10.0.0.2", 5000);
	assert_string_equal(match(f->p, &a), "beta");
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 81, "10.0.0.2", 5000);
	assert_string_equal(match(f->p, &a), "omega");
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 82, "10.0.0.2", 5000);
	assert_string_equal(match(f->p, &a), "-");
}

static void
test_match_all_ranges_match_everything(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	parse(f, HEAD R("port0", "priority: 3, direction: Both, local_port: 0")
		      R("anyaddr", "priority: 4, direction: Both, remote_addr: All, remote_port: All")
		      R("v6all", "priority: 5, direction: Both, local_addr: \"::/0\"")
		      R("narrow", "priority: 9, direction: Both, local_port: 443, remote_port: 65535"));
	attrs(&a, POLICY_DIR_INBOUND, "0.0.0.0", 0, "255.255.255.255", 65535);
	/* ::/0 holds the IPv4-mapped addresses too. */
	assert_string_equal(match(f->p, &a), "v6all");
	attrs(&a, POLICY_DIR_OUTBOUND, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 443, "::", 65535);
	assert_string_equal(match(f->p, &a), "narrow");
	attrs(&a, POLICY_DIR_OUTBOUND, "::", 65535, "::", 0);
	assert_string_equal(match(f->p, &a), "v6all");
}

static void
test_match_ipv6_prefixes_and_ranges(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	parse(f, HEAD R("net", "priority: 1, direction: Inbound, remote_addr: \"2001:db8::/32\"")
		      R("sub", "priority: 2, direction: Inbound, remote_addr: \"2001:db8:1::/48\"")
		      R("rng", "priority: 3, direction: Inbound, remote_addr: [\"2001:db8:1::10-2001:db8:1::20\", 10.0.0.1]")
		      R("v4", "priority: 4, direction: Inbound, remote_addr: 10.0.0.0/8, local_port: 7"));
	attrs(&a, POLICY_DIR_INBOUND, "::1", 7, "2001:db8:1::10", 1);
	assert_string_equal(match(f->p, &a), "rng");
	attrs(&a, POLICY_DIR_INBOUND, "::1", 7, "2001:db8:1::21", 1);
	assert_string_equal(match(f->p, &a), "sub");
	attrs(&a, POLICY_DIR_INBOUND, "::1", 7, "2001:db8:2::", 1);
	assert_string_equal(match(f->p, &a), "net");
	attrs(&a, POLICY_DIR_INBOUND, "::1", 7, "2001:db9::", 1);
	assert_string_equal(match(f->p, &a), "-");
	attrs(&a, POLICY_DIR_INBOUND, "::1", 7, "10.0.0.1", 1);
	assert_string_equal(match(f->p, &a), "v4");
	attrs(&a, POLICY_DIR_INBOUND, "::1", 8, "10.0.0.1", 1);
	assert_string_equal(match(f->p, &a), "rng");
}

static void
test_match_direction_both(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	/* Outbound rules do not load yet (no transparent interception); Both does. */
	parse(f, HEAD R("in", "priority: 3, direction: Inbound, local_port: 80")
		      R("both", "priority: 1, direction: Both, local_port: 80"));
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 80, "10.0.0.2", 1);
	assert_string_equal(match(f->p, &a), "in");
	a.direction = POLICY_DIR_OUTBOUND;
	assert_string_equal(match(f->p, &a), "both");
	a.direction = POLICY_DIR_BOTH;
	assert_string_equal(match(f->p, &a), "in");
	a.direction = 0;
	assert_string_equal(match(f->p, &a), "-");
}

static void
test_match_time_condition_falls_through(void **state)
{
	struct fixture *f = *state;
	struct policy_conn_attrs a;

	parse(f, HEAD R("old", "priority: 9, direction: Inbound, local_port: 80, time_condition: past")
		      R("day", "priority: 8, direction: Inbound, local_port: 80, time_condition: day")
		      R("any", "priority: 1, direction: Inbound, local_port: 80"));
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 80, "10.0.0.2", 1);
	assert_string_equal(match(f->p, &a), "old"); /* now == 0: time is not checked */
	a.now = 1718445600; /* 2024-06-15 10:00 UTC */
	assert_string_equal(match(f->p, &a), "day");
	a.now = 1718488800; /* 22:00 UTC */
	assert_string_equal(match(f->p, &a), "any");
}

/* ---- random policies ---- */

struct rng {
	uint64_t s;
};

static uint32_t
rnd(struct rng *g, uint32_t n)
{
	/* xorshift64*: fixed seed, same cases on every run and platform. */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

struct sbuf {
	char *s;
	size_t len, cap;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...) ATTLS_PRINTF(2, 3);

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Ports from a small universe (plus the extremes) so that rules overlap. */
static uint16_t
rnd_port(struct rng *g)
{
	static const uint16_t edge[] = { 0, 1, 65534, 65535 };

	return rnd(g, 8) == 0 ? edge[rnd(g, 4)] : (uint16_t)(1 + rnd(g, 40));
}

/* A list of ports, ranges and the port sets of HEAD: several ranges per rule. */
static void
gen_port_list(struct rng *g, struct sbuf *b, const char *key)
{
	static const char *const sets[] = { "lowp", "edgep" };
	unsigned i, n = 2 + rnd(g, 3);

	sb_printf(b, "    %s: [", key);
	for (i = 0; i < n; i++) {
		uint16_t lo = rnd_port(g), hi = rnd_port(g);

		sb_printf(b, "%s", i ? ", " : "");
		if (rnd(g, 4) == 0)
			sb_printf(b, "%s", sets[rnd(g, 2)]);
		else if (rnd(g, 2))
			sb_printf(b, "%u", lo ? lo : 2);
		else
			sb_printf(b, "%u-%u", lo < hi ? lo : hi, lo < hi ? hi : lo);
	}
	sb_printf(b, "]\n");
}

static void
gen_ports(struct rng *g, struct sbuf *b, const char *key)
{
	uint16_t lo = rnd_port(g), hi = rnd_port(g), t;

	if (rnd(g, 4) == 0) {
		gen_port_list(g, b, key);
		return;
	}
	switch (rnd(g, 5)) {
	case 0:
		sb_printf(b, "    %s: %s\n", key, rnd(g, 2) ? "0" : "All");
		break;
	case 1:
	case 2:
		sb_printf(b, "    %s: %u\n", key, lo ? lo : 1);
		break;
	default:
		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		sb_printf(b, "    %s: %u-%u\n", key, lo, hi);
	}
}

/* An address near the others: 10.0.x.y, 2001:db8:x::y, or an extreme. */
static void
rnd_addr(struct rng *g, char *buf, size_t len)
{
	static const char *edge[] = { "0.0.0.0", "255.255.255.255", "::", "::1",
				      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "192.168.1.1" };

	switch (rnd(g, 8)) {
	case 0:
		snprintf(buf, len, "%s", edge[rnd(g, 6)]);
		break;
	case 1:
	case 2:
	case 3:
		snprintf(buf, len, "2001:db8:%x::%x", rnd(g, 4), rnd(g, 40));
		break;
	default:
		snprintf(buf, len, "10.0.%u.%u", rnd(g, 4), rnd(g, 40));
	}
}

/* "x-y" with an address y of x's family, low end first. */
static void
gen_addr_range(struct rng *g, struct sbuf *b, const char *x)
{
	struct policy_addr_range rx, ry;
	char y[64];

	do
		rnd_addr(g, y, sizeof(y));
	while (!strchr(x, ':') != !strchr(y, ':'));
	assert_int_equal(policy_addr_parse(x, &rx), 0);
	assert_int_equal(policy_addr_parse(y, &ry), 0);
	if (memcmp(rx.lo, ry.lo, 16) > 0)
		sb_printf(b, "\"%s-%s\"", y, x);
	else
		sb_printf(b, "\"%s-%s\"", x, y);
}

/* An address, a prefix of any length (0 included) or a range. */
static void
gen_addr_item(struct rng *g, struct sbuf *b)
{
	static const unsigned v4len[] = { 0, 8, 16, 24, 28, 30, 32 };
	static const unsigned v6len[] = { 0, 32, 48, 64, 120, 124, 128 };
	char x[64];

	rnd_addr(g, x, sizeof(x));
	switch (rnd(g, 3)) {
	case 0:
		sb_printf(b, "\"%s\"", x);
		break;
	case 1:
		sb_printf(b, "\"%s/%u\"", x, strchr(x, ':') ? v6len[rnd(g, 7)] : v4len[rnd(g, 7)]);
		break;
	default:
		gen_addr_range(g, b, x);
	}
}

static void
gen_addrs(struct rng *g, struct sbuf *b, const char *key)
{
	unsigned i, n = 1 + rnd(g, 3);

	if (rnd(g, 6) == 0) {
		sb_printf(b, "    %s: All\n", key);
		return;
	}
	sb_printf(b, "    %s: [", key);
	for (i = 0; i < n; i++) {
		if (i)
			sb_printf(b, ", ");
		gen_addr_item(g, b);
	}
	sb_printf(b, "]\n");
}

static void
gen_rule(struct rng *g, struct sbuf *b, unsigned i)
{
	/* Outbound rules are refused at load (no transparent interception yet). */
	static const char *dirs[] = { "Inbound", "Both" };
	unsigned mask;

	/* Random letters first, so that name order and generation order differ. */
	sb_printf(b, "  %c%c%u:\n    priority: %u\n    direction: %s\n", 'a' + rnd(g, 3),
		  'a' + rnd(g, 3), i, rnd(g, 4) ? 1 + rnd(g, 6) : 1 + rnd(g, 2000000000),
		  dirs[rnd(g, 2)]);
	mask = 1 + rnd(g, 15); /* at least one condition */
	if (mask & 1)
		gen_ports(g, b, "local_port");
	if (mask & 2)
		gen_ports(g, b, "remote_port");
	if (mask & 4)
		gen_addrs(g, b, "local_addr");
	if (mask & 8)
		gen_addrs(g, b, "remote_addr");
	if (rnd(g, 10) == 0)
		sb_printf(b, "    time_condition: %s\n", rnd(g, 2) ? "day" : "past");
	sb_printf(b, TAIL);
}

static void
rnd_conn(struct rng *g, struct policy_conn_attrs *a)
{
	char buf[64];

	memset(a, 0, sizeof(*a));
	rnd_addr(g, buf, sizeof(buf));
	addr(a->local_addr, buf);
	rnd_addr(g, buf, sizeof(buf));
	addr(a->remote_addr, buf);
	a->local_port = rnd_port(g);
	a->remote_port = rnd_port(g);
	a->direction = (int)rnd(g, 4); /* 0 and Both as well */
	/* Half ignore time; the rest fall inside and outside "day" (2024-06-15). */
	a->now = rnd(g, 2) ? 0 : (time_t)(1718409600 + rnd(g, 86400));
}

/* Runs 'conns' random connections against one random policy of 'nrules' rules;
 * returns how many matched some rule. */
static unsigned
check_random_policy(struct fixture *f, struct rng *g, unsigned nrules, unsigned conns)
{
	struct sbuf b = { 0 };
	struct policy_conn_attrs a;
	unsigned i, hits = 0;

	sb_printf(&b, HEAD);
	for (i = 0; i < nrules; i++)
		gen_rule(g, &b, i);
	parse(f, b.s);
	free(b.s);
	for (i = 0; i < conns; i++) {
		rnd_conn(g, &a);
		if (strcmp(match(f->p, &a), "-") != 0)
			hits++;
	}
	return hits;
}

static unsigned
scale(void)
{
	const char *s = getenv("ATTLS_TEST_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? (unsigned)v : 1;
}

static void
test_match_index_equals_linear_on_random_policies(void **state)
{
	struct fixture *f = *state;
	struct rng g = { 0x9e3779b97f4a7c15ULL };
	unsigned i, k = scale(), hits = 0, total = 0;

	for (i = 0; i < 60 * k; i++, total += 300)
		hits += check_random_policy(f, &g, 1 + rnd(&g, 60), 300);
	/* A few larger ones, for deeper trees and longer candidate lists. */
	for (i = 0; i < 3 * k; i++, total += 2000)
		hits += check_random_policy(f, &g, 400, 2000);
	/* The generator is meant to make both outcomes common. */
	assert_true(hits > total / 5 && hits < total - total / 5);
}

/* Port lists and sets: policy_ports_contain() (which the linear scan uses)
 * against a bitmap of every port the generated list names. */
static void
test_match_port_lists_against_bitmap(void **state)
{
	struct fixture *f = *state;
	struct rng g = { 0x243f6a8885a308d3ULL };
	static uint8_t want[65536];
	unsigned i, k, port, n, multi = 0;

	for (i = 0; i < 300; i++) {
		struct sbuf b = { 0 };

		memset(want, 0, sizeof(want));
		/* lowp and edgep of HEAD, written out. */
		if (i % 3 == 0) {
			for (port = 1; port <= 5; port++)
				want[port] = 1;
			want[9] = want[12] = want[13] = want[14] = 1;
		}
		if (i % 5 == 0) {
			for (port = 30; port <= 35; port++)
				want[port] = 1;
			want[65534] = want[1] = want[2] = want[3] = want[4] = want[5] = want[9] = 1;
			want[12] = want[13] = want[14] = 1;
		}
		sb_printf(&b, HEAD "  r:\n    priority: 1\n    direction: Inbound\n"
				   "    local_port: [");
		sb_printf(&b, "%s%s", i % 3 == 0 ? "lowp, " : "", i % 5 == 0 ? "edgep, " : "");
		n = 1 + rnd(&g, 6);
		for (k = 0; k < n; k++) {
			unsigned lo = rnd(&g, 8) == 0 ? 65535 - rnd(&g, 3) : 1 + rnd(&g, 200);
			unsigned hi = rnd(&g, 2) ? lo : lo + rnd(&g, 65535 - lo + 1 > 50 ? 50 : 65535 - lo + 1);

			sb_printf(&b, "%s%u-%u", k ? ", " : "", lo, hi);
			for (port = lo; port <= hi; port++)
				want[port] = 1;
		}
		sb_printf(&b, "]\n" TAIL);
		parse(f, b.s);
		free(b.s);
		multi += policy_ports_count(&f->p->rules[0].local_port) > 1;
		for (port = 0; port <= 65535; port++)
			if (policy_ports_contain(&f->p->rules[0].local_port, (uint16_t)port) !=
			    (want[port] != 0)) {
				fprintf(stderr, "case %u: port %u\n", i, port);
				fail();
			}
	}
	assert_true(multi > 100); /* most lists stay several ranges after merging */
}

/* Rules that are All everywhere share one candidate list: still exact. */
static void
test_match_wide_rules_stay_exact(void **state)
{
	struct fixture *f = *state;
	struct sbuf b = { 0 };
	struct policy_conn_attrs a;
	unsigned i;

	sb_printf(&b, HEAD);
	for (i = 0; i < 1000; i++)
		sb_printf(&b, R("w%04u", "priority: 5, direction: Inbound, local_port: 0%s"),
			  i, i < 999 ? ", time_condition: past" : "");
	parse(f, b.s);
	free(b.s);
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 80, "10.0.0.2", 1);
	assert_string_equal(match(f->p, &a), "w0000");
	a.now = 1718445600;
	assert_string_equal(match(f->p, &a), "w0999");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_match_ties_go_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_all_ranges_match_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_match_ipv6_prefixes_and_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_direction_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_time_condition_falls_through, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_match_index_equals_linear_on_random_policies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_wide_rules_stay_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_port_lists_against_bitmap, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}

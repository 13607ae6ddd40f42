/* SPDX-License-Identifier: Apache-2.0 */
/* IP filter rules: first match in file order, source/destination by direction,
 * time conditions, and the compiled lookup against the linear scan. */
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

#define HEAD "groups:\n  off: { enabled: Off }\n" \
	     "rules:\n  r: { priority: 1, direction: Both, local_port: 1, listen: '127.0.0.1:1'," \
	     " group: off, backend: '127.0.0.1:2' }\n"

static struct policy *
load(const char *text)
{
	struct diag_list dl;
	struct policy *p = NULL;

	diag_list_init(&dl);
	if (policy_parse("t.yaml", text, strlen(text), NULL, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		fail_msg("policy did not load");
	}
	diag_list_cleanup(&dl);
	return p;
}

static void
attrs(struct policy_conn_attrs *a, int dir, const char *local, uint16_t lport, const char *remote,
      uint16_t rport)
{
	struct policy_addr_range r;

	memset(a, 0, sizeof(*a));
	a->direction = dir;
	assert_int_equal(policy_addr_parse(local, &r), 0);
	memcpy(a->local_addr, r.lo, 16);
	assert_int_equal(policy_addr_parse(remote, &r), 0);
	memcpy(a->remote_addr, r.lo, 16);
	a->local_port = lport;
	a->remote_port = rport;
}

static const char *
name_of(const struct policy *p, const struct policy_conn_attrs *a)
{
	const struct policy_filter *f = policy_filter_match(p, a);

	assert_ptr_equal(f, policy_filter_match_linear(p, a));
	return f ? f->name : "(implicit deny)";
}

static void
test_filter_first_match_and_direction(void **state)
{
	struct policy *p;
	struct policy_conn_attrs a;

	(void)state;
	p = load(HEAD "filters:\n"
		      "  deny-lab: { action: deny, source: 10.9.0.0/16 }\n"
		      "  web-in: { action: permit, source: 10.0.0.0/8, destination_port: 443 }\n"
		      "  out-db: { action: permit, direction: Outbound, destination: 10.1.1.1,"
		      " destination_port: 5432 }\n"
		      "  both-ssh: { action: permit, direction: Both, source: 192.168.0.0/24 }\n");
	/* Inbound: the source is the remote end, the destination our local address. */
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 443, "10.9.1.1", 40000);
	assert_string_equal(name_of(p, &a), "deny-lab");
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 443, "10.8.1.1", 40000);
	assert_string_equal(name_of(p, &a), "web-in");
	attrs(&a, POLICY_DIR_INBOUND, "10.0.0.1", 444, "10.8.1.1", 40000);
	assert_string_equal(name_of(p, &a), "(implicit deny)");
	/* Outbound: the source is our local end. */
	attrs(&a, POLICY_DIR_OUTBOUND, "10.0.0.1", 40000, "10.1.1.1", 5432);
	assert_string_equal(name_of(p, &a), "out-db");
	attrs(&a, POLICY_DIR_INBOUND, "10.1.1.1", 5432, "10.0.0.1", 40000);
	assert_string_equal(name_of(p, &a), "(implicit deny)");
	/* Both: the source side follows the direction. */
	attrs(&a, POLICY_DIR_OUTBOUND, "192.168.0.9", 40000, "172.16.0.1", 22);
	assert_string_equal(name_of(p, &a), "both-ssh");
	attrs(&a, POLICY_DIR_INBOUND, "172.16.0.1", 22, "192.168.0.9", 40000);
	assert_string_equal(name_of(p, &a), "both-ssh");
	policy_unref(p);
}

static void
test_filter_time_window(void **state)
{
	struct policy *p;
	struct policy_conn_attrs a;

	(void)state;
	p = load(HEAD "time_conditions:\n"
		      "  office: { days_of_week: Mon-Fri, time_of_day: '07:00-19:00', time_zone: UTC }\n"
		      "filters:\n"
		      "  partners: { action: permit, source: 198.51.100.0/24, time_condition: office }\n");
	attrs(&a, POLICY_DIR_INBOUND, "127.0.0.1", 8765, "198.51.100.7", 40000);
	a.now = 1748858400; /* Monday 2025-06-02 10:00 UTC */
	assert_string_equal(name_of(p, &a), "partners");
	a.now = 1748905200; /* Monday 23:00 UTC */
	assert_string_equal(name_of(p, &a), "(implicit deny)");
	a.now = 1749290400; /* Saturday 10:00 UTC */
	assert_string_equal(name_of(p, &a), "(implicit deny)");
	policy_unref(p);
}

static unsigned long long rng = 0x2545F4914F6CDD1Dull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void
put_addr(FILE *f, const char *key)
{
	switch (rnd(5)) {
	case 0:
		return; /* All */
	case 1:
		fprintf(f, ", %s: 10.%u.%u.%u", key, rnd(4), rnd(4), rnd(4));
		return;
	case 2:
		fprintf(f, ", %s: 10.%u.0.0/16", key, rnd(4));
		return;
	case 3:
		fprintf(f, ", %s: '2001:db8::%x/126'", key, rnd(16) * 4);
		return;
	default: {
		unsigned b = rnd(4);
		fprintf(f, ", %s: [10.%u.%u.0/24, 10.%u.0.0-10.%u.3.255]", key, rnd(4), rnd(4), b, b);
	}
	}
}

static void
put_port(FILE *f, const char *key)
{
	unsigned lo = 1 + rnd(20);

	if (rnd(3) == 0)
		return;
	if (rnd(2))
		fprintf(f, ", %s: %u", key, lo);
	else
		fprintf(f, ", %s: %u-%u", key, lo, lo + rnd(10));
}

static void
addr_point(char *buf, size_t len)
{
	if (rnd(4) == 0)
		snprintf(buf, len, "2001:db8::%x", rnd(70));
	else
		snprintf(buf, len, "10.%u.%u.%u", rnd(4), rnd(4), rnd(4));
}

/* Random filter sets: the compiled lookup must agree with the scan, always. */
static void
test_filter_index_matches_linear(void **state)
{
	static const char *const dirs[] = { "Inbound", "Outbound", "Both" };
	unsigned round, i, k, matched = 0, total = 0;

	(void)state;
	for (round = 0; round < 40; round++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		unsigned n = 1 + rnd(round < 35 ? 40 : 400);
		struct policy *p;

		fputs(HEAD "filters:\n", f);
		for (i = 0; i < n; i++) {
			fprintf(f, "  f%u: { action: %s, direction: %s", i, rnd(2) ? "permit" : "deny",
				dirs[rnd(3)]);
			put_addr(f, "source");
			put_addr(f, "destination");
			put_port(f, "source_port");
			put_port(f, "destination_port");
			fputs(" }\n", f);
		}
		fclose(f);
		p = load(text);
		assert_non_null(p->fview);
		for (k = 0; k < 400; k++) {
			struct policy_conn_attrs a;
			char l[64], r[64];
			const struct policy_filter *x;

			addr_point(l, sizeof(l));
			addr_point(r, sizeof(r));
			if ((strchr(l, ':') != NULL) != (strchr(r, ':') != NULL))
				continue;
			attrs(&a, rnd(2) ? POLICY_DIR_INBOUND : POLICY_DIR_OUTBOUND, l,
			      (uint16_t)(1 + rnd(32)), r, (uint16_t)(1 + rnd(32)));
			x = policy_filter_match(p, &a);
			assert_ptr_equal(x, policy_filter_match_linear(p, &a));
			matched += x != NULL;
			total++;
		}
		policy_unref(p);
		free(text);
	}
	/* The generator must produce both outcomes, or the test proves nothing. */
	assert_true(matched > total / 10 && matched < total - total / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_first_match_and_direction),
		cmocka_unit_test(test_filter_time_window),
		cmocka_unit_test(test_filter_index_matches_linear),
	};
	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of diag/ezd_agg.c, the aggregation of identical failures: the
 * network a key names (IPv6 by source_prefix_v6), windows and their counts,
 * and a full table that sends new keys to catch-all windows instead of
 * ending live ones early. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "diag/ezd_agg.h"

/* What the reporter was told, in order. */
#define MAX_SEEN 512
static struct ezd_agg_count seen[MAX_SEEN];
static char seen_net[MAX_SEEN][EZD_AGG_NET], seen_rule[MAX_SEEN][128];
static int seen_start[MAX_SEEN];
static size_t nseen;

/* Called under the table's lock: no cmocka assertion here, whose longjmp
 * would leave the lock held and hang the next test. */
static void
record(const struct ezd_agg_count *n, int start)
{
	if (nseen >= MAX_SEEN) {
		nseen++; /* counted, so that the test's count check fails */
		return;
	}
	seen[nseen] = *n;
	snprintf(seen_net[nseen], EZD_AGG_NET, "%s", n->net);
	snprintf(seen_rule[nseen], sizeof(seen_rule[0]), "%s", n->rule);
	seen_start[nseen++] = start;
}

static void
on_start(const struct ezd_agg_count *n)
{
	record(n, 1);
}

static void
on_end(const struct ezd_agg_count *n)
{
	record(n, 0);
}

static const struct ezd_agg_out out = { on_start, on_end };

/* Every test starts from an empty table at a later time than the last. */
static uint64_t now = 1000;

static int
setup(void **state)
{
	(void)state;
	now += 100000;
	ezd_agg_sweep(now, true, &out);
	nseen = 0;
	return 0;
}

static void
net6(const char *addr, unsigned prefix, char net[EZD_AGG_NET])
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
	ezd_agg_net((const struct sockaddr *)&s6, prefix, net);
}

static void
test_net(void **state)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	char net[EZD_AGG_NET];

	(void)state;
	inet_pton(AF_INET, "192.0.2.77", &s4.sin_addr);
	ezd_agg_net((const struct sockaddr *)&s4, 64, net);
	assert_string_equal(net, "192.0.2.0/24");
	net6("::ffff:198.51.100.9", 64, net);
	assert_string_equal(net, "198.51.100.0/24");
	net6("2001:db8:1:2:3:4:5:6", 64, net);
	assert_string_equal(net, "2001:db8:1:2::/64");
	/* source_prefix_v6 48: a peer rotating its /64s inside a /48 is one key. */
	net6("2001:db8:1:2:3:4:5:6", 48, net);
	assert_string_equal(net, "2001:db8:1::/48");
	net6("2001:db8:1:ffff::1", 48, net);
	assert_string_equal(net, "2001:db8:1::/48");
	net6("2001:db8:1:2:3:4:5:6", 52, net);
	assert_string_equal(net, "2001:db8:1::/52");
	net6("2001:db8:1:f002::", 52, net);
	assert_string_equal(net, "2001:db8:1:f000::/52");
}

static struct ezd_agg_key
key(const char *rule, int rc, const char *end, const char *net)
{
	struct ezd_agg_key k = { rule, rc, end, "" };

	snprintf(k.net, sizeof(k.net), "%s", net);
	return k;
}

static void
test_window_counts(void **state)
{
	struct ezd_agg_key k = key("r1", 5003, "", "127.0.0.0/24");
	uint32_t id;

	(void)state;
	/* error_aggregation 3 in a 2 s window: 3 logged, 5 counted. */
	for (id = 1; id <= 8; id++)
		assert_int_equal(ezd_agg_admit(&k, id, now, 3, 2, &out), id <= 3);
	assert_int_equal(nseen, 1);
	assert_true(seen_start[0]);
	assert_int_equal(seen[0].count, 3);
	/* Not over yet at +1 s; over at +2 s, with the count and the CONNIDs. */
	ezd_agg_sweep(now + 1, false, &out);
	assert_int_equal(nseen, 1);
	ezd_agg_sweep(now + 2, false, &out);
	assert_int_equal(nseen, 2);
	assert_false(seen_start[1]);
	assert_int_equal(seen[1].count, 8);
	assert_int_equal(seen[1].logged, 3);
	assert_int_equal(seen[1].seconds, 2);
	assert_int_equal(seen[1].first_id, 4);
	assert_int_equal(seen[1].last_id, 8);
	assert_string_equal(seen_net[1], "127.0.0.0/24");
	/* A new window logs again. */
	assert_true(ezd_agg_admit(&k, 9, now + 3, 3, 2, &out));
}

static void
test_window_ends_by_next_failure(void **state)
{
	struct ezd_agg_key k = key("r1", 5003, "", "127.0.0.0/24");

	(void)state;
	assert_true(ezd_agg_admit(&k, 1, now, 1, 5, &out));
	assert_false(ezd_agg_admit(&k, 2, now, 1, 5, &out));
	/* No sweep ran: the next failure after the window still reports the
	 * count before it opens the next window. */
	assert_true(ezd_agg_admit(&k, 3, now + 5, 1, 5, &out));
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[1].count, 2);
	assert_int_equal(seen[1].first_id, 2);
}

static void
test_closes_are_their_own_key(void **state)
{
	struct ezd_agg_key err = key("r1", 5003, "", "127.0.0.0/24");
	struct ezd_agg_key rst = key("r1", 0, "client_reset", "127.0.0.0/24");
	struct ezd_agg_key idle = key("r1", 0, "idle_timeout", "127.0.0.0/24");

	(void)state;
	assert_true(ezd_agg_admit(&err, 1, now, 1, 60, &out));
	assert_true(ezd_agg_admit(&rst, 2, now, 1, 60, &out));
	assert_true(ezd_agg_admit(&idle, 3, now, 1, 60, &out));
	assert_false(ezd_agg_admit(&rst, 4, now, 1, 60, &out));
	assert_false(ezd_agg_admit(&idle, 5, now, 1, 60, &out));
	assert_false(ezd_agg_admit(&err, 6, now, 1, 60, &out));
}

/* The table holds 128 keyed windows. A peer that rotates its network past
 * that ends no live window: the first keys keep counting, and the new ones
 * share a catch-all window of their rule and RC, whose count is reported. */
static void
test_full_table_goes_to_catch_all(void **state)
{
	struct ezd_agg_key k;
	char net[EZD_AGG_NET];
	unsigned i, logged = 0;
	size_t j;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(net, sizeof(net), "10.%u.%u.0/24", i / 256, i % 256);
		k = key("r1", 5003, "", net);
		/* Two failures per network, one logged per window. */
		logged += ezd_agg_admit(&k, 2 * i + 1, now, 1, 60, &out);
		logged += ezd_agg_admit(&k, 2 * i + 2, now, 1, 60, &out);
	}
	/* 128 keyed windows log one each; the catch-all window logs one. */
	assert_int_equal(logged, 129);
	/* A network of the first 128 still has its window: counted, not logged. */
	k = key("r1", 5003, "", "10.0.5.0/24");
	assert_false(ezd_agg_admit(&k, 1000, now, 1, 60, &out));
	/* Another rule or RC gets a catch-all window of its own. */
	k = key("r1", 5104, "", "10.9.9.0/24");
	assert_true(ezd_agg_admit(&k, 1001, now, 1, 60, &out));
	nseen = 0;
	ezd_agg_sweep(now + 60, false, &out);
	assert_true(nseen <= MAX_SEEN);
	for (j = 0; j < nseen; j++)
		if (strcmp(seen_net[j], "*") == 0)
			break;
	assert_true(j < nseen);
	assert_int_equal(seen[j].rc, 5003);
	assert_string_equal(seen_rule[j], "r1");
	/* 172 networks x 2 failures, one logged. */
	assert_int_equal(seen[j].count, 2 * (300 - 128));
	assert_int_equal(seen[j].logged, 1);
	/* 128 keyed counts (two failures each, three for 10.0.5.0) and the
	 * catch-all's; the 5104 window logged all it had and reports nothing. */
	assert_int_equal(nseen, 129);
}

/* Past the catch-all windows too: one last window for everything. */
static void
test_last_window(void **state)
{
	struct ezd_agg_key k;
	char net[EZD_AGG_NET], rule[32];
	unsigned i, logged = 0;

	(void)state;
	for (i = 0; i < 128; i++) {
		snprintf(net, sizeof(net), "10.0.%u.0/24", i);
		k = key("fill", 5003, "", net);
		assert_true(ezd_agg_admit(&k, i + 1, now, 1, 60, &out));
	}
	for (i = 0; i < 100; i++) {
		snprintf(rule, sizeof(rule), "rule%u", i);
		k = key(rule, 5003, "", "10.1.0.0/24");
		logged += ezd_agg_admit(&k, 1000 + i, now, 1, 60, &out);
	}
	/* 32 catch-all windows log one each, the last window one. */
	assert_int_equal(logged, 33);
	nseen = 0;
	ezd_agg_sweep(now, true, &out);
	assert_int_equal(nseen, 1);
	assert_string_equal(seen_rule[0], "*");
	assert_int_equal(seen[0].count, 100 - 32);
}

static void
test_no_limit(void **state)
{
	struct ezd_agg_key k = key("r1", 5003, "", "127.0.0.0/24");
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_true(ezd_agg_admit(&k, (uint32_t)i, now, 0, 60, &out));
	assert_int_equal(nseen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_net, setup),
		cmocka_unit_test_setup(test_window_counts, setup),
		cmocka_unit_test_setup(test_window_ends_by_next_failure, setup),
		cmocka_unit_test_setup(test_closes_are_their_own_key, setup),
		cmocka_unit_test_setup(test_full_table_goes_to_catch_all, setup),
		cmocka_unit_test_setup(test_last_window, setup),
		cmocka_unit_test_setup(test_no_limit, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

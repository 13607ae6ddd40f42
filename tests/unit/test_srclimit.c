/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of proxy/srclimit.c (per-source connections and handshakes, IPv6
 * prefixes, the global handshake count) and proxy/fdbudget.c's arithmetic. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/fdbudget.h"
#include "proxy/srclimit.h"

static struct sockaddr_storage
addr(const char *a)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(a, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, a, &s4->sin_addr), 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void
test_conns_per_source(void **state)
{
	struct srclimit_limits l = { 2, 0, 0, 64 };
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct srclimit_hold h[4] = { 0 };
	unsigned c, hs;

	(void)state;
	assert_int_equal(srclimit_acquire(&h[0], SA(a), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[1], SA(a), &l), SRCLIMIT_OK);
	/* The third from a is refused and holds nothing; b is another source. */
	assert_int_equal(srclimit_acquire(&h[2], SA(a), &l), SRCLIMIT_SOURCE_CONNS);
	assert_null(h[2].e);
	assert_int_equal(srclimit_acquire(&h[3], SA(b), &l), SRCLIMIT_OK);
	/* A handshake done still holds the connection. */
	srclimit_hs_done(&h[0]);
	srclimit_hs_done(&h[0]);
	srclimit_counts(SA(a), 64, &c, &hs);
	assert_int_equal(c, 2);
	assert_int_equal(hs, 1);
	assert_int_equal(srclimit_acquire(&h[2], SA(a), &l), SRCLIMIT_SOURCE_CONNS);
	/* Released (twice: idempotent): room again. */
	srclimit_release(&h[1]);
	srclimit_release(&h[1]);
	assert_int_equal(srclimit_acquire(&h[2], SA(a), &l), SRCLIMIT_OK);
	srclimit_release(&h[0]);
	srclimit_release(&h[2]);
	srclimit_release(&h[3]);
	srclimit_counts(SA(a), 64, &c, &hs);
	assert_int_equal(c, 0);
	assert_int_equal(srclimit_handshakes(), 0);
}

static void
test_handshakes(void **state)
{
	struct srclimit_limits l = { 0, 2, 3, 64 };
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("198.51.100.7");
	struct srclimit_hold h[5] = { 0 };

	(void)state;
	assert_int_equal(srclimit_acquire(&h[0], SA(a), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[1], SA(a), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[2], SA(a), &l), SRCLIMIT_SOURCE_HS);
	assert_int_equal(srclimit_acquire(&h[2], SA(b), &l), SRCLIMIT_OK);
	/* Three in progress: the global limit. */
	assert_int_equal(srclimit_handshakes(), 3);
	assert_int_equal(srclimit_acquire(&h[3], SA(b), &l), SRCLIMIT_HS_TOTAL);
	/* One finishes its handshake: a's share and the total have room. */
	srclimit_hs_done(&h[0]);
	assert_int_equal(srclimit_acquire(&h[3], SA(a), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[4], SA(b), &l), SRCLIMIT_HS_TOTAL);
	for (int i = 0; i < 4; i++)
		srclimit_release(&h[i]);
	assert_int_equal(srclimit_handshakes(), 0);
}

static void
test_ipv6_prefix(void **state)
{
	struct srclimit_limits l = { 1, 0, 0, 64 };
	struct sockaddr_storage a = addr("2001:db8:1:2::1"), b = addr("2001:db8:1:2:ffff::9"),
				c = addr("2001:db8:1:3::1"), m = addr("::ffff:192.0.2.9"),
				v4 = addr("192.0.2.9");
	struct srclimit_hold h[5] = { 0 };
	char name[64];

	(void)state;
	assert_int_equal(srclimit_acquire(&h[0], SA(a), &l), SRCLIMIT_OK);
	/* The same /64: the same source. */
	assert_int_equal(srclimit_acquire(&h[1], SA(b), &l), SRCLIMIT_SOURCE_CONNS);
	assert_int_equal(srclimit_acquire(&h[1], SA(c), &l), SRCLIMIT_OK);
	/* With /128 every address is its own source. */
	l.prefix_v6 = 128;
	assert_int_equal(srclimit_acquire(&h[2], SA(b), &l), SRCLIMIT_OK);
	srclimit_release(&h[2]);
	/* A /56 joins 2001:db8:1:2:: and 2001:db8:1:3::. */
	l.prefix_v6 = 56;
	assert_int_equal(srclimit_acquire(&h[2], SA(c), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[3], SA(a), &l), SRCLIMIT_SOURCE_CONNS);
	/* An IPv4-mapped address is the IPv4 source. */
	assert_int_equal(srclimit_acquire(&h[3], SA(m), &l), SRCLIMIT_OK);
	assert_int_equal(srclimit_acquire(&h[4], SA(v4), &l), SRCLIMIT_SOURCE_CONNS);
	srclimit_source_name(SA(b), 64, name, sizeof(name));
	assert_string_equal(name, "2001:db8:1:2::/64");
	srclimit_source_name(SA(m), 64, name, sizeof(name));
	assert_string_equal(name, "192.0.2.9");
	for (int i = 0; i < 4; i++)
		srclimit_release(&h[i]);
	assert_int_equal(srclimit_handshakes(), 0);
}

/* Many sources: entries come and go, every count goes back to zero. */
static void
test_many_sources(void **state)
{
	struct srclimit_limits l = { 1, 1, 0, 64 };
	static struct srclimit_hold h[20000];
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	unsigned i, c, hs;

	(void)state;
	for (i = 0; i < 20000; i++) {
		s4.sin_addr.s_addr = htonl(0x0a000000u + i);
		assert_int_equal(srclimit_acquire(&h[i], (struct sockaddr *)&s4, &l), SRCLIMIT_OK);
	}
	assert_int_equal(srclimit_handshakes(), 20000);
	for (i = 0; i < 20000; i++)
		srclimit_release(&h[i]);
	s4.sin_addr.s_addr = htonl(0x0a000005u);
	srclimit_counts((struct sockaddr *)&s4, 64, &c, &hs);
	assert_int_equal(c, 0);
	assert_int_equal(srclimit_handshakes(), 0);
}

static void
test_fdbudget(void **state)
{
	(void)state;
	/* systemd's default soft limit, 2 workers, 1 listener, 10 open at start. */
	unsigned long r = fdbudget_reserve(10, 2, 1);
	assert_true(r > 10 + 2 * 2);
	assert_int_equal(fdbudget_conns(1024, r, 2), (1024 - r) / 2 / 2);
	/* Nothing left after the reserve: still one, never zero. */
	assert_int_equal(fdbudget_conns(100, r, 2), 1);
	assert_int_equal(fdbudget_conns(1024, r, 0), 1);
	/* A huge limit is capped at the most max_connections allows. */
	assert_int_equal(fdbudget_conns(1UL << 40, r, 1), 1000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conns_per_source), cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_ipv6_prefix),      cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_fdbudget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of common/ratelimit.c, the log budget of the IP filter log and the
 * EZD error aggregation: windows, the limit, the suppressed count. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/hash.h"
#include "common/ratelimit.h"

static void
test_one_second_windows(void **state)
{
	struct ratelimit rl = { 0 };

	(void)state;
	/* filter_log_limit 2: two lines in second 100, the third counted. */
	assert_true(ratelimit_admit(&rl, 100, 1, 2));
	assert_true(ratelimit_admit(&rl, 100, 1, 2));
	assert_false(ratelimit_admit(&rl, 100, 1, 2));
	assert_false(ratelimit_admit(&rl, 100, 1, 2));
	/* A new second: a new budget; what was held back stays counted. */
	assert_true(ratelimit_admit(&rl, 101, 1, 2));
	assert_int_equal(ratelimit_take_suppressed(&rl), 2);
	assert_int_equal(ratelimit_take_suppressed(&rl), 0);
}

static void
test_window_opens_with_first_event(void **state)
{
	struct ratelimit rl = { 0 };

	(void)state;
	assert_false(ratelimit_over(&rl, 1000, 60)); /* none open */
	/* error_aggregation 1 in a 60 s window opened at 1000. */
	assert_true(ratelimit_admit(&rl, 1000, 60, 1));
	assert_false(ratelimit_admit(&rl, 1030, 60, 1));
	assert_false(ratelimit_admit(&rl, 1059, 60, 1));
	assert_int_equal(atomic_load(&rl.count), 3);
	assert_false(ratelimit_over(&rl, 1059, 60));
	assert_true(ratelimit_over(&rl, 1060, 60));
	/* The next event opens the next window, from its own second. */
	assert_true(ratelimit_admit(&rl, 1075, 60, 1));
	assert_int_equal(atomic_load(&rl.start), 1075);
	assert_int_equal(atomic_load(&rl.count), 1);
	assert_false(ratelimit_admit(&rl, 1134, 60, 1));
}

static void
test_clock_steps_back_and_no_limit(void **state)
{
	struct ratelimit rl = { 0 };

	(void)state;
	assert_true(ratelimit_admit(&rl, 500, 1, 1));
	assert_false(ratelimit_admit(&rl, 500, 1, 1));
	/* The wall clock stepped back: a new window, not a budget spent forever. */
	assert_true(ratelimit_admit(&rl, 400, 1, 1));
	/* Limit 0: every line goes out, none counted. */
	assert_true(ratelimit_admit(&rl, 400, 1, 0));
	assert_true(ratelimit_admit(&rl, 400, 1, 0));
	assert_int_equal(ratelimit_take_suppressed(&rl), 1);
}

static void
test_hash_is_fnv1a(void **state)
{
	(void)state;
	/* The published FNV-1a 64-bit test vectors. */
	assert_true(hash_bytes("", 0) == 0xcbf29ce484222325ull);
	assert_true(hash_bytes("a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(hash_bytes("foobar", 6) == 0x85944171f73967e8ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_second_windows),
		cmocka_unit_test(test_window_opens_with_first_event),
		cmocka_unit_test(test_clock_steps_back_and_no_limit),
		cmocka_unit_test(test_hash_is_fnv1a),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}

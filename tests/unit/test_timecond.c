/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of IpTimeCondition: each property, midnight wrap, period edges, DST
 * switches in a named zone and the next-change search, with the clock injected as
 * time_t values and the zone set through TZ. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "policy/timecond.h"

#define COND(...) make_cond((const char *const[]){ __VA_ARGS__, NULL })

static void
set_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* A condition from key, value pairs; every value must parse. */
static struct timecond
make_cond(const char *const *kv)
{
	struct timecond tc;
	char err[160];

	timecond_init(&tc);
	for (; kv[0]; kv += 2) {
		err[0] = '\0';
		if (timecond_parse_field(&tc, kv[0], kv[1], err, sizeof(err)) != 0)
			fail_msg("%s: \"%s\" %s", kv[0], kv[1], err);
	}
	return tc;
}

/* A mask of 'n' characters with ones at the 1-based positions in 'pos' (0-terminated). */
static const char *
mask(char *buf, size_t n, const int *pos)
{
	memset(buf, '0', n);
	buf[n] = '\0';
	for (; *pos; pos++)
		buf[*pos - 1] = '1';
	return buf;
}

/* Checks second by second over [from, to] that timecond_active() changes exactly at
 * the instants timecond_next_change() reports. */
static void
check_exact(const struct timecond *tc, time_t from, time_t to)
{
	time_t t, next = timecond_next_change(tc, from);
	bool cur = timecond_active(tc, from), a;

	for (t = from + 1; t <= to; t++) {
		a = timecond_active(tc, t);
		if ((a != cur) != (t == next))
			fail_msg("at %lld: active %d -> %d, next_change said %lld", (long long)t,
				 cur, a, (long long)next);
		if (t == next) {
			cur = a;
			next = timecond_next_change(tc, t);
		}
	}
}

/* Walks the changes from 'from' for 'days' days: each reported change is a real one
 * (value differs from the second before) and samples in between keep the value. */
static unsigned
check_walk(const struct timecond *tc, time_t from, int days, time_t step)
{
	time_t t = from, c, s, end = from + (time_t)days * 86400;
	bool cur = timecond_active(tc, from);
	unsigned changes = 0;

	while ((c = timecond_next_change(tc, t)) != (time_t)-1 && c <= end) {
		assert_true(c > t);
		for (s = t + 1; s < c; s += step)
			if (timecond_active(tc, s) != cur)
				fail_msg("missed a change between %lld and %lld (at %lld)",
					 (long long)t, (long long)c, (long long)s);
		assert_true(timecond_active(tc, c - 1) == cur);
		assert_true(timecond_active(tc, c) != cur);
		cur = !cur;
		t = c;
		changes++;
	}
	for (s = t + 1; s < end; s += step)
		assert_true(timecond_active(tc, s) == cur);
	return changes;
}

static int
setup(void **state)
{
	(void)state;
	set_zone("UTC");
	return 0;
}

static void
test_active_unset_is_always(void **state)
{
	struct timecond tc;

	(void)state;
	timecond_init(&tc);
	assert_true(timecond_active(&tc, 0));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 12, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 12, 0, 0)), -1);
	tc = COND("time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 12, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, 0), -1);
}

static void
test_active_period_edges_inclusive(void **state)
{
	struct timecond tc = COND("period", "20250101000000:20251231235959", "time_zone", "utc");
	time_t start = utc(2025, 1, 1, 0, 0, 0), end = utc(2025, 12, 31, 23, 59, 59);

	(void)state;
	assert_false(timecond_active(&tc, start - 1));
	assert_true(timecond_active(&tc, start));
	assert_true(timecond_active(&tc, end));
	assert_false(timecond_active(&tc, end + 1));
	assert_int_equal(timecond_next_change(&tc, start - 3600), start);
	assert_int_equal(timecond_next_change(&tc, start - 1), start);
	assert_int_equal(timecond_next_change(&tc, start), end + 1);
	assert_int_equal(timecond_next_change(&tc, end), end + 1);
	assert_int_equal(timecond_next_change(&tc, end + 1), -1);
}

static void
test_active_period_is_wall_clock_of_zone(void **state)
{
	/* Local midnight in Berlin (CEST, UTC+2) is 22:00 UTC the day before. */
	struct timecond tc = COND("period", "20250601000000:20250601235959");

	(void)state;
	set_zone("Europe/Berlin");
	assert_false(timecond_active(&tc, utc(2025, 5, 31, 21, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 5, 31, 22, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 1, 21, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 6, 1, 22, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 5, 1, 0, 0, 0)),
			 utc(2025, 5, 31, 22, 0, 0));
}

static void
test_active_months_mask(void **state)
{
	struct timecond tc = COND("months", "001000000000", "time_zone", "UTC"); /* March */

	(void)state;
	assert_false(timecond_active(&tc, utc(2025, 2, 28, 23, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 3, 1, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 3, 31, 23, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 4, 1, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 1, 15, 0, 0, 0)),
			 utc(2025, 3, 1, 0, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 3, 1, 0, 0, 0)),
			 utc(2025, 4, 1, 0, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 4, 1, 0, 0, 0)),
			 utc(2026, 3, 1, 0, 0, 0));
}

static void
test_active_days_of_month_both_halves(void **state)
{
	static const int first_15[] = { 1, 15, 0 }, last[] = { 32, 0 }, second_last[] = { 33, 0 };
	static const int day31[] = { 31, 0 }, last31st[] = { 62, 0 };
	char buf[64];
	struct timecond tc;

	(void)state;
	tc = COND("days_of_month", mask(buf, 62, first_15), "time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2025, 6, 1, 0, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 15, 23, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 6, 16, 0, 0, 0)));

	/* Position 32 is the last day, whatever the month's length. */
	tc = COND("days_of_month", mask(buf, 62, last), "time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2024, 2, 29, 12, 0, 0)));
	assert_false(timecond_active(&tc, utc(2024, 2, 28, 12, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 2, 28, 12, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 1, 31, 12, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 1, 30, 12, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 4, 30, 12, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 2, 1, 0, 0, 0)),
			 utc(2025, 2, 28, 0, 0, 0));

	tc = COND("days_of_month", mask(buf, 62, second_last), "time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2024, 2, 28, 12, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 2, 27, 12, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 2, 28, 12, 0, 0)));

	/* Day 31 only exists in long months; the 31st from last is day 1 of those. */
	tc = COND("days_of_month", mask(buf, 62, day31), "time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2025, 1, 31, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 2, 1, 0, 0, 0)),
			 utc(2025, 3, 31, 0, 0, 0));
	tc = COND("days_of_month", mask(buf, 62, last31st), "time_zone", "UTC");
	assert_true(timecond_active(&tc, utc(2025, 1, 1, 0, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 4, 1, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 5, 1, 0, 0, 0)));
}

static void
test_active_days_of_week_mask(void **state)
{
	/* 2025-06-02 is a Monday. */
	struct timecond tc = COND("days_of_week", "0111110", "time_zone", "UTC");

	(void)state;
	assert_false(timecond_active(&tc, utc(2025, 6, 1, 23, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 6, 23, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 6, 7, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 4, 10, 0, 0)),
			 utc(2025, 6, 7, 0, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 7, 0, 0, 0)),
			 utc(2025, 6, 9, 0, 0, 0));
}

static void
test_parse_days_of_week_names(void **state)
{
	static const struct {
		const char *in;
		unsigned mask;
	} cases[] = {
		{ "0111110", 0x3e },
		{ "Mon-Fri", 0x3e },
		{ "mon,TUE,wed,Thu,fri", 0x3e },
		{ " Mon - Fri ", 0x3e },
		{ "Mon,Wed,Sat", 0x4a },
		{ "Fri-Mon", 0x63 }, /* a range may wrap past Saturday */
		{ "Sun-Sat", 0x7f },
		{ "sat", 0x40 },
		{ "Sun,Sun", 0x01 },
	};
	struct timecond tc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc = COND("days_of_week", cases[i].in);
		assert_int_equal(tc.days_of_week, cases[i].mask);
	}
}

static void
test_active_time_of_day_end_inclusive(void **state)
{
	struct timecond tc = COND("time_of_day", "08:00-17:00", "time_zone", "UTC");

	(void)state;
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 7, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 8, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 17, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 17, 0, 1)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 0, 0, 0)),
			 utc(2025, 6, 2, 8, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 8, 0, 0)),
			 utc(2025, 6, 2, 17, 0, 1));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 17, 0, 1)),
			 utc(2025, 6, 3, 8, 0, 0));

	tc = COND("time_of_day", "08:15:30 - 08:15:31", "time_zone", "UTC");
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 8, 15, 29)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 8, 15, 30)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 8, 15, 31)));
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 8, 15, 32)));
}

static void
test_active_equal_times_mean_whole_day(void **state)
{
	struct timecond tc = COND("time_of_day", "12:00-12:00", "days_of_week", "Mon",
				  "time_zone", "UTC");

	(void)state;
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 11, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 12, 0, 1)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 23, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 6, 3, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 5, 0, 0)),
			 utc(2025, 6, 3, 0, 0, 0));
}

static void
test_active_wrap_uses_start_day(void **state)
{
	/* Monday 22:00 to Tuesday 06:00 (inclusive); 2025-06-02 is a Monday. */
	struct timecond tc = COND("time_of_day", "22:00-06:00", "days_of_week", "Mon",
				  "time_zone", "UTC");

	(void)state;
	tc.wrap = TIMECOND_WRAP_START_DAY;
	assert_false(timecond_active(&tc, utc(2025, 6, 1, 23, 0, 0)));  /* Sunday's window */
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 2, 0, 0)));   /* started Sunday */
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 21, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 22, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 3, 0, 0, 0)));
	/* Tuesday, in the shift that started on Monday. */
	assert_true(timecond_active(&tc, utc(2025, 6, 3, 2, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 3, 6, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 3, 6, 0, 1)));
	assert_false(timecond_active(&tc, utc(2025, 6, 3, 22, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 4, 2, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 12, 0, 0)),
			 utc(2025, 6, 2, 22, 0, 0));
	/* Midnight is no change: the shift goes on into Tuesday. */
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 2, 22, 0, 0)),
			 utc(2025, 6, 3, 6, 0, 1));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 3, 6, 0, 1)),
			 utc(2025, 6, 9, 22, 0, 0));
}

static void
test_active_wrap_month_and_day_masks_use_start_day(void **state)
{
	static const int first[] = { 1, 0 }, last[] = { 32, 0 };
	char buf[64];
	struct timecond tc;

	(void)state;
	tc = COND("time_of_day", "22:00-06:00", "months", "100000000000", "time_zone", "UTC");
	tc.wrap = TIMECOND_WRAP_START_DAY;
	assert_true(timecond_active(&tc, utc(2025, 1, 31, 23, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 2, 1, 2, 0, 0)));   /* started January 31 */
	assert_false(timecond_active(&tc, utc(2025, 2, 1, 22, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 1, 1, 2, 0, 0)));  /* started December 31 */
	assert_true(timecond_active(&tc, utc(2025, 1, 1, 22, 0, 0)));

	tc = COND("time_of_day", "22:00-06:00", "days_of_month", mask(buf, 62, first),
		  "time_zone", "UTC");
	tc.wrap = TIMECOND_WRAP_START_DAY;
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 3, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 1, 3, 0, 0)));
	tc = COND("time_of_day", "22:00-06:00", "days_of_month", mask(buf, 62, last),
		  "time_zone", "UTC");
	tc.wrap = TIMECOND_WRAP_START_DAY;
	assert_true(timecond_active(&tc, utc(2025, 6, 1, 3, 0, 0))); /* started May 31 */
	assert_false(timecond_active(&tc, utc(2025, 5, 31, 3, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 3, 1, 5, 0, 0))); /* started Feb 28 */
}

static void
test_active_wrap_calendar_day_reading(void **state)
{
	/* RFC 3060's own example: 21:00-08:00 with Monday and Tuesday selected is active
	 * Monday 00:00-08:00, Monday 21:00 to Tuesday 08:00 and Tuesday 21:00-23:59:59. */
	struct timecond tc = COND("time_of_day", "21:00-08:00", "days_of_week", "Mon,Tue",
				  "time_zone", "UTC");

	(void)state;
	assert_int_equal(tc.wrap, TIMECOND_WRAP_CALENDAR_DAY); /* RFC 3060 is the default */
	assert_false(timecond_active(&tc, utc(2025, 6, 1, 23, 59, 59)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 2, 8, 0, 0)));
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 8, 0, 1)));
	assert_true(timecond_active(&tc, utc(2025, 6, 3, 5, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 3, 23, 59, 59)));
	assert_false(timecond_active(&tc, utc(2025, 6, 4, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 1, 12, 0, 0)),
			 utc(2025, 6, 2, 0, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 3, 21, 0, 0)),
			 utc(2025, 6, 4, 0, 0, 0));

	/* The start-day reading differs at both ends. */
	tc.wrap = TIMECOND_WRAP_START_DAY;
	assert_false(timecond_active(&tc, utc(2025, 6, 2, 0, 0, 0)));
	assert_true(timecond_active(&tc, utc(2025, 6, 4, 0, 0, 0)));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 3, 21, 0, 0)),
			 utc(2025, 6, 4, 8, 0, 1));
}

static void
test_active_utc_and_local_differ(void **state)
{
	/* New York is UTC-4 in June. */
	struct timecond lo = COND("time_of_day", "08:00-17:00", "time_zone", "Local");
	struct timecond u = COND("time_of_day", "08:00-17:00", "time_zone", "UTC");
	struct timecond lo_mon = COND("days_of_week", "Mon", "time_zone", "LOCAL");
	struct timecond u_mon = COND("days_of_week", "Mon", "time_zone", "utc");

	(void)state;
	set_zone("America/New_York");
	assert_true(timecond_active(&lo, utc(2025, 6, 2, 19, 0, 0)));  /* 15:00 EDT */
	assert_false(timecond_active(&u, utc(2025, 6, 2, 19, 0, 0)));
	assert_false(timecond_active(&lo, utc(2025, 6, 2, 10, 0, 0))); /* 06:00 EDT */
	assert_true(timecond_active(&u, utc(2025, 6, 2, 10, 0, 0)));
	assert_true(timecond_active(&lo_mon, utc(2025, 6, 3, 2, 0, 0))); /* Monday 22:00 EDT */
	assert_false(timecond_active(&u_mon, utc(2025, 6, 3, 2, 0, 0)));
	assert_int_equal(timecond_next_change(&lo, utc(2025, 6, 2, 0, 0, 0)),
			 utc(2025, 6, 2, 12, 0, 0));
	assert_int_equal(timecond_next_change(&u, utc(2025, 6, 2, 0, 0, 0)),
			 utc(2025, 6, 2, 8, 0, 0));
}

static void
test_active_dst_spring_forward_berlin(void **state)
{
	/* 2025-03-30 01:00:00 UTC: 02:00 CET becomes 03:00 CEST; 02:xx never happens. */
	struct timecond gap = COND("time_of_day", "02:00-02:59:59");
	struct timecond gap_end = COND("time_of_day", "02:00-03:00");
	struct timecond across = COND("time_of_day", "01:30-02:30");
	struct timecond office = COND("time_of_day", "08:00-17:00");
	struct timecond from_gap = COND("period", "20250330023000:20251231235959");
	time_t sw = utc(2025, 3, 30, 1, 0, 0);

	(void)state;
	set_zone("Europe/Berlin");
	/* A window inside the skipped hour does not happen that day. */
	assert_false(timecond_active(&gap, sw - 1));
	assert_false(timecond_active(&gap, sw));
	assert_true(timecond_active(&gap, utc(2025, 3, 29, 1, 30, 0))); /* 02:30 CET */
	assert_int_equal(timecond_next_change(&gap, utc(2025, 3, 29, 12, 0, 0)),
			 utc(2025, 3, 31, 0, 0, 0)); /* 02:00 CEST on the 31st */
	/* With its inclusive end at 03:00:00, only the first second after the jump. */
	assert_int_equal(timecond_next_change(&gap_end, utc(2025, 3, 29, 12, 0, 0)), sw);
	assert_true(timecond_active(&gap_end, sw));
	assert_int_equal(timecond_next_change(&gap_end, sw), sw + 1);
	/* A window the jump cuts short ends at the jump. */
	assert_true(timecond_active(&across, sw - 1));
	assert_int_equal(timecond_next_change(&across, utc(2025, 3, 30, 0, 30, 0)), sw);
	assert_false(timecond_active(&across, sw));
	/* 08:00 local is 07:00 UTC before the switch and 06:00 UTC from that day on. */
	assert_int_equal(timecond_next_change(&office, utc(2025, 3, 28, 20, 0, 0)),
			 utc(2025, 3, 29, 7, 0, 0));
	assert_int_equal(timecond_next_change(&office, utc(2025, 3, 29, 17, 0, 0)),
			 utc(2025, 3, 30, 6, 0, 0));
	assert_int_equal(timecond_next_change(&office, utc(2025, 3, 30, 6, 0, 0)),
			 utc(2025, 3, 30, 15, 0, 1));
	assert_int_equal(timecond_next_change(&office, utc(2025, 3, 30, 15, 0, 1)),
			 utc(2025, 3, 31, 6, 0, 0));
	assert_false(timecond_active(&office, utc(2025, 3, 31, 5, 59, 59)));
	assert_true(timecond_active(&office, utc(2025, 3, 31, 6, 0, 0)));
	/* A period starting at a skipped wall time starts at the jump. */
	assert_false(timecond_active(&from_gap, sw - 1));
	assert_true(timecond_active(&from_gap, sw));
	assert_int_equal(timecond_next_change(&from_gap, utc(2025, 3, 29, 0, 0, 0)), sw);
	check_exact(&across, sw - 3 * 3600, sw + 3 * 3600);
	check_exact(&gap_end, sw - 3 * 3600, sw + 3 * 3600);
}

static void
test_active_dst_fall_back_berlin(void **state)
{
	/* 2025-10-26 01:00:00 UTC: 03:00 CEST becomes 02:00 CET; 02:xx happens twice. */
	struct timecond twice = COND("time_of_day", "02:00-02:59:59");
	struct timecond across = COND("time_of_day", "01:30-02:30");
	struct timecond office = COND("time_of_day", "08:00-17:00");
	time_t sw = utc(2025, 10, 26, 1, 0, 0);

	(void)state;
	set_zone("Europe/Berlin");
	/* Both passes through the repeated hour match, as one two-hour stretch. */
	assert_false(timecond_active(&twice, utc(2025, 10, 25, 23, 59, 59)));
	assert_true(timecond_active(&twice, utc(2025, 10, 26, 0, 0, 0)));
	assert_true(timecond_active(&twice, sw - 1));
	assert_true(timecond_active(&twice, sw));
	assert_true(timecond_active(&twice, utc(2025, 10, 26, 1, 59, 59)));
	assert_false(timecond_active(&twice, utc(2025, 10, 26, 2, 0, 0)));
	assert_int_equal(timecond_next_change(&twice, utc(2025, 10, 25, 12, 0, 0)),
			 utc(2025, 10, 26, 0, 0, 0));
	assert_int_equal(timecond_next_change(&twice, utc(2025, 10, 26, 0, 0, 0)),
			 utc(2025, 10, 26, 2, 0, 0));
	/* 01:30-02:30 runs 01:30-02:30 CEST, stops, and runs again 02:00-02:30 CET. */
	assert_int_equal(timecond_next_change(&across, utc(2025, 10, 25, 23, 0, 0)),
			 utc(2025, 10, 25, 23, 30, 0));
	assert_int_equal(timecond_next_change(&across, utc(2025, 10, 25, 23, 30, 0)),
			 utc(2025, 10, 26, 0, 30, 1));
	assert_int_equal(timecond_next_change(&across, utc(2025, 10, 26, 0, 30, 1)), sw);
	assert_int_equal(timecond_next_change(&across, sw), utc(2025, 10, 26, 1, 30, 1));
	/* 08:00 local is 06:00 UTC before the switch and 07:00 UTC from that day on. */
	assert_int_equal(timecond_next_change(&office, utc(2025, 10, 24, 20, 0, 0)),
			 utc(2025, 10, 25, 6, 0, 0));
	assert_int_equal(timecond_next_change(&office, utc(2025, 10, 25, 20, 0, 0)),
			 utc(2025, 10, 26, 7, 0, 0));
	assert_int_equal(timecond_next_change(&office, utc(2025, 10, 26, 7, 0, 0)),
			 utc(2025, 10, 26, 16, 0, 1));
	assert_int_equal(timecond_next_change(&office, utc(2025, 10, 26, 16, 0, 1)),
			 utc(2025, 10, 27, 7, 0, 0));
	assert_false(timecond_active(&office, utc(2025, 10, 27, 6, 59, 59)));
	assert_true(timecond_active(&office, utc(2025, 10, 27, 7, 0, 0)));
	check_exact(&across, sw - 3 * 3600, sw + 3 * 3600);
	check_exact(&twice, sw - 3 * 3600, sw + 3 * 3600);
}

static void
test_next_change_never(void **state)
{
	struct timecond past = COND("period", "20200101000000:20201231235959", "time_zone", "UTC");
	struct timecond all = COND("days_of_week", "1111111", "months", "111111111111");
	struct timecond far = COND("period", "20270101000000:20271231235959", "time_zone", "UTC");

	(void)state;
	assert_int_equal(timecond_next_change(&past, utc(2025, 6, 2, 0, 0, 0)), -1);
	assert_int_equal(timecond_next_change(&all, utc(2025, 6, 2, 0, 0, 0)), -1);
	assert_true(timecond_active(&all, utc(2025, 6, 2, 0, 0, 0)));
	/* More than 400 days ahead: reported as no change. */
	assert_int_equal(timecond_next_change(&far, utc(2025, 6, 2, 0, 0, 0)), -1);
	assert_int_equal(timecond_next_change(&far, utc(2026, 6, 2, 0, 0, 0)),
			 utc(2027, 1, 1, 0, 0, 0));
}

static void
test_next_change_combined_weekdays(void **state)
{
	struct timecond tc = COND("days_of_week", "Mon-Fri", "time_of_day", "08:00-17:00",
				  "time_zone", "UTC");

	(void)state;
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 6, 17, 0, 0)),
			 utc(2025, 6, 6, 17, 0, 1));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 6, 17, 0, 1)),
			 utc(2025, 6, 9, 8, 0, 0));
	assert_int_equal(timecond_next_change(&tc, utc(2025, 6, 7, 9, 0, 0)),
			 utc(2025, 6, 9, 8, 0, 0));
	assert_int_equal(check_walk(&tc, utc(2025, 6, 1, 0, 0, 0), 14, 97), 20);
}

/* Pseudo-random conditions (fixed seed) in Berlin, walked across both 2025 switches. */
static void
test_next_change_agrees_with_active(void **state)
{
	static const char *const tods[] = { "22:30-01:15", "02:15-02:45", "01:59:59-03:00:01",
					    "00:00-23:59:59", "08:00-17:00", "02:30-02:30",
					    "23:00-00:00", "03:00-02:00" };
	char dom[64], mon[16], dow[8];
	uint32_t seed = 12345;
	struct timecond tc;
	int i, k;

	(void)state;
	set_zone("Europe/Berlin");
	for (i = 0; i < 16; i++) {
		for (k = 0; k < 62; k++) {
			seed = seed * 1103515245u + 12345u;
			dom[k] = (seed >> 16) % 3 ? '1' : '0';
		}
		dom[62] = '\0';
		for (k = 0; k < 12; k++)
			mon[k] = k == 2 || k == 9 || (i + k) % 4 == 0 ? '1' : '0';
		mon[12] = '\0';
		for (k = 0; k < 7; k++)
			dow[k] = (i + k) % 3 ? '1' : '0';
		dow[7] = '\0';
		tc = COND("time_of_day", tods[i % 8], "days_of_month", dom, "months", mon,
			  "days_of_week", dow);
		tc.wrap = i < 8 ? TIMECOND_WRAP_START_DAY : TIMECOND_WRAP_CALENDAR_DAY;
		check_walk(&tc, utc(2025, 3, 20, 0, 0, 0), 20, 293);
		check_walk(&tc, utc(2025, 10, 18, 0, 0, 0), 20, 293);
		check_exact(&tc, utc(2025, 3, 29, 22, 0, 0), utc(2025, 3, 30, 3, 0, 0));
		check_exact(&tc, utc(2025, 10, 25, 22, 0, 0), utc(2025, 10, 26, 3, 0, 0));
	}
}

static void
test_parse_rejects_bad_values(void **state)
{
	static const struct {
		const char *key, *value, *phrase;
	} cases[] = {
		{ "period", "2025010100000:20251231235959",
		  "must be yyyymmddhhmmss:yyyymmddhhmmss" },
		{ "period", "20250101000000-20251231235959", "must be yyyymmddhhmmss:yyyymmdd" },
		{ "period", "20250229000000:20251231235959",
		  "start 20250229000000 is not a valid date and time" },
		{ "period", "20250101000000:20251231240000",
		  "end 20251231240000 is not a valid date and time" },
		{ "period", "2025010100000x:20251231235959",
		  "start 2025010100000x is not a valid date and time" },
		{ "period", "20251231000000:20250101000000", "start must not be after end" },
		{ "months", "11111111111", "must be 12 characters of 0 and 1, January first" },
		{ "months", "1111111111112", "must be 12 characters of 0 and 1, January first" },
		{ "months", "000000000000", "must select at least one month" },
		{ "days_of_month", "1111111111111111111111111111111111111111111111111111111111111",
		  "must be 62 characters of 0 and 1: days 1 to 31, then last day to "
		  "31st from last" },
		{ "days_of_month", "00000000000000000000000000000000000000000000000000000000000000",
		  "must select at least one day" },
		{ "days_of_week", "011111", "must be 7 characters of 0 and 1, Sunday first" },
		{ "days_of_week", "",  "must be 7 characters of 0 and 1, Sunday first" },
		{ "days_of_week", "0000000", "must select at least one day" },
		{ "days_of_week", "Mon-Fry",
		  "must be 7 characters of 0 and 1, Sunday first, or day names such as Mon-Fri or "
		  "Mon,Wed,Sat" },
		{ "days_of_week", "Monday", "or day names such as Mon-Fri" },
		{ "days_of_week", "Mon,,Tue", "or day names such as Mon-Fri" },
		{ "days_of_week", "Mon-", "or day names such as Mon-Fri" },
		{ "days_of_week", "Mon-Wed-Fri", "or day names such as Mon-Fri" },
		{ "time_of_day", "8:00-17:00",
		  "must be hh:mm[:ss]-hh:mm[:ss] (hh 00-23, mm and ss 00-59)" },
		{ "time_of_day", "08:00-24:00", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_of_day", "08:60-09:00", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_of_day", "08:00:60-09:00", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_of_day", "08:00", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_of_day", "08:00-17:00x", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_of_day", "08:00-17:0", "must be hh:mm[:ss]-hh:mm[:ss]" },
		{ "time_zone", "GMT", "must be Local or UTC" },
		{ "time_zone", "", "must be Local or UTC" },
	};
	struct timecond tc, before;
	char err[200];
	size_t i;

	(void)state;
	tc = COND("period", "20250101000000:20251231235959", "months", "111111111111",
		  "days_of_week", "Mon-Fri", "time_of_day", "08:00-17:00", "time_zone", "UTC");
	memcpy(&before, &tc, sizeof(tc));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(timecond_parse_field(&tc, cases[i].key, cases[i].value, err,
						      sizeof(err)),
				 ATTLS_EINVAL);
		if (!strstr(err, cases[i].phrase))
			fail_msg("%s: \"%s\": got \"%s\"", cases[i].key, cases[i].value, err);
		/* A rejected value leaves the condition as it was. */
		assert_memory_equal(&tc, &before, sizeof(tc));
	}
	assert_int_equal(timecond_parse_field(&tc, "day_of_week", "Mon", err, sizeof(err)),
			 ATTLS_ENOENT);
	assert_string_equal(err, "is not a time condition key");
	assert_int_equal(timecond_parse_field(&tc, "time_zone", NULL, err, sizeof(err)),
			 ATTLS_EINVAL);
	assert_int_equal(timecond_parse_field(&tc, "time_zone", "x", NULL, 0), ATTLS_EINVAL);
	assert_memory_equal(&tc, &before, sizeof(tc));
}

static char *
format(const struct timecond *tc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	timecond_format(tc, f, "  ");
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_format_pasearch_labels(void **state)
{
	static const int dom_pos[] = { 1, 15, 32, 0 };
	char dom[64], *s;
	struct timecond tc;

	(void)state;
	timecond_init(&tc);
	tc.wrap = TIMECOND_WRAP_START_DAY;
	s = format(&tc);
	assert_string_equal(s,
			    "  Start Date Time:                 None\n"
			    "  End Date Time:                   None\n"
			    "  Month of Yr Mask:                111111111111\n"
			    "  Day of Month Mask First to Last: 1111111111111111111111111111111\n"
			    "  Last to First:                   1111111111111111111111111111111\n"
			    "  Day of Week Mask:                1111111\n"
			    "  Fr TimeOfDay:                    00:00:00\n"
			    "  To TimeOfDay:                    23:59:59\n"
			    "  TimeZone:                        Local\n");
	free(s);
	tc = COND("period", "20250101000000:20251231235959", "months", "001000000001",
		  "days_of_month", mask(dom, 62, dom_pos), "days_of_week", "Mon-Fri",
		  "time_of_day", "22:00-06:00:30", "time_zone", "utc");
	s = format(&tc);
	assert_string_equal(s,
			    "  Start Date Time:                 2025-01-01 00:00:00\n"
			    "  End Date Time:                   2025-12-31 23:59:59\n"
			    "  Month of Yr Mask:                001000000001\n"
			    "  Day of Month Mask First to Last: 1000000000000010000000000000000\n"
			    "  Last to First:                   1000000000000000000000000000000\n"
			    "  Day of Week Mask:                0111110\n"
			    "  Fr TimeOfDay:                    22:00:00\n"
			    "  To TimeOfDay:                    06:00:30\n"
			    "  TimeZone:                        UTC\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_active_unset_is_always, setup),
		cmocka_unit_test_setup(test_active_period_edges_inclusive, setup),
		cmocka_unit_test_setup(test_active_period_is_wall_clock_of_zone, setup),
		cmocka_unit_test_setup(test_active_months_mask, setup),
		cmocka_unit_test_setup(test_active_days_of_month_both_halves, setup),
		cmocka_unit_test_setup(test_active_days_of_week_mask, setup),
		cmocka_unit_test_setup(test_parse_days_of_week_names, setup),
		cmocka_unit_test_setup(test_active_time_of_day_end_inclusive, setup),
		cmocka_unit_test_setup(test_active_equal_times_mean_whole_day, setup),
		cmocka_unit_test_setup(test_active_wrap_uses_start_day, setup),
		cmocka_unit_test_setup(test_active_wrap_month_and_day_masks_use_start_day, setup),
		cmocka_unit_test_setup(test_active_wrap_calendar_day_reading, setup),
		cmocka_unit_test_setup(test_active_utc_and_local_differ, setup),
		cmocka_unit_test_setup(test_active_dst_spring_forward_berlin, setup),
		cmocka_unit_test_setup(test_active_dst_fall_back_berlin, setup),
		cmocka_unit_test_setup(test_next_change_never, setup),
		cmocka_unit_test_setup(test_next_change_combined_weekdays, setup),
		cmocka_unit_test_setup(test_next_change_agrees_with_active, setup),
		cmocka_unit_test_setup(test_parse_rejects_bad_values, setup),
		cmocka_unit_test_setup(test_format_pasearch_labels, setup),
	};

	/* Berlin and New York rules must come from the system zone database. */
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0 ||
	    access("/usr/share/zoneinfo/America/New_York", R_OK) != 0) {
		fprintf(stderr, "zone database missing (install tzdata): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

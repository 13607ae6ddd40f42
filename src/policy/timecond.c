/* SPDX-License-Identifier: Apache-2.0 */
/* IpTimeCondition: parsing the policy keys, testing an instant, finding the next
 * change, printing in pasearch's labels. Everything is evaluated on the wall clock
 * of the condition's zone as localtime_r()/gmtime_r() report it. mktime() is never
 * used, so local times that a DST switch skips or repeats need no special case: a
 * skipped wall time is never seen, a repeated one is seen (and matches) twice. */
#include "config.h"

#include "timecond.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

#define DAY 86400
#define SCAN_DAYS 400 /* timecond_next_change() gives up after this */
#define TIME_T_MAX ((time_t)((UINTMAX_C(1) << (sizeof(time_t) * CHAR_BIT - 1)) - 1))

static const char *const day_names[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

/* ---- evaluation ---- */

/* The wall clock of the condition's zone at 't', in wall seconds. False when 't' is
 * outside what the C library can convert. */
static bool
wall_at(const struct timecond *tc, time_t t, int64_t *wall)
{
	struct tm tm;
	int sec;

	if ((tc->zone == TIMECOND_UTC ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		return false;
	/* A leap second (right/ zones) counts as the last second of its minute. */
	sec = tm.tm_sec > 59 ? 59 : tm.tm_sec;
	*wall = days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday) * DAY +
		tm.tm_hour * 3600 + tm.tm_min * 60 + sec;
	return true;
}

/* Whether the month, day-of-month and day-of-week masks select 'day' (days since
 * 1970-01-01). Day-of-month positions past the end of a short month never match. */
static bool
day_selected(const struct timecond *tc, int64_t day)
{
	int64_t y;
	int m, d, wday, last;

	civil_from_days(day, &y, &m, &d);
	wday = (int)floor_mod(day + 4, 7); /* 1970-01-01 was a Thursday */
	if ((tc->set & TIMECOND_SET_MONTHS) && !(tc->months & (1u << (m - 1))))
		return false;
	if ((tc->set & TIMECOND_SET_DAYS_OF_WEEK) && !(tc->days_of_week & (1u << wday)))
		return false;
	if (tc->set & TIMECOND_SET_DAYS_OF_MONTH) {
		last = days_in_month(y, m);
		if (!(tc->days_of_month & (UINT64_C(1) << (d - 1))) &&
		    !(tc->days_of_month & (UINT64_C(1) << (31 + last - d))))
			return false;
	}
	return true;
}

/* Whether 'sod' (seconds after midnight) lies in the daily window. For the part of a
 * wrapping window after midnight, moves *day to the day whose masks decide.
 *
 * The default follows RFC 3060 (CIM PolicyTimePeriodCondition), which z/OS
 * implements: each part of a range that spans midnight belongs to the calendar day
 * it falls on, so with only Tuesday selected a 21:00-08:00 window is active from
 * Tuesday 00:00 to 08:00 and from Tuesday 21:00 to 23:59:59. TIMECOND_WRAP_START_DAY
 * reads the window as one shift owned by the day it started on (the masks are then
 * taken from that day); the absolute period is always tested on the instant. */
static bool
tod_in_window(const struct timecond *tc, int32_t sod, int64_t *day)
{
	int32_t s = tc->tod_start, e = tc->tod_end;

	if (s == e)
		return true;
	if (s < e)
		return s <= sod && sod <= e;
	if (sod >= s)
		return true;
	if (sod > e)
		return false;
	if (tc->wrap == TIMECOND_WRAP_START_DAY)
		*day -= 1;
	return true;
}

static bool
active_at_wall(const struct timecond *tc, int64_t wall)
{
	int64_t day = floor_div(wall, DAY);
	int32_t sod = (int32_t)(wall - day * DAY);

	if ((tc->set & TIMECOND_SET_PERIOD) && (wall < tc->period_start || wall > tc->period_end))
		return false;
	if ((tc->set & TIMECOND_SET_TIME_OF_DAY) && !tod_in_window(tc, sod, &day))
		return false;
	return day_selected(tc, day);
}

static bool
is_unconditional(const struct timecond *tc)
{
	return (tc->set & ~(unsigned)TIMECOND_SET_TIME_ZONE) == 0;
}

bool
timecond_active(const struct timecond *tc, time_t now)
{
	int64_t wall;

	if (is_unconditional(tc))
		return true;
	if (!wall_at(tc, now, &wall))
		return false;
	return active_at_wall(tc, wall);
}

static int64_t
min_after(int64_t best, int64_t wall, int64_t edge)
{
	return edge > wall && edge < best ? edge : best;
}

/* The first wall time after 'wall' at which an input of active_at_wall() can
 * change: midnight, the daily window's start and end + 1, the period's start and
 * end + 1. Window edges already passed today recur after midnight, so midnight
 * bounds them. */
static int64_t
next_edge(const struct timecond *tc, int64_t wall)
{
	int64_t day = floor_div(wall, DAY), best = (day + 1) * DAY;

	if (tc->set & TIMECOND_SET_TIME_OF_DAY) {
		best = min_after(best, wall, day * DAY + tc->tod_start);
		best = min_after(best, wall, day * DAY + tc->tod_end + 1);
	}
	if (tc->set & TIMECOND_SET_PERIOD) {
		best = min_after(best, wall, tc->period_start);
		best = min_after(best, wall, tc->period_end + 1);
	}
	return best;
}

/* Sets *next to the first instant after 't' at which the wall clock reaches the next
 * edge, or at which the zone's UTC offset changes (a DST switch makes the wall clock
 * jump), whichever is first. Between 't' and *next the wall clock runs evenly and
 * crosses no edge, so the condition cannot change there. */
static bool
next_candidate(const struct timecond *tc, time_t t, time_t *next)
{
	int64_t wall, w, off;
	time_t c, lo, mid;

	if (!wall_at(tc, t, &wall))
		return false;
	off = wall - t;
	c = t + (time_t)(next_edge(tc, wall) - wall);
	if (wall_at(tc, c, &w) && w - c == off) {
		*next = c;
		return true;
	}
	/* The offset changed in (t, c]; c - t is at most a day and zones change their
	 * offset at most once a day, so bisect for the first second of the new one. */
	lo = t;
	while (c - lo > 1) {
		mid = lo + (c - lo) / 2;
		if (wall_at(tc, mid, &w) && w - mid == off)
			lo = mid;
		else
			c = mid;
	}
	*next = c;
	return true;
}

/* Steps from edge to edge, testing the condition at each (correctness over speed:
 * a handful of edges a day, a few localtime_r calls each). */
time_t
timecond_next_change(const struct timecond *tc, time_t now)
{
	time_t t = now, c, limit;
	bool was;

	if (is_unconditional(tc) || now > TIME_T_MAX - (time_t)SCAN_DAYS * DAY)
		return (time_t)-1;
	limit = now + (time_t)SCAN_DAYS * DAY;
	was = timecond_active(tc, now);
	while (t < limit && next_candidate(tc, t, &c) && c <= limit) {
		if (timecond_active(tc, c) != was)
			return c;
		t = c;
	}
	return (time_t)-1;
}

/* ---- parsing ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...) ATTLS_PRINTF(3, 4);

/* Writes the phrase for a bad value; returns ATTLS_EINVAL. */
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ATTLS_EINVAL;
}

/* The value of 'n' decimal digits at 's', or -1. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return ATTLS_EINVAL;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* Reads exactly 'n' characters of 0 and 1; bit i is character i. */
static int
parse_bits(const char *v, size_t n, uint64_t *bits)
{
	size_t i;

	if (strlen(v) != n)
		return ATTLS_EINVAL;
	*bits = 0;
	for (i = 0; i < n; i++) {
		if (v[i] != '0' && v[i] != '1')
			return ATTLS_EINVAL;
		if (v[i] == '1')
			*bits |= UINT64_C(1) << i;
	}
	return 0;
}

/* yyyymmddhhmmss to wall seconds. */
static int
parse_stamp(const char *s, int64_t *wall)
{
	int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
	int h = digits(s + 8, 2), mi = digits(s + 10, 2), sec = digits(s + 12, 2);

	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return ATTLS_EINVAL;
	*wall = days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + sec;
	return 0;
}

static int
parse_period(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	if (strlen(v) != 29 || v[14] != ':')
		return fail(err, errlen, "must be yyyymmddhhmmss:yyyymmddhhmmss");
	if (parse_stamp(v, &tc->period_start) != 0)
		return fail(err, errlen, "start %.14s is not a valid date and time", v);
	if (parse_stamp(v + 15, &tc->period_end) != 0)
		return fail(err, errlen, "end %.14s is not a valid date and time", v + 15);
	if (tc->period_start > tc->period_end)
		return fail(err, errlen, "start must not be after end");
	return 0;
}

static int
parse_months(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	uint64_t bits;

	if (parse_bits(v, 12, &bits) != 0)
		return fail(err, errlen, "must be 12 characters of 0 and 1, January first");
	if (!bits)
		return fail(err, errlen, "must select at least one month");
	tc->months = (uint16_t)bits;
	return 0;
}

static int
parse_days_of_month(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	uint64_t bits;

	if (parse_bits(v, 62, &bits) != 0)
		return fail(err, errlen,
			    "must be 62 characters of 0 and 1: days 1 to 31, then last day to "
			    "31st from last");
	if (!bits)
		return fail(err, errlen, "must select at least one day");
	tc->days_of_month = bits;
	return 0;
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* The weekday (0 = Sunday) of the 3-letter name in [s, e), or -1. */
static int
day_index(const char *s, const char *e)
{
	int i;

	trim(&s, &e);
	if (e - s != 3)
		return ATTLS_EINVAL;
	for (i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return ATTLS_EINVAL;
}

/* "Mon-Fri", "mon,wed,sat", "Fri-Mon" (a range may wrap past Saturday). */
static int
parse_day_names(const char *v, uint8_t *mask)
{
	const char *s = v, *e, *dash;
	int a, b;

	*mask = 0;
	for (;;) {
		e = s + strcspn(s, ",");
		dash = memchr(s, '-', (size_t)(e - s));
		a = day_index(s, dash ? dash : e);
		b = dash ? day_index(dash + 1, e) : a;
		if (a < 0 || b < 0)
			return ATTLS_EINVAL;
		for (;; a = (a + 1) % 7) {
			*mask |= (uint8_t)(1u << a);
			if (a == b)
				break;
		}
		if (!*e)
			return 0;
		s = e + 1;
	}
}

static int
parse_days_of_week(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	uint64_t bits;
	uint8_t mask;

	if (v[strspn(v, "01")] == '\0') {
		if (parse_bits(v, 7, &bits) != 0)
			return fail(err, errlen, "must be 7 characters of 0 and 1, Sunday first");
		mask = (uint8_t)bits;
	} else if (parse_day_names(v, &mask) != 0) {
		return fail(err, errlen,
			    "must be 7 characters of 0 and 1, Sunday first, or day names such as "
			    "Mon-Fri or Mon,Wed,Sat");
	}
	if (!mask)
		return fail(err, errlen, "must select at least one day");
	tc->days_of_week = mask;
	return 0;
}

/* hh:mm[:ss] at *p; advances *p past it. */
static int
parse_hms(const char **p, int32_t *sod)
{
	const char *s = *p;
	int h = digits(s, 2), m = -1, sec = 0;

	if (h >= 0 && s[2] == ':')
		m = digits(s + 3, 2);
	if (m < 0)
		return ATTLS_EINVAL;
	s += 5;
	if (*s == ':') {
		if ((sec = digits(s + 1, 2)) < 0)
			return ATTLS_EINVAL;
		s += 3;
	}
	if (h > 23 || m > 59 || sec > 59)
		return ATTLS_EINVAL;
	*sod = h * 3600 + m * 60 + sec;
	*p = s;
	return 0;
}

static int
parse_time_of_day(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	const char *p = v;

	if (parse_hms(&p, &tc->tod_start) != 0)
		goto bad;
	p += strspn(p, " \t");
	if (*p++ != '-')
		goto bad;
	p += strspn(p, " \t");
	if (parse_hms(&p, &tc->tod_end) != 0 || *p)
		goto bad;
	return 0;
bad:
	return fail(err, errlen, "must be hh:mm[:ss]-hh:mm[:ss] (hh 00-23, mm and ss 00-59)");
}

static int
parse_time_zone(struct timecond *tc, const char *v, char *err, size_t errlen)
{
	if (strcasecmp(v, "Local") == 0)
		tc->zone = TIMECOND_LOCAL;
	else if (strcasecmp(v, "UTC") == 0)
		tc->zone = TIMECOND_UTC;
	else
		return fail(err, errlen, "must be Local or UTC");
	return 0;
}

static const struct timecond_field {
	const char *key;
	unsigned bit;
	int (*parse)(struct timecond *tc, const char *v, char *err, size_t errlen);
} fields[] = {
	{ "period", TIMECOND_SET_PERIOD, parse_period },
	{ "months", TIMECOND_SET_MONTHS, parse_months },
	{ "days_of_month", TIMECOND_SET_DAYS_OF_MONTH, parse_days_of_month },
	{ "days_of_week", TIMECOND_SET_DAYS_OF_WEEK, parse_days_of_week },
	{ "time_of_day", TIMECOND_SET_TIME_OF_DAY, parse_time_of_day },
	{ "time_zone", TIMECOND_SET_TIME_ZONE, parse_time_zone },
};

void
timecond_init(struct timecond *tc)
{
	memset(tc, 0, sizeof(*tc));
	tc->zone = TIMECOND_LOCAL;
	tc->wrap = TIMECOND_WRAP_CALENDAR_DAY;
}

int
timecond_parse_field(struct timecond *tc, const char *key, const char *value, char *err,
		     size_t errlen)
{
	struct timecond tmp;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(key, fields[i].key) == 0)
			break;
	if (i == ARRAY_SIZE(fields)) {
		fail(err, errlen, "is not a time condition key");
		return ATTLS_ENOENT;
	}
	if (!value)
		return fail(err, errlen, "must be a text value");
	/* Parse into a copy so that a bad value leaves 'tc' as it was. */
	tmp = *tc;
	if ((r = fields[i].parse(&tmp, value, err, errlen)) != 0)
		return r;
	tmp.set |= fields[i].bit;
	*tc = tmp;
	return 0;
}

/* ---- printing ---- */

static void
put(FILE *out, const char *indent, const char *label, const char *value)
{
	fprintf(out, "%s%-32s %s\n", indent, label, value);
}

static void
put_bits(FILE *out, const char *indent, const char *label, uint64_t bits, int from, int n)
{
	char buf[64];
	int i;

	for (i = 0; i < n; i++)
		buf[i] = bits & (UINT64_C(1) << (from + i)) ? '1' : '0';
	buf[n] = '\0';
	put(out, indent, label, buf);
}

static void
put_stamp(FILE *out, const char *indent, const char *label, bool set, int64_t wall)
{
	int64_t day = floor_div(wall, DAY), y;
	int32_t sod = (int32_t)(wall - day * DAY);
	int m, d;
	char buf[64];

	if (!set) {
		put(out, indent, label, "None");
		return;
	}
	civil_from_days(day, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, m, d,
		 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	put(out, indent, label, buf);
}

static void
put_tod(FILE *out, const char *indent, const char *label, int32_t sod)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60),
		 (int)(sod % 60));
	put(out, indent, label, buf);
}

/* Absent masks print as all ones and an absent daily window as the whole day, as
 * pasearch shows effective values. */
void
timecond_format(const struct timecond *tc, FILE *out, const char *indent)
{
	unsigned s = tc->set;
	bool tod = s & TIMECOND_SET_TIME_OF_DAY;

	put_stamp(out, indent, "Start Date Time:", s & TIMECOND_SET_PERIOD, tc->period_start);
	put_stamp(out, indent, "End Date Time:", s & TIMECOND_SET_PERIOD, tc->period_end);
	put_bits(out, indent, "Month of Yr Mask:", s & TIMECOND_SET_MONTHS ? tc->months : 0xfff, 0,
		 12);
	put_bits(out, indent, "Day of Month Mask First to Last:",
		 s & TIMECOND_SET_DAYS_OF_MONTH ? tc->days_of_month : ~UINT64_C(0), 0, 31);
	put_bits(out, indent, "Last to First:",
		 s & TIMECOND_SET_DAYS_OF_MONTH ? tc->days_of_month : ~UINT64_C(0), 31, 31);
	put_bits(out, indent, "Day of Week Mask:",
		 s & TIMECOND_SET_DAYS_OF_WEEK ? tc->days_of_week : 0x7f, 0, 7);
	put_tod(out, indent, "Fr TimeOfDay:", tod ? tc->tod_start : 0);
	put_tod(out, indent, "To TimeOfDay:", tod ? tc->tod_end : DAY - 1);
	put(out, indent, "TimeZone:", tc->zone == TIMECOND_UTC ? "UTC" : "Local");
}

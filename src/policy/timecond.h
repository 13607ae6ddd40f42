/* SPDX-License-Identifier: Apache-2.0 */
/* IpTimeCondition: when a TTLS or filter rule is in effect, modelled on CIM
 * PolicyTimePeriodCondition (RFC 3060): an absolute window, month, day-of-month and
 * day-of-week masks and a daily window, in local time or UTC. Pure: libc only. */
#ifndef ATTLS_TIMECOND_H
#define ATTLS_TIMECOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/compiler.h"

enum timecond_zone {
	TIMECOND_LOCAL = 0, /* the process's TZ (default, as on z/OS; unverified) */
	TIMECOND_UTC = 1,
};

/* Which calendar day the day masks test for the part of a midnight-wrapping daily
 * window (22:00-06:00) that falls after midnight. */
enum timecond_wrap {
	TIMECOND_WRAP_START_DAY = 0,    /* the day the window started */
	TIMECOND_WRAP_CALENDAR_DAY = 1, /* the day the instant falls on (RFC 3060; default) */
};

/* Bits of timecond.set: which properties were given. An absent one is "always". */
enum {
	TIMECOND_SET_PERIOD = 1u << 0,
	TIMECOND_SET_MONTHS = 1u << 1,
	TIMECOND_SET_DAYS_OF_MONTH = 1u << 2,
	TIMECOND_SET_DAYS_OF_WEEK = 1u << 3,
	TIMECOND_SET_TIME_OF_DAY = 1u << 4,
	TIMECOND_SET_TIME_ZONE = 1u << 5,
};

/* All times are wall-clock times in the condition's zone. "Wall seconds" count
 * seconds since 1970-01-01 00:00:00 of that wall clock, ignoring UTC offsets. */
struct timecond {
	unsigned set;           /* TIMECOND_SET_* */
	int64_t period_start;   /* TimePeriodWindow, wall seconds */
	int64_t period_end;     /* inclusive to the second */
	uint16_t months;        /* MonthOfYearMask: bit 0 = January */
	uint64_t days_of_month; /* DayOfMonthMask: bit d-1 = day d, bit 30+k = k-th from last */
	uint8_t days_of_week;   /* DayOfWeekMask: bit 0 = Sunday */
	int32_t tod_start;      /* TimeOfDayWindow, seconds after midnight */
	int32_t tod_end;        /* inclusive; < start wraps past midnight; == start: all day */
	int zone;               /* enum timecond_zone */
	int wrap;               /* enum timecond_wrap */
};

/* An empty condition: always active, Local, TIMECOND_WRAP_CALENDAR_DAY. */
void timecond_init(struct timecond *tc);

/* Sets one property from its policy key and text value:
 *   period         yyyymmddhhmmss:yyyymmddhhmmss (TimePeriodWindow, end inclusive)
 *   months         12 characters of 0 and 1, January first (MonthOfYearMask)
 *   days_of_month  62 characters of 0 and 1: days 1..31, then last day, second to
 *                  last, ... (DayOfMonthMask)
 *   days_of_week   7 characters of 0 and 1, Sunday first (DayOfWeekMask), or day
 *                  names and ranges such as "Mon-Fri" or "mon,wed,sat"
 *   time_of_day    hh:mm[:ss]-hh:mm[:ss] (TimeOfDayWindow, end inclusive)
 *   time_zone      Local or UTC, any case
 * Returns 0, ATTLS_ENOENT for an unknown key or ATTLS_EINVAL for a bad value, with a
 * short phrase in 'err' (may be NULL). On failure 'tc' is unchanged. */
ATTLS_NODISCARD int timecond_parse_field(struct timecond *tc, const char *key, const char *value,
					 char *err, size_t errlen);

/* Whether the condition holds at 'now'. Local conditions use the TZ in effect at the
 * last tzset() (localtime_r does not re-read TZ); otherwise pure. */
bool timecond_active(const struct timecond *tc, time_t now);

/* The first second after 'now' at which timecond_active() changes value, or
 * (time_t)-1 if it does not change within 400 days. */
time_t timecond_next_change(const struct timecond *tc, time_t now);

/* Prints the condition, defaults resolved, in the labels of z/OS pasearch's
 * "Time Periods" block, each line prefixed by 'indent'. */
void timecond_format(const struct timecond *tc, FILE *out, const char *indent);

#endif

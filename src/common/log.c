/* SPDX-License-Identifier: Apache-2.0 */
/* Log sinks: stderr in the foreground, syslog as a daemon; level filter; the
 * one ceiling on lines per second about connections. */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ratelimit.h"

static atomic_int log_level = LOG_INFO;
static bool log_foreground = true;
static char log_ident[32] = "attlsd";

/* The ceiling: one budget of one-second windows for every sink, so that a
 * flood of failures cannot fill the disk or drown syslog whichever sink an
 * operator reads. */
static struct ratelimit ceil_rl;
static atomic_uint ceil_limit;
static atomic_llong ceil_since; /* second of the first drop not yet reported; 0: none */

void
log_open(const char *ident, bool foreground, int facility)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_foreground = foreground;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_close(void)
{
	if (!log_foreground)
		closelog();
}

void
log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int
log_get_level(void)
{
	return atomic_load(&log_level);
}

bool
log_enabled(int level)
{
	return level <= atomic_load(&log_level);
}

static void log_vmsg(int level, const char *fmt, va_list ap) ATTLS_PRINTF(2, 0);

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_trace(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[4096], ts[40];
	struct timeval tv;
	struct tm tm;
	int n, off;

	if (!log_foreground) {
		vsyslog(level, fmt, ap);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	off = snprintf(line, sizeof(line), "%s.%03dZ %s[%d]: ", ts, (int)(tv.tv_usec / 1000),
		       log_ident, (int)getpid());
	n = vsnprintf(line + off, sizeof(line) - (size_t)off - 1, fmt, ap);
	if (n < 0)
		return;
	off += n;
	if ((size_t)off > sizeof(line) - 2)
		off = (int)sizeof(line) - 2;
	line[off++] = '\n';
	/* One write per line keeps lines from worker threads whole. */
	if (write(STDERR_FILENO, line, (size_t)off) < 0)
		return;
}

bool
log_ceiling_admit(unsigned lines, unsigned limit)
{
	long long now, zero = 0;

	if (!limit)
		return true;
	now = ratelimit_now();
	if (ratelimit_admit_n(&ceil_rl, now, 1, limit, lines))
		return true;
	atomic_store(&ceil_limit, limit);
	(void)atomic_compare_exchange_strong(&ceil_since, &zero, now);
	return false;
}

unsigned long long
log_ceiling_report(unsigned *seconds)
{
	unsigned long long n = ratelimit_take_suppressed(&ceil_rl);
	long long since, now;

	*seconds = 0;
	if (!n)
		return 0;
	now = ratelimit_now();
	since = atomic_exchange(&ceil_since, 0);
	/* A drop racing this report may have left no start: call it a second. */
	*seconds = since && now > since ? (unsigned)(now - since) + 1 : 1;
	log_msg(LOG_WARNING, "ATL1293I TTLS Log ceiling: %llu lines about connections not written "
			     "in the last %us (settings.log_max_lines_per_second: %u)",
		n, *seconds, atomic_load(&ceil_limit));
	return n;
}

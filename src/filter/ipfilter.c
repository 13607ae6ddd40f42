/* SPDX-License-Identifier: Apache-2.0 */
/* IP filtering at accept time, before the TLS stack sees a byte: first filter in
 * file order wins, no match is the implicit deny. Denials are logged in the
 * z/OS EZD0815I key=value layout, at most filter_log_limit lines per filter per
 * second (common/ratelimit.c); what is held back is counted and summarised
 * (EZD0837I). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/ratelimit.h"
#include "ipfilter.h"

#define IMPLICIT_NAME "IMPLICIT-DENY"

static void
ip_of(const union rt_sockaddr *sa, char *buf, size_t len)
{
	if (sa->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &sa->in.sin_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, &sa->in6.sin6_addr, buf, (socklen_t)len);
}

static unsigned
port_of(const union rt_sockaddr *sa)
{
	return ntohs(sa->sa.sa_family == AF_INET ? sa->in.sin_port : sa->in6.sin6_port);
}

static void
log_match(const char *name, bool deny, const union rt_sockaddr *peer,
	  const union rt_sockaddr *local)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ts[40];
	struct timeval tv;
	struct tm tm;

	ip_of(peer, src, sizeof(src));
	ip_of(local, dst, sizeof(dst));
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
	log_msg(deny ? LOG_WARNING : LOG_INFO,
		"%s Packet %s by policy: %s.%02d filter rule= %s ext= 1 sipaddr= %s dipaddr= %s "
		"proto= TCP(6) sport= %u dport= %u Interface= %s ( I ) secclass= 0 dest= local "
		"len= 0 vpnaction= N/A tunnelID= N/A ifcname= N/A fragment= N",
		deny ? "EZD0815I" : "EZD0814I", deny ? "denied" : "permitted", ts,
		(int)(tv.tv_usec / 10000), name, src, dst, port_of(peer), port_of(local), dst);
}

/* A denial that a filter's time window caused: the first permitting filter
 * that matches but for its IpTimeCondition, said with its window and when it
 * opens, so the denial is not a bare IMPLICIT-DENY. */
static void
log_window_cause(const struct policy *p, const struct policy_conn_attrs *a)
{
	struct policy_conn_attrs any = *a;
	const struct policy_filter *f = NULL;
	const struct timecond *tc;
	char opens[48] = "not within 400 days", win[80];
	struct tm tm;
	time_t next;
	size_t i;

	any.now = 0; /* time conditions ignored */
	for (i = 0; i < p->nfilters && !f; i++)
		if (p->filters[i].time_cond && p->filters[i].action == POLICY_FILTER_PERMIT &&
		    policy_filter_matches(&p->filters[i], &any))
			f = &p->filters[i];
	if (!f)
		return;
	tc = &f->time_cond->tc;
	next = timecond_next_change(tc, a->now);
	if (next != (time_t)-1 && gmtime_r(&next, &tm))
		strftime(opens, sizeof(opens), "at %Y-%m-%d %H:%M:%S UTC", &tm);
	if (tc->set & TIMECOND_SET_TIME_OF_DAY)
		snprintf(win, sizeof(win), "time of day %02d:%02d-%02d:%02d %s", tc->tod_start / 3600,
			 tc->tod_start / 60 % 60, tc->tod_end / 3600, tc->tod_end / 60 % 60,
			 tc->zone == TIMECOND_UTC ? "UTC" : "local time");
	else
		snprintf(win, sizeof(win), "its period, months or days");
	log_msg(LOG_WARNING,
		"ATL0815I Packet denied by policy: filter rule %s (%s:%u) would permit this "
		"connection, but its time condition %s (%s:%u) is not in effect now (%s); it "
		"next opens %s. Fix: connect while the window is open, or widen time condition %s",
		f->name, p->path, f->pos.line, f->time_cond->name, p->path, f->time_cond->pos.line,
		win, opens, f->time_cond->name);
}

static void
close_denied(int fd, int how)
{
	struct linger l = { 1, 0 };

	if (how == POLICY_DENY_RESET)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

bool
ipfilter_check(struct rt_gen *g, int fd, const union rt_sockaddr *peer,
	       const union rt_sockaddr *local)
{
	const struct policy *p = g->policy;
	const struct policy_filter *f;
	struct policy_conn_attrs a;
	struct rt_filter_stat *st;
	bool deny, logit;

	rt_conn_attrs(local, peer, &a);
	f = policy_filter_match(p, &a);
	st = &g->fstats[f ? f->index : p->nfilters];
	deny = !f || f->action == POLICY_FILTER_DENY;
	logit = f ? f->log : p->settings.filter_log_implicit;
	atomic_fetch_add(deny ? &st->denied : &st->permitted, 1);
	/* A budget of one second per filter, then the global ceiling on lines
	 * about connections (a denial by a closed window may take two lines). */
	if (logit &&
	    ratelimit_admit(&st->log, (long long)time(NULL), 1, p->settings.filter_log_limit) &&
	    log_ceiling_admit(!f && a.now ? 2 : 1, p->settings.log_max_lines_per_second)) {
		log_match(f ? f->name : IMPLICIT_NAME, deny, peer, local);
		if (!f && a.now)
			log_window_cause(p, &a);
	}
	if (deny)
		close_denied(fd, p->settings.filter_deny);
	return !deny;
}

void
ipfilter_flush_suppressed(struct rt_gen *g)
{
	size_t i;

	for (i = 0; i <= g->policy->nfilters; i++) {
		unsigned long long n = ratelimit_take_suppressed(&g->fstats[i].log);
		if (n)
			log_msg(LOG_WARNING, "EZD0837I Packet filter messages limited: filter rule= %s "
					     "suppressed_count= %llu",
				i < g->policy->nfilters ? g->policy->filters[i].name : IMPLICIT_NAME, n);
	}
}

void
ipfilter_log_counters(struct rt_gen *g)
{
	size_t i;

	for (i = 0; i <= g->policy->nfilters && g->policy->nfilters; i++)
		log_notice("ATL0816I filter rule= %s permitted= %llu denied= %llu",
			   i < g->policy->nfilters ? g->policy->filters[i].name : IMPLICIT_NAME,
			   (unsigned long long)atomic_load(&g->fstats[i].permitted),
			   (unsigned long long)atomic_load(&g->fstats[i].denied));
}

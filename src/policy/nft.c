/* SPDX-License-Identifier: Apache-2.0 */
/* The filter rules as an nftables ruleset, so the kernel can enforce the same
 * policy: one chain on the input hook for the ports attlsd listens on, the
 * filters in order, the implicit deny last. What nftables cannot express
 * (month and day-of-month masks) is left out with a comment and a warning. */
#include "config.h"

#include <string.h>

#include "policy.h"

static const char *const day_names[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };

static bool
is_v4(const struct policy_addr_range *r)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(r->lo, pfx, 12) == 0;
}

/* "ip saddr { a, b-c }" for the ranges of one family; false if none. */
bool
policy_nft_addrs(FILE *out, const struct policy_addrs *as, bool v4, const char *dir)
{
	char lo[64], hi[64];
	size_t i, n = 0;

	if (as->n == 0)
		return true;
	for (i = 0; i < as->n; i++)
		n += is_v4(&as->ranges[i]) == v4;
	if (!n)
		return false;
	if (!out)
		return true;
	fprintf(out, " %s %s {", v4 ? "ip" : "ip6", dir);
	for (i = 0, n = 0; i < as->n; i++) {
		if (is_v4(&as->ranges[i]) != v4)
			continue;
		policy_addr_format(as->ranges[i].lo, lo, sizeof(lo));
		policy_addr_format(as->ranges[i].hi, hi, sizeof(hi));
		if (strcmp(lo, hi) == 0)
			fprintf(out, "%s %s", n++ ? "," : "", lo);
		else
			fprintf(out, "%s %s-%s", n++ ? "," : "", lo, hi);
	}
	fprintf(out, " }");
	return true;
}

void
policy_nft_ports(FILE *out, const struct policy_ports *pp, const char *what)
{
	size_t i, n = policy_ports_count(pp);

	if (pp->lo == 0 && pp->hi == 65535 && n == 1)
		return;
	if (n == 1 && pp->lo == pp->hi) {
		fprintf(out, " tcp %s %u", what, pp->lo);
		return;
	}
	if (n == 1) {
		fprintf(out, " tcp %s %u-%u", what, pp->lo, pp->hi);
		return;
	}
	/* A port set: an anonymous nft set of its ports and intervals. */
	fprintf(out, " tcp %s {", what);
	for (i = 0; i < n; i++) {
		struct policy_port_range r = policy_ports_range(pp, i);

		if (r.lo == r.hi)
			fprintf(out, "%s %u", i ? "," : "", r.lo);
		else
			fprintf(out, "%s %u-%u", i ? "," : "", r.lo, r.hi);
	}
	fprintf(out, " }");
}

static void
put_hms(FILE *out, int32_t s)
{
	fprintf(out, "\"%02d:%02d:%02d\"", s / 3600, s / 60 % 60, s % 60);
}

static void
put_period(FILE *out, const struct timecond *tc)
{
	char a[32], b[32];
	time_t s = (time_t)tc->period_start, e = (time_t)tc->period_end;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", &tm);
	gmtime_r(&e, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, " meta time \"%s\"-\"%s\"", a, b);
}

/* One nft rule: match, optional hour window, verdict. */
static void
put_rule(FILE *out, const struct policy *p, const struct policy_filter *f, bool v4,
	 const int32_t *hours)
{
	const struct timecond *tc = f->time_cond ? &f->time_cond->tc : NULL;
	int d, n = 0;

	fprintf(out, "\t\tmeta l4proto tcp");
	policy_nft_addrs(out, &f->source, v4, "saddr");
	policy_nft_addrs(out, &f->destination, v4, "daddr");
	policy_nft_ports(out, &f->source_port, "sport");
	policy_nft_ports(out, &f->destination_port, "dport");
	if (tc && (tc->set & TIMECOND_SET_DAYS_OF_WEEK)) {
		fprintf(out, " meta day {");
		for (d = 0; d < 7; d++)
			if (tc->days_of_week & (1u << d))
				fprintf(out, "%s %s", n++ ? "," : "", day_names[d]);
		fprintf(out, " }");
	}
	if (tc && (tc->set & TIMECOND_SET_PERIOD))
		put_period(out, tc);
	if (hours) {
		fprintf(out, " meta hour ");
		put_hms(out, hours[0]);
		fprintf(out, "-");
		put_hms(out, hours[1]);
	}
	if (f->action == POLICY_FILTER_PERMIT)
		fprintf(out, " counter accept");
	else
		fprintf(out, "%s counter %s", f->log ? " log prefix \"EZD0815I attls deny \"" : "",
			p->settings.filter_deny == POLICY_DENY_RESET ? "reject with tcp reset" : "drop");
	fprintf(out, " comment \"filter %s\"\n", f->name);
}

/* A filter: per address family, split at midnight when its window wraps (each
 * part on the day it falls on, as attlsd evaluates it). Returns 1 if skipped. */
static int
put_filter(FILE *out, const struct policy *p, const struct policy_filter *f)
{
	const struct timecond *tc = f->time_cond ? &f->time_cond->tc : NULL;
	int32_t h1[2], h2[2];
	int fam;

	if (!(f->direction & POLICY_DIR_INBOUND))
		return 0;
	if (tc && (tc->set & (TIMECOND_SET_MONTHS | TIMECOND_SET_DAYS_OF_MONTH))) {
		fprintf(out, "\t\t# filter %s: month or day-of-month mask; nftables cannot express "
			     "it, so only attlsd enforces this filter\n",
			f->name);
		return 1;
	}
	for (fam = 0; fam < 2; fam++) {
		bool v4 = fam == 0;
		int32_t *a = NULL, *b = NULL;

		if ((f->source.n && !policy_nft_addrs(NULL, &f->source, v4, "")) ||
		    (f->destination.n && !policy_nft_addrs(NULL, &f->destination, v4, "")))
			continue;
		if (tc && (tc->set & TIMECOND_SET_TIME_OF_DAY) && tc->tod_start != tc->tod_end) {
			h1[0] = tc->tod_start;
			h1[1] = tc->tod_start < tc->tod_end ? tc->tod_end : 86399;
			a = h1;
			if (tc->tod_start > tc->tod_end) {
				h2[0] = 0;
				h2[1] = tc->tod_end;
				b = h2;
			}
		}
		put_rule(out, p, f, v4, a);
		if (b)
			put_rule(out, p, f, v4, b);
	}
	return 0;
}

int
policy_nft_export(const struct policy *p, FILE *out)
{
	size_t i;
	int skipped = 0;

	fprintf(out, "#!/usr/sbin/nft -f\n# IP filter rules of %s for nftables (attlsctl filter "
		     "export --nft).\n# Connections are judged when they start, as attlsd judges "
		     "them at accept; time\n# windows follow the kernel's clock in the zone nft had "
		     "when loading (Local).\n",
		p->path);
	fprintf(out, "table inet attls_filter\ndelete table inet attls_filter\n"
		     "table inet attls_filter {\n\tchain input {\n"
		     "\t\ttype filter hook input priority filter; policy accept;\n");
	if (p->nlisteners) {
		fprintf(out, "\t\ttcp dport {");
		for (i = 0; i < p->nlisteners; i++)
			fprintf(out, "%s %u", i ? "," : "", p->listeners[i].port);
		fprintf(out, " } ct state new jump attls_filters\n");
	}
	fprintf(out, "\t}\n\tchain attls_filters {\n");
	for (i = 0; i < p->nfilters; i++)
		skipped += put_filter(out, p, &p->filters[i]);
	fprintf(out, "\t\t%scounter %s comment \"implicit deny\"\n",
		 p->settings.filter_log_implicit ? "log prefix \"EZD0815I attls implicit \" " : "",
		 p->settings.filter_deny == POLICY_DENY_RESET ? "reject with tcp reset" : "drop");
	fprintf(out, "\t}\n}\n");
	return skipped;
}

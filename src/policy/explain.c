/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl explain: which filter and which TTLS rule a connection would meet,
 * and for every one passed over, the first condition that did not hold. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

#define EXPLAIN_MAX_SHOWN 50

static const char *
window_miss(const struct policy_time_cond *t, time_t now, char *buf, size_t len)
{
	if (!t || !now || timecond_active(&t->tc, now))
		return NULL;
	snprintf(buf, len, "time condition \"%s\" is not in effect then", t->name);
	return buf;
}

/* Why filter 'f' does not match, or NULL if it does. */
static const char *
filter_miss(const struct policy_filter *f, const struct policy_conn_attrs *a, char *buf,
	    size_t len)
{
	bool in = a->direction == POLICY_DIR_INBOUND;

	if (!(f->direction & a->direction))
		return "it is for the other direction";
	if (!policy_addrs_contain(&f->source, in ? a->remote_addr : a->local_addr))
		return "the source address is not in its source";
	if (!policy_addrs_contain(&f->destination, in ? a->local_addr : a->remote_addr))
		return "the destination address is not in its destination";
	if (!policy_ports_contain(&f->source_port, in ? a->remote_port : a->local_port))
		return "the source port is not in its source_port";
	if (!policy_ports_contain(&f->destination_port, in ? a->local_port : a->remote_port))
		return "the destination port is not in its destination_port";
	return window_miss(f->time_cond, a->now, buf, len);
}

static const char *
rule_miss(const struct policy_rule *r, const struct policy_conn_attrs *a, char *buf, size_t len)
{
	if (!(r->direction & a->direction))
		return "it is for the other direction";
	if (!policy_ports_contain(&r->local_port, a->local_port))
		return "the local port is not in its local_port";
	if (!policy_ports_contain(&r->remote_port, a->remote_port))
		return "the remote port is not in its remote_port";
	if (!policy_addrs_contain(&r->local_addr, a->local_addr))
		return "the local address is not in its local_addr";
	if (!policy_addrs_contain(&r->remote_addr, a->remote_addr))
		return "the remote address is not in its remote_addr";
	if (r->jobname || r->userid)
		return "it names a jobname or userid, which only a live intercepted outbound "
		       "connection reveals";
	return window_miss(r->time_cond, a->now, buf, len);
}

/* Returns true if the filters let the connection through. */
static bool
explain_filters(const struct policy *p, const struct policy_conn_attrs *a, FILE *out)
{
	char buf[160];
	size_t i;

	if (!p->nfilters) {
		fprintf(out, "IP filters: none defined; filtering is off\n");
		return true;
	}
	fprintf(out, "IP filters, in file order (first match wins):\n");
	for (i = 0; i < p->nfilters; i++) {
		const struct policy_filter *f = &p->filters[i];
		const char *why = filter_miss(f, a, buf, sizeof(buf));

		if (!why) {
			/* Entry positions name files through the load's diagnostic list,
			 * which is gone by now: the policy keeps its own path. */
			fprintf(out, "  => %s (%s:%u): %s%s\n", f->name, p->path, f->pos.line,
				f->action == POLICY_FILTER_PERMIT ? "permit" : "deny",
				f->log ? ", logged" : "");
			return f->action == POLICY_FILTER_PERMIT;
		}
		if (i < EXPLAIN_MAX_SHOWN)
			fprintf(out, "  -  %s: no, %s\n", f->name, why);
	}
	if (p->nfilters > EXPLAIN_MAX_SHOWN)
		fprintf(out, "  (%zu more filters not shown)\n", p->nfilters - EXPLAIN_MAX_SHOWN);
	fprintf(out, "  => no filter matched: implicit deny%s\n",
		p->settings.filter_log_implicit ? ", logged" : "");
	return false;
}

static void
explain_rules(const struct policy *p, const struct policy_conn_attrs *a, FILE *out)
{
	char buf[160];
	size_t i;

	fprintf(out, "TTLS rules, by priority then name (first match wins):\n");
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const char *why = rule_miss(r, a, buf, sizeof(buf));

		if (!why) {
			fprintf(out, "  => %s (priority %u, %s:%u): ", r->name, r->priority,
				p->path, r->pos.line);
			if (!r->eff.enabled)
				fprintf(out, "clear text (group \"%s\" has TLS off)\n",
					r->group ? r->group->name : "-");
			else
				fprintf(out, "TLS, role %s, environment \"%s\"\n",
					policy_role_name(r->eff.role), r->env ? r->env->name : "-");
			return;
		}
		if (i < EXPLAIN_MAX_SHOWN)
			fprintf(out, "  -  %s (priority %u): no, %s\n", r->name, r->priority, why);
	}
	if (p->nrules > EXPLAIN_MAX_SHOWN)
		fprintf(out, "  (%zu more rules not shown)\n", p->nrules - EXPLAIN_MAX_SHOWN);
	if (policy_no_match_denies(p, policy_listener_at_port(p, a->local_port)))
		fprintf(out, "  => no rule matched: denied (settings.no_match, RC 5105)\n");
	else
		fprintf(out, "  => no rule matched: relayed in clear text (AT-TLS fails open)\n");
}

void
policy_explain(const struct policy *p, const struct policy_conn_attrs *a, FILE *out)
{
	char l[64], r[64], when[40];
	struct tm tm;

	policy_addr_format(a->local_addr, l, sizeof(l));
	policy_addr_format(a->remote_addr, r, sizeof(r));
	gmtime_r(&a->now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "connection: %s from %s..%u to %s..%u at %s\n",
		a->direction == POLICY_DIR_INBOUND ? "inbound" : "outbound", r, a->remote_port, l,
		a->local_port, when);
	if (!explain_filters(p, a, out)) {
		fprintf(out, "TTLS rules: not consulted, the connection is refused before TLS\n");
		return;
	}
	explain_rules(p, a, out);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* policy_match(): connection attributes -> first matching rule. Pure, no I/O. */
#include "config.h"

#include <string.h>

#include "policy.h"

/* Jobname/Userid patterns: exact, or a prefix with a trailing '*' (AT-TLS). */
static bool
name_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (!name)
		return false; /* unknown owner: a rule that asks cannot match */
	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

bool
policy_rule_matches(const struct policy_rule *r, const struct policy_conn_attrs *a)
{
	if (!(r->direction & a->direction))
		return false;
	if (!policy_ports_contain(&r->local_port, a->local_port) ||
	    !policy_ports_contain(&r->remote_port, a->remote_port))
		return false;
	if (!policy_addrs_contain(&r->local_addr, a->local_addr) ||
	    !policy_addrs_contain(&r->remote_addr, a->remote_addr))
		return false;
	if ((r->jobname && !name_matches(r->jobname, a->jobname)) ||
	    (r->userid && !name_matches(r->userid, a->userid)))
		return false;
	/* A rule outside its time window matches no new connection. */
	return !r->time_cond || !a->now || timecond_active(&r->time_cond->tc, a->now);
}

const struct policy_rule *
policy_match_linear(const struct policy *p, const struct policy_conn_attrs *a)
{
	size_t i;

	/* Rules are stored in match order: priority descending, then name. */
	for (i = 0; i < p->nrules; i++)
		if (policy_rule_matches(&p->rules[i], a))
			return &p->rules[i];
	return NULL;
}

/* Fail closed: a listener attlsd opened for TLS rules never relays clear text
 * unless the policy asks for it (AT-TLS's fail-open "no policy" is opt-in). */
bool
policy_no_match_denies(const struct policy *p, const struct policy_listener *l)
{
	switch (p->settings.no_match) {
	case POLICY_NO_MATCH_CLEAR:
		return false;
	case POLICY_NO_MATCH_DENY:
		return true;
	default:
		return l && l->tls;
	}
}

const struct policy_listener *
policy_listener_at_port(const struct policy *p, unsigned port)
{
	size_t i;

	for (i = 0; i < p->nlisteners; i++)
		if (p->listeners[i].port == port)
			return &p->listeners[i];
	return NULL;
}

const struct policy_rule *
policy_match(const struct policy *p, const struct policy_conn_attrs *a)
{
	if (p->index)
		return policy_index_match(p, p->index, a);
	return policy_match_linear(p, a);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The listeners: for each rule the host and ports attlsd listens on (its
 * "listen", or its local_addr and local_port), rules that can share a socket
 * sharing one, and relative backends checked against them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy_int.h"

/* local_addr 0.0.0.0 (0.0.0.0/0) or :: (::/0): the wildcard socket of the family. */
static bool
listen_wildcard(const struct policy_addr_range *r, char *host, size_t hlen)
{
	struct policy_addr_range any4, any6;

	if (policy_addr_parse("0.0.0.0/0", &any4) != 0 || policy_addr_parse("::/0", &any6) != 0)
		return false;
	if (!memcmp(r, &any4, sizeof(*r)))
		snprintf(host, hlen, "0.0.0.0");
	else if (!memcmp(r, &any6, sizeof(*r)))
		snprintf(host, hlen, "::");
	else
		return false;
	return true;
}

/* Where a rule listens: its "listen", else local_addr and each port of its
 * local_port. A diverting listener needs "listen" (check_intercept says so),
 * so only a rule that clients connect to directly listens on several ports. */
static int
derive_listen(const struct policy *p, const struct policy_rule *r, char *host, size_t hlen,
	      struct policy_ports *ports, size_t *nports, struct diag_list *dl)
{
	struct diag_pos ppos = r->local_port_pos.line ? r->local_port_pos : r->pos;
	size_t i, n = 0;

	memset(ports, 0, sizeof(*ports));
	if (r->listen.set) {
		snprintf(host, hlen, "%s", r->listen.host);
		ports->lo = ports->hi = r->listen.port;
		*nports = 1;
		return 0;
	}
	if (r->local_port.lo == 0 || (r->intercept && r->local_port.lo != r->local_port.hi)) {
		diag_error(dl, ppos, "rule \"%s\": attlsd listens on the rule's local_port, so it "
				     "must be a single port (or give \"listen: host:port\")",
			   r->name);
		return ATTLS_EPOLICY;
	}
	for (i = 0; i < policy_ports_count(&r->local_port); i++) {
		struct policy_port_range pr = policy_ports_range(&r->local_port, i);
		n += (size_t)pr.hi - pr.lo + 1;
	}
	if (n > p->settings.max_rule_listeners) {
		diag_error(dl, ppos, "rule \"%s\": local_port names %zu ports, and attlsd listens "
				     "on each of them; settings.max_rule_listeners allows %u (name "
				     "fewer ports, or raise it)",
			   r->name, n, p->settings.max_rule_listeners);
		return ATTLS_EPOLICY;
	}
	*ports = r->local_port;
	*nports = n;
	if (r->local_addr.n == 0) {
		snprintf(host, hlen, "0.0.0.0");
		return 0;
	}
	if (r->local_addr.n == 1 && listen_wildcard(&r->local_addr.ranges[0], host, hlen))
		return 0;
	if (r->local_addr.n != 1 || memcmp(r->local_addr.ranges[0].lo, r->local_addr.ranges[0].hi, 16)) {
		diag_error(dl, r->pos, "rule \"%s\": local_addr names more than one address, so "
				       "attlsd cannot listen on it (give \"listen: host:port\")",
			   r->name);
		return ATTLS_EPOLICY;
	}
	policy_addr_format(r->local_addr.ranges[0].lo, host, hlen);
	return 0;
}

/* One listener serves one way of arriving: how the original destination is
 * read, and whether the accepting side is the application's peer or itself. */
static bool
listener_compatible(const struct policy_listener *l, const struct policy_rule *r)
{
	int dir = r->direction == POLICY_DIR_OUTBOUND ? POLICY_DIR_OUTBOUND : POLICY_DIR_INBOUND;

	return l->intercept == r->intercept && l->direction == dir;
}

/* The listener on host:port, added if new; -1: none (the cap, or no memory). */
static long
listener_get(struct policy *p, size_t *cap, const struct policy_rule *r, const char *host,
	     uint16_t port, struct diag_list *dl)
{
	struct policy_listener *l;
	size_t j;

	for (j = 0; j < p->nlisteners; j++)
		if (p->listeners[j].port == port && strcmp(p->listeners[j].host, host) == 0)
			break;
	if (j < p->nlisteners) {
		if (!listener_compatible(&p->listeners[j], r))
			diag_error(dl, r->pos, "rule \"%s\" shares listener %s:%u with a rule of "
					       "another intercept mode or direction; give it its own "
					       "\"listen\"",
				   r->name, host, port);
		p->listeners[j].tls |= r->eff.enabled;
		return (long)j;
	}
	if (p->nlisteners == p->settings.max_listeners) {
		diag_error(dl, r->local_port_pos.line ? r->local_port_pos : r->pos,
			   "rule \"%s\": listener %s:%u would be listener %zu, more than "
			   "settings.max_listeners allows (name fewer ports, or raise it)",
			   r->name, host, port, p->nlisteners + 1);
		return ATTLS_EPOLICY;
	}
	if (p->nlisteners == *cap) {
		size_t ncap = *cap * 2;
		void *v = realloc(p->listeners, ncap * sizeof(*p->listeners));
		if (!v)
			return ATTLS_ENOMEM;
		p->listeners = v;
		*cap = ncap;
	}
	l = &p->listeners[p->nlisteners];
	memset(l, 0, sizeof(*l));
	if (!(l->host = strdup(host)))
		return ATTLS_ENOMEM;
	l->port = port;
	l->backend = r->backend;
	l->backend.host = r->backend.host ? strdup(r->backend.host) : NULL;
	/* Unmatched traffic on this port goes to this port's own backend. */
	if (l->backend.relative) {
		l->backend.relative = false;
		l->backend.port = (uint16_t)(port + l->backend.offset);
		l->backend.offset = 0;
	}
	l->pos = r->pos;
	l->intercept = r->intercept;
	l->tls = r->eff.enabled;
	l->direction = r->direction == POLICY_DIR_OUTBOUND ? POLICY_DIR_OUTBOUND : POLICY_DIR_INBOUND;
	return (long)p->nlisteners++;
}

/* host:+N must land in 1..65535 for every port the rule takes connections on. */
static bool
relative_backend_ok(const struct policy_rule *r, const struct policy_ports *ports,
		    struct diag_list *dl)
{
	long lo = (long)ports->lo + r->backend.offset, hi = (long)ports->hi + r->backend.offset;

	if (!r->backend.relative || (lo >= 1 && hi <= 65535))
		return true;
	diag_error(dl, r->pos, "rule \"%s\": backend %s:%+d gives port %ld for local port %u; "
			       "backend ports must be 1-65535",
		   r->name, r->backend.host, r->backend.offset, lo < 1 ? lo : hi,
		   lo < 1 ? ports->lo : ports->hi);
	return false;
}

void
listen_derive(struct policy *p, struct diag_list *dl)
{
	size_t i, k, cap = 16;

	/* Never NULL: callers index it by a rule's listener before checking counts. */
	if (!(p->listeners = calloc(cap, sizeof(*p->listeners))))
		return;
	for (i = 0; i < p->nrules; i++) {
		struct policy_rule *r = &p->rules[i];
		struct policy_ports ports;
		size_t nports = 0;
		char host[64];
		long j;

		if (r->listen.set && r->listen.relative) {
			diag_error(dl, r->pos, "rule \"%s\": listen must be host:port (an offset "
					       "\"+N\" is for backend)",
				   r->name);
			continue;
		}
		if (r->backend.relative && r->direction == POLICY_DIR_OUTBOUND) {
			diag_error(dl, r->pos, "rule \"%s\": a backend relative to the local port "
					       "(host:%+d) is for Inbound rules; an outbound "
					       "connection's local port is the application's own",
				   r->name, r->backend.offset);
			continue;
		}
		if (r->broken || (r->direction == POLICY_DIR_OUTBOUND && !r->intercept) ||
		    derive_listen(p, r, host, sizeof(host), &ports, &nports, dl) ||
		    !relative_backend_ok(r, r->intercept ? &r->local_port : &ports, dl))
			continue;
		if (nports > 1 && !(r->listeners = calloc(nports, sizeof(*r->listeners))))
			continue;
		for (k = 0; k < policy_ports_count(&ports); k++) {
			struct policy_port_range pr = policy_ports_range(&ports, k);
			unsigned port;

			for (port = pr.lo; port <= pr.hi; port++) {
				if ((j = listener_get(p, &cap, r, host, (uint16_t)port, dl)) < 0)
					goto next;
				if (r->nlisteners == 0)
					r->listener = (unsigned)j;
				if (r->listeners)
					r->listeners[r->nlisteners] = (unsigned)j;
				r->nlisteners++;
			}
		}
next:;
	}
}

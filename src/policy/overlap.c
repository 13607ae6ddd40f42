/* SPDX-License-Identifier: Apache-2.0 */
/* Rules that meet on one listener. Mapping is global (first match by priority,
 * whatever socket accepted the connection), but each rule brings its own
 * handshake role and backend, so rules that can match the same connections on
 * one listener decide what the clients there must speak and where their bytes go.
 *
 * An error where attlsd cannot do what the policy says: two listeners on one
 * port, a wildcard address and a specific one of the same family (the second
 * socket cannot be bound). Warnings where first match decides (as in AT-TLS) but
 * the outcome is easy to miss:
 * - a rule whose own listener never carries a connection its local_port and
 *   local_addr accept (without intercept the local side is the listener's); it
 *   can still match connections on other listeners;
 * - an earlier rule with the other kind of role (Client: clients speak
 *   plaintext; the server roles: TLS) matches some or all of a rule's connections
 *   on its listener;
 * - an earlier rule written for another listener also matches connections on
 *   this one, with another role or backend, and takes them.
 * A TLS-off rule above a TLS rule (the loopback clear-text carve-out) is the
 * usual AT-TLS idiom and is not reported; a rule that can never match anywhere
 * is reported by the shadow check at the end of this file. Pairwise, so
 * bounded. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define OVERLAP_CHECK_MAX 3000 /* as the shadow check: pairwise stays well under 1 s */

/* The local side of the connections a listener accepts. */
struct lside {
	struct policy_addr_range r[2]; /* the listener's address, or its family */
	size_t n;                      /* 0: unknown (a host name): not checked */
	uint16_t port;
	bool pinned;                   /* false for intercept: local = original destination */
};

static bool
range_overlap(const struct policy_addr_range *a, const struct policy_addr_range *b)
{
	return memcmp(a->lo, b->hi, 16) <= 0 && memcmp(b->lo, a->hi, 16) <= 0;
}

static bool
range_inside(const struct policy_addr_range *in, const struct policy_addr_range *out)
{
	return memcmp(out->lo, in->lo, 16) <= 0 && memcmp(out->hi, in->hi, 16) >= 0;
}

static const struct policy_addr_range all_addrs = {
	{ 0 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }
};

static size_t
addrs_n(const struct policy_addrs *as)
{
	return as->n ? as->n : 1;
}

static const struct policy_addr_range *
addrs_at(const struct policy_addrs *as, size_t i)
{
	return as->n ? &as->ranges[i] : &all_addrs;
}

static bool
addrs_overlap(const struct policy_addrs *a, const struct policy_addrs *b)
{
	size_t i, j;

	for (i = 0; i < addrs_n(a); i++)
		for (j = 0; j < addrs_n(b); j++)
			if (range_overlap(addrs_at(a, i), addrs_at(b, j)))
				return true;
	return false;
}

/* Every range of b inside one range of a (conservative, as the shadow check). */
static bool
addrs_cover(const struct policy_addrs *a, const struct policy_addrs *b)
{
	size_t i, j;

	for (i = 0; i < addrs_n(b); i++) {
		for (j = 0; j < addrs_n(a); j++)
			if (range_inside(addrs_at(b, i), addrs_at(a, j)))
				break;
		if (j == addrs_n(a))
			return false;
	}
	return true;
}

/* Jobname/Userid patterns: exact, or a prefix with a trailing '*'; NULL: any. */
static size_t
pat_prefix(const char *p, bool *wild)
{
	size_t n = strlen(p);

	*wild = n && p[n - 1] == '*';
	return *wild ? n - 1 : n;
}

static bool
pat_overlap(const char *a, const char *b)
{
	bool wa, wb;
	size_t na, nb;

	if (!a || !b)
		return true;
	na = pat_prefix(a, &wa);
	nb = pat_prefix(b, &wb);
	if (wa && wb)
		return strncmp(a, b, na < nb ? na : nb) == 0;
	if (wa)
		return nb >= na && strncmp(a, b, na) == 0;
	if (wb)
		return na >= nb && strncmp(a, b, nb) == 0;
	return strcmp(a, b) == 0;
}

bool
overlap_pat_cover(const char *a, const char *b)
{
	bool wa, wb;
	size_t na, nb;

	if (!a)
		return true;
	if (!b)
		return false;
	na = pat_prefix(a, &wa);
	nb = pat_prefix(b, &wb);
	if (!wa)
		return !wb && strcmp(a, b) == 0;
	return nb >= na && strncmp(a, b, na) == 0;
}

static bool
lside_from(const struct policy_listener *l, struct lside *ls)
{
	struct policy_addr_range r;

	memset(ls, 0, sizeof(*ls));
	ls->port = l->port;
	ls->pinned = !l->intercept;
	if (policy_addr_parse(l->host, &r) != 0)
		return false;
	if (strcmp(l->host, "0.0.0.0") == 0) {
		policy_addr_parse("0.0.0.0/0", &ls->r[0]);
		ls->n = 1;
	} else if (strcmp(l->host, "::") == 0) {
		/* IPV6_V6ONLY: every IPv6 address but the IPv4-mapped ones. */
		policy_addr_parse("::-::fffe:ffff:ffff", &ls->r[0]);
		policy_addr_parse("::1:0:0:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &ls->r[1]);
		ls->n = 2;
	} else {
		ls->r[0] = r;
		ls->n = 1;
	}
	return true;
}

/* The local addresses of 'r' that the listener can see. */
static bool
local_reaches(const struct policy_rule *r, const struct lside *ls)
{
	size_t i, j;

	if (!ls->pinned)
		return true;
	if (!policy_ports_contain(&r->local_port, ls->port))
		return false;
	for (i = 0; i < ls->n; i++)
		for (j = 0; j < addrs_n(&r->local_addr); j++)
			if (range_overlap(&ls->r[i], addrs_at(&r->local_addr, j)))
				return true;
	return false;
}

/* Every local address the listener serves is in the rule's local_addr. */
static bool
local_covers_listener(const struct policy_rule *r, const struct lside *ls)
{
	size_t i, j;

	for (i = 0; i < ls->n; i++) {
		for (j = 0; j < addrs_n(&r->local_addr); j++)
			if (range_inside(&ls->r[i], addrs_at(&r->local_addr, j)))
				break;
		if (j == addrs_n(&r->local_addr))
			return false;
	}
	return true;
}

/* a's local condition holds for every connection on the listener that b's does. */
static bool
local_covers(const struct policy_rule *a, const struct policy_rule *b, const struct lside *ls)
{
	size_t i, j, k;

	if (!ls->pinned)
		return ports_cover(&a->local_port, &b->local_port) &&
		       addrs_cover(&a->local_addr, &b->local_addr);
	if (!policy_ports_contain(&a->local_port, ls->port))
		return false;
	/* Each piece of b's addresses on the listener inside one of a's ranges. */
	for (i = 0; i < ls->n; i++)
		for (j = 0; j < addrs_n(&b->local_addr); j++) {
			struct policy_addr_range piece = *addrs_at(&b->local_addr, j);

			if (!range_overlap(&piece, &ls->r[i]))
				continue;
			if (memcmp(piece.lo, ls->r[i].lo, 16) < 0)
				memcpy(piece.lo, ls->r[i].lo, 16);
			if (memcmp(piece.hi, ls->r[i].hi, 16) > 0)
				memcpy(piece.hi, ls->r[i].hi, 16);
			for (k = 0; k < addrs_n(&a->local_addr); k++)
				if (range_inside(&piece, addrs_at(&a->local_addr, k)))
					break;
			if (k == addrs_n(&a->local_addr))
				return false;
		}
	return true;
}

static bool
both_match_some(const struct policy_rule *a, const struct policy_rule *b, const struct lside *ls,
		int dir)
{
	if (!(a->direction & b->direction & dir))
		return false;
	if (!ls->pinned && (!ports_overlap(&a->local_port, &b->local_port) ||
			    !addrs_overlap(&a->local_addr, &b->local_addr)))
		return false;
	return ports_overlap(&a->remote_port, &b->remote_port) &&
	       addrs_overlap(&a->remote_addr, &b->remote_addr) &&
	       pat_overlap(a->jobname, b->jobname) && pat_overlap(a->userid, b->userid);
}

static bool
covers(const struct policy_rule *a, const struct policy_rule *b, const struct lside *ls)
{
	return !a->time_cond && local_covers(a, b, ls) &&
	       ports_cover(&a->remote_port, &b->remote_port) &&
	       addrs_cover(&a->remote_addr, &b->remote_addr) && overlap_pat_cover(a->jobname, b->jobname) &&
	       overlap_pat_cover(a->userid, b->userid);
}

static bool
role_differs(const struct policy_rule *a, const struct policy_rule *b)
{
	return a->eff.enabled && b->eff.enabled &&
	       (a->eff.role == POLICY_ROLE_CLIENT) != (b->eff.role == POLICY_ROLE_CLIENT);
}

/* The backend port of a connection on listener 'l' (host:+N follows its port). */
static long
backend_port(const struct policy_rule *r, const struct policy_listener *l)
{
	return r->backend.relative ? (long)l->port + r->backend.offset : (long)r->backend.port;
}

static bool
backend_differs(const struct policy_rule *a, const struct policy_rule *b,
		const struct policy_listener *l)
{
	if (a->backend.set != b->backend.set)
		return a->backend.set && b->backend.set; /* unset: the listener's or original */
	return a->backend.set && (backend_port(a, l) != backend_port(b, l) ||
				  strcmp(a->backend.host, b->backend.host) != 0);
}

static void
describe(const struct policy_rule *r, bool role, const struct policy_listener *l, char *buf,
	 size_t len)
{
	char ep[80];

	if (!role) {
		snprintf(ep, sizeof(ep), strchr(r->backend.host, ':') ? "[%s]:%ld" : "%s:%ld",
			 r->backend.host, backend_port(r, l));
		snprintf(buf, len, "backend %s", ep);
	} else if (r->eff.role == POLICY_ROLE_CLIENT) {
		snprintf(buf, len, "role Client: clients speak plaintext");
	} else {
		snprintf(buf, len, "role %s: clients speak TLS", policy_role_name(r->eff.role));
	}
}

static void
format_listener(const struct policy_listener *l, char *buf, size_t len)
{
	snprintf(buf, len, strchr(l->host, ':') ? "[%s]:%u" : "%s:%u", l->host, l->port);
}

/* Every set the rule's local conditions name exists (else an error said so, and
 * the conditions are incomplete: nothing more to say about them). */
static bool
local_sets_defined(const struct policy *p, const struct policy_rule *r)
{
	size_t i, j;

	for (i = 0; i < r->local_port.nrefs; i++) {
		for (j = 0; j < p->nport_sets && strcmp(p->port_sets[j].name, r->local_port.refs[i]); j++)
			;
		if (j == p->nport_sets)
			return false;
	}
	for (i = 0; i < r->local_addr.nrefs; i++) {
		for (j = 0; j < p->naddr_sets && strcmp(p->addr_sets[j].name, r->local_addr.refs[i]); j++)
			;
		if (j == p->naddr_sets)
			return false;
	}
	return true;
}

/* The k-th listener the rule got in derive_listeners(), or NULL (outbound
 * without intercept, or no listener could be derived: an error said why). */
static const struct policy_listener *
rule_listener_at(const struct policy *p, const struct policy_rule *r, size_t k)
{
	const struct policy_listener *l;
	unsigned ix;
	char host[64];

	if (r->broken || k >= r->nlisteners || (r->direction == POLICY_DIR_OUTBOUND && !r->intercept))
		return NULL;
	ix = r->listeners ? r->listeners[k] : r->listener;
	if (ix >= p->nlisteners)
		return NULL;
	l = &p->listeners[ix];
	if (r->listen.set)
		return r->listen.port == l->port && strcmp(r->listen.host, l->host) == 0 ? l : NULL;
	if (!policy_ports_contain(&r->local_port, l->port))
		return NULL;
	if (r->local_addr.n == 0)
		return strcmp(l->host, "0.0.0.0") == 0 ? l : NULL;
	if (r->local_addr.n != 1 || memcmp(r->local_addr.ranges[0].lo, r->local_addr.ranges[0].hi, 16))
		return NULL;
	policy_addr_format(r->local_addr.ranges[0].lo, host, sizeof(host));
	return strcmp(host, l->host) == 0 ? l : NULL;
}

/* 'l' if it is one of the rule's listeners, else its first one (or NULL). */
static const struct policy_listener *
rule_listener(const struct policy *p, const struct policy_rule *r, const struct policy_listener *l)
{
	size_t k;

	for (k = 0; l && k < r->nlisteners; k++)
		if (rule_listener_at(p, r, k) == l)
			return l;
	return rule_listener_at(p, r, 0);
}

/* Rule 'a' comes before 'b' in match order; 'b' is a rule of listener 'l'. */
static bool
check_pair(const struct policy *p, const struct policy_rule *a, const struct policy_rule *b,
	   const struct policy_listener *l, const struct lside *ls, struct diag_list *dl)
{
	const struct policy_listener *la = rule_listener(p, a, l);
	const struct lside anywhere = { .pinned = false };
	bool role = role_differs(a, b), backend = backend_differs(a, b, l);
	char where[80], da[96], db[96];

	if ((!role && !backend) || !local_reaches(a, ls) || !both_match_some(a, b, ls, l->direction))
		return false;
	/* Covered everywhere: the shadow check already says "can never match". */
	if ((a->direction & b->direction) == b->direction && covers(a, b, &anywhere))
		return false;
	format_listener(l, where, sizeof(where));
	describe(a, role, l, da, sizeof(da));
	describe(b, role, l, db, sizeof(db));
	if (la && la != l) {
		char other[80];

		format_listener(la, other, sizeof(other));
		diag_warning(dl, a->pos, "rule \"%s\" (listener %s, %s) also matches some "
					 "connections on listener %s of rule \"%s\" (%s) and comes first, "
					 "so it takes them; narrow its local_port or local_addr if they "
					 "are not meant for it",
			     a->name, other, da, where, b->name, db);
	} else if (role && covers(a, b, ls)) {
		diag_warning(dl, b->pos, "rule \"%s\" (%s) never gets a connection on its listener "
					 "%s: rule \"%s\" (priority %u, %s) comes first and matches "
					 "every connection there that \"%s\" would",
			     b->name, db, where, a->name, a->priority, da, b->name);
	} else if (role) {
		diag_warning(dl, b->pos, "rule \"%s\" (%s) and rule \"%s\" (priority %u, %s) both "
					 "match some connections on listener %s; \"%s\" comes first and "
					 "takes those",
			     b->name, db, a->name, a->priority, da, where, a->name);
	} else {
		return false;
	}
	return true;
}

static int
listener_port_cmp(const void *x, const void *y)
{
	const struct policy_listener *const *a = x, *const *b = y;

	return ((*a)->port > (*b)->port) - ((*a)->port < (*b)->port);
}

/* A wildcard and a specific address on one port: the second bind fails. Sorted
 * by port, so a policy with thousands of listeners is not checked pairwise. */
static void
check_binds(const struct policy *p, struct diag_list *dl)
{
	const struct policy_listener **v;
	size_t i, j, k;

	if (p->nlisteners < 2 || !(v = calloc(p->nlisteners, sizeof(*v))))
		return;
	for (i = 0; i < p->nlisteners; i++)
		v[i] = &p->listeners[i];
	qsort(v, p->nlisteners, sizeof(*v), listener_port_cmp);
	for (i = 0; i < p->nlisteners; i = j) {
		const struct policy_listener *any4 = NULL, *any6 = NULL;

		for (j = i; j < p->nlisteners && v[j]->port == v[i]->port; j++) {
			if (strcmp(v[j]->host, "0.0.0.0") == 0)
				any4 = v[j];
			else if (strcmp(v[j]->host, "::") == 0)
				any6 = v[j];
		}
		for (k = i; (any4 || any6) && k < j; k++) {
			const struct policy_listener *s = v[k];
			const struct policy_listener *w = strchr(s->host, ':') ? any6 : any4;
			struct policy_addr_range r;
			char ws[80], ss[80];

			if (!w || w == s || policy_addr_parse(s->host, &r) != 0)
				continue; /* a host name is resolved at start-up */
			format_listener(w, ws, sizeof(ws));
			format_listener(s, ss, sizeof(ss));
			diag_error(dl, s->pos, "listener %s overlaps listener %s (line %u): a socket on "
					       "%s takes port %u on every %s address, so attlsd cannot "
					       "also listen on %s; give the rules one \"listen\", or "
					       "different ports",
				   ss, ws, w->pos.line, w->host, w->port, w == any6 ? "IPv6" : "IPv4",
				   ss);
		}
	}
	free(v);
}

void
overlap_check(const struct policy *p, struct diag_list *dl)
{
	size_t i, j;
	struct lside ls;
	/* Pair warnings are noise next to errors, as "unused" and "shadowed" are. */
	bool pairs = !diag_has_errors(dl) && p->nrules <= OVERLAP_CHECK_MAX;

	check_binds(p, dl);
	for (j = 0; j < p->nrules; j++) {
		const struct policy_rule *b = &p->rules[j];
		bool *said = NULL; /* a rule on several listeners: one warning per pair */
		size_t k;

		if (!local_sets_defined(p, b))
			continue;
		if (pairs && b->nlisteners > 1)
			said = calloc(j + 1, sizeof(*said));
		for (k = 0; k < b->nlisteners; k++) {
			const struct policy_listener *l = rule_listener_at(p, b, k);
			char where[80];

			if (!l || !lside_from(l, &ls))
				continue;
			if (!local_reaches(b, &ls) || !(b->direction & l->direction)) {
				struct diag_pos pos = b->pos;

				format_listener(l, where, sizeof(where));
				if (!policy_ports_contain(&b->local_port, l->port) && b->local_port_pos.line)
					pos = b->local_port_pos;
				else if (policy_ports_contain(&b->local_port, l->port) && b->local_addr.pos.line)
					pos = b->local_addr.pos;
				diag_warning(dl, pos,
					     "rule \"%s\" listens on %s, but its local_port and local_addr "
					     "never hold a connection there, so it never maps one on its own "
					     "listener (without intercept, the local side of a connection is "
					     "the listener's address and port)",
					     b->name, where);
				break;
			}
			if (ls.pinned && !local_covers_listener(b, &ls)) {
				format_listener(l, where, sizeof(where));
				diag_warning(dl, b->local_addr.pos.line ? b->local_addr.pos : b->pos,
					     "rule \"%s\" listens on %s, but its local_addr covers only "
					     "some of the addresses that listener serves: a connection to "
					     "another one matches no rule there and is %s (give the rule "
					     "a \"listen\" on its own address, or widen local_addr)",
					     b->name, where,
					     policy_no_match_denies(p, l) ? "refused (RC 5105)"
									  : "relayed in clear text");
			}
			for (i = 0; pairs && i < j; i++)
				if (!p->rules[i].broken && !(said && said[i]) &&
				    check_pair(p, &p->rules[i], b, l, &ls, dl) && said)
					said[i] = true;
		}
		free(said);
	}
}

/* Rule 'a' (earlier in match order) matches every connection 'b' would. */
static bool
rule_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	return !a->time_cond && (a->direction & b->direction) == b->direction &&
	       ports_cover(&a->local_port, &b->local_port) &&
	       ports_cover(&a->remote_port, &b->remote_port) &&
	       addrs_cover(&a->local_addr, &b->local_addr) &&
	       addrs_cover(&a->remote_addr, &b->remote_addr) &&
	       overlap_pat_cover(a->jobname, b->jobname) && overlap_pat_cover(a->userid, b->userid);
}

/* Pairwise, so only up to a size where it stays well under a second. */
#define SHADOW_CHECK_MAX 3000

void
overlap_warn_shadowed(struct policy *p, struct diag_list *dl)
{
	size_t i, j;

	if (p->nrules > SHADOW_CHECK_MAX)
		return;
	for (i = 1; i < p->nrules; i++)
		for (j = 0; j < i; j++)
			if (rule_covers(&p->rules[j], &p->rules[i])) {
				diag_warning(dl, p->rules[i].pos,
					     "rule \"%s\" can never match: rule \"%s\" (priority %u) "
					     "comes first and matches every connection it would",
					     p->rules[i].name, p->rules[j].name, p->rules[j].priority);
				break;
			}
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Mapping a connection to its rule when rules name a Jobname or Userid.
 *
 * The owner of "the job's" socket comes from owner.c. Its uid (sock_diag,
 * ~10 us) and a process the index already knows (one readlink()) are looked
 * up on the worker's loop. A process not yet known needs a scan of /proc
 * that takes hundreds of milliseconds on a busy host: the connection then
 * waits in CONN_MAPPING - nothing read or written, a ClientHello stays in
 * the kernel - while libuv's threadpool runs the search, and the rules are
 * tried again from where they stopped when it returns. Each waiting
 * connection has its candidate rule's handshake_timeout; if the process is
 * still not known by then the connection ends (RC 5108), it never falls
 * through to a rule below as if the process had been looked at.
 *
 * The searches are ownerq.c's: the connections of a worker that wait for
 * the same socket share one, a worker runs a bounded number of them, and a
 * connection that would need one more is refused at once (RC 5108, "queue
 * full"). Each waiting connection keeps its own deadline and fails alone
 * when it passes.
 *
 * A connection leaves its search as it ends (conn_map_stop) and the search
 * never points back at it, so no reference (conn_ref) is held. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/rc.h"
#include "conn.h"
#include "host/owner.h"
#include "ownerq.h"
#include "worker.h"

/* Where the rules stand: 'next' is the next rule to try; 'o' is the owner of
 * socket 'sock' as far as known. */
struct map_state {
	size_t next;
	union rt_sockaddr sock;        /* a copy: a relative backend's is computed */
	bool have_sock;                /* false: none looked up yet */
	bool known;                    /* sock_diag found the socket */
	bool have_proc;                /* o.job / o.unit are the holder's */
	unsigned long inode;
	struct owner o;
	const char *failed;            /* map_rules() < 0: which lookup failed */
};

/* A rule without TLS parameters (TTLSEnabled Off) has no handshake_timeout:
 * HandshakeTimeout's default. */
#define MAP_DEFAULT_TIMEOUT_S 10

/* A connection waiting for the process holding a socket (ownerq.c): its own
 * deadline and where its rules stood. Owned by the connection (c->lookup). */
struct conn_lookup {
	struct ownerq_waiter w;
	struct conn *c;
	struct map_state st;
	unsigned listener;
	const struct policy_rule *rule; /* the rule that needs the process */
};

/* Jobname/Userid: the owner of "the job's" socket. Outbound: the local
 * client's. Inbound: as on z/OS the job is the server application, so the
 * owner of the listener of the backend the rule connects to - the rule's
 * backend, else the original destination of a diverted connection, else the
 * listener's backend. NULL: no backend known. */
static const union rt_sockaddr *
owner_addr(const struct conn *c, size_t rule, unsigned listener, struct rt_addr *tmp)
{
	const struct rt_gen *g = c->gen;

	if (c->outbound)
		return &c->local;
	if (g->policy->rules[rule].backend.set) {
		rt_backend_at(g, rule, &c->local, tmp);
		return (const union rt_sockaddr *)&tmp->ss;
	}
	if (c->intercepted)
		return (const union rt_sockaddr *)&c->orig_dst.ss;
	if (listener < g->policy->nlisteners && g->listen_backends[listener].len)
		return (const union rt_sockaddr *)&g->listen_backends[listener].ss;
	return NULL;
}

/* A Jobname matches the process name or its systemd unit. */
static bool
owner_rule_matches(const struct policy_rule *r, struct policy_conn_attrs *a, const struct owner *o)
{
	a->userid = o->user;
	a->jobname = o->job[0] ? o->job : NULL;
	if (policy_rule_matches(r, a))
		return true;
	a->jobname = o->unit[0] ? o->unit : NULL;
	return a->jobname && policy_rule_matches(r, a);
}

bool
conn_map_needs_process(const struct policy_rule *r, const struct policy_conn_attrs *a,
		       const char *user)
{
	struct policy_conn_attrs t = *a;

	if (!r->jobname)
		return false;
	/* The pattern matches itself, so every other condition decides. */
	t.userid = user;
	t.jobname = r->jobname;
	return policy_rule_matches(r, &t);
}

static void
owner_keep(struct conn *c, const struct owner *o)
{
	snprintf(c->owner_user, sizeof(c->owner_user), "%s", o->user);
	snprintf(c->owner_job, sizeof(c->owner_job), "%s", o->job);
	snprintf(c->owner_unit, sizeof(c->owner_unit), "%s", o->unit);
}

static void
map_attrs(const struct conn *c, struct policy_conn_attrs *a)
{
	rt_conn_attrs(&c->local, &c->remote, a);
	if (c->outbound)
		a->direction = POLICY_DIR_OUTBOUND;
}

/* The rules in match order (rules[] is sorted) from st->next. Returns 1 with
 * *out set (NULL: none matched), 0 when rule st->next needs a process that
 * only a search can find, or a negative errno when a lookup failed
 * (st->failed says which): never read as "no owner", which would let the
 * connection fall through to a rule below or to clear text. */
static int
map_rules(struct conn *c, unsigned listener, struct map_state *st,
	  const struct policy_rule **out)
{
	const struct policy *p = c->gen->policy;
	const union rt_sockaddr *sock;
	struct rt_addr tmp;
	struct policy_conn_attrs a;
	unsigned uid;
	int pid, e;

	map_attrs(c, &a);
	for (; st->next < p->nrules; st->next++) {
		const struct policy_rule *r = &p->rules[st->next];
		if (!r->jobname && !r->userid) {
			if (policy_rule_matches(r, &a))
				goto matched;
			continue;
		}
		if (!(sock = owner_addr(c, st->next, listener, &tmp)))
			continue;
		if (!st->have_sock || memcmp(sock, &st->sock, sizeof(*sock)) != 0) {
			st->sock = *sock;
			st->have_sock = true;
			st->have_proc = false;
			e = c->outbound ? owner_socket(&c->local, &c->remote, &uid, &st->inode)
					: owner_listener(sock, &uid, &st->inode);
			st->known = e == 0;
			if (e != 0 && e != -ENOENT) {
				st->failed = "the socket lookup (sock_diag netlink request)";
				return e;
			}
			if (st->known && (e = owner_describe(uid, 0, &st->o)) != 0) {
				st->failed = "the user name lookup of the socket's uid";
				return e;
			}
			if (st->known)
				owner_keep(c, &st->o);
		}
		/* No such socket here (a backend on another host): no owner. */
		if (!st->known)
			continue;
		if (r->jobname && !st->have_proc) {
			if (!conn_map_needs_process(r, &a, st->o.user))
				continue;
			if ((pid = owner_known(st->inode)) < 0)
				return 0;
			if ((e = owner_describe(st->o.uid, pid, &st->o)) != 0) {
				st->failed = "reading the process's /proc/PID/comm and cgroup";
				return e;
			}
			owner_keep(c, &st->o);
			st->have_proc = true;
		}
		if (owner_rule_matches(r, &a, &st->o))
			goto matched;
	}
	*out = NULL;
	return 1;
matched:
	*out = &p->rules[st->next];
	return 1;
}

const struct policy_rule *
conn_map_now(struct conn *c, unsigned listener)
{
	struct map_state st = { 0 };
	const struct policy_rule *r = NULL;
	struct policy_conn_attrs a;

	if (!c->gen->policy->uses_owner) {
		map_attrs(c, &a);
		return policy_match(c->gen->policy, &a);
	}
	return map_rules(c, listener, &st, &r) == 1 ? r : NULL;
}

static unsigned
map_timeout_s(const struct policy_rule *r)
{
	return r->eff.handshake_timeout ? r->eff.handshake_timeout : MAP_DEFAULT_TIMEOUT_S;
}

/* The connection ends, RC 5108. With c->lookup == lk this frees lk (through
 * conn_finish and conn_map_stop). */
static void
lookup_failed(struct conn *c, struct conn_lookup *lk, struct ownerq_search *s, int r)
{
	char sock[80], cause[640], why[256];

	ownerq_why(s, r, map_timeout_s(lk->rule), why, sizeof(why));
	rt_addr_format(&lk->st.sock.sa, sock, sizeof(sock));
	snprintf(cause, sizeof(cause), "rule %s names jobname %s: the process owning %s %s "
				       "(socket inode %lu, uid %u %s) could not be determined: %s",
		 lk->rule->name, lk->rule->jobname, c->outbound ? "the client socket at" : "the listener",
		 sock, lk->st.inode, lk->st.o.uid, lk->st.o.user, why);
	conn_finish(c, CONN_END_OWNER_UNKNOWN, RC_OWNER_UNKNOWN, cause);
}

/* The worker's owner-lookup queue is full: the connection ends at once. */
static void
lookup_refused(struct conn *c, const struct conn_lookup *lk)
{
	char sock[80], cause[640];
	struct ownerq_stats qs;

	ownerq_stats(&qs);
	rt_addr_format(&lk->st.sock.sa, sock, sizeof(sock));
	snprintf(cause, sizeof(cause), "rule %s names jobname %s: the process owning %s %s "
				       "(socket inode %lu, uid %u %s) is not known yet and the "
				       "owner-lookup queue is full (%u searches running, %u sockets "
				       "waiting for one in worker %u): the connection was refused at "
				       "once rather than left waiting (many new backends at once, or "
				       "sockets that no process holds)",
		 lk->rule->name, lk->rule->jobname, c->outbound ? "the client socket at" : "the listener",
		 sock, lk->st.inode, lk->st.o.uid, lk->st.o.user, qs.running, qs.pending, c->w->id);
	conn_finish(c, CONN_END_OWNER_UNKNOWN, RC_OWNER_UNKNOWN, cause);
}

/* A lookup on the loop failed (map_rules() < 0): the connection ends, RC 5108. */
static void
map_failed(struct conn *c, const struct map_state *st, int r)
{
	const struct policy_rule *rule = &c->gen->policy->rules[st->next];
	char sock[80], cause[640];

	rt_addr_format(&st->sock.sa, sock, sizeof(sock));
	snprintf(cause, sizeof(cause), "rule %s names %s %s: the owner of %s %s could not be "
				       "determined: %s failed: %s; the connection was not mapped, "
				       "rather than passed on as if the socket had no owner",
		 rule->name, rule->jobname ? "jobname" : "userid",
		 rule->jobname ? rule->jobname : rule->userid,
		 c->outbound ? "the client socket at" : "the listener", sock, st->failed,
		 strerror(-r));
	conn_finish(c, CONN_END_OWNER_UNKNOWN, RC_OWNER_UNKNOWN, cause);
}

static int map_resume(struct conn *c, unsigned listener, struct map_state *st);

/* The search ended (ownerq.c): the rules go on from the one that needed the
 * process, or the connection ends. */
static void
on_lookup_done(struct ownerq_waiter *w, struct ownerq_search *s, int r, const struct owner *o)
{
	struct conn_lookup *lk = container_of(w, struct conn_lookup, w);
	struct conn *c = lk->c;
	struct map_state st = lk->st;
	unsigned listener = lk->listener;

	c->lookup = NULL;
	if (r != 0) {
		lookup_failed(c, lk, s, r);
		free(lk);
		return;
	}
	free(lk);
	st.o = *o;
	owner_keep(c, &st.o);
	st.have_proc = true;
	conn_arm_timer(c, 0);
	conn_set_state(c, CONN_ACCEPTED);
	conn_update_polls(c);
	if (map_resume(c, listener, &st) == 0)
		conn_mapped(c, listener);
}

static void
lookup_log(const struct conn *c, const struct conn_lookup *lk)
{
	struct ownerq_stats qs;

	ownerq_stats(&qs);
	if (ownerq_waiters(&lk->w) == 1)
		log_debug("conn %08X: rule %s needs the process owning socket inode %lu: looking "
			  "it up off the loop (search %lu of this worker)",
			  c->id, lk->rule->name, lk->st.inode, qs.started);
	else
		log_debug("conn %08X: rule %s needs the process owning socket inode %lu: joins "
			  "the search in flight (%u waiting, %lu joined in this worker)",
			  c->id, lk->rule->name, lk->st.inode, ownerq_waiters(&lk->w), qs.joined);
}

/* Tries the rules from st->next; 0 when mapped, 1 when the connection waits
 * for a search (or ended). */
static int
map_resume(struct conn *c, unsigned listener, struct map_state *st)
{
	const struct policy_rule *r;
	struct conn_lookup *lk;
	uint64_t ms;
	int k;

	if ((k = map_rules(c, listener, st, &r)) < 0) {
		map_failed(c, st, k);
		return 1;
	}
	if (k) {
		c->rule = r;
		return 0;
	}
	if (!(lk = calloc(1, sizeof(*lk)))) {
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory for an owner lookup");
		return 1;
	}
	lk->c = c;
	lk->st = *st;
	lk->listener = listener;
	lk->rule = &c->gen->policy->rules[st->next];
	ms = (uint64_t)map_timeout_s(lk->rule) * 1000;
	lk->w.inode = st->inode;
	lk->w.uid = st->o.uid;
	lk->w.deadline_us = owner_now_us() + ms * 1000;
	lk->w.on_done = on_lookup_done;
	if ((k = ownerq_join(&c->w->loop, c->w->id, &lk->w)) != 0) {
		if (k == -EAGAIN)
			lookup_refused(c, lk);
		else
			conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL,
				    "out of memory for an owner lookup");
		free(lk);
		return 1;
	}
	c->lookup = lk;
	conn_set_state(c, CONN_MAPPING);
	/* Its own deadline: a waiter whose handshake_timeout passes fails alone. */
	conn_arm_timer(c, ms);
	conn_update_polls(c);
	if (log_enabled(LOG_DEBUG))
		lookup_log(c, lk);
	return 1;
}

int
conn_map_start(struct conn *c, unsigned listener)
{
	struct map_state st = { 0 };
	struct policy_conn_attrs a;

	if (!c->gen->policy->uses_owner) {
		map_attrs(c, &a);
		c->rule = policy_match(c->gen->policy, &a);
		return 0;
	}
	return map_resume(c, listener, &st);
}

void
conn_map_timeout(struct conn *c)
{
	struct conn_lookup *lk = c->lookup;

	if (!lk) /* cannot happen: CONN_MAPPING has a lookup */
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "mapping without a lookup");
	else
		lookup_failed(c, lk, lk->w.search, -EINPROGRESS);
}

void
conn_map_stop(struct conn *c)
{
	struct conn_lookup *lk = c->lookup;

	c->lookup = NULL;
	ownerq_leave(&lk->w);
	free(lk);
}

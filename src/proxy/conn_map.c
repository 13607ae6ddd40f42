/* SPDX-License-Identifier: Apache-2.0 */
/* Mapping a connection to its rule when rules name a Jobname or Userid.
 *
 * The owner of "the job's" socket comes from owner.c. Its uid (sock_diag,
 * ~10 us) and a process the index already knows (one readlink()) are looked
 * up on the worker's loop. A process not yet known needs a scan of /proc
 * that takes hundreds of milliseconds on a busy host: the connection then
 * waits in CONN_MAPPING - nothing read or written, a ClientHello stays in
 * the kernel - while libuv's threadpool runs the search, and the rules are
 * tried again from where they stopped when it returns. The search has the
 * candidate rule's handshake_timeout; if the process is still not known by
 * then the connection ends (RC 5108), it never falls through to a rule
 * below as if the process had been looked at.
 *
 * A connection that ends while its search runs (peer reset, shutdown, the
 * deadline) keeps one reference (conn_ref) until the threadpool hands the
 * request back; the threadpool touches only the request's search and result. */
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

struct conn_lookup {
	uv_work_t work;
	struct conn *c;            /* used on the loop only */
	/* The only part the threadpool touches; the loop reads it back in
	 * on_lookup_done(), after the threadpool is done with it. */
	struct owner_search s;
	int r;                     /* owner_search_run() */
	unsigned uid;              /* in: the socket's */
	struct owner o;            /* out: the holder's names (user, comm, unit) */
	struct map_state st;
	unsigned listener;
	const struct policy_rule *rule; /* the rule that needs the process */
	uint64_t start_ms;
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

static void
lookup_free(struct conn *c, struct conn_lookup *lk)
{
	free(lk);
	conn_unref(c);
}

/* On a threadpool thread: only lk->s and lk->r. */
static void
on_lookup_work(uv_work_t *req)
{
	struct conn_lookup *lk = container_of(req, struct conn_lookup, work);

	lk->r = owner_search_run(&lk->s);
	/* The user name may come from NSS (LDAP...), the names from /proc: here,
	 * not on the loop. */
	if (lk->r == 0)
		lk->r = owner_describe(lk->uid, lk->s.pid, &lk->o);
}

static void
lookup_failed(struct conn *c, struct conn_lookup *lk, int r)
{
	char sock[80], cause[640], why[256];
	unsigned hto = map_timeout_s(lk->rule);

	rt_addr_format(&lk->st.sock.sa, sock, sizeof(sock));
	switch (r) {
	case -EACCES:
		snprintf(why, sizeof(why), "attlsd may not read /proc/PID/fd of %u processes "
					   "(EACCES) and none it could read holds the socket",
			 lk->s.denied);
		break;
	case -EINPROGRESS: /* the timer: the search still runs, its counters are its own */
		snprintf(why, sizeof(why), "the lookup did not return within handshake_timeout "
					   "(%us) (a busy threadpool?)",
			 hto);
		break;
	case -ETIMEDOUT:
		if (lk->s.passes)
			snprintf(why, sizeof(why), "within handshake_timeout (%us) no process visible "
						   "to attlsd held it (%u complete passes over /proc, "
						   "%u processes read)",
				 hto, lk->s.passes, lk->s.scanned);
		else if (lk->s.scanned)
			snprintf(why, sizeof(why), "a pass over /proc did not finish within "
						   "handshake_timeout (%us) (%u processes read)",
				 hto, lk->s.scanned);
		else
			snprintf(why, sizeof(why), "the lookup waited in the threadpool for all of "
						   "handshake_timeout (%us)",
				 hto);
		break;
	default:
		snprintf(why, sizeof(why), "/proc could not be read (%s)", strerror(-r));
		break;
	}
	snprintf(cause, sizeof(cause), "rule %s names jobname %s: the process owning %s %s "
				       "(socket inode %lu, uid %u %s) could not be determined: %s",
		 lk->rule->name, lk->rule->jobname, c->outbound ? "the client socket at" : "the listener",
		 sock, lk->st.inode, lk->st.o.uid, lk->st.o.user, why);
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

/* Back on the loop. */
static void
on_lookup_done(uv_work_t *req, int status)
{
	struct conn_lookup *lk = container_of(req, struct conn_lookup, work);
	struct conn *c = lk->c;
	struct map_state st;
	unsigned listener = lk->listener;
	int r = status == UV_ECANCELED ? -ECANCELED : lk->r;

	c->lookup = NULL;
	if (c->state == CONN_CLOSING) {
		if (log_enabled(LOG_DEBUG))
			log_debug("conn %08X: owner lookup given back after the connection ended (%s)",
				  c->id, r == 0 ? "found" : strerror(-r));
		lookup_free(c, lk);
		return;
	}
	if (log_enabled(LOG_DEBUG))
		log_debug("conn %08X: owner of socket inode %lu: %s after %llu ms (%u passes, %u "
			  "processes read)",
			  c->id, lk->st.inode, r == 0 ? "found" : strerror(-r),
			  (unsigned long long)(uv_now(&c->w->loop) - lk->start_ms), lk->s.passes,
			  lk->s.scanned);
	if (r != 0) {
		lookup_failed(c, lk, r);
		lookup_free(c, lk);
		return;
	}
	st = lk->st;
	st.o = lk->o;
	owner_keep(c, &st.o);
	st.have_proc = true;
	lookup_free(c, lk); /* c lives on: its handles are open */
	conn_arm_timer(c, 0);
	conn_set_state(c, CONN_ACCEPTED);
	conn_update_polls(c);
	if (map_resume(c, listener, &st) == 0)
		conn_mapped(c, listener);
}

/* Tries the rules from st->next; 0 when mapped, 1 when a search started (or
 * the connection ended). */
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
	lk->start_ms = uv_now(&c->w->loop);
	ms = (uint64_t)map_timeout_s(lk->rule) * 1000;
	lk->s.inode = st->inode;
	lk->uid = st->o.uid;
	lk->s.deadline_us = owner_now_us() + ms * 1000;
	atomic_init(&lk->s.cancel, false);
	if (uv_queue_work(&c->w->loop, &lk->work, on_lookup_work, on_lookup_done) != 0) {
		free(lk);
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "cannot queue an owner lookup");
		return 1;
	}
	c->lookup = lk;
	conn_ref(c);
	conn_set_state(c, CONN_MAPPING);
	/* The search ends itself at its deadline and reports why; the timer is
	 * for one that waits in the threadpool's queue all that time. */
	conn_arm_timer(c, ms + 1000);
	conn_update_polls(c);
	if (log_enabled(LOG_DEBUG))
		log_debug("conn %08X: rule %s needs the process owning socket inode %lu: looking it "
			  "up off the loop",
			  c->id, lk->rule->name, st->inode);
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
		lookup_failed(c, lk, -EINPROGRESS);
}

void
conn_map_stop(struct conn *c)
{
	atomic_store(&c->lookup->s.cancel, true);
	/* Not started yet: on_lookup_done() comes with UV_ECANCELED. */
	(void)uv_cancel((uv_req_t *)&c->lookup->work);
}

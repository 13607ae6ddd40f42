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
 * One search serves every connection of the worker that waits for the same
 * socket (5,000 connections to a new backend are one search, not 5,000 in
 * a 4-thread pool): a connection joins it as a waiter, and it runs to the
 * latest of its waiters' deadlines. A waiter whose own deadline passes fails
 * alone; the last waiter to leave cancels the search. Searches are bounded
 * per worker: a quarter of the threadpool (at least MAP_RUNNING_MIN) run at
 * once, MAP_PENDING_MAX more sockets wait in order, and a connection that
 * would need yet another is refused at once (RC 5108, "queue full") rather
 * than tie up a slot until its deadline.
 *
 * A connection leaves its search as it ends (conn_map_stop) and the search
 * never points back at it, so no reference is held; the search itself is the
 * worker's, and is freed when the threadpool hands it back. The threadpool
 * touches only a search's owner_search and result. */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rc.h"
#include "conn.h"
#include "host/owner.h"
#include "metrics/metrics.h"
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

/* The bounds of one worker's searches (see the top comment). libuv runs
 * UV_THREADPOOL_SIZE threads (default 4) for the whole process. */
#define MAP_RUNNING_MIN 2
#define MAP_POOL_DEFAULT 4
#define MAP_POOL_MAX 1024 /* libuv's own ceiling */
#define MAP_PENDING_MAX 64
#define MAP_FULL_LOG_S 10 /* one warning per window while the queue is full */

/* One search for the process holding socket 'inode', shared by the
 * connections of the worker that wait for it. */
struct map_search {
	uv_work_t work;
	/* The threadpool's from uv_queue_work() until on_search_done(); the loop
	 * reads 'passes', 'started' and 'cancel', and moves the deadline later. */
	struct owner_search s;
	atomic_bool started;       /* a thread has picked it up */
	int r;                     /* owner_search_run(), then owner_describe() */
	unsigned uid;              /* in: the socket's */
	struct owner o;            /* out: the holder's names (user, comm, unit) */
	/* The loop's. */
	unsigned long inode;
	struct conn_lookup *waiters, *last; /* in arrival order; none: being cancelled */
	unsigned nwaiters;
	uint64_t deadline_us;      /* the latest of its waiters' */
	uint64_t start_ms;
	bool queued;               /* in the threadpool; else pending */
	bool done;                 /* handed back: on_search_done() frees it */
	struct map_search *prev, *next; /* in the running or the pending list */
};

struct map_list {
	struct map_search *head, *tail;
	unsigned n;
};

/* The searches of the worker whose thread this is: conn_map.c runs only on
 * worker loops, one loop per thread. Every search ends before its worker's
 * loop does (a queued one keeps the loop running, a pending one is freed
 * with its last waiter), so nothing is left at thread exit. */
struct map_queue {
	uv_loop_t *loop;
	unsigned max_running;
	struct map_list running, pending;
	unsigned long started, merged, refused; /* for the debug log and tests */
	struct ratelimit full_log;
};

static _Thread_local struct map_queue map_q;

/* A connection waiting for a search: its own deadline and where its rules
 * stood. Owned by the connection (c->lookup). */
struct conn_lookup {
	struct conn *c;
	struct map_search *search;
	struct conn_lookup *prev, *next; /* the search's waiters */
	struct map_state st;
	unsigned listener;
	const struct policy_rule *rule; /* the rule that needs the process */
	uint64_t deadline_us;           /* on the owner_now_us() clock */
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

/* ------------------------------------------------ the worker's searches */

/* This worker's queue; its bounds are read on first use. */
static struct map_queue *
map_queue_get(struct conn *c)
{
	const char *env;
	long n;

	if (!map_q.loop) {
		map_q.loop = &c->w->loop;
		/* What libuv reads: the pool is the whole process's. */
		env = getenv("UV_THREADPOOL_SIZE");
		n = env && *env ? strtol(env, NULL, 10) : MAP_POOL_DEFAULT;
		n = n < 1 ? 1 : n > MAP_POOL_MAX ? MAP_POOL_MAX : n;
		map_q.max_running = n / 4 > MAP_RUNNING_MIN ? (unsigned)n / 4 : MAP_RUNNING_MIN;
	}
	return &map_q;
}

static void
map_list_append(struct map_list *l, struct map_search *s)
{
	s->prev = l->tail;
	s->next = NULL;
	if (l->tail)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
	l->n++;
}

static void
map_list_remove(struct map_list *l, struct map_search *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NULL;
	l->n--;
}

/* The search for 'inode' that connections may still join: one that lost its
 * last waiter is being cancelled. */
static struct map_search *
search_find(struct map_queue *q, unsigned long inode)
{
	struct map_search *s;

	for (s = q->running.head; s; s = s->next)
		if (s->inode == inode && s->nwaiters)
			return s;
	for (s = q->pending.head; s; s = s->next)
		if (s->inode == inode && s->nwaiters)
			return s;
	return NULL;
}

/* Waiters in arrival order; the search runs to the latest deadline. */
static void
search_attach(struct map_search *s, struct conn_lookup *lk)
{
	lk->search = s;
	lk->next = NULL;
	lk->prev = s->last;
	if (s->last)
		s->last->next = lk;
	else
		s->waiters = lk;
	s->last = lk;
	s->nwaiters++;
	if (lk->deadline_us > s->deadline_us) {
		s->deadline_us = lk->deadline_us;
		/* A search in the threadpool reads it between processes. */
		if (s->queued)
			atomic_store(&s->s.deadline_us, s->deadline_us);
	}
}

static void
search_detach(struct map_search *s, struct conn_lookup *lk)
{
	if (lk->prev)
		lk->prev->next = lk->next;
	else
		s->waiters = lk->next;
	if (lk->next)
		lk->next->prev = lk->prev;
	else
		s->last = lk->prev;
	lk->prev = lk->next = NULL;
	lk->search = NULL;
	s->nwaiters--;
}

/* On a threadpool thread: only s->s, s->started, s->r, s->uid and s->o. */
static void
on_search_work(uv_work_t *req)
{
	struct map_search *s = container_of(req, struct map_search, work);

	atomic_store(&s->started, true);
	s->r = owner_search_run(&s->s);
	/* The user name may come from NSS (LDAP...), the names from /proc: here,
	 * not on the loop. */
	if (s->r == 0)
		s->r = owner_describe(s->uid, s->s.pid, &s->o);
}

static void on_search_done(uv_work_t *req, int status);

/* Hands pending searches to the threadpool, oldest first, while the worker
 * has fewer than its share running. */
static void
search_pump(struct map_queue *q)
{
	struct map_search *s;

	while (q->running.n < q->max_running && (s = q->pending.head)) {
		s->s.inode = s->inode;
		atomic_init(&s->s.deadline_us, s->deadline_us);
		atomic_init(&s->s.cancel, false);
		atomic_init(&s->started, false);
		/* libuv refuses only a NULL callback; should it ever refuse, the
		 * search stays pending and its waiters end at their deadlines. */
		if (uv_queue_work(q->loop, &s->work, on_search_work, on_search_done) != 0) {
			log_error("owner lookup: cannot queue the search for socket inode %lu",
				  s->inode);
			return;
		}
		map_list_remove(&q->pending, s);
		map_list_append(&q->running, s);
		s->queued = true;
		s->start_ms = uv_now(q->loop);
	}
}

/* No waiter is left: a pending search goes, a queued one is stopped (and
 * freed when the threadpool hands it back). */
static void
search_drop(struct map_queue *q, struct map_search *s)
{
	if (!s->queued) {
		map_list_remove(&q->pending, s);
		free(s);
		return;
	}
	atomic_store(&s->s.cancel, true);
	/* Not started yet: on_search_done() comes with UV_ECANCELED. */
	(void)uv_cancel((uv_req_t *)&s->work);
}

/* Joins the search for lk's socket, or starts one: 0, -EAGAIN when the
 * worker's queue is full, -ENOMEM. */
static int
lookup_wait(struct map_queue *q, struct conn_lookup *lk)
{
	struct map_search *s = search_find(q, lk->st.inode);

	if (s) {
		search_attach(s, lk);
		q->merged++;
		metrics_owner_lookup(METRICS_OWNER_JOINED);
		return 0;
	}
	if (q->running.n >= q->max_running && q->pending.n >= MAP_PENDING_MAX)
		return -EAGAIN;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->inode = lk->st.inode;
	s->uid = lk->st.o.uid;
	map_list_append(&q->pending, s);
	search_attach(s, lk);
	q->started++;
	metrics_owner_lookup(METRICS_OWNER_SEARCH);
	return 0;
}

/* ------------------------------------------------ a waiting connection */

/* Why the search did not answer 'lk' (r: its result, or -EINPROGRESS when
 * lk's own deadline passed while the search still waits or runs; then only
 * what the threadpool publishes atomically is read). */
static void
lookup_why(struct map_search *s, int r, unsigned hto, char *why, size_t len)
{
	unsigned passes = atomic_load(&s->s.passes);

	switch (r) {
	case -EACCES:
		snprintf(why, len, "attlsd may not read /proc/PID/fd of %u processes (EACCES) and "
				   "none it could read holds the socket",
			 s->s.denied);
		break;
	case -EINPROGRESS:
		if (!s->queued)
			snprintf(why, len, "the lookup waited for all of handshake_timeout (%us) in "
					   "the worker's owner-lookup queue behind %u searches (a busy "
					   "host, or many new backends at once)",
				 hto, map_q.running.n);
		else if (!atomic_load(&s->started))
			snprintf(why, len, "the lookup waited in the threadpool for all of "
					   "handshake_timeout (%us) (a busy threadpool?)",
				 hto);
		else if (passes)
			snprintf(why, len, "within handshake_timeout (%us) no process visible to "
					   "attlsd held it (%u complete passes over /proc)",
				 hto, passes);
		else
			snprintf(why, len, "a pass over /proc did not finish within "
					   "handshake_timeout (%us)",
				 hto);
		break;
	case -ETIMEDOUT:
		if (passes)
			snprintf(why, len, "within handshake_timeout (%us) no process visible to "
					   "attlsd held it (%u complete passes over /proc, %u "
					   "processes read)",
				 hto, passes, s->s.scanned);
		else if (s->s.scanned)
			snprintf(why, len, "a pass over /proc did not finish within "
					   "handshake_timeout (%us) (%u processes read)",
				 hto, s->s.scanned);
		else
			snprintf(why, len, "the lookup waited in the threadpool for all of "
					   "handshake_timeout (%us)",
				 hto);
		break;
	default:
		snprintf(why, len, "/proc could not be read (%s)", strerror(-r));
		break;
	}
}

/* The connection ends, RC 5108. With c->lookup == lk this frees lk (through
 * conn_finish and conn_map_stop). */
static void
lookup_failed(struct conn *c, struct conn_lookup *lk, struct map_search *s, int r)
{
	char sock[80], cause[640], why[256];

	lookup_why(s, r, map_timeout_s(lk->rule), why, sizeof(why));
	rt_addr_format(&lk->st.sock.sa, sock, sizeof(sock));
	snprintf(cause, sizeof(cause), "rule %s names jobname %s: the process owning %s %s "
				       "(socket inode %lu, uid %u %s) could not be determined: %s",
		 lk->rule->name, lk->rule->jobname, c->outbound ? "the client socket at" : "the listener",
		 sock, lk->st.inode, lk->st.o.uid, lk->st.o.user, why);
	conn_finish(c, CONN_END_OWNER_UNKNOWN, RC_OWNER_UNKNOWN, cause);
}

/* The worker's queue is full: the connection ends at once (RC 5108), and one
 * warning per MAP_FULL_LOG_S says so with the count. */
static void
lookup_refused(struct conn *c, struct map_queue *q, const struct conn_lookup *lk)
{
	char sock[80], cause[640];
	unsigned long long n;

	q->refused++;
	metrics_owner_lookup(METRICS_OWNER_REFUSED);
	if (ratelimit_admit(&q->full_log, (long long)(uv_now(q->loop) / 1000), MAP_FULL_LOG_S, 1)) {
		n = ratelimit_take_suppressed(&q->full_log);
		log_warn("worker %u: the owner-lookup queue is full (%u searches running, %u "
			 "sockets waiting for one): connections that need a search for another "
			 "socket are refused (RC %d); %llu refused since the last such line, %lu "
			 "in all",
			 c->w->id, q->running.n, q->pending.n, RC_OWNER_UNKNOWN, n + 1, q->refused);
	}
	rt_addr_format(&lk->st.sock.sa, sock, sizeof(sock));
	snprintf(cause, sizeof(cause), "rule %s names jobname %s: the process owning %s %s "
				       "(socket inode %lu, uid %u %s) is not known yet and the "
				       "owner-lookup queue is full (%u searches running, %u sockets "
				       "waiting for one in worker %u): the connection was refused at "
				       "once rather than left waiting (many new backends at once, or "
				       "sockets that no process holds)",
		 lk->rule->name, lk->rule->jobname, c->outbound ? "the client socket at" : "the listener",
		 sock, lk->st.inode, lk->st.o.uid, lk->st.o.user, q->running.n, q->pending.n, c->w->id);
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

/* The process is known: the rules go on from the one that needed it. */
static void
lookup_resume(struct conn *c, struct conn_lookup *lk, const struct map_search *s)
{
	struct map_state st = lk->st;
	unsigned listener = lk->listener;

	free(lk);
	st.o = s->o;
	owner_keep(c, &st.o);
	st.have_proc = true;
	conn_arm_timer(c, 0);
	conn_set_state(c, CONN_ACCEPTED);
	conn_update_polls(c);
	if (map_resume(c, listener, &st) == 0)
		conn_mapped(c, listener);
}

/* Back on the loop: every waiter resumes or fails with the search's result. */
static void
on_search_done(uv_work_t *req, int status)
{
	struct map_search *s = container_of(req, struct map_search, work);
	struct map_queue *q = &map_q;
	int r = status == UV_ECANCELED ? -ECANCELED : s->r;
	uint64_t now_us = owner_now_us();
	struct conn_lookup *lk;
	struct conn *c;

	map_list_remove(&q->running, s);
	s->done = true; /* out of the lists: no one joins it, no one drops it */
	if (log_enabled(LOG_DEBUG)) {
		if (!s->nwaiters)
			log_debug("socket inode %lu: owner lookup given back after the connection "
				  "ended (%s)",
				  s->inode, r == 0 ? "found" : strerror(-r));
		else
			log_debug("owner of socket inode %lu: %s after %llu ms (%u passes, %u "
				  "processes read) for %u waiting connections",
				  s->inode, r == 0 ? "found" : strerror(-r),
				  (unsigned long long)(uv_now(q->loop) - s->start_ms),
				  (unsigned)s->s.passes, s->s.scanned, s->nwaiters);
	}
	/* A resumed connection may end another waiter: take them one at a time. */
	while ((lk = s->waiters)) {
		c = lk->c;
		search_detach(s, lk);
		/* It joined as the search gave up at the previous latest deadline. */
		if (r == -ETIMEDOUT && lk->deadline_us > now_us && lookup_wait(q, lk) == 0)
			continue;
		c->lookup = NULL;
		if (r != 0) {
			lookup_failed(c, lk, s, r);
			free(lk);
		} else {
			lookup_resume(c, lk, s);
		}
	}
	free(s);
	search_pump(q);
}

/* Tries the rules from st->next; 0 when mapped, 1 when the connection waits
 * for a search (or ended). */
static int
map_resume(struct conn *c, unsigned listener, struct map_state *st)
{
	const struct policy_rule *r;
	struct conn_lookup *lk;
	struct map_queue *q;
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
	q = map_queue_get(c);
	if (!(lk = calloc(1, sizeof(*lk)))) {
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory for an owner lookup");
		return 1;
	}
	lk->c = c;
	lk->st = *st;
	lk->listener = listener;
	lk->rule = &c->gen->policy->rules[st->next];
	ms = (uint64_t)map_timeout_s(lk->rule) * 1000;
	lk->deadline_us = owner_now_us() + ms * 1000;
	if ((k = lookup_wait(q, lk)) != 0) {
		if (k == -EAGAIN)
			lookup_refused(c, q, lk);
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
	if (log_enabled(LOG_DEBUG)) {
		if (lk->search->nwaiters == 1)
			log_debug("conn %08X: rule %s needs the process owning socket inode %lu: "
				  "looking it up off the loop (search %lu of this worker)",
				  c->id, lk->rule->name, st->inode, q->started);
		else
			log_debug("conn %08X: rule %s needs the process owning socket inode %lu: "
				  "joins the search in flight (%u waiting, %lu joined in this worker)",
				  c->id, lk->rule->name, st->inode, lk->search->nwaiters, q->merged);
	}
	search_pump(q);
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
		lookup_failed(c, lk, lk->search, -EINPROGRESS);
}

void
conn_map_stop(struct conn *c)
{
	struct conn_lookup *lk = c->lookup;
	struct map_search *s = lk->search;

	c->lookup = NULL;
	search_detach(s, lk);
	free(lk);
	if (!s->nwaiters && !s->done)
		search_drop(&map_q, s);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* A worker's owner-lookup queue: the searches of /proc for the process
 * holding a socket (owner.c) that its connections wait for (conn_map.c).
 *
 * One search serves every connection of the worker that waits for the same
 * socket inode: 5,000 connections to a backend started a moment ago are one
 * search, not 5,000 in libuv's threadpool (UV_THREADPOOL_SIZE threads,
 * default 4, for the whole process). A connection joins it as a waiter with
 * its own deadline; the search runs to the latest of them and is cancelled
 * when the last waiter leaves. At most a quarter of the threadpool (at least
 * OWNERQ_RUNNING_MIN) runs for a worker at once; OWNERQ_PENDING_MAX more
 * sockets wait in order, and a connection that would need yet another is
 * refused at once rather than tie up a slot until its deadline.
 *
 * Everything here runs on the worker's loop, one loop per thread, so the
 * queue is thread-local. A search belongs to the queue, never to a
 * connection: a waiter that leaves is only unlinked, and a search in the
 * threadpool is freed when the threadpool hands it back (which keeps the
 * loop running until then). The threadpool touches only a search's
 * owner_search, its result and 'started'. */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rc.h"
#include "metrics/metrics.h"
#include "ownerq.h"

#define OWNERQ_RUNNING_MIN 2
#define OWNERQ_POOL_DEFAULT 4
#define OWNERQ_POOL_MAX 1024 /* libuv's own ceiling */
#define OWNERQ_PENDING_MAX 64
#define OWNERQ_FULL_LOG_S 10 /* one warning per window while the queue is full */

struct ownerq_search {
	uv_work_t work;
	/* The threadpool's from uv_queue_work() until on_search_done(); the loop
	 * reads 'passes', 'started' and 'cancel', and moves the deadline later. */
	struct owner_search s;
	atomic_bool started; /* a thread has picked it up */
	int r;               /* owner_search_run(), then owner_describe() */
	unsigned uid;        /* in: the socket's */
	struct owner o;      /* out: the holder's names (user, comm, unit) */
	/* The loop's. */
	unsigned long inode;
	struct ownerq_waiter *waiters, *last; /* in arrival order; none: being cancelled */
	unsigned nwaiters;
	uint64_t deadline_us; /* the latest of its waiters' */
	uint64_t start_ms;
	bool queued; /* in the threadpool; else pending */
	bool done;   /* handed back: on_search_done() frees it */
	struct ownerq_search *prev, *next; /* in the running or the pending list */
};

struct ownerq_list {
	struct ownerq_search *head, *tail;
	unsigned n;
};

struct ownerq {
	uv_loop_t *loop;
	unsigned worker, max_running;
	struct ownerq_list running, pending;
	unsigned long started, joined, refused;
	struct ratelimit full_log;
};

static _Thread_local struct ownerq ownerq_self;

/* This worker's queue; its bounds are read on first use. */
static struct ownerq *
queue_get(uv_loop_t *loop, unsigned worker)
{
	struct ownerq *q = &ownerq_self;
	const char *env;
	long n;

	if (!q->loop) {
		q->loop = loop;
		q->worker = worker;
		/* What libuv reads: the pool is the whole process's. */
		env = getenv("UV_THREADPOOL_SIZE");
		n = env && *env ? strtol(env, NULL, 10) : OWNERQ_POOL_DEFAULT;
		n = n < 1 ? 1 : n > OWNERQ_POOL_MAX ? OWNERQ_POOL_MAX : n;
		q->max_running = n / 4 > OWNERQ_RUNNING_MIN ? (unsigned)n / 4 : OWNERQ_RUNNING_MIN;
	}
	return q;
}

static void
list_append(struct ownerq_list *l, struct ownerq_search *s)
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
list_remove(struct ownerq_list *l, struct ownerq_search *s)
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

/* The search for 'inode' that waiters may still join: one that lost its last
 * waiter is being cancelled. */
static struct ownerq_search *
search_find(struct ownerq *q, unsigned long inode)
{
	struct ownerq_search *s;

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
search_attach(struct ownerq_search *s, struct ownerq_waiter *w)
{
	w->search = s;
	w->next = NULL;
	w->prev = s->last;
	if (s->last)
		s->last->next = w;
	else
		s->waiters = w;
	s->last = w;
	s->nwaiters++;
	if (w->deadline_us > s->deadline_us) {
		s->deadline_us = w->deadline_us;
		/* A search in the threadpool reads it between processes. */
		if (s->queued)
			atomic_store(&s->s.deadline_us, s->deadline_us);
	}
}

static void
search_detach(struct ownerq_search *s, struct ownerq_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		s->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		s->last = w->prev;
	w->prev = w->next = NULL;
	w->search = NULL;
	s->nwaiters--;
}

/* On a threadpool thread: only s->s, s->started, s->r, s->uid and s->o. */
static void
on_search_work(uv_work_t *req)
{
	struct ownerq_search *s = container_of(req, struct ownerq_search, work);

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
queue_pump(struct ownerq *q)
{
	struct ownerq_search *s;

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
		list_remove(&q->pending, s);
		list_append(&q->running, s);
		s->queued = true;
		s->start_ms = uv_now(q->loop);
	}
}

/* No waiter is left: a pending search goes, a queued one is stopped (and
 * freed when the threadpool hands it back). */
static void
search_drop(struct ownerq *q, struct ownerq_search *s)
{
	if (!s->queued) {
		list_remove(&q->pending, s);
		free(s);
		return;
	}
	atomic_store(&s->s.cancel, true);
	/* Not started yet: on_search_done() comes with UV_ECANCELED. */
	(void)uv_cancel((uv_req_t *)&s->work);
}

/* Back on the loop: every waiter gets the search's result. */
static void
on_search_done(uv_work_t *req, int status)
{
	struct ownerq_search *s = container_of(req, struct ownerq_search, work);
	struct ownerq *q = &ownerq_self;
	int r = status == UV_ECANCELED ? -ECANCELED : s->r;
	uint64_t now_us = owner_now_us();
	struct ownerq_waiter *w;

	list_remove(&q->running, s);
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
	/* A waiter's callback may end another waiter: take them one at a time. */
	while ((w = s->waiters)) {
		search_detach(s, w);
		/* It joined as the search gave up at the previous latest deadline. */
		if (r == -ETIMEDOUT && w->deadline_us > now_us &&
		    ownerq_join(q->loop, q->worker, w) == 0)
			continue;
		w->on_done(w, s, r, r == 0 ? &s->o : NULL);
	}
	free(s);
	queue_pump(q);
}

/* One warning per OWNERQ_FULL_LOG_S while connections are refused. */
static void
queue_full(struct ownerq *q)
{
	unsigned long long n;

	q->refused++;
	metrics_owner_lookup(METRICS_OWNER_REFUSED);
	if (!ratelimit_admit(&q->full_log, (long long)(uv_now(q->loop) / 1000), OWNERQ_FULL_LOG_S,
			     1))
		return;
	n = ratelimit_take_suppressed(&q->full_log);
	log_warn("worker %u: the owner-lookup queue is full (%u searches running, %u sockets "
		 "waiting for one): connections that need a search for another socket are "
		 "refused (RC %d); %llu refused since the last such line, %lu in all",
		 q->worker, q->running.n, q->pending.n, RC_OWNER_UNKNOWN, n + 1, q->refused);
}

int
ownerq_join(uv_loop_t *loop, unsigned worker, struct ownerq_waiter *w)
{
	struct ownerq *q = queue_get(loop, worker);
	struct ownerq_search *s = search_find(q, w->inode);

	if (s) {
		search_attach(s, w);
		q->joined++;
		metrics_owner_lookup(METRICS_OWNER_JOINED);
		return 0;
	}
	if (q->running.n >= q->max_running && q->pending.n >= OWNERQ_PENDING_MAX) {
		queue_full(q);
		return -EAGAIN;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->inode = w->inode;
	s->uid = w->uid;
	list_append(&q->pending, s);
	search_attach(s, w);
	q->started++;
	metrics_owner_lookup(METRICS_OWNER_SEARCH);
	queue_pump(q);
	return 0;
}

void
ownerq_leave(struct ownerq_waiter *w)
{
	struct ownerq_search *s = w->search;

	search_detach(s, w);
	if (!s->nwaiters && !s->done)
		search_drop(&ownerq_self, s);
}

unsigned
ownerq_waiters(const struct ownerq_waiter *w)
{
	return w->search ? w->search->nwaiters : 0;
}

void
ownerq_why(struct ownerq_search *s, int r, unsigned hto, char *why, size_t len)
{
	/* While it runs, only what the threadpool publishes atomically. */
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
				 hto, ownerq_self.running.n);
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

void
ownerq_stats(struct ownerq_stats *out)
{
	const struct ownerq *q = &ownerq_self;

	out->running = q->running.n;
	out->pending = q->pending.n;
	out->started = q->started;
	out->joined = q->joined;
	out->refused = q->refused;
}

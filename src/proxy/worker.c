/* SPDX-License-Identifier: Apache-2.0 */
/* Worker threads: each runs its own libuv loop with its own SO_REUSEPORT
 * listening sockets, accepts, and owns the connections it accepted. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "conn.h"
#include "diag/ezd.h"
#include "fdbudget.h"
#include "intercept.h"
#include "filter/ipfilter.h"
#include "fleet/rediscache.h"
#include "metrics/metrics.h"
#include "worker.h"

#define ACCEPT_BURST 64
#define ACCEPT_RETRY_MS 100
/* Out of descriptors: one line when it starts, one every interval while it
 * lasts, one when accepts succeed again. */
#define FD_SHORT_LOG_MS 10000

static atomic_uint connid_seq;
static atomic_uint live_conns;

uint32_t
worker_next_connid(void)
{
	return atomic_fetch_add(&connid_seq, 1) + 1;
}

unsigned
worker_live_connections(void)
{
	return atomic_load(&live_conns);
}

static void on_listener(uv_poll_t *h, int status, int events);

static void
listeners_pause(struct worker *w, bool pause)
{
	size_t i;

	for (i = 0; i < w->nlisteners; i++) {
		struct worker_listener *l = &w->listeners[i];
		if (l->paused == pause)
			continue;
		l->paused = pause;
		if (pause)
			uv_poll_stop(&l->poll);
		else
			uv_poll_start(&l->poll, UV_READABLE, on_listener);
	}
}

static void
on_retry(uv_timer_t *t)
{
	struct worker *w = t->data;

	if (!w->stopping)
		listeners_pause(w, false);
}

/* A redirected connection's local address is attlsd's own port; conntrack
 * knows where it was going, and the rules map by that. (With tproxy the local
 * address already is the original destination.) */
static int
worker_original_dst(struct worker_listener *l, int fd, const union rt_sockaddr *peer,
		    union rt_sockaddr *local)
{
	union rt_sockaddr orig;
	char from[80];
	int r;

	if (l->w->gen->policy->listeners[l->index].intercept != POLICY_INTERCEPT_REDIRECT)
		return 0;
	if ((r = intercept_original_dst(fd, local, &orig)) == 0) {
		*local = orig;
		return 0;
	}
	if (!log_ceiling_admit(1, l->w->gen->policy->settings.log_max_lines_per_second))
		goto out;
	rt_addr_format(&peer->sa, from, sizeof(from));
	log_warn("worker %u: connection from %s to an interception port was not redirected "
		 "(%s); closed",
		 l->w->id, from, r == -ENOENT ? "no NAT entry" : strerror(-r));
out:
	return r == -ENOENT ? ATTLS_ENOENT : ATTLS_ESYS;
}

/* ---- out of descriptors ---- */

static void
fd_short_log(struct worker *w, int err, uint64_t now)
{
	if (!w->fd_short_ms) {
		w->fd_short_ms = w->fd_logged_ms = now;
		log_error("worker %u: accept: %s: new connections are refused (reset) until "
			  "descriptors are free; the descriptor budget (doc/limits.md) should "
			  "have prevented this: another part of the process or the system (ENFILE) "
			  "holds them",
			  w->id, strerror(err));
	} else if (now - w->fd_logged_ms >= FD_SHORT_LOG_MS) {
		w->fd_logged_ms = now;
		log_error("worker %u: still out of descriptors (%s): %lu connections refused "
			  "in %llu s",
			  w->id, strerror(err), w->fd_refused,
			  (unsigned long long)(now - w->fd_short_ms) / 1000);
	}
}

/* An accept succeeded after refusals: the episode is over. */
static void
fd_short_over(struct worker *w)
{
	log_notice("worker %u: descriptors available again; %lu connections were refused "
		   "in %llu ms without them",
		   w->id, w->fd_refused,
		   (unsigned long long)(uv_now(&w->loop) - w->fd_short_ms));
	w->fd_refused = 0;
	w->fd_short_ms = w->fd_logged_ms = 0;
}

/* EMFILE/ENFILE: the reserve-descriptor trick. The spare descriptor is given
 * up so that one connection can be accepted and reset at once: the client
 * learns now instead of waiting in the backlog, and the listener does not stay
 * readable with nothing to do. 1: one refused, try the next; 0: the backlog is
 * empty; -1: no spare descriptor could be had (the caller pauses accepts). */
static int
refuse_one(struct worker_listener *l, int err)
{
	struct worker *w = l->w;
	struct linger lg = { 1, 0 };
	int fd, aerr;

	if (w->spare_fd < 0 && (w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	close(w->spare_fd);
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	aerr = errno;
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		w->fd_refused++;
		fd_short_log(w, err, uv_now(&w->loop));
	}
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return aerr == EAGAIN || aerr == EINTR || aerr == ECONNABORTED ? 0 : -1;
	return w->spare_fd >= 0 ? 1 : -1;
}

/* ---- admission: slots, per-source limits, shedding ---- */

static void
silent_remove(struct worker *w, struct conn *c)
{
	if (!c->silent)
		return;
	if (c->silent_prev)
		c->silent_prev->silent_next = c->silent_next;
	else
		w->silent_head = c->silent_next;
	if (c->silent_next)
		c->silent_next->silent_prev = c->silent_prev;
	else
		w->silent_tail = c->silent_prev;
	c->silent_prev = c->silent_next = NULL;
	c->silent = false;
}

static void
silent_append(struct worker *w, struct conn *c)
{
	c->silent_prev = w->silent_tail;
	c->silent_next = NULL;
	if (w->silent_tail)
		w->silent_tail->silent_next = c;
	else
		w->silent_head = c;
	w->silent_tail = c;
	c->silent = true;
}

/* Closes the oldest connection that has sent nothing, to make room for one
 * from 'src' under limit 'what' (its value 'limit'); false when there is none. */
static bool
shed_silent(struct worker *w, const char *src, const char *what, unsigned limit)
{
	struct conn *victim = w->silent_head;
	char cause[256];

	if (!victim)
		return false;
	snprintf(cause, sizeof(cause), "it had sent nothing for %llu ms when a new connection "
				       "from %s found settings.%s (%u) reached: closed to "
				       "make room",
		 (unsigned long long)(uv_now(&w->loop) - victim->start_ms), src, what, limit);
	conn_finish(victim, CONN_END_LIMIT, RC_SHED, cause);
	return true;
}

static int
refusal(enum srclimit_verdict v, const struct srclimit_limits *l, const char *src,
	char *cause, size_t len)
{
	if (v == SRCLIMIT_SOURCE_CONNS) {
		snprintf(cause, len, "source %s already holds %u connections: "
				     "settings.max_connections_per_source is %u",
			 src, l->conns_per_source, l->conns_per_source);
		return RC_SOURCE_CONN_LIMIT;
	}
	if (v == SRCLIMIT_SOURCE_HS) {
		snprintf(cause, len, "source %s already has %u connections that have not "
				     "finished their handshake: settings.max_handshakes_per_source "
				     "is %u",
			 src, l->hs_per_source, l->hs_per_source);
		return RC_SOURCE_HANDSHAKE_LIMIT;
	}
	snprintf(cause, len, "%u handshakes are in progress in all workers "
			     "(settings.max_handshakes) and this worker had no connection that "
			     "had sent nothing to close instead; source %s",
		 l->hs_total, src);
	return RC_HANDSHAKE_LIMIT;
}

int
worker_admit(struct worker *w, struct conn *c, char *cause, size_t len)
{
	const struct policy_settings *s = &c->gen->policy->settings;
	struct srclimit_limits l = { s->max_connections_per_source, s->max_handshakes_per_source,
				     s->max_handshakes, s->source_prefix_v6 };
	unsigned max = fdbudget_max_connections(s);
	enum srclimit_verdict v;
	char src[INET6_ADDRSTRLEN + 8];

	/* Diverted local applications all share the host's addresses: only the
	 * overall limits apply to them. */
	if (c->outbound)
		l.conns_per_source = l.hs_per_source = 0;
	srclimit_source_name(&c->remote.sa, l.prefix_v6, src, sizeof(src));
	if (c->outbound)
		srclimit_source_name(&c->local.sa, 128, src, sizeof(src));
	v = srclimit_acquire(&c->src, c->outbound ? &c->local.sa : &c->remote.sa, &l);
	if (v == SRCLIMIT_HS_TOTAL && shed_silent(w, src, "max_handshakes", l.hs_total))
		v = srclimit_acquire(&c->src, c->outbound ? &c->local.sa : &c->remote.sa, &l);
	if (v != SRCLIMIT_OK)
		return refusal(v, &l, src, cause, len);
	if (w->nslots >= max && !shed_silent(w, src, "max_connections", max)) {
		srclimit_release(&c->src);
		snprintf(cause, len, "this worker holds settings.max_connections (%u%s) "
				     "connections and none that has sent nothing to close instead; "
				     "source %s",
			 max, max < s->max_connections ? ", clamped to the descriptor budget" : "",
			 src);
		return RC_CONN_LIMIT;
	}
	c->slot = true;
	w->nslots++;
	silent_append(w, c);
	return 0;
}

void
worker_conn_spoke(struct conn *c)
{
	silent_remove(c->w, c);
}

void
worker_conn_hs_done(struct conn *c)
{
	silent_remove(c->w, c);
	srclimit_hs_done(&c->src);
}

void
worker_conn_release(struct conn *c)
{
	silent_remove(c->w, c);
	srclimit_release(&c->src);
	if (c->slot) {
		c->slot = false;
		c->w->nslots--;
	}
}

static void
on_listener(uv_poll_t *h, int status, int events)
{
	struct worker_listener *l = h->data;
	struct worker *w = l->w;
	union rt_sockaddr peer, local;
	socklen_t plen, llen;
	int i, fd, err;

	(void)events;
	if (status < 0 || w->stopping)
		return;
	for (i = 0; i < ACCEPT_BURST; i++) {
		plen = sizeof(peer);
		fd = accept4(l->fd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (w->fd_refused)
				fd_short_over(w);
			llen = sizeof(local);
			if (getsockname(fd, &local.sa, &llen) != 0 ||
			    worker_original_dst(l, fd, &peer, &local) != 0) {
				close(fd);
				continue;
			}
			/* IP filters decide before any byte is read or any state exists. */
			if (w->gen->policy->nfilters && !ipfilter_check(w->gen, fd, &peer, &local))
				continue;
			atomic_fetch_add(&live_conns, 1);
			conn_accept(w, fd, &peer, &local, l->index);
			continue;
		}
		err = errno;
		if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
			return;
		if (err == EMFILE || err == ENFILE) {
			int r = refuse_one(l, err);
			if (r > 0)
				continue;
			if (r == 0)
				return;
		}
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
			/* No spare descriptor, or out of memory: leave new connections in
			 * the backlog for a while instead of spinning on a listener that
			 * stays readable. */
			log_error("worker %u: accept: %s; pausing accepts for %d ms", w->id,
				  strerror(err), ACCEPT_RETRY_MS);
			listeners_pause(w, true);
			uv_timer_start(&w->retry, on_retry, ACCEPT_RETRY_MS, 0);
			return;
		}
		log_error("worker %u: accept: %s", w->id, strerror(err));
		return;
	}
}

static void
on_closed_noop(uv_handle_t *h)
{
	(void)h;
}

/* The socket is closed at once, not at exit: a listening socket keeps
 * completing handshakes into its backlog that nobody would serve. */
static void
on_listener_closed(uv_handle_t *h)
{
	struct worker_listener *l = h->data;

	close(l->fd);
	l->fd = -1;
}

static void
stop_listening(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nlisteners; i++) {
		if (!uv_is_closing((uv_handle_t *)&w->listeners[i].poll))
			uv_close((uv_handle_t *)&w->listeners[i].poll, on_listener_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&w->retry))
		uv_close((uv_handle_t *)&w->retry, on_closed_noop);
	rediscache_worker_stop();
	if (!uv_is_closing((uv_handle_t *)&w->agg)) {
		uv_close((uv_handle_t *)&w->agg, on_closed_noop);
		ezd_agg_flush(true); /* counts still pending are not lost at exit */
	}
}

static void
maybe_exit(struct worker *w)
{
	if (w->stopping && w->nconns == 0 && !uv_is_closing((uv_handle_t *)&w->wake)) {
		/* Nothing can wake us for an INIT any more: answer what is queued. */
		appctl_queue_close(&w->appctl);
		uv_close((uv_handle_t *)&w->wake, on_closed_noop);
	}
}

void
worker_conn_gone(struct worker *w)
{
	w->nconns--;
	atomic_fetch_sub(&live_conns, 1);
	maybe_exit(w);
}

/* The listeners a reload replaced: freed when the last of their handles closed. */
struct worker_retired {
	struct worker_listener *arr;
	size_t left;
};

static void
on_retired_closed(uv_handle_t *h)
{
	struct worker_listener *l = h->data;
	struct worker_retired *r = l->retired;

	if (!l->keep_fd)
		close(l->fd);
	if (--r->left == 0) {
		free(r->arr);
		free(r);
	}
}

static void
init_listeners(struct worker *w, const int *fds, size_t nfds)
{
	size_t i;

	for (i = 0; i < nfds; i++) {
		struct worker_listener *l = &w->listeners[i];
		l->w = w;
		l->fd = fds[i];
		l->index = (unsigned)i;
		l->paused = true;
		uv_poll_init(&w->loop, &l->poll, l->fd);
		l->poll.data = l;
	}
	w->nlisteners = nfds;
}

/* On the worker's thread: new connections map with the new generation from
 * now on; live ones keep theirs (AT-TLS "stale actions"). Sockets of endpoints
 * that stayed are moved to new handles, the others closed. */
static void
apply_reload(struct worker *w, struct worker_reload *r)
{
	struct worker_listener *fresh = calloc(r->nfds + 1, sizeof(*fresh));
	struct worker_retired *old = calloc(1, sizeof(*old));
	size_t i, j;

	if (!fresh || !old || w->stopping) {
		free(fresh);
		free(old);
		for (i = 0; i < r->nfds; i++) {
			for (j = 0; j < w->nlisteners && w->listeners[j].fd != r->fds[i]; j++)
				;
			if (j == w->nlisteners)
				close(r->fds[i]);
		}
		rt_gen_unref(r->gen);
		goto out;
	}
	old->arr = w->listeners;
	old->left = w->nlisteners;
	for (i = 0; i < w->nlisteners; i++) {
		struct worker_listener *l = &w->listeners[i];
		for (j = 0; j < r->nfds && r->fds[j] != l->fd; j++)
			;
		l->keep_fd = j < r->nfds;
		l->retired = old;
		uv_close((uv_handle_t *)&l->poll, on_retired_closed);
	}
	if (old->left == 0) {
		free(old->arr);
		free(old);
	}
	w->listeners = fresh;
	init_listeners(w, r->fds, r->nfds);
	listeners_pause(w, false);
	rt_gen_unref(w->gen);
	w->gen = r->gen;
out:
	free(r->fds);
	free(r);
}

int
worker_reload(struct worker *w, struct worker_reload *r)
{
	struct worker_reload *none = NULL;

	if (!atomic_compare_exchange_strong(&w->reload, &none, r))
		return ATTLS_EAGAIN;
	uv_async_send(&w->wake);
	return 0;
}

static void
on_wake(uv_async_t *a)
{
	struct worker *w = a->data;
	struct conn *c, *next;
	struct worker_reload *r = atomic_exchange(&w->reload, NULL);
	int cmd = atomic_load(&w->command);

	atomic_fetch_add(&w->alive, 1); /* this loop runs: the daemon feeds systemd's watchdog */
	if (r)
		apply_reload(w, r);

	if (cmd == WORKER_CMD_NONE)
		return;
	if (!w->stopping) {
		w->stopping = true;
		stop_listening(w);
	}
	if (cmd == WORKER_CMD_ABORT) {
		for (c = w->conns; c; c = next) {
			next = c->next;
			conn_finish(c, CONN_END_SHUTDOWN, 0, NULL);
		}
	}
	maybe_exit(w);
}

/* Aggregation windows are whole seconds; a tick a second puts the count line
 * at most a second after its window ends. */
#define AGG_TICK_MS 1000

static void
on_agg_tick(uv_timer_t *t)
{
	(void)t;
	ezd_agg_flush(false);
}

static void
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct policy_settings *st = &w->gen->policy->settings;
	char name[16]; /* "top -H" and the watchdog test tell the workers apart by name */

	/* Named from inside: naming another thread writes /proc/self/task/TID/comm,
	 * which the privilege drop and the sandbox forbid. */
	snprintf(name, sizeof(name), "attlsd-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
	metrics_worker_start();
	/* The fleet's session store is per loop: set up on this thread. */
	(void)rediscache_worker_start(&w->loop, st->session_cache, st->session_cache_timeout);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	if (w->on_done)
		w->on_done(w);
}

int
worker_new(unsigned id, struct rt_gen *gen, const int *fds, size_t nfds, struct worker **out)
{
	struct worker *w;
	int r = 0;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return ATTLS_ENOMEM;
	w->id = id;
	w->gen = rt_gen_ref(gen);
	atomic_init(&w->command, WORKER_CMD_NONE);
	if (!(w->listeners = calloc(nfds + 1, sizeof(*w->listeners)))) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	/* libuv's error codes stay in here; callers see ATTLS_E* codes. */
	if (uv_loop_init(&w->loop) != 0) {
		r = ATTLS_ESYS;
		goto out;
	}
	/* The loop's first async handle creates its eventfd, so only this one
	 * can fail (EMFILE); the wake handle below shares the descriptor. */
	if ((r = appctl_queue_init(&w->appctl, &w->loop, appctl_conn_on_request, w)) != 0) {
		(void)uv_loop_close(&w->loop);
		goto out;
	}
	(void)uv_async_init(&w->loop, &w->wake, on_wake);
	w->wake.data = w;
	uv_timer_init(&w->loop, &w->retry);
	w->retry.data = w;
	uv_timer_init(&w->loop, &w->agg);
	uv_timer_start(&w->agg, on_agg_tick, AGG_TICK_MS, AGG_TICK_MS);
	init_listeners(w, fds, nfds);
	listeners_pause(w, false);
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	*out = w;
out:
	if (r != 0) {
		free(w->listeners);
		rt_gen_unref(w->gen);
		free(w);
	}
	return r;
}

int
worker_start(struct worker *w)
{
	return uv_thread_create(&w->thread, worker_main, w) == 0 ? 0 : ATTLS_ESYS;
}

void
worker_command(struct worker *w, int cmd)
{
	atomic_store(&w->command, cmd);
	uv_async_send(&w->wake);
}

void
worker_join(struct worker *w)
{
	uv_thread_join(&w->thread);
}

void
worker_free(struct worker *w)
{
	size_t i;

	if (!w)
		return;
	struct worker_reload *r = atomic_exchange(&w->reload, NULL);

	/* A reload that arrived as the worker stopped. */
	if (r) {
		for (i = 0; i < r->nfds; i++)
			close(r->fds[i]);
		rt_gen_unref(r->gen);
		free(r->fds);
		free(r);
	}
	/* The loop has run dry; let close callbacks of the last handles finish. */
	uv_run(&w->loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&w->loop);
	for (i = 0; i < w->nlisteners; i++)
		if (w->listeners[i].fd >= 0)
			close(w->listeners[i].fd);
	free(w->listeners);
	rt_gen_unref(w->gen);
	appctl_queue_destroy(&w->appctl);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	free(w);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Worker threads: each runs its own libuv loop with its own SO_REUSEPORT
 * listening sockets, accepts, and owns the connections it accepted. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "conn.h"
#include "diag/ezd.h"
#include "intercept.h"
#include "filter/ipfilter.h"
#include "fleet/rediscache.h"
#include "metrics/metrics.h"
#include "worker.h"

#define ACCEPT_BURST 64
#define ACCEPT_RETRY_MS 100

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
	rt_addr_format(&peer->sa, from, sizeof(from));
	log_warn("worker %u: connection from %s to an interception port was not redirected "
		 "(%s); closed",
		 l->w->id, from, r == -ENOENT ? "no NAT entry" : strerror(-r));
	return r == -ENOENT ? ATTLS_ENOENT : ATTLS_ESYS;
}

static void
on_listener(uv_poll_t *h, int status, int events)
{
	struct worker_listener *l = h->data;
	struct worker *w = l->w;
	union rt_sockaddr peer, local;
	socklen_t plen, llen;
	int i, fd;

	(void)events;
	if (status < 0 || w->stopping)
		return;
	for (i = 0; i < ACCEPT_BURST; i++) {
		plen = sizeof(peer);
		fd = accept4(l->fd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
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
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: leave new connections in the backlog for a while
			 * instead of spinning on a listener that stays readable. */
			log_error("worker %u: accept: %s; pausing accepts for %d ms", w->id,
				  strerror(errno), ACCEPT_RETRY_MS);
			listeners_pause(w, true);
			uv_timer_start(&w->retry, on_retry, ACCEPT_RETRY_MS, 0);
			return;
		}
		log_error("worker %u: accept: %s", w->id, strerror(errno));
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
	free(w);
}

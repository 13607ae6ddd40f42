/* SPDX-License-Identifier: Apache-2.0 */
/* systemd's view of attlsd through libsystemd's sd_notify: READY, RELOADING,
 * STOPPING, a STATUS line, and a watchdog fed only while every worker answers. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/compiler.h"
#include "common/err.h"
#include "common/log.h"
#include "sdnotify.h"

/* Without a watchdog the timer only keeps STATUS current. */
#define SDNOTIFY_STATUS_MS 5000

struct sdnotify {
	uv_timer_t timer;
	struct worker **workers;
	unsigned nworkers;
	unsigned *seen;     /* each worker's w->alive when it was last pinged */
	bool *stuck;        /* logged once per episode */
	const unsigned *generation;
	uint64_t watchdog_ms; /* 0: no watchdog */
	unsigned status_gen, status_conns;
	bool status_sent, stopped;
};

#ifdef HAVE_LIBSYSTEMD
static void
sdnotify_send(const char *fmt, ...) ATTLS_PRINTF(1, 2);

static void
sdnotify_send(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Not under systemd ($NOTIFY_SOCKET unset): 0, nothing to do. */
	if ((r = sd_notify(0, msg)) < 0)
		log_warn("sd_notify: %s", strerror(-r));
}

bool
sdnotify_available(void)
{
	return true;
}
#else
#define sdnotify_send(...) ((void)0)

bool
sdnotify_available(void)
{
	return false;
}
#endif

static void
sdnotify_status(struct sdnotify *s, bool force)
{
	unsigned gen = *s->generation, conns = worker_live_connections();

	if (!force && s->status_sent && gen == s->status_gen && conns == s->status_conns)
		return;
	s->status_gen = gen;
	s->status_conns = conns;
	s->status_sent = true;
	sdnotify_send("STATUS=policy generation %u, %u connections", gen, conns);
}

/* Each tick: did every worker answer the previous ping? Then feed the
 * watchdog and ping again. A worker's answer is its loop running on_wake. */
static bool
sdnotify_workers_alive(struct sdnotify *s)
{
	bool all = true;
	unsigned i, now;

	for (i = 0; i < s->nworkers; i++) {
		struct worker *w = s->workers[i];

		now = atomic_load(&w->alive);
		if (now == s->seen[i]) {
			if (!s->stuck[i])
				log_error("worker %u did not answer the watchdog's ping within %" PRIu64
					  " ms; the watchdog is no longer fed",
					  w->id, s->watchdog_ms / 3);
			s->stuck[i] = true;
			all = false;
			continue;
		}
		if (s->stuck[i])
			log_notice("worker %u answers again; feeding the watchdog", w->id);
		s->stuck[i] = false;
		s->seen[i] = now;
		uv_async_send(&w->wake);
	}
	return all;
}

static void
on_tick(uv_timer_t *t)
{
	struct sdnotify *s = t->data;

	if (s->watchdog_ms && sdnotify_workers_alive(s))
		sdnotify_send("WATCHDOG=1");
	sdnotify_status(s, false);
}

int
sdnotify_start(uv_loop_t *loop, struct worker **workers, unsigned nworkers,
	       const unsigned *generation, struct sdnotify **out)
{
	struct sdnotify *s = calloc(1, sizeof(*s));
	uint64_t usec = 0, ms;
	unsigned i;

	*out = NULL;
	if (!s || !(s->seen = calloc(nworkers + 1, sizeof(*s->seen))) ||
	    !(s->stuck = calloc(nworkers + 1, sizeof(*s->stuck)))) {
		sdnotify_free(s);
		return ATTLS_ENOMEM;
	}
	s->workers = workers;
	s->nworkers = nworkers;
	s->generation = generation;
#ifdef HAVE_LIBSYSTEMD
	if (sd_watchdog_enabled(0, &usec) <= 0)
		usec = 0;
#endif
	/* A third of the interval: a stuck worker is seen one tick late, and the
	 * feed before that still leaves systemd a tick of slack. */
	s->watchdog_ms = usec / 1000;
	ms = s->watchdog_ms ? s->watchdog_ms / 3 : SDNOTIFY_STATUS_MS;
	if (ms == 0)
		ms = 1;
	/* The first tick sees a ping answered: the workers start with alive 0. */
	for (i = 0; i < nworkers; i++) {
		s->seen[i] = (unsigned)-1;
		uv_async_send(&workers[i]->wake);
	}
	if (s->watchdog_ms)
		log_info("systemd watchdog: %" PRIu64 " ms; every worker is pinged each %" PRIu64
			 " ms",
			 s->watchdog_ms, ms);
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	uv_timer_start(&s->timer, on_tick, ms, ms);
	*out = s;
	return 0;
}

static void
on_timer_closed(uv_handle_t *h)
{
	free(((struct sdnotify *)h->data)->seen);
	free(((struct sdnotify *)h->data)->stuck);
	free(h->data);
}

void
sdnotify_stop(struct sdnotify *s)
{
	if (s && !s->stopped) {
		s->stopped = true;
		uv_timer_stop(&s->timer);
	}
}

void
sdnotify_free(struct sdnotify *s)
{
	if (!s)
		return;
	if (s->timer.data) {
		uv_close((uv_handle_t *)&s->timer, on_timer_closed);
		return;
	}
	free(s->seen);
	free(s->stuck);
	free(s);
}

void
sdnotify_ready(struct sdnotify *s)
{
	sdnotify_send("READY=1");
	if (s)
		sdnotify_status(s, true);
}

void
sdnotify_reloading(void)
{
	struct timespec ts;

	/* systemd >= 253 (Type=notify-reload) wants the time of the request. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify_send("RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		      (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

void
sdnotify_stopping(struct sdnotify *s)
{
	sdnotify_stop(s);
	sdnotify_send("STOPPING=1");
}

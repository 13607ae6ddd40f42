/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: a worker thread with its own libuv loop and SO_REUSEPORT
 * listeners; it owns every connection it accepted. */
#ifndef ATTLS_WORKER_H
#define ATTLS_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "control/appctl.h"
#include "runtime/runtime.h"

#define WORKER_SCRATCH 16384 /* one TLS record of plaintext */

struct conn;

struct worker_listener {
	struct worker *w;
	uv_poll_t poll;
	int fd;
	unsigned index; /* into policy->listeners */
	bool paused;
	bool keep_fd;   /* retired by a reload, but its socket lives on */
	struct worker_retired *retired; /* set when retired by a reload */
};

/* A new generation and its listening sockets, handed over on reload. */
struct worker_reload {
	struct rt_gen *gen; /* a reference for the worker */
	int *fds;           /* one per policy listener, in the new policy's order */
	size_t nfds;
};

struct worker {
	unsigned id;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t wake;        /* the daemon asks us to stop or finish */
	uv_timer_t retry;       /* accept retry after EMFILE */
	uv_timer_t agg;         /* flushes error aggregation counts (ezd.c) */
	struct rt_gen *gen;     /* generation new connections map with */
	struct worker_listener *listeners;
	size_t nlisteners;
	struct conn *conns;     /* all live connections */
	unsigned nconns;
	atomic_int command;     /* WORKER_CMD_* */
	atomic_uint alive;      /* counts wakes: answers to the watchdog's pings */
	_Atomic(struct worker_reload *) reload; /* pending reload, taken by the worker */
	void (*on_done)(struct worker *w); /* called on the worker thread as it exits */
	bool stopping;
	struct appctl_queue appctl; /* INIT requests for its connections (appctl_conn.c) */
	unsigned nslots;        /* connections admitted and not yet finished */
	struct conn *silent_head, *silent_tail; /* admitted, sent nothing yet; oldest first */
	int spare_fd;           /* given up to accept-and-close when out of descriptors */
	unsigned long fd_refused; /* connections refused for lack of descriptors, this episode */
	uint64_t fd_short_ms, fd_logged_ms; /* episode start, last line about it (loop ms) */
	char scratch[WORKER_SCRATCH];
};

enum { WORKER_CMD_NONE, WORKER_CMD_STOP, WORKER_CMD_ABORT };

/* Creates worker 'id' listening on 'fds' (one per policy listener; taken).
 * These return 0 or a negative ATTLS_E* code. */
int worker_new(unsigned id, struct rt_gen *gen, const int *fds, size_t nfds, struct worker **out);
int worker_start(struct worker *w);
/* Asks the worker to stop accepting and exit once its connections end
 * (WORKER_CMD_STOP) or to end them now (WORKER_CMD_ABORT). Thread-safe. */
void worker_command(struct worker *w, int cmd);
void worker_join(struct worker *w);
/* Hands the worker a new generation and its sockets (both taken); it applies
 * them on its own thread. ATTLS_EAGAIN while a previous reload is pending. */
int worker_reload(struct worker *w, struct worker_reload *r);
void worker_free(struct worker *w);
/* Called by conn.c when a connection is freed. */
void worker_conn_gone(struct worker *w);
/* conn.c, at accept: 0 when connection 'c' may stay (it then holds a slot, its
 * source's share, and waits in the silent queue); else the RC it is refused
 * with and the cause in 'cause'. May shed an older silent connection. */
int worker_admit(struct worker *w, struct conn *c, char *cause, size_t len);
/* The connection sent its first bytes: no longer a candidate for shedding. */
void worker_conn_spoke(struct conn *c);
/* Its handshake is over, or it needs none: it stops counting against the
 * handshake limits (and has spoken). */
void worker_conn_hs_done(struct conn *c);
/* At its end (conn_finish): gives back the slot and the source's share. */
void worker_conn_release(struct conn *c);
uint32_t worker_next_connid(void);
unsigned worker_live_connections(void);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: ApplicationControlled (doc/application-controlled.md). The
 * control socket's INIT request (the analogue of SIOCTTLSCTL
 * TTLS_INIT_CONNECTION) travels from the main loop to the worker that owns the
 * connection, through that worker's queue, and its answer back; the worker
 * (proxy) switches the connection from clear text to TLS before answering. */
#ifndef ATTLS_APPCTL_H
#define ATTLS_APPCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct appctl_queue;

struct appctl_req {
	struct appctl_req *next;
	struct appctl_queue *q; /* the queue of the worker that owns the connection */
	uint32_t connid;
	void *client;     /* main thread only: the control client waiting; NULL: gone */
	char tuple[200];  /* "LOCAL REMOTE" as the client named it */
	int err;          /* set by the worker: 0 (TLS started) or an errno */
	const char *text; /* with err: why */
};

/* The INIT requests for one worker's connections. The worker embeds it and
 * registers 'on_request', which runs on the worker's loop for each request;
 * control hands requests over without knowing what a worker is. */
struct appctl_queue {
	uv_mutex_t lock;
	uv_async_t wake; /* on the worker's loop */
	struct appctl_req *head, **tail;
	bool closed;     /* the worker takes no more requests */
	void (*on_request)(struct appctl_queue *q, struct appctl_req *r);
	void *data;      /* the owner's */
};

/* Main thread. Answers come back on 'loop' through 'on_answer' (which must
 * not free 'r'). */
void appctl_start(uv_loop_t *loop, void (*on_answer)(struct appctl_req *r));
/* Delivers the answers that are still queued, then closes. */
void appctl_stop(void);
/* Any thread: queues 'r' for r->q's worker; ATTLS_ENOENT if that worker is
 * gone (r stays the caller's). */
int appctl_submit(struct appctl_req *r);

/* Worker thread: a queue on the worker's 'loop'; each request is passed to
 * 'on_request', which must answer it (now or later) with appctl_answer().
 * 0 or a negative ATTLS_E* code. */
int appctl_queue_init(struct appctl_queue *q, uv_loop_t *loop,
		      void (*on_request)(struct appctl_queue *q, struct appctl_req *r), void *data);
/* Worker thread, as it stops: answers what is still queued (ENOTCONN), takes
 * no more and closes the queue's handle. Idempotent. */
void appctl_queue_close(struct appctl_queue *q);
/* After the worker's loop has ended. */
void appctl_queue_destroy(struct appctl_queue *q);
/* Worker thread: sends the answer to 'r' (err 0: TLS started, else an errno
 * and why) back to the main loop; 'r' is not the worker's any more. */
void appctl_answer(struct appctl_req *r, int err, const char *text);

#endif

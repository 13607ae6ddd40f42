/* SPDX-License-Identifier: Apache-2.0 */
/* ApplicationControlled's INIT queues: requests from the control socket go to
 * the worker that owns the connection, answers come back to the main loop.
 * A connection whose rule has application_controlled On relays clear text
 * both ways until the application sends INIT on the control socket
 * (TTLS_INIT_CONNECTION). The control socket lives on the main loop and the
 * connection on a worker's, so the request is queued for that worker (woken
 * through its queue's async handle), carried out there (src/proxy/
 * appctl_conn.c), and its answer queued back to the main loop. Nothing here
 * knows what a worker or a connection is. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "appctl.h"
#include "common/err.h"

static uv_mutex_t appctl_lock;
static uv_async_t appctl_done;
static struct appctl_req *appctl_answers;
static void (*appctl_on_answer)(struct appctl_req *r);
static bool appctl_open;

/* ---------------------------------------------------------------- main loop */

static void
appctl_deliver(uv_async_t *a)
{
	struct appctl_req *r, *next;

	(void)a;
	uv_mutex_lock(&appctl_lock);
	r = appctl_answers;
	appctl_answers = NULL;
	uv_mutex_unlock(&appctl_lock);
	for (; r; r = next) {
		next = r->next;
		if (r->client)
			appctl_on_answer(r);
		free(r);
	}
}

void
appctl_start(uv_loop_t *loop, void (*on_answer)(struct appctl_req *r))
{
	if (appctl_open)
		return;
	uv_mutex_init(&appctl_lock);
	uv_async_init(loop, &appctl_done, appctl_deliver);
	appctl_on_answer = on_answer;
	appctl_open = true;
}

static void
appctl_closed(uv_handle_t *h)
{
	(void)h;
}

void
appctl_stop(void)
{
	if (!appctl_open)
		return;
	appctl_deliver(&appctl_done);
	appctl_open = false;
	uv_close((uv_handle_t *)&appctl_done, appctl_closed);
}

int
appctl_submit(struct appctl_req *r)
{
	struct appctl_queue *q = r->q;
	int ret = ATTLS_ENOENT;

	r->next = NULL;
	uv_mutex_lock(&q->lock);
	if (!q->closed) {
		*q->tail = r;
		q->tail = &r->next;
		/* Under the lock: the worker closes the handle only after it has
		 * marked the queue closed under the same lock. */
		uv_async_send(&q->wake);
		ret = 0;
	}
	uv_mutex_unlock(&q->lock);
	return ret;
}

/* ---------------------------------------------------------------- worker */

void
appctl_answer(struct appctl_req *r, int err, const char *text)
{
	r->err = err;
	r->text = text;
	uv_mutex_lock(&appctl_lock);
	r->next = appctl_answers;
	appctl_answers = r;
	uv_mutex_unlock(&appctl_lock);
	uv_async_send(&appctl_done);
}

static struct appctl_req *
appctl_queue_take(struct appctl_queue *q, bool close)
{
	struct appctl_req *r;

	uv_mutex_lock(&q->lock);
	r = q->head;
	q->head = NULL;
	q->tail = &q->head;
	if (close)
		q->closed = true;
	uv_mutex_unlock(&q->lock);
	return r;
}

static void
on_queue_wake(uv_async_t *a)
{
	struct appctl_queue *q = a->data;
	struct appctl_req *r, *next;

	for (r = appctl_queue_take(q, false); r; r = next) {
		next = r->next;
		q->on_request(q, r);
	}
}

int
appctl_queue_init(struct appctl_queue *q, uv_loop_t *loop,
		  void (*on_request)(struct appctl_queue *q, struct appctl_req *r), void *data)
{
	if (uv_mutex_init(&q->lock) != 0)
		return ATTLS_ESYS;
	if (uv_async_init(loop, &q->wake, on_queue_wake) != 0) {
		uv_mutex_destroy(&q->lock);
		return ATTLS_ESYS;
	}
	q->wake.data = q;
	q->head = NULL;
	q->tail = &q->head;
	q->closed = false;
	q->on_request = on_request;
	q->data = data;
	return 0;
}

static void
on_queue_closed(uv_handle_t *h)
{
	(void)h;
}

void
appctl_queue_close(struct appctl_queue *q)
{
	struct appctl_req *r, *next;

	for (r = appctl_queue_take(q, true); r; r = next) {
		next = r->next;
		appctl_answer(r, ENOTCONN, "attlsd is stopping");
	}
	if (!uv_is_closing((uv_handle_t *)&q->wake))
		uv_close((uv_handle_t *)&q->wake, on_queue_closed);
}

void
appctl_queue_destroy(struct appctl_queue *q)
{
	uv_mutex_destroy(&q->lock);
}

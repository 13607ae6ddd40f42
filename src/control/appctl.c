/* SPDX-License-Identifier: Apache-2.0 */
/* ApplicationControlled: a connection whose rule has application_controlled On
 * relays clear text both ways until the application sends INIT on the control
 * socket (TTLS_INIT_CONNECTION). The control socket lives on the main loop and
 * the connection on a worker's, so the request is queued for that worker
 * (woken through its async handle), carried out there, and its answer queued
 * back to the main loop. Carrying it out: everything the application wrote
 * before INIT goes to the peer in clear (its socket is read until EAGAIN and
 * the peer has taken every byte), then the handshake starts in the rule's
 * role, and only then is INIT answered - so bytes written after the answer
 * are encrypted. A peer that starts its handshake before INIT (the client
 * reacted to "proceed" faster than the application called INIT) is not read
 * until INIT comes, or until handshake_timeout ends it with RC 5004. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "appctl.h"
#include "common/log.h"
#include "common/rc.h"
#include "proxy/conn.h"
#include "control.h"
#include "proxy/worker.h"

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
	struct worker *w = r->w;
	int ret = -1;

	r->next = NULL;
	uv_mutex_lock(&w->appctl_lock);
	if (!w->appctl_closed) {
		*w->appctl_tail = r;
		w->appctl_tail = &r->next;
		ret = 0;
	}
	uv_mutex_unlock(&w->appctl_lock);
	if (ret == 0)
		uv_async_send(&w->wake);
	return ret;
}

/* ---------------------------------------------------------------- worker */

static void
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

void
appctl_worker_init(struct worker *w)
{
	uv_mutex_init(&w->appctl_lock);
	w->appctl_q = NULL;
	w->appctl_tail = &w->appctl_q;
}

static struct appctl_req *
appctl_take(struct worker *w, bool close)
{
	struct appctl_req *r;

	uv_mutex_lock(&w->appctl_lock);
	r = w->appctl_q;
	w->appctl_q = NULL;
	w->appctl_tail = &w->appctl_q;
	if (close)
		w->appctl_closed = true;
	uv_mutex_unlock(&w->appctl_lock);
	return r;
}

static void
appctl_conn_init(struct conn *c, struct appctl_req *r)
{
	if (!c->rule || !c->rule->eff.enabled || !c->rule->eff.app_controlled) {
		appctl_answer(r, EACCES, "the connection's policy does not have "
					 "application_controlled On (z/OS JrConnDeniedPolicy)");
		return;
	}
	if (!c->app_clear || c->init_req) {
		appctl_answer(r, EALREADY, "INIT was already received for this connection "
					   "(z/OS JrAlreadyActive)");
		return;
	}
	c->init_req = r;
	log_debug("conn %08X: INIT from the application", c->id);
	/* Still connecting to the backend: relay_start() carries it out. */
	if (c->state == CONN_RELAYING)
		appctl_conn_step(c);
}

void
appctl_worker_run(struct worker *w)
{
	struct appctl_req *r, *next;
	struct conn *c;

	for (r = appctl_take(w, false); r; r = next) {
		next = r->next;
		for (c = w->conns; c && c->id != r->connid; c = c->next)
			;
		if (!c || c->state == CONN_CLOSING)
			appctl_answer(r, ENOTCONN, "the connection has ended");
		else
			appctl_conn_init(c, r);
	}
}

void
appctl_worker_close(struct worker *w)
{
	struct appctl_req *r, *next;

	for (r = appctl_take(w, true); r; r = next) {
		next = r->next;
		appctl_answer(r, ENOTCONN, "attlsd is stopping");
	}
}

/* ---------------------------------------------------------------- connection */

void
appctl_conn_step(struct conn *c)
{
	struct side *peer = conn_app_peer(c);
	struct side *app = peer == &c->cl ? &c->be : &c->cl;
	struct appctl_req *r;
	int d;

	d = relay_drain(c, app);
	if (d < 0)
		return; /* finished: appctl_conn_end() answered */
	if (d == 0) {
		conn_update_polls(c);
		return;
	}
	/* Detached first: the handshake may finish inside conn_start_app_tls()
	 * (relay_start() then must not see an INIT still to carry out). */
	r = c->init_req;
	c->init_req = NULL;
	c->app_clear = false;
	c->hello_held = false;
	if (conn_start_app_tls(c) != 0) {
		appctl_answer(r, ECONNRESET, "the connection ended as TLS started");
		return;
	}
	control_reg_publish(c);
	appctl_answer(r, 0, NULL);
}

void
appctl_conn_end(struct conn *c)
{
	struct appctl_req *r = c->init_req;

	if (!r)
		return;
	c->init_req = NULL;
	appctl_answer(r, ECONNRESET, "the connection ended before TLS started");
}

bool
appctl_conn_hold(struct conn *c, struct side *s)
{
	unsigned char b[2];
	ssize_t n;

	if (s != conn_app_peer(c))
		return false;
	if (c->hello_held)
		return true;
	n = recv(s->fd, b, sizeof(b), MSG_PEEK);
	if (n < 1 || !appctl_tls_handshake_start(b, (size_t)n))
		return false;
	c->hello_held = true;
	log_debug("conn %08X: the peer started TLS before the application's INIT; held",
		  c->id);
	/* The peer is ready: the handshake-start interval runs from here. */
	conn_arm_timer(c, (uint64_t)c->rule->eff.handshake_timeout * 1000);
	return true;
}

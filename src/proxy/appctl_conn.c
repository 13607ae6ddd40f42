/* SPDX-License-Identifier: Apache-2.0 */
/* ApplicationControlled on a connection: the switch from clear text to TLS when
 * the application's INIT arrives through its worker's queue (control/appctl.c).
 * Carrying it out: everything the application wrote before INIT goes to the
 * peer in clear (its socket is read until EAGAIN and the peer has taken every
 * byte), then the handshake starts in the rule's role, and only then is INIT
 * answered - so bytes written after the answer are encrypted. A peer that
 * starts its handshake before INIT (the client reacted to "proceed" faster
 * than the application called INIT) is not read until INIT comes, or until
 * handshake_timeout ends it with RC 5004. */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "common/log.h"
#include "conn.h"
#include "worker.h"

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
appctl_conn_on_request(struct appctl_queue *q, struct appctl_req *r)
{
	struct worker *w = q->data;
	struct conn *c;

	for (c = w->conns; c && c->id != r->connid; c = c->next)
		;
	if (!c || c->state == CONN_CLOSING)
		appctl_answer(r, ENOTCONN, "the connection has ended");
	else
		appctl_conn_init(c, r);
}

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
	report_publish(c);
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
	if (n < 1 || !appctl_conn_hello_start(b, (size_t)n))
		return false;
	c->hello_held = true;
	log_debug("conn %08X: the peer started TLS before the application's INIT; held",
		  c->id);
	/* The peer is ready: the handshake-start interval runs from here. */
	conn_arm_timer(c, (uint64_t)c->rule->eff.handshake_timeout * 1000);
	return true;
}

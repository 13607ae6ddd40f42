/* SPDX-License-Identifier: Apache-2.0 */
/* Moves bytes between the two sides of a connection, either of which may speak
 * TLS. Reads go through the worker's one scratch buffer; only bytes the other
 * side cannot take yet are kept, at most one buffer per direction, and the
 * reading side stops until they drain (backpressure). Half-close maps both ways:
 * close_notify or FIN from one side becomes FIN (and close_notify, for a TLS
 * side) to the other. An ending that may have lost bytes never does: a TLS
 * peer's FIN without close_notify (unless the rule accepts it) resets the
 * plaintext side, and a reset of the plaintext side resets the TLS peer
 * without close_notify, each logged with its RC (5109, 5110). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "common/err.h"
#include "common/rc.h"
#include "conn.h"
#include "worker.h"

/* Reads per readiness event and direction, so one busy connection cannot
 * starve the others on the loop. */
#define RELAY_BURST 16

enum { IO_AGAIN = -1, IO_FAILED = -2 };

static struct side *
other(struct conn *c, struct side *s)
{
	return s == &c->cl ? &c->be : &c->cl;
}

static enum conn_end
reset_end(const struct conn *c, const struct side *s)
{
	return s == &c->cl ? CONN_END_CLIENT_RESET : CONN_END_BACKEND_RESET;
}

static int
pending_store(struct pending *p, const char *buf, size_t n)
{
	if (!(p->buf = malloc(n)))
		return ATTLS_ENOMEM;
	memcpy(p->buf, buf, n);
	p->len = n;
	p->off = 0;
	return 0;
}

static void
pending_clear(struct pending *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->off = 0;
}

static const char *
side_name(const struct conn *c, const struct side *s)
{
	if (s == &c->cl)
		return c->tls == &c->be ? "the local client" : "the client";
	return c->tls == &c->be ? "the server" : "the backend";
}

void
relay_side_reset(struct conn *c, struct side *s)
{
	struct side *o = other(c, s);
	char cause[384];

	/* A TLS 1.3 server checks our certificate after our handshake is done; a
	 * reset before it sent any data is its refusal, not a normal end. */
	if (s == c->tls && s == &c->be && !s->bytes_in) {
		conn_finish(c, CONN_END_HANDSHAKE_FAILED, RC_IO_ERROR,
			    "the server reset the connection right after the handshake, before "
			    "sending data: with TLS 1.3 that is how a server refuses our "
			    "certificate (or its absence); its log says why");
		return;
	}
	/* The TLS peer reset: the plaintext side is reset too (conn_finish), as a
	 * plain TCP relay would. Nothing to report: no stream looks complete. */
	if (s == c->tls || !c->tls) {
		conn_finish(c, reset_end(c, s), 0, NULL);
		return;
	}
	snprintf(cause, sizeof(cause), "%s reset the connection (or crashed) after sending %llu "
				       "bytes and receiving %llu: %s was reset too, without "
				       "close_notify, so it cannot take what it got for complete",
		 side_name(c, s), (unsigned long long)s->bytes_in, (unsigned long long)o->bytes_in,
		 side_name(c, o));
	conn_finish(c, reset_end(c, s), RC_ABORTED, cause);
}

/* OpenSSL's "unexpected EOF": the TLS peer's FIN came without close_notify. */
static bool
unexpected_eof(int e, unsigned long le)
{
	return e == SSL_ERROR_SSL && ERR_GET_LIB(le) == ERR_LIB_SSL &&
	       ERR_GET_REASON(le) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* A FIN without close_notify while the peer's data could still be coming: an
 * attacker's injected FIN looks the same as a peer that stopped mid-stream, so
 * the plaintext side is reset rather than given a clean end of data. A rule
 * with unexpected_eof: accept never gets here (SSL_OP_IGNORE_UNEXPECTED_EOF on
 * its connections, conn.c). */
static void
truncated(struct conn *c, struct side *s)
{
	char cause[512];

	snprintf(cause, sizeof(cause), "%s closed the connection (TCP FIN) without close_notify "
				       "after %llu bytes: the data may be truncated; %s was reset "
				       "instead of getting a clean end of data",
		 side_name(c, s), (unsigned long long)s->bytes_in, side_name(c, other(c, s)));
	conn_finish(c, CONN_END_TRUNCATED, RC_TRUNCATED, cause);
}

static void
tls_failed(struct conn *c, struct side *s, int e, int serr)
{
	unsigned long le = ERR_peek_error();
	struct tls_diag d;
	char cause[512];
	int rc;

	if (e == SSL_ERROR_SYSCALL && (serr == ECONNRESET || serr == EPIPE)) {
		relay_side_reset(c, s);
		return;
	}
	tls_diag_init(&d);
	rc = tls_err_classify(s->ssl, &d, e, serr, le, cause, sizeof(cause));
	conn_finish(c, s == &c->be && s == c->tls && !s->bytes_in ? CONN_END_HANDSHAKE_FAILED
								   : CONN_END_TLS_ERROR,
		    rc, cause);
}

/* Returns bytes read, 0 at end of data, IO_AGAIN, or IO_FAILED (finished). */
static ssize_t
side_read(struct conn *c, struct side *s, char *buf, size_t len)
{
	struct ezd_conn v;
	ssize_t n;
	int r, e, serr;

	if (!s->ssl) {
		n = recv(s->fd, buf, len, 0);
		if (n > 0)
			ezd_data(report_ezd(c, &v),
				 s == &c->cl ? "RECV CLEAR CLIENT" : "RECV CLEAR BACKEND", buf,
				 (size_t)n);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EINTR)
			return IO_AGAIN;
		relay_side_reset(c, s);
		return IO_FAILED;
	}
	ERR_clear_error();
	r = SSL_read(s->ssl, buf, (int)len);
	if (r > 0) {
		ezd_data(report_ezd(c, &v), "RECV DECRYPTED", buf, (size_t)r);
		return r;
	}
	serr = errno;
	e = SSL_get_error(s->ssl, r);
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		s->read_wants_write = true;
		return IO_AGAIN;
	}
	if (unexpected_eof(e, ERR_peek_error())) {
		ERR_clear_error();
		/* After our close_notify (the plaintext side had ended its data), a
		 * bare FIN is how most TLS clients answer it (Python's ssl, many HTTP
		 * clients): the exchange was over, so it is the end, not a truncation. */
		if (s->shut)
			return 0;
		truncated(c, s);
		return IO_FAILED;
	}
	tls_failed(c, s, e, serr);
	return IO_FAILED;
}

/* Writes as much as the side takes; returns bytes written (may be short) or
 * IO_FAILED. */
static ssize_t
side_write(struct conn *c, struct side *s, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int r, e;

	while (done < len) {
		if (!s->ssl) {
			n = send(s->fd, buf + done, len - done, MSG_NOSIGNAL);
			if (n > 0) {
				done += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			relay_side_reset(c, s);
			return IO_FAILED;
		}
		ERR_clear_error();
		r = SSL_write(s->ssl, buf + done, (int)(len - done));
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_WANT_READ) {
			s->write_wants_read = true;
			break;
		}
		tls_failed(c, s, e, errno);
		return IO_FAILED;
	}
	return (ssize_t)done;
}

/* Ends writing to a side: close_notify for TLS, then a FIN. */
static void
side_shutdown(struct side *s)
{
	int r;

	if (s->ssl) {
		ERR_clear_error();
		r = SSL_shutdown(s->ssl);
		if (r < 0) {
			int e = SSL_get_error(s->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				return; /* retried when the socket is writable */
			ERR_clear_error();
		}
	}
	(void)shutdown(s->fd, SHUT_WR);
	s->shut = true;
}

int
relay_events(const struct conn *c, const struct side *s)
{
	const struct side *o = s == &c->cl ? &c->be : &c->cl;
	const struct side *peer = conn_app_peer((struct conn *)c);
	int ev = 0;

	/* INIT being carried out: only the application's bytes move, to the peer;
	 * the peer's writability also resumes a drain that stopped after its burst. */
	if (c->init_req) {
		if (s == peer)
			return UV_WRITABLE;
		return o->out.len || s->eof ? 0 : UV_READABLE;
	}
	if ((!s->eof && !o->out.len) || s->write_wants_read)
		ev |= UV_READABLE;
	if (s->out.len || s->read_wants_write || (o->eof && !s->shut))
		ev |= UV_WRITABLE;
	/* The peer's early hello stays in its socket until INIT. */
	if (c->hello_held && s == peer)
		ev &= ~UV_READABLE;
	return ev;
}

static void
check_done(struct conn *c)
{
	if (c->state != CONN_RELAYING)
		return;
	if (c->cl.eof && !c->be.out.len && !c->be.shut)
		side_shutdown(&c->be);
	if (c->be.eof && !c->cl.out.len && !c->cl.shut)
		side_shutdown(&c->cl);
	if (c->cl.eof && c->be.eof && c->cl.shut && c->be.shut)
		conn_finish(c, CONN_END_DONE, 0, NULL);
	else
		conn_update_polls(c);
}

/* From 'from' to the other side, until 'from' has nothing or the other is full. */
static void
pump(struct conn *c, struct side *from)
{
	struct side *to = other(c, from);
	char *buf = c->w->scratch;
	ssize_t n, k;
	int i;

	for (i = 0; !from->eof && !to->out.len; i++) {
		/* Decrypted bytes buffered inside OpenSSL raise no poll event: drain them
		 * even past the burst limit. */
		if (i >= RELAY_BURST && !(from->ssl && SSL_has_pending(from->ssl)))
			break;
		if (c->app_clear && appctl_conn_hold(c, from))
			break;
		n = side_read(c, from, buf, WORKER_SCRATCH);
		if (n == IO_FAILED)
			return;
		if (n == IO_AGAIN)
			break;
		if (n == 0) {
			from->eof = true;
			break;
		}
		from->bytes_in += (uint64_t)n;
		if ((k = side_write(c, to, buf, (size_t)n)) == IO_FAILED)
			return;
		if (k < n && pending_store(&to->out, buf + k, (size_t)(n - k)) != 0) {
			conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory");
			return;
		}
		/* A short read most likely drained the socket; polling is level-triggered,
		 * so stopping here saves a read that would only say EAGAIN. */
		if ((size_t)n < WORKER_SCRATCH && !(from->ssl && SSL_has_pending(from->ssl)))
			break;
	}
	conn_touch(c);
}

static void
flush(struct conn *c, struct side *s)
{
	struct pending *p = &s->out;
	ssize_t k;

	s->write_wants_read = false;
	k = side_write(c, s, p->buf + p->off, p->len - p->off);
	if (k == IO_FAILED)
		return;
	p->off += (size_t)k;
	if (p->off == p->len)
		pending_clear(p);
}

int
relay_drain(struct conn *c, struct side *app)
{
	struct side *peer = other(c, app);
	char *buf = c->w->scratch;
	ssize_t n, k;
	int i;

	for (i = 0; i < RELAY_BURST; i++) {
		if (peer->out.len) {
			flush(c, peer);
			if (c->state == CONN_CLOSING)
				return ATTLS_EIO;
			if (peer->out.len)
				return 0;
		}
		if (app->eof)
			return 1;
		n = side_read(c, app, buf, WORKER_SCRATCH);
		if (n == IO_FAILED)
			return ATTLS_EIO;
		if (n == IO_AGAIN)
			return 1;
		if (n == 0) {
			app->eof = true;
			return 1;
		}
		app->bytes_in += (uint64_t)n;
		if ((k = side_write(c, peer, buf, (size_t)n)) == IO_FAILED)
			return ATTLS_EIO;
		if (k < n && pending_store(&peer->out, buf + k, (size_t)(n - k)) != 0) {
			conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory");
			return ATTLS_EIO;
		}
	}
	/* A busy application: go on with the next event, as pump() does. */
	return 0;
}

void
relay_on_side(struct conn *c, struct side *s, int events)
{
	struct side *o = other(c, s);

	if (c->init_req) {
		appctl_conn_step(c);
		return;
	}

	if (events & UV_WRITABLE) {
		if (s->out.len)
			flush(c, s);
		/* Room again on this side: resume reading the other one. */
		if (c->state == CONN_RELAYING && !s->out.len && !o->eof)
			pump(c, o);
		if (c->state == CONN_RELAYING && s->read_wants_write) {
			s->read_wants_write = false;
			pump(c, s);
		}
	}
	if (c->state == CONN_RELAYING && (events & UV_READABLE)) {
		if (s->write_wants_read && s->out.len)
			flush(c, s);
		if (c->state == CONN_RELAYING)
			pump(c, s);
	}
	check_done(c);
}

void
relay_start(struct conn *c)
{
	conn_set_state(c, CONN_RELAYING);
	conn_touch(c);
	conn_arm_relay_timer(c);
	/* INIT came while the backend was still connecting. */
	if (c->init_req) {
		appctl_conn_step(c);
		return;
	}
	/* Application data may already sit decrypted inside OpenSSL, on either side. */
	pump(c, &c->cl);
	if (c->state == CONN_RELAYING && c->be.ssl && SSL_has_pending(c->be.ssl))
		pump(c, &c->be);
	check_done(c);
}

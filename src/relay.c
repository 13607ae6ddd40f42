/* SPDX-License-Identifier: Apache-2.0 */
/* Moves bytes client <-> TLS <-> backend. Reads go through the worker's one
 * scratch buffer; only bytes the other side cannot take yet are kept, at most
 * one buffer per direction, and the reading side stops until they drain
 * (backpressure). Half-close maps both ways: close_notify/FIN from the client
 * becomes a FIN to the backend, a FIN from the backend a close_notify + FIN. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "attls/rc.h"
#include "conn.h"
#include "worker.h"

/* Reads per readiness event and direction, so one busy connection cannot
 * starve the others on the loop. */
#define RELAY_BURST 16

enum { IO_AGAIN = -1, IO_FAILED = -2 };

static int
pending_store(struct pending *p, const char *buf, size_t n)
{
	if (!(p->buf = malloc(n)))
		return -1;
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

static void
tls_failed(struct conn *c, int e, int serr)
{
	unsigned long le = ERR_peek_error();
	struct tls_diag d;
	char cause[512];
	int rc;

	if (e == SSL_ERROR_SYSCALL && (serr == ECONNRESET || serr == EPIPE)) {
		conn_finish(c, CONN_END_CLIENT_RESET, 0, NULL);
		return;
	}
	tls_diag_init(&d);
	rc = tls_err_classify(c->ssl, &d, e, serr, le, cause, sizeof(cause));
	conn_finish(c, CONN_END_TLS_ERROR, rc, cause);
}

/* Returns bytes read, 0 at end of data, IO_AGAIN, or IO_FAILED (finished). */
static ssize_t
client_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n;
	int r, e;

	if (!c->ssl) {
		n = recv(c->cfd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EINTR)
			return IO_AGAIN;
		conn_finish(c, CONN_END_CLIENT_RESET, 0, NULL);
		return IO_FAILED;
	}
	ERR_clear_error();
	r = SSL_read(c->ssl, buf, (int)len);
	if (r > 0)
		return r;
	e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->read_wants_write = true;
		return IO_AGAIN;
	}
	tls_failed(c, e, errno);
	return IO_FAILED;
}

/* Writes as much as the client socket takes; returns bytes written (may be
 * short) or IO_FAILED. */
static ssize_t
client_write(struct conn *c, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int r, e;

	while (done < len) {
		if (!c->ssl) {
			n = send(c->cfd, buf + done, len - done, MSG_NOSIGNAL);
			if (n > 0) {
				done += (size_t)n;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_finish(c, CONN_END_CLIENT_RESET, 0, NULL);
			return IO_FAILED;
		}
		ERR_clear_error();
		r = SSL_write(c->ssl, buf + done, (int)(len - done));
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_WANT_READ) {
			c->write_wants_read = true;
			break;
		}
		tls_failed(c, e, errno);
		return IO_FAILED;
	}
	return (ssize_t)done;
}

/* Sends close_notify and a FIN to the client once the backend has finished. */
static void
client_shutdown(struct conn *c)
{
	int r;

	if (c->ssl) {
		ERR_clear_error();
		r = SSL_shutdown(c->ssl);
		if (r < 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				return; /* retried when the socket is writable */
			ERR_clear_error();
		}
	}
	(void)shutdown(c->cfd, SHUT_WR);
	c->c_shut = true;
}

static void
check_done(struct conn *c)
{
	if (c->state != CONN_RELAYING)
		return;
	if (c->c_eof && !c->to_b.len && !c->b_shut) {
		(void)shutdown(c->bfd, SHUT_WR);
		c->b_shut = true;
	}
	if (c->b_eof && !c->to_c.len && !c->c_shut)
		client_shutdown(c);
	if (c->c_eof && c->b_eof && c->b_shut && c->c_shut)
		conn_finish(c, CONN_END_DONE, 0, NULL);
	else
		conn_update_polls(c);
}

/* Client -> backend, until the client has nothing or the backend is full. */
static void
pump_c2b(struct conn *c)
{
	char *buf = c->w->scratch;
	ssize_t n, k;
	int i;

	for (i = 0; !c->c_eof && !c->to_b.len; i++) {
		/* Decrypted bytes buffered inside OpenSSL raise no poll event: drain them
		 * even past the burst limit. */
		if (i >= RELAY_BURST && !(c->ssl && SSL_has_pending(c->ssl)))
			break;
		n = client_read(c, buf, WORKER_SCRATCH);
		if (n == IO_FAILED)
			return;
		if (n == IO_AGAIN)
			break;
		if (n == 0) {
			c->c_eof = true;
			break;
		}
		c->bytes_c2b += (uint64_t)n;
		k = send(c->bfd, buf, (size_t)n, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			conn_finish(c, CONN_END_BACKEND_RESET, 0, NULL);
			return;
		}
		if (k < 0)
			k = 0;
		if (k < n && pending_store(&c->to_b, buf + k, (size_t)(n - k)) != 0) {
			conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory");
			return;
		}
		/* A short read most likely drained the socket; polling is level-triggered,
		 * so stopping here saves a read that would only say EAGAIN. */
		if ((size_t)n < WORKER_SCRATCH && !(c->ssl && SSL_has_pending(c->ssl)))
			break;
	}
	conn_touch(c);
}

/* Backend -> client, until the backend has nothing or the client is full. */
static void
pump_b2c(struct conn *c)
{
	char *buf = c->w->scratch;
	ssize_t n, k;
	int i;

	for (i = 0; i < RELAY_BURST && !c->b_eof && !c->to_c.len; i++) {
		n = recv(c->bfd, buf, WORKER_SCRATCH, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			conn_finish(c, CONN_END_BACKEND_RESET, 0, NULL);
			return;
		}
		if (n == 0) {
			c->b_eof = true;
			break;
		}
		c->bytes_b2c += (uint64_t)n;
		if ((k = client_write(c, buf, (size_t)n)) == IO_FAILED)
			return;
		if (k < n && pending_store(&c->to_c, buf + k, (size_t)(n - k)) != 0) {
			conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "out of memory");
			return;
		}
		if ((size_t)n < WORKER_SCRATCH)
			break;
	}
	conn_touch(c);
}

static void
flush_to_client(struct conn *c)
{
	struct pending *p = &c->to_c;
	ssize_t k;

	c->write_wants_read = false;
	k = client_write(c, p->buf + p->off, p->len - p->off);
	if (k == IO_FAILED)
		return;
	p->off += (size_t)k;
	if (p->off == p->len)
		pending_clear(p);
}

static void
flush_to_backend(struct conn *c)
{
	struct pending *p = &c->to_b;
	ssize_t k;

	k = send(c->bfd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
	if (k < 0 && errno != EAGAIN && errno != EINTR) {
		conn_finish(c, CONN_END_BACKEND_RESET, 0, NULL);
		return;
	}
	if (k > 0)
		p->off += (size_t)k;
	if (p->off == p->len)
		pending_clear(p);
}

void
relay_on_client(struct conn *c, int events)
{
	if (events & UV_WRITABLE) {
		if (c->to_c.len)
			flush_to_client(c);
		if (c->state == CONN_RELAYING && !c->to_c.len && !c->b_eof)
			pump_b2c(c);
		if (c->state == CONN_RELAYING && c->read_wants_write) {
			c->read_wants_write = false;
			pump_c2b(c);
		}
	}
	if (c->state == CONN_RELAYING && (events & UV_READABLE)) {
		if (c->write_wants_read && c->to_c.len)
			flush_to_client(c);
		if (c->state == CONN_RELAYING)
			pump_c2b(c);
	}
	check_done(c);
}

void
relay_on_backend(struct conn *c, int events)
{
	if (events & UV_WRITABLE) {
		if (c->to_b.len)
			flush_to_backend(c);
		if (c->state == CONN_RELAYING && !c->to_b.len)
			pump_c2b(c);
	}
	if (c->state == CONN_RELAYING && (events & UV_READABLE))
		pump_b2c(c);
	check_done(c);
}

void
relay_start(struct conn *c)
{
	unsigned idle = c->gen->policy->settings.idle_timeout;

	conn_set_state(c, CONN_RELAYING);
	conn_touch(c);
	conn_arm_timer(c, (uint64_t)idle * 1000);
	/* Application data may already sit decrypted inside OpenSSL. */
	pump_c2b(c);
	check_done(c);
}

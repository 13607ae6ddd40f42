/* SPDX-License-Identifier: Apache-2.0 */
/* Connection lifecycle: accept, acting on the policy mapping (conn_map.c), the
 * TLS handshake with its two timers, the single state setter, the single exit
 * (conn_finish) and the free in the last close callback. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rc.h"
#include "conn.h"
#include "metrics/metrics.h"
#include "tls/sesscache.h"
#include "worker.h"

static const char *const end_names[] = {
	[CONN_END_NONE] = "none",
	[CONN_END_DONE] = "done",
	[CONN_END_HANDSHAKE_FAILED] = "handshake_failed",
	[CONN_END_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[CONN_END_CLEAR_TEXT] = "clear_text",
	[CONN_END_BACKEND_FAILED] = "backend_failed",
	[CONN_END_CLIENT_RESET] = "client_reset",
	[CONN_END_BACKEND_RESET] = "backend_reset",
	[CONN_END_TLS_ERROR] = "tls_error",
	[CONN_END_IDLE_TIMEOUT] = "idle_timeout",
	[CONN_END_SHUTDOWN] = "shutdown",
	[CONN_END_DENIED] = "denied",
	[CONN_END_LIMIT] = "limit",
	[CONN_END_INTERNAL] = "internal_error",
	[CONN_END_OWNER_UNKNOWN] = "owner_unknown",
	[CONN_END_TRUNCATED] = "truncated",
};

static const char *const state_names[] = {
	[CONN_ACCEPTED] = "accepted",     [CONN_MAPPING] = "mapping",
	[CONN_HANDSHAKING] = "handshaking",
	[CONN_CONNECTING] = "connecting", [CONN_RELAYING] = "relaying",
	[CONN_CLOSING] = "closing",
};

static void on_poll(uv_poll_t *h, int status, int events);
static void on_timer(uv_timer_t *t);

const char *
conn_end_name(enum conn_end e)
{
	return end_names[e];
}

void
conn_set_state(struct conn *c, enum conn_state s)
{
	if (c->state == s)
		return;
	if (log_enabled(LOG_DEBUG))
		log_debug("conn %08X: %s -> %s", c->id, state_names[c->state], state_names[s]);
	c->state = s;
}

void
conn_touch(struct conn *c)
{
	c->last_ms = uv_now(&c->w->loop);
}

static void
poll_set(uv_poll_t *h, int *cur, int want, uv_poll_cb cb)
{
	if (want == *cur)
		return;
	if (want)
		uv_poll_start(h, want, cb);
	else
		uv_poll_stop(h);
	*cur = want;
}

void
conn_update_polls(struct conn *c)
{
	int cw = 0, bw = 0;

	switch (c->state) {
	case CONN_ACCEPTED:
		cw = UV_READABLE;
		break;
	case CONN_MAPPING:
		/* Nothing is read meanwhile (a ClientHello waits in the kernel);
		 * only a reset from the peer ends the connection early. */
		cw = UV_DISCONNECT;
		break;
	case CONN_HANDSHAKING:
		if (c->tls == &c->cl)
			cw = c->cl.read_wants_write ? UV_WRITABLE : UV_READABLE;
		else
			bw = c->be.read_wants_write ? UV_WRITABLE : UV_READABLE;
		break;
	case CONN_CONNECTING:
		bw = UV_WRITABLE;
		break;
	case CONN_RELAYING:
		cw = relay_events(c, &c->cl);
		bw = relay_events(c, &c->be);
		break;
	case CONN_CLOSING:
		return;
	}
	poll_set(&c->cl.poll, &c->cl.ev, cw, on_poll);
	if (c->be.poll_init)
		poll_set(&c->be.poll, &c->be.ev, bw, on_poll);
}

static void
conn_free(struct conn *c)
{
	struct worker *w = c->w;

	SSL_free(c->cl.ssl);
	SSL_free(c->be.ssl);
	free(c->diag);
	if (c->cl.fd >= 0)
		close(c->cl.fd);
	if (c->be.fd >= 0)
		close(c->be.fd);
	free(c->cl.out.buf);
	free(c->be.out.buf);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	control_reg_remove(&c->reg);
	rt_gen_unref(c->gen);
	free(c);
	worker_conn_gone(w);
}

void
conn_ref(struct conn *c)
{
	c->open_handles++;
}

void
conn_unref(struct conn *c)
{
	if (--c->open_handles == 0)
		conn_free(c);
}

static void
on_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static const char *
end_event(enum conn_end end)
{
	switch (end) {
	case CONN_END_HANDSHAKE_FAILED:
	case CONN_END_HANDSHAKE_TIMEOUT:
	case CONN_END_CLEAR_TEXT:
		return "Initial Handshake";
	case CONN_END_BACKEND_FAILED:
		return "Backend Connect";
	case CONN_END_TLS_ERROR:
	case CONN_END_TRUNCATED:
		return "Data Decryption";
	case CONN_END_CLIENT_RESET:
	case CONN_END_BACKEND_RESET:
		return "Connection Abend Close";
	case CONN_END_SHUTDOWN:
		return "Connection Stop";
	case CONN_END_DENIED:
	case CONN_END_OWNER_UNKNOWN:
		return "Policy Mapping";
	default:
		return "Connection Init";
	}
}

/* AT-TLS resets connections whose handshake timed out; so do we. */
static void
set_reset_on_close(int fd)
{
	struct linger l = { 1, 0 };

	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Which sides an end resets (RST, no FIN): the one that did not fail, when the
 * other aborted or closed without close_notify; both at a forced shutdown. */
static void
conn_reset_sides(struct conn *c, enum conn_end end)
{
	switch (end) {
	case CONN_END_HANDSHAKE_TIMEOUT:
	case CONN_END_CLEAR_TEXT:
		set_reset_on_close(c->tls ? c->tls->fd : conn_app_peer(c)->fd);
		break;
	case CONN_END_CLIENT_RESET:
		set_reset_on_close(c->be.fd);
		break;
	case CONN_END_BACKEND_RESET:
		set_reset_on_close(c->cl.fd);
		break;
	case CONN_END_HANDSHAKE_FAILED:
		if (c->tls == &c->be)
			set_reset_on_close(c->cl.fd);
		break;
	case CONN_END_TRUNCATED:
		set_reset_on_close(c->tls == &c->cl ? c->be.fd : c->cl.fd);
		break;
	case CONN_END_SHUTDOWN:
		set_reset_on_close(c->cl.fd);
		set_reset_on_close(c->be.fd);
		break;
	default:
		break;
	}
}

/* settings.shutdown_timeout passed (or a second stop signal): a connection
 * still relaying loses whatever was still to come, so it is logged. */
static int
shutdown_cause(const struct conn *c, char *cause, size_t len)
{
	if (c->state != CONN_RELAYING)
		return 0;
	snprintf(cause, len, "attlsd was stopping and the connection did not finish within "
			     "settings.shutdown_timeout (%us) (or a second stop signal came) after "
			     "%llu bytes from the client and %llu from the backend: both sides were "
			     "reset, the TLS peer without close_notify",
		 c->gen->policy->settings.shutdown_timeout, (unsigned long long)c->cl.bytes_in,
		 (unsigned long long)c->be.bytes_in);
	return RC_ABORTED;
}

void
conn_finish(struct conn *c, enum conn_end end, int rc, const char *cause)
{
	char stopcause[384], withcap[2048];
	struct ezd_conn v;

	if (c->state == CONN_CLOSING)
		return;
	if (end == CONN_END_SHUTDOWN && !rc && (rc = shutdown_cause(c, stopcause, sizeof(stopcause))))
		cause = stopcause;
	c->end = end;
	c->end_rc = rc;
	/* Its slot is free for the next connection now, not when the handles close. */
	worker_conn_release(c);
	/* Metrics: a handshake that did not finish; a connection served (it has
	 * a backend since conn_mapped) or turned away before. */
	if (c->tls && !c->hs_ms && rc)
		metrics_handshake(c->rule, c->tls->ssl, rc, uv_now(&c->w->loop) - c->start_ms);
	if (c->backend)
		metrics_conn_closed(c->rule, c->cl.bytes_in, c->be.bytes_in);
	else
		metrics_conn_refused(c->rule, conn_end_name(end));
	appctl_conn_end(c);
	cause = ezd_diag_capture(report_ezd(c, &v), rc, cause, withcap, sizeof(withcap));
	if (rc)
		ezd_error(&v, rc, end_event(end), cause);
	/* A connection stopped for our reasons, with nothing lost, gets a
	 * close_notify if it can take one. Lost bytes never do: an abort of either
	 * side resets the other (conn_reset_sides), so no peer takes a cut-short
	 * stream for a complete one. */
	if (c->tls && c->hs_ms && !c->tls->shut &&
	    (end == CONN_END_IDLE_TIMEOUT || end == CONN_END_BACKEND_FAILED)) {
		ERR_clear_error();
		(void)SSL_shutdown(c->tls->ssl);
	}
	conn_reset_sides(c, end);
	ERR_clear_error();
	if (c->lookup)
		conn_map_stop(c);
	ezd_close(report_ezd(c, &v));
	ezd_diag_release(&v);
	conn_set_state(c, CONN_CLOSING);
	uv_close((uv_handle_t *)&c->cl.poll, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	if (c->be.poll_init)
		uv_close((uv_handle_t *)&c->be.poll, on_handle_closed);
}

/* Describes the first bytes of a non-TLS peer without logging payload: only
 * the protocol it looks like and whether the bytes are printable. */
static void
describe_clear_text(const unsigned char *b, ssize_t n, char *out, size_t len)
{
	static const char *const http[] = { "GET ", "POST", "HEAD", "PUT ", "OPTI", "DELE",
					    "CONN", "PATC", NULL };
	size_t i;

	for (i = 0; http[i]; i++)
		if (n >= 4 && memcmp(b, http[i], 4) == 0) {
			snprintf(out, len, "the first bytes look like a plain HTTP request (%.4s...): "
					   "the client used http:// on a TLS port",
				 (const char *)b);
			return;
		}
	if (n >= 4 && memcmp(b, "SSH-", 4) == 0) {
		snprintf(out, len, "the first bytes look like an SSH banner");
		return;
	}
	snprintf(out, len, "first byte 0x%02X is not a TLS record type (0x14-0x18)", b[0]);
}

/* A FIN during the handshake is the peer giving up (RC 420, tls_err.c), so
 * until it completes OpenSSL treats it as a plain EOF. From then on a FIN
 * without close_notify is possible truncation, an error relay.c reports (RC
 * 5109), unless the rule says unexpected_eof: accept. */
static void
conn_tls_eof_mode(const struct conn *c, SSL *ssl)
{
	if (!c->hs_ms)
		SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	else if (c->rule->eff.unexpected_eof != POLICY_UEOF_ACCEPT)
		SSL_clear_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

static void
handshake_step(struct conn *c)
{
	const char *fn = c->tls == &c->cl ? "SSL_accept" : "SSL_connect";
	int r, e, serr;
	unsigned long le;
	char cause[1536];
	struct ezd_conn v;

	if (!c->hs.started)
		ezd_diag_begin(report_ezd(c, &v));
	ERR_clear_error();
	r = SSL_do_handshake(c->tls->ssl);
	if (r == 1) {
		ezd_flow(report_ezd(c, &v), 0, "Call", fn, SSL_get_version(c->tls->ssl));
		/* SAFCheck: a validated certificate must also map to a user ID. */
		if ((r = tls_peer_check(c->tls->ssl, c->rule, cause, sizeof(cause))) != 0 ||
		    (r = tls_identity_check(c->tls->ssl, c->rule, c->userid, sizeof(c->userid),
					    cause, sizeof(cause))) != 0) {
			conn_finish(c, CONN_END_HANDSHAKE_FAILED, r, cause);
			return;
		}
		c->hs_ms = uv_now(&c->w->loop);
		worker_conn_hs_done(c);
		conn_tls_eof_mode(c, c->tls->ssl);
		metrics_handshake(c->rule, c->tls->ssl, 0, c->hs_ms - c->start_ms);
		/* Client role and application_controlled: the application may ask
		 * again, now secure. */
		if (c->tls == &c->be || c->be.fd >= 0)
			report_publish(c);
		ezd_diag_established(report_ezd(c, &v));
		/* The diagnostics are only for failed handshakes; give the memory back. */
		tls_diag_detach(c->tls->ssl);
		free(c->diag);
		c->diag = NULL;
		c->tls->read_wants_write = false;
		/* Server roles connect the backend now; Client role already has it,
		 * and so has an application-controlled connection. */
		if (c->tls == &c->cl && c->be.fd < 0)
			upstream_connect(c);
		else
			relay_start(c);
		return;
	}
	serr = errno;
	e = SSL_get_error(c->tls->ssl, r);
	if (e == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
		/* The fleet's session store is asked (tls/sesscache.c); it calls
		 * on_session_lookup_done. Meanwhile only a reset ends us early. */
		poll_set(&c->cl.poll, &c->cl.ev, UV_DISCONNECT, on_poll);
		return;
	}
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ezd_flow(report_ezd(c, &v), 0, "Call", fn,
			 e == SSL_ERROR_WANT_READ ? "want read" : "want write");
		c->tls->read_wants_write = e == SSL_ERROR_WANT_WRITE;
		conn_update_polls(c);
		return;
	}
	le = ERR_peek_error();
	r = tls_err_classify(c->tls->ssl, c->diag, e, serr, le, cause, sizeof(cause));
	ezd_flow(report_ezd(c, &v), r, "Call", fn, SSL_state_string_long(c->tls->ssl));
	ezd_diag_evidence(report_ezd(c, &v), r, cause, sizeof(cause));
	conn_finish(c, CONN_END_HANDSHAKE_FAILED, r, cause);
}

/* The session store answered (or was too slow): the handshake goes on. */
static void
on_session_lookup_done(void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_HANDSHAKING)
		handshake_step(c);
}

/* Before OpenSSL sees anything, looks at the first bytes: clear text on a TLS
 * port is RC 5003, and the start timer (5004) becomes the completion timer. */
static void
first_bytes(struct conn *c)
{
	unsigned char b[8];
	char cause[256];
	ssize_t n;

	n = recv(c->cl.fd, b, sizeof(b), MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		snprintf(cause, sizeof(cause), "the peer reset the connection (%s) before sending "
					       "a hello",
			 strerror(errno));
		conn_finish(c, CONN_END_HANDSHAKE_FAILED, RC_IO_ERROR, cause);
		return;
	}
	if (n == 0) {
		conn_finish(c, CONN_END_HANDSHAKE_FAILED, RC_SOCKET_CLOSED,
			    "the peer closed the connection before sending a hello");
		return;
	}
	if (b[0] < 0x14 || b[0] > 0x18) {
		describe_clear_text(b, n, cause, sizeof(cause));
		conn_finish(c, CONN_END_CLEAR_TEXT, RC_CLEAR_TEXT, cause);
		return;
	}
	worker_conn_spoke(c);
	conn_set_state(c, CONN_HANDSHAKING);
	uv_timer_start(&c->timer, on_timer, (uint64_t)c->rule->eff.handshake_timeout * 1000, 0);
	handshake_step(c);
}

/* libuv reports POLLERR (usually a reset from the peer) as UV_EBADF; the socket
 * error says what really happened. */
static int
socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	return err ? err : ECONNRESET;
}

static void
poll_error(struct conn *c, struct side *sd)
{
	char cause[160];
	int err;

	if (c->state == CONN_RELAYING) {
		relay_side_reset(c, sd);
		return;
	}
	/* Reading SO_ERROR clears it: a failed connect is reported from there. */
	if (c->state == CONN_CONNECTING) {
		upstream_on_connected(c);
		return;
	}
	err = socket_error(sd->fd);
	snprintf(cause, sizeof(cause), "the peer reset the connection (%s) %s", strerror(err),
		 c->state == CONN_MAPPING ? "while attlsd looked up the owning process"
					  : "during the handshake");
	conn_finish(c, CONN_END_HANDSHAKE_FAILED,
		    err == ECONNRESET || err == EPIPE ? RC_IO_ERROR : RC_SOCKET_CLOSED, cause);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;
	struct side *sd = h == &c->cl.poll ? &c->cl : &c->be;

	if (status < 0) {
		poll_error(c, sd);
		return;
	}
	switch (c->state) {
	case CONN_ACCEPTED:
		first_bytes(c);
		break;
	case CONN_MAPPING:
		/* A FIN (an outbound client may send its request and half-close at
		 * once) is for later; stop watching until the mapping is done. */
		poll_set(&c->cl.poll, &c->cl.ev, 0, on_poll);
		break;
	case CONN_HANDSHAKING:
		handshake_step(c);
		break;
	case CONN_CONNECTING:
		upstream_on_connected(c);
		break;
	case CONN_RELAYING:
		relay_on_side(c, sd, events);
		break;
	default:
		break;
	}
}

/* ResetCipherTimer: a TLS 1.3 KeyUpdate that asks the peer to update too.
 * OpenSSL cannot start one while a record of data is half written, so then it
 * is tried again a second later. If the socket is full the rest of it goes
 * out when the socket is writable again (through SSL_read, which finishes it);
 * a failure ends nothing here, the next read or write reports it. */
static void
rekey(struct conn *c, uint64_t now)
{
	struct side *s = c->tls;
	int r;

	if (s->out.len || s->shut || s->read_wants_write || s->write_wants_read) {
		c->rekey_ms = now + 1000;
		return;
	}
	c->rekey_ms = now + (uint64_t)c->rule->eff.reset_cipher_timer * 60000;
	ERR_clear_error();
	if (SSL_key_update(s->ssl, SSL_KEY_UPDATE_REQUESTED) != 1) {
		ERR_clear_error();
		return;
	}
	r = SSL_do_handshake(s->ssl);
	if (r != 1 && SSL_get_error(s->ssl, r) == SSL_ERROR_WANT_WRITE)
		s->read_wants_write = true;
	ERR_clear_error();
	if (log_enabled(LOG_DEBUG))
		log_debug("conn %08X: TLS 1.3 key update (reset_cipher_timer %u min)", c->id,
			  c->rule->eff.reset_cipher_timer);
	conn_update_polls(c);
}

void
conn_arm_relay_timer(struct conn *c)
{
	uint64_t now = uv_now(&c->w->loop), idle, next = 0;

	if (!c->rekey_ms && c->tls && c->rule && c->rule->eff.reset_cipher_timer &&
	    SSL_version(c->tls->ssl) == TLS1_3_VERSION)
		c->rekey_ms = now + (uint64_t)c->rule->eff.reset_cipher_timer * 60000;
	idle = (uint64_t)c->gen->policy->settings.idle_timeout * 1000;
	if (idle)
		next = c->last_ms + idle > now ? c->last_ms + idle - now : 1;
	if (c->rekey_ms && (!next || c->rekey_ms - now < next))
		next = c->rekey_ms > now ? c->rekey_ms - now : 1;
	conn_arm_timer(c, next);
}

/* The handshake timer: AT-TLS's active (connecting) side, attlsd in the Client
 * role, waits 5 x HandshakeTimeout; the passive side 1 x. */
static uint64_t
handshake_wait_ms(const struct conn *c)
{
	uint64_t ms = (uint64_t)c->rule->eff.handshake_timeout * 1000;

	return c->rule->eff.role == POLICY_ROLE_CLIENT ? 5 * ms : ms;
}

static void
on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	uint64_t now = uv_now(&c->w->loop), idle;
	char cause[1024];
	struct ezd_conn v;
	unsigned hto = c->rule ? c->rule->eff.handshake_timeout : 0;
	int rc;

	switch (c->state) {
	case CONN_MAPPING:
		conn_map_timeout(c);
		break;
	case CONN_ACCEPTED: /* no byte yet: the words are the stall's too */
	case CONN_HANDSHAKING:
		rc = ezd_diag_stall(report_ezd(c, &v), handshake_wait_ms(c), cause, sizeof(cause));
		conn_finish(c, CONN_END_HANDSHAKE_TIMEOUT, rc, cause);
		break;
	case CONN_CONNECTING:
		snprintf(cause, sizeof(cause), "the backend did not accept within connect_timeout "
					       "(%us)",
			 c->gen->policy->settings.connect_timeout);
		conn_finish(c, CONN_END_BACKEND_FAILED, RC_BACKEND_TIMEOUT, cause);
		break;
	case CONN_RELAYING:
		if (c->hello_held) {
			snprintf(cause, sizeof(cause), "the peer started a TLS handshake, but the "
						       "application never called INIT "
						       "(application_controlled On) within "
						       "handshake_timeout (%us): it must call "
						       "attls_init_fd() or attlsctl init right "
						       "after its go-ahead reply (\"234\", "
						       "\"220 Ready to start TLS\")",
				 hto);
			conn_finish(c, CONN_END_HANDSHAKE_TIMEOUT, RC_HANDSHAKE_START_TIMEOUT,
				    cause);
			break;
		}
		if (c->rekey_ms && now >= c->rekey_ms)
			rekey(c, now);
		idle = (uint64_t)c->gen->policy->settings.idle_timeout * 1000;
		if (idle && now - c->last_ms >= idle)
			conn_finish(c, CONN_END_IDLE_TIMEOUT, 0, NULL);
		else if (c->state == CONN_RELAYING)
			conn_arm_relay_timer(c);
		break;
	default:
		break;
	}
}

/* Arms the timer for the current state (connect, idle). */
void
conn_arm_timer(struct conn *c, uint64_t ms)
{
	if (ms)
		uv_timer_start(&c->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&c->timer);
}

static int
start_tls(struct conn *c)
{
	const struct rt_rule *rr = &c->gen->rules[c->rule->index];
	int r;

	c->tls = &c->cl;
	if (!(c->cl.ssl = SSL_new(rr->ctx)) || SSL_set_fd(c->cl.ssl, c->cl.fd) != 1)
		return ATTLS_ETLS;
	conn_tls_eof_mode(c, c->cl.ssl);
	if ((r = sesscache_ssl_bind(c->cl.ssl, c->rule, on_session_lookup_done, c)) != 0)
		return r;
	if (!(c->diag = malloc(sizeof(*c->diag))))
		return ATTLS_ENOMEM;
	SSL_set_accept_state(c->cl.ssl);
	tls_diag_init(c->diag);
	tls_diag_attach(c->cl.ssl, c->diag);
	uv_timer_start(&c->timer, on_timer, (uint64_t)c->rule->eff.handshake_timeout * 1000, 0);
	conn_update_polls(c);
	return 0;
}

void
conn_start_client_tls(struct conn *c)
{
	const struct rt_rule *rr = &c->gen->rules[c->rule->index];
	SSL *ssl;

	c->tls = &c->be;
	if (!(ssl = c->be.ssl = SSL_new(rr->ctx)) || !(c->diag = malloc(sizeof(*c->diag))) ||
	    SSL_set_fd(ssl, c->be.fd) != 1 ||
	    (rr->sni[0] && SSL_set_tlsext_host_name(ssl, rr->sni) != 1) ||
	    tls_set_identity(ssl, rr->identity) != 0) {
		ERR_clear_error();
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "cannot create the TLS client session");
		return;
	}
	conn_tls_eof_mode(c, ssl);
	SSL_set_connect_state(ssl);
	tls_diag_init(c->diag);
	tls_diag_attach(ssl, c->diag);
	conn_set_state(c, CONN_HANDSHAKING);
	conn_arm_timer(c, handshake_wait_ms(c));
	handshake_step(c);
}

int
conn_start_app_tls(struct conn *c)
{
	if (c->rule->eff.role == POLICY_ROLE_CLIENT) {
		conn_start_client_tls(c);
		return c->state == CONN_CLOSING ? ATTLS_EIO : 0;
	}
	/* As after accept: the peer's first bytes must be a TLS record (else
	 * RC 5003, as z/OS says for clear text after INIT), within handshake_timeout. */
	conn_set_state(c, CONN_ACCEPTED);
	if (start_tls(c) != 0) {
		ERR_clear_error();
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "cannot create the TLS session");
		return ATTLS_EIO;
	}
	return 0;
}

void
conn_mapped(struct conn *c, unsigned listener)
{
	const struct policy *p = c->gen->policy;
	struct ezd_conn v;

	ezd_map(report_ezd(c, &v));
	if (!c->rule && policy_no_match_denies(p, listener < p->nlisteners
							   ? &p->listeners[listener] : NULL)) {
		conn_finish(c, CONN_END_DENIED, RC_NO_POLICY_DENIED,
			    p->settings.no_match == POLICY_NO_MATCH_DENY
				    ? "no rule matched this connection and settings.no_match is deny"
				    : "no rule matched this connection, and a rule with TLS on listens "
				      "on this port: it is refused, not relayed in clear text "
				      "(settings.no_match deny_tls, the default)");
		return;
	}
	/* A rule's backend wins; a diverted connection otherwise goes on to where
	 * it was going. */
	if (c->rule && c->rule->backend.set) {
		rt_backend_at(c->gen, c->rule->index, &c->local, &c->backend_at);
		c->backend = &c->backend_at;
	} else if (c->intercepted) {
		c->backend = &c->orig_dst;
	} else {
		c->backend = c->rule ? &c->gen->rules[c->rule->index].backend
				     : &c->gen->listen_backends[listener];
	}
	metrics_conn_accepted(c->rule);
	if (!c->rule || !c->rule->eff.enabled || c->rule->eff.role == POLICY_ROLE_CLIENT ||
	    c->rule->eff.app_controlled) {
		/* AT-TLS "no policy" / TTLSEnabled Off: relay clear text; Client role:
		 * the backend is connected first and TLS starts on it;
		 * ApplicationControlled: clear text until the application's INIT. */
		c->app_clear = c->rule && c->rule->eff.enabled && c->rule->eff.app_controlled;
		worker_conn_hs_done(c);
		upstream_connect(c);
		return;
	}
	if (start_tls(c) != 0) {
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL, "cannot create the TLS session");
		ERR_clear_error();
	}
}

/* On a diverting listener 'local' is already the original destination
 * (worker.c). For an outbound one the roles turn: the accepted peer is the
 * local application, so it becomes LOCAL, and the server it wanted REMOTE,
 * as AT-TLS shows an outbound connection. */
static void
conn_set_diverted(struct conn *c, unsigned listener)
{
	const struct policy_listener *l = &c->gen->policy->listeners[listener];
	union rt_sockaddr dst = c->local;

	if (!l->intercept)
		return;
	c->intercepted = true;
	c->outbound = l->direction == POLICY_DIR_OUTBOUND;
	memcpy(&c->orig_dst.ss, &dst, sizeof(dst));
	c->orig_dst.len = dst.sa.sa_family == AF_INET6 ? sizeof(dst.in6) : sizeof(dst.in);
	if (c->outbound) {
		c->local = c->remote;
		c->remote = dst;
	}
}

void
conn_accept(struct worker *w, int fd, const union rt_sockaddr *peer,
	    const union rt_sockaddr *local, unsigned listener)
{
	struct conn *c;
	int one = 1, rc;
	char cause[256];

	if (!(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->w = w;
	c->gen = rt_gen_ref(w->gen);
	c->cl.fd = fd;
	c->be.fd = -1;
	c->id = worker_next_connid();
	c->start_ms = c->last_ms = uv_now(&w->loop);
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	c->local = *local;
	c->remote = *peer;
	conn_set_diverted(c, listener);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uv_poll_init(&w->loop, &c->cl.poll, fd);
	c->cl.poll_init = true;
	uv_timer_init(&w->loop, &c->timer);
	c->cl.poll.data = c->timer.data = c;
	c->open_handles = 2;
	if ((rc = worker_admit(w, c, cause, sizeof(cause))) != 0) {
		c->rule = conn_map_now(c, listener);
		conn_finish(c, CONN_END_LIMIT, rc, cause);
		return;
	}
	if (conn_map_start(c, listener) == 0)
		conn_mapped(c, listener);
}

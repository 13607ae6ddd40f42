/* SPDX-License-Identifier: Apache-2.0 */
/* Formats AT-TLS-style messages for a connection, one Trace bit each: 1
 * EZD1287I, 2 EZD1286I, 4 EZD1281I, 8 EZD1282I/EZD1283I, 16 EZD1284I, 32
 * EZD1285I. Bits 8-32 are syslog debug (reference §3.4), so attlsd must run with
 * -d for them to pass its level filter, as syslogd must pass *.debug on z/OS. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rc.h"
#include "common/strbuf.h"
#include "capture.h"
#include "tls/chello.h"
#include "tls/tls.h"
#include "eventlog.h"
#include "ezd.h"
#include "ezd_agg.h"

#define NA "**N/A**"

/* JOBNAME and USERID: the owning application's when attlsd knows it (an
 * intercepted outbound client), else attlsd's own; escaped, because any
 * process can set its name (/proc/PID/comm) to a forged log line. */
static const char *
ezd_job(const struct ezd_conn *c, char buf[ESCAPE_FIELD])
{
	return escape_str(c->owner_job[0] ? c->owner_job : c->gen->policy->settings.jobname, buf,
			  ESCAPE_FIELD);
}

static const char *
ezd_user(const struct ezd_conn *c, char buf[ESCAPE_FIELD])
{
	return escape_str(c->owner_user[0] ? c->owner_user : c->gen->userid, buf, ESCAPE_FIELD);
}

static unsigned
ezd_trace(const struct ezd_conn *c)
{
	return c->rule ? c->rule->eff.trace : c->gen->policy->settings.trace;
}

static void
ids(const struct ezd_conn *c, unsigned *grp, unsigned *env)
{
	*grp = c->rule && c->rule->group ? c->rule->group->id : 0;
	*env = c->rule && c->rule->env ? c->rule->env->id : 0;
}

static bool
debug_bit(const struct ezd_conn *c, unsigned bit)
{
	return (ezd_trace(c) & bit) != 0;
}

/* ---- what is written: aggregation, then the ceiling ---- */

/* ATL1290I when a window stops logging. */
static void
agg_started(const struct ezd_agg_count *n)
{
	log_msg(LOG_ERR, "ATL1290I TTLS Aggregate RULE: %s RC: %4d%s%s REMOTE: %s COUNT: %u in "
			 "%us: further identical %s in this %us window are counted, not logged",
		n->rule, n->rc, n->end[0] ? " END: " : "", n->end, n->net, n->count, n->seconds,
		n->end[0] ? "closes" : "errors", n->window);
}

/* ATL1290I with the count when a window that held some back is over, and the
 * same count in the event log, so both sinks add up to the same figure. */
static void
agg_ended(const struct ezd_agg_count *n)
{
	struct eventlog_rec e = { 0 };

	log_msg(LOG_ERR, "ATL1290I TTLS Aggregate RULE: %s RC: %4d%s%s REMOTE: %s COUNT: %u in "
			 "%us (not logged: CONNID %08X to %08X)",
		n->rule, n->rc, n->end[0] ? " END: " : "", n->end, n->net, n->count, n->seconds,
		n->first_id, n->last_id);
	e.type = "aggregate";
	e.rule = n->rule;
	e.rc = n->rc;
	e.end = n->end[0] ? n->end : NULL;
	e.net = n->net;
	e.count = n->count;
	e.logged = n->logged;
	e.seconds = n->seconds;
	e.window = n->window;
	e.first_id = n->first_id;
	e.last_id = n->last_id;
	eventlog_write_current(&e);
}

static const struct ezd_agg_out agg_out = { agg_started, agg_ended };

void
ezd_agg_flush(bool all)
{
	struct eventlog_rec e = { 0 };
	unsigned long long n;
	unsigned secs;

	ezd_agg_sweep((uint64_t)ratelimit_now(), all, &agg_out);
	if ((n = log_ceiling_report(&secs)) == 0)
		return;
	e.type = "dropped";
	e.count = n;
	e.seconds = secs;
	eventlog_write_current(&e);
}

/* The global ceiling (settings.log_max_lines_per_second) for an event of
 * 'lines' lines in all sinks. */
static bool
ezd_ceiling(const struct ezd_conn *c, unsigned lines)
{
	return log_ceiling_admit(lines, c->gen->policy->settings.log_max_lines_per_second);
}

static bool
event_log_on(const struct ezd_conn *c)
{
	const char *p = c->gen->policy->settings.event_log;

	return p && p[0];
}

/* One decision for a failure (an RC, or a close without one: 'end') that
 * every sink obeys: aggregation by rule, RC, end and client network, then the
 * ceiling for its 'lines'. */
static bool
ezd_admit(const struct ezd_conn *c, int rc, const char *end, unsigned lines)
{
	const struct policy_settings *s = &c->gen->policy->settings;
	struct ezd_agg_key k = { c->rule ? c->rule->name : NA, rc, end ? end : "", "" };

	ezd_agg_net(&c->remote->sa, s->source_prefix_v6, k.net);
	return ezd_agg_admit(&k, c->id, (uint64_t)ratelimit_now(), s->error_aggregation,
			     s->error_aggregation_window, &agg_out) &&
	       ezd_ceiling(c, lines);
}

/* ---- errors ---- */

static void
ezd_event_error(const struct ezd_conn *c, int rc, const char *event, const char *cause,
		const char *local, const char *remote)
{
	const struct rc_info *ri = rc_lookup(rc);
	struct eventlog_rec e = { 0 };
	unsigned grp, env;

	if (!event_log_on(c))
		return;
	ids(c, &grp, &env);
	e.type = "failure";
	e.rc = rc;
	e.rc_name = ri ? ri->name : NULL;
	e.event = event;
	e.rule = c->rule ? c->rule->name : NULL;
	e.cause = cause;
	e.fix = ri ? ri->fix : NULL;
	e.jobname = c->gen->policy->settings.jobname;
	e.userid = c->owner_user[0] ? c->owner_user : c->gen->userid; /* eventlog escapes */
	e.local = local;
	e.remote = remote;
	e.connid = c->id;
	e.grpid = grp;
	e.envid = env;
	e.duration_ms = c->now_ms - c->start_ms;
	e.hello = c->hs && c->hs->hello ? &c->hs->hello->hello : NULL;
	eventlog_write(c->gen->policy->settings.event_log, &e);
}

void
ezd_error(const struct ezd_conn *c, int rc, const char *event, const char *cause)
{
	const char *rule = c->rule ? c->rule->name : NA;
	const struct rc_info *ri = rc_lookup(rc);
	char local[80], remote[80], jb[ESCAPE_FIELD], ub[ESCAPE_FIELD], cb[ESCAPE_LINE];
	const char *job, *user;
	unsigned trace = ezd_trace(c), grp, env;
	/* EZD1287I, EZD1286I, their cause line, the event log's object. */
	unsigned lines = (trace & 1) + !!(trace & 2) + !!(trace & 3) + event_log_on(c);

	/* Decided first: a failure that is only counted costs no formatting. */
	if (!lines || !ezd_admit(c, rc, NULL, lines))
		return;
	job = ezd_job(c, jb);
	user = ezd_user(c, ub);
	ids(c, &grp, &env);
	rt_addr_format(&c->local->sa, local, sizeof(local));
	rt_addr_format(&c->remote->sa, remote, sizeof(remote));
	ezd_event_error(c, rc, event, cause, local, remote);
	if (!(trace & 3))
		return;
	if (trace & 1)
		log_msg(LOG_ERR,
			"EZD1287I TTLS Error RC: %4d %s\n   LOCAL: %s\n   REMOTE: %s\n"
			"   JOBNAME: %s RULE: %s\n   USERID: %s GRPID: %08X ENVID: %08X CONNID: %08X",
			rc, event, local, remote, job, rule, user, grp, env, c->id);
	if (trace & 2)
		log_msg(LOG_ERR,
			"EZD1286I TTLS Error GRPID: %08X ENVID: %08X CONNID: %08X LOCAL: %s "
			"REMOTE: %s JOBNAME: %s USERID: %s RULE: %s RC: %4d %s",
			grp, env, c->id, local, remote, job, user, rule, rc, event);
	/* A cause quotes the peer (SNI, names, alerts): escaped as a whole. */
	log_msg(LOG_ERR, "ATL1288I TTLS Cause CONNID: %08X RC: %4d %s. Cause: %s. Fix: %s", c->id,
		rc, ri ? ri->meaning : "unknown return code", cause ? escape_str(cause, cb, sizeof(cb)) : "-",
		ri ? ri->fix : "-");
}

void
ezd_map(const struct ezd_conn *c)
{
	const struct policy_rule *r = c->rule;
	char local[80], remote[80], jb[ESCAPE_FIELD], ub[ESCAPE_FIELD];

	if (!(ezd_trace(c) & 4) || !log_enabled(LOG_INFO) || !ezd_ceiling(c, 1))
		return;
	rt_addr_format(&c->local->sa, local, sizeof(local));
	rt_addr_format(&c->remote->sa, remote, sizeof(remote));
	log_msg(LOG_INFO,
		"EZD1281I TTLS Map   CONNID: %08X LOCAL: %s REMOTE: %s JOBNAME: %s USERID: %s "
		"TYPE: %s STATUS: %s RULE: %s ACTIONS: %s %s %s",
		c->id, local, remote, ezd_job(c, jb), ezd_user(c, ub), c->outbound ? "OutBound" : "InBound",
		!r ? "No Policy" : r->eff.enabled ? "Enabled" : "Not Enabled", r ? r->name : NA,
		r && r->group ? r->group->name : NA, r && r->env ? r->env->name : NA,
		r && r->conn ? r->conn->name : NA);
}

/* ---- Trace 8 and 16: start, events, flow ---- */

static const char *
role_code(const struct ezd_conn *c)
{
	switch (c->rule ? c->rule->eff.role : 0) {
	case POLICY_ROLE_CLIENT:
		return "HS_CLIENT";
	case POLICY_ROLE_SERVER_CLIENT_AUTH:
		return "HS_SERVERWITHCLIENTAUTH";
	}
	return "HS_SERVER";
}

void
ezd_start(const struct ezd_conn *c)
{
	const struct policy_rule *r = c->rule;
	unsigned grp, env;

	if (!(ezd_trace(c) & 24) || !ezd_ceiling(c, 1))
		return;
	ids(c, &grp, &env);
	log_trace(LOG_DEBUG,
		"EZD1282I TTLS Start GRPID: %08X ENVID: %08X CONNID: %08X Initial Handshake "
		"ACTIONS: %s %s %s %s",
		grp, env, c->id, r && r->group ? r->group->name : NA,
		r && r->env ? r->env->name : NA, r && r->conn ? r->conn->name : NA, role_code(c));
}

/* The peer's subject as RFC 4514 prints it, escaped (tls_name()). */
static void
peer_subject(SSL *ssl, char *out, size_t len)
{
	X509 *x = SSL_get0_peer_certificate(ssl);

	snprintf(out, len, "%s", NA);
	if (x)
		tls_name(X509_get_subject_name(x), out, len);
}

void
ezd_established(const struct ezd_conn *c)
{
	const SSL_CIPHER *sc;
	char code[5], subject[256], ub[ESCAPE_FIELD];
	unsigned grp, env;

	if (!debug_bit(c, 8) || !c->ssl || !ezd_ceiling(c, 1))
		return;
	ids(c, &grp, &env);
	sc = SSL_get_current_cipher(c->ssl);
	tls_cipher_code(c->ssl, code);
	peer_subject(c->ssl, subject, sizeof(subject));
	log_trace(LOG_DEBUG,
		"EZD1283I TTLS Event GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d Connection Init "
		"PROTOCOL: %s CIPHER: %s %s HSTIME: %llums USERID: %s PEER: %s",
		grp, env, c->id, 0, SSL_get_version(c->ssl), code,
		sc ? SSL_CIPHER_standard_name(sc) : "-",
		(unsigned long long)(c->hs_ms - c->start_ms),
		c->userid[0] ? escape_str(c->userid, ub, sizeof(ub)) : NA, subject);
}

void
ezd_flow(const struct ezd_conn *c, int rc, const char *action, const char *func, const char *data)
{
	unsigned grp, env;

	if (!debug_bit(c, 16) || !ezd_ceiling(c, 1))
		return;
	ids(c, &grp, &env);
	log_trace(LOG_DEBUG, "EZD1284I TTLS Flow GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d %s %s- %s",
		grp, env, c->id, rc, action, func, data);
}

/* ---- Trace 32: data ---- */

void
ezd_data(const struct ezd_conn *c, const char *what, const void *buf, size_t n)
{
	enum { max = 1024 }; /* per call; longer reads are cut with a note */
	const unsigned char *b = buf;
	char text[max / 16 * 60 + 64];
	size_t i, off = 0, shown = n < max ? n : max;

	if (!debug_bit(c, 32) || !n || !ezd_ceiling(c, 1))
		return;
	for (i = 0; i < shown; i++) {
		if (i % 16 == 0)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n   %04zX:", i);
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %02X", b[i]);
	}
	log_trace(LOG_DEBUG, "EZD1285I TTLS Data CONNID: %08X %s %zu%s%s", c->id, what, n,
		shown < n ? " (first 1024 shown)" : "", text);
}

/* ---- close ---- */

static void
ezd_event_close(const struct ezd_conn *c, const char *proto, const char *cipher, uint64_t dur)
{
	struct eventlog_rec e = { 0 };
	char local[80], remote[80];
	unsigned grp, env;

	ids(c, &grp, &env);
	rt_addr_format(&c->local->sa, local, sizeof(local));
	rt_addr_format(&c->remote->sa, remote, sizeof(remote));
	e.type = "close";
	e.event = "Connection Close";
	e.rule = c->rule ? c->rule->name : NULL;
	e.jobname = c->gen->policy->settings.jobname;
	e.userid = c->userid[0] ? c->userid : NULL;
	e.end = c->end;
	e.local = local;
	e.remote = remote;
	e.protocol = proto;
	e.cipher = cipher;
	e.connid = c->id;
	e.grpid = grp;
	e.envid = env;
	e.duration_ms = dur;
	e.hs_ms = c->hs_ms ? c->hs_ms - c->start_ms : 0;
	e.bytes_in = c->bytes_in;
	e.bytes_out = c->bytes_out;
	eventlog_write(c->gen->policy->settings.event_log, &e);
}

void
ezd_close(const struct ezd_conn *c)
{
	uint64_t now = c->now_ms;
	char cipher[5] = "-";
	const char *proto = "-", *name = "-";
	char ub[ESCAPE_FIELD];
	unsigned grp, env, lines;
	bool abnormal = !c->end_done && !c->end_rc, line, event;

	if (c->ssl && c->hs_ms) {
		const SSL_CIPHER *sc = SSL_get_current_cipher(c->ssl);
		proto = SSL_get_version(c->ssl);
		tls_cipher_code(c->ssl, cipher);
		name = sc ? SSL_CIPHER_standard_name(sc) : "-";
	} else if (!c->tls) {
		proto = "clear";
	}
	/* A line per connection is Trace's Event bit (8), as AT-TLS's EZD1282I/3I;
	 * a connection that ended abnormally without an error line of its own
	 * (a reset, a timeout, shutdown) always gets one, at info, so that bytes
	 * that did not arrive have a logged reason. */
	line = (ezd_trace(c) & 8) || log_enabled(LOG_DEBUG) || (abnormal && log_enabled(LOG_INFO));
	event = event_log_on(c) && (ezd_trace(c) & 8) && !c->end_rc;
	lines = line + event + debug_bit(c, 8);
	/* One decision for the close's lines in every sink: an abnormal end
	 * (a reset, a timeout) is a failure a peer can repeat at will, so it is
	 * aggregated like an error; any other only obeys the ceiling. */
	if (!lines || !(abnormal ? ezd_admit(c, 0, c->end, lines) : ezd_ceiling(c, lines)))
		return;
	if (event)
		ezd_event_close(c, proto, cipher, now - c->start_ms);
	if (debug_bit(c, 8)) {
		ids(c, &grp, &env);
		log_trace(LOG_DEBUG, "EZD1283I TTLS Event GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d "
				   "Connection Close",
			grp, env, c->id, c->end_rc);
	}
	if (!line)
		return;
	log_msg(LOG_NOTICE,
		"ATL1289I TTLS Close CONNID: %08X RULE: %s END: %s RC: %d DUR: %llums HS: %llums "
		"IN: %llu OUT: %llu PROTO: %s CIPHER: %s %s MAPPEDUSER: %s",
		c->id, c->rule ? c->rule->name : NA, c->end, c->end_rc,
		(unsigned long long)(now - c->start_ms),
		(unsigned long long)(c->hs_ms ? c->hs_ms - c->start_ms : 0),
		(unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out, proto, cipher,
		name, c->userid[0] ? escape_str(c->userid, ub, sizeof(ub)) : "-");
}

/* ---- per-connection diagnostics while handshaking ---- */

void
ezd_diag_begin(const struct ezd_conn *c)
{
	const struct policy_settings *s = &c->gen->policy->settings;
	int cap = c->rule ? c->rule->eff.capture : 0;

	c->hs->started = true;
	ezd_start(c);
	if ((c->hs->hello = malloc(sizeof(*c->hs->hello))) != NULL) {
		chello_watch_init(c->hs->hello);
		chello_attach(c->ssl, c->hs->hello);
	}
	if (cap == POLICY_CAPTURE_FAILURES || cap == POLICY_CAPTURE_ALL)
		c->hs->cap = capture_start(c->ssl, c->fd, c->id, s->capture_max_bytes,
				       c->rule->eff.key_log);
}

void
ezd_diag_established(const struct ezd_conn *c)
{
	ezd_established(c);
	if (c->hs->hello) {
		chello_detach(c->ssl);
		free(c->hs->hello);
		c->hs->hello = NULL;
	}
	/* capture: all keeps the handshake for the close; failures has no use for it. */
	if (c->hs->cap && c->rule->eff.capture == POLICY_CAPTURE_ALL) {
		capture_stop(c->hs->cap);
	} else {
		capture_free(c->hs->cap);
		c->hs->cap = NULL;
	}
}

void
ezd_diag_evidence(const struct ezd_conn *c, int rc, char *cause, size_t len)
{
	if (c->hs->hello && c->ssl)
		chello_evidence(c->hs->hello, c->ssl, c->tls_diag, c->rule, rc, cause, len);
}

/* 5004: no whole handshake message came before the timer (AT-TLS's start
 * interval, which only the peer's hello ends): what the peer sent, the real
 * time, and what that means in this role. */
static int
stall_start(const struct ezd_conn *c, uint64_t got, uint64_t sent, const char *wait, char *cause,
	    size_t len)
{
	bool active = c->rule && c->rule->eff.role == POLICY_ROLE_CLIENT;
	uint64_t age = c->now_ms - c->start_ms; /* the real time, timer or not */
	char what[96];

	if (got)
		snprintf(what, sizeof(what), "%llu bytes from the %s (part of a record, no whole "
					     "handshake message)",
			 (unsigned long long)got, active ? "server" : "client");
	else
		snprintf(what, sizeof(what), "0 bytes from the %s", active ? "server" : "client");
	snprintf(cause, len, "%s %llu.%llu s after the connection began (timer: %s): ", what,
		 (unsigned long long)(age / 1000), (unsigned long long)(age % 1000 / 100), wait);
	if (active && !got)
		strbuf_cat(cause, len, "we sent our ClientHello (%llu bytes) and the server never "
				       "answered: it is not speaking TLS on this port, or it waits "
				       "for the client to speak first (a plaintext server, or both "
				       "ends in the Server role)",
			   (unsigned long long)sent);
	else if (active)
		strbuf_cat(cause, len, "we sent our ClientHello (%llu bytes); the server's answer "
				       "stopped part way: a stuck server, or a middlebox dropping "
				       "its packets",
			   (unsigned long long)sent);
	else if (!got)
		strbuf_cat(cause, len, "no TLS record arrived%s: the client is not speaking TLS on "
				       "this port, or it waits for the server to speak first (a "
				       "plaintext client waiting for a greeting, or both ends in "
				       "the Server role), or a firewall drops its packets",
			   c->rule && c->rule->eff.app_controlled ? " after the application's INIT"
								   : "");
	else
		strbuf_cat(cause, len, "its first record never completed: a slow or stuck client, "
				       "a middlebox dropping its packets, or a client holding the "
				       "connection open on purpose");
	return RC_HANDSHAKE_START_TIMEOUT;
}

int
ezd_diag_stall(const struct ezd_conn *c, uint64_t timer_ms, char *cause, size_t len)
{
	unsigned hto = c->rule ? c->rule->eff.handshake_timeout : 0;
	bool active = c->rule && c->rule->eff.role == POLICY_ROLE_CLIENT;
	uint64_t got = c->ssl ? BIO_number_read(SSL_get_rbio(c->ssl)) : 0;
	uint64_t sent = c->ssl ? BIO_number_written(SSL_get_wbio(c->ssl)) : 0;
	uint64_t age = c->now_ms - c->start_ms; /* the real time, timer or not */
	bool whole = c->hs->hello ? c->hs->hello->last_recv >= 0 : got > 0;
	char wait[400], at[300];

	/* AT-TLS: the active (connecting) side waits 5 x HandshakeTimeout. */
	snprintf(wait, sizeof(wait), "%s handshake_timeout (%us, %s) = %llu s%s",
		 active ? "5 x" : "1 x", hto,
		 c->rule ? policy_rule_parm_where(c->rule, "handshake_timeout", at, sizeof(at)) : "-",
		 (unsigned long long)(timer_ms / 1000), active ? ", the active side's wait" : "");
	if (!whole)
		return stall_start(c, got, sent, wait, cause, len);
	snprintf(cause, len, "the handshake started but did not complete within handshake_timeout "
			     "(%us): %llu.%llu s after the connection began (timer: %s), %llu "
			     "bytes received from the peer",
		 hto, (unsigned long long)(age / 1000), (unsigned long long)(age % 1000 / 100), wait,
		 (unsigned long long)got);
	ezd_diag_evidence(c, RC_HANDSHAKE_TIMEOUT, cause, len);
	return RC_HANDSHAKE_TIMEOUT;
}

const char *
ezd_diag_capture(const struct ezd_conn *c, int rc, const char *cause, char *buf, size_t len)
{
	const struct policy_settings *s = &c->gen->policy->settings;
	char path[4200], why[256];
	int r;

	if (!c->hs->cap || (!rc && c->rule->eff.capture != POLICY_CAPTURE_ALL))
		return cause;
	/* Named now, written by the capture writer thread: the loop goes on. */
	r = capture_submit(&c->hs->cap, s, path, sizeof(path), why, sizeof(why));
	if (!rc) {
		if (!r && debug_bit(c, 8))
			log_trace(LOG_DEBUG, "ATL1292I TTLS Capture CONNID: %08X handshake captured in %s",
				c->id, path);
		return cause;
	}
	if (r)
		snprintf(buf, len, "%s; handshake not captured: %s", cause ? cause : "-", why);
	else
		snprintf(buf, len, "%s; handshake captured in %s", cause ? cause : "-", path);
	return buf;
}

void
ezd_diag_release(const struct ezd_conn *c)
{
	if (c->hs->hello && c->ssl)
		chello_detach(c->ssl);
	free(c->hs->hello);
	c->hs->hello = NULL;
	capture_free(c->hs->cap);
	c->hs->cap = NULL;
}

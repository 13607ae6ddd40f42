/* SPDX-License-Identifier: Apache-2.0 */
/* Formats AT-TLS-style messages for a connection, one Trace bit each: 1
 * EZD1287I, 2 EZD1286I, 4 EZD1281I, 8 EZD1282I/EZD1283I, 16 EZD1284I, 32
 * EZD1285I. Bits 8-32 are syslog debug (reference §3.4), so attlsd must run with
 * -d for them to pass its level filter, as syslogd must pass *.debug on z/OS.
 * The lines, the event log and the journal's fields print one set of facts
 * (struct ezd_facts), so that a collector finds the same fields in each. */
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
#include "journal.h"

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

/* ---- the facts every sink prints ---- */

/* One connection's facts, escaped, printed alike by its lines, its event log
 * object and its journal entry, so that all of them carry the same fields. */
struct ezd_facts {
	char local[80], remote[80], job[ESCAPE_FIELD], user[ESCAPE_FIELD];
	char mapped[ESCAPE_FIELD], sni[ESCAPE_FIELD], peer[256], cipher[5];
	struct eventlog_rec e; /* its strings point into the buffers above */
};

/* Who the connection is: enough for a trace line's journal entry. */
static void
ezd_rec_ids(const struct ezd_conn *c, struct eventlog_rec *e)
{
	unsigned grp, env;

	ids(c, &grp, &env);
	*e = (struct eventlog_rec){
		.rule = c->rule ? c->rule->name : NULL,
		.connid = c->id,
		.grpid = grp,
		.envid = env,
		.facility = c->gen->policy->settings.syslog_facility,
	};
}

/* The server name as OpenSSL has it (server role: what the client asked for,
 * once its ClientHello was parsed; client role: what we sent), else what the
 * hello watch saw of a ClientHello OpenSSL refused early. */
static const char *
ezd_sni(const struct ezd_conn *c)
{
	const char *sni = c->ssl ? SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name) : NULL;

	if (!sni && c->hs && c->hs->hello && c->hs->hello->hello.seen && c->hs->hello->hello.sni[0])
		sni = c->hs->hello->hello.sni;
	return sni;
}

/* The peer's subject as RFC 4514 prints it, escaped (tls_name()); "" if none. */
static void
peer_subject(SSL *ssl, char *out, size_t len)
{
	X509 *x = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	out[0] = '\0';
	if (x)
		tls_name(X509_get_subject_name(x), out, len);
}

static void
ezd_facts(const struct ezd_conn *c, struct ezd_facts *f)
{
	struct eventlog_rec *e = &f->e;
	const char *sni = ezd_sni(c);
	const SSL_CIPHER *sc;

	ezd_rec_ids(c, e);
	rt_addr_format(&c->local->sa, f->local, sizeof(f->local));
	rt_addr_format(&c->remote->sa, f->remote, sizeof(f->remote));
	e->local = f->local;
	e->remote = f->remote;
	e->jobname = ezd_job(c, f->job);
	e->userid = ezd_user(c, f->user);
	e->mapped_user = c->userid[0] ? escape_str(c->userid, f->mapped, sizeof(f->mapped)) : NULL;
	e->sni = sni ? escape_str(sni, f->sni, sizeof(f->sni)) : NULL;
	e->protocol = c->tls ? "-" : "clear";
	e->cipher = e->cipher_name = "-";
	if (c->ssl && c->hs_ms) {
		sc = SSL_get_current_cipher(c->ssl);
		e->protocol = SSL_get_version(c->ssl);
		tls_cipher_code(c->ssl, f->cipher);
		e->cipher = f->cipher;
		e->cipher_name = sc ? SSL_CIPHER_standard_name(sc) : "-";
	}
	peer_subject(c->ssl, f->peer, sizeof(f->peer));
	e->peer = f->peer[0] ? f->peer : NULL;
	e->end = c->end;
	e->duration_ms = c->now_ms - c->start_ms;
	e->hs_ms = c->hs_ms ? c->hs_ms - c->start_ms : 0;
	e->bytes_in = c->bytes_in;
	e->bytes_out = c->bytes_out;
}

/* "-" for a fact not known, in the lines. */
static const char *
dash(const char *s)
{
	return s ? s : "-";
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

void
ezd_error(const struct ezd_conn *c, int rc, const char *event, const char *cause)
{
	const char *rule = c->rule ? c->rule->name : NA;
	const struct rc_info *ri = rc_lookup(rc);
	unsigned trace = ezd_trace(c);
	/* EZD1287I, EZD1286I, their cause line, the event log's object. */
	unsigned lines = (trace & 1) + !!(trace & 2) + !!(trace & 3) + event_log_on(c);
	struct ezd_facts f;
	struct eventlog_rec *e = &f.e;
	char cb[ESCAPE_LINE];

	/* Decided first, for every sink: a failure that is only counted costs
	 * no formatting. */
	if (!lines || !ezd_admit(c, rc, NULL, lines))
		return;
	ezd_facts(c, &f);
	e->type = "failure";
	e->rc = rc;
	e->rc_name = ri ? ri->name : NULL;
	e->meaning = ri ? ri->meaning : "unknown return code";
	e->event = event;
	/* A cause quotes the peer (SNI, names, alerts): escaped as a whole. */
	e->cause = cause ? escape_str(cause, cb, sizeof(cb)) : NULL;
	e->fix = ri ? ri->fix : NULL;
	e->hello = c->hs && c->hs->hello ? &c->hs->hello->hello : NULL;
	if (event_log_on(c))
		eventlog_write(c->gen->policy->settings.event_log, e);
	if (!(trace & 3))
		return;
	if (trace & 1)
		journal_log(LOG_ERR, false, e,
			    "EZD1287I TTLS Error RC: %4d %s\n   LOCAL: %s\n   REMOTE: %s\n"
			    "   JOBNAME: %s RULE: %s\n   USERID: %s GRPID: %08X ENVID: %08X CONNID: %08X",
			    rc, event, f.local, f.remote, f.job, rule, f.user, e->grpid, e->envid, c->id);
	if (trace & 2)
		journal_log(LOG_ERR, false, e,
			    "EZD1286I TTLS Error GRPID: %08X ENVID: %08X CONNID: %08X LOCAL: %s "
			    "REMOTE: %s JOBNAME: %s USERID: %s RULE: %s RC: %4d %s",
			    e->grpid, e->envid, c->id, f.local, f.remote, f.job, f.user, rule, rc, event);
	/* The facts the EZD lines have no label for, on a line of their own in
	 * EZD1287I's style (the peer's subject last: it may hold spaces). */
	journal_log(LOG_ERR, false, e,
		    "ATL1288I TTLS Cause CONNID: %08X RC: %4d %s. Cause: %s. Fix: %s\n"
		    "   RCNAME: %s END: %s SNI: %s PROTO: %s CIPHER: %s %s MAPPEDUSER: %s "
		    "DUR: %llums HS: %llums IN: %llu OUT: %llu PEER: %s",
		    c->id, rc, e->meaning, dash(e->cause), dash(e->fix), dash(e->rc_name), e->end,
		    dash(e->sni), e->protocol, e->cipher, e->cipher_name, dash(e->mapped_user),
		    (unsigned long long)e->duration_ms, (unsigned long long)e->hs_ms,
		    (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out, dash(e->peer));
}

void
ezd_map(const struct ezd_conn *c)
{
	const struct policy_rule *r = c->rule;
	char local[80], remote[80], jb[ESCAPE_FIELD], ub[ESCAPE_FIELD];
	struct eventlog_rec e;

	if (!(ezd_trace(c) & 4) || !log_enabled(LOG_INFO) || !ezd_ceiling(c, 1))
		return;
	ezd_rec_ids(c, &e);
	rt_addr_format(&c->local->sa, local, sizeof(local));
	rt_addr_format(&c->remote->sa, remote, sizeof(remote));
	e.event = "Policy Mapping";
	e.local = local;
	e.remote = remote;
	e.jobname = ezd_job(c, jb);
	e.userid = ezd_user(c, ub);
	journal_log(LOG_INFO, false, &e,
		    "EZD1281I TTLS Map   CONNID: %08X LOCAL: %s REMOTE: %s JOBNAME: %s USERID: %s "
		    "TYPE: %s STATUS: %s RULE: %s ACTIONS: %s %s %s",
		    c->id, local, remote, e.jobname, e.userid, c->outbound ? "OutBound" : "InBound",
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
	struct eventlog_rec e;

	if (!(ezd_trace(c) & 24) || !ezd_ceiling(c, 1))
		return;
	ezd_rec_ids(c, &e);
	e.event = "Initial Handshake";
	journal_log(LOG_DEBUG, true, &e,
		    "EZD1282I TTLS Start GRPID: %08X ENVID: %08X CONNID: %08X Initial Handshake "
		    "ACTIONS: %s %s %s %s",
		    e.grpid, e.envid, c->id, r && r->group ? r->group->name : NA,
		    r && r->env ? r->env->name : NA, r && r->conn ? r->conn->name : NA, role_code(c));
}

void
ezd_established(const struct ezd_conn *c)
{
	struct ezd_facts f;
	struct eventlog_rec *e = &f.e;

	if (!debug_bit(c, 8) || !c->ssl || !ezd_ceiling(c, 1))
		return;
	ezd_facts(c, &f);
	e->event = "Connection Init";
	journal_log(LOG_DEBUG, true, e,
		    "EZD1283I TTLS Event GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d Connection Init "
		    "PROTOCOL: %s CIPHER: %s %s HSTIME: %llums USERID: %s PEER: %s",
		    e->grpid, e->envid, c->id, 0, e->protocol, e->cipher, e->cipher_name,
		    (unsigned long long)e->hs_ms, e->mapped_user ? e->mapped_user : NA,
		    e->peer ? e->peer : NA);
}

void
ezd_flow(const struct ezd_conn *c, int rc, const char *action, const char *func, const char *data)
{
	struct eventlog_rec e;

	if (!debug_bit(c, 16) || !ezd_ceiling(c, 1))
		return;
	ezd_rec_ids(c, &e);
	e.rc = rc;
	journal_log(LOG_DEBUG, true, &e,
		    "EZD1284I TTLS Flow GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d %s %s- %s",
		    e.grpid, e.envid, c->id, rc, action, func, data);
}

/* ---- Trace 32: data ---- */

void
ezd_data(const struct ezd_conn *c, const char *what, const void *buf, size_t n)
{
	enum { max = 1024 }; /* per call; longer reads are cut with a note */
	const unsigned char *b = buf;
	char text[max / 16 * 60 + 64];
	size_t i, off = 0, shown = n < max ? n : max;
	struct eventlog_rec e;

	if (!debug_bit(c, 32) || !n || !ezd_ceiling(c, 1))
		return;
	ezd_rec_ids(c, &e);
	for (i = 0; i < shown; i++) {
		if (i % 16 == 0)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n   %04zX:", i);
		off += (size_t)snprintf(text + off, sizeof(text) - off, " %02X", b[i]);
	}
	journal_log(LOG_DEBUG, true, &e, "EZD1285I TTLS Data CONNID: %08X %s %zu%s%s", c->id, what,
		    n, shown < n ? " (first 1024 shown)" : "", text);
}

/* ---- close ---- */

void
ezd_close(const struct ezd_conn *c)
{
	unsigned trace = ezd_trace(c), lines;
	bool abnormal = !c->end_done && !c->end_rc;
	/* The event log's close object: Trace 8, a connection without an error. */
	bool ev = event_log_on(c) && (trace & 8) && !c->end_rc;
	/* A line per connection is Trace's Event bit (8), as AT-TLS's EZD1282I/3I;
	 * a connection that ended abnormally without an error line of its own
	 * (a reset, a timeout, shutdown) always gets one, at info, so that bytes
	 * that did not arrive have a logged reason. */
	bool line = (trace & 8) || log_enabled(LOG_DEBUG) || (abnormal && log_enabled(LOG_INFO));
	struct ezd_facts f;
	struct eventlog_rec *e = &f.e;

	lines = line + ev + debug_bit(c, 8);
	/* One decision for the close's lines in every sink: an abnormal end
	 * (a reset, a timeout) is a failure a peer can repeat at will, so it is
	 * aggregated like an error; any other only obeys the ceiling. */
	if (!lines || !(abnormal ? ezd_admit(c, 0, c->end, lines) : ezd_ceiling(c, lines)))
		return;
	ezd_facts(c, &f);
	e->type = "close";
	e->event = "Connection Close";
	e->rc = c->end_rc;
	if (ev)
		eventlog_write(c->gen->policy->settings.event_log, e);
	if (trace & 8)
		journal_log(LOG_DEBUG, true, e,
			    "EZD1283I TTLS Event GRPID: %08X ENVID: %08X CONNID: %08X RC: %4d "
			    "Connection Close",
			    e->grpid, e->envid, c->id, c->end_rc);
	if (!line)
		return;
	/* The facts the first line has no label for, indented as in EZD1287I. */
	journal_log(LOG_NOTICE, false, e,
		    "ATL1289I TTLS Close CONNID: %08X RULE: %s END: %s RC: %d DUR: %llums HS: %llums "
		    "IN: %llu OUT: %llu PROTO: %s CIPHER: %s %s MAPPEDUSER: %s\n"
		    "   LOCAL: %s REMOTE: %s JOBNAME: %s USERID: %s GRPID: %08X ENVID: %08X "
		    "SNI: %s PEER: %s",
		    c->id, c->rule ? c->rule->name : NA, c->end, c->end_rc,
		    (unsigned long long)e->duration_ms, (unsigned long long)e->hs_ms,
		    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out, e->protocol,
		    e->cipher, e->cipher_name, dash(e->mapped_user), f.local, f.remote, f.job, f.user,
		    e->grpid, e->envid, dash(e->sni), dash(e->peer));
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

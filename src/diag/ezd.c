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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rc.h"
#include "capture.h"
#include "tls/chello.h"
#include "tls/tls.h"
#include "eventlog.h"
#include "ezd.h"
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

/* ---- aggregation of identical errors ---- */

/* One key: rule, RC and the client's /24 (IPv4) or /64 (IPv6). */
struct ezd_agg {
	char rule[48];
	int rc;
	char net[INET6_ADDRSTRLEN + 4];
	struct ratelimit rl; /* its window (monotonic seconds); rl.count 0: slot free */
	unsigned window;     /* its length, from the settings when it opened */
	uint32_t first_id, last_id; /* of the ones not logged */
};

#define EZD_AGG_SLOTS 64
static struct ezd_agg agg_tab[EZD_AGG_SLOTS];
static pthread_mutex_t agg_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void
agg_net(const union rt_sockaddr *sa, char *out, size_t len)
{
	char b[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&sa->in6.sin6_addr)) {
		struct in6_addr a = sa->in6.sin6_addr;
		memset(a.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a, b, sizeof(b));
		snprintf(out, len, "%s/64", b);
		return;
	}
	if (sa->sa.sa_family == AF_INET6) {
		const uint8_t *m = sa->in6.sin6_addr.s6_addr + 12;
		snprintf(out, len, "%u.%u.%u.0/24", m[0], m[1], m[2]);
		return;
	}
	{
		uint32_t a = ntohl(sa->in.sin_addr.s_addr);
		snprintf(out, len, "%u.%u.%u.0/24", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff);
	}
}

/* Under agg_lock: the count line for a window that held unlogged errors. */
static void
agg_report(struct ezd_agg *a, uint64_t now)
{
	if (!a->first_id)
		return;
	log_msg(LOG_ERR, "ATL1290I TTLS Aggregate RULE: %s RC: %4d REMOTE: %s COUNT: %u in %llus "
			 "(not logged: CONNID %08X to %08X)",
		a->rule, a->rc, a->net, atomic_load(&a->rl.count),
		(unsigned long long)(now - (uint64_t)atomic_load(&a->rl.start)), a->first_id,
		a->last_id);
	a->first_id = a->last_id = 0;
}

/* Under agg_lock: reports and frees every window that is over (all: every
 * window, at shutdown). */
static void
agg_sweep(uint64_t now, bool all)
{
	size_t i;

	for (i = 0; i < EZD_AGG_SLOTS; i++)
		if (atomic_load(&agg_tab[i].rl.count) &&
		    (all || ratelimit_over(&agg_tab[i].rl, (long long)now, agg_tab[i].window))) {
			agg_report(&agg_tab[i], now);
			atomic_store(&agg_tab[i].rl.count, 0);
		}
}

void
ezd_agg_flush(bool all)
{
	pthread_mutex_lock(&agg_lock);
	agg_sweep(mono_s(), all);
	pthread_mutex_unlock(&agg_lock);
}

static struct ezd_agg *
agg_slot(const char *rule, int rc, const char *net, uint64_t now, unsigned window)
{
	struct ezd_agg *old = &agg_tab[0];
	size_t i;

	for (i = 0; i < EZD_AGG_SLOTS; i++) {
		struct ezd_agg *a = &agg_tab[i];
		bool used = atomic_load(&a->rl.count) != 0;
		if (used && a->rc == rc && strcmp(a->rule, rule) == 0 && strcmp(a->net, net) == 0)
			return a;
		if (!used || atomic_load(&a->rl.start) < atomic_load(&old->rl.start))
			old = a;
	}
	/* Full: the oldest window ends early, with its count line. */
	if (atomic_load(&old->rl.count))
		agg_report(old, now);
	memset(old, 0, sizeof(*old));
	snprintf(old->rule, sizeof(old->rule), "%s", rule);
	snprintf(old->net, sizeof(old->net), "%s", net);
	old->rc = rc;
	old->window = window;
	return old;
}

/* True when this error is to be logged; false when it is counted instead. */
static bool
agg_admit(const struct ezd_conn *c, int rc)
{
	const struct policy_settings *s = &c->gen->policy->settings;
	const char *rule = c->rule ? c->rule->name : NA;
	uint64_t now = mono_s();
	struct ezd_agg *a;
	char net[INET6_ADDRSTRLEN + 4];
	bool ok;

	if (!s->error_aggregation)
		return true;
	agg_net(c->remote, net, sizeof(net));
	pthread_mutex_lock(&agg_lock);
	agg_sweep(now, false);
	a = agg_slot(rule, rc, net, now, s->error_aggregation_window);
	ok = ratelimit_admit(&a->rl, (long long)now, a->window, s->error_aggregation);
	if (!ok && atomic_load(&a->rl.count) == s->error_aggregation + 1)
		log_msg(LOG_ERR, "ATL1290I TTLS Aggregate RULE: %s RC: %4d REMOTE: %s COUNT: %u in "
				 "%llus: further identical errors in this %us window are counted, "
				 "not logged",
			rule, rc, net, s->error_aggregation,
			(unsigned long long)(now - (uint64_t)atomic_load(&a->rl.start)),
			s->error_aggregation_window);
	if (!ok) {
		if (!a->first_id)
			a->first_id = c->id;
		a->last_id = c->id;
	}
	pthread_mutex_unlock(&agg_lock);
	return ok;
}

/* ---- errors ---- */

void
ezd_error(const struct ezd_conn *c, int rc, const char *event, const char *cause)
{
	const char *rule = c->rule ? c->rule->name : NA, *evlog = c->gen->policy->settings.event_log;
	const struct rc_info *ri = rc_lookup(rc);
	unsigned trace = ezd_trace(c);
	bool lines = (trace & 3) && agg_admit(c, rc);
	struct ezd_facts f;
	struct eventlog_rec *e = &f.e;
	char cb[ESCAPE_LINE];

	if (!lines && !evlog)
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
	if (evlog)
		eventlog_write(evlog, e);
	if (!lines)
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

	if (!(ezd_trace(c) & 4) || !log_enabled(LOG_INFO))
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

	if (!(ezd_trace(c) & 24))
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

	if (!debug_bit(c, 8) || !c->ssl)
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

	if (!debug_bit(c, 16))
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

	if (!debug_bit(c, 32) || !n)
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
	const char *evlog = c->gen->policy->settings.event_log;
	unsigned trace = ezd_trace(c);
	/* The event log's close object: Trace 8, a connection without an error. */
	bool ev = evlog && (trace & 8) && !c->end_rc;
	/* A line per connection is Trace's Event bit (8), as AT-TLS's EZD1282I/3I;
	 * a connection that ended abnormally without an error line of its own
	 * (a reset, a timeout, shutdown) always gets one, at info, so that bytes
	 * that did not arrive have a logged reason. */
	bool line = (trace & 8) || log_enabled(LOG_DEBUG) ||
		    (!c->end_done && !c->end_rc && log_enabled(LOG_INFO));
	struct ezd_facts f;
	struct eventlog_rec *e = &f.e;

	if (!ev && !line)
		return;
	ezd_facts(c, &f);
	e->type = "close";
	e->event = "Connection Close";
	e->rc = c->end_rc;
	if (ev)
		eventlog_write(evlog, e);
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

int
ezd_diag_stall(const struct ezd_conn *c, uint64_t timer_ms, char *cause, size_t len)
{
	unsigned hto = c->rule ? c->rule->eff.handshake_timeout : 0;
	bool active = c->rule && c->rule->eff.role == POLICY_ROLE_CLIENT;
	uint64_t got = c->ssl ? BIO_number_read(SSL_get_rbio(c->ssl)) : 0;
	uint64_t sent = c->ssl ? BIO_number_written(SSL_get_wbio(c->ssl)) : 0;
	uint64_t age = c->now_ms - c->start_ms; /* the real time, timer or not */
	char wait[128];

	/* AT-TLS: the active (connecting) side waits 5 x HandshakeTimeout. */
	snprintf(wait, sizeof(wait), "%s handshake_timeout (%us) = %llu s%s", active ? "5 x" : "1 x",
		 hto, (unsigned long long)(timer_ms / 1000), active ? ", the active side's wait" : "");
	if (active && !got) {
		snprintf(cause, len, "0 bytes from the server %llu.%llu s after the connection began "
				     "(timer: %s): we sent our ClientHello (%llu bytes) and the "
				     "server never answered: it is not speaking TLS on this port, or "
				     "it waits for the client to speak first (a plaintext server, or "
				     "both ends in the Server role)",
			 (unsigned long long)(age / 1000), (unsigned long long)(age % 1000 / 100),
			 wait, (unsigned long long)sent);
		return RC_HANDSHAKE_START_TIMEOUT;
	}
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
	struct capture *cap = c->hs->cap;
	char path[4200];

	if (!cap || (!rc && c->rule->eff.capture != POLICY_CAPTURE_ALL))
		return cause;
	if (capture_write(cap, s->capture_dir, s->capture_max_files, path, sizeof(path)) != 0) {
		log_warn("ATL1292W TTLS Capture CONNID: %08X: cannot write %s: %s", c->id, path,
			 strerror(errno));
		return cause;
	}
	if (!rc) {
		if (debug_bit(c, 8))
			log_trace(LOG_DEBUG, "ATL1292I TTLS Capture CONNID: %08X handshake captured in %s",
				c->id, path);
		return cause;
	}
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

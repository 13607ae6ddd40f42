/* SPDX-License-Identifier: Apache-2.0 */
/* Formats AT-TLS-style messages for a connection. */
#include "config.h"

#include <stdio.h>

#include "attls/log.h"
#include "attls/rc.h"
#include "conn.h"
#include "ezd.h"
#include "worker.h"

#define NA "**N/A**"

static unsigned
conn_trace(const struct conn *c)
{
	return c->rule ? c->rule->eff.trace : c->gen->policy->settings.trace;
}

static void
ids(const struct conn *c, unsigned *grp, unsigned *env)
{
	*grp = c->rule && c->rule->group ? c->rule->group->id : 0;
	*env = c->rule && c->rule->env ? c->rule->env->id : 0;
}

void
ezd_error(const struct conn *c, int rc, const char *event, const char *cause)
{
	const char *rule = c->rule ? c->rule->name : NA;
	const char *job = c->gen->policy->settings.jobname;
	const struct rc_info *ri = rc_lookup(rc);
	char local[80], remote[80];
	unsigned trace = conn_trace(c), grp, env;

	ids(c, &grp, &env);
	rt_addr_format(&c->local.sa, local, sizeof(local));
	rt_addr_format(&c->remote.sa, remote, sizeof(remote));
	if (trace & 1)
		log_msg(LOG_ERR,
			"EZD1287I TTLS Error RC: %4d %s\n   LOCAL: %s\n   REMOTE: %s\n"
			"   JOBNAME: %s RULE: %s\n   USERID: %s GRPID: %08X ENVID: %08X CONNID: %08X",
			rc, event, local, remote, job, rule, c->gen->userid, grp, env, c->id);
	if (trace & 2)
		log_msg(LOG_ERR,
			"EZD1286I TTLS Error GRPID: %08X ENVID: %08X CONNID: %08X LOCAL: %s "
			"REMOTE: %s JOBNAME: %s USERID: %s RULE: %s RC: %4d %s",
			grp, env, c->id, local, remote, job, c->gen->userid, rule, rc, event);
	if (trace & 3)
		log_msg(LOG_ERR, "ATL1288I TTLS Cause CONNID: %08X RC: %4d %s. Cause: %s. Fix: %s",
			c->id, rc, ri ? ri->meaning : "unknown return code", cause ? cause : "-",
			ri ? ri->fix : "-");
}

void
ezd_map(const struct conn *c)
{
	const struct policy_rule *r = c->rule;
	char local[80], remote[80];

	if (!(conn_trace(c) & 4) || !log_enabled(LOG_INFO))
		return;
	rt_addr_format(&c->local.sa, local, sizeof(local));
	rt_addr_format(&c->remote.sa, remote, sizeof(remote));
	log_msg(LOG_INFO,
		"EZD1281I TTLS Map   CONNID: %08X LOCAL: %s REMOTE: %s JOBNAME: %s USERID: %s "
		"TYPE: InBound STATUS: %s RULE: %s ACTIONS: %s %s %s",
		c->id, local, remote, c->gen->policy->settings.jobname, c->gen->userid,
		!r ? "No Policy" : r->eff.enabled ? "Enabled" : "Not Enabled", r ? r->name : NA,
		r && r->group ? r->group->name : NA, r && r->env ? r->env->name : NA,
		r && r->conn ? r->conn->name : NA);
}

void
ezd_close(const struct conn *c)
{
	uint64_t now = uv_now((uv_loop_t *)&c->w->loop);
	char cipher[5] = "-";
	const char *proto = "-", *name = "-";

	/* A line per connection is Trace's Event bit (8), as AT-TLS's EZD1282I/3I. */
	if (!(conn_trace(c) & 8) && !log_enabled(LOG_DEBUG))
		return;
	if (c->tls && c->hs_ms) {
		const SSL_CIPHER *sc = SSL_get_current_cipher(c->tls->ssl);
		proto = SSL_get_version(c->tls->ssl);
		tls_cipher_code(c->tls->ssl, cipher);
		name = sc ? SSL_CIPHER_standard_name(sc) : "-";
	} else if (!c->tls) {
		proto = "clear";
	}
	log_msg(LOG_NOTICE,
		"ATL1289I TTLS Close CONNID: %08X RULE: %s END: %s RC: %d DUR: %llums HS: %llums "
		"IN: %llu OUT: %llu PROTO: %s CIPHER: %s %s MAPPEDUSER: %s",
		c->id, c->rule ? c->rule->name : NA, conn_end_name(c->end), c->end_rc,
		(unsigned long long)(now - c->start_ms),
		(unsigned long long)(c->hs_ms ? c->hs_ms - c->start_ms : 0),
		(unsigned long long)c->cl.bytes_in, (unsigned long long)c->be.bytes_in, proto, cipher,
		name, c->userid[0] ? c->userid : "-");
}

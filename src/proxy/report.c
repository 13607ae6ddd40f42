/* SPDX-License-Identifier: Apache-2.0 */
/* What the data plane tells other parts about a connection: the report view
 * its diagnostics print (diag/ezd.h) and the record the query registry answers
 * from (control/control.h). Neither part ever sees a struct conn. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "common/err.h"
#include "conn.h"
#include "worker.h"

struct ezd_conn *
report_ezd(struct conn *c, struct ezd_conn *v)
{
	*v = (struct ezd_conn){
		.id = c->id,
		.gen = c->gen,
		.rule = c->rule,
		.local = &c->local,
		.remote = &c->remote,
		.owner_job = c->owner_job,
		.owner_user = c->owner_user,
		.userid = c->userid,
		.outbound = c->outbound,
		.tls = c->tls != NULL,
		.ssl = c->tls ? c->tls->ssl : NULL,
		.fd = c->tls ? c->tls->fd : -1,
		.tls_diag = c->diag,
		.hs = &c->hs,
		.now_ms = uv_now(&c->w->loop),
		.start_ms = c->start_ms,
		.hs_ms = c->hs_ms,
		.end = conn_end_name(c->end),
		.end_done = c->end == CONN_END_DONE,
		.end_rc = c->end_rc,
		.bytes_in = c->cl.bytes_in,
		.bytes_out = c->be.bytes_in,
	};
	return v;
}

/* The plaintext application is the backend for the server roles and clear
 * text; with TLS toward the backend (Client role, outbound) it is the local
 * client attlsd accepted. Its view: its own address first. */
static int
report_app_tuple(const struct conn *c, union rt_sockaddr *l, union rt_sockaddr *r)
{
	socklen_t len;

	if (c->outbound) {
		*l = c->local;
		*r = c->remote;
		return 0;
	}
	if (c->tls == &c->be ||
	    (c->rule && c->rule->eff.enabled && c->rule->eff.role == POLICY_ROLE_CLIENT)) {
		*l = c->remote;
		*r = c->local;
		return 0;
	}
	if (c->be.fd < 0 || !c->backend)
		return ATTLS_ENOENT;
	/* The backend is where we connect to; not getpeername(), which says
	 * ENOTCONN until the handshake is done (SYN_SENT), and the backend may
	 * ask about the connection the moment it accepts. getsockname() has
	 * the port connect() chose as soon as it returned. */
	*l = c->backend->ss;
	len = sizeof(*r);
	if (getsockname(c->be.fd, &r->sa, &len) != 0)
		return ATTLS_ESYS;
	return 0;
}

void
report_publish(struct conn *c)
{
	struct control_conn cc;

	/* Nobody can ask: spare the system calls. */
	if (!control_reg_active())
		return;
	memset(&cc, 0, sizeof(cc));
	if (report_app_tuple(c, &cc.local, &cc.remote) != 0)
		return;
	cc.connid = c->id;
	cc.q = &c->w->appctl;
	cc.rule = c->rule;
	cc.app_clear = c->app_clear;
	cc.secure = c->hs_ms != 0;
	cc.userid = c->userid;
	cc.ssl = c->tls ? c->tls->ssl : NULL;
	control_reg_publish(&c->reg, &cc);
}

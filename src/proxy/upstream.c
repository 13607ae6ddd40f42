/* SPDX-License-Identifier: Apache-2.0 */
/* Connects to the rule's backend, only after the TLS handshake succeeded, so
 * the backend never sees connections that failed TLS. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/rc.h"
#include "conn.h"
#include "intercept.h"
#include "proxyv2.h"
#include "worker.h"

static void
connect_failed(struct conn *c, int err)
{
	char cause[200], where[80];

	rt_addr_format((const struct sockaddr *)&c->backend->ss, where, sizeof(where));
	snprintf(cause, sizeof(cause), "connecting to backend %s: %s", where, strerror(err));
	conn_finish(c, CONN_END_BACKEND_FAILED,
		    err == ECONNREFUSED ? RC_BACKEND_REFUSED
		    : err == ETIMEDOUT  ? RC_BACKEND_TIMEOUT
					: RC_BACKEND_FAILED,
		    cause);
}

/* A diverted connection's backend is often the very address:port the
 * interception rules divert; the mark lets attlsd's own connection through.
 * preserve_source: the backend sees the client's address, not attlsd's. */
static int
upstream_intercept_opts(struct conn *c)
{
	const union rt_sockaddr *src = NULL;
	char cause[200];
	int r;

	if (!c->intercepted)
		return 0;
	if (c->rule && c->rule->preserve_source && c->remote.sa.sa_family == c->backend->ss.sa.sa_family)
		src = &c->remote;
	if ((r = intercept_upstream_opts(c->be.fd, c->gen->policy->settings.intercept_mark, src)) == 0)
		return 0;
	snprintf(cause, sizeof(cause), "cannot %s the backend connection: %s (attlsd needs "
				       "CAP_NET_ADMIN for interception)",
		 src ? "mark and bind to the client's address" : "mark", strerror(-r));
	conn_finish(c, CONN_END_BACKEND_FAILED, RC_BACKEND_FAILED, cause);
	return ATTLS_ESYS;
}

void
upstream_connect(struct conn *c)
{
	const struct rt_addr *a = c->backend;
	int fd, one = 1;

	conn_set_state(c, CONN_CONNECTING);
	fd = socket(a->ss.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(c, errno);
		return;
	}
	c->be.fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (upstream_intercept_opts(c) != 0)
		return;
	if (uv_poll_init(&c->w->loop, &c->be.poll, fd) != 0) {
		connect_failed(c, EBADF);
		return;
	}
	c->be.poll.data = c;
	c->be.poll_init = true;
	c->open_handles++;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0 && errno != EINPROGRESS) {
		connect_failed(c, errno);
		return;
	}
	/* Published before the backend can accept and ask about it: connect()
	 * has chosen the local port already. */
	report_publish(c);
	/* Even an immediate success is confirmed through writability. */
	conn_arm_timer(c, (uint64_t)c->gen->policy->settings.connect_timeout * 1000);
	conn_update_polls(c);
}

void
upstream_on_connected(struct conn *c)
{
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (getsockopt(c->be.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		connect_failed(c, err);
		return;
	}
	if (c->rule && c->rule->eff.enabled && c->rule->eff.role == POLICY_ROLE_CLIENT &&
	    !c->app_clear) {
		conn_start_client_tls(c);
		return;
	}
	/* The PROXY header goes out first: queued as the backend's pending bytes,
	 * it holds back the client's data until it is written. */
	if (c->rule && c->rule->proxy_protocol == 2 &&
	    (r = proxyv2_build(c, &c->be.out.buf, &c->be.out.len)) != 0) {
		conn_finish(c, CONN_END_INTERNAL, RC_INTERNAL,
			    r == ATTLS_ENOMEM ? "out of memory for the PROXY protocol header"
					      : "the PROXY protocol header does not fit in 16 KiB "
						"(client certificate?)");
		return;
	}
	relay_start(c);
}

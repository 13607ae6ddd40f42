/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's requests: one line parsed, dispatched and answered
 * from the registry, the policy, or (INIT) the connection's worker.
 *
 * Request:  QUERY LOCAL REMOTE [CERT]   (addr:port or [v6]:port, the asking
 *                                        application's own view)
 * Answer:   OK POLICY CONN SECTYPE PROTO CIPHER4 USERID RULE CONNID
 *           then with CERT the peer certificate (PEM), then a line "."
 *           or: ERR ERRNO-NAME text
 * CONNS lists the connections, POLICY prints the effective policy (both for
 * privileged callers only); who may ask what is access.c's.
 * INIT LOCAL REMOTE (TTLS_INIT_CONNECTION, same access rule): the connection
 * starts TLS (appctl.c queues the request for its worker, whose
 * proxy/appctl_conn.c switches it); answered like QUERY once it has, or ERR
 * EACCES (application_controlled Off), EALREADY, ENOTCONN, ECONNRESET. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/escape.h"
#include "control_int.h"

/* The running generation's policy (main thread only: set at start and reload,
 * read here on the same loop). */
static const struct policy *request_policy;

void
control_set_policy(const struct policy *p)
{
	request_policy = p;
}

/* POLICY: the effective policy, as attlsd -T prints it (pasearch -t). */
static char *
request_policy_show(void)
{
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *m;

	if (!request_policy || !(m = open_memstream(&buf, &len)))
		return strdup("ERR EAGAIN no policy\n");
	policy_dump(request_policy, m);
	fclose(m);
	if (asprintf(&out, "OK\n%s.\n", buf ? buf : "") < 0)
		out = NULL;
	free(buf);
	return out;
}

static void
request_conns_line(const struct control_entry *e, void *arg)
{
	FILE *m = arg;
	char l[64], r[64], u[ESCAPE_FIELD];

	policy_addr_format(e->key.laddr, l, sizeof(l));
	policy_addr_format(e->key.raddr, r, sizeof(r));
	fprintf(m, "%08X %-24s %s..%-*u %s..%-*u %3d %4d 0x%04X   %-5s %s\n", e->connid, e->rule, l,
		(int)(45 - strlen(l)), e->key.lport, r, (int)(45 - strlen(r)), e->key.rport,
		e->policy_status, e->conn_status, e->protocol, e->cipher,
		e->userid[0] ? escape_str(e->userid, u, sizeof(u)) : "-");
}

/* CONNS: one line per live connection that reached its backend, like netstat
 * TTLS: the 4-tuple as the backend sees it, rule, status, protocol, cipher. */
static char *
request_conns(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fprintf(m, "OK\n%-8s %-24s %-47s %-47s %s %s %-8s %-5s %s\n", "CONNID", "RULE", "LOCAL",
		"REMOTE", "POL", "CONN", "PROTO", "CIPH", "USERID");
	registry_lock();
	registry_each(request_conns_line, m);
	registry_unlock();
	fprintf(m, ".\n");
	fclose(m);
	return buf;
}

/* The answer to a parsed QUERY, CONNS or POLICY, built under the lock into
 * one malloc'd string. */
static char *
request_answer(const struct control_client *cl, const struct reqparse *rq)
{
	char *out = NULL, *pem = NULL, u[ESCAPE_FIELD];
	struct control_entry *e;
	long pemlen = 0;
	BIO *bio;

	if (rq->cmd == REQ_POLICY)
		return access_may_read_policy(cl) ? request_policy_show()
						  : strdup("ERR EACCES the policy is for root and "
							   "attlsd's user\n");
	if (rq->cmd == REQ_CONNS)
		return access_may_list(cl) ? request_conns()
					   : strdup("ERR EACCES the connection list is for root and "
						    "attlsd's user\n");
	if (!access_may_query(cl, &rq->key))
		return strdup("ERR EACCES the local socket LOCAL REMOTE is not the caller's\n");
	registry_lock();
	if (!(e = registry_find(&rq->key))) {
		registry_unlock();
		return strdup("ERR ENOTCONN attlsd holds no connection with this 4-tuple\n");
	}
	/* The mapped user ID is checked at load; escaped all the same, as in logs. */
	escape_str(e->userid, u, sizeof(u));
	if (rq->cert && e->peer && (bio = BIO_new(BIO_s_mem()))) {
		if (PEM_write_bio_X509(bio, e->peer) == 1)
			pemlen = BIO_get_mem_data(bio, &pem);
		if (pemlen > 0 && (out = malloc(512 + (size_t)pemlen)))
			snprintf(out, 512 + (size_t)pemlen, "OK %d %d %d 0x%04X %s %s %s %08X\n%.*s.\n",
				 e->policy_status, e->conn_status, e->sec_type, e->protocol, e->cipher,
				 u, e->rule, e->connid, (int)pemlen, pem);
		BIO_free(bio);
	}
	if (!out && (out = malloc(512)))
		snprintf(out, 512, "OK %d %d %d 0x%04X %s %s %s %08X\n.\n", e->policy_status,
			 e->conn_status, e->sec_type, e->protocol, e->cipher, u, e->rule, e->connid);
	registry_unlock();
	return out;
}

static char *
request_err(int err, const char *text)
{
	char *out;

	if (asprintf(&out, "ERR %s %s\n",
		     err == EACCES	 ? "EACCES"
		     : err == EALREADY	 ? "EALREADY"
		     : err == ECONNRESET ? "ECONNRESET"
		     : err == EINVAL	 ? "EINVAL"
					 : "ENOTCONN",
		     text) < 0)
		return NULL;
	return out;
}

/* A worker carried INIT out (or could not): the answer is QUERY's, now. */
void
request_init_answered(struct appctl_req *r)
{
	struct control_client *cl = r->client;
	char line[CONTROL_LINE_MAX];
	struct reqparse rq;

	cl->init = NULL;
	if (r->err) {
		control_reply(cl, request_err(r->err, r->text));
		return;
	}
	snprintf(line, sizeof(line), "QUERY %s", r->tuple);
	if (reqparse_line(line, &rq) != 0) {
		control_reply(cl, strdup(rq.error));
		return;
	}
	control_reply(cl, request_answer(cl, &rq));
}

/* INIT LOCAL REMOTE: the registry names the worker that owns the connection;
 * the request goes there and is answered from request_init_answered(). */
static void
request_init(struct control_client *cl, const struct reqparse *rq)
{
	struct appctl_req *req;
	struct control_entry *e;
	int err = 0;
	const char *why = NULL;

	cl->answered = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	if (!access_may_query(cl, &rq->key)) {
		control_reply(cl, request_err(EACCES, "the local socket LOCAL REMOTE is not the "
						      "caller's"));
		return;
	}
	if (!(req = calloc(1, sizeof(*req)))) {
		control_client_end(cl);
		return;
	}
	registry_lock();
	if (!(e = registry_find(&rq->key))) {
		err = ENOTCONN;
		why = "attlsd holds no connection with this 4-tuple";
	} else if (e->policy_status != 5) {
		err = EACCES;
		why = "the connection's policy does not have application_controlled On (z/OS "
		      "JrConnDeniedPolicy)";
	} else if (e->conn_status != 1) {
		err = EALREADY;
		why = "TLS has already started on this connection (z/OS JrAlreadyActive)";
	} else {
		req->q = e->q;
		req->connid = e->connid;
	}
	registry_unlock();
	snprintf(req->tuple, sizeof(req->tuple), "%s", rq->tuple);
	req->client = cl;
	cl->init = req;
	if (!err && appctl_submit(req) != 0) {
		err = ENOTCONN;
		why = "attlsd is stopping";
	}
	if (err) {
		cl->init = NULL;
		free(req);
		control_reply(cl, request_err(err, why));
	}
}

void
request_handle(struct control_client *cl, const char *line)
{
	struct reqparse rq;

	if (reqparse_line(line, &rq) != 0)
		control_reply(cl, strdup(rq.error));
	else if (rq.cmd == REQ_INIT)
		request_init(cl, &rq);
	else
		control_reply(cl, request_answer(cl, &rq));
}

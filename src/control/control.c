/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: a Unix stream socket with one request line per
 * connection, served on the daemon's main loop. Workers publish snapshots of
 * their connections into a mutex-protected hash keyed by the 4-tuple the
 * plaintext application sees, so a query never touches a worker's live
 * connection (a worker owns it, and may free it at any moment).
 *
 * Request:  QUERY LOCAL REMOTE [CERT]   (addr:port or [v6]:port, the asking
 *                                        application's own view)
 * Answer:   OK POLICY CONN SECTYPE PROTO CIPHER4 USERID RULE CONNID
 *           then with CERT the peer certificate (PEM), then a line "."
 *           or: ERR ERRNO-NAME text
 * Access (SO_PEERCRED): root and attlsd's own uid may query any connection
 * and list them (CONNS); another uid only a connection whose local socket
 * (LOCAL -> REMOTE) it owns, else ERR EACCES.
 * INIT LOCAL REMOTE (TTLS_INIT_CONNECTION, same access rule): the connection
 * starts TLS (appctl.c queues the request for its worker, whose
 * proxy/appctl_conn.c switches it); answered like QUERY once it has, or ERR
 * EACCES (application_controlled Off), EALREADY, ENOTCONN, ECONNRESET.
 * The numbers are z/OS's: policy status 1-5, connection status 1-3,
 * security type 0-6, protocol 0x0303/0x0304 (attls-reference.md §7.5). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "appctl.h"
#include "common/log.h"
#include "common/err.h"
#include "common/hash.h"
#include "control.h"
#include "host/owner.h"
#include "tls/tls.h"

#define CONTROL_BUCKETS 4096
#define CONTROL_LINE_MAX 512
#define CONTROL_CLIENT_MS 5000

struct control_key {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
};

struct control_entry {
	struct control_entry *next;
	struct control_key key;
	int policy_status, conn_status, sec_type;
	unsigned protocol, connid;
	char cipher[5];
	char userid[33];
	char rule[64];
	X509 *peer;
	struct appctl_queue *q; /* the connection's worker, for INIT */
};

static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;
static struct control_entry *control_buckets[CONTROL_BUCKETS];
static atomic_bool control_active;

struct control_server {
	uv_pipe_t pipe;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool open;
};

struct control_client {
	uv_pipe_t pipe;
	uv_timer_t timer;
	char line[CONTROL_LINE_MAX];
	size_t len;
	int handles;
	bool answered;
	bool privileged; /* root or attlsd's own uid (SO_PEERCRED) */
	uid_t uid;
	struct appctl_req *init; /* INIT at a worker, not answered yet */
};

static struct control_server control_srv;

/* ---------------------------------------------------------------- registry */

static unsigned
control_hash(const struct control_key *k)
{
	return (unsigned)(hash_bytes(k, sizeof(*k)) % CONTROL_BUCKETS);
}

static int
control_sec_type(const struct policy_rule *r)
{
	if (!r || !r->eff.enabled)
		return 0;
	if (r->eff.role == POLICY_ROLE_CLIENT)
		return 1;
	if (r->eff.role == POLICY_ROLE_SERVER)
		return 2;
	switch (r->eff.client_auth) {
	case POLICY_CA_PASSTHRU:
		return 3;
	case POLICY_CA_FULL:
		return 4;
	case POLICY_CA_SAFCHECK:
		return 6;
	default:
		return 5; /* Required */
	}
}

static void
control_snapshot(const struct control_conn *cc, struct control_entry *e)
{
	const struct policy_rule *r = cc->rule;

	e->connid = cc->connid;
	e->q = cc->q;
	e->policy_status = !r ? 2 : !r->eff.enabled ? 3 : r->eff.app_controlled ? 5 : 4;
	e->conn_status = !r || !r->eff.enabled || cc->app_clear ? 1 : cc->secure ? 3 : 2;
	e->sec_type = control_sec_type(r);
	snprintf(e->rule, sizeof(e->rule), "%s", r ? r->name : "-");
	snprintf(e->userid, sizeof(e->userid), "%s", cc->userid[0] ? cc->userid : "-");
	snprintf(e->cipher, sizeof(e->cipher), "-");
	e->protocol = 0;
	if (cc->ssl && cc->secure) {
		e->protocol = (unsigned)SSL_version(cc->ssl);
		tls_cipher_code(cc->ssl, e->cipher);
		X509_free(e->peer);
		e->peer = SSL_get1_peer_certificate(cc->ssl);
	}
}

static void
control_unlink(struct control_entry *e)
{
	struct control_entry **pp = &control_buckets[control_hash(&e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
}

bool
control_reg_active(void)
{
	return atomic_load(&control_active);
}

void
control_reg_publish(struct control_entry **slot, const struct control_conn *cc)
{
	struct control_entry *e = *slot;
	struct control_key k;
	unsigned h;

	if (!atomic_load(&control_active))
		return;
	memset(&k, 0, sizeof(k));
	rt_addr_key(&cc->local, k.laddr, &k.lport);
	rt_addr_key(&cc->remote, k.raddr, &k.rport);
	if (!e && !(e = *slot = calloc(1, sizeof(*e))))
		return;
	pthread_mutex_lock(&control_lock);
	if (e->key.lport || e->key.rport)
		control_unlink(e);
	e->key = k;
	control_snapshot(cc, e);
	h = control_hash(&k);
	e->next = control_buckets[h];
	control_buckets[h] = e;
	pthread_mutex_unlock(&control_lock);
}

void
control_reg_remove(struct control_entry **slot)
{
	struct control_entry *e = *slot;

	if (!e)
		return;
	pthread_mutex_lock(&control_lock);
	control_unlink(e);
	pthread_mutex_unlock(&control_lock);
	X509_free(e->peer);
	free(e);
	*slot = NULL;
}

/* ---------------------------------------------------------------- requests */

/* "a.b.c.d:port" or "[v6]:port"; an IPv4-mapped IPv6 address is IPv4. */
static int
control_parse_endpoint(const char *s, uint8_t addr[16], uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned char b[16];
	unsigned long p;
	char *end;
	size_t n;

	if (!colon || colon == s)
		return ATTLS_EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return ATTLS_EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || p > 65535)
		return ATTLS_EINVAL;
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, b) == 1) {
		uint32_t a;
		memcpy(&a, b, 4);
		policy_addr_from_v4(a, addr);
		return 0;
	}
	if (inet_pton(AF_INET6, host, addr) == 1)
		return 0;
	return ATTLS_EINVAL;
}

static struct control_entry *
control_find(const struct control_key *k)
{
	struct control_entry *e;

	for (e = control_buckets[control_hash(k)]; e; e = e->next)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

/* The running generation's policy (main thread only: set at start and reload,
 * read here on the same loop). */
static const struct policy *control_policy;

void
control_set_policy(const struct policy *p)
{
	control_policy = p;
}

/* POLICY: the effective policy, as attlsd -T prints it (pasearch -t). */
static char *
control_policy_show(void)
{
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *m;

	if (!control_policy || !(m = open_memstream(&buf, &len)))
		return strdup("ERR EAGAIN no policy\n");
	policy_dump(control_policy, m);
	fclose(m);
	if (asprintf(&out, "OK\n%s.\n", buf ? buf : "") < 0)
		out = NULL;
	free(buf);
	return out;
}

/* CONNS: one line per live connection that reached its backend, like netstat
 * TTLS: the 4-tuple as the backend sees it, rule, status, protocol, cipher. */
static char *
control_conns(void)
{
	char *buf = NULL, l[64], r[64];
	size_t len = 0, i;
	struct control_entry *e;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fprintf(m, "OK\n%-8s %-24s %-47s %-47s %s %s %-8s %-5s %s\n", "CONNID", "RULE", "LOCAL",
		"REMOTE", "POL", "CONN", "PROTO", "CIPH", "USERID");
	pthread_mutex_lock(&control_lock);
	for (i = 0; i < CONTROL_BUCKETS; i++)
		for (e = control_buckets[i]; e; e = e->next) {
			policy_addr_format(e->key.laddr, l, sizeof(l));
			policy_addr_format(e->key.raddr, r, sizeof(r));
			fprintf(m, "%08X %-24s %s..%-*u %s..%-*u %3d %4d 0x%04X   %-5s %s\n", e->connid,
				e->rule, l, (int)(45 - strlen(l)), e->key.lport, r,
				(int)(45 - strlen(r)), e->key.rport, e->policy_status, e->conn_status,
				e->protocol, e->cipher, e->userid[0] ? e->userid : "-");
		}
	pthread_mutex_unlock(&control_lock);
	fprintf(m, ".\n");
	fclose(m);
	return buf;
}

static void
control_sockaddr(const uint8_t addr[16], uint16_t port, union rt_sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(sa, 0, sizeof(*sa));
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		sa->in.sin_family = AF_INET;
		memcpy(&sa->in.sin_addr, addr + 12, 4);
		sa->in.sin_port = htons(port);
	} else {
		sa->in6.sin6_family = AF_INET6;
		memcpy(&sa->in6.sin6_addr, addr, 16);
		sa->in6.sin6_port = htons(port);
	}
}

/* TTLS_QUERY_ONLY is for a program's own connection: an unprivileged caller
 * must own the local socket it names (sock_diag), as on z/OS the ioctl goes
 * on the caller's own socket. Anything else is EACCES, whether or not attlsd
 * holds the connection, so that nobody learns about others' connections. */
static bool
control_may_query(const struct control_client *cl, const struct control_key *k)
{
	union rt_sockaddr l, r;
	unsigned long inode;
	unsigned uid;

	if (cl->privileged)
		return true;
	control_sockaddr(k->laddr, k->lport, &l);
	control_sockaddr(k->raddr, k->rport, &r);
	return owner_socket(&l, &r, &uid, &inode) == 0 && uid == (unsigned)cl->uid;
}

/* The answer, built under the lock into one malloc'd string. */
static char *
control_answer(const struct control_client *cl, const char *line)
{
	char cmd[16], l[80], r[80], flag[16], *out = NULL, *pem = NULL;
	struct control_key k;
	struct control_entry *e;
	long pemlen = 0;
	BIO *bio;
	int n;

	memset(&k, 0, sizeof(k));
	flag[0] = '\0';
	if (strcmp(line, "POLICY") == 0)
		return control_policy_show();
	if (strcmp(line, "CONNS") == 0)
		return cl->privileged ? control_conns()
				      : strdup("ERR EACCES the connection list is for root and "
					       "attlsd's user\n");
	n = sscanf(line, "%15s %79s %79s %15s", cmd, l, r, flag);
	if (n < 3 || strcmp(cmd, "QUERY") != 0 || (n == 4 && strcasecmp(flag, "CERT") != 0))
		return strdup("ERR EINVAL usage: QUERY LOCAL-ADDR:PORT REMOTE-ADDR:PORT [CERT]\n");
	if (control_parse_endpoint(l, k.laddr, &k.lport) != 0 ||
	    control_parse_endpoint(r, k.raddr, &k.rport) != 0)
		return strdup("ERR EINVAL addresses are ADDR:PORT or [ADDR]:PORT\n");
	if (!control_may_query(cl, &k))
		return strdup("ERR EACCES the local socket LOCAL REMOTE is not the caller's\n");
	pthread_mutex_lock(&control_lock);
	if (!(e = control_find(&k))) {
		pthread_mutex_unlock(&control_lock);
		return strdup("ERR ENOTCONN attlsd holds no connection with this 4-tuple\n");
	}
	if (n == 4 && e->peer && (bio = BIO_new(BIO_s_mem()))) {
		if (PEM_write_bio_X509(bio, e->peer) == 1)
			pemlen = BIO_get_mem_data(bio, &pem);
		if (pemlen > 0 && (out = malloc(512 + (size_t)pemlen)))
			snprintf(out, 512 + (size_t)pemlen, "OK %d %d %d 0x%04X %s %s %s %08X\n%.*s.\n",
				 e->policy_status, e->conn_status, e->sec_type, e->protocol, e->cipher,
				 e->userid, e->rule, e->connid, (int)pemlen, pem);
		BIO_free(bio);
	}
	if (!out && (out = malloc(512)))
		snprintf(out, 512, "OK %d %d %d 0x%04X %s %s %s %08X\n.\n", e->policy_status,
			 e->conn_status, e->sec_type, e->protocol, e->cipher, e->userid, e->rule,
			 e->connid);
	pthread_mutex_unlock(&control_lock);
	return out;
}

/* ---------------------------------------------------------------- socket */

static void
control_client_closed(uv_handle_t *h)
{
	struct control_client *cl = h->data;

	if (--cl->handles == 0)
		free(cl);
}

static void
control_client_end(struct control_client *cl)
{
	/* Its INIT may still be at a worker: the answer will find nobody. */
	if (cl->init) {
		cl->init->client = NULL;
		cl->init = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&cl->pipe))
		uv_close((uv_handle_t *)&cl->pipe, control_client_closed);
	if (!uv_is_closing((uv_handle_t *)&cl->timer))
		uv_close((uv_handle_t *)&cl->timer, control_client_closed);
}

static void
control_written(uv_write_t *req, int status)
{
	struct control_client *cl = req->data;

	(void)status;
	free(((char **)(req + 1))[0]);
	free(req);
	control_client_end(cl);
}

static void
control_reply(struct control_client *cl, char *text)
{
	uv_write_t *req;
	uv_buf_t buf;

	cl->answered = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	if (!text || !(req = malloc(sizeof(*req) + sizeof(char *)))) {
		free(text);
		control_client_end(cl);
		return;
	}
	((char **)(req + 1))[0] = text;
	req->data = cl;
	buf = uv_buf_init(text, (unsigned)strlen(text));
	if (uv_write(req, (uv_stream_t *)&cl->pipe, &buf, 1, control_written) != 0) {
		free(text);
		free(req);
		control_client_end(cl);
	}
}

static char *
control_err(int err, const char *text)
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
static void
control_init_answered(struct appctl_req *r)
{
	struct control_client *cl = r->client;
	char line[CONTROL_LINE_MAX];

	cl->init = NULL;
	if (r->err) {
		control_reply(cl, control_err(r->err, r->text));
		return;
	}
	snprintf(line, sizeof(line), "QUERY %s", r->tuple);
	control_reply(cl, control_answer(cl, line));
}

/* INIT LOCAL REMOTE: the registry names the worker that owns the connection;
 * the request goes there and is answered from control_init_answered(). */
static void
control_init(struct control_client *cl, const char *line)
{
	char l[80], r[80], extra[2];
	struct appctl_req *req;
	struct control_entry *e;
	struct control_key k;
	int err = 0;
	const char *why = NULL;

	memset(&k, 0, sizeof(k));
	cl->answered = true;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	if (sscanf(line, "INIT %79s %79s %1s", l, r, extra) != 2 ||
	    control_parse_endpoint(l, k.laddr, &k.lport) != 0 ||
	    control_parse_endpoint(r, k.raddr, &k.rport) != 0) {
		control_reply(cl, control_err(EINVAL, "usage: INIT LOCAL-ADDR:PORT REMOTE-ADDR:PORT"));
		return;
	}
	if (!control_may_query(cl, &k)) {
		control_reply(cl, control_err(EACCES, "the local socket LOCAL REMOTE is not the "
						      "caller's"));
		return;
	}
	if (!(req = calloc(1, sizeof(*req)))) {
		control_client_end(cl);
		return;
	}
	pthread_mutex_lock(&control_lock);
	if (!(e = control_find(&k))) {
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
	pthread_mutex_unlock(&control_lock);
	snprintf(req->tuple, sizeof(req->tuple), "%s %s", l, r);
	req->client = cl;
	cl->init = req;
	if (!err && appctl_submit(req) != 0) {
		err = ENOTCONN;
		why = "attlsd is stopping";
	}
	if (err) {
		cl->init = NULL;
		free(req);
		control_reply(cl, control_err(err, why));
	}
}

static void
control_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct control_client *cl = h->data;

	(void)hint;
	*buf = uv_buf_init(cl->line + cl->len, (unsigned)(sizeof(cl->line) - 1 - cl->len));
}

static void
control_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct control_client *cl = s->data;
	char *nl;

	(void)buf;
	if (cl->answered)
		return;
	if (n < 0) {
		control_client_end(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->line[cl->len] = '\0';
	if ((nl = strchr(cl->line, '\n'))) {
		*nl = '\0';
		if (strncmp(cl->line, "INIT ", 5) == 0)
			control_init(cl, cl->line);
		else
			control_reply(cl, control_answer(cl, cl->line));
	} else if (cl->len >= sizeof(cl->line) - 1) {
		control_reply(cl, strdup("ERR EINVAL request line too long\n"));
	}
}

static void
control_timeout(uv_timer_t *t)
{
	control_client_end(t->data);
}

/* Who is asking: the uid of the process at the other end of the socket. */
static void
control_peer(struct control_client *cl)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	cl->uid = (uid_t)-1; /* unknown: no privilege, owns nothing */
	cl->privileged = false;
	if (uv_fileno((uv_handle_t *)&cl->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		cl->uid = cred.uid;
		cl->privileged = cred.uid == 0 || cred.uid == geteuid();
	}
}

static void
control_on_connection(uv_stream_t *srv, int status)
{
	struct control_client *cl;

	if (status < 0 || !(cl = calloc(1, sizeof(*cl))))
		return;
	uv_pipe_init(srv->loop, &cl->pipe, 0);
	uv_timer_init(srv->loop, &cl->timer);
	cl->pipe.data = cl->timer.data = cl;
	cl->handles = 2;
	if (uv_accept(srv, (uv_stream_t *)&cl->pipe) != 0) {
		control_client_end(cl);
		return;
	}
	control_peer(cl);
	/* A client that never finishes its line must not hold a slot forever. */
	uv_timer_start(&cl->timer, control_timeout, CONTROL_CLIENT_MS, 0);
	uv_read_start((uv_stream_t *)&cl->pipe, control_alloc, control_read);
}

/* A socket file that still answers belongs to a running attlsd: leave it. */
static bool
control_path_live(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return r == 0;
}

void
control_start(uv_loop_t *loop, const struct policy *p)
{
	const char *path = p->settings.control_socket;
	int r;

	if (!path || !path[0] || strcasecmp(path, "off") == 0)
		return;
	if (strlen(path) >= sizeof(control_srv.path)) {
		log_warn("control_socket %s: path too long; no query API", path);
		return;
	}
	if (control_path_live(path)) {
		log_warn("control_socket %s is served by another process; no query API", path);
		return;
	}
	(void)unlink(path);
	snprintf(control_srv.path, sizeof(control_srv.path), "%s", path);
	uv_pipe_init(loop, &control_srv.pipe, 0);
	control_srv.open = true;
	if ((r = uv_pipe_bind(&control_srv.pipe, path)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&control_srv.pipe, 64, control_on_connection)) != 0) {
		log_warn("control_socket %s: %s; no query API", path, uv_strerror(r));
		control_stop();
		return;
	}
	/* Like TTLS_QUERY_ONLY, a query needs no privilege beyond the group. */
	(void)chmod(path, 0660);
	appctl_start(loop, control_init_answered);
	atomic_store(&control_active, true);
	log_info("control socket %s: queries served", path);
}

static void
control_closed(uv_handle_t *h)
{
	(void)h;
}

void
control_stop(void)
{
	if (!control_srv.open)
		return;
	control_srv.open = false;
	atomic_store(&control_active, false);
	appctl_stop();
	uv_close((uv_handle_t *)&control_srv.pipe, control_closed);
	if (control_srv.path[0])
		(void)unlink(control_srv.path);
}

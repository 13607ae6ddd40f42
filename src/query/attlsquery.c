/* SPDX-License-Identifier: Apache-2.0 */
/* libattlsquery: one request line to attlsd's control socket, one answer
 * (src/control/request.c has the protocol). Self-contained: libc only, so that any
 * application can link it. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "attls/attlsquery.h"

#define ATTLSQUERY_TIMEOUT_MS 5000
#define ATTLSQUERY_MAX (16 * 1024 * 1024) /* a policy dump of 10,000 rules fits */

static int
attlsquery_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s->sin6_port));
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int
attlsquery_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Sends 'req' and reads until the closing "." line (or EOF). */
static int
attlsquery_exchange(int fd, const char *req, char **out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;

	*out = NULL;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return -errno;
	if (!(buf = malloc(cap)))
		return -ENOMEM;
	for (;;) {
		if (poll(&pfd, 1, ATTLSQUERY_TIMEOUT_MS) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (len + 1 >= cap) {
			char *nb = cap >= ATTLSQUERY_MAX ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -EPROTO;
			}
			buf = nb;
			cap *= 2;
		}
		if ((n = recv(fd, buf + len, cap - 1 - len, 0)) < 0 && errno != EINTR) {
			free(buf);
			return -errno;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int
attls_control_request(const char *socket_path, const char *request, char **out)
{
	int fd, r;

	*out = NULL;
	if ((fd = attlsquery_connect(socket_path ? socket_path : ATTLS_QUERY_DEFAULT_SOCKET)) < 0)
		return fd;
	r = attlsquery_exchange(fd, request, out);
	close(fd);
	return r;
}

static int
attlsquery_errno(const char *name)
{
	if (strcmp(name, "ENOTCONN") == 0)
		return -ENOTCONN;
	if (strcmp(name, "EINVAL") == 0)
		return -EINVAL;
	if (strcmp(name, "EACCES") == 0)
		return -EACCES;
	if (strcmp(name, "EALREADY") == 0)
		return -EALREADY;
	if (strcmp(name, "ECONNRESET") == 0)
		return -ECONNRESET;
	return -EPROTO;
}

static int
attlsquery_parse(char *ans, int flags, struct attls_query *q)
{
	char name[32], user[33], rule[64], *nl, *end;
	unsigned proto;

	if (strncmp(ans, "ERR ", 4) == 0) {
		if (sscanf(ans + 4, "%31s", name) != 1)
			return -EPROTO;
		return attlsquery_errno(name);
	}
	if (sscanf(ans, "OK %d %d %d %x %4s %32s %63s %x", &q->policy_status, &q->conn_status,
		   &q->sec_type, &proto, q->cipher4, user, rule, &q->connid) != 8)
		return -EPROTO;
	q->protocol = proto;
	snprintf(q->userid, sizeof(q->userid), "%s", strcmp(user, "-") ? user : "");
	snprintf(q->rule, sizeof(q->rule), "%s", strcmp(rule, "-") ? rule : "");
	if (!(flags & ATTLS_QUERY_CERT) || !(nl = strchr(ans, '\n')))
		return 0;
	nl++;
	if (strncmp(nl, "-----BEGIN", 10) != 0)
		return 0;
	/* The certificate runs up to the closing "." line. */
	if (!(end = strstr(nl, "\n.\n")))
		return -EPROTO;
	end[1] = '\0';
	if (!(q->peer_cert_pem = strdup(nl)))
		return -ENOMEM;
	return 0;
}

/* QUERY or INIT: one request, the same answer. */
static int
attlsquery_request(const char *socket_path, const char *verb, const char *local,
		   const char *remote, int flags, struct attls_query *out)
{
	char req[256], *ans = NULL;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if (strlen(local) > 100 || strlen(remote) > 100 || strpbrk(local, " \n") ||
	    strpbrk(remote, " \n"))
		return -EINVAL;
	snprintf(req, sizeof(req), "%s %s %s%s\n", verb, local, remote,
		 flags & ATTLS_QUERY_CERT ? " CERT" : "");
	if ((fd = attlsquery_connect(socket_path ? socket_path : ATTLS_QUERY_DEFAULT_SOCKET)) < 0)
		return fd;
	r = attlsquery_exchange(fd, req, &ans);
	close(fd);
	if (r == 0)
		r = attlsquery_parse(ans, flags, out);
	free(ans);
	if (r != 0)
		attls_query_free(out);
	return r;
}

int
attls_query_str(const char *socket_path, const char *local, const char *remote, int flags,
		struct attls_query *out)
{
	return attlsquery_request(socket_path, "QUERY", local, remote, flags, out);
}

int
attls_init_str(const char *socket_path, const char *local, const char *remote,
	       struct attls_query *out)
{
	struct attls_query q;
	int r = attlsquery_request(socket_path, "INIT", local, remote, 0, out ? out : &q);

	if (!out)
		attls_query_free(&q);
	return r;
}

int
attls_init_tuple(const char *socket_path, const struct sockaddr *local,
		 const struct sockaddr *remote, struct attls_query *out)
{
	char l[80], r[80];
	int e;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((e = attlsquery_format(local, l, sizeof(l))) != 0 ||
	    (e = attlsquery_format(remote, r, sizeof(r))) != 0)
		return e;
	return attls_init_str(socket_path, l, r, out);
}

/* Every byte written before INIT must reach attlsd before INIT does: the
 * socket's send queue (SIOCOUTQ: unsent and unacknowledged bytes) empties
 * only once attlsd's kernel has them, and attlsd reads its socket empty
 * before it starts TLS. */
static int
attlsquery_wait_sent(int fd)
{
	struct timespec pause = { 0, 1000000 };
	int queued, i;

	for (i = 0; i < ATTLSQUERY_TIMEOUT_MS; i++) {
		if (ioctl(fd, SIOCOUTQ, &queued) != 0)
			return -errno;
		if (queued == 0)
			return 0;
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

int
attls_init_fd(const char *socket_path, int fd, struct attls_query *out)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	int e;

	if (out)
		memset(out, 0, sizeof(*out));
	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) != 0)
		return -errno;
	if ((e = attlsquery_wait_sent(fd)) != 0)
		return e;
	return attls_init_tuple(socket_path, (struct sockaddr *)&l, (struct sockaddr *)&r, out);
}

int
attls_query_tuple(const char *socket_path, const struct sockaddr *local,
		  const struct sockaddr *remote, int flags, struct attls_query *out)
{
	char l[80], r[80];
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = attlsquery_format(local, l, sizeof(l))) != 0 ||
	    (e = attlsquery_format(remote, r, sizeof(r))) != 0)
		return e;
	return attls_query_str(socket_path, l, r, flags, out);
}

int
attls_query_fd(const char *socket_path, int fd, int flags, struct attls_query *out)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);

	memset(out, 0, sizeof(*out));
	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) != 0)
		return -errno;
	return attls_query_tuple(socket_path, (struct sockaddr *)&l, (struct sockaddr *)&r, flags,
				 out);
}

void
attls_query_free(struct attls_query *q)
{
	free(q->peer_cert_pem);
	q->peer_cert_pem = NULL;
}

const char *
attls_query_policy_name(int s)
{
	static const char *const n[] = { "?", "Off", "NoPolicy", "NotEnabled", "Enabled",
					 "ApplicationControlled" };
	return s >= 1 && s <= 5 ? n[s] : "?";
}

const char *
attls_query_conn_name(int s)
{
	static const char *const n[] = { "?", "NotSecure", "HandshakeInProgress", "Secure" };
	return s >= 1 && s <= 3 ? n[s] : "?";
}

const char *
attls_query_sec_name(int s)
{
	static const char *const n[] = { "Unknown", "Client", "Server", "ServerWithClientAuth PassThru",
					 "ServerWithClientAuth Full", "ServerWithClientAuth Required",
					 "ServerWithClientAuth SAFCheck" };
	return s >= 0 && s <= 6 ? n[s] : "?";
}

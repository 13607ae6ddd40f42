/* SPDX-License-Identifier: Apache-2.0 */
/* Socket activation (attlsd.socket): a policy listener whose address systemd
 * passed a socket for listens on that socket; attlsd binds the others itself.
 * The passed sockets stay open for attlsd's lifetime, so a reload that names
 * one again (or anew) finds it here. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Built without libsystemd: nothing is ever passed. */
#define SD_LISTEN_FDS_START 3
#define sd_listen_fds(unset_environment) 0
#define sd_is_socket(fd, family, type, listening) 0
#endif

#include "activation.h"
#include "common/err.h"
#include "common/log.h"

struct activation_sock {
	int fd;
	union rt_sockaddr addr;
	bool used;
};

static struct activation_sock *activation_socks;
static unsigned activation_n;

int
activation_load(void)
{
	int n = 0, i, fd;
	socklen_t len;
	char where[80];

	/* Unsets $LISTEN_*: the fds are not for anything attlsd runs. */
	n = sd_listen_fds(1);
	if (n <= 0)
		return 0;
	if (!(activation_socks = calloc((size_t)n, sizeof(*activation_socks))))
		return ATTLS_ENOMEM;
	for (i = 0; i < n; i++) {
		struct activation_sock *s = &activation_socks[activation_n];

		fd = SD_LISTEN_FDS_START + i;
		len = sizeof(s->addr);
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
		    getsockname(fd, &s->addr.sa, &len) != 0 ||
		    (s->addr.sa.sa_family != AF_INET && s->addr.sa.sa_family != AF_INET6)) {
			log_warn("socket activation: descriptor %d is not a listening TCP socket; "
				 "ignored",
				 fd);
			close(fd);
			continue;
		}
		/* Several workers accept on it until EAGAIN: a blocking accept would
		 * hang a worker; the flag is the socket's, shared by every dup. */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
			return ATTLS_ESYS;
		s->fd = fd;
		activation_n++;
		rt_addr_format(&s->addr.sa, where, sizeof(where));
		log_info("socket activation: systemd passed a socket listening on %s", where);
	}
	return 0;
}

static bool
activation_same(const union rt_sockaddr *x, const union rt_sockaddr *y)
{
	if (x->sa.sa_family != y->sa.sa_family)
		return false;
	if (x->sa.sa_family == AF_INET)
		return x->in.sin_port == y->in.sin_port &&
		       x->in.sin_addr.s_addr == y->in.sin_addr.s_addr;
	return x->in6.sin6_port == y->in6.sin6_port && x->in6.sin6_scope_id == y->in6.sin6_scope_id &&
	       memcmp(&x->in6.sin6_addr, &y->in6.sin6_addr, sizeof(x->in6.sin6_addr)) == 0;
}

int
activation_take(const struct rt_addr *a, int *fd)
{
	unsigned i;

	*fd = -1;
	for (i = 0; i < activation_n; i++) {
		if (!activation_same(&activation_socks[i].addr, &a->ss))
			continue;
		if ((*fd = fcntl(activation_socks[i].fd, F_DUPFD_CLOEXEC, 3)) < 0)
			return -errno;
		activation_socks[i].used = true;
		return 1;
	}
	return 0;
}

void
activation_report(void)
{
	unsigned i;
	char where[80];

	for (i = 0; i < activation_n; i++) {
		rt_addr_format(&activation_socks[i].addr.sa, where, sizeof(where));
		if (activation_socks[i].used)
			log_info("listening on %s: the socket systemd passed", where);
		else
			log_warn("socket activation: no listener of the policy is on %s; the socket "
				 "systemd passed stays unused",
				 where);
	}
}

void
activation_close(void)
{
	unsigned i;

	for (i = 0; i < activation_n; i++)
		close(activation_socks[i].fd);
	free(activation_socks);
	activation_socks = NULL;
	activation_n = 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Transparent interception, socket side. nftables diverts connections that
 * were going to an unchanged server (or leaving a local application) to
 * attlsd: redirect rewrites the destination, which conntrack remembers
 * (SO_ORIGINAL_DST); tproxy keeps it, so the accepted socket's own address is
 * the original destination (the listener needs IP_TRANSPARENT). attlsd's own
 * connections carry a firewall mark so that the same rules let them pass. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter_ipv4.h>

#include "policy/policy.h"
#include "intercept.h"

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static int
intercept_transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ? -errno : 0;
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ? -errno : 0;
}

int
intercept_listen_opts(int fd, int family, int mode)
{
	if (mode != POLICY_INTERCEPT_TPROXY)
		return 0;
	return intercept_transparent(fd, family);
}

int
intercept_original_dst(int fd, const union rt_sockaddr *local, union rt_sockaddr *out)
{
	socklen_t len = sizeof(*out);
	int r;

	memset(out, 0, sizeof(*out));
	if (local->sa.sa_family == AF_INET6)
		r = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, out, &len);
	else
		r = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, out, &len);
	if (r != 0)
		return -errno;
	/* Without a NAT entry the kernel hands back our own address: a client
	 * that connected to the interception port directly. Relaying it would
	 * connect attlsd to itself. */
	if (out->sa.sa_family == AF_INET && local->sa.sa_family == AF_INET &&
	    out->in.sin_port == local->in.sin_port &&
	    out->in.sin_addr.s_addr == local->in.sin_addr.s_addr)
		return -ENOENT;
	if (out->sa.sa_family == AF_INET6 && local->sa.sa_family == AF_INET6 &&
	    out->in6.sin6_port == local->in6.sin6_port &&
	    memcmp(&out->in6.sin6_addr, &local->in6.sin6_addr, 16) == 0)
		return -ENOENT;
	return 0;
}

int
intercept_upstream_opts(int fd, unsigned mark, const union rt_sockaddr *source)
{
	union rt_sockaddr src;
	int one = 1, r;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0)
		return -errno;
	if (!source)
		return 0;
	if ((r = intercept_transparent(fd, source->sa.sa_family)) != 0)
		return r;
	/* The port is chosen at connect, per destination: many clients' ports
	 * cannot collide with each other that way. */
	(void)setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	src = *source;
	if (src.sa.sa_family == AF_INET6)
		src.in6.sin6_port = 0;
	else
		src.in.sin_port = 0;
	if (bind(fd, &src.sa, src.sa.sa_family == AF_INET6 ? sizeof(src.in6) : sizeof(src.in)) != 0)
		return -errno;
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Who may ask the control socket about what: the asking process's uid
 * (SO_PEERCRED) decides. Root and attlsd's own uid are privileged: they may
 * query any connection, list them (CONNS) and read the policy (POLICY: key
 * paths, identity maps, addresses are not for every member of the socket's
 * group). Another uid may ask only about a connection whose local socket
 * (LOCAL -> REMOTE) it owns: an ESTABLISHED socket with exactly that 4-tuple
 * (host/owner.h owner_established()), not a listener it bound on the
 * backend's port; anything else is ERR EACCES. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_int.h"
#include "host/owner.h"

/* Who is asking: the uid of the process at the other end of the socket. */
void
access_peer(struct control_client *cl)
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

bool
access_may_list(const struct control_client *cl)
{
	return cl->privileged;
}

bool
access_may_read_policy(const struct control_client *cl)
{
	return cl->privileged;
}

static void
access_sockaddr(const uint8_t addr[16], uint16_t port, union rt_sockaddr *sa)
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
bool
access_may_query(const struct control_client *cl, const struct control_key *k)
{
	union rt_sockaddr l, r;
	unsigned long inode;
	unsigned uid;

	if (cl->privileged)
		return true;
	access_sockaddr(k->laddr, k->lport, &l);
	access_sockaddr(k->raddr, k->rport, &r);
	return owner_established(&l, &r, &uid, &inode) == 0 && uid == (unsigned)cl->uid;
}

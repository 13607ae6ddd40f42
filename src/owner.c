/* SPDX-License-Identifier: Apache-2.0 */
/* The owner of a local TCP socket: /proc/net/tcp{,6} (of attlsd's own network
 * namespace) gives the uid and inode for a 4-tuple, and the process holding
 * that inode among its descriptors gives the name. Used only when a rule names
 * a Jobname or Userid, for outbound connections (the client is local). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "owner.h"

/* /proc/net/tcp prints an address as the 32-bit words of its network-order
 * bytes, each in host order: exactly how they sit in memory. */
static void
hex_addr(const union rt_sockaddr *sa, char *out, size_t len)
{
	const uint32_t *w;
	int i, n;

	if (sa->sa.sa_family == AF_INET) {
		snprintf(out, len, "%08X:%04X", sa->in.sin_addr.s_addr, ntohs(sa->in.sin_port));
		return;
	}
	w = (const uint32_t *)(const void *)&sa->in6.sin6_addr;
	for (i = 0, n = 0; i < 4; i++)
		n += snprintf(out + n, len - (size_t)n, "%08X", w[i]);
	snprintf(out + n, len - (size_t)n, ":%04X", ntohs(sa->in6.sin6_port));
}

static int
find_socket(const union rt_sockaddr *l, const union rt_sockaddr *r, unsigned *uid,
	    unsigned long *inode)
{
	char want_l[64], want_r[64], line[512], sl[16], la[64], ra[64];
	FILE *f = fopen(l->sa.sa_family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", "r");
	int found = -1;

	if (!f)
		return -1;
	hex_addr(l, want_l, sizeof(want_l));
	hex_addr(r, want_r, sizeof(want_r));
	while (found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%15s %63s %63s %*x %*x:%*x %*x:%*x %*x %u %*d %lu", sl, la, ra,
			   uid, inode) == 5 &&
		    strcmp(la, want_l) == 0 && strcmp(ra, want_r) == 0)
			found = 0;
	fclose(f);
	return found;
}

/* The process with "socket:[inode]" among its descriptors. */
static int
find_process(unsigned long inode, char *job, size_t jlen)
{
	char want[64], path[600], link[64];
	struct dirent *p, *fd;
	DIR *procs, *fds;
	int found = -1;
	ssize_t n;
	FILE *f;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if (!(procs = opendir("/proc")))
		return -1;
	while (found && (p = readdir(procs))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(path)))
			continue;
		while (found && (fd = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', strcmp(link, want) == 0))
				found = 0;
		}
		closedir(fds);
		if (found)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(job, (int)jlen, f))
				job[strcspn(job, "\n")] = '\0';
			fclose(f);
		}
	}
	closedir(procs);
	return found;
}

int
owner_lookup(const union rt_sockaddr *local, const union rt_sockaddr *remote, char *user,
	     size_t ulen, char *job, size_t jlen)
{
	struct passwd pw, *res = NULL;
	unsigned long inode = 0;
	unsigned uid = 0;
	char buf[1024];

	user[0] = job[0] = '\0';
	if (find_socket(local, remote, &uid, &inode) != 0)
		return -1;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(user, ulen, "%s", res->pw_name);
	else
		snprintf(user, ulen, "%u", uid);
	if (inode)
		(void)find_process(inode, job, jlen);
	return 0;
}

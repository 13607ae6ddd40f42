/* SPDX-License-Identifier: Apache-2.0 */
/* The owner of a local TCP socket, for the Jobname and Userid conditions and
 * for the query API's access check.
 *
 * The socket: one NETLINK_SOCK_DIAG (inet_diag) request by exact 4-tuple, in
 * attlsd's own network namespace; the kernel answers with the socket's uid
 * and inode. A listener is found the same way: the kernel's own lookup of
 * "a packet to ADDR:PORT" returns the listening socket that would take it,
 * wildcard listeners included.
 *
 * The process: the holder of "socket:[inode]" among /proc/PID/fd. That scan
 * runs on a worker's loop, so it is bounded: a per-thread index of every
 * socket descriptor seen so far (inode -> pid, fd) answers a known socket
 * with one readlink(); the processes that owned recent sockets are tried
 * next; then all processes, resuming where the last scan stopped, for at
 * most OWNER_SCAN_MS. A process not found in time leaves the job name
 * unknown for this connection (a Jobname rule does not match it). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "owner.h"

#define OWNER_INDEX 8192 /* socket inodes remembered per thread (power of 2) */
#define OWNER_HINTS 8     /* recent owning processes tried first */
#define OWNER_SCAN_MS 20

/* Every socket descriptor a scan passes is remembered, so a scan that ran
 * out of time still pays off, and the next lookup resumes after the last
 * process it covered instead of starting over. */
struct owner_cached {
	unsigned long inode;
	int pid, fd;
};

/* Allocated on a thread's first lookup, freed when the thread ends (a static
 * __thread array would take its 200 KB from every thread's stack). */
static pthread_key_t owner_key;
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;
static __thread int owner_hints[OWNER_HINTS];
static __thread unsigned owner_hint_next;
static __thread int owner_resume; /* the scan continues after this pid */
static __thread struct owner_stats owner_st;

/* ------------------------------------------------------------ sock_diag */

static void
owner_diag_addr(const union rt_sockaddr *sa, __be32 out[4], __be16 *port)
{
	memset(out, 0, 16);
	if (sa->sa.sa_family == AF_INET) {
		out[0] = sa->in.sin_addr.s_addr;
		*port = sa->in.sin_port;
	} else {
		memcpy(out, &sa->in6.sin6_addr, 16);
		*port = sa->in6.sin6_port;
	}
}

/* One exact-match request; the kernel looks the socket up as it would for a
 * packet from 'dst' to 'src': established first, then listening. */
static int
owner_diag(const union rt_sockaddr *src, const union rt_sockaddr *dst, unsigned *uid,
	   unsigned long *inode)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} ans;
	struct inet_diag_msg *m;
	struct nlmsghdr *h;
	int fd, r = -ENOENT;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)src->sa.sa_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	owner_diag_addr(src, req.r.id.idiag_src, &req.r.id.idiag_sport);
	if (dst)
		owner_diag_addr(dst, req.r.id.idiag_dst, &req.r.id.idiag_dport);
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		r = -errno;
		goto out;
	}
	while ((n = recv(fd, &ans, sizeof(ans), 0)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		r = -errno;
		goto out;
	}
	for (h = &ans.nlh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			r = e->error ? e->error : -ENOENT;
			break;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		m = NLMSG_DATA(h);
		*uid = m->idiag_uid;
		*inode = m->idiag_inode;
		r = 0;
		break;
	}
out:
	close(fd);
	return r;
}

int
owner_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote, unsigned *uid,
	     unsigned long *inode)
{
	if (local->sa.sa_family != remote->sa.sa_family)
		return -EAFNOSUPPORT;
	return owner_diag(local, remote, uid, inode);
}

int
owner_listener(const union rt_sockaddr *addr, unsigned *uid, unsigned long *inode)
{
	return owner_diag(addr, NULL, uid, inode);
}

/* ------------------------------------------------------------ processes */

static uint64_t
owner_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
owner_key_init(void)
{
	(void)pthread_key_create(&owner_key, free);
}

/* The slot for 'inode' in this thread's index; a scratch slot if there is
 * no memory for the index (the lookup then just remembers nothing). */
static struct owner_cached *
owner_slot(unsigned long inode)
{
	static __thread struct owner_cached scratch;
	struct owner_cached *index;

	pthread_once(&owner_once, owner_key_init);
	if (!(index = pthread_getspecific(owner_key))) {
		if (!(index = calloc(OWNER_INDEX, sizeof(*index))) ||
		    pthread_setspecific(owner_key, index) != 0) {
			free(index);
			scratch.inode = 0;
			return &scratch;
		}
	}
	return &index[(inode * 2654435761u) & (OWNER_INDEX - 1)];
}

/* readlink of /proc/PID/fd/FD: its socket inode, or 0. */
static unsigned long
owner_fd_inode(int pid, const char *fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 8 || strncmp(link, "socket:[", 8) != 0)
		return 0;
	link[n] = '\0';
	return strtoul(link + 8, NULL, 10);
}

/* Scans the descriptors of 'pid', remembering its sockets; returns the fd
 * that is 'inode', or -1. attlsd's own descriptors (thousands of
 * connections) never own the socket asked about; a process with more
 * descriptors than the time allows is left half-read. */
static int
owner_scan_pid(int pid, unsigned long inode, uint64_t deadline)
{
	char path[64];
	struct dirent *d;
	unsigned long ino;
	unsigned n = 0;
	DIR *fds;
	int found = -1, fd;

	if (pid == getpid())
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(fds = opendir(path)))
		return -1;
	owner_st.pids_scanned++;
	while ((d = readdir(fds))) {
		if (++n % 256 == 0 && owner_now_us() > deadline)
			break;
		if (!isdigit((unsigned char)d->d_name[0]) || !(ino = owner_fd_inode(pid, d->d_name)))
			continue;
		fd = atoi(d->d_name);
		*owner_slot(ino) = (struct owner_cached){ .inode = ino, .pid = pid, .fd = fd };
		if (ino == inode)
			found = fd;
	}
	closedir(fds);
	return found;
}

/* All processes from where the last scan stopped, wrapping once, until the
 * socket turns up or the time is up. */
static int
owner_scan_all(unsigned long inode, uint64_t deadline)
{
	struct dirent *p;
	DIR *procs;
	int pass, pid, start = owner_resume;

	for (pass = 0; pass < 2; pass++) {
		if (!(procs = opendir("/proc")))
			return -1;
		while ((p = readdir(procs))) {
			if (!isdigit((unsigned char)p->d_name[0]))
				continue;
			pid = atoi(p->d_name);
			if (pass == 0 ? pid <= start : pid > start)
				continue;
			if (owner_now_us() > deadline) {
				owner_st.timeouts++;
				closedir(procs);
				return -1;
			}
			owner_resume = pid;
			if (owner_scan_pid(pid, inode, deadline) >= 0) {
				closedir(procs);
				return pid;
			}
		}
		closedir(procs);
		if (pass == 0)
			owner_resume = 0;
	}
	return -1;
}

static int
owner_find_pid(unsigned long inode)
{
	struct owner_cached *c = owner_slot(inode);
	uint64_t deadline = owner_now_us() + OWNER_SCAN_MS * 1000u;
	char fdname[16];
	unsigned i;
	int pid = -1;

	if (c->inode == inode) {
		snprintf(fdname, sizeof(fdname), "%d", c->fd);
		if (owner_fd_inode(c->pid, fdname) == inode) {
			owner_st.cache_hits++;
			return c->pid;
		}
		c->inode = 0;
	}
	for (i = 0; i < OWNER_HINTS && pid < 0; i++)
		if (owner_hints[i] > 0 && owner_scan_pid(owner_hints[i], inode, deadline) >= 0)
			pid = owner_hints[i];
	if (pid > 0)
		owner_st.hint_hits++;
	else if ((pid = owner_scan_all(inode, deadline)) > 0)
		owner_st.full_scans++;
	if (pid <= 0)
		return -1;
	for (i = 0; i < OWNER_HINTS && owner_hints[i] != pid; i++)
		;
	if (i == OWNER_HINTS)
		owner_hints[owner_hint_next++ % OWNER_HINTS] = pid;
	return pid;
}

/* The systemd unit from /proc/PID/cgroup text (v2 "0::PATH", or v1
 * "N:name=systemd:PATH"): the innermost path component named *.service or
 * *.scope. */
void
owner_unit_parse(const char *cgroup, char *unit, size_t len)
{
	const char *line, *eol, *cg, *end, *slash;
	size_t n;

	unit[0] = '\0';
	for (line = cgroup; *line; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		if (strncmp(line, "0::", 3) == 0)
			cg = line + 3;
		else if ((cg = strstr(line, ":name=systemd:")) && cg < eol)
			cg += strlen(":name=systemd:");
		else
			continue;
		for (end = eol; end > cg; end = slash) {
			slash = end - 1;
			while (slash > cg && *slash != '/')
				slash--;
			n = (size_t)(end - slash - (*slash == '/'));
			if ((n > 8 && strncmp(end - 8, ".service", 8) == 0) ||
			    (n > 6 && strncmp(end - 6, ".scope", 6) == 0)) {
				snprintf(unit, len, "%.*s", (int)n, end - n);
				return;
			}
		}
	}
}

static void
owner_unit(int pid, char *unit, size_t len)
{
	char path[64], text[4096];
	size_t n;
	FILE *f;

	unit[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "r")))
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	owner_unit_parse(text, unit, len);
}

static void
owner_comm(int pid, char *job, size_t len)
{
	char path[64];
	FILE *f;

	job[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!(f = fopen(path, "r")))
		return;
	if (fgets(job, (int)len, f))
		job[strcspn(job, "\n")] = '\0';
	fclose(f);
}

static int
owner_fill(unsigned uid, unsigned long inode, struct owner *o)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	memset(o, 0, sizeof(*o));
	o->uid = uid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(o->user, sizeof(o->user), "%s", res->pw_name);
	else
		snprintf(o->user, sizeof(o->user), "%u", uid);
	if (inode && (o->pid = owner_find_pid(inode)) > 0) {
		owner_comm(o->pid, o->job, sizeof(o->job));
		owner_unit(o->pid, o->unit, sizeof(o->unit));
	}
	return 0;
}

int
owner_of_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote, struct owner *o)
{
	unsigned long inode = 0;
	unsigned uid = 0;

	if (owner_socket(local, remote, &uid, &inode) != 0)
		return -1;
	return owner_fill(uid, inode, o);
}

int
owner_of_listener(const union rt_sockaddr *addr, struct owner *o)
{
	unsigned long inode = 0;
	unsigned uid = 0;

	if (owner_listener(addr, &uid, &inode) != 0)
		return -1;
	return owner_fill(uid, inode, o);
}

void
owner_stats(struct owner_stats *out)
{
	*out = owner_st;
}

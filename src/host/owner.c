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
 * The process: the holder of "socket:[inode]" among /proc/PID/fd. On a host
 * with thousands of processes that scan takes a few hundred milliseconds, so
 * it never runs on a worker's loop: the loop asks the index (owner_known(),
 * one readlink()) and otherwise hands the socket to owner_search_run() in
 * libuv's threadpool (conn_map.c). A search completes: it passes over all
 * processes (recent owners first) until it finds the holder, looks again
 * while no process holds it (a socket in flight over a unix socket), and
 * stops only at its deadline, when cancelled, or when processes it may not
 * read could be the holder. It never answers "found, name unknown".
 *
 * Every socket descriptor a scan passes is remembered in one index shared by
 * all threads, so that what a threadpool search learned answers the next
 * connection on any worker's loop at once. A mutex guards the index, the
 * hints and the counters; it is held only to copy a slot in or out, never
 * across a system call, so a loop waits at most for another thread's slot
 * copy. Everything else of a search (its position, deadline, counters) is
 * the caller's struct owner_search. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define OWNER_INDEX 32768 /* socket inodes remembered (power of 2; 512 KiB) */
#define OWNER_HINTS 8       /* recent owning processes tried first */
#define OWNER_RETRY_MS 20   /* first pause before looking again; doubles */
#define OWNER_RETRY_MAX_MS 250
#define OWNER_TOOL_TIMEOUT_S 10 /* owner_of_socket/owner_of_listener */

struct owner_cached {
	unsigned long inode;
	int pid, fd;
};

static pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;
static struct owner_cached owner_index[OWNER_INDEX];
static int owner_hints[OWNER_HINTS];
static unsigned owner_hint_next;
static struct owner_stats owner_st;

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

/* With 'exact': whether the kernel's answer is an established socket with
 * the very 4-tuple asked for (its lookup falls back to a listener). */
static bool
owner_diag_exact(const struct inet_diag_msg *m, const struct inet_diag_sockid *asked)
{
	size_t alen = m->idiag_family == AF_INET ? 4 : 16;

	return m->idiag_state == TCP_ESTABLISHED && m->id.idiag_sport == asked->idiag_sport &&
	       m->id.idiag_dport == asked->idiag_dport &&
	       memcmp(m->id.idiag_src, asked->idiag_src, alen) == 0 &&
	       memcmp(m->id.idiag_dst, asked->idiag_dst, alen) == 0;
}

/* One exact-match request; the kernel looks the socket up as it would for a
 * packet from 'dst' to 'src': established first, then listening. 'exact':
 * only an established socket with that 4-tuple counts (-ENOENT otherwise). */
static int
owner_diag(const union rt_sockaddr *src, const union rt_sockaddr *dst, bool exact, unsigned *uid,
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
		if (exact && !owner_diag_exact(m, &req.r.id))
			break;
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
	return owner_diag(local, remote, false, uid, inode);
}

int
owner_established(const union rt_sockaddr *local, const union rt_sockaddr *remote,
		  unsigned *uid, unsigned long *inode)
{
	if (local->sa.sa_family != remote->sa.sa_family)
		return -EAFNOSUPPORT;
	return owner_diag(local, remote, true, uid, inode);
}

int
owner_listener(const union rt_sockaddr *addr, unsigned *uid, unsigned long *inode)
{
	return owner_diag(addr, NULL, false, uid, inode);
}

/* ------------------------------------------------------------ processes */

uint64_t
owner_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The caller holds owner_lock. */
static struct owner_cached *
owner_slot(unsigned long inode)
{
	return &owner_index[(inode * 2654435761u) & (OWNER_INDEX - 1)];
}

static void
owner_remember(unsigned long inode, int pid, int fd)
{
	pthread_mutex_lock(&owner_lock);
	*owner_slot(inode) = (struct owner_cached){ .inode = inode, .pid = pid, .fd = fd };
	pthread_mutex_unlock(&owner_lock);
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

int
owner_known(unsigned long inode)
{
	struct owner_cached c;
	char fdname[16];
	bool ok;

	pthread_mutex_lock(&owner_lock);
	c = *owner_slot(inode);
	pthread_mutex_unlock(&owner_lock);
	if (c.inode != inode || !inode)
		return -ENOENT;
	snprintf(fdname, sizeof(fdname), "%d", c.fd);
	ok = owner_fd_inode(c.pid, fdname) == inode;
	pthread_mutex_lock(&owner_lock);
	if (ok)
		owner_st.cache_hits++;
	/* The process closed it (or is gone): forget it, unless another thread
	 * already put something else in the slot. */
	else if (owner_slot(inode)->inode == inode && owner_slot(inode)->pid == c.pid)
		owner_slot(inode)->inode = 0;
	pthread_mutex_unlock(&owner_lock);
	return ok ? c.pid : -ENOENT;
}

static bool
owner_search_over(struct owner_search *s)
{
	return atomic_load(&s->cancel) || owner_now_us() > s->deadline_us;
}

static int
owner_search_end(struct owner_search *s)
{
	return atomic_load(&s->cancel) ? -ECANCELED : -ETIMEDOUT;
}

/* Errors that say nothing about the process looked at, only that attlsd could
 * not look: a lookup that meets one fails rather than answering "no owner". */
static bool
owner_resource_error(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS || e == EINTR ||
	       e == EAGAIN;
}

/* Scans the descriptors of 'pid', remembering its sockets; returns the fd
 * that is the searched inode, -ENOENT, or a negative errno when attlsd could
 * not look (owner_resource_error). attlsd's own descriptors (thousands of
 * connections) never own the socket asked about. */
static int
owner_scan_pid(struct owner_search *s, int pid)
{
	char path[64];
	struct dirent *d;
	unsigned long ino;
	unsigned n = 0;
	DIR *fds;
	int found = -ENOENT, fd;

	if (pid == getpid())
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(fds = opendir(path))) {
		if (errno == EACCES || errno == EPERM)
			s->denied++;
		/* Out of descriptors or memory: this process may be the holder, so
		 * the search cannot say "no one holds it". */
		else if (owner_resource_error(errno))
			return -errno;
		return -ENOENT;
	}
	s->scanned++;
	while ((d = readdir(fds))) {
		if (++n % 256 == 0 && owner_search_over(s))
			break;
		if (!isdigit((unsigned char)d->d_name[0]) || !(ino = owner_fd_inode(pid, d->d_name)))
			continue;
		fd = atoi(d->d_name);
		owner_remember(ino, pid, fd);
		if (ino == s->inode)
			found = fd;
	}
	closedir(fds);
	return found;
}

/* One pass over every process: its pid, 0 if no process holds the socket, or
 * a negative error. Another search that finds the same socket first (many
 * connections to one new backend) ends this one too, through the index. */
static int
owner_pass(struct owner_search *s)
{
	struct dirent *p;
	DIR *procs;
	int pid, r = -ENOENT;

	if (!(procs = opendir("/proc")))
		return -errno;
	while ((p = readdir(procs))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		if (owner_search_over(s)) {
			closedir(procs);
			return owner_search_end(s);
		}
		if ((pid = owner_known(s->inode)) > 0 ||
		    (r = owner_scan_pid(s, pid = atoi(p->d_name))) >= 0) {
			closedir(procs);
			return pid;
		}
		if (r != -ENOENT) {
			closedir(procs);
			return r;
		}
	}
	closedir(procs);
	return 0;
}

/* Sleeps 'ms' (less if the search ends sooner), checking the cancel flag. */
static void
owner_pause(struct owner_search *s, unsigned ms)
{
	uint64_t until = owner_now_us() + (uint64_t)ms * 1000u, deadline = s->deadline_us;
	struct timespec slice = { 0, 5 * 1000000L };

	if (until > deadline)
		until = deadline;
	while (!atomic_load(&s->cancel) && owner_now_us() < until)
		nanosleep(&slice, NULL);
}

static void
owner_hint(int pid)
{
	unsigned i;

	pthread_mutex_lock(&owner_lock);
	for (i = 0; i < OWNER_HINTS && owner_hints[i] != pid; i++)
		;
	if (i == OWNER_HINTS)
		owner_hints[owner_hint_next++ % OWNER_HINTS] = pid;
	pthread_mutex_unlock(&owner_lock);
}

int
owner_search_run(struct owner_search *s)
{
	int hints[OWNER_HINTS], pid = -1, r;
	unsigned i, pause = OWNER_RETRY_MS;
	uint64_t t;

	s->pid = 0;
	if ((pid = owner_known(s->inode)) > 0)
		goto found;
	pthread_mutex_lock(&owner_lock);
	memcpy(hints, owner_hints, sizeof(hints));
	pthread_mutex_unlock(&owner_lock);
	for (i = 0; i < OWNER_HINTS; i++)
		if (hints[i] > 0 && owner_scan_pid(s, hints[i]) >= 0) {
			pid = hints[i];
			pthread_mutex_lock(&owner_lock);
			owner_st.hint_hits++;
			pthread_mutex_unlock(&owner_lock);
			goto found;
		}
	for (;;) {
		t = owner_now_us();
		if ((r = owner_pass(s)) > 0) {
			pid = r;
			pthread_mutex_lock(&owner_lock);
			owner_st.full_scans++;
			pthread_mutex_unlock(&owner_lock);
			goto found;
		}
		if (r < 0)
			goto fail;
		s->passes++;
		/* Processes attlsd may not look into: another pass sees no more. */
		if (s->denied) {
			r = -EACCES;
			goto fail;
		}
		/* No process holds it right now: it is in flight (passed over a
		 * unix socket) or its holder is between fork and exec; look again. */
		if (owner_search_over(s)) {
			r = owner_search_end(s);
			goto fail;
		}
		/* At least twice what the pass cost: a socket nobody ever takes
		 * keeps a threadpool thread at most a third busy. */
		t = (owner_now_us() - t) / 500;
		owner_pause(s, pause > t ? pause : (unsigned)t);
		pause = pause * 2 > OWNER_RETRY_MAX_MS ? OWNER_RETRY_MAX_MS : pause * 2;
	}
found:
	s->pid = pid;
	owner_hint(pid);
	r = 0;
fail:
	pthread_mutex_lock(&owner_lock);
	owner_st.pids_scanned += s->scanned;
	if (r == -ETIMEDOUT)
		owner_st.timeouts++;
	pthread_mutex_unlock(&owner_lock);
	return r;
}

/* The systemd unit from /proc/PID/cgroup text (v2 "0::PATH", or v1
 * "N:name=systemd:PATH"): the innermost path component named *.service or
 * *.scope, of a system unit only (under /system.slice/). Any user can start a
 * user unit (systemd-run --user) or a scope with any name, so those never
 * count as a Jobname. */
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
		if (strncmp(cg, "/system.slice/", 14) != 0)
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

/* 0, or a negative errno when attlsd could not look (the process being gone
 * is not an error: it owns nothing any more). */
static int
owner_open_error(void)
{
	return owner_resource_error(errno) ? -errno : 0;
}

static int
owner_unit(int pid, char *unit, size_t len)
{
	char path[64], text[4096];
	size_t n;
	FILE *f;

	unit[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "r")))
		return owner_open_error();
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	owner_unit_parse(text, unit, len);
	return 0;
}

static int
owner_comm(int pid, char *job, size_t len)
{
	char path[64];
	FILE *f;

	job[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!(f = fopen(path, "r")))
		return owner_open_error();
	if (fgets(job, (int)len, f))
		job[strcspn(job, "\n")] = '\0';
	fclose(f);
	return 0;
}

int
owner_describe(unsigned uid, int pid, struct owner *o)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	int r;

	memset(o, 0, sizeof(*o));
	o->uid = uid;
	/* An error (not "no such user": that is 0 and NULL) leaves the name
	 * unknown, and a Userid rule must not be passed over for it. */
	if ((r = getpwuid_r(uid, &pw, buf, sizeof(buf), &res)) != 0 && r != ENOENT && r != ESRCH)
		return -r;
	if (res)
		snprintf(o->user, sizeof(o->user), "%s", res->pw_name);
	else
		snprintf(o->user, sizeof(o->user), "%u", uid);
	if ((o->pid = pid > 0 ? pid : 0)) {
		if ((r = owner_comm(pid, o->job, sizeof(o->job))) != 0 ||
		    (r = owner_unit(pid, o->unit, sizeof(o->unit))) != 0)
			return r;
	}
	return 0;
}

/* The blocking lookups, for tools and tests. */
static int
owner_fill(unsigned uid, unsigned long inode, struct owner *o)
{
	struct owner_search s = { .inode = inode };

	s.deadline_us = owner_now_us() + OWNER_TOOL_TIMEOUT_S * 1000000u;
	atomic_init(&s.cancel, false);
	return owner_describe(uid, inode && owner_search_run(&s) == 0 ? s.pid : 0, o);
}

int
owner_of_socket(const union rt_sockaddr *local, const union rt_sockaddr *remote, struct owner *o)
{
	unsigned long inode = 0;
	unsigned uid = 0;
	int r;

	if ((r = owner_socket(local, remote, &uid, &inode)) != 0)
		return r;
	return owner_fill(uid, inode, o);
}

int
owner_of_listener(const union rt_sockaddr *addr, struct owner *o)
{
	unsigned long inode = 0;
	unsigned uid = 0;
	int r;

	if ((r = owner_listener(addr, &uid, &inode)) != 0)
		return r;
	return owner_fill(uid, inode, o);
}

void
owner_stats(struct owner_stats *out)
{
	pthread_mutex_lock(&owner_lock);
	*out = owner_st;
	pthread_mutex_unlock(&owner_lock);
}

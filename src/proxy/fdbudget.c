/* SPDX-License-Identifier: Apache-2.0 */
/* The descriptor budget: raises the soft RLIMIT_NOFILE to the hard limit and
 * clamps max_connections to what that limit can hold, so that a worker runs out
 * of connection slots (RC 5106, logged) before the process runs out of
 * descriptors (EMFILE, where nothing can even be logged per connection). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "fdbudget.h"

/* Per worker: its loop's epoll and eventfd, the spare descriptor of
 * worker.c, a capture file and its key log, the fleet's Redis connection and
 * a few for libuv's own use. */
#define FD_PER_WORKER 8
/* Control socket and its clients, metrics listener and its 16 clients, the
 * event log, syslog, owner lookups in the threadpool (4 threads reading /proc)
 * and a margin for what a reload opens. */
#define FD_GLOBAL 128

static atomic_uint worker_cap = 0; /* 0: not computed (no clamp) */
/* Descriptors open before the first listener: counted once, at start; later
 * the count would include connections. */
static unsigned long start_fds;

unsigned long
fdbudget_raise(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	want = rl.rlim_max;
	/* An unlimited hard limit is not a value setrlimit accepts for NOFILE:
	 * the kernel caps it at fs.nr_open. */
	if (want == RLIM_INFINITY)
		want = 1048576;
	if (rl.rlim_cur >= want)
		return (unsigned long)rl.rlim_cur;
	{
		struct rlimit nrl = { want, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &nrl) != 0) {
			log_warn("cannot raise the descriptor limit (RLIMIT_NOFILE) from %llu to "
				 "%llu: %s",
				 (unsigned long long)rl.rlim_cur, (unsigned long long)want,
				 strerror(errno));
			return (unsigned long)rl.rlim_cur;
		}
	}
	log_info("descriptor limit (RLIMIT_NOFILE) raised from %llu to the hard limit %llu",
		 (unsigned long long)rl.rlim_cur, (unsigned long long)want);
	return (unsigned long)want;
}

unsigned long
fdbudget_reserve(unsigned long base, unsigned nworkers, size_t nlisteners)
{
	return base + FD_GLOBAL + (unsigned long)nworkers * (FD_PER_WORKER + 2 * nlisteners);
}

unsigned
fdbudget_conns(unsigned long limit, unsigned long reserve, unsigned nworkers)
{
	unsigned long n;

	if (!nworkers || limit <= reserve)
		return 1;
	n = (limit - reserve) / FDBUDGET_PER_CONN / nworkers;
	if (n > 1000000)
		n = 1000000;
	return n ? (unsigned)n : 1;
}

/* Descriptors this process has open now. */
static unsigned long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned long n = 0;

	if (!d)
		return 32;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0; /* not the directory's own */
}

void
fdbudget_apply(const struct policy *p, unsigned nworkers)
{
	struct rlimit rl = { 1024, 1024 };
	unsigned long reserve;
	unsigned cap;

	(void)getrlimit(RLIMIT_NOFILE, &rl);
	if (!start_fds)
		start_fds = open_fds();
	reserve = fdbudget_reserve(start_fds, nworkers, p->nlisteners);
	cap = fdbudget_conns((unsigned long)rl.rlim_cur, reserve, nworkers);
	atomic_store(&worker_cap, cap);
	if (cap >= p->settings.max_connections)
		return;
	log_warn("max_connections %u per worker is clamped to %u: the descriptor limit "
		 "(RLIMIT_NOFILE) of %llu holds %u connections of %d descriptors for each of %u "
		 "workers after %lu reserved; raise the hard limit (systemd: LimitNOFILE=) to "
		 "allow more",
		 p->settings.max_connections, cap, (unsigned long long)rl.rlim_cur, cap,
		 FDBUDGET_PER_CONN, nworkers, reserve);
}

unsigned
fdbudget_max_connections(const struct policy_settings *s)
{
	unsigned cap = atomic_load(&worker_cap);

	return cap && cap < s->max_connections ? cap : s->max_connections;
}

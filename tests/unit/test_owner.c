/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of owner.c: the systemd unit from cgroup text, and sock_diag and
 * the /proc scan on real sockets - one made here, and one held by a child
 * process with a known name (the scan never reports attlsd's own process). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/owner.h"

static void
unit_of(const char *text, const char *want)
{
	char unit[64];

	owner_unit_parse(text, unit, sizeof(unit));
	assert_string_equal(unit, want);
}

static void
test_unit_parse(void **state)
{
	(void)state;
	unit_of("0::/system.slice/gateway.service\n", "gateway.service");
	/* A service's own sub-cgroup: the service, not the leaf. */
	unit_of("0::/system.slice/gateway.service/payload\n", "gateway.service");
	/* System units only: a user unit or session scope is named by whoever
	 * started it (systemd-run --user --unit=gateway). */
	unit_of("0::/user.slice/user-0.slice/session-3.scope\n", "");
	unit_of("0::/user.slice/user-1000.slice/user@1000.service/app.slice/gateway.service\n", "");
	unit_of("0::/attls-t34.slice/gateway.service\n", "");
	unit_of("0::/system.slice/system-getty.slice/getty@tty1.service\n", "getty@tty1.service");
	unit_of("12:pids:/x\n1:name=systemd:/system.slice/cron.service\n0::/\n", "cron.service");
	unit_of("0::/\n", "");
	unit_of("0::/system.slice/.service\n", "");
	unit_of("0::/system.slice/gateway.services\n", "");
	unit_of("4:memory:/a.service\n", ""); /* not the systemd hierarchy */
	unit_of("", "");
}

static int
listener(union rt_sockaddr *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, &a->sa, sizeof(a->in)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, &a->sa, &len), 0);
	return fd;
}

static void
test_sock_diag(void **state)
{
	union rt_sockaddr la, l, r, any;
	unsigned long inode;
	unsigned uid;
	struct stat st;
	socklen_t len = sizeof(l);
	int lfd = listener(&la), cfd = socket(AF_INET, SOCK_STREAM, 0), afd;

	(void)state;
	assert_int_equal(owner_listener(&la, &uid, &inode), 0);
	assert_int_equal(fstat(lfd, &st), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(inode, st.st_ino);
	/* A wildcard address finds nothing on a port nobody listens on... */
	any = la;
	any.in.sin_port = 0;
	assert_int_not_equal(owner_listener(&any, &uid, &inode), 0);
	/* ...and the connected socket by its exact 4-tuple. */
	assert_int_equal(connect(cfd, &la.sa, sizeof(la.in)), 0);
	assert_true((afd = accept(lfd, NULL, NULL)) >= 0);
	assert_int_equal(getsockname(cfd, &l.sa, &len), 0);
	r = la;
	assert_int_equal(owner_socket(&l, &r, &uid, &inode), 0);
	assert_int_equal(fstat(cfd, &st), 0);
	assert_int_equal(inode, st.st_ino);
	/* The accepted end is the reverse tuple, a different socket. */
	assert_int_equal(owner_socket(&r, &l, &uid, &inode), 0);
	assert_int_equal(fstat(afd, &st), 0);
	assert_int_equal(inode, st.st_ino);
	close(afd);
	close(cfd);
	close(lfd);
}

/* IPv6: a listener on [::1], and a dual-stack one found by its IPv4 address. */
static void
test_sock_diag_v6(void **state)
{
	union rt_sockaddr a, v4;
	socklen_t len = sizeof(a);
	unsigned long inode;
	unsigned uid;
	struct stat st;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), off = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_addr = in6addr_any;
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
	    bind(fd, &a.sa, sizeof(a.in6)) != 0 || listen(fd, 4) != 0) {
		if (fd >= 0)
			close(fd);
		skip(); /* no IPv6 here */
	}
	assert_int_equal(getsockname(fd, &a.sa, &len), 0);
	assert_int_equal(fstat(fd, &st), 0);
	a.in6.sin6_addr = in6addr_loopback;
	assert_int_equal(owner_listener(&a, &uid, &inode), 0);
	assert_int_equal(inode, st.st_ino);
	memset(&v4, 0, sizeof(v4));
	v4.in.sin_family = AF_INET;
	v4.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v4.in.sin_port = a.in6.sin6_port;
	assert_int_equal(owner_listener(&v4, &uid, &inode), 0);
	assert_int_equal(inode, st.st_ino);
	close(fd);
}

static void
test_process(void **state)
{
	union rt_sockaddr la;
	struct owner o;
	int pfd[2], lfd;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_NAME, "owner-child");
		lfd = listener(&la);
		if (write(pfd[1], &la, sizeof(la)) != sizeof(la))
			_exit(1);
		pause(); /* holds the listener until killed */
		_exit(lfd >= 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(read(pfd[0], &la, sizeof(la)), sizeof(la));
	assert_int_equal(owner_of_listener(&la, &o), 0);
	assert_int_equal(o.pid, pid);
	assert_string_equal(o.job, "owner-child");
	assert_int_equal(o.uid, getuid());
	/* Again: from the index, the same answer. */
	assert_int_equal(owner_of_listener(&la, &o), 0);
	assert_int_equal(o.pid, pid);
	close(pfd[1]);
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* No such socket: the tools' lookups say so with -ENOENT, the errno of the
 * lookup itself, as owner_socket() does; not a bare -1. */
static void
test_of_missing_socket(void **state)
{
	union rt_sockaddr la, peer;
	struct owner o;
	int lfd = listener(&la);

	(void)state;
	assert_int_equal(owner_of_listener(&la, &o), 0);
	close(lfd); /* no connection came: the port is free at once, no TIME_WAIT */
	assert_int_equal(owner_of_listener(&la, &o), -ENOENT);
	peer = la;
	peer.in.sin_port = htons(1);
	assert_int_equal(owner_of_socket(&la, &peer, &o), -ENOENT);
}

/* A listener that no process holds: in flight over a unix socket, as
 * between a server's supervisor and its worker. A search keeps looking until
 * its deadline; once the child takes the descriptor, it finds the child. */
/* Cancels the search once it has passed over /proc twice (or ended). */
static void *
cancel_after_two_passes(void *arg)
{
	struct owner_search *s = arg;
	struct timespec slice = { 0, 2 * 1000000L };

	while (atomic_load(&s->passes) < 2 && !atomic_load(&s->cancel))
		nanosleep(&slice, NULL);
	atomic_store(&s->cancel, true);
	return NULL;
}

static void
test_search_in_flight(void **state)
{
	union rt_sockaddr la;
	struct owner_search s;
	unsigned long inode;
	unsigned uid;
	int pfd[2], go[2], sp[2], lfd, r;
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	pthread_t watcher;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(go), 0);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_NAME, "owner-flight");
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
			_exit(1);
		lfd = listener(&la);
		memset(cbuf, 0, sizeof(cbuf));
		CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &lfd, sizeof(int));
		if (sendmsg(sp[0], &m, 0) != 1)
			_exit(1);
		close(lfd);
		close(sp[0]); /* only the message holds the listener now */
		if (write(pfd[1], &la, sizeof(la)) != sizeof(la) || read(go[0], &c, 1) != 1)
			_exit(1);
		if (recvmsg(sp[1], &m, 0) != 1)
			_exit(1);
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(pfd[0], &la, sizeof(la)), sizeof(la));
	assert_int_equal(owner_listener(&la, &uid, &inode), 0);
	memset(&s, 0, sizeof(s));
	s.inode = inode;
	/* It must look again: a watcher cancels it once a second pass is done,
	 * however long a pass takes (valgrind, a loaded machine). The deadline
	 * only bounds a search that never passes twice. */
	s.deadline_us = owner_now_us() + 60000000;
	atomic_init(&s.cancel, false);
	atomic_init(&s.passes, 0);
	assert_int_equal(pthread_create(&watcher, NULL, cancel_after_two_passes, &s), 0);
	r = owner_search_run(&s);
	atomic_store(&s.cancel, true);
	assert_int_equal(pthread_join(watcher, NULL), 0);
	assert_int_equal(s.pid, 0);
	if (r == -EACCES && getuid() != 0) {
		/* Not root: other users' processes cannot be read, the search says so. */
		assert_true(s.denied > 0);
	} else {
		assert_int_equal(r, -ECANCELED);
		assert_true(atomic_load(&s.passes) >= 2); /* it looked again */
	}
	assert_int_equal(write(go[1], &c, 1), 1);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	memset(&s, 0, sizeof(s));
	s.inode = inode;
	s.deadline_us = owner_now_us() + 10000000;
	atomic_init(&s.cancel, false);
	assert_int_equal(owner_search_run(&s), 0);
	assert_int_equal(s.pid, pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	close(go[0]);
	close(go[1]);
}

static void
test_search_cancel(void **state)
{
	struct owner_search s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.inode = 1; /* no socket has inode 1 */
	s.deadline_us = owner_now_us() + 60000000;
	atomic_init(&s.cancel, true);
	assert_int_equal(owner_search_run(&s), -ECANCELED);
}

/* Several threads search for one socket at once (many connections to a new
 * backend): all find it, through one shared index. */
struct search_arg {
	unsigned long inode;
	int pid, r;
};

static void *
search_thread(void *p)
{
	struct search_arg *a = p;
	struct owner_search s;

	memset(&s, 0, sizeof(s));
	s.inode = a->inode;
	s.deadline_us = owner_now_us() + 10000000;
	atomic_init(&s.cancel, false);
	a->r = owner_search_run(&s);
	a->pid = s.pid;
	return NULL;
}

static void
test_search_threads(void **state)
{
	struct search_arg args[4];
	pthread_t th[4];
	union rt_sockaddr la;
	unsigned long inode;
	unsigned uid;
	int pfd[2], i;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_NAME, "owner-shared");
		listener(&la);
		if (write(pfd[1], &la, sizeof(la)) != sizeof(la))
			_exit(1);
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(pfd[0], &la, sizeof(la)), sizeof(la));
	assert_int_equal(owner_listener(&la, &uid, &inode), 0);
	for (i = 0; i < 4; i++) {
		args[i] = (struct search_arg){ .inode = inode };
		assert_int_equal(pthread_create(&th[i], NULL, search_thread, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].r, 0);
		assert_int_equal(args[i].pid, pid);
	}
	/* And the loop's fast path knows it now. */
	assert_int_equal(owner_known(inode), pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_parse),
		cmocka_unit_test(test_sock_diag),
		cmocka_unit_test(test_sock_diag_v6),
		cmocka_unit_test(test_of_missing_socket),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_search_in_flight),
		cmocka_unit_test(test_search_cancel),
		cmocka_unit_test(test_search_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

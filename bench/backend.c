/* SPDX-License-Identifier: Apache-2.0 */
/* bench/backend.c: a fast plaintext backend for the attls benchmark.
 *
 * One thread, one epoll loop, level-triggered. Every connection starts in HTTP
 * mode; the first bytes decide what it becomes:
 *
 *   "GET ..."          HTTP/1.1 keep-alive responder: each request (ended by an
 *                      empty line) gets "200 OK" with a 13-byte body. A request
 *                      carrying "Connection: close" gets "Connection: close" in
 *                      the response and the connection is closed after it.
 *                      Pipelined requests are answered in order.
 *   "BULK-DOWN\n"      source: the backend writes bytes until the peer goes away.
 *   "BULK-UP\n"        sink: the backend reads and discards until EOF.
 *
 * Usage: backend [-a 127.0.0.1] -p PORT [-q]
 * SIGTERM/SIGINT: prints a one-line summary on stderr and exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define INBUF 4096
#define BULKBUF (256 * 1024)

enum mode { M_HTTP, M_DOWN, M_UP };

struct conn {
	int fd;
	enum mode mode;
	uint32_t events;   /* current epoll interest */
	bool close_after;  /* close once 'out' has drained */
	bool served;       /* answered a request: no longer eligible for bulk */
	size_t inlen;
	char in[INBUF];
	size_t outlen, outoff;
	char out[1024];
};

static volatile sig_atomic_t stop_flag;
static int epfd;
static uint64_t n_accepted, n_requests, bytes_down, bytes_up;
static char *bulkbuf;

static const char RESP_KA[] = "HTTP/1.1 200 OK\r\n"
			      "Content-Type: text/plain\r\n"
			      "Content-Length: 13\r\n"
			      "\r\n"
			      "Hello, world\n";
static const char RESP_CLOSE[] = "HTTP/1.1 200 OK\r\n"
				 "Content-Type: text/plain\r\n"
				 "Content-Length: 13\r\n"
				 "Connection: close\r\n"
				 "\r\n"
				 "Hello, world\n";

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void set_events(struct conn *c, uint32_t ev)
{
	if (c->events == ev)
		return;
	struct epoll_event e = {.events = ev, .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* Case-insensitive search for "connection:" header with a "close" token, within
 * the header block [p, p+n). */
static bool wants_close(const char *p, size_t n)
{
	static const char hdr[] = "\nconnection:";
	const size_t hl = sizeof(hdr) - 1;
	for (size_t i = 0; i + hl <= n; i++) {
		if (strncasecmp(p + i, hdr, hl) != 0)
			continue;
		size_t j = i + hl;
		while (j < n && p[j] != '\r' && p[j] != '\n') {
			if (j + 5 <= n && strncasecmp(p + j, "close", 5) == 0)
				return true;
			j++;
		}
	}
	return false;
}

static bool out_append(struct conn *c, const char *s, size_t n)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n > sizeof(c->out)) {
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		if (c->outlen + n > sizeof(c->out))
			return false;
	}
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
	return true;
}

/* Returns false when the connection must be closed now. */
static bool flush_out(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			if (errno == EINTR)
				continue;
			return false;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	if (c->close_after)
		return false; /* the caller closes: FIN after the response */
	return true;
}

/* Parses complete requests in c->in; queues responses. Returns false on error. */
static bool http_parse(struct conn *c)
{
	size_t off = 0;
	while (!c->close_after && off < c->inlen) {
		const char *start = c->in + off;
		size_t avail = c->inlen - off;
		if (off == 0 && !c->served) {
			if (avail >= 9 && memcmp(start, "BULK-DOWN", 9) == 0) {
				c->mode = M_DOWN;
				c->inlen = 0;
				return true;
			}
			if (avail >= 7 && memcmp(start, "BULK-UP", 7) == 0) {
				c->mode = M_UP;
				c->inlen = 0;
				return true;
			}
		}
		const char *end = memmem(start, avail, "\r\n\r\n", 4);
		if (!end)
			break;
		size_t hlen = (size_t)(end - start) + 4;
		bool cl = wants_close(start, hlen);
		n_requests++;
		c->served = true;
		if (cl) {
			c->close_after = true;
			if (!out_append(c, RESP_CLOSE, sizeof(RESP_CLOSE) - 1))
				return false;
		} else if (!out_append(c, RESP_KA, sizeof(RESP_KA) - 1)) {
			return false;
		}
		off += hlen;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	if (c->inlen == sizeof(c->in))
		return false; /* header too large */
	return true;
}

/* Returns false when the connection must be closed. */
static bool on_readable(struct conn *c)
{
	if (c->mode == M_UP) {
		for (int i = 0; i < 16; i++) {
			ssize_t r = recv(c->fd, bulkbuf, BULKBUF, 0);
			if (r > 0) {
				bytes_up += (uint64_t)r;
				continue;
			}
			if (r == 0)
				return false;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			if (errno == EINTR)
				continue;
			return false;
		}
		return true;
	}
	if (c->mode == M_DOWN) {
		/* Source mode: discard anything the peer sends; EOF ends it. */
		char tmp[4096];
		ssize_t r = recv(c->fd, tmp, sizeof(tmp), 0);
		if (r == 0)
			return false;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return false;
		return true;
	}
	/* One recv per wakeup (level-triggered): requests are small, and the first
	 * line may switch the connection to a bulk mode. */
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (r == 0)
			return false;
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			if (errno == EINTR)
				continue;
			return false;
		}
		c->inlen += (size_t)r;
		break;
	}
	if (!http_parse(c))
		return false;
	if (c->mode == M_DOWN) {
		set_events(c, EPOLLIN | EPOLLOUT);
		return true;
	}
	if (c->mode == M_UP)
		return true;
	if (!flush_out(c))
		return false;
	set_events(c, c->outlen > c->outoff ? EPOLLOUT : EPOLLIN);
	return true;
}

static bool on_writable(struct conn *c)
{
	if (c->mode == M_DOWN) {
		for (int i = 0; i < 16; i++) {
			ssize_t w = send(c->fd, bulkbuf, BULKBUF, MSG_NOSIGNAL);
			if (w > 0) {
				bytes_down += (uint64_t)w;
				continue;
			}
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return true;
			if (w < 0 && errno == EINTR)
				continue;
			return false;
		}
		return true;
	}
	if (!flush_out(c))
		return false;
	if (c->outlen == c->outoff) {
		set_events(c, EPOLLIN);
		/* Requests may have queued while we waited to write. */
		if (c->inlen > 0) {
			if (!http_parse(c) || !flush_out(c))
				return false;
			set_events(c, c->outlen > c->outoff ? EPOLLOUT : EPOLLIN);
		}
	}
	return true;
}

static int listen_on(const char *addr, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 65535) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: backend [-a ADDR] -p PORT [-q]\n"
			"  HTTP/1.1 keep-alive responder; first line BULK-DOWN / BULK-UP\n"
			"  switches a connection to source / sink mode.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 0, opt;
	bool quiet = false;
	while ((opt = getopt(argc, argv, "a:p:qh")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'q': quiet = true; break;
		default: usage();
		}
	}
	if (port <= 0 || port > 65535)
		usage();

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	bulkbuf = malloc(BULKBUF);
	if (!bulkbuf)
		return 1;
	memset(bulkbuf, 'x', BULKBUF);

	int lfd = listen_on(addr, port);
	if (lfd < 0) {
		fprintf(stderr, "backend: listen %s:%d: %s\n", addr, port, strerror(errno));
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &le);
	if (!quiet)
		fprintf(stderr, "backend: listening on %s:%d\n", addr, port);

	struct epoll_event evs[256];
	while (!stop_flag) {
		int n = epoll_wait(epfd, evs, 256, 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				for (;;) {
					int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					int one = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					struct conn *nc = malloc(sizeof(*nc));
					if (!nc) {
						close(fd);
						continue;
					}
					nc->fd = fd;
					nc->mode = M_HTTP;
					nc->events = EPOLLIN;
					nc->close_after = false;
					nc->served = false;
					nc->inlen = nc->outlen = nc->outoff = 0;
					struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
					if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
						close(fd);
						free(nc);
						continue;
					}
					n_accepted++;
				}
				continue;
			}
			uint32_t ev = evs[i].events;
			bool ok = true;
			if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
				ok = on_readable(c);
			if (ok && (ev & EPOLLOUT))
				ok = on_writable(c);
			if (!ok)
				conn_close(c);
		}
	}
	fprintf(stderr,
		"backend: accepted=%llu requests=%llu bytes_down=%llu bytes_up=%llu\n",
		(unsigned long long)n_accepted, (unsigned long long)n_requests,
		(unsigned long long)bytes_down, (unsigned long long)bytes_up);
	return 0;
}

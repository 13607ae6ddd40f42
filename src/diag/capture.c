/* SPDX-License-Identifier: Apache-2.0 */
/* Handshake capture into pcap files. Bytes are taken at the socket BIO, so they
 * are exactly what went over the wire (ciphertext once encrypted); the TCP/IP
 * headers are synthetic (a SYN, SYN-ACK, ACK opening, then one segment per read
 * or write) because the kernel's packets are not visible to a proxy. The worker
 * loop records and names the file; capwriter.c's thread writes it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <pcap/pcap.h>

#include "common/err.h"
#include "common/log.h"
#include "runtime/runtime.h"
#include "capture.h"
#include "capture_int.h"
#include "capwriter.h"

/* One read or write: direction, time, length, then the bytes. */
struct cap_seg {
	uint8_t out; /* 1: we sent it */
	uint32_t len;
	struct timeval tv;
};

static int cap_index = -1;
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void
cap_index_init(void)
{
	cap_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* The buffer grows as bytes come, doubling from 4 KiB up to cap->max: a peer
 * that connects and sends a few bytes costs a few KiB, not capture_max_bytes
 * (up to 16 MiB) before it is even authenticated. False: out of memory. */
#define CAP_FIRST_ALLOC 4096

static bool
cap_grow(struct capture *cap, size_t need)
{
	size_t n = cap->alloc ? cap->alloc : CAP_FIRST_ALLOC;
	unsigned char *b;

	if (need <= cap->alloc)
		return true;
	while (n < need)
		n *= 2;
	if (n > cap->max)
		n = cap->max;
	if (!(b = realloc(cap->buf, n)))
		return false;
	cap->buf = b;
	cap->alloc = n;
	return true;
}

static void
cap_record(struct capture *cap, int out, const void *data, size_t n)
{
	struct cap_seg s = { (uint8_t)out, (uint32_t)n, { 0, 0 } };

	if (cap->full || !n)
		return;
	if (cap->len + sizeof(s) + n > cap->max || !cap_grow(cap, cap->len + sizeof(s) + n)) {
		cap->full = true; /* a cut segment would mislead the dissector */
		return;
	}
	gettimeofday(&s.tv, NULL);
	memcpy(cap->buf + cap->len, &s, sizeof(s));
	memcpy(cap->buf + cap->len + sizeof(s), data, n);
	cap->len += sizeof(s) + n;
}

static long
cap_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
	   size_t *processed)
{
	struct capture *cap = (struct capture *)BIO_get_callback_arg(b);

	(void)len;
	(void)argi;
	(void)argl;
	if (!cap || cap->stopped || ret <= 0 || !processed)
		return ret;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN))
		cap_record(cap, 0, argp, *processed);
	else if (oper == (BIO_CB_WRITE | BIO_CB_RETURN))
		cap_record(cap, 1, argp, *processed);
	return ret;
}

struct capture *
capture_start(SSL *ssl, int fd, uint32_t connid, size_t max_bytes, bool key_log)
{
	struct capture *cap = calloc(1, sizeof(*cap));
	socklen_t sl;

	if (!cap)
		goto fail;
	cap->ssl = ssl;
	cap->connid = connid;
	cap->max = max_bytes;
	gettimeofday(&cap->start, NULL);
	sl = sizeof(cap->us);
	if (getsockname(fd, &cap->us.sa, &sl) != 0)
		goto fail;
	sl = sizeof(cap->peer);
	if (getpeername(fd, &cap->peer.sa, &sl) != 0)
		goto fail;
	cap->bio = SSL_get_rbio(ssl);
	BIO_set_callback_arg(cap->bio, (char *)cap);
	BIO_set_callback_ex(cap->bio, cap_bio_cb);
	if (key_log) {
		pthread_once(&cap_once, cap_index_init);
		SSL_set_ex_data(ssl, cap_index, cap);
	}
	return cap;
fail:
	if (cap)
		free(cap->buf);
	free(cap);
	return NULL;
}

void
capture_stop(struct capture *cap)
{
	if (!cap || cap->stopped)
		return;
	cap->stopped = true;
	BIO_set_callback_ex(cap->bio, NULL);
	BIO_set_callback_arg(cap->bio, NULL);
	if (cap_index >= 0)
		SSL_set_ex_data(cap->ssl, cap_index, NULL);
}

void
capture_free(struct capture *cap)
{
	if (!cap)
		return;
	capture_stop(cap);
	free(cap->buf);
	free(cap->keys);
	free(cap->dir);
	free(cap);
}

void
capture_keylog_cb(const SSL *ssl, const char *line)
{
	struct capture *cap = cap_index >= 0 ? SSL_get_ex_data(ssl, cap_index) : NULL;
	size_t n = strlen(line);
	char *k;

	if (!cap || !(k = realloc(cap->keys, cap->keys_len + n + 2)))
		return;
	cap->keys = k;
	memcpy(k + cap->keys_len, line, n);
	k[cap->keys_len + n] = '\n';
	cap->keys_len += n + 1;
	k[cap->keys_len] = '\0';
}

/* ---- synthetic framing ---- */

static uint32_t
csum_add(uint32_t sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The IP header for 'src' -> 'dst' carrying 'tcplen' bytes; returns its size
 * and the pseudo-header sum for the TCP checksum. */
static size_t
ip_header(unsigned char *p, const union rt_sockaddr *src, const union rt_sockaddr *dst,
	  size_t tcplen, uint32_t *pseudo)
{
	if (src->sa.sa_family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, (unsigned)(20 + tcplen));
		p[8] = 64;
		p[9] = IPPROTO_TCP;
		memcpy(p + 12, &src->in.sin_addr, 4);
		memcpy(p + 16, &dst->in.sin_addr, 4);
		put16(p + 10, csum_fold(csum_add(0, p, 20)));
		*pseudo = csum_add(csum_add(0, p + 12, 8), (const unsigned char[]){ 0, IPPROTO_TCP }, 2) +
			  (uint32_t)tcplen;
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (unsigned)tcplen);
	p[6] = IPPROTO_TCP;
	p[7] = 64;
	memcpy(p + 8, &src->in6.sin6_addr, 16);
	memcpy(p + 24, &dst->in6.sin6_addr, 16);
	*pseudo = csum_add(0, p + 8, 32) + (uint32_t)tcplen + IPPROTO_TCP;
	return 40;
}

static uint16_t
sa_port(const union rt_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

struct cap_flow {
	pcap_dumper_t *d;
	const struct capture *cap;
	uint32_t seq[2]; /* next sequence number: [0] peer -> us, [1] us -> peer */
	unsigned char pkt[65536];
};

/* One TCP segment with 'flags' and 'n' bytes in direction 'out'. */
static void
cap_emit(struct cap_flow *f, int out, unsigned flags, const void *data, size_t n,
	 const struct timeval *tv)
{
	const union rt_sockaddr *src = out ? &f->cap->us : &f->cap->peer;
	const union rt_sockaddr *dst = out ? &f->cap->peer : &f->cap->us;
	struct pcap_pkthdr h;
	uint32_t pseudo;
	size_t ipl = ip_header(f->pkt, src, dst, 20 + n, &pseudo);
	unsigned char *t = f->pkt + ipl;

	memset(t, 0, 20);
	put16(t, sa_port(src));
	put16(t + 2, sa_port(dst));
	put32(t + 4, f->seq[out]);
	put32(t + 8, (flags & 0x10) ? f->seq[!out] : 0);
	t[12] = 5 << 4;
	t[13] = (unsigned char)flags;
	put16(t + 14, 65535);
	if (n)
		memcpy(t + 20, data, n);
	put16(t + 16, csum_fold(csum_add(pseudo, t, 20 + n)));
	f->seq[out] += (uint32_t)n + ((flags & 0x02) ? 1 : 0);
	h.ts = *tv;
	h.caplen = h.len = (bpf_u_int32)(ipl + 20 + n);
	pcap_dump((u_char *)f->d, &h, f->pkt);
}

static void
cap_segments(struct cap_flow *f)
{
	const struct capture *cap = f->cap;
	size_t off = 0;

	/* The peer opened the connection in server roles; we did in Client role,
	 * which the capture cannot tell apart: the peer is shown as the opener. */
	cap_emit(f, 0, 0x02, NULL, 0, &cap->start);
	cap_emit(f, 1, 0x12, NULL, 0, &cap->start);
	cap_emit(f, 0, 0x10, NULL, 0, &cap->start);
	while (off + sizeof(struct cap_seg) <= cap->len) {
		struct cap_seg s;
		size_t done = 0;

		memcpy(&s, cap->buf + off, sizeof(s));
		off += sizeof(s);
		while (done < s.len) {
			size_t n = s.len - done > 65000 ? 65000 : s.len - done;
			cap_emit(f, s.out, 0x18, cap->buf + off + done, n, &s.tv);
			done += n;
		}
		off += s.len;
	}
}

/* ---- files ---- */

/* The capture directory holds TLS secrets (key logs) and handshakes: only root
 * or attlsd's user may own it and nobody else may write to it, or another user
 * could plant, swap or remove files there. 'fd' is the directory, opened
 * without following a symlink. */
static int
cap_dir_safe(int fd, const char *dir, uid_t user, char *err, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, len, "capture_dir %s: %s", dir, strerror(errno));
		return ATTLS_EIO;
	}
	if (st.st_uid != 0 && st.st_uid != user) {
		snprintf(err, len, "capture_dir %s belongs to uid %u, neither root nor attlsd's "
				   "user (uid %u)",
			 dir, (unsigned)st.st_uid, (unsigned)user);
		return ATTLS_EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, len, "capture_dir %s has mode %04o: group and others must not "
				   "write to it (chmod 700)",
			 dir, (unsigned)(st.st_mode & 07777));
		return ATTLS_EINVAL;
	}
	return 0;
}

int
capture_dir_open(const char *dir, uid_t user, bool create, char *err, size_t len)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(dir, flags), r;

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(err, len, "cannot create capture_dir %s: %s", dir, strerror(errno));
			return ATTLS_EIO;
		}
		fd = open(dir, flags);
		/* Made by root before the privileges are dropped: attlsd's user owns it. */
		if (fd >= 0 && geteuid() == 0 && user != 0 && fchown(fd, user, (gid_t)-1) != 0) {
			snprintf(err, len, "cannot give capture_dir %s to uid %u: %s", dir,
				 (unsigned)user, strerror(errno));
			close(fd);
			return ATTLS_EIO;
		}
	}
	if (fd < 0) {
		snprintf(err, len, "capture_dir %s: %s%s", dir, strerror(errno),
			 errno == ELOOP || errno == ENOTDIR ? " (a symlink or not a directory)" : "");
		return errno == ENOENT ? ATTLS_ENOENT : ATTLS_EIO;
	}
	if ((r = cap_dir_safe(fd, dir, user, err, len)) != 0) {
		close(fd);
		return r;
	}
	return fd;
}

int
capture_dir_check(const struct policy *p, uid_t user, bool create, char *err, size_t len)
{
	const char *dir = p->settings.capture_dir;
	size_t i;
	int fd;

	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].eff.capture == POLICY_CAPTURE_FAILURES ||
		    p->rules[i].eff.capture == POLICY_CAPTURE_ALL)
			break;
	if (i == p->nrules || !dir)
		return 0;
	fd = capture_dir_open(dir, user, create, err, len);
	/* Start or reload: the writer reads the directory again before its next
	 * file (another capture_dir, files removed by hand). */
	capwriter_rescan();
	if (fd == ATTLS_ENOENT && !create)
		return 0; /* made at start */
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

void
capture_key_log_warn(const struct policy *p)
{
	char names[512] = "";
	size_t i, n = 0, off = 0;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!r->eff.key_log || (r->eff.capture != POLICY_CAPTURE_FAILURES &&
					r->eff.capture != POLICY_CAPTURE_ALL))
			continue;
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						n ? ", " : "", r->name);
		n++;
	}
	if (n)
		log_warn("WARNING: key_log is On for %zu rule%s (%s): the TLS secrets of every "
			 "captured connection are written to %s, and whoever reads them decrypts "
			 "those connections; turn key_log off outside tests",
			 n, n == 1 ? "" : "s", names, p->settings.capture_dir);
}

/* A new file in the capture directory: never an existing one (no truncation),
 * never through a symlink, mode 0600 whatever the umask allows. */
static int
cap_create(int dirfd, const char *name)
{
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* Writes all of 'n' bytes to 'fd'. 0, or ATTLS_EIO with errno. */
static int
cap_write_all(int fd, const void *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t k = write(fd, (const char *)buf + off, n - off);

		if (k > 0)
			off += (size_t)k;
		else if (k < 0 && errno != EINTR)
			return ATTLS_EIO;
	}
	return 0;
}

/* The key log 'name'; *made says whether it was created (and so is ours to
 * remove). */
static int
cap_write_keys(const struct capture *cap, int dirfd, const char *name, bool *made)
{
	int fd, r, e;

	if ((fd = cap_create(dirfd, name)) < 0)
		return ATTLS_EIO;
	*made = true;
	r = cap_write_all(fd, cap->keys, cap->keys_len);
	e = errno;
	if (close(fd) != 0 && r == 0)
		return ATTLS_EIO;
	errno = e;
	return r;
}

/* The pcap 'name'. A full disk shows when stdio writes its buffer: checked
 * before the file counts as written. */
static int
cap_write_pcap(const struct capture *cap, int dirfd, const char *name, bool *made)
{
	struct cap_flow *f = NULL;
	pcap_t *pd = NULL;
	FILE *fp = NULL;
	int r = ATTLS_EIO, fd, e;

	errno = 0;
	if (!(f = calloc(1, sizeof(*f))) || !(pd = pcap_open_dead(DLT_RAW, 65535)))
		goto out;
	f->cap = cap;
	f->seq[0] = 1000;
	f->seq[1] = 5000;
	if ((fd = cap_create(dirfd, name)) < 0)
		goto out;
	*made = true;
	if (!(fp = fdopen(fd, "wb"))) {
		close(fd);
		goto out;
	}
	if (!(f->d = pcap_dump_fopen(pd, fp)))
		goto out;
	fp = NULL; /* the dumper owns it */
	cap_segments(f);
	if (pcap_dump_flush(f->d) == 0 && !ferror(pcap_dump_file(f->d)))
		r = 0;
	e = errno;
	pcap_dump_close(f->d);
	errno = e;
out:
	e = errno ? errno : EIO;
	if (fp)
		fclose(fp);
	if (pd)
		pcap_close(pd);
	free(f);
	errno = e;
	return r;
}

/* 'from' becomes 'to', which must not exist: renameat2's RENAME_NOREPLACE, or
 * a hard link where the file system lacks it (both refuse an existing name). */
static int
cap_publish(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if ((errno == EINVAL || errno == ENOSYS) && linkat(dirfd, from, dirfd, to, 0) == 0) {
		(void)unlinkat(dirfd, from, 0);
		return 0;
	}
	return ATTLS_EIO;
}

/* The pcap is written as NAME.part and renamed once complete, after its key
 * log: whoever sees a .pcap (an operator, a tool watching the directory) sees
 * all of it. A key log that cannot be written costs only the key log. */
int
capture_write(const struct capture *cap, int dirfd, bool *kept)
{
	char part[80], keys[80];
	size_t l = strlen(cap->name);
	bool made_part = false, made_keys = false;
	int r, rk = 0, ek = 0, e;

	*kept = false;
	snprintf(part, sizeof(part), "%s.part", cap->name);
	snprintf(keys, sizeof(keys), "%.*s.keys", (int)(l - 5), cap->name);
	if ((r = cap_write_pcap(cap, dirfd, part, &made_part)) != 0)
		goto out;
	if (cap->keys_len && (rk = cap_write_keys(cap, dirfd, keys, &made_keys)) != 0) {
		ek = errno;
		if (made_keys)
			(void)unlinkat(dirfd, keys, 0);
		made_keys = false;
	}
	if ((r = cap_publish(dirfd, part, cap->name)) != 0)
		goto out;
	made_part = made_keys = false;
	*kept = true;
	r = rk;
	errno = ek;
out:
	e = errno;
	if (made_part)
		(void)unlinkat(dirfd, part, 0);
	if (made_keys)
		(void)unlinkat(dirfd, keys, 0);
	errno = e;
	return r;
}

int
capture_submit(struct capture **capp, const struct policy_settings *s, char *path, size_t len,
	       char *why, size_t wlen)
{
	struct capture *cap = *capp;
	struct tm tm;
	char ts[32];

	*capp = NULL;
	capture_stop(cap);
	/* From here the capture is only bytes: the SSL goes with the connection. */
	cap->ssl = NULL;
	cap->bio = NULL;
	gmtime_r(&cap->start.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	snprintf(cap->name, sizeof(cap->name), "%08X-%s.pcap", cap->connid, ts);
	cap->max_files = s->capture_max_files;
	cap->mem = sizeof(*cap) + cap->alloc + cap->keys_len;
	if (!s->capture_dir || !(cap->dir = strdup(s->capture_dir))) {
		snprintf(why, wlen, "%s", s->capture_dir ? attls_strerror(ATTLS_ENOMEM) :
							   "no settings.capture_dir");
		capture_free(cap);
		return ATTLS_ENOMEM;
	}
	snprintf(path, len, "%s/%s", cap->dir, cap->name);
	return capwriter_submit(cap, s->capture_max_per_minute, why, wlen);
}

void
capture_drain(unsigned timeout_ms)
{
	capwriter_stop(timeout_ms);
}

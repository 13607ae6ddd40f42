/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl triage --pcap FILE --policy POLICY: offline, for each TLS ClientHello
 * in a capture (attlsd's own or tcpdump's), which rule would map the connection,
 * whether the handshake would pass (the hello replayed against the rule's real
 * TLS context: triage_replay.c) and, from the server's side of the capture,
 * what really happened: its ServerHello or alert, who sent it, who closed. It
 * does not know the certificate a client would send. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "policy/diag.h"
#include "policy/policy.h"
#include "common/compiler.h"
#include "tls/tls.h"
#include "tls/chello.h"
#include "ctl_triage.h"
#include "tls/keyring_lint.h"
#include "triage_replay.h"
#include "common/strbuf.h"

#define TRIAGE_FLOWS 1024
#define TRIAGE_BYTES 16384 /* per direction: the handshake, not the data */

/* One TCP connection that opened with a ClientHello. */
struct triage_flow {
	uint8_t cli[16], srv[16]; /* IPv4 as IPv4-mapped */
	uint16_t cport, sport;
	bool v6;
	time_t ts; /* of the hello's first segment */
	uint8_t *buf[2];  /* 0: client -> server, 1: server -> client */
	size_t len[2];
	uint32_t next[2]; /* next expected TCP sequence number; retransmissions skipped */
	bool seq[2];
	int closed; /* who ended it first: -1 nobody, 0 client, 1 server */
	bool rst;
};

struct triage {
	const struct policy *p;
	struct triage_replay *replay;
	struct triage_flow flows[TRIAGE_FLOWS];
	size_t nflows;
	unsigned hellos, failing;
	bool *keyring_seen; /* per keyring: a rule of the capture uses it */
};

/* Offset of the IP header for a link type, or -1 (unsupported or not IP). */
static int
triage_l3(int link, const u_char *pkt, size_t len)
{
	switch (link) {
	case DLT_RAW:
	case 101: /* LINKTYPE_RAW, when DLT_RAW is 12 or 14 on this platform */
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return 4;
	case DLT_EN10MB:
		if (len >= 18 && pkt[12] == 0x81 && pkt[13] == 0x00)
			return 18; /* one VLAN tag */
		return 14;
	case DLT_LINUX_SLL:
		return 16;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return 20;
#endif
	}
	return -1;
}

/* The flow a segment belongs to and its direction (0 from the client), or
 * NULL. 'hello': the segment starts a ClientHello, so it may open a flow. */
static struct triage_flow *
triage_flow(struct triage *t, const uint8_t src[16], uint16_t sp, const uint8_t dst[16],
	    uint16_t dp, bool hello, int *dir)
{
	struct triage_flow *f;
	size_t i;

	for (i = t->nflows; i-- > 0;) {
		f = &t->flows[i];
		if (f->cport == sp && f->sport == dp && !memcmp(f->cli, src, 16) &&
		    !memcmp(f->srv, dst, 16)) {
			*dir = 0;
			return f;
		}
		if (f->cport == dp && f->sport == sp && !memcmp(f->cli, dst, 16) &&
		    !memcmp(f->srv, src, 16)) {
			*dir = 1;
			return f;
		}
	}
	if (!hello || t->nflows == TRIAGE_FLOWS)
		return NULL;
	f = &t->flows[t->nflows++];
	memset(f, 0, sizeof(*f));
	memcpy(f->cli, src, 16);
	memcpy(f->srv, dst, 16);
	f->cport = sp;
	f->sport = dp;
	f->closed = -1;
	*dir = 0;
	return f;
}

static void
triage_addr(const struct triage_flow *f, const uint8_t a[16], uint16_t port, char *out,
	    size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (f->v6)
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
	else
		inet_ntop(AF_INET, a + 12, ip, sizeof(ip));
	snprintf(out, len, "%s..%u", ip, port);
}

/* The selected version and suite of a ServerHello body; false for an HRR. */
static bool
triage_server_hello(const uint8_t *b, size_t n, char *out, size_t len)
{
	static const uint8_t hrr[8] = { 0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11 };
	uint16_t ver, suite;
	size_t off, end;
	char vb[8];

	if (n < 38 || 35 + (size_t)b[34] + 3 > n)
		return false;
	ver = (uint16_t)(b[0] << 8 | b[1]);
	off = 35 + b[34];
	suite = (uint16_t)(b[off] << 8 | b[off + 1]);
	off += 3;
	if (off + 2 <= n) { /* supported_versions overrides the legacy field */
		end = off + 2 + ((size_t)b[off] << 8 | b[off + 1]);
		for (off += 2; off + 4 <= n && off + 4 <= end;) {
			size_t el = (size_t)b[off + 2] << 8 | b[off + 3];
			if (b[off] == 0 && b[off + 1] == 43 && el == 2 && off + 6 <= n)
				ver = (uint16_t)(b[off + 4] << 8 | b[off + 5]);
			off += 4 + el;
		}
	}
	if (memcmp(b + 2, hrr, sizeof(hrr)) == 0) {
		strbuf_cat(out, len, "HelloRetryRequest (%s)", chello_version_name(ver, vb));
		return false;
	}
	strbuf_cat(out, len, "ServerHello %s %04X", chello_version_name(ver, vb), suite);
	return true;
}

/* The records one side sent during the handshake, in words: plaintext
 * handshake messages and alerts by name, encrypted records by count (an
 * encrypted 19-byte record is the size of an alert, not of a Finished). */
static void
triage_records(const struct triage_flow *f, int dir, size_t skip, char *out, size_t len)
{
	const char *who = dir ? "the server" : "the client";
	const uint8_t *p = f->buf[dir];
	size_t off = skip, n = f->len[dir], rl;
	unsigned enc = 0, alert19 = 0;
	bool said = false;

	while (off + 5 <= n) {
		rl = (size_t)p[off + 3] << 8 | p[off + 4];
		if (off + 5 + rl > n)
			break;
		if (p[off] == 0x15 && rl == 2) {
			strbuf_cat(out, len, "%s%s sent alert %s (%s)", said ? ", then " : "; ", who,
				   tls_alert_name(p[off + 6]), p[off + 5] == 2 ? "fatal" : "warning");
			said = true;
		} else if (p[off] == 0x16 && p[off + 5] == 2 && !enc && rl >= 4) {
			strbuf_cat(out, len, "%s%s sent ", said ? ", then " : "; ", who);
			triage_server_hello(p + off + 9, rl - 4, out, len);
			said = true;
		} else if (p[off] == 0x17) {
			enc++;
			alert19 += rl == 19;
		}
		off += 5 + rl;
	}
	if (enc)
		strbuf_cat(out, len, "%s%s sent %u encrypted record%s%s", said ? ", then " : "; ",
			   who, enc, enc == 1 ? "" : "s",
			   dir == 0 && alert19 == enc ? " of 19 bytes, the size of an alert (it "
							"refused the handshake)"
						      : "");
}

/* What the capture shows after the hello: each side's records, who closed. */
static void
triage_reply(const struct triage_flow *f, size_t hello_len, char *out, size_t len)
{
	out[0] = '\0';
	triage_records(f, 1, 0, out, len);
	if (!f->len[1])
		strbuf_cat(out, len, "; no reply from the server in the capture");
	triage_records(f, 0, hello_len, out, len);
	if (f->len[1] && !strstr(out, "the server sent"))
		strbuf_cat(out, len, "; the server sent %zu bytes that are no whole TLS record",
			   f->len[1]);
	if (f->closed >= 0)
		strbuf_cat(out, len, "; %s %s first", f->closed ? "the server" : "the client",
			   f->rst ? "reset the connection (RST)" : "closed (FIN)");
	if (strncmp(out, "; ", 2) == 0)
		memmove(out, out + 2, strlen(out + 2) + 1);
}

static void
triage_report(struct triage *t, const struct triage_flow *f)
{
	struct policy_conn_attrs a;
	const struct policy_rule *r;
	struct chello h;
	char cl[64], sv[64], sum[1024], why[4096], reply[1024];
	bool at_client;
	size_t hl;
	int rc;

	if (chello_parse_record(f->buf[0], f->len[0], &h) != 0)
		return;
	hl = 5 + ((size_t)f->buf[0][3] << 8 | f->buf[0][4]);
	t->hellos++;
	triage_addr(f, f->cli, f->cport, cl, sizeof(cl));
	triage_addr(f, f->srv, f->sport, sv, sizeof(sv));
	chello_summary(&h, sum, sizeof(sum));
	printf("%s -> %s: ClientHello %s\n", cl, sv, sum);
	memset(&a, 0, sizeof(a));
	memcpy(a.local_addr, f->srv, 16);
	memcpy(a.remote_addr, f->cli, 16);
	a.local_port = f->sport;
	a.remote_port = f->cport;
	a.direction = POLICY_DIR_INBOUND;
	a.now = f->ts;
	triage_reply(f, hl, reply, sizeof(reply));
	if (!(r = policy_match(t->p, &a))) {
		bool deny = policy_no_match_denies(t->p, policy_listener_at_port(t->p, a.local_port));

		printf("  rule: none: %s\n", deny ? "denied (RC 5105, settings.no_match)"
						 : "relayed as clear text (AT-TLS fail-open): the backend "
						   "gets the TLS hello");
		t->failing += deny;
		printf("  capture: %s\n", reply);
		return;
	}
	printf("  rule: %s (priority %u)\n", r->name, r->priority);
	if (r->env && r->env->keyring && t->keyring_seen)
		t->keyring_seen[r->env->keyring - t->p->keyrings] = true;
	if (!r->eff.enabled || r->eff.role == POLICY_ROLE_CLIENT) {
		printf("  verdict: no TLS server here (%s): the hello is relayed to the backend\n",
		       !r->eff.enabled ? "the rule's group is not enabled" : "the rule is Client role");
		printf("  capture: %s\n", reply);
		return;
	}
	rc = triage_replay_judge(t->replay, r, f->buf[0], f->len[0], f->ts, why, sizeof(why),
				 &at_client);
	if (rc) {
		printf("  verdict: fails with RC %d: %s\n", rc, why);
		t->failing++;
	} else {
		printf("  verdict: passes: %s\n", why);
	}
	printf("  capture: %s\n", reply);
	/* A capture that contradicts the verdict was taken under another policy,
	 * other certificates, or by a server that is not attlsd. */
	if (rc && !at_client && strstr(reply, "the server sent ServerHello") &&
	    !strstr(reply, "the server sent alert"))
		printf("  note: the server in the capture answered with a ServerHello: it did not "
		       "run this policy (or these certificates)\n");
	if (rc && at_client && strstr(reply, "the client sent ") &&
	    strstr(reply, " encrypted record") && !strstr(reply, "the client sent alert") &&
	    !strstr(reply, "the size of an alert"))
		printf("  note: the client in the capture went on past our certificate without an "
		       "alert: it did not check it, or the server presented another one\n");
	if (!rc && strstr(reply, "the server sent alert"))
		printf("  note: the server in the capture refused this hello: it did not run this "
		       "policy (or these certificates)\n");
}

static void
triage_payload(struct triage_flow *f, int dir, uint32_t seq, const u_char *p, size_t n)
{
	uint8_t *nb;
	size_t skip = 0;

	if (!n)
		return;
	if (f->seq[dir]) {
		int32_t d = (int32_t)(f->next[dir] - seq);
		if (d > 0) { /* a retransmission, wholly or in part */
			if ((size_t)d >= n)
				return;
			skip = (size_t)d;
		}
	}
	f->seq[dir] = true;
	f->next[dir] = seq + (uint32_t)n;
	p += skip;
	n -= skip;
	if (f->len[dir] + n > TRIAGE_BYTES)
		n = TRIAGE_BYTES - f->len[dir];
	if (!n || !(nb = realloc(f->buf[dir], f->len[dir] + n)))
		return;
	f->buf[dir] = nb;
	memcpy(f->buf[dir] + f->len[dir], p, n);
	f->len[dir] += n;
}

static void
triage_packet(struct triage *t, int link, const struct pcap_pkthdr *hdr, const u_char *pkt)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	struct triage_flow *f;
	size_t len = hdr->caplen, ihl, thl, n;
	int off = triage_l3(link, pkt, len), dir;
	const u_char *ip, *tcp, *pl;
	uint16_t sp, dp;
	bool v6 = false;

	if (off < 0 || len < (size_t)off + 20)
		return;
	ip = pkt + off;
	len -= (size_t)off;
	if ((ip[0] >> 4) == 4) {
		ihl = (size_t)(ip[0] & 15) * 4;
		if (ip[9] != 6 || len < ihl + 20)
			return;
		src[10] = src[11] = dst[10] = dst[11] = 0xff;
		memcpy(src + 12, ip + 12, 4);
		memcpy(dst + 12, ip + 16, 4);
	} else if ((ip[0] >> 4) == 6 && len >= 60 && ip[6] == 6) {
		ihl = 40; /* extension headers are not followed */
		v6 = true;
		memcpy(src, ip + 8, 16);
		memcpy(dst, ip + 24, 16);
	} else {
		return;
	}
	tcp = ip + ihl;
	sp = (uint16_t)(tcp[0] << 8 | tcp[1]);
	dp = (uint16_t)(tcp[2] << 8 | tcp[3]);
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || len < ihl + thl)
		return;
	pl = tcp + thl;
	n = len - ihl - thl;
	f = triage_flow(t, src, sp, dst, dp, n >= 6 && pl[0] == 0x16 && pl[5] == 1, &dir);
	if (!f)
		return;
	if (!f->len[0] && !dir) {
		f->v6 = v6;
		f->ts = hdr->ts.tv_sec;
	}
	triage_payload(f, dir, (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 |
				       (uint32_t)tcp[6] << 8 | tcp[7],
		       pl, n);
	if (f->closed < 0 && (tcp[13] & 0x05)) { /* FIN or RST */
		f->closed = dir;
		f->rst = (tcp[13] & 0x04) != 0;
	}
}

/* keyring lint, for the keyrings the capture's rules use: what a client may
 * refuse that a replayed hello cannot show (a chain without its CA, expiry
 * ahead, key usage). */
static void
triage_on_lint(const char *line, void *arg)
{
	struct triage *t = arg;
	size_t i, n;

	for (i = 0; i < t->p->nkeyrings; i++) {
		n = strlen(t->p->keyrings[i].name);
		if (t->keyring_seen[i] && strncmp(line, "keyring \"", 9) == 0 &&
		    strncmp(line + 9, t->p->keyrings[i].name, n) == 0 && line[9 + n] == '"') {
			printf("  %s\n", line);
			return;
		}
	}
}

static void
triage_lint(struct triage *t)
{
	struct keyring_lint_opts o = { KEYRING_LINT_DAYS, 0 };
	size_t i;

	for (i = 0; i < t->p->nkeyrings && !t->keyring_seen[i]; i++)
		;
	if (i == t->p->nkeyrings)
		return;
	printf("keyring lint (today), for the keyrings of the rules above:\n");
	(void)keyring_lint(t->p, &o, triage_on_lint, t);
}

int
ctl_triage_pcap(const struct policy *p, struct triage_replay *replay, pcap_t *pc, bool lint)
{
	struct pcap_pkthdr *hdr;
	const u_char *pkt;
	struct triage *t;
	size_t i;
	int r = 2, link;

	if (!(t = calloc(1, sizeof(*t))))
		return 2;
	t->p = p;
	t->replay = replay;
	link = pcap_datalink(pc);
	if (!(t->keyring_seen = calloc(p->nkeyrings + 1, sizeof(bool))))
		goto out;
	while (pcap_next_ex(pc, &hdr, &pkt) == 1)
		triage_packet(t, link, hdr, pkt);
	for (i = 0; i < t->nflows; i++)
		if (t->flows[i].len[0])
			triage_report(t, &t->flows[i]);
	if (lint)
		triage_lint(t);
	printf("%u ClientHello(s), %u would fail\n", t->hellos, t->failing);
	r = t->failing ? 1 : 0;
out:
	for (i = 0; i < t->nflows; i++) {
		free(t->flows[i].buf[0]);
		free(t->flows[i].buf[1]);
	}
	free(t->keyring_seen);
	free(t);
	return r;
}

static int
triage_run(const char *pcap, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct triage_replay *replay = NULL;
	struct policy *p = NULL;
	struct diag_list dl;
	pcap_t *pc = NULL;
	int r = 2;

	diag_list_init(&dl);
	if (policy_load(path, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		goto out;
	}
	if (!(pc = pcap_open_offline(pcap, err))) {
		fprintf(stderr, "attlsctl triage: %s\n", err);
		goto out;
	}
	if (triage_replay_new(p, &replay) == 0)
		r = ctl_triage_pcap(p, replay, pc, true);
out:
	triage_replay_free(replay);
	if (pc)
		pcap_close(pc);
	if (p)
		policy_unref(p);
	diag_list_cleanup(&dl);
	return r;
}

int
ctl_triage(int argc, char **argv)
{
	static const struct option opts[] = { { "pcap", required_argument, NULL, 'r' },
					      { "policy", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	const char *pcap = NULL, *policy = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:f:", opts, NULL)) != -1) {
		if (ch == 'r')
			pcap = optarg;
		else if (ch == 'f')
			policy = optarg;
		else
			return 2;
	}
	if (!pcap || !policy || optind != argc) {
		fprintf(stderr, "Usage: attlsctl triage --pcap FILE --policy POLICY\n");
		return 2;
	}
	return triage_run(pcap, policy);
}

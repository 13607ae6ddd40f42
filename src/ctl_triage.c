/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl triage --pcap FILE --policy POLICY: offline, for each TLS ClientHello
 * in a capture (attlsd's own or tcpdump's), which rule would map the connection
 * and whether the handshake would pass the rule's versions and suites. It does
 * not know the certificates the peer would send; it answers 402/412 questions. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "attls/diag.h"
#include "attls/policy.h"
#include "chello.h"
#include "ctl_triage.h"

#define TRIAGE_FLOWS 1024
#define TRIAGE_HELLO_MAX 16384

struct triage_flow {
	uint8_t src[16], dst[16]; /* IPv4 as IPv4-mapped */
	uint16_t sport, dport;
	bool v6, done;
	size_t len;
	uint8_t *buf; /* client -> server bytes until the hello is whole */
};

struct triage {
	const struct policy *p;
	struct triage_flow flows[TRIAGE_FLOWS];
	size_t nflows;
	unsigned hellos, failing;
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

static struct triage_flow *
triage_flow(struct triage *t, const struct triage_flow *key)
{
	size_t i;

	for (i = 0; i < t->nflows; i++) {
		struct triage_flow *f = &t->flows[i];
		if (f->sport == key->sport && f->dport == key->dport &&
		    memcmp(f->src, key->src, 16) == 0 && memcmp(f->dst, key->dst, 16) == 0)
			return f;
	}
	if (t->nflows == TRIAGE_FLOWS)
		return NULL;
	t->flows[t->nflows] = *key;
	return &t->flows[t->nflows++];
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

static void
triage_report(struct triage *t, const struct triage_flow *f, const struct chello *h, time_t ts)
{
	struct policy_conn_attrs a;
	const struct policy_rule *r;
	char cl[64], sv[64], sum[1024], why[1024];
	int rc;

	t->hellos++;
	triage_addr(f, f->src, f->sport, cl, sizeof(cl));
	triage_addr(f, f->dst, f->dport, sv, sizeof(sv));
	chello_summary(h, sum, sizeof(sum));
	printf("%s -> %s: ClientHello %s\n", cl, sv, sum);
	memset(&a, 0, sizeof(a));
	memcpy(a.local_addr, f->dst, 16);
	memcpy(a.remote_addr, f->src, 16);
	a.local_port = f->dport;
	a.remote_port = f->sport;
	a.direction = POLICY_DIR_INBOUND;
	a.now = ts;
	if (!(r = policy_match(t->p, &a))) {
		printf("  rule: none: %s\n", t->p->settings.no_match == POLICY_NO_MATCH_DENY
						 ? "denied (RC 5105, settings.no_match deny)"
						 : "relayed as clear text (AT-TLS fail-open): the backend "
						   "gets the TLS hello");
		t->failing += t->p->settings.no_match == POLICY_NO_MATCH_DENY;
		return;
	}
	printf("  rule: %s (priority %u)\n", r->name, r->priority);
	if (!r->eff.enabled || r->eff.role == POLICY_ROLE_CLIENT) {
		printf("  verdict: no TLS server here (%s): the hello is relayed to the backend\n",
		       !r->eff.enabled ? "the rule's group is not enabled" : "the rule is Client role");
		return;
	}
	if ((rc = chello_judge(h, r, why, sizeof(why))) != 0) {
		printf("  verdict: fails with RC %d: %s\n", rc, why);
		t->failing++;
		return;
	}
	printf("  verdict: versions and suites agree (%s); certificates are not checked offline\n",
	       why);
}

static void
triage_payload(struct triage *t, struct triage_flow *f, const u_char *p, size_t n, time_t ts)
{
	struct chello h;
	uint8_t *nb;
	int r;

	if (f->done || !n)
		return;
	if (!f->len && p[0] != 0x16) {
		f->done = true; /* not a TLS handshake record: a server's reply, or clear text */
		return;
	}
	if (f->len + n > TRIAGE_HELLO_MAX || !(nb = realloc(f->buf, f->len + n))) {
		f->done = true;
		return;
	}
	f->buf = nb;
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	if ((r = chello_parse_record(f->buf, f->len, &h)) == 1 && f->buf[5] == 1)
		return; /* not yet whole */
	f->done = true;
	if (r == 0)
		triage_report(t, f, &h, ts);
}

static void
triage_packet(struct triage *t, int link, const struct pcap_pkthdr *hdr, const u_char *pkt)
{
	struct triage_flow key, *f;
	size_t len = hdr->caplen, ihl, thl;
	int off = triage_l3(link, pkt, len);
	const u_char *ip;

	if (off < 0 || len < (size_t)off + 20)
		return;
	ip = pkt + off;
	len -= (size_t)off;
	memset(&key, 0, sizeof(key));
	if ((ip[0] >> 4) == 4) {
		ihl = (size_t)(ip[0] & 15) * 4;
		if (ip[9] != 6 || len < ihl + 20)
			return;
		key.src[10] = key.src[11] = key.dst[10] = key.dst[11] = 0xff;
		memcpy(key.src + 12, ip + 12, 4);
		memcpy(key.dst + 12, ip + 16, 4);
	} else if ((ip[0] >> 4) == 6 && len >= 60 && ip[6] == 6) {
		ihl = 40; /* extension headers are not followed */
		key.v6 = true;
		memcpy(key.src, ip + 8, 16);
		memcpy(key.dst, ip + 24, 16);
	} else {
		return;
	}
	key.sport = (uint16_t)(ip[ihl] << 8 | ip[ihl + 1]);
	key.dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	thl = (size_t)(ip[ihl + 12] >> 4) * 4;
	if (len < ihl + thl || !(f = triage_flow(t, &key)))
		return;
	triage_payload(t, f, ip + ihl + thl, len - ihl - thl, hdr->ts.tv_sec);
}

static int
triage_run(const char *pcap, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *pkt;
	struct triage *t = NULL;
	struct policy *p = NULL;
	struct diag_list dl;
	pcap_t *pc = NULL;
	size_t i;
	int r = 2, link;

	diag_list_init(&dl);
	if (policy_load(path, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		goto out;
	}
	if (!(pc = pcap_open_offline(pcap, err))) {
		fprintf(stderr, "attlsctl triage: %s\n", err);
		goto out;
	}
	if (!(t = calloc(1, sizeof(*t))))
		goto out;
	t->p = p;
	link = pcap_datalink(pc);
	while (pcap_next_ex(pc, &hdr, &pkt) == 1)
		triage_packet(t, link, hdr, pkt);
	printf("%u ClientHello(s), %u would fail\n", t->hellos, t->failing);
	r = t->failing ? 1 : 0;
	for (i = 0; i < t->nflows; i++)
		free(t->flows[i].buf);
out:
	free(t);
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

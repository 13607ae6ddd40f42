/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl commands that work on a policy file offline: filter export --nft,
 * explain. No daemon needed. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attls/diag.h"
#include "attls/policy.h"
#include "ctl_policy.h"

static struct policy *
load(const char *path)
{
	struct diag_list dl;
	struct policy *p = NULL;

	diag_list_init(&dl);
	if (policy_load(path, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		fprintf(stderr, "attlsctl: %s: policy not loaded\n", path);
	}
	diag_list_cleanup(&dl);
	return p;
}

int
ctl_policy_filter_export(int argc, char **argv)
{
	struct policy *p;
	int skipped;

	if (argc != 3 || strcmp(argv[1], "--nft") != 0) {
		fprintf(stderr, "usage: attlsctl filter export --nft POLICY\n");
		return 1;
	}
	if (!(p = load(argv[2])))
		return 1;
	if (!p->nfilters)
		fprintf(stderr, "attlsctl: warning: %s has no filters; the ruleset denies every new "
				"connection to attlsd's ports\n",
			argv[2]);
	skipped = policy_nft_export(p, stdout);
	if (skipped)
		fprintf(stderr, "attlsctl: warning: %d filter%s could not be expressed in nftables "
				"(see the comments); attlsd still enforces %s\n",
			skipped, skipped == 1 ? "" : "s", skipped == 1 ? "it" : "them");
	policy_unref(p);
	return 0;
}

/* ADDR or ADDR:PORT, [v6]:PORT. */
static int
endpoint(const char *s, bool need_port, uint8_t addr[16], uint16_t *port)
{
	char buf[80], *colon, *host = buf;
	struct policy_addr_range r;
	unsigned long n;

	snprintf(buf, sizeof(buf), "%s", s);
	*port = 0;
	if (buf[0] == '[') {
		host = buf + 1;
		if (!(colon = strchr(host, ']')))
			return -1;
		*colon++ = '\0';
		colon = *colon == ':' ? colon : NULL;
	} else {
		colon = strrchr(buf, ':');
		if (colon && strchr(buf, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
	}
	if (colon) {
		*colon++ = '\0';
		n = strtoul(colon, NULL, 10);
		if (n == 0 || n > 65535)
			return -1;
		*port = (uint16_t)n;
	} else if (need_port) {
		return -1;
	}
	if (policy_addr_parse(host, &r) != 0 || memcmp(r.lo, r.hi, 16) != 0)
		return -1;
	memcpy(addr, r.lo, 16);
	return 0;
}

/* 'YYYY-MM-DD HH:MM[:SS]' in the local zone, or with a trailing 'UTC'. */
static int
parse_at(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(s, "%Y-%m-%d %H:%M", &tm)))
		return -1;
	if (*end == ':' && !(end = strptime(end, ":%S", &tm)))
		return -1;
	while (*end == ' ')
		end++;
	if (strcmp(end, "UTC") == 0 || strcmp(end, "Z") == 0) {
		*out = timegm(&tm);
		return 0;
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return 0;
}

int
ctl_policy_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' }, { "dst", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },  { "outbound", no_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	struct policy_conn_attrs a;
	const char *path = NULL, *src = NULL, *dst = NULL;
	struct policy *p;
	int ch, out = 0;

	memset(&a, 0, sizeof(a));
	a.now = time(NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'a':
			if (parse_at(optarg, &a.now) != 0) {
				fprintf(stderr, "attlsctl: --at wants 'YYYY-MM-DD HH:MM[:SS]' (local "
						"time) or the same with ' UTC'\n");
				return 1;
			}
			break;
		case 'o':
			out = 1;
			break;
		default:
			return 1;
		}
	}
	if (!path && optind < argc)
		path = argv[optind];
	if (!path || !src || !dst) {
		fprintf(stderr, "usage: attlsctl explain -f POLICY --src ADDR[:PORT] --dst ADDR:PORT "
				"[--at 'YYYY-MM-DD HH:MM'] [--outbound]\n");
		return 1;
	}
	/* Inbound: the source is the remote end; --outbound: the local one. */
	a.direction = out ? POLICY_DIR_OUTBOUND : POLICY_DIR_INBOUND;
	if (endpoint(src, false, out ? a.local_addr : a.remote_addr,
		     out ? &a.local_port : &a.remote_port) != 0 ||
	    endpoint(dst, true, out ? a.remote_addr : a.local_addr,
		     out ? &a.remote_port : &a.local_port) != 0) {
		fprintf(stderr, "attlsctl: --src is ADDR or ADDR:PORT, --dst ADDR:PORT ([v6]:PORT)\n");
		return 1;
	}
	/* Without a source port, any ephemeral one. */
	if (out && !a.local_port)
		a.local_port = 49152;
	if (!out && !a.remote_port)
		a.remote_port = 49152;
	if (!(p = load(path)))
		return 1;
	policy_explain(p, &a, stdout);
	policy_unref(p);
	return 0;
}

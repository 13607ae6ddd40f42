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

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "policy/diag.h"
#include "policy/policy.h"
#include "common/rc.h"
#include "tls/tls.h"
#include "ctl_policy.h"

struct policy *
ctl_policy_load(const char *path)
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
	if (!(p = ctl_policy_load(argv[2])))
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

/* ADDR or ADDR:PORT, [v6]:PORT: 0, or ATTLS_EINVAL. */
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
			return ATTLS_EINVAL;
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
			return ATTLS_EINVAL;
		*port = (uint16_t)n;
	} else if (need_port) {
		return ATTLS_EINVAL;
	}
	if (policy_addr_parse(host, &r) != 0 || memcmp(r.lo, r.hi, 16) != 0)
		return ATTLS_EINVAL;
	memcpy(addr, r.lo, 16);
	return 0;
}

/* 'YYYY-MM-DD HH:MM[:SS]' in the local zone, or with a trailing 'UTC': 0, or
 * ATTLS_EINVAL. */
static int
parse_at(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (!(end = strptime(s, "%Y-%m-%d %H:%M", &tm)))
		return ATTLS_EINVAL;
	if (*end == ':' && !(end = strptime(end, ":%S", &tm)))
		return ATTLS_EINVAL;
	while (*end == ' ')
		end++;
	if (strcmp(end, "UTC") == 0 || strcmp(end, "Z") == 0) {
		*out = timegm(&tm);
		return 0;
	}
	if (*end)
		return ATTLS_EINVAL;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return 0;
}

/* Loads a PEM file: the first certificate, and the rest as its chain. */
static X509 *
load_cert(const char *path, STACK_OF(X509) **chain)
{
	X509 *first = NULL, *x;
	FILE *f = fopen(path, "r");

	*chain = sk_X509_new_null();
	if (!f)
		return NULL;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (!first)
			first = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	fclose(f);
	return first;
}

/* Validates 'cert' as the rule's handshake would, at time 'when'; returns 0 or
 * the RC, with the reason in 'why'. */
static int
verify_as_rule(const struct policy_rule *r, X509 *cert, STACK_OF(X509) *chain, time_t when,
	       char *why, size_t len)
{
	const struct policy_keyring *k = r->env ? r->env->keyring : NULL;
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = RC_INTERNAL, e;

	snprintf(why, len, "cannot set up the verification");
	if (!st || !ctx || !k || !k->trusted_ca || X509_STORE_load_file(st, k->trusted_ca) != 1)
		goto out;
	if (k->crl) {
		if (X509_STORE_load_file(st, k->crl) != 1)
			goto out;
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	if (X509_STORE_CTX_init(ctx, st, cert, chain) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), when);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	rc = tls_verify_rc(e);
	snprintf(why, len, "%s (at depth %d)", X509_verify_cert_error_string(e),
		 X509_STORE_CTX_get_error_depth(ctx));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

/* --cert: would the rule the connection maps to accept this client certificate,
 * and (SAFCheck) which user does it map to? */
static void
explain_cert(const struct policy *p, const struct policy_conn_attrs *a, const char *path)
{
	const struct policy_rule *r = policy_match(p, a);
	char subj[256], why[512], user[64];
	STACK_OF(X509) *chain = NULL;
	X509 *cert = load_cert(path, &chain);
	int rc;

	printf("client certificate %s:\n", path);
	if (!cert) {
		printf("  => cannot read a PEM certificate from it\n");
		goto out;
	}
	X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
	printf("  subject %s\n", subj);
	if (!r || !r->eff.enabled || r->eff.role != POLICY_ROLE_SERVER_CLIENT_AUTH) {
		printf("  => not asked for: the connection's rule is not ServerWithClientAuth\n");
		goto out;
	}
	if (r->eff.client_auth == POLICY_CA_PASSTHRU) {
		printf("  => accepted without validation (client_auth_type PassThru)\n");
		goto out;
	}
	if ((rc = verify_as_rule(r, cert, chain, a->now, why, sizeof(why))) != 0) {
		printf("  => refused with RC %d (%s): %s\n", rc,
		       rc_lookup(rc) ? rc_lookup(rc)->meaning : "?", why);
		goto out;
	}
	printf("  validated against keyring \"%s\"\n", r->env->keyring->name);
	if (r->eff.client_auth != POLICY_CA_SAFCHECK) {
		printf("  => accepted (client_auth_type %s)\n", policy_client_auth_name(r->eff.client_auth));
		goto out;
	}
	rc = tls_identity_check_cert(cert, r, user, sizeof(user), why, sizeof(why));
	if (rc)
		printf("  => refused with RC %d: %s\n", rc, why);
	else
		printf("  => accepted, mapped to user %s (identity map \"%s\")\n", user,
		       r->eff.identity_map->name);
out:
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
}

int
ctl_policy_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' }, { "dst", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },  { "outbound", no_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'f' }, { "cert", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL;
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
		case 'c':
			cert = optarg;
			break;
		default:
			return 1;
		}
	}
	if (!path && optind < argc)
		path = argv[optind];
	if (!path || !src || !dst) {
		fprintf(stderr, "usage: attlsctl explain -f POLICY --src ADDR[:PORT] --dst ADDR:PORT "
				"[--at 'YYYY-MM-DD HH:MM'] [--outbound] [--cert CLIENT.pem]\n");
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
	if (!(p = ctl_policy_load(path)))
		return 1;
	policy_explain(p, &a, stdout);
	if (cert && (!p->nfilters || (policy_filter_match(p, &a) &&
				      policy_filter_match(p, &a)->action == POLICY_FILTER_PERMIT)))
		explain_cert(p, &a, cert);
	policy_unref(p);
	return 0;
}

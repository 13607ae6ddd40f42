/* SPDX-License-Identifier: Apache-2.0 */
/* Offline replay of a ClientHello: the rule's real SSL_CTX answers it through
 * memory BIOs. Modelling OpenSSL's choices (version first, then suite, key
 * share, signature scheme per key type, label lists) would drift from what the
 * daemon does; asking OpenSSL cannot. What OpenSSL does not judge on the
 * server side, the certificate we present as the client will see it (dates at
 * the capture's time, the SNI against its names), is checked here after. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/rc.h"
#include "tls/tls.h"
#include "policy/tlsnames.h"
#include "tls/chello.h"
#include "triage_replay.h"
#include "common/strbuf.h"

struct triage_replay {
	const struct policy *p;
	SSL_CTX **ctx; /* per rule, built on first use */
	int *ctx_rc;   /* 0: not tried yet; -1 built; else the RC building failed with */
	char **ctx_err;
};

/* RFC 8446 4.1.3: the ServerHello random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

int
triage_replay_new(const struct policy *p, struct triage_replay **out)
{
	struct triage_replay *t = calloc(1, sizeof(*t));
	size_t n = p->nrules ? p->nrules : 1;

	*out = NULL;
	if (!t || !(t->ctx = calloc(n, sizeof(*t->ctx))) || !(t->ctx_rc = calloc(n, sizeof(int))) ||
	    !(t->ctx_err = calloc(n, sizeof(char *)))) {
		triage_replay_free(t);
		return ATTLS_ENOMEM;
	}
	t->p = p;
	*out = t;
	return 0;
}

void
triage_replay_free(struct triage_replay *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->ctx && i < t->p->nrules; i++) {
		SSL_CTX_free(t->ctx[i]);
		if (t->ctx_err)
			free(t->ctx_err[i]);
	}
	free(t->ctx);
	free(t->ctx_rc);
	free(t->ctx_err);
	free(t);
}

static SSL_CTX *
replay_ctx(struct triage_replay *t, const struct policy_rule *r, int *rc, const char **err)
{
	size_t i = (size_t)(r - t->p->rules);
	char buf[512];

	if (!t->ctx_rc[i]) {
		buf[0] = '\0';
		if (tls_ctx_new(r, &t->ctx[i], &t->ctx_rc[i], buf, sizeof(buf)) == 0)
			t->ctx_rc[i] = -1;
		else
			t->ctx_err[i] = strdup(buf);
		ERR_clear_error();
	}
	*rc = t->ctx_rc[i];
	*err = t->ctx_err[i] ? t->ctx_err[i] : "?";
	return t->ctx[i];
}

/* Length of the TLS record at 'p', 0 when it is not whole. */
static size_t
record_len(const uint8_t *p, size_t len)
{
	size_t n;

	if (len < 5)
		return 0;
	n = 5 + ((size_t)p[3] << 8 | p[4]);
	return n <= len ? n : 0;
}

/* The server wrote a HelloRetryRequest (the first record of its output). */
static bool
wrote_hrr(BIO *wb)
{
	char *d;
	long n = BIO_get_mem_data(wb, &d);
	const uint8_t *p = (const uint8_t *)d;

	return n >= 43 && p[0] == 0x16 && p[5] == 2 && memcmp(p + 11, hrr_random, 32) == 0;
}

static const char *
name_of(X509_NAME *n, char *buf, size_t len)
{
	if (!X509_NAME_oneline(n, buf, (int)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *
date_of(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "?");
	return buf;
}

/* 401 when a certificate we present is out of date at the hello's time. */
static int
check_dates(X509 *x, const char *what, time_t ts, char *out, size_t olen)
{
	char s[256], d[40];

	if (X509_cmp_time(X509_get0_notAfter(x), &ts) < 0) {
		strbuf_cat(out, olen, "the %s \"%s\" we present expired on %s, before this hello: clients "
			       "refuse it (alert certificate expired); renew it",
		    what, name_of(X509_get_subject_name(x), s, sizeof(s)),
		    date_of(X509_get0_notAfter(x), d, sizeof(d)));
		return RC_BAD_DATE;
	}
	if (X509_cmp_time(X509_get0_notBefore(x), &ts) > 0) {
		strbuf_cat(out, olen, "the %s \"%s\" we present is not valid before %s, after this hello: "
			       "clients refuse it; check the clocks",
		    what, name_of(X509_get_subject_name(x), s, sizeof(s)),
		    date_of(X509_get0_notBefore(x), d, sizeof(d)));
		return RC_BAD_DATE;
	}
	return 0;
}

/* The DNS names of a certificate's subjectAltName, for the evidence. */
static void
add_dns_names(X509 *x, char *out, size_t olen)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, n = 0;

	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			strbuf_cat(out, olen, "%sDNS:%.60s", n++ ? "," : "",
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	if (!n)
		strbuf_cat(out, olen, "no DNS names");
	GENERAL_NAMES_free(gens);
}

/* server_certificate_labels: OpenSSL presents one certificate per key type and
 * never by SNI, so another listed label naming the SNI is worth telling. */
static void
add_label_hint(const struct policy_rule *r, const char *sni, char *out, size_t olen)
{
	size_t i;

	for (i = 0; i < r->eff.server_labels.n; i++) {
		const struct policy_cert *c =
			policy_keyring_cert(r->env->keyring, r->eff.server_labels.v[i]);
		FILE *f = c ? fopen(c->certificate, "r") : NULL;
		X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

		if (f)
			fclose(f);
		if (x && X509_check_host(x, sni, 0, 0, NULL) == 1)
			strbuf_cat(out, olen, "; label \"%s\" of server_certificate_labels names it, but "
				       "labels are chosen by key type, never by SNI: give it its "
				       "own rule (port or address)",
			    c->label);
		X509_free(x);
	}
	ERR_clear_error();
}

/* What OpenSSL does not check as a server: our certificate as the client sees it. */
static int
check_presented(SSL *ssl, const struct policy_rule *r, const struct chello *h, time_t ts,
		char *out, size_t olen)
{
	X509 *leaf = SSL_get_certificate(ssl);
	STACK_OF(X509) *chain = NULL;
	char s[256];
	int i, rc;

	if (!leaf)
		return 0;
	if ((rc = check_dates(leaf, "certificate", ts, out, olen)) != 0)
		return rc;
	SSL_get0_chain_certs(ssl, &chain);
	for (i = 0; chain && i < sk_X509_num(chain); i++)
		if ((rc = check_dates(sk_X509_value(chain, i), "chain certificate", ts, out, olen)))
			return rc;
	if (h->sni[0] && X509_check_host(leaf, h->sni, 0, 0, NULL) != 1) {
		strbuf_cat(out, olen, "the client asked for SNI %s, but certificate \"%s\" we present names ",
		    h->sni, name_of(X509_get_subject_name(leaf), s, sizeof(s)));
		add_dns_names(leaf, out, olen);
		strbuf_cat(out, olen, ": a client that checks the server name refuses it (alert bad "
			       "certificate, which attlsd logs as RC 406)");
		if (r->eff.server_labels.n)
			add_label_hint(r, h->sni, out, olen);
		ERR_clear_error();
		return RC_IO_ERROR;
	}
	return 0;
}

/* "TLSv1.3 with 1302 TLS_AES_256_GCM_SHA384, group x25519, signature 0804 ..." */
static void
add_negotiated(SSL *ssl, const struct chello_watch *w, char *out, size_t olen)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const struct tlsname *sg = w->sig_sent ? tlsname_sigalg(w->sig_sent) : NULL;
	int group = SSL_get_negotiated_group(ssl);
	X509 *leaf = SSL_get_certificate(ssl);
	char code[5], s[256], d[40];

	tls_cipher_code(ssl, code);
	strbuf_cat(out, olen, "%s with %s %s", SSL_get_version(ssl), code, c ? SSL_CIPHER_get_name(c) : "?");
	if (group > 0)
		strbuf_cat(out, olen, ", group %s", SSL_group_to_name(ssl, group));
	if (w->sig_sent)
		strbuf_cat(out, olen, ", signature %04X %s", w->sig_sent, sg ? sg->iana : "");
	if (leaf) {
		EVP_PKEY *pk = X509_get0_pubkey(leaf);
		int id = pk ? EVP_PKEY_get_base_id(pk) : 0;
		strbuf_cat(out, olen, ", certificate \"%s\" (%s-%d key, notAfter %s)",
		    name_of(X509_get_subject_name(leaf), s, sizeof(s)),
		    id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "ECDSA" : OBJ_nid2sn(id),
		    pk ? EVP_PKEY_get_bits(pk) : 0, date_of(X509_get0_notAfter(leaf), d, sizeof(d)));
	}
}

/* Feeds the next client record(s) into 'rb': the record at *off, and, when it
 * is a ChangeCipherSpec (TLS 1.3 middlebox compatibility), the one after. */
static bool
feed(BIO *rb, const uint8_t *up, size_t len, size_t *off)
{
	size_t n;

	while ((n = record_len(up + *off, len - *off)) != 0) {
		BIO_write(rb, up + *off, (int)n);
		*off += n;
		if (up[*off - n] != 0x14)
			return true;
	}
	return false;
}

int
triage_replay_judge(struct triage_replay *t, const struct policy_rule *r, const uint8_t *up,
		    size_t len, time_t ts, char *out, size_t olen, bool *at_client)
{
	struct chello_watch w;
	struct tls_diag d;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	BIO *rb = NULL, *wb = NULL;
	const char *err;
	size_t off = 0;
	bool hrr = false;
	int rc, ret, e;

	out[0] = '\0';
	*at_client = false;
	if (!(ctx = replay_ctx(t, r, &rc, &err))) {
		strbuf_cat(out, olen, "attlsd cannot build the rule's TLS context: %s", err);
		return rc > 0 ? rc : RC_INTERNAL;
	}
	if (!(ssl = SSL_new(ctx)) || !(rb = BIO_new(BIO_s_mem())) || !(wb = BIO_new(BIO_s_mem()))) {
		BIO_free(rb);
		BIO_free(wb);
		rc = RC_INTERNAL;
		strbuf_cat(out, olen, "out of memory");
		goto out;
	}
	BIO_set_mem_eof_return(rb, -1); /* the end of the capture: wait, not EOF */
	SSL_set_bio(ssl, rb, wb);
	SSL_set_accept_state(ssl);
	chello_watch_init(&w);
	chello_attach(ssl, &w);
	tls_diag_init(&d);
	tls_diag_attach(ssl, &d);
	ERR_clear_error();
	feed(rb, up, len, &off);
	for (;;) {
		ret = SSL_do_handshake(ssl);
		e = SSL_get_error(ssl, ret);
		if (e != SSL_ERROR_WANT_READ || hrr || !(hrr = wrote_hrr(wb)))
			break;
		/* HelloRetryRequest: the client's second hello decides, if captured. */
		(void)BIO_reset(wb);
		if (!feed(rb, up, len, &off)) {
			strbuf_cat(out, olen, "HelloRetryRequest for group %s (no key share of the client "
				       "is in the rule's groups); the capture holds no second hello",
			    SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl)));
			rc = 0;
			goto out;
		}
	}
	if (e == SSL_ERROR_WANT_READ) {
		if ((rc = check_presented(ssl, r, &w.hello, ts, out, olen)) != 0) {
			*at_client = true;
			goto out;
		}
		add_negotiated(ssl, &w, out, olen);
		if (hrr)
			strbuf_cat(out, olen, ", after a HelloRetryRequest");
		rc = 0;
		goto out;
	}
	rc = tls_err_classify(ssl, &d, e, 0, ERR_peek_error(), out, olen);
	chello_evidence(&w, ssl, &d, r, rc, out, olen);
out:
	ERR_clear_error();
	if (ssl) {
		chello_detach(ssl);
		tls_diag_detach(ssl);
	}
	SSL_free(ssl);
	return rc;
}

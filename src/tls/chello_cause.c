/* SPDX-License-Identifier: Apache-2.0 */
/* Cause-line wording from a ClientHello: what the peer offered next to what
 * the rule allows (versions, suites, groups, signature algorithms), who ended
 * a handshake after which message, and the certificate we presented. The
 * judgement of what fits is fit.c's; only codes, SNI and ALPN are shown. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/compiler.h"
#include "common/rc.h"
#include "common/strbuf.h"
#include "chello.h"
#include "fit.h"

const char *
chello_version_name(uint16_t v, char buf[8])
{
	switch (v) {
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	}
	snprintf(buf, 8, "0x%04X", v);
	return buf;
}

/* The versions the hello offers: supported_versions, else the legacy field. */
static size_t
offered_versions(const struct chello *h, uint16_t out[CHELLO_MAX_VERSIONS])
{
	if (h->nversions) {
		memcpy(out, h->versions, h->nversions * sizeof(out[0]));
		return h->nversions;
	}
	out[0] = h->legacy_version;
	return 1;
}

static void
cat_versions(char *out, size_t len, const uint16_t *v, size_t n)
{
	char b[8];
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_cat(out, len, "%s%s", i ? "," : "", chello_version_name(v[i], b));
}

static void
cat_codes(char *out, size_t len, const uint16_t *v, size_t n, size_t total)
{
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_cat(out, len, "%s%04X", i ? "," : "", v[i]);
	if (total > n)
		strbuf_cat(out, len, ",...(%zu in all)", total);
	if (!n)
		strbuf_cat(out, len, "none");
}

/* The versions, suites, signature algorithms and groups of a hello, each list
 * after its word from 'words'. */
static void
cat_offer(char *out, size_t len, const struct chello *h, const char *const words[3])
{
	uint16_t v[CHELLO_MAX_VERSIONS];

	cat_versions(out, len, v, offered_versions(h, v));
	strbuf_cat(out, len, "%s", words[0]);
	cat_codes(out, len, h->ciphers, h->nciphers, h->total_ciphers);
	strbuf_cat(out, len, "%s", words[1]);
	cat_codes(out, len, h->sigalgs, h->nsigalgs, h->nsigalgs);
	strbuf_cat(out, len, "%s", words[2]);
	cat_codes(out, len, h->groups, h->ngroups, h->ngroups);
}

static const char *const summary_words[3] = { " suites=", " sigalgs=", " groups=" };

void
chello_summary(const struct chello *h, char *out, size_t len)
{
	out[0] = '\0';
	if (!h->seen) {
		strbuf_cat(out, len, "no ClientHello");
		return;
	}
	strbuf_cat(out, len, "sni=%s alpn=%s versions=", h->sni[0] ? h->sni : "-",
	    h->alpn[0] ? h->alpn : "-");
	cat_offer(out, len, h, summary_words);
}

static void
cat_protos(char *out, size_t len, unsigned protos)
{
	static const uint16_t all[] = { 0x0301, 0x0302, 0x0303, 0x0304 };
	char b[8];
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (protos & fit_proto_bit(all[i]))
			strbuf_cat(out, len, "%s%s", n++ ? "," : "", chello_version_name(all[i], b));
	if (!n)
		strbuf_cat(out, len, "none");
}

/* Codes with names for a short list, codes alone for a long one. */
static void
cat_suites(char *out, size_t len, const uint16_t *v, size_t n, size_t total)
{
	size_t i;

	if (n > 6) {
		cat_codes(out, len, v, n, total);
		return;
	}
	for (i = 0; i < n; i++) {
		const SSL_CIPHER *c = fit_suite_find(v[i]);
		strbuf_cat(out, len, "%s%04X%s%s", i ? "," : "", v[i], c ? " " : "",
		    c ? SSL_CIPHER_get_name(c) : "");
	}
	if (!n)
		strbuf_cat(out, len, "none");
}

static const char *
key_type_name(int id)
{
	switch (id) {
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_ED25519:
		return "Ed25519";
	}
	return "other";
}

/* A suite both allow, but whose authentication our certificate cannot do. */
static void
cat_key_mismatch(char *out, size_t len, SSL *ssl, const uint16_t *both, size_t n)
{
	X509 *x = SSL_get_certificate(ssl);
	EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
	int kt = pk ? EVP_PKEY_get_base_id(pk) : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const SSL_CIPHER *c = fit_suite_find(both[i]);
		int auth = c ? SSL_CIPHER_get_auth_nid(c) : NID_undef;

		/* Only TLS 1.2 suites name an authentication (ECDHE_RSA, ECDHE_ECDSA). */
		if ((auth == NID_auth_ecdsa || auth == NID_auth_rsa) &&
		    (!pk || !fit_suite_key(both[i], pk, POLICY_PROTO_TLS1_2))) {
			strbuf_cat(out, len, "; %04X is allowed by both but needs an %s certificate and "
				      "ours is %s",
			    both[i], auth == NID_auth_ecdsa ? "ECDSA" : "RSA", key_type_name(kt));
			return;
		}
	}
}

/* Where the setting to change is: "KEY FILE:LINE" for rule r's TLS
 * parameter, or where to add it when the default is in force. */
static void
cat_parm(char *out, size_t len, const struct policy_rule *r, const char *key)
{
	char at[300];

	strbuf_cat(out, len, "%s %s", key, policy_rule_parm_where(r, key, at, sizeof(at)));
}

/* " (KEY of cipher set NAME at FILE:LINE; PARM FILE:LINE)": the list of a
 * cipher or signature set, and where the rule names the set. */
static void
cat_set_key(char *out, size_t len, const struct policy_rule *r, const char *section,
	    const char *name, const unsigned *key_line, const char *key, const char *parm)
{
	strbuf_cat(out, len, " (%s of %s %s at %s:%u; ", key,
	    section[0] == 'c' ? "cipher set" : "signature set", name, r->path ? r->path : "policy",
	    policy_key_line(section, key_line, key));
	cat_parm(out, len, r, parm);
	strbuf_cat(out, len, ")");
}

/* Suites in common but no key-exchange group: says so with both lists.
 * Returns true when that is the case. */
static bool
evidence_groups(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	const struct policy_codes *g = fit_rule_groups(r, fit_common_protos(h, r->eff.protocols) &
							      POLICY_PROTO_TLS1_3);
	size_t i, j;

	if (!g || !g->n || !h->ngroups)
		return false;
	for (i = 0; i < h->ngroups; i++)
		for (j = 0; j < g->n; j++)
			if (h->groups[i] == g->v[j])
				return false;
	strbuf_cat(out, len, "; no key-exchange group in common: the peer offered groups ");
	cat_codes(out, len, h->groups, h->ngroups, h->ngroups);
	strbuf_cat(out, len, ", rule %s allows ", r->name);
	cat_codes(out, len, g->v, g->n, g->n);
	cat_set_key(out, len, r, "signatures", r->eff.signatures->name,
	    r->eff.signatures->key_line, g == &r->eff.signatures->server_key_shares
					 ? "server_key_share_groups" : "server_kex_ecurves",
	    "signatures");
	return true;
}

static void
evidence_suites(const struct chello *h, SSL *ssl, const struct policy_rule *r, char *out,
		size_t len)
{
	uint16_t both[CHELLO_MAX_CIPHERS], v[CHELLO_MAX_VERSIONS];
	const uint16_t *allow;
	size_t na = fit_rule_suites(r, &allow), nb;
	unsigned common = fit_common_protos(h, r->eff.protocols);

	strbuf_cat(out, len, "; the peer offered ");
	cat_versions(out, len, v, offered_versions(h, v));
	strbuf_cat(out, len, " with suites ");
	cat_suites(out, len, h->ciphers, h->nciphers, h->total_ciphers);
	if (h->ngroups) {
		strbuf_cat(out, len, " and groups ");
		cat_codes(out, len, h->groups, h->ngroups, h->ngroups);
	}
	strbuf_cat(out, len, "; rule %s allows ", r->name);
	cat_protos(out, len, r->eff.protocols);
	strbuf_cat(out, len, " with suites ");
	cat_suites(out, len, allow, na, na);
	if (r->eff.ciphers && r->eff.ciphers->suites.n) {
		const struct policy_cipher_parms *cp = r->eff.ciphers;
		cat_set_key(out, len, r, "ciphers", cp->name, cp->key_line,
		    policy_key_line("ciphers", cp->key_line, "v3_cipher_suites_4char")
			? "v3_cipher_suites_4char" : "v3_cipher_suites",
		    "ciphers");
	} else {
		strbuf_cat(out, len, " (attlsd's defaults; ");
		cat_parm(out, len, r, "ciphers");
		strbuf_cat(out, len, ")");
	}
	nb = fit_common_suites(h, allow, na, common ? common : r->eff.protocols, both,
			   ARRAY_SIZE(both));
	if (!nb)
		strbuf_cat(out, len, "; no suite in common");
	else if (!evidence_groups(h, r, out, len))
		cat_key_mismatch(out, len, ssl, both, nb);
}

/* For each version the peer offered and the rule does not allow, the key
 * that would allow it and where. */
static void
evidence_version_keys(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	static const char *const keys[] = { "tls_v1_0", "tls_v1_1", "tls_v1_2", "tls_v1_3" };
	uint16_t v[CHELLO_MAX_VERSIONS];
	size_t i, n = offered_versions(h, v);
	char b[8];

	for (i = 0; i < n; i++) {
		unsigned bit = fit_proto_bit(v[i]);

		if (v[i] < 0x0301 || v[i] > 0x0304 || (r->eff.protocols & bit))
			continue;
		strbuf_cat(out, len, "; to allow %s%s: ", chello_version_name(v[i], b),
		    v[i] < 0x0303 ? " (insecure)" : "");
		cat_parm(out, len, r, keys[v[i] - 0x0301]);
	}
}

static void
evidence_versions(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	uint16_t v[CHELLO_MAX_VERSIONS];
	char b[8];

	strbuf_cat(out, len, "; the peer offered ");
	cat_versions(out, len, v, offered_versions(h, v));
	if (!h->nversions)
		strbuf_cat(out, len, " (no supported_versions extension; legacy_version %s)",
		    chello_version_name(h->legacy_version, b));
	strbuf_cat(out, len, "; rule %s allows ", r->name);
	cat_protos(out, len, r->eff.protocols);
	evidence_version_keys(h, r, out, len);
}

static void
evidence_sigalgs(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	const struct policy_sig_parms *sg = r->eff.signatures;

	strbuf_cat(out, len, "; the peer offered signature algorithms ");
	cat_codes(out, len, h->sigalgs, h->nsigalgs, h->nsigalgs);
	strbuf_cat(out, len, "; rule %s allows ", r->name);
	if (sg && sg->sigalgs.n) {
		cat_codes(out, len, sg->sigalgs.v, sg->sigalgs.n, sg->sigalgs.n);
		cat_set_key(out, len, r, "signatures", sg->name, sg->key_line, "signature_pairs",
		    "signatures");
	} else {
		strbuf_cat(out, len, "the library defaults (");
		cat_parm(out, len, r, "signatures");
		strbuf_cat(out, len, ")");
	}
}

static const char *
msg_name(int t)
{
	switch (t) {
	case -1:
		return "nothing";
	case SSL3_MT_CLIENT_HELLO:
		return "ClientHello";
	case SSL3_MT_SERVER_HELLO:
		return "ServerHello";
	case SSL3_MT_NEWSESSION_TICKET:
		return "NewSessionTicket";
	case SSL3_MT_ENCRYPTED_EXTENSIONS:
		return "EncryptedExtensions";
	case SSL3_MT_CERTIFICATE:
		return "Certificate";
	case SSL3_MT_SERVER_KEY_EXCHANGE:
		return "ServerKeyExchange";
	case SSL3_MT_CERTIFICATE_REQUEST:
		return "CertificateRequest";
	case SSL3_MT_SERVER_DONE:
		return "ServerHelloDone";
	case SSL3_MT_CERTIFICATE_VERIFY:
		return "CertificateVerify";
	case SSL3_MT_CLIENT_KEY_EXCHANGE:
		return "ClientKeyExchange";
	case SSL3_MT_FINISHED:
		return "Finished";
	}
	return "another message";
}

/* 406/420: who ended it, after which message, and which alerts went which way. */
static void
evidence_close(const struct chello_watch *w, SSL *ssl, const struct tls_diag *d, char *out,
	       size_t len)
{
	strbuf_cat(out, len, "; the peer ended it after we had received %s and sent %s (OpenSSL "
		      "state: %s)",
	    msg_name(w->last_recv), msg_name(w->last_sent), SSL_state_string_long(ssl));
	if (d && d->alert_recv >= 0 && !strstr(out, "the peer sent alert"))
		strbuf_cat(out, len, "; the peer sent alert %s", tls_alert_name(d->alert_recv));
	if (d && d->alert_sent >= 0)
		strbuf_cat(out, len, "; we sent alert %s", tls_alert_name(d->alert_sent));
	if (!d || (d->alert_recv < 0 && d->alert_sent < 0))
		strbuf_cat(out, len, "; no alert either way: look at the peer's log");
}

/* 5104: where the handshake stood when the completion timer fired, and whose
 * move it was, so the analyst knows which side's log to read. (A peer that
 * sent no whole message is 5004: ezd_diag_stall.) */
static void
evidence_stall(const struct chello_watch *w, SSL *ssl, char *out, size_t len)
{
	strbuf_cat(out, len, "; it stalled after we had received %s and sent %s (OpenSSL state: %s)",
	    msg_name(w->last_recv), msg_name(w->last_sent), SSL_state_string_long(ssl));
	if (SSL_want_write(ssl))
		strbuf_cat(out, len, "; we were waiting to send: the peer stopped reading");
	else
		strbuf_cat(out, len, "; it was the peer's move: a slow or stuck peer, or a middlebox "
			      "dropping its packets (the peer's log, or a capture, shows which)");
}

/* The peer refused a certificate we sent (alert certificate expired, bad
 * certificate, unknown CA...): which one, its dates and names, and the SNI
 * the peer asked for, so the fix does not need the peer's log. */
static void
evidence_our_cert(const struct chello_watch *w, SSL *ssl, const struct tls_diag *d, char *out,
		  size_t len)
{
	X509 *x = SSL_get_certificate(ssl);
	GENERAL_NAMES *gens;
	char subj[256], na[32];
	BIO *b;
	int i, n = 0, k;

	if (!x || !d || w->last_sent < 0)
		return;
	switch (d->alert_recv) {
	case SSL3_AD_BAD_CERTIFICATE:
	case SSL3_AD_UNSUPPORTED_CERTIFICATE:
	case SSL3_AD_CERTIFICATE_EXPIRED:
	case SSL3_AD_CERTIFICATE_UNKNOWN:
	case TLS1_AD_UNKNOWN_CA:
		break;
	default:
		return;
	}
	if (!X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj)))
		snprintf(subj, sizeof(subj), "?");
	na[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		ASN1_TIME_print(b, X509_get0_notAfter(x));
		k = BIO_read(b, na, (int)sizeof(na) - 1);
		na[k > 0 ? k : 0] = '\0';
		BIO_free(b);
	}
	strbuf_cat(out, len, "; we presented certificate \"%s\" (issuer ", subj);
	if (!X509_NAME_oneline(X509_get_issuer_name(x), subj, sizeof(subj)))
		snprintf(subj, sizeof(subj), "?");
	strbuf_cat(out, len, "\"%s\", notAfter %s%s, names ", subj, na[0] ? na : "?",
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ? ": expired" : "");
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			strbuf_cat(out, len, "%sDNS:%.60s", n++ ? "," : "",
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (!n)
		strbuf_cat(out, len, "no DNS name");
	strbuf_cat(out, len, ")");
	if (w->hello.sni[0])
		strbuf_cat(out, len, "; the peer asked for %s", w->hello.sni);
}

/* Client role, the server refused our ClientHello with an alert before any
 * message of its own: all there is to show is what we offered, against the
 * rule's lists, so the server's admin can compare with its configuration. */
static void
evidence_our_hello(const struct chello_watch *w, const struct policy_rule *r, int rc, char *out,
		   size_t len)
{
	static const char *const words[3] = { " with suites ", ", signature algorithms ",
					      " and groups " };

	strbuf_cat(out, len, "; we offered (our ClientHello) ");
	cat_offer(out, len, &w->sent, words);
	if (r && r->eff.signatures && r->eff.signatures->sigalgs.n)
		strbuf_cat(out, len, " (signature algorithms from signature_pairs of %s)",
		    r->eff.signatures->name);
	strbuf_cat(out, len, "; the server sent nothing before its alert, so what it offers is in "
		      "its own configuration");
	/* What we offer is the policy's: where to widen it (secure versions only). */
	if (r && rc == RC_UNSUPPORTED) {
		if (!(r->eff.protocols & POLICY_PROTO_TLS1_3)) {
			strbuf_cat(out, len, "; to offer TLSv1.3: ");
			cat_parm(out, len, r, "tls_v1_3");
		}
		if (!(r->eff.protocols & POLICY_PROTO_TLS1_2)) {
			strbuf_cat(out, len, "; to offer TLSv1.2: ");
			cat_parm(out, len, r, "tls_v1_2");
		}
	} else if (r && rc == RC_NO_CIPHERS) {
		strbuf_cat(out, len, "; our suites: ");
		cat_parm(out, len, r, "ciphers");
	} else if (r && rc == RC_SIGALG_NOT_IN_LIST && r->eff.signatures &&
		   r->eff.signatures->sigalgs.n) {
		strbuf_cat(out, len, "; our signature algorithms");
		cat_set_key(out, len, r, "signatures", r->eff.signatures->name,
		    r->eff.signatures->key_line, "signature_pairs", "signatures");
	}
}

void
chello_evidence(const struct chello_watch *w, SSL *ssl, const struct tls_diag *d,
		const struct policy_rule *r, int rc, char *cause, size_t len)
{
	const struct chello *h = &w->hello;

	/* A policy check's refusal (SNI, peer key size) carries its own evidence. */
	if (d && d->policy_rc)
		rc = 0;
	if (!SSL_is_server(ssl) && w->sent.seen && w->last_recv < 0 && d && d->alert_recv >= 0 &&
	    (rc == RC_NO_CIPHERS || rc == RC_SIGALG_NOT_IN_LIST || rc == RC_UNSUPPORTED)) {
		evidence_our_hello(w, r, rc, cause, len);
		return;
	}
	switch (rc) {
	case RC_NO_CIPHERS:
	case RC_NO_KEY_LABEL_MATCH:
		if (h->seen && r)
			evidence_suites(h, ssl, r, cause, len);
		break;
	case RC_UNSUPPORTED:
		if (h->seen && r)
			evidence_versions(h, r, cause, len);
		break;
	case RC_SIGALG_NOT_IN_LIST:
		if (h->seen && r)
			evidence_sigalgs(h, r, cause, len);
		break;
	case RC_IO_ERROR:
	case RC_SOCKET_CLOSED:
		evidence_close(w, ssl, d, cause, len);
		evidence_our_cert(w, ssl, d, cause, len);
		break;
	case RC_BAD_DATE:
		evidence_our_cert(w, ssl, d, cause, len);
		break;
	case RC_HANDSHAKE_TIMEOUT:
		evidence_stall(w, ssl, cause, len);
		break;
	}
	/* Which side sent an alert is always stated (406/420 above say it their way). */
	if (rc != RC_IO_ERROR && rc != RC_SOCKET_CLOSED && d && d->alert_sent >= 0 && !strstr(cause, "we sent alert"))
		strbuf_cat(cause, len, "; we sent alert %s", tls_alert_name(d->alert_sent));
}

/* SPDX-License-Identifier: Apache-2.0 */
/* ClientHello capture and the evidence it gives cause lines. The hello is taken
 * before OpenSSL decides anything (the server's client-hello callback, or the
 * message callback when OpenSSL fails before that callback), so a refused hello
 * can still be shown next to what the rule allows. Nothing here logs payload:
 * only codes, SNI and ALPN names. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/compiler.h"
#include "chello.h"
#include "common/strbuf.h"

static int watch_index = -1;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

/* The suites tls_ctx.c uses when a rule names no cipher set (its TLS 1.2
 * default string, then OpenSSL's TLS 1.3 default). */
static const uint16_t default_suites[] = { 0x1302, 0x1303, 0x1301, 0xC02B, 0xC02F,
					   0xC02C, 0xC030, 0xCCA9, 0xCCA8 };

static bool
is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A cursor over the hello's bytes; every read is bounds-checked. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static unsigned
rd_u8(struct rd *r)
{
	if (r->off + 1 > r->len) {
		r->bad = true;
		return 0;
	}
	return r->p[r->off++];
}

static unsigned
rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);

	return (hi << 8) | rd_u8(r);
}

/* A sub-cursor over the next 'n' bytes, which the parent skips. */
static struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd s = { r->p + r->off, n, 0, false };

	if (r->off + n > r->len) {
		r->bad = true;
		s.len = 0;
		s.bad = true;
		return s;
	}
	r->off += n;
	return s;
}

/* A list of 16-bit codes into 'v' (GREASE left out); returns how many kept. */
static uint8_t
rd_codes(struct rd *r, uint16_t *v, size_t max, uint16_t *total)
{
	uint8_t n = 0;

	while (r->off + 2 <= r->len) {
		uint16_t c = (uint16_t)rd_u16(r);
		if (is_grease(c))
			continue;
		if (total)
			(*total)++;
		if (n < max)
			v[n++] = c;
	}
	return n;
}

static void
ext_sni(struct rd *r, struct chello *h)
{
	struct rd l = rd_sub(r, rd_u16(r));

	while (l.off < l.len && !l.bad) {
		unsigned type = rd_u8(&l), n = rd_u16(&l);
		struct rd name = rd_sub(&l, n);

		if (type == 0 && !name.bad) {
			size_t k = n < sizeof(h->sni) - 1 ? n : sizeof(h->sni) - 1, i;
			/* Only printable bytes: the name is logged. */
			for (i = 0; i < k; i++)
				h->sni[i] = name.p[i] > 0x20 && name.p[i] < 0x7f ? (char)name.p[i] : '?';
			h->sni[k] = '\0';
			return;
		}
	}
}

static void
ext_alpn(struct rd *r, struct chello *h)
{
	struct rd l = rd_sub(r, rd_u16(r));
	size_t off = 0;

	while (l.off < l.len && !l.bad) {
		unsigned n = rd_u8(&l), i;
		struct rd p = rd_sub(&l, n);

		if (p.bad || off + n + 2 >= sizeof(h->alpn))
			return;
		if (off)
			h->alpn[off++] = ',';
		for (i = 0; i < n; i++)
			h->alpn[off++] = p.p[i] > 0x20 && p.p[i] < 0x7f ? (char)p.p[i] : '?';
		h->alpn[off] = '\0';
	}
}

static void
chello_ext(uint16_t type, struct rd *r, struct chello *h)
{
	struct rd l;

	switch (type) {
	case 0: /* server_name */
		ext_sni(r, h);
		break;
	case 16: /* application_layer_protocol_negotiation */
		ext_alpn(r, h);
		break;
	case 43: /* supported_versions */
		l = rd_sub(r, rd_u8(r));
		h->nversions = rd_codes(&l, h->versions, CHELLO_MAX_VERSIONS, NULL);
		break;
	case 13: /* signature_algorithms */
		l = rd_sub(r, rd_u16(r));
		h->nsigalgs = rd_codes(&l, h->sigalgs, CHELLO_MAX_SIGALGS, NULL);
		break;
	case 10: /* supported_groups */
		l = rd_sub(r, rd_u16(r));
		h->ngroups = rd_codes(&l, h->groups, CHELLO_MAX_GROUPS, NULL);
		break;
	}
}

int
chello_parse_body(const uint8_t *p, size_t len, struct chello *h)
{
	struct rd r = { p, len, 0, false }, cs, ex;

	memset(h, 0, sizeof(*h));
	h->legacy_version = (uint16_t)rd_u16(&r);
	(void)rd_sub(&r, 32);        /* random */
	(void)rd_sub(&r, rd_u8(&r)); /* legacy_session_id */
	cs = rd_sub(&r, rd_u16(&r));
	h->nciphers = rd_codes(&cs, h->ciphers, CHELLO_MAX_CIPHERS, &h->total_ciphers);
	(void)rd_sub(&r, rd_u8(&r)); /* compression methods */
	if (r.bad)
		return -1;
	h->seen = true;
	if (r.off == r.len)
		return 0; /* no extensions: an old client */
	ex = rd_sub(&r, rd_u16(&r));
	while (ex.off + 4 <= ex.len && !ex.bad) {
		uint16_t type = (uint16_t)rd_u16(&ex);
		struct rd body = rd_sub(&ex, rd_u16(&ex));
		if (!body.bad)
			chello_ext(type, &body, h);
	}
	return r.bad || ex.bad ? -1 : 0;
}

int
chello_parse_record(const uint8_t *p, size_t len, struct chello *h)
{
	size_t rlen, hlen;

	if (len < 9 || p[0] != 0x16 || p[5] != 1)
		return 1;
	rlen = (size_t)p[3] << 8 | p[4];
	hlen = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];
	/* A hello split over several records is rare; the first record must do. */
	if (rlen + 5 > len || hlen + 4 > rlen)
		return 1;
	return chello_parse_body(p + 9, hlen, h);
}

static void
watch_index_init(void)
{
	watch_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* The SignatureScheme of a CertificateVerify or a TLS 1.2 (EC)DHE
 * ServerKeyExchange we write, so a cause line or triage can name it. */
static uint16_t
sent_sigalg(const uint8_t *b, size_t len, int version)
{
	struct rd r = { b + 4, len - 4, 0, false };

	if (b[0] == SSL3_MT_CERTIFICATE_VERIFY && version >= TLS1_2_VERSION)
		return (uint16_t)rd_u16(&r);
	if (b[0] != SSL3_MT_SERVER_KEY_EXCHANGE || version != TLS1_2_VERSION)
		return 0;
	if (rd_u8(&r) == 3) { /* named_curve ECDHE: curve, point */
		(void)rd_u16(&r);
		(void)rd_sub(&r, rd_u8(&r));
	} else { /* DHE: p, g, Ys */
		r.off = 0;
		(void)rd_sub(&r, rd_u16(&r));
		(void)rd_sub(&r, rd_u16(&r));
		(void)rd_sub(&r, rd_u16(&r));
	}
	return r.bad ? 0 : (uint16_t)rd_u16(&r);
}

static void
on_msg(int write_p, int version, int type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct chello_watch *w = SSL_get_ex_data(ssl, watch_index);
	const uint8_t *b = buf;

	(void)version; /* the record's; the negotiated one is SSL_version() */
	(void)arg;
	if (!w || type != SSL3_RT_HANDSHAKE || len < 4)
		return;
	if (write_p) {
		uint16_t sig = sent_sigalg(b, len, SSL_version(ssl));
		w->last_sent = b[0];
		w->nsent++;
		if (sig)
			w->sig_sent = sig;
		/* Client role: what we offered, for when the server refuses it. */
		if (b[0] == SSL3_MT_CLIENT_HELLO && !w->sent.seen)
			(void)chello_parse_body(b + 4, len - 4, &w->sent);
		return;
	}
	w->last_recv = b[0];
	w->nrecv++;
	/* Fallback for hellos OpenSSL refuses before the client-hello callback. */
	if (b[0] == SSL3_MT_CLIENT_HELLO && !w->hello.seen)
		(void)chello_parse_body(b + 4, len - 4, &w->hello);
}

void
chello_watch_init(struct chello_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->last_recv = w->last_sent = -1;
}

void
chello_attach(SSL *ssl, struct chello_watch *w)
{
	pthread_once(&watch_once, watch_index_init);
	SSL_set_ex_data(ssl, watch_index, w);
	SSL_set_msg_callback(ssl, on_msg);
}

void
chello_detach(SSL *ssl)
{
	if (watch_index < 0)
		return;
	SSL_set_ex_data(ssl, watch_index, NULL);
	SSL_set_msg_callback(ssl, NULL);
}

static uint8_t
ext_codes(SSL *ssl, unsigned type, bool len8, uint16_t *v, size_t max)
{
	const unsigned char *p;
	size_t len;
	struct rd r, l;

	if (SSL_client_hello_get0_ext(ssl, type, &p, &len) != 1)
		return 0;
	r = (struct rd){ p, len, 0, false };
	l = rd_sub(&r, len8 ? rd_u8(&r) : rd_u16(&r));
	return rd_codes(&l, v, max, NULL);
}

void
chello_capture(SSL *ssl)
{
	struct chello_watch *w = watch_index >= 0 ? SSL_get_ex_data(ssl, watch_index) : NULL;
	struct chello *h;
	const unsigned char *p;
	size_t len;
	struct rd r;

	if (!w || w->hello.seen)
		return;
	h = &w->hello;
	memset(h, 0, sizeof(*h));
	h->legacy_version = (uint16_t)SSL_client_hello_get0_legacy_version(ssl);
	len = SSL_client_hello_get0_ciphers(ssl, &p);
	r = (struct rd){ p, len, 0, false };
	h->nciphers = rd_codes(&r, h->ciphers, CHELLO_MAX_CIPHERS, &h->total_ciphers);
	h->nversions = ext_codes(ssl, 43, true, h->versions, CHELLO_MAX_VERSIONS);
	h->nsigalgs = ext_codes(ssl, 13, false, h->sigalgs, CHELLO_MAX_SIGALGS);
	h->ngroups = ext_codes(ssl, 10, false, h->groups, CHELLO_MAX_GROUPS);
	if (SSL_client_hello_get0_ext(ssl, 0, &p, &len) == 1) {
		r = (struct rd){ p, len, 0, false };
		ext_sni(&r, h);
	}
	if (SSL_client_hello_get0_ext(ssl, 16, &p, &len) == 1) {
		r = (struct rd){ p, len, 0, false };
		ext_alpn(&r, h);
	}
	h->seen = true;
}

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

void
chello_summary(const struct chello *h, char *out, size_t len)
{
	uint16_t v[CHELLO_MAX_VERSIONS];

	out[0] = '\0';
	if (!h->seen) {
		strbuf_cat(out, len, "no ClientHello");
		return;
	}
	strbuf_cat(out, len, "sni=%s alpn=%s versions=", h->sni[0] ? h->sni : "-",
	    h->alpn[0] ? h->alpn : "-");
	cat_versions(out, len, v, offered_versions(h, v));
	strbuf_cat(out, len, " suites=");
	cat_codes(out, len, h->ciphers, h->nciphers, h->total_ciphers);
	strbuf_cat(out, len, " sigalgs=");
	cat_codes(out, len, h->sigalgs, h->nsigalgs, h->nsigalgs);
	strbuf_cat(out, len, " groups=");
	cat_codes(out, len, h->groups, h->ngroups, h->ngroups);
}

static unsigned
proto_bit(uint16_t v)
{
	switch (v) {
	case 0x0301:
		return POLICY_PROTO_TLS1_0;
	case 0x0302:
		return POLICY_PROTO_TLS1_1;
	case 0x0303:
		return POLICY_PROTO_TLS1_2;
	case 0x0304:
		return POLICY_PROTO_TLS1_3;
	}
	return 0;
}

static void
cat_protos(char *out, size_t len, unsigned protos)
{
	static const uint16_t all[] = { 0x0301, 0x0302, 0x0303, 0x0304 };
	char b[8];
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (protos & proto_bit(all[i]))
			strbuf_cat(out, len, "%s%s", n++ ? "," : "", chello_version_name(all[i], b));
	if (!n)
		strbuf_cat(out, len, "none");
}

/* The versions both sides have, as POLICY_PROTO_* bits. */
static unsigned
common_protos(const struct chello *h, unsigned allowed)
{
	uint16_t v[CHELLO_MAX_VERSIONS];
	size_t i, n = offered_versions(h, v);
	unsigned common = 0;

	/* Without supported_versions the legacy field is the highest version offered. */
	if (!h->nversions) {
		for (i = 0x0301; i <= h->legacy_version && i <= 0x0303; i++)
			common |= proto_bit((uint16_t)i);
		return common & allowed;
	}
	for (i = 0; i < n; i++)
		common |= proto_bit(v[i]);
	return common & allowed;
}

/* The suites a rule allows: its cipher set, or attlsd's defaults. */
static size_t
rule_suites(const struct policy_rule *r, const uint16_t **v)
{
	if (r && r->eff.ciphers && r->eff.ciphers->suites.n) {
		*v = r->eff.ciphers->suites.v;
		return r->eff.ciphers->suites.n;
	}
	*v = default_suites;
	return ARRAY_SIZE(default_suites);
}

static bool
suite_fits(uint16_t s, unsigned protos)
{
	bool is13 = (s >> 8) == 0x13;

	return is13 ? (protos & POLICY_PROTO_TLS1_3) != 0 : (protos & ~POLICY_PROTO_TLS1_3) != 0;
}

/* Offered suites the rule also allows and the common versions can use. */
static size_t
common_suites(const struct chello *h, const uint16_t *allow, size_t na, unsigned protos,
	      uint16_t *out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < h->nciphers; i++)
		for (j = 0; j < na; j++)
			if (h->ciphers[i] == allow[j] && suite_fits(allow[j], protos) && n < max)
				out[n++] = allow[j];
	return n;
}

static SSL *name_ssl;
static pthread_once_t name_once = PTHREAD_ONCE_INIT;

/* A session that knows every suite, only to turn codes into names. */
static void
name_init(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	if (!ctx)
		return;
	SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	name_ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL keeps a reference */
	ERR_clear_error();
}

static const SSL_CIPHER *
suite_find(uint16_t code)
{
	unsigned char b[2] = { (unsigned char)(code >> 8), (unsigned char)code };

	pthread_once(&name_once, name_init);
	return name_ssl ? SSL_CIPHER_find(name_ssl, b) : NULL;
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
		const SSL_CIPHER *c = suite_find(v[i]);
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
	int kt = x ? EVP_PKEY_get_base_id(X509_get0_pubkey(x)) : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const SSL_CIPHER *c = suite_find(both[i]);
		int auth = c ? SSL_CIPHER_get_auth_nid(c) : NID_undef;
		if ((auth == NID_auth_ecdsa && kt != EVP_PKEY_EC) ||
		    (auth == NID_auth_rsa && kt != EVP_PKEY_RSA)) {
			strbuf_cat(out, len, "; %04X is allowed by both but needs an %s certificate and "
				      "ours is %s",
			    both[i], auth == NID_auth_ecdsa ? "ECDSA" : "RSA", key_type_name(kt));
			return;
		}
	}
}

/* The groups the rule allows for the server's key exchange, from its
 * signature parameters; n == 0: OpenSSL's defaults. */
static const struct policy_codes *
rule_groups(const struct policy_rule *r, bool tls13)
{
	const struct policy_sig_parms *sg = r->eff.signatures;

	if (!sg)
		return NULL;
	if (tls13 && sg->server_key_shares.n)
		return &sg->server_key_shares;
	if (!tls13 && sg->server_kex_ecurves.n)
		return &sg->server_kex_ecurves;
	return sg->server_key_shares.n ? &sg->server_key_shares : &sg->server_kex_ecurves;
}

/* Suites in common but no key-exchange group: says so with both lists.
 * Returns true when that is the case. */
static bool
evidence_groups(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	const struct policy_codes *g = rule_groups(r, common_protos(h, r->eff.protocols) &
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
	return true;
}

static void
evidence_suites(const struct chello *h, SSL *ssl, const struct policy_rule *r, char *out,
		size_t len)
{
	uint16_t both[CHELLO_MAX_CIPHERS], v[CHELLO_MAX_VERSIONS];
	const uint16_t *allow;
	size_t na = rule_suites(r, &allow), nb;
	unsigned common = common_protos(h, r->eff.protocols);

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
	nb = common_suites(h, allow, na, common ? common : r->eff.protocols, both,
			   ARRAY_SIZE(both));
	if (!nb)
		strbuf_cat(out, len, "; no suite in common");
	else if (!evidence_groups(h, r, out, len))
		cat_key_mismatch(out, len, ssl, both, nb);
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
}

static void
evidence_sigalgs(const struct chello *h, const struct policy_rule *r, char *out, size_t len)
{
	const struct policy_sig_parms *sg = r->eff.signatures;

	strbuf_cat(out, len, "; the peer offered signature algorithms ");
	cat_codes(out, len, h->sigalgs, h->nsigalgs, h->nsigalgs);
	strbuf_cat(out, len, "; rule %s allows ", r->name);
	if (sg && sg->sigalgs.n)
		cat_codes(out, len, sg->sigalgs.v, sg->sigalgs.n, sg->sigalgs.n);
	else
		strbuf_cat(out, len, "the library defaults");
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
 * move it was, so the analyst knows which side's log to read. */
static void
evidence_stall(const struct chello_watch *w, SSL *ssl, char *out, size_t len)
{
	if (w->last_recv < 0)
		strbuf_cat(out, len, "; no complete handshake message arrived from the peer (it sent part "
			      "of one and stopped)");
	else
		strbuf_cat(out, len, "; it stalled after we had received %s and sent %s (OpenSSL state: "
			      "%s)",
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
evidence_our_hello(const struct chello_watch *w, const struct policy_rule *r, char *out,
		   size_t len)
{
	const struct chello *h = &w->sent;
	uint16_t v[CHELLO_MAX_VERSIONS];

	strbuf_cat(out, len, "; we offered (our ClientHello) ");
	cat_versions(out, len, v, offered_versions(h, v));
	strbuf_cat(out, len, " with suites ");
	cat_codes(out, len, h->ciphers, h->nciphers, h->total_ciphers);
	strbuf_cat(out, len, ", signature algorithms ");
	cat_codes(out, len, h->sigalgs, h->nsigalgs, h->nsigalgs);
	strbuf_cat(out, len, " and groups ");
	cat_codes(out, len, h->groups, h->ngroups, h->ngroups);
	if (r && r->eff.signatures && r->eff.signatures->sigalgs.n)
		strbuf_cat(out, len, " (signature algorithms from signature_pairs of %s)",
		    r->eff.signatures->name);
	strbuf_cat(out, len, "; the server sent nothing before its alert, so what it offers is in "
		      "its own configuration");
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
	    (rc == 402 || rc == 467 || rc == 412)) {
		evidence_our_hello(w, r, cause, len);
		return;
	}
	switch (rc) {
	case 402:
	case 510:
		if (h->seen && r)
			evidence_suites(h, ssl, r, cause, len);
		break;
	case 412:
		if (h->seen && r)
			evidence_versions(h, r, cause, len);
		break;
	case 467:
		if (h->seen && r)
			evidence_sigalgs(h, r, cause, len);
		break;
	case 406:
	case 420:
		evidence_close(w, ssl, d, cause, len);
		evidence_our_cert(w, ssl, d, cause, len);
		break;
	case 401:
		evidence_our_cert(w, ssl, d, cause, len);
		break;
	case 5104:
		evidence_stall(w, ssl, cause, len);
		break;
	}
	/* Which side sent an alert is always stated (406/420 above say it their way). */
	if (rc != 406 && rc != 420 && d && d->alert_sent >= 0 && !strstr(cause, "we sent alert"))
		strbuf_cat(cause, len, "; we sent alert %s", tls_alert_name(d->alert_sent));
}

/* SPDX-License-Identifier: Apache-2.0 */
/* ClientHello capture and parsing. The hello is taken before OpenSSL decides
 * anything (the server's client-hello callback, or the message callback when
 * OpenSSL fails before that callback), so a refused hello can still be shown
 * next to what the rule allows: chello_cause.c words that evidence, fit.c
 * judges what fits. Nothing here keeps payload: only codes, SNI and ALPN. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/err.h"
#include "chello.h"

static int watch_index = -1;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

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
		return ATTLS_EINVAL;
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
	return r.bad || ex.bad ? ATTLS_EINVAL : 0;
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

/* SPDX-License-Identifier: Apache-2.0 */
/* The PROXY protocol v2 header that tells a backend who connected: the
 * client's address, and for TLS connections the version, cipher, SNI, client
 * certificate CN and, on request, the DER certificate, in the spec's TLVs
 * (PP2_TYPE_AUTHORITY, PP2_TYPE_SSL and its sub-TLVs) plus attls's own. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/err.h"
#include "common/escape.h"
#include "conn.h"
#include "proxyv2.h"

#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CN 0x22
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
/* In the range the spec leaves to applications (0xE0-0xEF). */
#define PP2_TYPE_ATTLS_USERID 0xE0
#define PP2_TYPE_ATTLS_CLIENT_CERT 0xE1

#define PROXYV2_MAX 16384

static const unsigned char sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

struct out {
	unsigned char *b;
	size_t n, cap;
	bool full;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->full || o->n + n > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
put_tlv(struct out *o, unsigned type, const void *v, size_t n)
{
	unsigned char h[3] = { (unsigned char)type, (unsigned char)(n >> 8), (unsigned char)n };

	put(o, h, 3);
	put(o, v, n);
}

static void
put_str_tlv(struct out *o, unsigned type, const char *s)
{
	if (s && *s)
		put_tlv(o, type, s, strlen(s));
}

/* The SNI for PP2_TYPE_AUTHORITY, only when it is a host name (RFC 6066:
 * letters, digits, '-' and '.', with '_' as seen in the wild, 253 at most).
 * The backend may log or route on it, so a name with controls, blanks or
 * non-ASCII bytes is left out rather than passed on. NULL: none. */
static const char *
proxyv2_authority(SSL *ssl)
{
	const char *s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != n)
		return NULL;
	return s;
}

/* PP2_TYPE_SSL: client flags, verify result, then sub-TLVs. The CN is the
 * peer's choice: escaped (common/escape.h) like every log field. */
static void
put_ssl(struct out *o, SSL *ssl, X509 *peer)
{
	unsigned char head[5] = { PP2_CLIENT_SSL, 0, 0, 0, 0 };
	struct out sub = { NULL, 0, 1024, false };
	char cn[256] = "", esc[ESCAPE_FIELD];
	const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);

	if (!(sub.b = malloc(sub.cap))) {
		o->full = true;
		return;
	}
	if (peer) {
		head[0] |= PP2_CLIENT_CERT_CONN;
		if (SSL_get_verify_result(ssl) != X509_V_OK)
			head[4] = 1; /* non-zero: not verified */
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	}
	put(&sub, head, sizeof(head));
	put_str_tlv(&sub, PP2_SUBTYPE_SSL_VERSION, SSL_get_version(ssl));
	put_str_tlv(&sub, PP2_SUBTYPE_SSL_CN, escape_str(cn, esc, sizeof(esc)));
	put_str_tlv(&sub, PP2_SUBTYPE_SSL_CIPHER, ci ? SSL_CIPHER_get_name(ci) : NULL);
	if (sub.full)
		o->full = true;
	else
		put_tlv(o, PP2_TYPE_SSL, sub.b, sub.n);
	free(sub.b);
}

static void
put_addresses(struct out *o, const union rt_sockaddr *src, const union rt_sockaddr *dst)
{
	if (src->sa.sa_family == AF_INET) {
		put(o, &src->in.sin_addr, 4);
		put(o, &dst->in.sin_addr, 4);
		put(o, &src->in.sin_port, 2);
		put(o, &dst->in.sin_port, 2);
	} else {
		put(o, &src->in6.sin6_addr, 16);
		put(o, &dst->in6.sin6_addr, 16);
		put(o, &src->in6.sin6_port, 2);
		put(o, &dst->in6.sin6_port, 2);
	}
}

static void
put_cert(struct out *o, X509 *peer)
{
	unsigned char *der = NULL;
	int n = i2d_X509(peer, &der);

	if (n > 0)
		put_tlv(o, PP2_TYPE_ATTLS_CLIENT_CERT, der, (size_t)n);
	OPENSSL_free(der);
}

int
proxyv2_build(const struct conn *c, char **out, size_t *len)
{
	struct out o = { NULL, 0, PROXYV2_MAX, false };
	SSL *ssl = c->tls == &c->cl ? c->cl.ssl : NULL;
	X509 *peer = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	unsigned char head[4];
	size_t body;

	*out = NULL;
	if (!(o.b = malloc(o.cap))) {
		X509_free(peer);
		return ATTLS_ENOMEM;
	}
	put(&o, sig, sizeof(sig));
	head[0] = 0x21; /* version 2, PROXY */
	head[1] = c->remote.sa.sa_family == AF_INET ? 0x11 : 0x21; /* TCP over IPv4 / IPv6 */
	put(&o, head, 4);                                           /* length filled below */
	put_addresses(&o, &c->remote, &c->local);
	if (ssl) {
		put_str_tlv(&o, PP2_TYPE_AUTHORITY, proxyv2_authority(ssl));
		put_ssl(&o, ssl, peer);
		if (peer && c->rule->proxy_client_cert)
			put_cert(&o, peer);
	}
	X509_free(peer);
	if (o.full) {
		free(o.b);
		return ATTLS_EINVAL;
	}
	body = o.n - 16;
	o.b[14] = (unsigned char)(body >> 8);
	o.b[15] = (unsigned char)body;
	*out = (char *)o.b;
	*len = o.n;
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/: what a peer offered in its ClientHello (SNI, ALPN, versions,
 * suites, signature algorithms, groups) and the handshake messages seen, kept per
 * connection only while it handshakes, so that cause lines can show evidence
 * ("the client offered 0303 only; the rule allows TLSv1.3"). */
#ifndef ATTLS_CHELLO_H
#define ATTLS_CHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "policy/policy.h"
#include "tls.h"

#define CHELLO_MAX_CIPHERS 48
#define CHELLO_MAX_SIGALGS 24
#define CHELLO_MAX_GROUPS 12
#define CHELLO_MAX_VERSIONS 8

/* The parsed ClientHello. Lists keep the first entries only; the n_* counts are
 * what the peer offered in total. GREASE values (RFC 8701) are left out. */
struct chello {
	bool seen;
	uint16_t legacy_version;
	uint8_t nversions, nsigalgs, ngroups, nciphers;
	uint16_t total_ciphers;
	uint16_t versions[CHELLO_MAX_VERSIONS]; /* supported_versions; none: legacy only */
	uint16_t ciphers[CHELLO_MAX_CIPHERS];
	uint16_t sigalgs[CHELLO_MAX_SIGALGS];
	uint16_t groups[CHELLO_MAX_GROUPS];
	char sni[64];
	char alpn[40]; /* comma-separated */
};

/* A connection's handshake watch: the hello, and the last handshake message
 * types each way (-1 none), for "after which message" in cause lines. */
struct chello_watch {
	struct chello hello;
	struct chello sent; /* Client role: the ClientHello we sent */
	int last_recv, last_sent;
	unsigned nrecv, nsent;
	uint16_t sig_sent; /* the SignatureScheme we signed the handshake with, 0 none */
};

/* Parses a ClientHello handshake body (after the 4-byte handshake header).
 * Returns 0, or ATTLS_EINVAL when it is malformed. */
int chello_parse_body(const uint8_t *p, size_t len, struct chello *h);
/* Parses a ClientHello at the start of TLS record bytes. Returns 0, 1 when the
 * bytes are not (or not yet wholly) a ClientHello, ATTLS_EINVAL when malformed. */
int chello_parse_record(const uint8_t *p, size_t len, struct chello *h);

void chello_watch_init(struct chello_watch *w);
/* Watches 'ssl': the message callback notes handshake messages both ways and
 * parses a ClientHello it receives. 'w' must outlive the watch. */
void chello_attach(SSL *ssl, struct chello_watch *w);
void chello_detach(SSL *ssl);
/* For the server's client-hello callback: takes the hello from OpenSSL's view
 * before anything is decided. A no-op when 'ssl' is not watched. */
void chello_capture(SSL *ssl);

/* "TLSv1.2", or "0x0305" for codes without a name. */
const char *chello_version_name(uint16_t v, char buf[8]);
/* One-line summary: SNI, ALPN, versions, suites, sigalgs, groups. */
void chello_summary(const struct chello *h, char *out, size_t len);
/* Appends to 'cause' the evidence for 'rc' from the hello the peer offered
 * (versions and suites against the rule's for 402/412, signature algorithms for
 * 467, which side closed after which message for 406/420, and the certificate
 * we presented when the peer refused it with an alert, 401/406); chello_cause.c. */
void chello_evidence(const struct chello_watch *w, SSL *ssl, const struct tls_diag *d,
		     const struct policy_rule *r, int rc, char *cause, size_t len);

#endif

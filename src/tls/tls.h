/* SPDX-License-Identifier: Apache-2.0 */
/* TLS contexts built from policy rules, and the mapping of OpenSSL outcomes to
 * System SSL / AT-TLS return codes with a cause in words. */
#ifndef ATTLS_TLS_H
#define ATTLS_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "common/compiler.h"
#include "policy/policy.h"

/* Builds the SSL_CTX for a rule's effective parameters. On failure returns a
 * negative code, *rc the return code to report (e.g. 428) and 'err' the reason. */
ATTLS_NODISCARD int tls_ctx_new(const struct policy_rule *r, SSL_CTX **out, int *rc, char *err,
				size_t errlen);

/* The function that receives key_log lines (NSS key log format) of every
 * context built afterwards with key_log On. */
void tls_ctx_set_keylog_sink(void (*sink)(const SSL *ssl, const char *line));

/* The rule an SSL_CTX was built for, or NULL (a context not from tls_ctx_new). */
const struct policy_rule *tls_ctx_rule(const SSL_CTX *ctx);

/* True once a client's renegotiation was refused on 'ssl' (RC 432). */
bool tls_reneg_refused(const SSL *ssl);

/* ClientAuthType SAFCheck, after a successful handshake: maps the client
 * certificate to a user ID through the rule's identity map into 'user'. Returns
 * 0 (user "" when the rule does no SAFCheck) or the RC to end with (5002), with
 * the evidence in 'cause'. */
int tls_identity_check(SSL *ssl, const struct policy_rule *r, char *user, size_t ulen,
		       char *cause, size_t clen);
/* The same for a certificate outside a handshake (attlsctl explain --cert): the
 * rule's identity map only, no role check. */
int tls_identity_check_cert(X509 *cert, const struct policy_rule *r, char *user, size_t ulen,
			    char *cause, size_t clen);
/* After a successful handshake: the policy checks that need the whole handshake
 * (peer_min_dh_key_size on the peer's ephemeral key). Returns 0 or the RC to end
 * with, the evidence in 'cause'. */
int tls_peer_check(SSL *ssl, const struct policy_rule *r, char *cause, size_t len);
/* The return code for an X509_V_ERR_* verification result. */
int tls_verify_rc(int x509_err);

/* Client role: asks OpenSSL to check that the server certificate names 'id' (a
 * DNS name, or an IP address against IP SANs); "" checks nothing. */
int tls_set_identity(SSL *ssl, const char *id);

/* What a connection remembers of its handshake for diagnostics. */
struct tls_diag {
	int alert_sent;     /* TLS alert description we sent, -1 none */
	int alert_recv;     /* TLS alert description the peer sent, -1 none */
	int verify_err;     /* first X509_V_ERR_* seen, 0 none */
	int verify_depth;
	char subject[160];  /* of the certificate that failed verification */
	char issuer[160];
	char not_after[32];
	char detail[128];   /* what a policy check found (signature scheme refused) */
	char evidence[1024]; /* "; ..." phrases on the failed certificate (tls_verify_cause.c) */
	int policy_rc;      /* a policy check refused the peer with this RC, 0 none */
	char policy_cause[512];
};

void tls_diag_init(struct tls_diag *d);
/* Installs callbacks that fill 'd' (which must outlive 'ssl'). */
void tls_diag_attach(SSL *ssl, struct tls_diag *d);
/* Stops filling the diagnostics (after a successful handshake). */
void tls_diag_detach(SSL *ssl);
/* The verify callback part that records the first failure into the attached
 * diagnostics; policy verify callbacks end by calling it. */
int tls_diag_verify(int ok, X509_STORE_CTX *x);
/* Records why a policy check failed the certificate being verified. */
void tls_diag_note(SSL *ssl, const char *detail);
/* Records that a policy check (SNI, peer key sizes) refused the peer with 'rc';
 * the first refusal wins and tls_err_classify() reports it with 'cause'. */
void tls_diag_refuse(SSL *ssl, int rc, const char *cause);
/* An X.509 name as RFC 4514 text ("CN=a,O=b"), for logs: non-ASCII bytes and
 * controls escaped (common/escape.h), cut with "..." when longer than 'len'. */
void tls_name(X509_NAME *n, char *buf, size_t len);

/* Classifies a failed SSL_do_handshake/SSL_read/SSL_write. 'ssl_err' is the
 * SSL_get_error() value, 'sys_errno' errno at the time, 'e' the first queued
 * OpenSSL error (0 none). Fills 'cause' with evidence; returns the RC. */
int tls_err_classify(SSL *ssl, const struct tls_diag *d, int ssl_err, int sys_errno,
		     unsigned long e, char *cause, size_t len);
const char *tls_alert_name(int desc);
/* 4-hex-digit IANA code of the negotiated cipher ("1302"). */
void tls_cipher_code(const SSL *ssl, char out[5]);

#endif

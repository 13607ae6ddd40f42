/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the TLS layer only: the advanced parameters tls_ctx.c applies
 * (tls_adv.c). */
#ifndef ATTLS_TLS_ADV_H
#define ATTLS_TLS_ADV_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "policy/policy.h"

/* MiddleBoxCompatMode, ExtendedMasterSecret Off, CertValidationMode and the
 * Client role's max_fragment_length onto a new context. */
int tls_adv_set(SSL_CTX *ctx, const struct policy_rule *r, char *err, size_t errlen);
/* ServerHandshakeSNIList: each listed certificate loaded once into the context. */
int tls_adv_load_sni(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t len);
/* The first ClientHello of a server-role connection: extended master secret
 * Required, then the certificate for its server name. Returns an
 * SSL_CLIENT_HELLO_* value; on refusal *al is the alert and the refusal is
 * recorded for the cause line. */
int tls_adv_on_hello(SSL *ssl, const struct policy_rule *r, int *al);
/* PeerMin*KeySize / PeerMinCertVersion on one certificate the peer sent at
 * 'depth': true (and why) when the policy refuses it. */
bool tls_adv_peer_min_refused(const struct policy_rule *r, X509 *cert, int depth, char *why,
			      size_t len);

#endif

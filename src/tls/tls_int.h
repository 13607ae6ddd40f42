/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the TLS layer only: what tls_ctx.c takes from tls_parms.c and
 * tls_err.c. */
#ifndef ATTLS_TLS_INT_H
#define ATTLS_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "policy/policy.h"

/* TTLSCipherParms and TTLSSignatureParms of rule 'r' onto 'ctx'; on failure
 * *rc is the return code and 'err' the reason. */
int tls_parms_set(SSL_CTX *ctx, const struct policy_rule *r, int *rc, char *err, size_t errlen);
/* attlsd's default TLS 1.2 suites (fit.c) onto 'ctx', for a rule without a
 * cipher set; its TLS 1.3 defaults are OpenSSL's own, left in place. */
int tls_parms_set_default(SSL_CTX *ctx, const char *rule, char *err, size_t errlen);
/* tls_verify_cause.c: the evidence of verify error 'err' on 'cert' ("; ..."
 * phrases for the cause line) into 'out'. */
void tls_verify_evidence(X509_STORE_CTX *x, SSL *ssl, int err, X509 *cert, char *out,
			 size_t len);
/* True when the peer's end-entity certificate lacks the keyUsage or
 * extendedKeyUsage its TLS role needs (any TLS version). */
bool tls_usage_refused(SSL *ssl, X509 *cert);
/* "what: OpenSSL's last error" into 'err'; clears OpenSSL's error queue. */
void tls_err_last(char *err, size_t len, const char *what);

#endif

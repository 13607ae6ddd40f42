/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the tls part: what fits what in a handshake. attlsd's default
 * suites, the versions and suites a hello and a rule have in common, and
 * whether a certificate's key can serve a suite or sign with a scheme; read by
 * the context builder, the cause lines (chello_cause.c) and the keyring lint. */
#ifndef ATTLS_FIT_H
#define ATTLS_FIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "chello.h"
#include "policy/policy.h"

/* The suites attlsd offers when a rule names no cipher set: TLS 1.3 first
 * (OpenSSL's defaults, which tls_ctx.c leaves in place), then the Mozilla
 * "intermediate" TLS 1.2 suites, forward secrecy and AEAD only, which
 * tls_ctx.c sets. */
extern const uint16_t fit_default_suites[];
extern const size_t fit_ndefault_suites;

/* The POLICY_PROTO_* bit of a protocol version code (0x0303), 0 if none. */
unsigned fit_proto_bit(uint16_t v);
/* The versions a hello and 'allowed' (POLICY_PROTO_* bits) have in common. */
unsigned fit_common_protos(const struct chello *h, unsigned allowed);
/* The suites a rule allows: its cipher set, or the defaults; returns how many. */
size_t fit_rule_suites(const struct policy_rule *r, const uint16_t **v);
/* True if suite 's' can be used with one of the versions 'protos'. */
bool fit_suite_proto(uint16_t s, unsigned protos);
/* Offered suites the rule also allows and the common versions can use. */
size_t fit_common_suites(const struct chello *h, const uint16_t *allow, size_t na,
			 unsigned protos, uint16_t *out, size_t max);
/* The groups a rule allows for the server's key exchange, from its signature
 * parameters (NULL or n == 0: OpenSSL's defaults). */
const struct policy_codes *fit_rule_groups(const struct policy_rule *r, bool tls13);

/* The SSL_CIPHER of an IANA suite code this OpenSSL knows, or NULL. */
const SSL_CIPHER *fit_suite_find(uint16_t code);
/* The TLS 1.2 authentication a key can do (NID_auth_*); 0: not known here. */
int fit_auth_nid(EVP_PKEY *pk);
/* True if a certificate with key 'pk' can serve suite 'code' with one of the
 * versions 'protos': a TLS 1.3 suite any key, a TLS 1.2 suite a key of its
 * authentication. A suite or a key type not known here fits. */
bool fit_suite_key(uint16_t code, EVP_PKEY *pk, unsigned protos);
/* True if some suite of the rule's cipher set fits key 'pk' (no cipher set:
 * the defaults serve RSA and ECDSA keys). */
bool fit_rule_suites_key(const struct policy_rule *r, EVP_PKEY *pk);
/* True if key 'pk' can sign with SignatureScheme 'code' under 'protos'. */
bool fit_sig_key(uint16_t code, EVP_PKEY *pk, unsigned protos);
/* True if the rule's signature_pairs list a scheme key 'pk' can sign with. */
bool fit_rule_sigalgs_key(const struct policy_rule *r, EVP_PKEY *pk);

#endif

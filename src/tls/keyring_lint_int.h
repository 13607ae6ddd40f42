/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the keyring lint (keyring_lint*.c): its state, one certificate
 * as read, and the report and naming helpers the checks share. */
#ifndef ATTLS_KEYRING_LINT_INT_H
#define ATTLS_KEYRING_LINT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/compiler.h"
#include "keyring_lint.h"

struct keyring_lint {
	const struct policy *p;
	const struct policy_keyring *k; /* the keyring being checked */
	keyring_lint_cb cb;
	void *arg;
	time_t now;
	unsigned days;
	char **seen; /* findings so far: several rules may find the same thing */
	size_t nseen;
	int findings;
	bool unreadable, nomem;
};

/* One labelled certificate of the keyring, as read from its files. */
struct keyring_lint_cert {
	const struct policy_cert *pc;
	STACK_OF(X509) * chain; /* leaf first; NULL: unreadable */
	EVP_PKEY *key;
};

/* A finding with the RC a handshake would meet; identical ones once. */
void keyring_lint_report(struct keyring_lint *kl, int rc, const char *fmt, ...) ATTLS_PRINTF(3, 4);
/* Informational: worth knowing, but nothing a handshake fails on by itself;
 * not counted as a finding. */
void keyring_lint_note(struct keyring_lint *kl, const char *fmt, ...) ATTLS_PRINTF(2, 3);
const char *keyring_lint_subject(const X509 *x, char *buf, size_t len);
const char *keyring_lint_issuer(const X509 *x, char *buf, size_t len);
time_t keyring_lint_time(const ASN1_TIME *t);
const char *keyring_lint_date(const ASN1_TIME *t, char *buf, size_t len);
const char *keyring_lint_serial(const X509 *x, char *buf, size_t len);
/* "RSA-2048", "ECDSA prime256v1", "ED25519". */
const char *keyring_lint_keydesc(EVP_PKEY *pk, char *buf, size_t len);

/* keyring_lint_cert.c: the checks of the files alone. */
STACK_OF(X509) *keyring_lint_read_certs(struct keyring_lint *kl, const char *path,
					 const char *what);
/* Two CAs with one name and different keys, and the CAs' dates. */
void keyring_lint_cas(struct keyring_lint *kl, STACK_OF(X509) * cas);
/* Same-named CAs with different keys in different files of the policy's keyrings. */
void keyring_lint_cross_cas(struct keyring_lint *kl);
/* Dates, key size, key pairing and chain of one labelled certificate. */
void keyring_lint_cert(struct keyring_lint *kl, struct keyring_lint_cert *c,
		       const struct policy_cert *pc, STACK_OF(X509) * cas, bool cas_ok);

/* keyring_lint_rule.c: the labels a rule presents, checked against the rule. */
void keyring_lint_rule(struct keyring_lint *kl, const struct policy_rule *r,
		       const struct keyring_lint_cert *lc, size_t n);

#endif

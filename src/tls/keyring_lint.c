/* SPDX-License-Identifier: Apache-2.0 */
/* Keyring lint: what would make a handshake fail, found before the first
 * connection does. Certificates and keys are read as attlsd reads them
 * (keyload.c: PEM files, encrypted ones, PKCS#11 tokens); the role-dependent
 * checks (SAN, key usage, key type against cipher and signature lists) follow
 * each rule that uses the keyring, presenting the certificates load_certs() in
 * tls_ctx.c would present. Here: the walk over
 * keyrings and rules, the report, and naming helpers; the checks are in
 * keyring_lint_cert.c (files alone) and keyring_lint_rule.c (against rules). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/log.h"
#include "keyring_lint_int.h"

static bool
keyring_lint_seen(struct keyring_lint *kl, const char *line)
{
	char **v;
	size_t i;

	for (i = 0; i < kl->nseen; i++)
		if (strcmp(kl->seen[i], line) == 0)
			return true;
	if (!(v = realloc(kl->seen, (kl->nseen + 1) * sizeof(*v))) ||
	    !(v[kl->nseen] = strdup(line))) {
		if (v)
			kl->seen = v;
		kl->nomem = true;
		return false;
	}
	kl->seen = v;
	kl->nseen++;
	return false;
}

void
keyring_lint_report(struct keyring_lint *kl, int rc, const char *fmt, ...)
{
	char msg[2048], line[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* pos.file belonged to the load's diag_list, gone by now: p->path instead. */
	snprintf(line, sizeof(line), "keyring \"%s\" (%s:%u): RC %d: %s", kl->k->name,
	         kl->p->path ? kl->p->path : "?", kl->k->pos.line, rc, msg);
	if (keyring_lint_seen(kl, line))
		return;
	kl->findings++;
	kl->cb(line, kl->arg);
}

void
keyring_lint_note(struct keyring_lint *kl, const char *fmt, ...)
{
	char msg[2048], line[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "keyring \"%s\" (%s:%u): note: %s", kl->k->name,
	         kl->p->path ? kl->p->path : "?", kl->k->pos.line, msg);
	if (!keyring_lint_seen(kl, line))
		kl->cb(line, kl->arg);
}

const char *
keyring_lint_subject(const X509 *x, char *buf, size_t len)
{
	if (!X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *
keyring_lint_issuer(const X509 *x, char *buf, size_t len)
{
	if (!X509_NAME_oneline(X509_get_issuer_name(x), buf, (int)len))
		snprintf(buf, len, "?");
	return buf;
}

time_t
keyring_lint_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

const char *
keyring_lint_date(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "?");
	return buf;
}

const char *
keyring_lint_serial(const X509 *x, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	return buf;
}

/* "RSA-2048", "ECDSA prime256v1", "ED25519". */
const char *
keyring_lint_keydesc(EVP_PKEY *pk, char *buf, size_t len)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL))
			snprintf(group, sizeof(group), "?");
		snprintf(buf, len, "ECDSA %.40s", group);
		break;
	default:
		snprintf(buf, len, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		break;
	}
	return buf;
}

static void
keyring_lint_keyring(struct keyring_lint *kl)
{
	const struct policy_keyring *k = kl->k;
	struct keyring_lint_cert *lc = calloc(k->certs.n ? k->certs.n : 1, sizeof(*lc));
	STACK_OF(X509) *cas = NULL;
	bool cas_ok = true;
	size_t i;

	if (!lc) {
		kl->nomem = true;
		return;
	}
	if (k->trusted_ca) {
		if ((cas = keyring_lint_read_certs(kl, k->trusted_ca, "trusted_ca")) != NULL)
			keyring_lint_cas(kl, cas);
		cas_ok = cas != NULL; /* else every chain would look incomplete */
	}
	for (i = 0; i < k->certs.n; i++)
		keyring_lint_cert(kl, &lc[i], &k->certs.v[i], cas, cas_ok);
	for (i = 0; i < kl->p->nrules; i++) {
		const struct policy_rule *r = &kl->p->rules[i];

		if (!r->broken && r->env && r->env->keyring == k)
			keyring_lint_rule(kl, r, lc, k->certs.n);
	}
	for (i = 0; i < k->certs.n; i++) {
		sk_X509_pop_free(lc[i].chain, X509_free);
		EVP_PKEY_free(lc[i].key);
	}
	free(lc);
	sk_X509_pop_free(cas, X509_free);
}

int
keyring_lint(const struct policy *p, const struct keyring_lint_opts *o, keyring_lint_cb cb,
             void *arg)
{
	struct keyring_lint kl = {.p = p, .cb = cb, .arg = arg};
	size_t i;

	kl.now = o && o->now ? o->now : time(NULL);
	kl.days = o ? o->days : KEYRING_LINT_DAYS;
	for (i = 0; i < p->nkeyrings; i++) {
		kl.k = &p->keyrings[i];
		keyring_lint_keyring(&kl);
	}
	keyring_lint_cross_cas(&kl);
	for (i = 0; i < kl.nseen; i++)
		free(kl.seen[i]);
	free(kl.seen);
	if (kl.nomem)
		return ATTLS_ENOMEM;
	return kl.unreadable ? ATTLS_EIO : kl.findings;
}

static void
keyring_lint_warn(const char *line, void *arg)
{
	(void)arg;
	if (strstr(line, "): note: "))
		log_notice("%s", line);
	else
		log_warn("warning: %s", line);
}

void
keyring_lint_log(const struct policy *p)
{
	struct keyring_lint_opts o = { KEYRING_LINT_DAYS, 0 };

	(void)keyring_lint(p, &o, keyring_lint_warn, NULL);
}

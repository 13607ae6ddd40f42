/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent cipher and code lists: suites OpenSSL does not implement (static DH and
 * ECDH, DSS, RC4, DES, export, NULL) are dropped with a warning each, since
 * published z/OS lists mix them with modern ones; Any or All in a curve, group or
 * signature list is the default list. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/compiler.h"
#include "pagent_int.h"
#include "tlsnames.h"

/* Parts of an IANA suite name that OpenSSL 3 (default provider, as Debian
 * builds it) has no implementation of. */
static const char *const pagent_suite_gone[] = {
	"_DH_", "_ECDH_", "_DSS_", "RC4", "RC2", "_DES_", "_DES40_", "EXPORT", "_NULL",
	"_anon_", "IDEA", "SEED", "_KRB5_", "FORTEZZA", NULL
};

/* Codes z/OS documents that attlsd's suite table lacks, all of them static DH
 * or ECDH, DSS, DES, RC2 and RC4 export, NULL or ECDHE with RC4 or 3DES. */
static const struct {
	uint16_t code;
	const char *name;
} pagent_suite_zos[] = {
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5" },
	{ 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5" },
	{ 0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA" },
	{ 0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA" },
	{ 0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA" },
	{ 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA" },
	{ 0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256" },
	{ 0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256" },
	{ 0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256" },
	{ 0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256" },
	{ 0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256" },
	{ 0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384" },
	{ 0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA" },
	{ 0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA" },
	{ 0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA" },
	{ 0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" },
	{ 0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA" },
	{ 0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA" },
	{ 0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA" },
	{ 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
	{ 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384" },
};

/* The name of z/OS suite 'code', or with 'name' the entry of that name. */
static const char *
pagent_suite_zos_name(uint16_t code, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pagent_suite_zos); i++)
		if (name ? strcasecmp(pagent_suite_zos[i].name, name) == 0
			 : pagent_suite_zos[i].code == code)
			return pagent_suite_zos[i].name;
	return NULL;
}

static bool
pagent_suite_missing(const char *iana)
{
	const char *const *g;

	for (g = pagent_suite_gone; *g; g++)
		if (strstr(iana, *g))
			return true;
	return false;
}

static void
pagent_suite_drop(struct pconv *c, const struct pnode *k, size_t i, const char *what)
{
	diag_warning(c->dl, k->vpos[i], "%s %s is dropped: attlsd cannot offer it (OpenSSL "
					"as attlsd uses it does not implement it); the other "
					"suites are kept",
		     k->kw, what);
}

/* A run of 2- or 4-hex-digit codes ("352F0A"): the codes OpenSSL has, in order;
 * false when the word is not such a run (the loader judges it). */
static bool
pagent_suite_run(struct pconv *c, const struct pnode *k, size_t i, unsigned width, char *out,
		 size_t size)
{
	const char *w = k->v[i];
	size_t len = strlen(w), j, n = 0;
	char code[5], what[96];

	if (!len || len % width || strspn(w, "0123456789abcdefABCDEF") != len || len >= size)
		return false;
	for (j = 0; j < len; j += width) {
		const struct tlsname *t;
		const char *gone;
		uint16_t v;

		snprintf(code, sizeof(code), "%.*s", (int)width, w + j);
		v = (uint16_t)strtoul(code, NULL, 16);
		t = tlsname_cipher(v);
		gone = t && pagent_suite_missing(t->iana) ? t->iana : pagent_suite_zos_name(v, NULL);
		if (!gone) { /* implemented, or unknown: the loader says which */
			memcpy(out + n, code, width);
			n += width;
			continue;
		}
		snprintf(what, sizeof(what), "code %s (%s)", code, gone);
		pagent_suite_drop(c, k, i, what);
	}
	out[n] = '\0';
	return true;
}

/* V3CipherSuites, V3CipherSuites4Char: repeated lines concatenated, as lists. */
void
pagent_suites_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	unsigned width = strcasecmp(k->kw, "V3CipherSuites") == 0 ? 2 : 4;
	struct ynode *seq = ytree_get(m, key), *v;
	char run[4200];
	size_t i;

	if (!seq) {
		if (!conv_ok(c, ytree_put(m, key, k->pos, conv_new(c, YNODE_SEQ, k->pos))))
			return;
		seq = m->items[m->n - 1];
	}
	for (i = 0; i < k->nv; i++) {
		const struct tlsname *t = tlsname_cipher_by_name(k->v[i]);
		const char *word = k->v[i];
		bool exact = true;

		if (pagent_suite_run(c, k, i, width, run, sizeof(run))) {
			if (!run[0])
				continue;
			exact = strcmp(run, word) == 0;
			word = run;
		} else if ((t && pagent_suite_missing(t->iana)) ||
			   (!t && (pagent_suite_missing(word) ||
				   pagent_suite_zos_name(0, word)))) {
			/* Anything else unknown, a typo too, is the loader's error. */
			pagent_suite_drop(c, k, i, word);
			continue;
		}
		if ((v = ytree_scalar(word, k->vpos[i])) != NULL)
			v->exact = exact; /* a bad code inside "C02BCCCC" is pointed at */
		(void)conv_ok(c, ytree_push(seq, v));
	}
}

/* Curve, group and signature lists: "Any" (ClientECurves) and "All" say no
 * restriction, which attlsd writes as the default list. */
void
pagent_suites_codes(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	struct pnode copy = *k;
	char *any[1] = { "Default" };

	if (k->nv == 1 && (strcasecmp(k->v[0], "Any") == 0 || strcasecmp(k->v[0], "All") == 0)) {
		diag_warning(c->dl, k->vpos[0], "%s %s: attlsd offers OpenSSL's default list (for "
						"groups X25519, P-256, X448, P-521, P-384 and the "
						"ffdhe groups; no Brainpool curves)",
			     k->kw, k->v[0]);
		copy.v = any;
	}
	pagent_params_list(c, &copy, key, m);
}

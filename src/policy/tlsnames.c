/* SPDX-License-Identifier: Apache-2.0 */
/* IANA TLS registries (the parts AT-TLS policies use): cipher suites by 2-byte
 * code, SignatureScheme by 2-byte code, NamedGroup by number. */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/compiler.h"
#include "diag.h"
#include "tlsnames.h"

static const struct tlsname ciphers[] = {
	{ 0x0000, "TLS_NULL_WITH_NULL_NULL", NULL },
	{ 0x0001, "TLS_RSA_WITH_NULL_MD5", NULL },
	{ 0x0002, "TLS_RSA_WITH_NULL_SHA", NULL },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5", NULL },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA", NULL },
	{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA", NULL },
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", NULL },
	{ 0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", NULL },
	{ 0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", NULL },
	{ 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", NULL },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", NULL },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", NULL },
	{ 0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", NULL },
	{ 0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", NULL },
	{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", NULL },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", NULL },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", NULL },
	{ 0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", NULL },
	{ 0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", NULL },
	{ 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", NULL },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", NULL },
	{ 0x003B, "TLS_RSA_WITH_NULL_SHA256", NULL },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", NULL },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", NULL },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", NULL },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", NULL },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", NULL },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", NULL },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", NULL },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", NULL },
	{ 0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", NULL },
	{ 0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", NULL },
	{ 0x1301, "TLS_AES_128_GCM_SHA256", NULL },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", NULL },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", NULL },
	{ 0x1304, "TLS_AES_128_CCM_SHA256", NULL },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256", NULL },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", NULL },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", NULL },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", NULL },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", NULL },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", NULL },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", NULL },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", NULL },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", NULL },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", NULL },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", NULL },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", NULL },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", NULL },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", NULL },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", NULL },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", NULL },
};

static const struct tlsname sigalgs[] = {
	{ 0x0101, "rsa_pkcs1_md5", "RSA+MD5" },
	{ 0x0201, "rsa_pkcs1_sha1", "rsa_pkcs1_sha1" },
	{ 0x0202, "dsa_sha1", "DSA+SHA1" },
	{ 0x0203, "ecdsa_sha1", "ecdsa_sha1" },
	{ 0x0301, "rsa_pkcs1_sha224", "RSA+SHA224" },
	{ 0x0302, "dsa_sha224", "DSA+SHA224" },
	{ 0x0303, "ecdsa_sha224", "ECDSA+SHA224" },
	{ 0x0401, "rsa_pkcs1_sha256", "rsa_pkcs1_sha256" },
	{ 0x0402, "dsa_sha256", "DSA+SHA256" },
	{ 0x0403, "ecdsa_secp256r1_sha256", "ecdsa_secp256r1_sha256" },
	{ 0x0501, "rsa_pkcs1_sha384", "rsa_pkcs1_sha384" },
	{ 0x0502, "dsa_sha384", "DSA+SHA384" },
	{ 0x0503, "ecdsa_secp384r1_sha384", "ecdsa_secp384r1_sha384" },
	{ 0x0601, "rsa_pkcs1_sha512", "rsa_pkcs1_sha512" },
	{ 0x0602, "dsa_sha512", "DSA+SHA512" },
	{ 0x0603, "ecdsa_secp521r1_sha512", "ecdsa_secp521r1_sha512" },
	{ 0x0804, "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519", "ed25519" },
	{ 0x0808, "ed448", "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256", "rsa_pss_pss_sha256" },
	{ 0x080A, "rsa_pss_pss_sha384", "rsa_pss_pss_sha384" },
	{ 0x080B, "rsa_pss_pss_sha512", "rsa_pss_pss_sha512" },
	{ 0x081A, "ecdsa_brainpoolP256r1tls13_sha256", "ecdsa_brainpoolP256r1_sha256" },
	{ 0x081B, "ecdsa_brainpoolP384r1tls13_sha384", "ecdsa_brainpoolP384r1_sha384" },
	{ 0x081C, "ecdsa_brainpoolP512r1tls13_sha512", "ecdsa_brainpoolP512r1_sha512" },
};

static const struct tlsname groups[] = {
	{ 19, "secp192r1", "prime192v1" },
	{ 21, "secp224r1", "secp224r1" },
	{ 23, "secp256r1", "P-256" },
	{ 24, "secp384r1", "P-384" },
	{ 25, "secp521r1", "P-521" },
	{ 26, "brainpoolP256r1", "brainpoolP256r1" },
	{ 27, "brainpoolP384r1", "brainpoolP384r1" },
	{ 28, "brainpoolP512r1", "brainpoolP512r1" },
	{ 29, "x25519", "X25519" },
	{ 30, "x448", "X448" },
	{ 256, "ffdhe2048", "ffdhe2048" },
	{ 257, "ffdhe3072", "ffdhe3072" },
	{ 258, "ffdhe4096", "ffdhe4096" },
	{ 259, "ffdhe6144", "ffdhe6144" },
	{ 260, "ffdhe8192", "ffdhe8192" },
};

static const struct tlsname *
by_code(const struct tlsname *t, size_t n, uint16_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

static const struct tlsname *
by_name(const struct tlsname *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].iana, name) == 0 || (t[i].openssl && strcasecmp(t[i].openssl, name) == 0))
			return &t[i];
	return NULL;
}

const struct tlsname *
tlsname_cipher(uint16_t code)
{
	return by_code(ciphers, ARRAY_SIZE(ciphers), code);
}

const struct tlsname *
tlsname_cipher_by_name(const char *name)
{
	return by_name(ciphers, ARRAY_SIZE(ciphers), name);
}

const struct tlsname *
tlsname_sigalg(uint16_t code)
{
	return by_code(sigalgs, ARRAY_SIZE(sigalgs), code);
}

const struct tlsname *
tlsname_sigalg_by_name(const char *name)
{
	return by_name(sigalgs, ARRAY_SIZE(sigalgs), name);
}

const struct tlsname *
tlsname_group(uint16_t code)
{
	return by_code(groups, ARRAY_SIZE(groups), code);
}

const struct tlsname *
tlsname_group_by_name(const char *name)
{
	return by_name(groups, ARRAY_SIZE(groups), name);
}

#define SUGGEST_MAX 128
_Static_assert(ARRAY_SIZE(ciphers) < SUGGEST_MAX && ARRAY_SIZE(sigalgs) < SUGGEST_MAX &&
		       ARRAY_SIZE(groups) < SUGGEST_MAX,
	       "a name table outgrew the suggestion buffer");

static const char *
suggest(const struct tlsname *t, size_t n, const char *word)
{
	const char *cands[SUGGEST_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		cands[i] = t[i].iana;
	cands[n] = NULL;
	/* Names differ from each other by a digit or two (secp256r1, secp384r1): a
	 * short word gets a suggestion only one edit away, a long one two. */
	return diag_suggest_nocase(word, cands, strlen(word) >= 16 ? 2 : 1);
}

const char *
tlsname_cipher_suggest(const char *word)
{
	return suggest(ciphers, ARRAY_SIZE(ciphers), word);
}

const char *
tlsname_sigalg_suggest(const char *word)
{
	return suggest(sigalgs, ARRAY_SIZE(sigalgs), word);
}

const char *
tlsname_group_suggest(const char *word)
{
	return suggest(groups, ARRAY_SIZE(groups), word);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* IANA code tables for cipher suites, signature
 * schemes and named groups, so policies are checked without OpenSSL. */
#ifndef ATTLS_TLSNAMES_H
#define ATTLS_TLSNAMES_H

#include <stdint.h>

struct tlsname {
	uint16_t code;
	const char *iana;    /* IANA name */
	const char *openssl; /* the name OpenSSL knows it by (sigalgs, groups) */
};

const struct tlsname *tlsname_cipher(uint16_t code);
const struct tlsname *tlsname_cipher_by_name(const char *name);
const struct tlsname *tlsname_sigalg(uint16_t code);
const struct tlsname *tlsname_sigalg_by_name(const char *name);
const struct tlsname *tlsname_group(uint16_t code);
const struct tlsname *tlsname_group_by_name(const char *name);
/* The IANA name nearest to 'word' (a likely typo of it), or NULL. */
const char *tlsname_cipher_suggest(const char *word);
const char *tlsname_sigalg_suggest(const char *word);
const char *tlsname_group_suggest(const char *word);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate-to-user mapping for ClientAuthType SAFCheck, the Linux analogue of
 * RACDCERT MAP (certificate name filters) and RACDCERT ADD (one certificate, one
 * user). Pure policy code: distinguished names arrive as lists of RDN strings
 * ("CN=alice", "O=example"), most specific first, in canonical RFC 4514 form
 * (identity_ava()); the TLS side extracts them from the certificate. No
 * OpenSSL here. */
#ifndef ATTLS_IDENTITY_H
#define ATTLS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define IDENTITY_USER_MAX 32 /* RACF user IDs have 1-8; Linux names up to 32 */

/* A name filter: the certificate maps to 'user' when its subject DN ends with
 * 'subject' and its issuer DN ends with 'issuer' (an empty list matches any). */
struct policy_id_filter {
	char **subject, **issuer; /* RDNs, most specific first, canonical RFC 4514 */
	size_t nsubject, nissuer;
	char *subject_text, *issuer_text; /* as written, for messages; NULL: any */
	char *user;
	struct diag_pos pos;
};

struct policy_id_filters {
	struct policy_id_filter *v;
	size_t n;
};

/* One certificate, by the SHA-256 of its DER encoding, mapped to one user. */
struct policy_id_cert {
	uint8_t sha256[32];
	char *user;
	struct diag_pos pos;
};

struct policy_id_certs {
	struct policy_id_cert *v;
	size_t n;
};

struct policy_identity_map {
	char *name;
	struct diag_pos pos;
	uint64_t set;
	struct policy_id_filters filters;
	struct policy_id_certs certs;
};

/* What a lookup found. On a miss 'user' is NULL and 'filter' is the nearest
 * filter (most RDNs matched from the end of the DNs), or NULL if none. */
struct identity_match {
	const char *user;
	const struct policy_id_filter *filter; /* the filter that mapped, or the nearest */
	const struct policy_id_cert *cert;     /* the fingerprint entry that mapped */
	unsigned matched, total;               /* nearest filter: RDNs matched of its own */
};

/* One-to-one entries first (as RACF), then the most specific matching filter:
 * most subject RDNs, then most issuer RDNs, then the first written. */
void identity_map_lookup(const struct policy_identity_map *m, const char *const *subject,
			 size_t nsubject, const char *const *issuer, size_t nissuer,
			 const uint8_t sha256[32], struct identity_match *res);

/* Parses an RFC 4514 DN ("CN=a\,b,O=x", "\2C" too) into RDN strings in
 * canonical RFC 4514 form (each value as identity_ava() writes it; the parts of
 * a multi-valued RDN joined by an unescaped '+'), most specific first. Returns
 * NULL on success, else what is wrong (a NUL byte, "\00", is refused). */
const char *identity_dn_parse(const char *dn, char ***rdns, size_t *n);
void identity_rdns_free(char **rdns, size_t n);
/* "TYPE=value" with the value's 'vlen' bytes escaped as RFC 4514 says (\ " + ,
 * ; < > always, '#' and ' ' first, ' ' last), malloc'd into '*out': the one
 * canonical form that filters and certificate names are compared in. NULL, or
 * what is wrong: a value with a NUL byte is refused (it would cut the name). */
const char *identity_ava(const char *type, const char *val, size_t vlen, char **out);
/* True if the two canonical RDNs have the same attributes (as a set; types in
 * any case and common aliases) with byte-for-byte the same values. */
int identity_rdn_equal(const char *a, const char *b);
/* NULL if 'u' is a usable user ID (1-32 of A-Z a-z 0-9 . _ - @ # $). */
const char *identity_user_check(const char *u);

/* Schema setters for the identity_maps section (node: struct ynode); each bad
 * entry is reported to 'out' (struct schema_out) at the line of what is wrong. */
struct ynode;
struct schema_out;
void identity_set_filters(const struct ynode *node, struct policy_id_filters *f,
			  struct schema_out *out);
void identity_set_certs(const struct ynode *node, struct policy_id_certs *c,
			struct schema_out *out);
void identity_filters_free(struct policy_id_filters *f);
void identity_certs_free(struct policy_id_certs *c);

#endif

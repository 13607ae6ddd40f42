/* SPDX-License-Identifier: Apache-2.0 */
/* ClientAuthType SAFCheck, OpenSSL side: the client certificate's DNs as RDN
 * strings and its SHA-256, handed to the identity map (src/policy/identity.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "policy/identity.h"
#include "common/rc.h"
#include "tls.h"

#define RDNS_MAX 32

/* "TYPE=value" of one entry in canonical RFC 4514 form (identity_ava(), the
 * form the map's filters are in); unknown types as dotted OIDs, as RFC 4514.
 * NULL with '*why' set when the value holds a NUL byte, which would otherwise
 * cut the name short of what was signed. */
static char *
entry_string(const X509_NAME_ENTRY *e, const char **why)
{
	const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
	unsigned char *val = NULL;
	char type[80], *out = NULL;
	int nid = OBJ_obj2nid(obj), len;

	*why = NULL;
	if (nid != NID_undef)
		snprintf(type, sizeof(type), "%s", OBJ_nid2sn(nid));
	else
		OBJ_obj2txt(type, sizeof(type), obj, 1);
	if ((len = ASN1_STRING_to_UTF8(&val, X509_NAME_ENTRY_get_data(e))) < 0)
		return NULL;
	*why = identity_ava(type, (const char *)val, (size_t)len, &out);
	OPENSSL_free(val);
	return out;
}

/* RDNs most specific first (X509_NAME holds them root first); the parts of a
 * multi-valued RDN are joined with an unescaped '+'. Returns the count, or
 * ATTLS_ENOMEM, or ATTLS_EINVAL past RDNS_MAX RDNs or for a NUL in a value
 * ('*why' says which). */
static int
name_rdns(const X509_NAME *n, char **out, const char **why)
{
	int i, k = 0, prev_set = -1, r = ATTLS_ENOMEM;

	*why = NULL;
	for (i = X509_NAME_entry_count(n) - 1; i >= 0; i--) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		char *s = entry_string(e, why), *j;

		if (!s) {
			if (*why)
				r = ATTLS_EINVAL;
			goto fail;
		}
		if (X509_NAME_ENTRY_set(e) == prev_set && k > 0) {
			if (asprintf(&j, "%s+%s", s, out[k - 1]) < 0) {
				free(s);
				goto fail;
			}
			free(s);
			free(out[k - 1]);
			out[k - 1] = j;
			continue;
		}
		if (k == RDNS_MAX) {
			free(s);
			*why = "has more than 32 RDNs";
			r = ATTLS_EINVAL;
			goto fail;
		}
		prev_set = X509_NAME_ENTRY_set(e);
		out[k++] = s;
	}
	return k;
fail:
	while (k > 0)
		free(out[--k]);
	return r;
}

/* What a miss looks like in the cause line: the DNs, and the nearest filter. */
static void
miss_cause(const struct policy_identity_map *m, X509 *cert, const uint8_t sha[32],
	   const struct identity_match *res, char *cause, size_t len)
{
	char subj[160], iss[160], hex[65];
	const struct policy_id_filter *f = res->filter;
	int i, off;

	tls_name(X509_get_subject_name(cert), subj, sizeof(subj));
	tls_name(X509_get_issuer_name(cert), iss, sizeof(iss));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", sha[i]);
	off = snprintf(cause, len, "client certificate subject \"%s\" issuer \"%s\" (sha256 %s) "
				   "maps to no user in identity map \"%s\"",
		       subj, iss, hex, m->name);
	if (off < 0 || (size_t)off >= len)
		return;
	if (f)
		snprintf(cause + off, len - (size_t)off, "; nearest filter (line %u, user %s): "
							 "subject \"%s\" issuer \"%s\", %u of its %u "
							 "RDNs match",
			 f->pos.line, f->user, f->subject_text ? f->subject_text : "(any)",
			 f->issuer_text ? f->issuer_text : "(any)", res->matched, res->total);
	else
		snprintf(cause + off, len - (size_t)off, "; no filter shares an RDN with its DNs");
}

int
tls_identity_check(SSL *ssl, const struct policy_rule *r, char *user, size_t ulen, char *cause,
		   size_t clen)
{
	X509 *cert;

	user[0] = '\0';
	if (r->eff.role != POLICY_ROLE_SERVER_CLIENT_AUTH ||
	    r->eff.client_auth != POLICY_CA_SAFCHECK || !r->eff.identity_map)
		return 0;
	if (!(cert = SSL_get0_peer_certificate(ssl))) {
		snprintf(cause, clen, "client_auth_type SAFCheck, but no client certificate");
		return RC_CLIENT_CERT_MISSING;
	}
	return tls_identity_check_cert(cert, r, user, ulen, cause, clen);
}

int
tls_identity_check_cert(X509 *cert, const struct policy_rule *r, char *user, size_t ulen,
			char *cause, size_t clen)
{
	char *subj[RDNS_MAX], *iss[RDNS_MAX];
	int ns = -1, ni = -1, rc = RC_CLIENT_CERT_UNMAPPED;
	struct identity_match res;
	unsigned char sha[EVP_MAX_MD_SIZE];
	unsigned shalen = 0;
	const char *why = NULL;

	user[0] = '\0';
	if (!r->eff.identity_map)
		return 0;
	if ((ns = name_rdns(X509_get_subject_name(cert), subj, &why)) < 0 ||
	    (ni = name_rdns(X509_get_issuer_name(cert), iss, &why)) < 0 ||
	    X509_digest(cert, EVP_sha256(), sha, &shalen) != 1) {
		if (why) { /* refused, not mapped: the name is not what it seems */
			char name[160];
			tls_name(ns < 0 ? X509_get_subject_name(cert) : X509_get_issuer_name(cert),
				 name, sizeof(name));
			snprintf(cause, clen, "client certificate %s \"%s\" %s: it maps to no user",
				 ns < 0 ? "subject" : "issuer", name, why);
			goto out;
		}
		snprintf(cause, clen, "cannot read the client certificate's names");
		rc = RC_INTERNAL;
		goto out;
	}
	identity_map_lookup(r->eff.identity_map, (const char *const *)subj, (size_t)ns,
			    (const char *const *)iss, (size_t)ni, sha, &res);
	if (res.user) {
		snprintf(user, ulen, "%s", res.user);
		rc = 0;
		goto out;
	}
	miss_cause(r->eff.identity_map, cert, sha, &res, cause, clen);
out:
	while (ns > 0)
		free(subj[--ns]);
	while (ni > 0)
		free(iss[--ni]);
	return rc;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* A peer certificate that failed verification, put into words: the names it
 * carries against the name expected, a same-named CA, a chain the peer did
 * not send, its usages against the role's, its key against the floor; and the
 * keyUsage/extendedKeyUsage check for the role that OpenSSL leaves out. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/escape.h"
#include "common/strbuf.h"
#include "tls.h"
#include "tls_int.h"

/* "file:line" of a line of rule r's policy (pos.file is gone after the load). */
static const char *
pos_text(const struct policy_rule *r, unsigned line, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", r->path ? r->path : "policy", line);
	return buf;
}

/* A key identifier as colon-separated hex, "none" when absent. */
static void
cat_keyid(char *out, size_t len, const ASN1_OCTET_STRING *id)
{
	const unsigned char *b = id ? ASN1_STRING_get0_data(id) : NULL;
	int i, n = id ? ASN1_STRING_length(id) : 0;

	if (!b || n <= 0) {
		strbuf_cat(out, len, "none");
		return;
	}
	for (i = 0; i < n && i < 32; i++)
		strbuf_cat(out, len, "%s%02X", i ? ":" : "", b[i]);
}

/* One name of the peer's certificate, its bytes as the certificate has them
 * (NULs, newlines, escapes, UTF-8 included): through the one escaping function. */
static void
cat_peer_name(char *out, size_t len, int *n, const char *type, const ASN1_STRING *v)
{
	char e[100];

	escape_bytes((const char *)ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), e,
		     sizeof(e));
	strbuf_cat(out, len, "%s%s:%s", (*n)++ ? "," : "", type, e);
}

/* The names a certificate proves: its SANs (DNS names, addresses, emails,
 * URIs), then its CN. */
static void
cat_cert_names(char *out, size_t len, X509 *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(cert);
	int i, n = 0, cn = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);

	strbuf_cat(out, len, "SANs ");
	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && n < 12; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *ip;

		if (g->type == GEN_DNS) {
			cat_peer_name(out, len, &n, "DNS", g->d.dNSName);
		} else if (g->type == GEN_EMAIL) {
			cat_peer_name(out, len, &n, "email", g->d.rfc822Name);
		} else if (g->type == GEN_URI) {
			cat_peer_name(out, len, &n, "URI", g->d.uniformResourceIdentifier);
		} else if (g->type == GEN_IPADD) {
			char a[INET6_ADDRSTRLEN];
			int n16 = ASN1_STRING_length(g->d.iPAddress);

			ip = ASN1_STRING_get0_data(g->d.iPAddress);
			if (ip && (n16 == 4 || n16 == 16) &&
			    inet_ntop(n16 == 4 ? AF_INET : AF_INET6, ip, a, sizeof(a)))
				strbuf_cat(out, len, "%sIP:%s", n++ ? "," : "", a);
		}
	}
	GENERAL_NAMES_free(gens);
	if (!n)
		strbuf_cat(out, len, "none");
	if (cn >= 0) {
		unsigned char *u = NULL;
		int k = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
							X509_NAME_get_entry(subj, cn)));
		char e[100];

		if (k >= 0)
			strbuf_cat(out, len, ", CN %s%s", escape_bytes((const char *)u, (size_t)k, e,
								      sizeof(e)),
				   n ? " (not used: SANs present)" : "");
		OPENSSL_free(u);
	} else {
		strbuf_cat(out, len, ", no CN");
	}
}

/* Client role, the server certificate does not carry the name to check:
 * expected name and where it came from, against the names it has. */
static void
evidence_mismatch(X509_STORE_CTX *x, const struct policy_rule *r, X509 *cert, char *out,
		  size_t len)
{
	X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(x);
	char *ip = X509_VERIFY_PARAM_get1_ip_asc(vp);
	const char *host = X509_VERIFY_PARAM_get0_host(vp, 0);
	char where[300];

	strbuf_cat(out, len, "; expected %s%s", ip ? "IP address " : "DNS name ",
		   ip ? ip : host ? host : "?");
	OPENSSL_free(ip);
	if (r && r->eff.host_ref)
		strbuf_cat(out, len, " from host_reference_id_dns (%s)",
			   policy_rule_parm_where(r, "host_reference_id_dns", where, sizeof(where)));
	else if (r)
		strbuf_cat(out, len, " from the backend address attlsd connected to (rule %s, %s)",
			   r->name, pos_text(r, r->pos.line, where, sizeof(where)));
	strbuf_cat(out, len, "; the certificate names ");
	cat_cert_names(out, len, cert);
	/* The name to check is the policy's to change when it is not the backend's. */
	if (r && !r->eff.host_ref)
		strbuf_cat(out, len, "; to check another name set host_reference_id_dns (%s)",
			   policy_rule_parm_where(r, "host_reference_id_dns", where, sizeof(where)));
}

/* The issuer could not be found, or its key did not verify: a trusted CA of
 * the same name with another key, a chain the peer did not send, or a CA
 * missing from trusted_ca. */
static void
evidence_issuer(X509_STORE_CTX *x, const struct policy_rule *r, X509 *cert, char *out, size_t len)
{
	STACK_OF(X509) *cands, *sent = X509_STORE_CTX_get0_untrusted(x);
	const ASN1_OCTET_STRING *aki, *ski;
	X509 *same = NULL;
	bool own_key;
	char iss[200], where[300];
	int i, nsent = sent ? sk_X509_num(sent) : 0;

	/* A lookup that finds nothing, or a signature that does not verify, leaves
	 * errors behind that are not the handshake's. */
	ERR_set_mark();
	cands = X509_STORE_CTX_get1_certs(x, X509_get_issuer_name(cert));
	tls_name(X509_get_issuer_name(cert), iss, sizeof(iss));
	for (i = 0; cands && i < sk_X509_num(cands); i++) {
		X509 *c = sk_X509_value(cands, i);
		if (X509_verify(cert, X509_get0_pubkey(c)) == 1) {
			same = NULL;
			break;
		}
		if (!same)
			same = c;
	}
	ERR_pop_to_mark();
	aki = X509_get0_authority_key_id(cert);
	ski = same ? X509_get0_subject_key_id(same) : NULL;
	own_key = same && (!aki || !ski || !ASN1_OCTET_STRING_cmp(aki, ski));
	if (own_key) {
		/* The issuer's own key, by its identifier: the signature is what is wrong. */
		strbuf_cat(out, len, "; the trusted CA %s (SKI ", iss);
		cat_keyid(out, len, ski);
		strbuf_cat(out, len, ") is the issuer named, but its key does not verify the "
				     "certificate's signature: the certificate was altered, or "
				     "signed by another key");
	} else if (same) {
		strbuf_cat(out, len, "; a trusted CA has the issuer's name %s, but its key does not "
				     "verify the certificate: two CAs share that name (the certificate's "
				     "AKI ",
			   iss);
		cat_keyid(out, len, X509_get0_authority_key_id(cert));
		strbuf_cat(out, len, ", the trusted CA's SKI ");
		cat_keyid(out, len, X509_get0_subject_key_id(same));
		strbuf_cat(out, len, "): add the CA whose key identifier is the AKI to trusted_ca");
	} else if (nsent <= 1 && X509_check_issued(cert, cert) != X509_V_OK) {
		strbuf_cat(out, len, "; the peer did not send its chain (intermediate %s missing): it "
				     "sent only its own certificate, and no trusted CA is named %s; "
				     "configure the peer to send its intermediate CAs (or, if %s is "
				     "a root, add it to trusted_ca)",
			   iss, iss, iss);
	} else {
		strbuf_cat(out, len, "; the peer sent %d certificate%s and no trusted CA is named %s",
			   nsent, nsent == 1 ? "" : "s", iss);
	}
	/* The fix is in trusted_ca, unless the issuer's own key is what failed. */
	if (r && r->env && r->env->keyring && !own_key) {
		const struct policy_keyring *k = r->env->keyring;
		unsigned line = policy_key_line("keyrings", k->key_line, "trusted_ca");

		if (line)
			strbuf_cat(out, len, " (trusted_ca of keyring %s, %s)", k->name,
				   pos_text(r, line, where, sizeof(where)));
		else
			strbuf_cat(out, len, " (keyring %s has no trusted_ca: add it at %s)",
				   k->name, pos_text(r, k->pos.line, where, sizeof(where)));
	}
	sk_X509_pop_free(cands, X509_free);
}

static void
cat_ku(char *out, size_t len, uint32_t ku)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" }, { KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },   { KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },         { KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },                   { KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	size_t i;
	int n = 0;

	if (ku == UINT32_MAX) {
		strbuf_cat(out, len, "(none: any)");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ku & names[i].bit)
			strbuf_cat(out, len, "%s%s", n++ ? "," : "", names[i].name);
	if (!n)
		strbuf_cat(out, len, "(empty)");
}

static void
cat_eku(char *out, size_t len, X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	char oid[80];
	int i;

	if (!eku) {
		strbuf_cat(out, len, "(none: any)");
		return;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);

		if (nid != NID_undef)
			snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
		strbuf_cat(out, len, "%s%s", i ? "," : "", oid);
	}
	if (!i)
		strbuf_cat(out, len, "(empty)");
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

/* The keyUsage bit the peer's end-entity certificate needs here, and why. */
static uint32_t
needed_ku(SSL *ssl, const char **why)
{
	const SSL_CIPHER *c;

	if (SSL_is_server(ssl)) {
		*why = "a client signs the handshake: CertificateVerify";
		return KU_DIGITAL_SIGNATURE;
	}
	if (SSL_version(ssl) >= TLS1_3_VERSION) {
		*why = "a TLS 1.3 server signs the handshake: CertificateVerify";
		return KU_DIGITAL_SIGNATURE;
	}
	c = SSL_get_pending_cipher(ssl);
	if (!c)
		c = SSL_get_current_cipher(ssl);
	if (c && SSL_CIPHER_get_kx_nid(c) == NID_kx_rsa) {
		*why = "the suite's RSA key exchange encrypts to the server's key";
		return KU_KEY_ENCIPHERMENT;
	}
	*why = "a TLS 1.2 server signs its ECDHE/DHE key exchange";
	return KU_DIGITAL_SIGNATURE;
}

/* "has keyUsage K and extendedKeyUsage E; as the TLS server|client it needs ...". */
static void
evidence_usage(SSL *ssl, X509 *cert, char *out, size_t len)
{
	const char *why = "";
	uint32_t need = ssl ? needed_ku(ssl, &why) : KU_DIGITAL_SIGNATURE;
	bool peer_is_client = ssl && SSL_is_server(ssl);

	strbuf_cat(out, len, "; it has keyUsage ");
	cat_ku(out, len, X509_get_key_usage(cert));
	strbuf_cat(out, len, " and extendedKeyUsage ");
	cat_eku(out, len, cert);
	strbuf_cat(out, len, "; as the TLS %s (%s, our %s) it needs keyUsage %s (%s) and "
			     "extendedKeyUsage %s (or anyExtendedKeyUsage, or no extension)",
		   peer_is_client ? "client" : "server", ssl ? SSL_get_version(ssl) : "?",
		   peer_is_client ? "Server role" : "Client role",
		   need == KU_KEY_ENCIPHERMENT ? "keyEncipherment" : "digitalSignature", why,
		   peer_is_client ? "clientAuth" : "serverAuth");
}

/* The bits OpenSSL's security level asks of a key of this type. */
static int
level_bits(int level, int type)
{
	static const int rsa[] = { 0, 1024, 2048, 3072, 7680, 15360 };
	static const int ec[] = { 0, 160, 224, 256, 384, 512 };

	if (level < 0)
		level = 0;
	if (level > 5)
		level = 5;
	return type == EVP_PKEY_EC ? ec[level] : rsa[level];
}

static void
evidence_key_size(SSL *ssl, const struct policy_rule *r, X509 *cert, char *out, size_t len)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	int type = pk ? EVP_PKEY_get_base_id(pk) : 0, level = ssl ? SSL_get_security_level(ssl) : 0;
	const char *key = type == EVP_PKEY_EC ? "peer_min_ecc_key_size" : "peer_min_rsa_key_size";
	char where[300];

	if (!pk)
		return;
	strbuf_cat(out, len, "; its key is a %d-bit %s key; the floor is OpenSSL's security level "
			     "%d: at least %d bits",
		   EVP_PKEY_get_bits(pk),
		   type == EVP_PKEY_EC ? "EC" : type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS ? "RSA"
		   : type == EVP_PKEY_DSA ? "DSA" : OBJ_nid2sn(type), level,
		   level_bits(level, type));
	if (r && policy_rule_parm_line(r, key))
		strbuf_cat(out, len, " (the rule's %s is set at %s)", key,
			   policy_rule_parm_where(r, key, where, sizeof(where)));
}

void
tls_verify_evidence(X509_STORE_CTX *x, SSL *ssl, int err, X509 *cert, char *out, size_t len)
{
	const struct policy_rule *r = ssl ? tls_ctx_rule(SSL_get_SSL_CTX(ssl)) : NULL;

	out[0] = '\0';
	if (!cert)
		return;
	switch (err) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		evidence_mismatch(x, r, cert, out, len);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		evidence_issuer(x, r, cert, out, len);
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		evidence_usage(ssl, cert, out, len);
		break;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		evidence_key_size(ssl, r, cert, out, len);
		break;
	}
}

bool
tls_usage_refused(SSL *ssl, X509 *cert)
{
	const char *why;
	uint32_t ku = X509_get_key_usage(cert), xku = X509_get_extended_key_usage(cert);
	uint32_t need_xku = SSL_is_server(ssl) ? XKU_SSL_CLIENT : XKU_SSL_SERVER;

	if (ku != UINT32_MAX && !(ku & needed_ku(ssl, &why)))
		return true;
	return xku != UINT32_MAX && !(xku & (need_xku | XKU_ANYEKU));
}

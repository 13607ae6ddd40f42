/* SPDX-License-Identifier: Apache-2.0 */
/* A rule's effective TLS parameters: its connection's over its environment's
 * over the defaults, the cipher and signature sets they name, and the checks
 * of labels, server names and limits that need the effective values. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rc.h"
#include "policy_int.h"

static void
copy_parm(const struct schema_row *row, struct policy_tls_parms *dst,
	  const struct policy_tls_parms *src)
{
	size_t sz = row->type == ST_BOOL						 ? sizeof(bool)
		    : row->type == ST_UINT					 ? sizeof(unsigned)
		    : row->type == ST_REF || row->type == ST_STRING ? sizeof(char *)
		    : row->type == ST_LABELS			 ? sizeof(struct policy_labels)
		    : row->type == ST_SNIMAP			 ? sizeof(struct policy_sni_map)
								 : sizeof(int);

	memcpy((char *)dst + row->offset, (const char *)src + row->offset, sz);
}

unsigned
policy_key_line(const char *section, const unsigned *key_line, const char *key)
{
	const struct schema_section *sec = section ? schema_section_find(section) : NULL;
	const struct schema_row *rows = sec ? sec->rows : schema_tls_parms, *row;
	size_t n = sec ? sec->nrows : schema_ntls_parms;

	if (!key_line || (section && !sec) || !(row = schema_row_find(rows, n, key)))
		return 0;
	return key_line[row - rows];
}

unsigned
policy_rule_parm_line(const struct policy_rule *r, const char *key)
{
	unsigned line = 0;

	if (r->conn)
		line = policy_key_line(NULL, r->conn->parms.key_line, key);
	if (!line && r->env)
		line = policy_key_line(NULL, r->env->parms.key_line, key);
	return line;
}

const char *
policy_rule_parm_where(const struct policy_rule *r, const char *key, char *buf, size_t len)
{
	const char *path = r->path ? r->path : "policy";
	unsigned line = policy_rule_parm_line(r, key);

	if (line)
		snprintf(buf, len, "%s:%u", path, line);
	else if (r->env)
		snprintf(buf, len, "not set (the default): add it to environment %s at %s:%u",
			 r->env->name, path, r->env->pos.line);
	else
		snprintf(buf, len, "not set (the default)");
	return buf;
}

/* Narrowest scope wins per parameter: connection, environment, then defaults. */
static void
resolve_effective(struct policy_rule *r)
{
	struct policy_tls_parms t;
	size_t i;

	memset(&t, 0, sizeof(t));
	r->eff.enabled = r->group && r->group->enabled;
	r->eff.trace = r->group ? r->group->trace : 2;
	if (!r->env)
		return;
	for (i = 0; i < schema_ntls_parms; i++) {
		const struct schema_row *row = &schema_tls_parms[i];
		uint64_t bit = 1ull << i;

		if (r->conn && (r->conn->parms.set & bit))
			copy_parm(row, &t, &r->conn->parms);
		else if (r->env->parms.set & bit)
			copy_parm(row, &t, &r->env->parms);
		else
			(void)schema_set_default(row, &t);
		if (strcmp(row->key, "trace") == 0 &&
		    ((r->conn && (r->conn->parms.set & bit)) || (r->env->parms.set & bit)))
			r->eff.trace = t.trace;
	}
	r->eff.role = t.role;
	r->eff.client_auth = t.client_auth;
	r->eff.handshake_timeout = t.handshake_timeout;
	r->eff.app_controlled = t.app_controlled;
	r->eff.ciphers_name = t.ciphers;
	r->eff.host_ref = t.host_ref;
	r->eff.sni = t.sni;
	r->eff.identity_check = t.identity_check;
	r->eff.signatures_name = t.signatures;
	r->eff.cert_label = t.cert_label;
	r->eff.server_labels = t.server_labels;
	r->eff.renegotiation = t.renegotiation;
	r->eff.identity_map_name = t.identity_map;
	r->eff.capture = t.capture;
	r->eff.key_log = t.key_log;
	r->eff.sni_server = t.sni_server;
	r->eff.sni_match = t.sni_match;
	r->eff.sni_list = t.sni_list;
	r->eff.middlebox_compat = t.middlebox_compat;
	r->eff.ems = t.role == POLICY_ROLE_CLIENT ? t.ems_client : t.ems_server;
	r->eff.cert_validation = t.cert_validation;
	r->eff.max_frag = t.max_frag;
	r->eff.max_frag_len = t.max_frag_len;
	r->eff.truncated_hmac = t.truncated_hmac;
	r->eff.reset_cipher_timer = t.reset_cipher_timer;
	r->eff.sni_client = t.sni_client;
	r->eff.sni_client_match = t.sni_client_match;
	r->eff.v3_session_timeout = t.v3_session_timeout;
	r->eff.v3_sidcache_size = t.v3_sidcache_size;
	r->eff.unexpected_eof = t.unexpected_eof;
	r->eff.peer_min = (struct policy_peer_min){ t.peer_min_rsa, t.peer_min_ecc, t.peer_min_dsa,
						    t.peer_min_dh, t.peer_min_cert_version };
	r->eff.protocols = (t.tls1_0 ? POLICY_PROTO_TLS1_0 : 0) |
			   (t.tls1_1 ? POLICY_PROTO_TLS1_1 : 0) |
			   (t.tls1_2 ? POLICY_PROTO_TLS1_2 : 0) | (t.tls1_3 ? POLICY_PROTO_TLS1_3 : 0);
}

static void resolve_parm_sets(struct policy *p, struct policy_rule *r, struct diag_list *dl);

/* 'key' names 'label': the error points at that key where it is written. */
static void
check_label(const struct policy_rule *r, const char *key, const char *label, struct diag_list *dl)
{
	const struct policy_keyring *k = r->env->keyring;
	struct diag_pos pos = r->env->pos;
	unsigned line = policy_rule_parm_line(r, key);

	if (policy_keyring_cert(k, label))
		return;
	if (line) /* same file: a policy is one file */
		pos = (struct diag_pos){ r->env->pos.file, line, 0 };
	diag_error(dl, pos, "rule \"%s\" presents the certificate labelled \"%s\", but "
				    "keyring \"%s\" has no such label%s (RC %d, %s)",
		   r->name, label, k->name,
		   k->certs.n ? "" : " (it has no certificate at all)", RC_KEY_LABEL_NOT_FOUND,
		   rc_lookup(RC_KEY_LABEL_NOT_FOUND)->name);
}

/* CertificateLabel / ServerCertificateLabel against the keyring (GSK RC 6 on
 * z/OS at connection time; caught here at load). */
static void
resolve_labels(const struct policy_rule *r, struct diag_list *dl)
{
	size_t i;

	if (!r->env || !r->env->keyring || !r->eff.enabled)
		return;
	if (r->eff.role != POLICY_ROLE_CLIENT && r->eff.server_labels.n) {
		for (i = 0; i < r->eff.server_labels.n; i++)
			check_label(r, "server_certificate_labels", r->eff.server_labels.v[i], dl);
		return;
	}
	if (r->eff.server_labels.n)
		diag_warning(dl, r->env->pos, "rule \"%s\" is a Client role: "
					      "server_certificate_labels is ignored",
			     r->name);
	if (r->eff.cert_label)
		check_label(r, "certificate_label", r->eff.cert_label, dl);
	else if (r->eff.role != POLICY_ROLE_CLIENT && r->env->keyring->certs.n &&
		 !policy_keyring_cert(r->env->keyring, "default"))
		diag_error(dl, r->env->pos, "rule \"%s\": keyring \"%s\" has no default "
					    "certificate; name one with certificate_label",
			   r->name, r->env->keyring->name);
}

/* ServerHandshakeSNI*: the labels exist; settings that cannot act are said. */
static void
resolve_sni(const struct policy_rule *r, struct diag_list *dl)
{
	size_t i;

	if (!r->env || !r->env->keyring || !r->eff.enabled)
		return;
	if (r->eff.role == POLICY_ROLE_CLIENT) {
		if (r->eff.sni_server != POLICY_SNI_OFF || r->eff.sni_list.n)
			diag_warning(dl, r->env->pos, "rule \"%s\" is a Client role: "
						      "server_handshake_sni* is ignored (the Client "
						      "role sends client_handshake_sni_list)",
				     r->name);
		return;
	}
	for (i = 0; i < r->eff.sni_list.n; i++)
		check_label(r, "server_handshake_sni_list", r->eff.sni_list.v[i].label, dl);
	if (r->eff.sni_server == POLICY_SNI_OFF && r->eff.sni_list.n)
		diag_warning(dl, r->env->pos, "rule \"%s\" has a server_handshake_sni_list but "
					      "server_handshake_sni Off: the list is not used",
			     r->name);
	else if (r->eff.sni_server == POLICY_SNI_OFF &&
		 r->eff.sni_match == POLICY_SNI_MATCH_REQUIRED)
		diag_warning(dl, r->env->pos, "rule \"%s\": server_handshake_sni_match Required "
					      "has no effect while server_handshake_sni is Off",
			     r->name);
	else if (r->eff.sni_server != POLICY_SNI_OFF && !r->eff.sni_list.n &&
		 r->eff.sni_match == POLICY_SNI_MATCH_REQUIRED)
		diag_error(dl, r->env->pos, "rule \"%s\": server_handshake_sni_match Required with "
					    "an empty server_handshake_sni_list refuses every client",
			   r->name);
}

/* A DNS name, not an address: only those are sent as SNI (RFC 6066 3). */
static bool
is_sni_name(const char *s)
{
	struct policy_addr_range r;

	return s && *s && policy_addr_parse(s, &r) != 0;
}

/* ClientHandshakeSNI / ClientHandshakeSNIMatch of a Client role. */
static void
resolve_client_sni(const struct policy_rule *r, const char *owner, struct diag_list *dl)
{
	struct diag_pos pos = r->env ? r->env->pos : r->pos;
	bool named = is_sni_name(r->eff.sni) || is_sni_name(r->eff.host_ref) ||
		     (!r->eff.host_ref && is_sni_name(r->backend.host));

	if (!r->env || !r->eff.enabled)
		return;
	if (r->eff.role != POLICY_ROLE_CLIENT) {
		if (r->eff.sni_client != POLICY_SNI_OPTIONAL ||
		    r->eff.sni_client_match != POLICY_SNI_MATCH_OPTIONAL)
			diag_warning(dl, pos, "%s is a server role: client_handshake_sni and "
					      "client_handshake_sni_match are ignored",
				     owner);
		return;
	}
	if (r->eff.sni_client == POLICY_SNI_REQUIRED && !named)
		diag_error(dl, pos, "%s: client_handshake_sni Required, but there is no server name "
				    "to send (the backend is an address): give "
				    "client_handshake_sni_list or host_reference_id_dns",
			   owner);
	if (r->eff.sni_client_match == POLICY_SNI_MATCH_REQUIRED &&
	    (r->eff.sni_client == POLICY_SNI_OFF || !named))
		diag_error(dl, pos, "%s: client_handshake_sni_match Required, but no server name is "
				    "sent, so no server could acknowledge one",
			   owner);
}

/* Parameters OpenSSL can honour only partly: said at load, never silently. */
static void
resolve_limits(const struct policy_rule *r, const char *owner, struct diag_list *dl)
{
	struct diag_pos pos = r->env ? r->env->pos : r->pos;

	if (!r->env || !r->eff.enabled)
		return;
	if (r->eff.truncated_hmac == POLICY_TRI_REQUIRED)
		diag_error(dl, pos, "%s: truncated_hmac Required cannot be met: OpenSSL does not "
				    "implement RFC 6066 truncated HMAC; use Off",
			   owner);
	else if (r->eff.truncated_hmac == POLICY_TRI_OPTIONAL)
		diag_warning(dl, pos, "%s: truncated_hmac Optional is never negotiated: OpenSSL "
				      "does not implement RFC 6066 truncated HMAC",
			     owner);
	if (r->eff.cert_validation == POLICY_CV_RFC2459 ||
	    r->eff.cert_validation == POLICY_CV_RFC3280)
		diag_warning(dl, pos, "%s: cert_validation_mode %s is checked as RFC5280 (OpenSSL's "
				      "strict mode); OpenSSL has no RFC 2459/3280 profile",
			     owner, r->eff.cert_validation == POLICY_CV_RFC2459 ? "RFC2459" : "RFC3280");
	if (r->eff.reset_cipher_timer && (r->eff.protocols & ~POLICY_PROTO_TLS1_3))
		diag_warning(dl, pos, "%s: reset_cipher_timer re-keys TLS 1.3 connections only; "
				      "TLS 1.2 ones keep their keys (re-keying them needs "
				      "renegotiation, which attlsd does not start)",
			     owner);
	if (r->eff.max_frag != POLICY_TRI_OFF && r->eff.role != POLICY_ROLE_CLIENT)
		diag_warning(dl, pos, "%s is a server role: client_max_fragment is ignored (a "
				      "server answers the client's request, which OpenSSL always does)",
			     owner);
}

static bool
has_tls13_suite(const struct policy_codes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((c->v[i] & 0xff00) == 0x1300)
			return true;
	return false;
}

static bool
has_tls12_suite(const struct policy_codes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((c->v[i] & 0xff00) != 0x1300)
			return true;
	return false;
}

/* Cipher and signature sets named by the effective parameters. */
static void
resolve_parm_sets(struct policy *p, struct policy_rule *r, struct diag_list *dl)
{
	const struct policy_cipher_parms *c = NULL;
	const struct policy_sig_parms *sg = NULL;
	struct diag_pos pos = r->env ? r->env->pos : r->pos;

	if (r->eff.ciphers_name) {
		FIND(p->ciphers, p->nciphers, r->eff.ciphers_name, c);
		if (!c)
			diag_error(dl, pos, "rule \"%s\" uses cipher set \"%s\", which is not "
					    "defined in \"ciphers\"",
				   r->name, r->eff.ciphers_name);
	}
	if (r->eff.signatures_name) {
		FIND(p->sigs, p->nsigs, r->eff.signatures_name, sg);
		if (!sg)
			diag_error(dl, pos, "rule \"%s\" uses signature set \"%s\", which is not "
					    "defined in \"signatures\"",
				   r->name, r->eff.signatures_name);
	}
	r->eff.ciphers = c;
	r->eff.signatures = sg;
	if (!c || !r->eff.enabled)
		return;
	/* As on z/OS: TLSv1.3 needs TLS 1.3 suites (1301-1303) in the list. */
	if ((r->eff.protocols & POLICY_PROTO_TLS1_3) && !has_tls13_suite(&c->suites))
		diag_error(dl, c->pos, "cipher set \"%s\" has no TLS 1.3 suite (1301, 1302, 1303), "
				       "but rule \"%s\" allows TLS 1.3",
			   c->name, r->name);
	if ((r->eff.protocols & ~POLICY_PROTO_TLS1_3) && !has_tls12_suite(&c->suites))
		diag_error(dl, c->pos, "cipher set \"%s\" has only TLS 1.3 suites, but rule \"%s\" "
				       "allows TLS 1.2 or older",
			   c->name, r->name);
}

void
effective_resolve(struct policy *p, struct policy_rule *r, const char *owner,
		  struct diag_list *dl)
{
	r->path = p->path;
	resolve_effective(r);
	resolve_parm_sets(p, r, dl);
	resolve_labels(r, dl);
	resolve_sni(r, dl);
	resolve_limits(r, owner, dl);
	resolve_client_sni(r, owner, dl);
}

/* V3CipherSuites, then V3CipherSuites4Char, duplicates dropped. */
void
effective_ciphers(struct policy *p, struct diag_list *dl)
{
	size_t i, j, k;

	for (i = 0; i < p->nciphers; i++) {
		struct policy_cipher_parms *c = &p->ciphers[i];
		const struct policy_codes *src[2] = { &c->v3, &c->v3_4char };

		c->suites.v = calloc(c->v3.n + c->v3_4char.n + 1, sizeof(uint16_t));
		if (!c->suites.v)
			return;
		for (j = 0; j < 2; j++)
			for (k = 0; k < src[j]->n; k++) {
				size_t m;
				for (m = 0; m < c->suites.n && c->suites.v[m] != src[j]->v[k]; m++)
					;
				if (m == c->suites.n)
					c->suites.v[c->suites.n++] = src[j]->v[k];
			}
		if (c->suites.n == 0)
			diag_error(dl, c->pos, "cipher set \"%s\" lists no cipher suite", c->name);
	}
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Checks across the document: references, required combinations, readable files;
 * then resolves each rule's effective parameters and derives the listeners. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy_int.h"

#define FIND(arr, n, nm, out)                                   \
	do {                                                    \
		size_t i_;                                      \
		(out) = NULL;                                   \
		for (i_ = 0; i_ < (n); i_++)                    \
			if (strcmp((arr)[i_].name, (nm)) == 0) { \
				(out) = &(arr)[i_];             \
				break;                          \
			}                                       \
	} while (0)

static void
check_file(struct diag_list *dl, struct diag_pos pos, const char *what, const char *owner,
	   const char *path)
{
	FILE *f;

	if (!path)
		return;
	if (!(f = fopen(path, "r"))) {
		diag_error(dl, pos, "%s \"%s\": cannot read %s %s: %s", "keyring", owner, what, path,
			   strerror(errno));
		return;
	}
	fclose(f);
}

/* 'certificate' and 'key' become the label "default" of the keyring. */
static void
default_label(struct policy_keyring *k, struct diag_list *dl)
{
	struct policy_cert *n;

	if (!k->certificate || !k->key)
		return;
	if (policy_keyring_cert(k, "default")) {
		diag_error(dl, k->pos, "keyring \"%s\" has both \"certificate\" and a label "
				       "\"default\" in \"certificates\"; \"certificate\" is the "
				       "label \"default\"",
			   k->name);
		return;
	}
	if (!(n = realloc(k->certs.v, (k->certs.n + 1) * sizeof(*n))))
		return;
	k->certs.v = n;
	memmove(n + 1, n, k->certs.n * sizeof(*n));
	n[0].label = strdup("default");
	n[0].certificate = strdup(k->certificate);
	n[0].key = strdup(k->key);
	k->certs.n++;
}

const struct policy_cert *
policy_keyring_cert(const struct policy_keyring *k, const char *label)
{
	size_t i;

	for (i = 0; i < k->certs.n; i++)
		if (k->certs.v[i].label && strcmp(k->certs.v[i].label, label) == 0)
			return &k->certs.v[i];
	return NULL;
}

static void
resolve_keyrings(struct policy *p, struct diag_list *dl)
{
	size_t i, j;

	for (i = 0; i < p->nkeyrings; i++) {
		struct policy_keyring *k = &p->keyrings[i];

		default_label(k, dl);
		for (j = 0; j < k->certs.n; j++) {
			check_file(dl, k->pos, "certificate", k->name, k->certs.v[j].certificate);
			check_file(dl, k->pos, "key", k->name, k->certs.v[j].key);
		}
		check_file(dl, k->pos, "crl", k->name, k->crl);
		check_file(dl, k->pos, "ocsp_response", k->name, k->ocsp_response);
		if (!k->certs.n && !k->trusted_ca)
			diag_error(dl, k->pos, "keyring \"%s\" has neither \"certificate\" nor "
					       "\"trusted_ca\"",
				   k->name);
		if (!!k->certificate != !!k->key)
			diag_error(dl, k->pos, "keyring \"%s\" needs both \"certificate\" and \"key\"",
				   k->name);
		check_file(dl, k->pos, "trusted_ca", k->name, k->trusted_ca);
	}
}

static void
resolve_idmaps(struct policy *p, struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < p->nidmaps; i++)
		if (!p->idmaps[i].filters.n && !p->idmaps[i].certs.n)
			diag_error(dl, p->idmaps[i].pos, "identity map \"%s\" has neither "
							 "\"filters\" nor \"certificates\"",
				   p->idmaps[i].name);
}

static void
suggest_ref(struct diag_list *dl, struct diag_pos pos, const char *owner, const char *what,
	    const char *name, const char *const *cands)
{
	const char *s = diag_suggest(name, cands);

	if (s)
		diag_error(dl, pos, "%s refers to %s \"%s\", which is not defined; did you mean "
				    "\"%s\"?",
			   owner, what, name, s);
	else
		diag_error(dl, pos, "%s refers to %s \"%s\", which is not defined", owner, what,
			   name);
}

/* NULL-terminated array of the names in a section, for suggestions. */
#define NAMES(arr, n, out)                                                      \
	do {                                                                    \
		size_t j_;                                                      \
		(out) = calloc((n) + 1, sizeof(char *));                        \
		for (j_ = 0; (out) && j_ < (n); j_++)                           \
			(out)[j_] = (arr)[j_].name;                             \
	} while (0)

static void
resolve_envs(struct policy *p, struct diag_list *dl)
{
	const char **names;
	char owner[64];
	size_t i;

	NAMES(p->keyrings, p->nkeyrings, names);
	for (i = 0; i < p->nenvs; i++) {
		struct policy_env *e = &p->envs[i];
		const struct policy_keyring *k;

		e->id = (unsigned)i + 1;
		snprintf(owner, sizeof(owner), "environment \"%s\"", e->name);
		if (!(e->parms.set & 1ull)) /* row 0: handshake_role */
			diag_error(dl, e->pos, "%s has no \"handshake_role\" (Server, "
					       "ServerWithClientAuth or Client)",
				   owner);
		if (!e->keyring_name) {
			diag_error(dl, e->pos, "%s has no \"keyring\"", owner);
			continue;
		}
		FIND(p->keyrings, p->nkeyrings, e->keyring_name, e->keyring);
		if (!e->keyring) {
			suggest_ref(dl, e->keyring_pos, owner, "keyring", e->keyring_name,
				    names ? names : (const char *[]){ NULL });
			continue;
		}
		k = e->keyring;
		if (e->parms.role == POLICY_ROLE_CLIENT && !k->trusted_ca)
			diag_error(dl, e->pos, "%s is a Client role, but keyring \"%s\" has no "
					       "trusted_ca to verify servers with",
				   owner, k->name);
		if (e->parms.role != POLICY_ROLE_CLIENT && !k->certs.n)
			diag_error(dl, e->pos, "%s is a server role, but keyring \"%s\" has no "
					       "certificate and key",
				   owner, k->name);
		if (e->parms.role == POLICY_ROLE_SERVER_CLIENT_AUTH &&
		    e->parms.client_auth != POLICY_CA_PASSTHRU && !k->trusted_ca)
			diag_error(dl, e->pos, "%s asks for client certificates, but keyring \"%s\" "
					       "has no trusted_ca to validate them",
				   owner, k->name);
	}
	free(names);
}

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
	r->eff.peer_min = (struct policy_peer_min){ t.peer_min_rsa, t.peer_min_ecc, t.peer_min_dsa,
						    t.peer_min_dh, t.peer_min_cert_version };
	r->eff.protocols = (t.tls1_0 ? POLICY_PROTO_TLS1_0 : 0) |
			   (t.tls1_1 ? POLICY_PROTO_TLS1_1 : 0) |
			   (t.tls1_2 ? POLICY_PROTO_TLS1_2 : 0) | (t.tls1_3 ? POLICY_PROTO_TLS1_3 : 0);
}

static void resolve_parm_sets(struct policy *p, struct policy_rule *r, struct diag_list *dl);

static void
check_label(const struct policy_rule *r, const char *label, struct diag_list *dl)
{
	const struct policy_keyring *k = r->env->keyring;

	if (policy_keyring_cert(k, label))
		return;
	diag_error(dl, r->env->pos, "rule \"%s\" presents the certificate labelled \"%s\", but "
				    "keyring \"%s\" has no such label%s",
		   r->name, label, k->name,
		   k->certs.n ? "" : " (it has no certificate at all)");
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
			check_label(r, r->eff.server_labels.v[i], dl);
		return;
	}
	if (r->eff.server_labels.n)
		diag_warning(dl, r->env->pos, "rule \"%s\" is a Client role: "
					      "server_certificate_labels is ignored",
			     r->name);
	if (r->eff.cert_label)
		check_label(r, r->eff.cert_label, dl);
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
		check_label(r, r->eff.sni_list.v[i].label, dl);
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

/* SAFCheck needs a map to turn certificates into user IDs. */
static void
resolve_identity(struct policy *p, struct policy_rule *r, struct diag_list *dl)
{
	struct diag_pos pos = r->env ? r->env->pos : r->pos;

	if (r->eff.identity_map_name) {
		FIND(p->idmaps, p->nidmaps, r->eff.identity_map_name, r->eff.identity_map);
		if (!r->eff.identity_map)
			diag_error(dl, pos, "rule \"%s\" uses identity map \"%s\", which is not "
					    "defined in \"identity_maps\"",
				   r->name, r->eff.identity_map_name);
	}
	if (r->eff.enabled && r->eff.role == POLICY_ROLE_SERVER_CLIENT_AUTH &&
	    r->eff.client_auth == POLICY_CA_SAFCHECK && !r->eff.identity_map_name)
		diag_error(dl, pos, "rule \"%s\" has client_auth_type SAFCheck but no "
				    "identity_map to map client certificates to user IDs",
			   r->name);
}

/* Outbound connections are the local applications' own: attlsd only sees them
 * when nftables redirects them (TPROXY cannot take locally generated traffic). */
static void
check_intercept(const struct policy_rule *r, const char *owner, struct diag_list *dl)
{
	if (r->direction == POLICY_DIR_OUTBOUND && r->intercept != POLICY_INTERCEPT_REDIRECT)
		diag_error(dl, r->pos, "%s: Direction Outbound needs \"intercept: redirect\" (attlsd "
				       "sees the applications' connections only when nftables "
				       "diverts them)",
			   owner);
	if (r->intercept && !r->listen.set)
		diag_error(dl, r->pos, "%s: intercept needs \"listen: host:port\", the address "
				       "nftables diverts the connections to",
			   owner);
	if (r->preserve_source &&
	    (!r->intercept || r->direction == POLICY_DIR_OUTBOUND))
		diag_error(dl, r->pos, "%s: preserve_source needs an Inbound rule with intercept "
				       "(redirect or tproxy)",
			   owner);
}

/* Settings that put decrypted data or secrets on disk are for tests only. */
static void
resolve_diagnostics(const struct policy_rule *r, const char *owner, struct diag_list *dl)
{
	if (r->eff.trace & 32)
		diag_warning(dl, r->pos, "%s has Trace 32: decrypted application data is logged "
					 "as hex (EZD1285I); use it only for a test connection",
			     owner);
	if (r->eff.key_log && r->eff.capture != POLICY_CAPTURE_FAILURES &&
	    r->eff.capture != POLICY_CAPTURE_ALL)
		diag_warning(dl, r->pos, "%s: key_log without capture writes nothing", owner);
	else if (r->eff.key_log)
		diag_warning(dl, r->pos, "%s has key_log On: the TLS secrets of captured "
					 "connections are written to capture_dir, so anyone who can "
					 "read it can decrypt them; use it only for tests",
			     owner);
}

static void
resolve_rule(struct policy *p, struct policy_rule *r, struct diag_list *dl,
	     const char *const *gnames, const char *const *enames, const char *const *cnames)
{
	char owner[64];
	const uint64_t cond_bits = (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 5);
	const bool has_owner = r->jobname || r->userid;

	snprintf(owner, sizeof(owner), "rule \"%s\"", r->name);
	if (r->group_name) {
		FIND(p->groups, p->ngroups, r->group_name, r->group);
		if (!r->group)
			suggest_ref(dl, r->group_pos, owner, "group", r->group_name, gnames);
	}
	if (r->env_name) {
		FIND(p->envs, p->nenvs, r->env_name, r->env);
		if (!r->env)
			suggest_ref(dl, r->env_pos, owner, "environment", r->env_name, enames);
	}
	if (r->conn_name) {
		FIND(p->conns, p->nconns, r->conn_name, r->conn);
		if (!r->conn)
			suggest_ref(dl, r->conn_pos, owner, "connection", r->conn_name, cnames);
	}
	if (r->time_name) {
		FIND(p->times, p->ntimes, r->time_name, r->time_cond);
		if (!r->time_cond)
			diag_error(dl, r->time_pos, "%s refers to time condition \"%s\", which is not "
						    "defined in \"time_conditions\"",
				   owner, r->time_name);
	}
	if (r->broken)
		return;
	if (has_owner)
		p->uses_owner = true;
	/* Inbound, the owner is that of the backend's listening socket, which
	 * attlsd can see only on its own host. */
	if (has_owner && (r->direction & POLICY_DIR_INBOUND) && r->backend.set && r->backend.host &&
	    strncmp(r->backend.host, "127.", 4) != 0 && strcmp(r->backend.host, "::1") != 0 &&
	    strcmp(r->backend.host, "localhost") != 0)
		diag_warning(dl, r->pos, "%s: for inbound connections jobname and userid are the "
					 "owner of the backend's listening socket on this host; if "
					 "backend %s is on another host this rule never matches",
			     owner, r->backend.host);
	if (!(r->set & cond_bits) && !has_owner)
		diag_error(dl, r->pos, "%s has no condition: give at least one of local_addr, "
				       "local_port, remote_addr, remote_port, jobname, userid",
			   owner);
	if (r->group && r->group->enabled && !r->env_name)
		diag_error(dl, r->pos, "%s maps to group \"%s\", which has TLS enabled, but names "
				       "no environment",
			   owner, r->group->name);
	check_intercept(r, owner, dl);
	if (r->proxy_protocol && r->eff.enabled && r->eff.role == POLICY_ROLE_CLIENT)
		diag_error(dl, r->pos, "%s: proxy_protocol needs a plaintext backend, but the rule's "
				       "role is Client (TLS to the backend)",
			   owner);
	/* Diverted connections go on to their original destination by default. */
	if (!r->intercept && r->direction != POLICY_DIR_OUTBOUND && !r->backend.set)
		diag_error(dl, r->pos, "%s has no \"backend\" (host:port of the plaintext server)",
			   owner);
	resolve_effective(r);
	resolve_parm_sets(p, r, dl);
	resolve_labels(r, dl);
	resolve_sni(r, dl);
	resolve_limits(r, owner, dl);
	resolve_client_sni(r, owner, dl);
	resolve_identity(p, r, dl);
	/* The server's name usually comes from "backend"; a diverted connection has
	 * only an address, which says nothing about who the server should be. */
	if (r->intercept && !r->backend.set && r->eff.enabled &&
	    r->eff.role == POLICY_ROLE_CLIENT && r->eff.identity_check && !r->eff.host_ref)
		diag_error(dl, r->pos, "%s: role Client with intercept and no backend: give "
				       "host_reference_id_dns (the name the servers must prove)",
			   owner);
	if (r->env && r->eff.enabled && r->eff.protocols == 0)
		diag_error(dl, r->pos, "%s allows no TLS version: turn on tls_v1_2 or tls_v1_3",
			   owner);
	if (r->eff.enabled && r->eff.role == POLICY_ROLE_CLIENT && !r->eff.identity_check)
		diag_warning(dl, r->pos, "%s does not check the server's identity "
					 "(server_identity_check: Off): any certificate from a trusted CA "
					 "is accepted for any name",
			     owner);
	if (r->eff.protocols & (POLICY_PROTO_TLS1_0 | POLICY_PROTO_TLS1_1))
		diag_warning(dl, r->pos, "%s allows TLS 1.0 or 1.1, which are insecure", owner);
	resolve_diagnostics(r, owner, dl);
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

/* V3CipherSuites, then V3CipherSuites4Char, duplicates dropped. */
static void
resolve_ciphers(struct policy *p, struct diag_list *dl)
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

static int
rule_cmp(const void *a, const void *b)
{
	const struct policy_rule *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Where a rule listens: its "listen", else local_addr and each port of its
 * local_port. A diverting listener needs "listen" (check_intercept says so),
 * so only a rule that clients connect to directly listens on several ports. */
static int
derive_listen(const struct policy *p, const struct policy_rule *r, char *host, size_t hlen,
	      struct policy_ports *ports, size_t *nports, struct diag_list *dl)
{
	struct diag_pos ppos = r->local_port_pos.line ? r->local_port_pos : r->pos;
	size_t i, n = 0;

	memset(ports, 0, sizeof(*ports));
	if (r->listen.set) {
		snprintf(host, hlen, "%s", r->listen.host);
		ports->lo = ports->hi = r->listen.port;
		*nports = 1;
		return 0;
	}
	if (r->local_port.lo == 0 || (r->intercept && r->local_port.lo != r->local_port.hi)) {
		diag_error(dl, ppos, "rule \"%s\": attlsd listens on the rule's local_port, so it "
				     "must be a single port (or give \"listen: host:port\")",
			   r->name);
		return -1;
	}
	for (i = 0; i < policy_ports_count(&r->local_port); i++) {
		struct policy_port_range pr = policy_ports_range(&r->local_port, i);
		n += (size_t)pr.hi - pr.lo + 1;
	}
	if (n > p->settings.max_rule_listeners) {
		diag_error(dl, ppos, "rule \"%s\": local_port names %zu ports, and attlsd listens "
				     "on each of them; settings.max_rule_listeners allows %u (name "
				     "fewer ports, or raise it)",
			   r->name, n, p->settings.max_rule_listeners);
		return -1;
	}
	*ports = r->local_port;
	*nports = n;
	if (r->local_addr.n == 0) {
		snprintf(host, hlen, "0.0.0.0");
		return 0;
	}
	if (r->local_addr.n != 1 || memcmp(r->local_addr.ranges[0].lo, r->local_addr.ranges[0].hi, 16)) {
		diag_error(dl, r->pos, "rule \"%s\": local_addr names more than one address, so "
				       "attlsd cannot listen on it (give \"listen: host:port\")",
			   r->name);
		return -1;
	}
	policy_addr_format(r->local_addr.ranges[0].lo, host, hlen);
	return 0;
}

/* One listener serves one way of arriving: how the original destination is
 * read, and whether the accepting side is the application's peer or itself. */
static bool
listener_compatible(const struct policy_listener *l, const struct policy_rule *r)
{
	int dir = r->direction == POLICY_DIR_OUTBOUND ? POLICY_DIR_OUTBOUND : POLICY_DIR_INBOUND;

	return l->intercept == r->intercept && l->direction == dir;
}

/* The listener on host:port, added if new; -1: none (the cap, or no memory). */
static long
listener_get(struct policy *p, size_t *cap, const struct policy_rule *r, const char *host,
	     uint16_t port, struct diag_list *dl)
{
	struct policy_listener *l;
	size_t j;

	for (j = 0; j < p->nlisteners; j++)
		if (p->listeners[j].port == port && strcmp(p->listeners[j].host, host) == 0)
			break;
	if (j < p->nlisteners) {
		if (!listener_compatible(&p->listeners[j], r))
			diag_error(dl, r->pos, "rule \"%s\" shares listener %s:%u with a rule of "
					       "another intercept mode or direction; give it its own "
					       "\"listen\"",
				   r->name, host, port);
		return (long)j;
	}
	if (p->nlisteners == p->settings.max_listeners) {
		diag_error(dl, r->local_port_pos.line ? r->local_port_pos : r->pos,
			   "rule \"%s\": listener %s:%u would be listener %zu, more than "
			   "settings.max_listeners allows (name fewer ports, or raise it)",
			   r->name, host, port, p->nlisteners + 1);
		return -1;
	}
	if (p->nlisteners == *cap) {
		size_t ncap = *cap * 2;
		void *v = realloc(p->listeners, ncap * sizeof(*p->listeners));
		if (!v)
			return -1;
		p->listeners = v;
		*cap = ncap;
	}
	l = &p->listeners[p->nlisteners];
	memset(l, 0, sizeof(*l));
	if (!(l->host = strdup(host)))
		return -1;
	l->port = port;
	l->backend = r->backend;
	l->backend.host = r->backend.host ? strdup(r->backend.host) : NULL;
	/* Unmatched traffic on this port goes to this port's own backend. */
	if (l->backend.relative) {
		l->backend.relative = false;
		l->backend.port = (uint16_t)(port + l->backend.offset);
		l->backend.offset = 0;
	}
	l->pos = r->pos;
	l->intercept = r->intercept;
	l->direction = r->direction == POLICY_DIR_OUTBOUND ? POLICY_DIR_OUTBOUND : POLICY_DIR_INBOUND;
	return (long)p->nlisteners++;
}

/* host:+N must land in 1..65535 for every port the rule takes connections on. */
static bool
relative_backend_ok(const struct policy_rule *r, const struct policy_ports *ports,
		    struct diag_list *dl)
{
	long lo = (long)ports->lo + r->backend.offset, hi = (long)ports->hi + r->backend.offset;

	if (!r->backend.relative || (lo >= 1 && hi <= 65535))
		return true;
	diag_error(dl, r->pos, "rule \"%s\": backend %s:%+d gives port %ld for local port %u; "
			       "backend ports must be 1-65535",
		   r->name, r->backend.host, r->backend.offset, lo < 1 ? lo : hi,
		   lo < 1 ? ports->lo : ports->hi);
	return false;
}

static void
derive_listeners(struct policy *p, struct diag_list *dl)
{
	size_t i, k, cap = 16;

	/* Never NULL: callers index it by a rule's listener before checking counts. */
	if (!(p->listeners = calloc(cap, sizeof(*p->listeners))))
		return;
	for (i = 0; i < p->nrules; i++) {
		struct policy_rule *r = &p->rules[i];
		struct policy_ports ports;
		size_t nports = 0;
		char host[64];
		long j;

		if (r->listen.set && r->listen.relative) {
			diag_error(dl, r->pos, "rule \"%s\": listen must be host:port (an offset "
					       "\"+N\" is for backend)",
				   r->name);
			continue;
		}
		if (r->backend.relative && r->direction == POLICY_DIR_OUTBOUND) {
			diag_error(dl, r->pos, "rule \"%s\": a backend relative to the local port "
					       "(host:%+d) is for Inbound rules; an outbound "
					       "connection's local port is the application's own",
				   r->name, r->backend.offset);
			continue;
		}
		if (r->broken || (r->direction == POLICY_DIR_OUTBOUND && !r->intercept) ||
		    derive_listen(p, r, host, sizeof(host), &ports, &nports, dl) ||
		    !relative_backend_ok(r, r->intercept ? &r->local_port : &ports, dl))
			continue;
		if (nports > 1 && !(r->listeners = calloc(nports, sizeof(*r->listeners))))
			continue;
		for (k = 0; k < policy_ports_count(&ports); k++) {
			struct policy_port_range pr = policy_ports_range(&ports, k);
			unsigned port;

			for (port = pr.lo; port <= pr.hi; port++) {
				if ((j = listener_get(p, &cap, r, host, (uint16_t)port, dl)) < 0)
					goto next;
				if (r->nlisteners == 0)
					r->listener = (unsigned)j;
				if (r->listeners)
					r->listeners[r->nlisteners] = (unsigned)j;
				r->nlisteners++;
			}
		}
next:;
	}
}

/* True if every address 'b' holds is in 'a' (each range of b inside one of a's;
 * conservative: a union of a's ranges covering b is not seen). */
static bool
addrs_cover(const struct policy_addrs *a, const struct policy_addrs *b)
{
	size_t i, j;

	if (a->n == 0)
		return true;
	if (b->n == 0)
		return false;
	for (i = 0; i < b->n; i++) {
		for (j = 0; j < a->n; j++)
			if (memcmp(a->ranges[j].lo, b->ranges[i].lo, 16) <= 0 &&
			    memcmp(a->ranges[j].hi, b->ranges[i].hi, 16) >= 0)
				break;
		if (j == a->n)
			return false;
	}
	return true;
}

/* Rule 'a' (earlier in match order) matches every connection 'b' would. */
static bool
rule_covers(const struct policy_rule *a, const struct policy_rule *b)
{
	return !a->time_cond && (a->direction & b->direction) == b->direction &&
	       ports_cover(&a->local_port, &b->local_port) &&
	       ports_cover(&a->remote_port, &b->remote_port) &&
	       addrs_cover(&a->local_addr, &b->local_addr) &&
	       addrs_cover(&a->remote_addr, &b->remote_addr) &&
	       overlap_pat_cover(a->jobname, b->jobname) && overlap_pat_cover(a->userid, b->userid);
}

/* Pairwise, so only up to a size where it stays well under a second. */
#define SHADOW_CHECK_MAX 3000

static void
warn_shadowed(struct policy *p, struct diag_list *dl)
{
	size_t i, j;

	if (p->nrules > SHADOW_CHECK_MAX)
		return;
	for (i = 1; i < p->nrules; i++)
		for (j = 0; j < i; j++)
			if (rule_covers(&p->rules[j], &p->rules[i])) {
				diag_warning(dl, p->rules[i].pos,
					     "rule \"%s\" can never match: rule \"%s\" (priority %u) "
					     "comes first and matches every connection it would",
					     p->rules[i].name, p->rules[j].name, p->rules[j].priority);
				break;
			}
}

static void
warn_unused(struct policy *p, struct diag_list *dl)
{
	size_t i, j;

	for (i = 0; i < p->nenvs; i++) {
		for (j = 0; j < p->nrules && p->rules[j].env != &p->envs[i]; j++)
			;
		if (j == p->nrules)
			diag_warning(dl, p->envs[i].pos, "environment \"%s\" is not used by any rule",
				     p->envs[i].name);
	}
	for (i = 0; i < p->ngroups; i++) {
		for (j = 0; j < p->nrules && p->rules[j].group != &p->groups[i]; j++)
			;
		if (j == p->nrules)
			diag_warning(dl, p->groups[i].pos, "group \"%s\" is not used by any rule",
				     p->groups[i].name);
	}
	for (i = 0; i < p->naddr_sets; i++)
		if (!p->addr_sets[i].used)
			diag_warning(dl, p->addr_sets[i].pos, "address set \"%s\" is not used by any "
							      "rule, filter or address set",
				     p->addr_sets[i].name);
	ports_warn_unused(p, dl);
	if (p->nrules == 0) {
		struct diag_pos pos = { diag_add_source(dl, p->path, NULL, 0), 0, 0 };
		diag_warning(dl, pos, "the policy has no rules (EZZ4249I): nothing is secured");
	}
}

#define ADDR_SET_DEPTH 8

static struct policy_addr_set *
find_addr_set(struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->naddr_sets; i++)
		if (strcmp(p->addr_sets[i].name, name) == 0)
			return &p->addr_sets[i];
	return NULL;
}

static int
append_ranges(struct policy_addrs *as, const struct policy_addrs *from)
{
	struct policy_addr_range *n;

	if (!from->n)
		return 0;
	if (!(n = realloc(as->ranges, (as->n + from->n) * sizeof(*n))))
		return -1;
	memcpy(n + as->n, from->ranges, from->n * sizeof(*n));
	as->ranges = n;
	as->n += from->n;
	return 0;
}

static void expand_set(struct policy *p, struct policy_addr_set *s, int depth,
		       struct diag_list *dl);

static void
undefined_addr_set(struct policy *p, struct diag_list *dl, struct diag_pos pos,
		   const char *owner, const char *name)
{
	const char **names, *s = NULL;

	NAMES(p->addr_sets, p->naddr_sets, names);
	if (names)
		s = diag_suggest(name, names);
	if (s)
		diag_error(dl, pos, "%s names address set \"%s\", which is not defined in "
				    "\"addresses\" (nor is it an address); did you mean \"%s\"?",
			   owner, name, s);
	else
		diag_error(dl, pos, "%s names address set \"%s\", which is not defined in "
				    "\"addresses\" (nor is it an address)",
			   owner, name);
	free(names);
}

/* Adds the addresses of the sets named in 'as' to its ranges (sets may name sets,
 * up to ADDR_SET_DEPTH deep; a set met again while it is being expanded is a
 * cycle, reported, never read as All). A set that is All makes the whole list
 * All. The names stay, for the dump. */
static void
expand_addrs(struct policy *p, struct policy_addrs *as, const char *owner, int depth,
	     struct diag_list *dl)
{
	size_t i;
	bool all = false;

	for (i = 0; i < as->nrefs; i++) {
		struct policy_addr_set *s = find_addr_set(p, as->refs[i]);
		struct diag_pos pos = as->ref_pos ? as->ref_pos[i] : as->pos;

		if (!s)
			undefined_addr_set(p, dl, pos, owner, as->refs[i]);
		else if (s->state == 1 || depth >= ADDR_SET_DEPTH)
			diag_error(dl, pos, "%s: address set \"%s\" contains itself (through "
					    "the sets it names)",
				   owner, as->refs[i]);
		else {
			s->used = true;
			expand_set(p, s, depth + 1, dl);
			if (s->all)
				all = true;
			else if (append_ranges(as, &s->addrs) != 0)
				diag_error(dl, as->pos, "out of memory");
		}
	}
	if (all) {
		free(as->ranges);
		as->ranges = NULL;
		as->n = 0;
	}
}

static void
expand_set(struct policy *p, struct policy_addr_set *s, int depth, struct diag_list *dl)
{
	char owner[80];

	if (s->state)
		return;
	/* Empty before expansion means the set was written as All. */
	s->all = s->addrs.n == 0 && s->addrs.nrefs == 0;
	s->state = 1;
	snprintf(owner, sizeof(owner), "address set \"%s\"", s->name);
	expand_addrs(p, &s->addrs, owner, depth, dl);
	if (!s->all && s->addrs.n == 0)
		s->all = !diag_has_errors(dl); /* it named only sets that are All */
	s->state = 2;
}

static void
resolve_addr_sets(struct policy *p, struct diag_list *dl)
{
	char owner[80];
	size_t i;

	for (i = 0; i < p->naddr_sets; i++)
		expand_set(p, &p->addr_sets[i], 0, dl);
	for (i = 0; i < p->nrules; i++) {
		snprintf(owner, sizeof(owner), "rule \"%s\"", p->rules[i].name);
		expand_addrs(p, &p->rules[i].local_addr, owner, 0, dl);
		expand_addrs(p, &p->rules[i].remote_addr, owner, 0, dl);
	}
	for (i = 0; i < p->nfilters; i++) {
		snprintf(owner, sizeof(owner), "filter \"%s\"", p->filters[i].name);
		expand_addrs(p, &p->filters[i].source, owner, 0, dl);
		expand_addrs(p, &p->filters[i].destination, owner, 0, dl);
	}
}

static void
resolve_filters(struct policy *p, struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < p->nfilters; i++) {
		struct policy_filter *f = &p->filters[i];

		f->index = (unsigned)i;
		if (!f->time_name)
			continue;
		FIND(p->times, p->ntimes, f->time_name, f->time_cond);
		if (!f->time_cond)
			diag_error(dl, f->time_pos, "filter \"%s\" refers to time condition \"%s\", "
						    "which is not defined in \"time_conditions\"",
				   f->name, f->time_name);
	}
}

void
policy_resolve(struct policy *p, struct diag_list *dl)
{
	const char **g, **e, **c;
	size_t i;

	resolve_keyrings(p, dl);
	resolve_idmaps(p, dl);
	resolve_envs(p, dl);
	resolve_ciphers(p, dl);
	resolve_addr_sets(p, dl);
	ports_resolve(p, dl);
	resolve_filters(p, dl);
	if (p->nrules)
		qsort(p->rules, p->nrules, sizeof(*p->rules), rule_cmp);
	NAMES(p->groups, p->ngroups, g);
	NAMES(p->envs, p->nenvs, e);
	NAMES(p->conns, p->nconns, c);
	for (i = 0; g && e && c && i < p->nrules; i++) {
		p->rules[i].index = (unsigned)i;
		resolve_rule(p, &p->rules[i], dl, g, e, c);
	}
	free(g);
	free(e);
	free(c);
	derive_listeners(p, dl);
	overlap_check(p, dl);
	for (i = 0; i < p->ngroups; i++)
		p->groups[i].id = (unsigned)i + 1;
	/* "Unused" is noise next to a misspelt reference; say it only of a good policy. */
	if (!diag_has_errors(dl)) {
		warn_unused(p, dl);
		warn_shadowed(p, dl);
	}
	if (!diag_has_errors(dl) &&
	    (policy_index_build(p, &p->index) != 0 || policy_filter_view_build(p) != 0)) {
		struct diag_pos pos = { diag_add_source(dl, p->path, NULL, 0), 0, 0 };
		diag_error(dl, pos, "out of memory while compiling the rules");
	}
}

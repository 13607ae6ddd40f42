/* SPDX-License-Identifier: Apache-2.0 */
/* Checks across the document: references, required combinations, readable
 * files; policy_resolve() runs every step, with effective parameters
 * (effective.c), address sets (addrset.c), port sets (ports.c), listeners
 * (listen.c), overlapping and shadowed rules (overlap.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"
#include "tokenuri.h"

static void
check_file(struct diag_list *dl, struct diag_pos pos, const char *what, const char *owner,
	   const char *path)
{
	FILE *f;

	if (!path || tokenuri_is(path)) /* a token is reached when the contexts are built */
		return;
	if (!(f = fopen(path, "r"))) {
		diag_error(dl, pos, "%s \"%s\": cannot read %s %s: %s", "keyring", owner, what, path,
			   strerror(errno));
		return;
	}
	fclose(f);
}

/* A token URI may carry its PIN (pin-value, pin-source): never in a policy. */
static void
check_no_pin(struct diag_list *dl, const struct policy_keyring *k, const char *ref)
{
	if (tokenuri_is(ref) && (strstr(ref, "pin-value=") || strstr(ref, "pin-source=")))
		diag_error(dl, k->pos, "keyring \"%s\": the PIN never goes into the policy; remove "
				       "pin-value/pin-source from the URI and give pin_file or "
				       "stash_file",
			   k->name);
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

void
validate_undefined_set(struct diag_list *dl, struct diag_pos pos, const char *owner,
		       const char *kind, const char *name, const char *const *cands)
{
	const char *section = strcmp(kind, "port") == 0 ? "ports" : "addresses";
	const char *s = cands ? diag_suggest(name, cands) : NULL;

	if (s)
		diag_error(dl, pos, "%s names %s set \"%s\", which is not defined in \"%s\" (nor "
				    "is it a%s %s); did you mean \"%s\"?",
			   owner, kind, name, section, kind[0] == 'a' ? "n" : "", kind, s);
	else
		diag_error(dl, pos, "%s names %s set \"%s\", which is not defined in \"%s\" (nor "
				    "is it a%s %s)",
			   owner, kind, name, section, kind[0] == 'a' ? "n" : "", kind);
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
			check_no_pin(dl, k, k->certs.v[j].certificate);
			check_no_pin(dl, k, k->certs.v[j].key);
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
		check_file(dl, k->pos, "pin_file", k->name, k->pin_file);
		check_file(dl, k->pos, "stash_file", k->name, k->stash_file);
		check_file(dl, k->pos, "key_passphrase_file", k->name, k->key_passphrase_file);
		if (k->pin_file && k->stash_file)
			diag_error(dl, k->pos, "keyring \"%s\" has both \"pin_file\" and "
					       "\"stash_file\"; the PIN comes from one of them",
				   k->name);
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

/* A jobname is the process's comm (any process may set its own) or a unit
 * name: alone it cannot say who may use a client certificate. A rule that
 * presents one (role Client with a certificate in its keyring) must also
 * name the socket owner's userid, which only the kernel sets. */
static void
check_owner_identity(const struct policy_rule *r, const char *owner, struct diag_list *dl)
{
	const struct policy_keyring *k = r->env ? r->env->keyring : NULL;

	if (!r->jobname || r->userid || !r->eff.enabled || r->eff.role != POLICY_ROLE_CLIENT ||
	    !k || !policy_keyring_cert(k, r->eff.cert_label ? r->eff.cert_label : "default"))
		return;
	diag_error(dl, r->pos, "%s matches on jobname \"%s\" alone and presents keyring \"%s\"'s "
			       "client certificate: any local process can name itself \"%s\" "
			       "(comm), so add userid (the socket owner, set by the kernel) to say "
			       "whose connections may use the certificate",
		   owner, r->jobname, k->name, r->jobname);
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
	effective_resolve(p, r, owner, dl);
	check_owner_identity(r, owner, dl);
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

static int
rule_cmp(const void *a, const void *b)
{
	const struct policy_rule *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
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
	effective_ciphers(p, dl);
	addrset_resolve(p, dl);
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
	listen_derive(p, dl);
	overlap_check(p, dl);
	for (i = 0; i < p->ngroups; i++)
		p->groups[i].id = (unsigned)i + 1;
	/* "Unused" is noise next to a misspelt reference; say it only of a good policy. */
	if (!diag_has_errors(dl)) {
		warn_unused(p, dl);
		overlap_warn_shadowed(p, dl);
	}
	if (!diag_has_errors(dl) &&
	    (policy_index_build(p, &p->index) != 0 || policy_filter_view_build(p) != 0)) {
		struct diag_pos pos = { diag_add_source(dl, p->path, NULL, 0), 0, 0 };
		diag_error(dl, pos, "out of memory while compiling the rules");
	}
}

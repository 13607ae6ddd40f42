/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent conversion steps that need every statement converted first: rules
 * without Priority, Outbound rules (interception), the files of placeholder
 * keyrings (Client-only rings, certificate labels), cipher sets left empty. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "pagent_int.h"
#include "tlsnames.h"

/* Rules without Priority get this one, the lowest there is: below every rule
 * with a Priority, and among themselves in the order of their names, which is
 * z/OS's order for rules of equal priority. */
#define PAGENT_NO_PRIORITY "1"

const char *
pagent_fixup_str(const struct ynode *m, const char *key)
{
	const struct ynode *v = m ? ytree_get(m, key) : NULL;

	return v && v->type == YNODE_SCALAR ? v->value : NULL;
}

static void
pagent_fixup_remove(struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (m->items[i]->type == YNODE_SCALAR && strcmp(m->items[i]->value, key) == 0) {
			ytree_free(m->items[i]);
			ytree_free(m->items[i + 1]);
			memmove(&m->items[i], &m->items[i + 2], (m->n - i - 2) * sizeof(*m->items));
			m->n -= 2;
			return;
		}
}

static bool
pagent_is_client(const char *role)
{
	return role && strcasecmp(role, "Client") == 0;
}

/* One warning per file, at its first rule without Priority. */
static void
pagent_fixup_priorities(struct pconv *c)
{
	struct ynode *rules = c->sec[SEC_RULES];
	const struct ynode *name, *first;
	size_t i, j, count;
	bool one = false;

	if (!rules)
		return;
	for (i = 1; i < rules->n; i += 2) {
		const char *p = pagent_fixup_str(rules->items[i], "priority");

		one |= p && strcmp(p, PAGENT_NO_PRIORITY) == 0;
	}
	for (i = 0; i + 1 < rules->n; i += 2) {
		name = rules->items[i];
		if (ytree_get(rules->items[i + 1], "priority"))
			continue;
		for (j = 0, first = NULL, count = 0; j + 1 < rules->n; j += 2) {
			const struct ynode *o = rules->items[j];

			if (ytree_get(rules->items[j + 1], "priority") || !o->pos.file ||
			    !name->pos.file || strcmp(o->pos.file, name->pos.file) != 0)
				continue;
			if (!first)
				first = o;
			count++;
		}
		if (first == name && count == 1)
			diag_warning(c->dl, name->pos,
				     "rule \"%s\" has no Priority: it gets priority %s, below every "
				     "rule with a Priority%s; give it a Priority to choose its place",
				     name->value, PAGENT_NO_PRIORITY,
				     one ? " (beside the rules whose Priority is 1, in the order of "
					   "their names)"
					 : "");
		else if (first == name)
			diag_warning(c->dl, name->pos,
				     "%zu rules of this file have no Priority: they get priority %s, "
				     "below every rule with a Priority, and are tried in the order "
				     "of their names (as z/OS orders rules of equal priority)%s; "
				     "give Priority to choose the order",
				     count, PAGENT_NO_PRIORITY,
				     one ? ", beside the rules whose Priority is 1" : "");
	}
	for (i = 0; i + 1 < rules->n; i += 2)
		if (!ytree_get(rules->items[i + 1], "priority"))
			(void)conv_ok(c, ytree_put(rules->items[i + 1], "priority",
						   rules->items[i]->pos,
						   ytree_scalar(PAGENT_NO_PRIORITY,
								rules->items[i]->pos)));
}

/* z/OS without HostReferenceIdDNS checks no server name; attlsd would need
 * one for a diverted connection, so the environment says Off, as z/OS did. */
static void
pagent_fixup_client_name(struct pconv *c, const struct ynode *rule_name, struct ynode *rule)
{
	const char *en = pagent_fixup_str(rule, "environment"), *cn;
	struct ynode *env = en && c->sec[SEC_ENVS] ? ytree_get(c->sec[SEC_ENVS], en) : NULL;
	struct ynode *conn = NULL;
	const char *role;

	if ((cn = pagent_fixup_str(rule, "connection")) && c->sec[SEC_CONNS])
		conn = ytree_get(c->sec[SEC_CONNS], cn);
	if (!env || env->type != YNODE_MAP || ytree_get(rule, "backend"))
		return;
	role = pagent_fixup_str(conn, "handshake_role");
	if (!role)
		role = pagent_fixup_str(env, "handshake_role");
	if (!pagent_is_client(role) || ytree_get(env, "host_reference_id_dns") ||
	    (conn && ytree_get(conn, "host_reference_id_dns")) ||
	    ytree_get(env, "server_identity_check"))
		return;
	(void)conv_ok(c, ytree_put(env, "server_identity_check", env->pos,
				   ytree_scalar("Off", env->pos)));
	diag_warning(c->dl, rule_name->pos,
		     "rule \"%s\" is an Outbound Client rule without HostReferenceIdDNS: z/OS "
		     "then checks no server name, and neither does attlsd (environment \"%s\" "
		     "gets server_identity_check: Off); give HostReferenceIdDNS so that the "
		     "server's certificate must name the server",
		     rule_name->value, en);
}

/* attlsd sees an application's own connections only when nftables diverts them. */
static void
pagent_fixup_outbound(struct pconv *c)
{
	const char *listen = c->o && c->o->outbound_listen ? c->o->outbound_listen
							    : PAGENT_OUTBOUND_LISTEN;
	struct ynode *rules = c->sec[SEC_RULES];
	size_t i;

	for (i = 0; rules && i + 1 < rules->n; i += 2) {
		struct ynode *name = rules->items[i], *m = rules->items[i + 1];
		const char *dir = pagent_fixup_str(m, "direction");

		const char *own = c->o ? pagent_addrs_opt(c->o->listens, c->o->nlistens, name->value)
				       : NULL;

		if (!dir || strcasecmp(dir, "Outbound") != 0 || ytree_get(m, "intercept"))
			continue;
		(void)conv_ok(c, ytree_put(m, "intercept", name->pos,
					   ytree_scalar("redirect", name->pos)));
		(void)conv_ok(c, ytree_put(m, "listen", name->pos,
					   ytree_scalar(own ? own : listen, name->pos)));
		diag_warning(c->dl, name->pos,
			     "rule \"%s\" is Outbound: attlsd sees the applications' connections "
			     "only when nftables diverts them, so it gets intercept: redirect and "
			     "listen: %s (`attlsctl intercept up POLICY` installs the diversion; "
			     "--outbound-listen HOST:PORT chooses another address)",
			     name->value, own ? own : listen);
		pagent_fixup_client_name(c, name, m);
	}
}

/* ---- placeholder keyrings ---- */

struct pring_use {
	bool key;     /* a server role uses the ring: it needs its certificate and key */
	char **labels; /* CertificateLabel, ServerCertificateLabel, SNI list labels */
	size_t nlabels;
};

static struct pring_use *
pagent_ring_use(struct pconv *c, struct pring_use *use, const char *keyring)
{
	const struct ynode *m = keyring && c->sec[SEC_KEYRINGS]
					? ytree_get(c->sec[SEC_KEYRINGS], keyring)
					: NULL;
	size_t i;

	for (i = 0; m && i < c->nrings; i++)
		if (c->rings[i].m == m)
			return &use[i];
	return NULL;
}

static void
pagent_ring_label(struct pconv *c, struct pring_use *u, const char *label)
{
	char **l;
	size_t i;

	/* A label too long is the loader's error at the parameter, not here. */
	if (!label || strcmp(label, "default") == 0 || strlen(label) > PAGENT_NAME_MAX)
		return;
	for (i = 0; i < u->nlabels; i++)
		if (strcmp(u->labels[i], label) == 0)
			return;
	if (!(l = realloc(u->labels, (u->nlabels + 1) * sizeof(*l))) ||
	    !(l[u->nlabels] = strdup(label))) {
		if (l)
			u->labels = l;
		(void)conv_ok(c, ATTLS_ENOMEM);
		return;
	}
	u->labels = l;
	u->nlabels++;
}

/* What the TLS parameters 'tp' (an environment or connection) need of ring 'u'. */
static void
pagent_ring_needs(struct pconv *c, struct pring_use *u, const struct ynode *tp)
{
	const struct ynode *v;
	const char *role = pagent_fixup_str(tp, "handshake_role");
	size_t i;

	if (!u || !tp || tp->type != YNODE_MAP)
		return;
	if (role && !pagent_is_client(role))
		u->key = true;
	pagent_ring_label(c, u, pagent_fixup_str(tp, "certificate_label"));
	if ((v = ytree_get(tp, "server_certificate_labels")) != NULL) {
		if (v->type == YNODE_SCALAR)
			pagent_ring_label(c, u, v->value);
		for (i = 0; v->type == YNODE_SEQ && i < v->n; i++)
			pagent_ring_label(c, u, v->items[i]->value);
	}
	if ((v = ytree_get(tp, "server_handshake_sni_list")) != NULL && v->type == YNODE_MAP)
		for (i = 1; i < v->n; i += 2)
			pagent_ring_label(c, u, v->items[i]->value);
}

/* LABEL.crt and LABEL.key in the ring's folder; '/' cannot be in a file name. */
static void
pagent_ring_put_label(struct pconv *c, struct pring *pr, struct ynode *certs, const char *label)
{
	struct ynode *e = conv_new(c, YNODE_MAP, pr->pos);
	char file[64], path[200];
	size_t i;

	if (!e)
		return;
	snprintf(file, sizeof(file), "%s", label);
	for (i = 0; file[i]; i++)
		if (file[i] == '/' || (i == 0 && file[i] == '.'))
			file[i] = '_';
	snprintf(path, sizeof(path), "${ATTLS_KEYRING_%s}/%s.crt", pr->var, file);
	(void)conv_ok(c, ytree_put(e, "certificate", pr->pos, ytree_scalar(path, pr->pos)));
	snprintf(path, sizeof(path), "${ATTLS_KEYRING_%s}/%s.key", pr->var, file);
	(void)conv_ok(c, ytree_put(e, "key", pr->pos, ytree_scalar(path, pr->pos)));
	(void)conv_ok(c, ytree_put(certs, label, pr->pos, e));
}

static void
pagent_ring_finish(struct pconv *c, struct pring *pr, struct pring_use *u)
{
	struct ynode *certs;
	char what[256];
	size_t i;

	if (pr->ca_only || !u->key) {
		pagent_fixup_remove(pr->m, "certificate");
		pagent_fixup_remove(pr->m, "key");
	}
	if (!pr->ca_only && u->nlabels &&
	    conv_ok(c, ytree_put(pr->m, "certificates", pr->pos,
				 certs = conv_new(c, YNODE_MAP, pr->pos))))
		for (i = 0; i < u->nlabels; i++)
			pagent_ring_put_label(c, pr, certs, u->labels[i]);
	if (pr->ca_only)
		snprintf(what, sizeof(what), "its CA certificates as PEM file ca.crt (it holds no "
					     "private key)");
	else if (!u->key)
		snprintf(what, sizeof(what), "its CA certificates as PEM file ca.crt (only Client "
					     "roles use it, so %s)",
			 u->nlabels ? "only the labelled certificates are presented"
				    : "it needs no certificate or key of its own");
	else
		snprintf(what, sizeof(what), "its certificate chain, private key and CA "
					     "certificates as PEM files server.crt, server.key and "
					     "ca.crt");
	diag_warning(c->dl, pr->pos,
		     "Keyring \"%s\" is %s, which is z/OS-only: export %s%s into a folder and "
		     "set ATTLS_KEYRING_%s to it, or map the ring with --keyring-map",
		     pr->ring, pr->kind, what,
		     u->nlabels && !pr->ca_only ? ", and each label's certificate chain and key "
						  "as LABEL.crt and LABEL.key,"
						: "",
		     pr->var);
}

static void
pagent_fixup_rings(struct pconv *c)
{
	struct ynode *envs = c->sec[SEC_ENVS], *rules = c->sec[SEC_RULES];
	struct pring_use *use;
	size_t i, j;

	if (!c->nrings)
		return;
	if (!(use = calloc(c->nrings, sizeof(*use)))) {
		(void)conv_ok(c, ATTLS_ENOMEM);
		return;
	}
	for (i = 1; envs && i < envs->n; i += 2)
		pagent_ring_needs(c, pagent_ring_use(c, use, pagent_fixup_str(envs->items[i],
									   "keyring")),
				  envs->items[i]);
	/* A connection's role and labels apply to the ring of its rule's environment. */
	for (i = 1; rules && envs && c->sec[SEC_CONNS] && i < rules->n; i += 2) {
		const char *en = pagent_fixup_str(rules->items[i], "environment");
		const char *cn = pagent_fixup_str(rules->items[i], "connection");
		const struct ynode *env = en ? ytree_get(envs, en) : NULL;

		if (env && cn)
			pagent_ring_needs(c, pagent_ring_use(c, use,
							     pagent_fixup_str(env, "keyring")),
					  ytree_get(c->sec[SEC_CONNS], cn));
	}
	for (i = 0; i < c->nrings; i++) {
		pagent_ring_finish(c, &c->rings[i], &use[i]);
		for (j = 0; j < use[i].nlabels; j++)
			free(use[i].labels[j]);
		free(use[i].labels);
	}
	free(use);
}

/* A cipher set whose every suite was dropped would read as the default list. */
static void
pagent_fixup_ciphers(struct pconv *c)
{
	static const char *const keys[2] = { "v3_cipher_suites", "v3_cipher_suites_4char" };
	struct ynode *sets = c->sec[SEC_CIPHERS];
	size_t i, j, n;

	for (i = 0; sets && i + 1 < sets->n; i += 2) {
		struct ynode *m = sets->items[i + 1];
		bool any = false;

		for (j = 0, n = 0; j < 2; j++) {
			const struct ynode *l = ytree_get(m, keys[j]);

			any |= l != NULL;
			n += l ? l->n : 0;
		}
		if (any && n == 0) {
			diag_error(c->dl, sets->items[i]->pos,
				   "TTLSCipherParms \"%s\" has no cipher suite that OpenSSL "
				   "implements: nothing usable is left; list suites such as "
				   "TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				   sets->items[i]->value);
			continue;
		}
		for (j = 0; j < 2; j++) {
			const struct ynode *l = ytree_get(m, keys[j]);

			if (l && l->n == 0)
				pagent_fixup_remove(m, keys[j]);
		}
	}
}

/* SAFCheck maps client certificates to RACF user IDs (RACDCERT MAP), which
 * the pagent files do not hold: an identity map that maps no certificate keeps
 * it failing closed (RC 5002) until the admin writes the real one. */
#define PAGENT_SAF_MAP "SAF"
#define PAGENT_NO_CERT "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00"

static void
pagent_fixup_safcheck_map(struct pconv *c, struct diag_pos pos)
{
	struct ynode *map, *certs, *one;

	if (c->idmaps)
		return;
	if (!(c->idmaps = conv_new(c, YNODE_MAP, pos)) || !(map = conv_new(c, YNODE_MAP, pos)) ||
	    !conv_ok(c, ytree_put(c->idmaps, PAGENT_SAF_MAP, pos, map)) ||
	    !(certs = conv_new(c, YNODE_SEQ, pos)) ||
	    !conv_ok(c, ytree_put(map, "certificates", pos, certs)) ||
	    !(one = conv_new(c, YNODE_MAP, pos)) || !conv_ok(c, ytree_push(certs, one)))
		return;
	(void)conv_ok(c, ytree_put(one, "sha256", pos, ytree_scalar(PAGENT_NO_CERT, pos)));
	(void)conv_ok(c, ytree_put(one, "user", pos, ytree_scalar("NOUSER", pos)));
}

static void
pagent_fixup_safcheck(struct pconv *c)
{
	struct ynode *secs[2] = { c->sec[SEC_ENVS], c->sec[SEC_CONNS] };
	size_t s, i;

	for (s = 0; s < 2; s++)
		for (i = 1; secs[s] && i < secs[s]->n; i += 2) {
			struct ynode *m = secs[s]->items[i];
			const struct ynode *ca = ytree_get(m, "client_auth_type");

			if (!ca || ca->type != YNODE_SCALAR || strcasecmp(ca->value, "SAFCheck") ||
			    ytree_get(m, "identity_map"))
				continue;
			pagent_fixup_safcheck_map(c, ca->pos);
			(void)conv_ok(c, ytree_put(m, "identity_map", ca->pos,
						   ytree_scalar(PAGENT_SAF_MAP, ca->pos)));
			diag_warning(c->dl, ca->pos,
				     "ClientAuthType SAFCheck: z/OS maps client certificates to "
				     "RACF user IDs (RACDCERT MAP), which attlsd reads from "
				     "identity_maps; imported with identity map \"%s\", which maps "
				     "no certificate, so every client is refused (RC 5002) until "
				     "you write its filters (doc/policy.md)",
				     PAGENT_SAF_MAP);
		}
}

/* True if cipher set 'cs' names a TLS 1.3 suite (13xx). */
static bool
pagent_has_tls13(const struct ynode *cs)
{
	static const char *const keys[2] = { "v3_cipher_suites_4char", "v3_cipher_suites" };
	const struct ynode *l;
	size_t i, j, k;

	for (k = 0; k < 2; k++) {
		if (!(l = ytree_get(cs, keys[k])) || l->type != YNODE_SEQ)
			continue;
		for (i = 0; i < l->n; i++) {
			const char *v = l->items[i]->value;
			const struct tlsname *t = tlsname_cipher_by_name(v);
			size_t len = strlen(v);

			if (t && (t->code >> 8) == 0x13)
				return true;
			for (j = 0; !t && k == 0 && len % 4 == 0 && j < len; j += 4)
				if (strncmp(v + j, "13", 2) == 0)
					return true;
		}
	}
	return false;
}

/* z/OS leaves TLSv1.3 Off unless asked; attlsd turns it on by default. With a
 * cipher set of no TLS 1.3 suite z/OS cannot speak TLS 1.3, so neither may
 * attlsd (which would otherwise refuse the set). */
static void
pagent_fixup_tls13(struct pconv *c)
{
	struct ynode *rules = c->sec[SEC_RULES];
	size_t i;

	for (i = 1; rules && i < rules->n; i += 2) {
		const char *en = pagent_fixup_str(rules->items[i], "environment");
		const char *cn = pagent_fixup_str(rules->items[i], "connection");
		struct ynode *env = en && c->sec[SEC_ENVS] ? ytree_get(c->sec[SEC_ENVS], en) : NULL;
		struct ynode *conn = cn && c->sec[SEC_CONNS] ? ytree_get(c->sec[SEC_CONNS], cn) : NULL;
		struct ynode *owner = conn && ytree_get(conn, "ciphers") ? conn : env;
		const char *cs = pagent_fixup_str(owner, "ciphers");
		const struct ynode *set = cs && c->sec[SEC_CIPHERS] ? ytree_get(c->sec[SEC_CIPHERS], cs)
								    : NULL;

		struct ynode *on = conn ? ytree_get(conn, "tls_v1_3") : NULL;
		char *off;

		if (!on && env)
			on = ytree_get(env, "tls_v1_3");
		if (!set || pagent_has_tls13(set))
			continue;
		if (!on) {
			(void)conv_ok(c, ytree_put(owner, "tls_v1_3", owner->pos,
						   ytree_scalar("Off", owner->pos)));
			continue;
		}
		if (on->type != YNODE_SCALAR || strcasecmp(on->value, "On") != 0)
			continue;
		if (!(off = strdup("Off"))) {
			(void)conv_ok(c, ATTLS_ENOMEM);
			return;
		}
		free(on->value);
		on->value = off;
		on->exact = 0;
		diag_warning(c->dl, on->pos, "TLSv1.3 On, but cipher set \"%s\" has no TLS 1.3 "
					     "suite, so z/OS negotiates at most TLS 1.2: imported as "
					     "tls_v1_3: Off",
			     cs);
	}
}

/* True if local_addr value 'v' names more than one address: a list, a prefix,
 * a range, or a set of such; '*v6' tells the family of what it names. */
static bool
pagent_multi_addr(const struct pconv *c, const struct ynode *v, unsigned depth, bool *v6)
{
	const struct ynode *set;

	if (!v || depth > PAGENT_MAX_DEPTH)
		return false;
	if (v->type == YNODE_SEQ) {
		if (v->n == 1)
			return pagent_multi_addr(c, v->items[0], depth + 1, v6);
		if (v->n)
			(void)pagent_multi_addr(c, v->items[0], depth + 1, v6);
		return v->n > 1;
	}
	if (v->type != YNODE_SCALAR || strcasecmp(v->value, "All") == 0)
		return false;
	if (c->sec[SEC_ADDRS] && (set = ytree_get(c->sec[SEC_ADDRS], v->value)) != NULL)
		return pagent_multi_addr(c, set, depth + 1, v6);
	*v6 = strchr(v->value, ':') != NULL;
	return strpbrk(v->value, "/-") != NULL;
}

/* A local address of several addresses: attlsd listens on the wildcard
 * address of the rule's one port and matches local_addr per connection. */
static void
pagent_fixup_listen(struct pconv *c)
{
	struct ynode *rules = c->sec[SEC_RULES];
	char buf[80];
	size_t i;

	for (i = 0; rules && i + 1 < rules->n; i += 2) {
		struct ynode *name = rules->items[i], *m = rules->items[i + 1];
		const char *lp = pagent_fixup_str(m, "local_port");
		const char *dir = pagent_fixup_str(m, "direction");
		bool v6 = false;

		if (ytree_get(m, "listen") || ytree_get(m, "intercept") || !lp ||
		    strspn(lp, "0123456789") != strlen(lp) || strcmp(lp, "0") == 0 ||
		    (dir && strcasecmp(dir, "Outbound") == 0) ||
		    !pagent_multi_addr(c, ytree_get(m, "local_addr"), 0, &v6))
			continue;
		snprintf(buf, sizeof(buf), "%s:%s", v6 ? "[::]" : "0.0.0.0", lp);
		(void)conv_ok(c, ytree_put(m, "listen", name->pos, ytree_scalar(buf, name->pos)));
	}
}

/* z/OS trusts a Jobname (RACF controls who runs a job); on Linux any process
 * can give itself a name, so attlsd refuses a Client rule that presents a
 * certificate to connections picked by jobname alone. A SAF ring is named
 * OWNER/RING and its owner is, as a rule, the user the server runs as: that
 * user (in lower case, as Linux names usually are) becomes the rule's userid,
 * with a warning to check it. Without an owner the loader's error stands. */
static void
pagent_fixup_jobname_owner(struct pconv *c)
{
	struct ynode *rules = c->sec[SEC_RULES];
	size_t i, j;

	for (i = 0; rules && i + 1 < rules->n; i += 2) {
		struct ynode *name = rules->items[i], *m = rules->items[i + 1];
		const char *en = pagent_fixup_str(m, "environment"), *cn, *role, *kr, *slash;
		const struct ynode *env = en && c->sec[SEC_ENVS] ? ytree_get(c->sec[SEC_ENVS], en)
								 : NULL;
		const struct ynode *conn = NULL, *ring;
		const struct pring *pr = NULL;
		char user[PAGENT_NAME_MAX + 1];

		if (!pagent_fixup_str(m, "jobname") || ytree_get(m, "userid") || !env)
			continue;
		if ((cn = pagent_fixup_str(m, "connection")) && c->sec[SEC_CONNS])
			conn = ytree_get(c->sec[SEC_CONNS], cn);
		role = pagent_fixup_str(conn, "handshake_role");
		if (!role)
			role = pagent_fixup_str(env, "handshake_role");
		kr = pagent_fixup_str(env, "keyring");
		ring = kr && c->sec[SEC_KEYRINGS] ? ytree_get(c->sec[SEC_KEYRINGS], kr) : NULL;
		if (!pagent_is_client(role) || !ring ||
		    (!ytree_get(ring, "certificate") && !ytree_get(ring, "certificates")))
			continue;
		for (j = 0; j < c->nrings; j++)
			if (c->rings[j].m == ring)
				pr = &c->rings[j];
		if (!pr || pr->ca_only || !pr->ring || !(slash = strchr(pr->ring, '/')) ||
		    slash == pr->ring || (size_t)(slash - pr->ring) > PAGENT_NAME_MAX)
			continue;
		for (j = 0; pr->ring + j < slash; j++)
			user[j] = (char)tolower((unsigned char)pr->ring[j]);
		user[j] = '\0';
		(void)conv_ok(c, ytree_put(m, "userid", name->pos, ytree_scalar(user, name->pos)));
		diag_warning(c->dl, name->pos,
			     "rule \"%s\" picks connections by Jobname alone and presents the client "
			     "certificate of key ring \"%s\": on Linux any process can give itself "
			     "that name, so attlsd also needs the user the connections belong to; the "
			     "rule gets userid: %s (the ring's owner, in lower case): write the Linux "
			     "user the application runs as",
			     name->value, pr->ring, user);
	}
}

void
pagent_fixup(struct pconv *c)
{
	pagent_fixup_tls13(c);
	pagent_fixup_listen(c);
	pagent_fixup_safcheck(c);
	pagent_fixup_ciphers(c);
	pagent_fixup_priorities(c);
	pagent_fixup_outbound(c);
	pagent_fixup_rings(c);
	pagent_fixup_jobname_owner(c);
}

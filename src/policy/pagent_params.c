/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent conversion of the parameters that are more than a key and a value:
 * Keyring (a SAF ring has no Linux file: a keyring map or placeholders),
 * settings (SyslogFacility, GSK_SYSPLEX_SIDCACHE), the lists,
 * ServerHandshakeSNIList, Jobname and Userid. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/compiler.h"
#include "pagent_int.h"
#include "tokenuri.h"

#define PAGENT_COMM_MAX 15 /* Linux process names (comm): TASK_COMM_LEN - 1 */

static void
pagent_sanitize(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 1 < size; in++) {
		if (isalnum((unsigned char)*in))
			out[n++] = (char)toupper((unsigned char)*in);
		else if (n > 0 && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

/* A ring without a --keyring-map entry: its files are placeholders in a folder
 * named by ATTLS_KEYRING_<RING>. Which files it needs (a Client-only ring needs
 * no key, a label its own files) is settled, and said, by pagent_fixup(). */
static void
pagent_keyring_placeholder(struct pconv *c, const struct pnode *k, struct ynode *m)
{
	static const char *const keys[3] = { "certificate", "key", "trusted_ca" };
	static const char *const files[3] = { "server.crt", "server.key", "ca.crt" };
	const char *ring = k->v[0];
	struct pring *pr, *rs;
	char path[160];
	size_t i, len = strlen(ring);

	if (!(rs = realloc(c->rings, (c->nrings + 1) * sizeof(*rs)))) {
		(void)conv_ok(c, ATTLS_ENOMEM);
		return;
	}
	c->rings = rs;
	pr = &rs[c->nrings++];
	*pr = (struct pring){ .m = m, .ring = ring, .kind = "a SAF key ring", .pos = k->vpos[0] };
	pagent_sanitize(ring, pr->var, sizeof(pr->var));
	if (!pr->var[0])
		snprintf(pr->var, sizeof(pr->var), "RING");
	if (len > 4 && strcasecmp(ring + len - 4, ".kdb") == 0) {
		pr->kind = "a z/OS key database (gskkyman)";
	} else if (strncasecmp(ring, "*TOKEN*", 7) == 0) {
		pr->kind = "a z/OS PKCS#11 token";
	} else if (strncasecmp(ring, "*AUTH*", 6) == 0) {
		/* RACF's virtual ring of every CERTAUTH certificate: no private key. */
		pr->kind = "the virtual key ring of RACF's CA certificates";
		pr->ca_only = true;
	}
	for (i = pr->ca_only ? 2 : 0; i < 3; i++) {
		snprintf(path, sizeof(path), "${ATTLS_KEYRING_%s}/%s", pr->var, files[i]);
		(void)conv_ok(c, ytree_put(m, keys[i], k->pos, ytree_scalar(path, k->vpos[0])));
	}
}

/* The certificate and key of the object a token URI names. */
static void
pagent_keyring_token(struct pconv *c, const struct pnode *k, struct ynode *m, const char *uri)
{
	char *cert = tokenuri_with_type(uri, "cert"), *key = tokenuri_with_type(uri, "private");

	if (cert && key) {
		(void)conv_ok(c, ytree_put(m, "certificate", k->pos,
					   ytree_scalar(cert, k->vpos[0])));
		(void)conv_ok(c, ytree_put(m, "key", k->pos, ytree_scalar(key, k->vpos[0])));
	} else {
		(void)conv_ok(c, ATTLS_ENOMEM);
	}
	free(cert);
	free(key);
}

void
pagent_params_keyring(struct pconv *c, const struct pnode *k, struct ynode *m)
{
	static const char *const keys[9] = { "certificate", "key", "trusted_ca", "crl",
					     "ocsp_response", "pin_file", "stash_file",
					     "key_passphrase_file", "pkcs11_module" };
	const struct ynode *e = c->o ? ytree_get(c->o->keyring_map, k->v[0]) : NULL;
	const struct ynode *v;
	bool token = false;
	size_t i;

	/* An exported policy's keyrings are in its attls-yaml lines. */
	if (!e)
		e = pagent_overlay_get(c, "keyrings", k->v[0]);
	if (!e) {
		pagent_keyring_placeholder(c, k, m);
		return;
	}
	/* An ICSF/PKDS-backed ring mapped to a token: "RING: pkcs11:token=T;object=O",
	 * or {token: URI, pin_file: ...}: its certificate and key from the token. */
	if (e->type == YNODE_SCALAR && tokenuri_is(e->value)) {
		pagent_keyring_token(c, k, m, e->value);
		return;
	}
	if ((v = ytree_get(e, "token")) && v->type == YNODE_SCALAR && tokenuri_is(v->value)) {
		pagent_keyring_token(c, k, m, v->value);
		token = true;
	}
	for (i = token ? 2 : 0; i < ARRAY_SIZE(keys); i++)
		if ((v = ytree_get(e, keys[i])) && v->type == YNODE_SCALAR)
			(void)conv_ok(c, ytree_put(m, keys[i], k->pos,
						   ytree_scalar(v->value, k->vpos[0])));
	/* Labelled certificates, for CertificateLabel, ServerCertificateLabel and
	 * ServerHandshakeSNIList: the labels of the SAF ring. */
	if ((v = ytree_get(e, "certificates")) && v->type == YNODE_MAP)
		(void)conv_ok(c, ytree_put(m, "certificates", k->pos, ytree_clone(v, k->vpos[0])));
}

/* A value of "settings": one for the whole policy, the first one kept. */
void
pagent_params_setting(struct pconv *c, const struct pnode *k, const char *key)
{
	const struct ynode *old;

	if (!c->settings && !(c->settings = conv_new(c, YNODE_MAP, k->pos)))
		return;
	if ((old = ytree_get(c->settings, key)) != NULL) {
		if (strcasecmp(old->value, k->v[0]) != 0)
			diag_warning(c->dl, k->vpos[0], "%s %s differs from %s given first; attlsd "
							"has one %s for all rules, %s is kept",
				     k->kw, k->v[0], old->value, key, old->value);
		return;
	}
	(void)conv_ok(c, ytree_put(c->settings, key, k->pos, ytree_scalar(k->v[0], k->vpos[0])));
}

void
pagent_params_syslog(struct pconv *c, const struct pnode *k)
{
	pagent_params_setting(c, k, "syslog_facility");
}

/* GSK_SYSPLEX_SIDCACHE On: sessions resumable on every stack of the sysplex;
 * attlsd's fleet equivalent is a Redis store, whose address only the admin
 * knows (--session-cache). */
void
pagent_params_sidcache(struct pconv *c, const struct pnode *k)
{
	struct pnode url = *k;
	char *v[1];

	if (strcasecmp(k->v[0], "On") != 0)
		return;
	if (!(c->o && c->o->session_cache)) {
		diag_warning(c->dl, k->pos, "%s On: attlsd keeps TLS 1.2 sessions in a cache of "
					    "its own host only; to resume them on every host, run "
					    "Redis and import with --session-cache redis://HOST:PORT "
					    "(settings.session_cache, doc/fleet.md)",
			     k->kw);
		return;
	}
	v[0] = (char *)c->o->session_cache;
	url.v = v;
	url.nv = 1;
	pagent_params_setting(c, &url, "session_cache");
}

void
pagent_params_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	struct ynode *seq = ytree_get(m, key);
	size_t i;

	if (!seq) {
		if (!conv_ok(c, ytree_put(m, key, k->pos, conv_new(c, YNODE_SEQ, k->pos))))
			return;
		seq = m->items[m->n - 1];
	}
	for (i = 0; i < k->nv; i++) {
		struct ynode *v = ytree_scalar(k->v[i], k->vpos[i]);

		if (v) /* a word as written: a bad code inside "C02BCCCC" is pointed at */
			v->exact = 1;
		(void)conv_ok(c, ytree_push(seq, v));
	}
}

/* ServerHandshakeSNIList label/servername ...: a map servername -> label; lines
 * are concatenated like the other lists. */
void
pagent_params_sni_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	struct ynode *map = ytree_get(m, key);
	char label[PAGENT_NAME_MAX + 1];
	const char *slash;
	size_t i;

	if (!map) {
		if (!conv_ok(c, ytree_put(m, key, k->pos, conv_new(c, YNODE_MAP, k->pos))))
			return;
		map = m->items[m->n - 1];
	}
	for (i = 0; i < k->nv && !c->r; i++) {
		slash = strchr(k->v[i], '/');
		if (!slash || slash == k->v[i] || !slash[1] ||
		    (size_t)(slash - k->v[i]) > PAGENT_NAME_MAX) {
			diag_error(c->dl, k->vpos[i], "%s value \"%s\" is not label/servername", k->kw,
				   k->v[i]);
			continue;
		}
		snprintf(label, sizeof(label), "%.*s", (int)(slash - k->v[i]), k->v[i]);
		(void)conv_ok(c, ytree_put(map, slash + 1, k->vpos[i],
					   ytree_scalar(label, k->vpos[i])));
	}
}

/* Jobname and Userid carry over as jobname and userid, matched the same way (a
 * trailing '*' matches any ending). Said at the value: where a z/OS pattern
 * cannot match on Linux as it did on z/OS. */
void
pagent_params_owner(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m)
{
	const char *v = k->v[0], *what = strcmp(key, "jobname") == 0 ? "process name (comm)"
								    : "user name";
	size_t len = strlen(v), plen = len && v[len - 1] == '*' ? len - 1 : len, i;
	bool upper = false, lower = false;

	(void)conv_ok(c, ytree_put(m, key, k->pos, ytree_scalar(v, k->vpos[0])));
	if (strcspn(v, "*?%") < plen) {
		diag_warning(c->dl, k->vpos[0], "%s %s has a wildcard that is not a trailing *: "
						"attlsd reads only a trailing * as a wildcard and "
						"matches the rest literally",
			     k->kw, v);
		return;
	}
	if (strcmp(key, "jobname") == 0 && plen > PAGENT_COMM_MAX) {
		diag_warning(c->dl, k->vpos[0], "Jobname %s has %zu characters before any *, but "
						"Linux process names have at most %d: it never "
						"matches; shorten it to the process name",
			     v, plen, PAGENT_COMM_MAX);
		return;
	}
	for (i = 0; i < plen; i++) {
		upper |= isupper((unsigned char)v[i]) != 0;
		lower |= islower((unsigned char)v[i]) != 0;
	}
	if (upper && !lower)
		diag_warning(c->dl, k->vpos[0], "%s %s is in capitals, as z/OS names are; attlsd "
						"compares it case-sensitively with the Linux %s of "
						"the socket's owner (usually lower case): write the "
						"name it has on Linux",
			     k->kw, v, what);
}

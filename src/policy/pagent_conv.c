/* SPDX-License-Identifier: Apache-2.0 */
/* Pagent statements -> the policy tree: named statements collected for
 * references, each statement's parameters through the keyword table, inline
 * sub-statements and references, rules with their conditions and backend. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "pagent_int.h"

/* TTLSGskLdapParms, TTLSGskOcspParms, TTLSGskHttpCdpParms: where System SSL
 * fetches revocation data; attlsd reads it from files the admin refreshes. */
static void
pagent_gsk_warn(struct pconv *c, const struct pnode *k)
{
	const char *what = "CRLs from an HTTP CRL distribution point";

	if (strncasecmp(k->kw, "TTLSGskLdap", 11) == 0)
		what = "CRLs from an LDAP server";
	else if (strncasecmp(k->kw, "TTLSGskOcsp", 11) == 0)
		what = "OCSP responses (nor checks a peer's certificate with an OCSP responder)";
	diag_warning(c->dl, k->pos, "%s is ignored: attlsd fetches no %s; it checks peer "
				    "certificates against the keyring's crl file (PEM CRLs you "
				    "refresh; without one there is no revocation check) and "
				    "staples the keyring's ocsp_response file",
		     k->kw, what);
}

struct pnode *
pagent_conv_find(const struct pconv *c, unsigned type, const char *name)
{
	size_t i;

	for (i = 0; i < c->nglob; i++)
		if (pagent_stype_find(c->glob[i]->kw)->type == type &&
		    strcmp(c->glob[i]->v[0], name) == 0)
			return c->glob[i];
	return NULL;
}

/* Records every named statement, at any depth; a second definition of a name
 * is an error and is not converted. */
static void
pagent_collect(struct pconv *c, struct pnode *n, unsigned depth)
{
	const struct pagent_stype *st = pagent_stype_find(n->kw);
	struct pnode *first, **g;
	size_t i;

	if (st && n->block && n->nv > 0 && (depth == 0 || st->type != T_RULE)) {
		if ((first = pagent_conv_find(c, st->type, n->v[0])) != NULL) {
			diag_error(c->dl, n->vpos[0], "%s \"%s\" is defined twice (first at %s:%u)",
				   st->kw, n->v[0], first->pos.file, first->pos.line);
			n->emitted = true;
		} else if ((g = realloc(c->glob, (c->nglob + 1) * sizeof(*g))) != NULL) {
			c->glob = g;
			c->glob[c->nglob++] = n;
		} else {
			c->r = ATTLS_ENOMEM;
		}
	}
	for (i = 0; i < n->nkids; i++)
		pagent_collect(c, n->kids[i], depth + 1);
}

const char *
pagent_conv_noun(unsigned type)
{
	const struct pagent_stype *st = pagent_stype_of(type);
	return st ? st->kw : "statement";
}

static void pagent_attrs(struct pconv *c, const struct pnode *s, unsigned type,
			 struct ynode *m, const char *owner, struct prule *acc);

static void pagent_stmt(struct pconv *c, struct pnode *s, const char *name,
			struct diag_pos npos);

static void
pagent_gen_name(char *out, size_t size, const char *owner, const char *suffix)
{
	size_t room = PAGENT_NAME_MAX - strlen(suffix) - 1;

	snprintf(out, size, "%.*s~%s", (int)room, owner, suffix);
}

/* An inline sub-statement: merged into 'm' (advanced parms), or emitted as an
 * entry of its own (named, or owner~suffix) and referenced from 'm'. */
static void
pagent_sub(struct pconv *c, struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	   const char *owner, struct prule *acc)
{
	const struct pagent_stype *st = pagent_stype_of(kw->ref);
	char gen[64];
	const char *name = gen;
	struct diag_pos npos = k->pos;

	if (kw->ref == T_GSK) {
		pagent_gsk_warn(c, k);
		return;
	}
	if (st->sec < 0) {
		pagent_attrs(c, k, kw->ref, m, owner, acc);
		return;
	}
	if (k->nv > 0) {
		name = k->v[0];
		npos = k->vpos[0];
	} else {
		pagent_gen_name(gen, sizeof(gen), owner, st->suffix);
	}
	if (!k->emitted)
		pagent_stmt(c, k, name, npos);
	(void)conv_ok(c, ytree_put(m, kw->key, k->pos, ytree_scalar(name, npos)));
}

static void
pagent_ref(struct pconv *c, const struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	   const char *owner, struct prule *acc)
{
	const struct pagent_stype *st = pagent_stype_of(kw->ref);
	const struct pnode *g;

	if (kw->ref == T_GSK) {
		pagent_gsk_warn(c, k);
		return;
	}
	if (st->sec >= 0) { /* the loader checks that the name exists */
		(void)conv_ok(c, ytree_put(m, kw->key, k->pos, ytree_scalar(k->v[0], k->vpos[0])));
		return;
	}
	if (!(g = pagent_conv_find(c, kw->ref, k->v[0]))) {
		diag_error(c->dl, k->vpos[0], "%s \"%s\" is not defined", st->kw, k->v[0]);
		return;
	}
	pagent_attrs(c, g, kw->ref, m, owner, acc);
}

static void
pagent_unknown(struct pconv *c, const struct pnode *k, unsigned type)
{
	const char *s;

	if (pagent_is_keyword(k->kw)) {
		diag_warning(c->dl, k->pos, "\"%s\" is not a parameter of %s; ignored", k->kw,
			     pagent_conv_noun(type));
		return;
	}
	if ((s = pagent_kw_suggest(k->kw, type)) != NULL)
		diag_warning(c->dl, k->pos, "unknown parameter \"%s\" in %s; did you mean \"%s\"? "
					    "ignored",
			     k->kw, pagent_conv_noun(type), s);
	else
		diag_warning(c->dl, k->pos, "unknown parameter \"%s\" in %s; ignored", k->kw,
			     pagent_conv_noun(type));
}

/* One value; a range of two written with a blank is joined the YAML way. */
static void
pagent_key(struct pconv *c, const struct pnode *k, const struct pagent_kw *kw, struct ynode *m)
{
	char buf[256];

	if (k->nv == 2 && kw->note) {
		snprintf(buf, sizeof(buf), "%s%s%s", k->v[0], kw->note, k->v[1]);
		(void)conv_ok(c, ytree_put(m, kw->key, k->pos, ytree_scalar(buf, k->vpos[0])));
		return;
	}
	(void)conv_ok(c, ytree_put(m, kw->key, k->pos, ytree_scalar(k->v[0], k->vpos[0])));
}

/* A parameter attlsd lacks that asks for nothing attlsd would do otherwise:
 * SSLv3 Off, SecondaryMap Off, FIPS140 Off, EnvironmentUserInstance 0, and
 * the two that attlsd always does, ServerScsv On and server tickets On. */
static bool
pagent_asks_nothing(const struct pnode *k)
{
	const char *v = k->nv == 1 ? k->v[0] : "";

	if (strcasecmp(k->kw, "ServerScsv") == 0 ||
	    strcasecmp(k->kw, "GSK_SESSION_TICKET_SERVER_ENABLE") == 0)
		return strcasecmp(v, "On") == 0;
	if (strlen(k->kw) > 12 && strcasecmp(k->kw + strlen(k->kw) - 12, "UserInstance") == 0)
		return strcmp(v, "0") == 0;
	return strcasecmp(v, "Off") == 0;
}

static void
pagent_attr(struct pconv *c, struct pnode *k, const struct pagent_kw *kw, struct ynode *m,
	    const char *owner, struct prule *acc)
{
	switch (kw->act) {
	case A_KEY:
		pagent_key(c, k, kw, m);
		break;
	case A_LIST:
		pagent_params_list(c, k, kw->key, m);
		break;
	case A_SNILIST:
		pagent_params_sni_list(c, k, kw->key, m);
		break;
	case A_WARN:
		if (!pagent_asks_nothing(k))
			diag_warning(c->dl, k->pos, "%s has no attlsd equivalent yet and is "
						    "ignored: %s",
				     k->kw, kw->note);
		break;
	case A_ZOS:
		if (!pagent_asks_nothing(k))
			diag_warning(c->dl, k->pos, "%s is z/OS-only and is ignored: %s", k->kw,
				     kw->note);
		break;
	case A_SUB:
		pagent_sub(c, k, kw, m, owner, acc);
		break;
	case A_REF:
		pagent_ref(c, k, kw, m, owner, acc);
		break;
	case A_ADDR:
	case A_PORT:
		if (acc)
			pagent_addrs_rule_cond(c, acc, k, kw);
		break;
	case A_KEYRING:
		pagent_params_keyring(c, k, m);
		break;
	case A_SYSLOG:
		pagent_params_syslog(c, k);
		break;
	case A_OWNER:
		pagent_params_owner(c, k, kw->key, m);
		break;
	case A_SUITES:
		pagent_suites_list(c, k, kw->key, m);
		break;
	case A_CODES:
		pagent_suites_codes(c, k, kw->key, m);
		break;
	case A_SIDCACHE:
		pagent_params_sidcache(c, k);
		break;
	case A_SETTING:
		pagent_params_setting(c, k, kw->key);
		break;
	default:
		break;
	}
}

/* Converts the parameters of 's' (a statement of 'type') into map 'm'. */
static void
pagent_attrs(struct pconv *c, const struct pnode *s, unsigned type, struct ynode *m,
	     const char *owner, struct prule *acc)
{
	size_t i;

	for (i = 0; i < s->nkids && !c->r; i++) {
		struct pnode *k = s->kids[i];
		const struct pagent_kw *kw = pagent_kw_find(k->kw, type);

		if (!kw) {
			pagent_unknown(c, k, type);
		} else if (kw->act == A_SUB && !k->block) {
			diag_error(c->dl, k->pos, "%s needs a { ... } block (or use %sRef name)",
				   k->kw, k->kw);
		} else if (kw->act != A_SUB && k->block) {
			diag_error(c->dl, k->pos, "%s takes values, not a { ... } block", k->kw);
		} else if (kw->act != A_SUB && k->nv == 0) {
			diag_error(c->dl, k->pos, "%s needs a value", k->kw);
		} else {
			pagent_attr(c, k, kw, m, owner, acc);
		}
	}
}

static struct ynode *
pagent_entry(struct pconv *c, int sec, const char *name, struct diag_pos npos,
	     struct diag_pos mpos)
{
	struct ynode *m;

	if (!c->sec[sec] && !(c->sec[sec] = conv_new(c, YNODE_MAP, mpos)))
		return NULL;
	m = conv_new(c, YNODE_MAP, mpos);
	if (!m || !conv_ok(c, ytree_put(c->sec[sec], name, npos, m)))
		return NULL;
	return m;
}

static void
pagent_stmt(struct pconv *c, struct pnode *s, const char *name, struct diag_pos npos)
{
	const struct pagent_stype *st = pagent_stype_find(s->kw);
	struct prule acc;
	struct ynode *m;
	size_t i;

	memset(&acc, 0, sizeof(acc));
	s->emitted = true;
	/* As on z/OS; and a name is a YAML key, which may not pass 1024 characters. */
	if (strlen(name) > PAGENT_NAME_MAX) {
		diag_error(c->dl, npos, "%s name is longer than %d characters (AT-TLS names are 1 "
					"to %d)",
			   s->kw, PAGENT_NAME_MAX, PAGENT_NAME_MAX);
		return;
	}
	if (!(m = pagent_entry(c, st->sec, name, npos, s->pos)))
		return;
	pagent_attrs(c, s, st->type, m, name, st->type == T_RULE ? &acc : NULL);
	if (st->type != T_RULE)
		return;
	pagent_addrs_rule_finish(c, &acc, m);
	for (i = 0; i < PRULE_N; i++)
		ytree_free(acc.seq[i]);
	pagent_addrs_backend(c, m, name, npos);
}

static void
pagent_top(struct pconv *c, struct pnode *s)
{
	const struct pagent_stype *st = pagent_stype_find(s->kw);
	const char *sug;

	if (st) {
		if (!s->block)
			diag_error(c->dl, s->pos, "%s needs a { ... } block", s->kw);
		else if (s->nv == 0)
			diag_error(c->dl, s->pos, "%s outside another statement needs a name", s->kw);
		else if (!s->emitted && st->sec >= 0)
			pagent_stmt(c, s, s->v[0], s->vpos[0]);
	} else if (pagent_is_other(s->kw)) {
		diag_warning(c->dl, s->pos, "%s is not an AT-TLS statement; ignored", s->kw);
	} else if (pagent_kw_find(s->kw, 0) || pagent_is_include(s->kw)) {
		diag_error(c->dl, s->pos, "parameter %s outside any statement", s->kw);
	} else if ((sug = pagent_stype_suggest(s->kw)) != NULL) {
		diag_error(c->dl, s->pos, "unknown statement \"%s\"; did you mean \"%s\"?", s->kw,
			   sug);
	} else {
		diag_error(c->dl, s->pos, "unknown statement \"%s\"", s->kw);
	}
}

static int
pagent_convert_tree(struct pconv *c, struct ynode **out)
{
	struct diag_pos p0 = { c->root->pos.file, 1, 1 };
	struct ynode *root, *extra = NULL;
	size_t i;

	*out = NULL;
	for (i = 0; i < c->root->nkids; i++)
		pagent_collect(c, c->root->kids[i], 0);
	for (i = 0; i < c->root->nkids && !c->r; i++)
		pagent_top(c, c->root->kids[i]);
	if (!c->r)
		pagent_overlay_apply(c, &extra);
	if (!c->r)
		pagent_fixup(c);
	if (!(root = conv_new(c, YNODE_MAP, p0)))
		return c->r;
	(void)conv_ok(c, ytree_put(root, "version", p0, ytree_scalar("1", p0)));
	if (c->settings) {
		(void)conv_ok(c, ytree_put(root, "settings", c->settings->pos, c->settings));
		c->settings = NULL;
	}
	if (c->idmaps) {
		(void)conv_ok(c, ytree_put(root, "identity_maps", c->idmaps->pos, c->idmaps));
		c->idmaps = NULL;
	}
	for (i = 0; i < SEC_N; i++)
		if (c->sec[i]) {
			(void)conv_ok(c, ytree_put(root, pagent_sec_key(i), c->sec[i]->pos,
						   c->sec[i]));
			c->sec[i] = NULL;
		}
	for (i = 0; extra && i + 1 < extra->n; i += 2) {
		(void)conv_ok(c, ytree_push(root, extra->items[i]));
		(void)conv_ok(c, ytree_push(root, extra->items[i + 1]));
	}
	if (extra) {
		extra->n = 0;
		ytree_free(extra);
	}
	if (c->r || diag_has_errors(c->dl)) {
		ytree_free(root);
		return c->r ? c->r : ATTLS_EPOLICY;
	}
	*out = root;
	return 0;
}

int
pagent_convert(struct pload *L, struct ynode **out)
{
	struct pconv c = { .dl = L->dl, .o = L->o, .root = L->root, .overlay = L->overlay };
	size_t i;
	int r = pagent_convert_tree(&c, out);

	for (i = 0; i < SEC_N; i++)
		ytree_free(c.sec[i]);
	ytree_free(c.settings);
	ytree_free(c.idmaps);
	free(c.glob);
	free(c.rings);
	return r;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* `attlsctl export pagent`: a YAML policy as Policy Agent statements, the
 * reverse of the import through the same keyword table (pagent.c). What no
 * statement can say goes to "# attls-yaml:" comment lines (pagent_overlay.c),
 * so importing the export gives the same policy, and z/OS reads the rest. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "pagent_int.h"
#include "policy.h"

#define EMIT_MAX_FILE (4u << 20)

/* How an address or port set was written, for the rules that name it. */
enum { SET_NONE, SET_IPSET, SET_IPGROUP, SET_PORT, SET_PORTGRP };

struct pemit {
	FILE *out;
	const struct ynode *root;
	struct ynode *ov; /* the attls-yaml lines, as a tree */
	const struct ynode *addrs, *ports;
	int *addr_kind, *port_kind; /* per entry of addrs / ports */
	bool *addr_used, *port_used; /* named by a rule, maybe through other sets */
	int r;
};

static bool
emit_ok(struct pemit *e, int r)
{
	if (r && !e->r)
		e->r = r;
	return r == 0;
}

/* A value pagent can carry: one word without comment or brace characters. */
static bool
emit_word(const struct ynode *v)
{
	return v && v->type == YNODE_SCALAR && v->value[0] && !strpbrk(v->value, " \t\n#{}\"'") &&
	       strlen(v->value) < 512;
}

/* ov[section][name][key] = v (key NULL: ov[section][name] = v; name NULL too:
 * ov[section] = v). */
static void
emit_over(struct pemit *e, const char *section, const char *name, const char *key,
	  const struct ynode *v)
{
	struct diag_pos p0 = { 0 };
	const char *path[3] = { section, name, key };
	struct ynode *m = e->ov, *next;
	size_t i, n = key ? 3 : name ? 2 : 1;

	for (i = 0; i + 1 < n; i++) {
		if (!(next = ytree_get(m, path[i]))) {
			if (!emit_ok(e, ytree_put(m, path[i], p0, ytree_new(YNODE_MAP, p0))))
				return;
			next = m->items[m->n - 1];
		}
		m = next;
	}
	(void)emit_ok(e, ytree_put(m, path[n - 1], p0, ytree_clone(v, p0)));
}

static void
emit_line(struct pemit *e, unsigned indent, const char *kw, const char *v)
{
	fprintf(e->out, "%*s%-28s %s\n", (int)indent, "", kw, v);
}

/* Every word of a list (items, or blank/comma separated words of a scalar),
 * one line per item as the import concatenates repeated lines. */
static bool
emit_list_ok(const struct ynode *v)
{
	size_t i;

	if (emit_word(v))
		return true;
	if (!v || v->type != YNODE_SEQ || !v->n)
		return v && v->type == YNODE_SCALAR && v->value[0] &&
		       !strpbrk(v->value, "#{}\"'\n");
	for (i = 0; i < v->n; i++)
		if (!emit_list_ok(v->items[i]) || v->items[i]->type != YNODE_SCALAR)
			return false;
	return true;
}

static void
emit_list(struct pemit *e, unsigned indent, const char *kw, const struct ynode *v)
{
	char *copy, *tok, *save = NULL, line[4096];
	size_t i, n = v->type == YNODE_SEQ ? v->n : 1;

	for (i = 0; i < n; i++) {
		const struct ynode *it = v->type == YNODE_SEQ ? v->items[i] : v;

		line[0] = '\0';
		if (!(copy = strdup(it->value))) {
			(void)emit_ok(e, ATTLS_ENOMEM);
			return;
		}
		for (tok = strtok_r(copy, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save))
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
				 line[0] ? " " : "", tok);
		free(copy);
		emit_line(e, indent, kw, line);
	}
}

/* server_handshake_sni_list: servername -> label, written label/servername. */
static bool
emit_sni(struct pemit *e, unsigned indent, const char *kw, const struct ynode *v, bool dry)
{
	char line[4096] = "";
	size_t i;

	if (v->type != YNODE_MAP || !v->n)
		return false;
	for (i = 0; i + 1 < v->n; i += 2)
		if (!emit_word(v->items[i]) || !emit_word(v->items[i + 1]))
			return false;
	for (i = 0; !dry && i + 1 < v->n; i += 2)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s/%s",
			 line[0] ? " " : "", v->items[i + 1]->value, v->items[i]->value);
	if (!dry)
		emit_line(e, indent, kw, line);
	return true;
}

/* One key of an entry as the parameter 'kw'; false if pagent cannot say it. */
static bool
emit_param(struct pemit *e, unsigned indent, const struct pagent_kw *kw, const struct ynode *v,
	   bool dry)
{
	if (!kw)
		return false;
	switch (kw->act) {
	case A_KEY:
	case A_OWNER:
	case A_REF:
		if (!emit_word(v))
			return false;
		if (!dry)
			emit_line(e, indent, kw->kw, v->value);
		return true;
	case A_LIST:
	case A_SUITES:
	case A_CODES:
		if (!emit_list_ok(v))
			return false;
		if (!dry)
			emit_list(e, indent, kw->kw, v);
		return true;
	case A_SNILIST:
		return emit_sni(e, indent, kw->kw, v, dry);
	default:
		return false;
	}
}

/* The keys of entry 'm' that are parameters of statement 'where' (or, with
 * 'sub' set, of its advanced parms block 'sub'), written at 'indent'; 'done'
 * marks them. */
static void
emit_params(struct pemit *e, const struct ynode *m, unsigned where, const char *sub,
	    unsigned indent, bool *done)
{
	bool any = false;
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2) {
		const struct pagent_kw *kw = pagent_kw_by_key(m->items[i]->value, where);

		if (done[i / 2] || !emit_param(e, 0, kw, m->items[i + 1], true))
			continue;
		if (sub && !any)
			fprintf(e->out, "%*s%s\n%*s{\n", (int)indent - 2, "", sub, (int)indent - 2, "");
		any = true;
		(void)emit_param(e, indent, kw, m->items[i + 1], false);
		done[i / 2] = true;
	}
	if (sub && any)
		fprintf(e->out, "%*s}\n", (int)indent - 2, "");
}

static const char *const emit_refs[][2] = {
	{ "keyring", "TTLSKeyringParmsRef" },  { "ciphers", "TTLSCipherParmsRef" },
	{ "signatures", "TTLSSignatureParmsRef" }, { "group", "TTLSGroupActionRef" },
	{ "environment", "TTLSEnvironmentActionRef" },
	{ "connection", "TTLSConnectionActionRef" }, { "time_condition", "IpTimeConditionRef" },
};

static bool
emit_ref(struct pemit *e, const char *key, const struct ynode *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(emit_refs); i++)
		if (strcmp(emit_refs[i][0], key) == 0 && emit_word(v)) {
			emit_line(e, 2, emit_refs[i][1], v->value);
			return true;
		}
	return false;
}

/* The set kind of 'name' in 'sets' (kinds[] per entry), or SET_NONE. */
static int
emit_set_kind(const struct ynode *sets, const int *kinds, const char *name)
{
	size_t i;

	for (i = 0; sets && i + 1 < sets->n; i += 2)
		if (strcmp(sets->items[i]->value, name) == 0)
			return kinds[i / 2];
	return SET_NONE;
}

/* Marks the sets 'v' (a name or a list) names, and the sets they name. */
static void
emit_mark(const struct ynode *sets, bool *used, const struct ynode *v, unsigned depth)
{
	size_t i;

	if (!v || !sets || depth > 16)
		return;
	if (v->type == YNODE_SEQ) {
		for (i = 0; i < v->n; i++)
			emit_mark(sets, used, v->items[i], depth + 1);
		return;
	}
	if (v->type != YNODE_SCALAR)
		return;
	for (i = 0; i + 1 < sets->n; i += 2)
		if (strcmp(sets->items[i]->value, v->value) == 0 && !used[i / 2]) {
			used[i / 2] = true;
			emit_mark(sets, used, sets->items[i + 1], depth + 1);
		}
}

static bool
emit_is_addr(const char *s)
{
	struct policy_addr_range r;

	return policy_addr_parse(s, &r) == 0;
}

static bool
emit_is_port(const char *s)
{
	return isdigit((unsigned char)s[0]) || strcasecmp(s, "All") == 0;
}

/* local_addr / remote_addr: an address, or a set written as a statement. */
static bool
emit_rule_addr(struct pemit *e, const char *key, const struct ynode *v)
{
	const char *side = strcmp(key, "local_addr") == 0 ? "Local" : "Remote";
	char kw[32];
	int k;

	if (!emit_word(v))
		return false;
	if (emit_is_addr(v->value)) {
		snprintf(kw, sizeof(kw), "%sAddr", side);
		emit_line(e, 2, kw, v->value);
		return true;
	}
	if ((k = emit_set_kind(e->addrs, e->addr_kind, v->value)) == SET_NONE)
		return false;
	snprintf(kw, sizeof(kw), "%sAddr%sRef", side, k == SET_IPSET ? "Set" : "Group");
	emit_line(e, 2, kw, v->value);
	emit_mark(e->addrs, e->addr_used, v, 0);
	return true;
}

static bool
emit_rule_port(struct pemit *e, const char *key, const struct ynode *v)
{
	const char *side = strcmp(key, "local_port") == 0 ? "Local" : "Remote";
	char kw[32], val[64], *dash;
	int k;

	if (!emit_word(v))
		return false;
	if (emit_is_port(v->value)) {
		snprintf(val, sizeof(val), "%s", strcasecmp(v->value, "All") == 0 ? "0" : v->value);
		if ((dash = strpbrk(val, "-:")) != NULL)
			*dash = ' ';
		snprintf(kw, sizeof(kw), "%sPortRange", side);
		emit_line(e, 2, kw, val);
		return true;
	}
	if ((k = emit_set_kind(e->ports, e->port_kind, v->value)) == SET_NONE)
		return false;
	snprintf(kw, sizeof(kw), "%sPort%sRef", side, k == SET_PORT ? "Range" : "Group");
	emit_line(e, 2, kw, v->value);
	emit_mark(e->ports, e->port_used, v, 0);
	return true;
}

static bool
emit_name_ok(const char *name)
{
	return name[0] && strlen(name) <= PAGENT_NAME_MAX && !strpbrk(name, " \t\n#{}\"'");
}

/* One entry of section 'sec' as statement 'stmt': the keys pagent can say as
 * parameters, the rest into the overlay. */
static void
emit_entry(struct pemit *e, int sec, const char *stmt, const struct ynode *name,
	   const struct ynode *m)
{
	const char *key = pagent_sec_key(sec);
	bool *done;
	size_t i;

	if (m->type != YNODE_MAP || !emit_name_ok(name->value)) {
		emit_over(e, key, name->value, NULL, m);
		return;
	}
	if (!(done = calloc(m->n / 2 + 1, sizeof(*done)))) {
		(void)emit_ok(e, ATTLS_ENOMEM);
		return;
	}
	fprintf(e->out, "%s %s\n{\n", stmt, name->value);
	for (i = 0; i + 1 < m->n; i += 2) {
		const char *k = m->items[i]->value;
		const struct ynode *v = m->items[i + 1];

		if (sec == SEC_RULES && (strcmp(k, "local_addr") == 0 || strcmp(k, "remote_addr") == 0))
			done[i / 2] = emit_rule_addr(e, k, v);
		else if (sec == SEC_RULES &&
			 (strcmp(k, "local_port") == 0 || strcmp(k, "remote_port") == 0))
			done[i / 2] = emit_rule_port(e, k, v);
		else if (sec != SEC_CIPHERS && sec != SEC_SIGS)
			done[i / 2] = emit_ref(e, k, v);
	}
	switch (sec) {
	case SEC_RULES:
		emit_params(e, m, T_RULE, NULL, 2, done);
		break;
	case SEC_GROUPS:
		emit_params(e, m, T_GROUP, NULL, 2, done);
		break;
	case SEC_ENVS:
		emit_params(e, m, T_ENV, NULL, 2, done);
		emit_params(e, m, T_ENVADV, "TTLSEnvironmentAdvancedParms", 4, done);
		emit_params(e, m, T_GSKADV, "TTLSGskAdvancedParms", 4, done);
		break;
	case SEC_CONNS:
		emit_params(e, m, T_CONN, NULL, 2, done);
		emit_params(e, m, T_CONNADV, "TTLSConnectionAdvancedParms", 4, done);
		break;
	case SEC_CIPHERS:
		emit_params(e, m, T_CIPHER, NULL, 2, done);
		break;
	case SEC_SIGS:
		emit_params(e, m, T_SIG, NULL, 2, done);
		break;
	case SEC_TIMES:
		emit_params(e, m, T_TIME, NULL, 2, done);
		break;
	default:
		break;
	}
	fputs("}\n", e->out);
	for (i = 0; i + 1 < m->n; i += 2)
		if (!done[i / 2])
			emit_over(e, key, name->value, m->items[i]->value, m->items[i + 1]);
	free(done);
}

/* Keyrings name files, which pagent cannot: the statement names the ring,
 * the overlay holds the files as a keyring map entry. */
static void
emit_keyring(struct pemit *e, const struct ynode *name, const struct ynode *m)
{
	emit_over(e, "keyrings", name->value, NULL, m);
	if (emit_name_ok(name->value))
		fprintf(e->out, "TTLSKeyringParms %s\n{\n  %-28s %s\n}\n", name->value, "Keyring",
			name->value);
}

/* The items of a set value (a scalar is one item). */
static size_t
emit_items(const struct ynode *v, const struct ynode *const **items)
{
	static const struct ynode *one[1];

	if (v->type == YNODE_SEQ) {
		*items = (const struct ynode *const *)v->items;
		return v->n;
	}
	one[0] = v;
	*items = one;
	return v->type == YNODE_SCALAR ? 1 : 0;
}

/* The import writes only the sets rules name in statements; the others (a
 * filter's, or those only overlay values name) go to the overlay as well. */
static void
emit_unused_sets(struct pemit *e)
{
	size_t i;

	for (i = 0; e->addrs && i + 1 < e->addrs->n; i += 2)
		if (!e->addr_used[i / 2] && e->addr_kind[i / 2] != SET_NONE)
			emit_over(e, "addresses", e->addrs->items[i]->value, NULL,
				  e->addrs->items[i + 1]);
	for (i = 0; e->ports && i + 1 < e->ports->n; i += 2)
		if (!e->port_used[i / 2] && e->port_kind[i / 2] != SET_NONE)
			emit_over(e, "ports", e->ports->items[i]->value, NULL,
				  e->ports->items[i + 1]);
}

/* Address sets: literal ones as IpAddrSet, ones naming IpAddrSets as
 * IpAddrGroup; the rest into the overlay. */
static void
emit_addr_sets(struct pemit *e)
{
	const struct ynode *sets = e->addrs, *const *it;
	size_t i, j, n;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; sets && i + 1 < sets->n; i += 2) {
			const char *name = sets->items[i]->value;
			bool lit = true, refs = true;

			n = emit_items(sets->items[i + 1], &it);
			for (j = 0; j < n; j++) {
				bool a = emit_word(it[j]) && emit_is_addr(it[j]->value);

				lit &= a;
				refs &= a || (emit_word(it[j]) &&
					      emit_set_kind(sets, e->addr_kind, it[j]->value) ==
						      SET_IPSET);
			}
			if (!n || !emit_name_ok(name) || (pass == 0 && !lit) ||
			    (pass == 1 && (lit || !refs))) {
				if (pass == 1 && !lit && !refs)
					emit_over(e, "addresses", name, NULL, sets->items[i + 1]);
				continue;
			}
			e->addr_kind[i / 2] = lit ? SET_IPSET : SET_IPGROUP;
			fprintf(e->out, "%s %s\n{\n", lit ? "IpAddrSet" : "IpAddrGroup", name);
			for (j = 0; j < n; j++) {
				const char *a = it[j]->value;

				if (!emit_is_addr(a))
					emit_line(e, 2, "IpAddrSetRef", a);
				else if (!lit)
					fprintf(e->out, "  IpAddr { Addr %s }\n", a);
				else
					emit_line(e, 2, strchr(a, '/') ? "Prefix" : strchr(a, '-') ? "Range" : "Addr", a);
			}
			fputs("}\n", e->out);
		}
}

/* Port sets: one literal range as PortRange, several (or names of PortRanges)
 * as PortGroup; the rest into the overlay. */
static void
emit_port_sets(struct pemit *e)
{
	const struct ynode *sets = e->ports, *const *it;
	char val[64], *dash;
	size_t i, j, n;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; sets && i + 1 < sets->n; i += 2) {
			const char *name = sets->items[i]->value;
			bool lit = true, refs = true;

			n = emit_items(sets->items[i + 1], &it);
			for (j = 0; j < n; j++) {
				bool p = emit_word(it[j]) && emit_is_port(it[j]->value);

				lit &= p;
				refs &= p || (emit_word(it[j]) &&
					      emit_set_kind(sets, e->port_kind, it[j]->value) ==
						      SET_PORT);
			}
			if (!n || !emit_name_ok(name) || (pass == 0 && !(lit && n == 1)) ||
			    (pass == 1 && ((lit && n == 1) || !refs))) {
				if (pass == 1 && !(lit && n == 1) && !refs)
					emit_over(e, "ports", name, NULL, sets->items[i + 1]);
				continue;
			}
			e->port_kind[i / 2] = lit && n == 1 ? SET_PORT : SET_PORTGRP;
			fprintf(e->out, "%s %s\n{\n", e->port_kind[i / 2] == SET_PORT ? "PortRange"
										   : "PortGroup",
				name);
			for (j = 0; j < n; j++) {
				snprintf(val, sizeof(val), "%s",
					 strcasecmp(it[j]->value, "All") == 0 ? "0" : it[j]->value);
				if (emit_is_port(val) && (dash = strpbrk(val, "-:")) != NULL)
					*dash = ' ';
				if (!emit_is_port(it[j]->value))
					emit_line(e, 2, "PortRangeRef", val);
				else if (e->port_kind[i / 2] == SET_PORTGRP)
					fprintf(e->out, "  PortRange { Port %s }\n", val);
				else
					emit_line(e, 2, "Port", val);
			}
			fputs("}\n", e->out);
		}
}

static const char *const emit_stmts[SEC_N] = {
	[SEC_KEYRINGS] = "TTLSKeyringParms", [SEC_GROUPS] = "TTLSGroupAction",
	[SEC_ENVS] = "TTLSEnvironmentAction", [SEC_CONNS] = "TTLSConnectionAction",
	[SEC_CIPHERS] = "TTLSCipherParms", [SEC_SIGS] = "TTLSSignatureParms",
	[SEC_TIMES] = "IpTimeCondition", [SEC_RULES] = "TTLSRule",
};

static void
emit_policy(struct pemit *e, const struct ynode *root)
{
	size_t i, j;
	int s;

	e->addrs = ytree_get(root, "addresses");
	e->ports = ytree_get(root, "ports");
	if (e->addrs && e->addrs->type != YNODE_MAP)
		e->addrs = NULL;
	if (e->ports && e->ports->type != YNODE_MAP)
		e->ports = NULL;
	e->addr_kind = calloc(e->addrs ? e->addrs->n / 2 + 1 : 1, sizeof(int));
	e->port_kind = calloc(e->ports ? e->ports->n / 2 + 1 : 1, sizeof(int));
	e->addr_used = calloc(e->addrs ? e->addrs->n / 2 + 1 : 1, sizeof(bool));
	e->port_used = calloc(e->ports ? e->ports->n / 2 + 1 : 1, sizeof(bool));
	if (!e->addr_kind || !e->port_kind || !e->addr_used || !e->port_used) {
		(void)emit_ok(e, ATTLS_ENOMEM);
		return;
	}
	emit_addr_sets(e);
	emit_port_sets(e);
	for (i = 0; i + 1 < root->n; i += 2) {
		const char *k = root->items[i]->value;
		const struct ynode *v = root->items[i + 1];

		for (s = 0; s < SEC_N && strcmp(pagent_sec_key(s), k) != 0; s++)
			;
		if (strcmp(k, "version") == 0 || s == SEC_ADDRS || s == SEC_PORTS)
			continue;
		if (s == SEC_N || v->type != YNODE_MAP) {
			emit_over(e, k, NULL, NULL, v);
			continue;
		}
		for (j = 0; j + 1 < v->n; j += 2) {
			if (s == SEC_KEYRINGS)
				emit_keyring(e, v->items[j], v->items[j + 1]);
			else
				emit_entry(e, s, emit_stmts[s], v->items[j], v->items[j + 1]);
		}
	}
	emit_unused_sets(e);
}

/* The overlay, each line of its YAML behind the prefix. */
static void
emit_overlay(struct pemit *e)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;

	if (!e->ov->n)
		return;
	if (!(m = open_memstream(&buf, &len))) {
		(void)emit_ok(e, ATTLS_ENOMEM);
		return;
	}
	yemit_tree(e->ov, m);
	if (fclose(m) != 0 || !buf) {
		free(buf);
		(void)emit_ok(e, ATTLS_ENOMEM);
		return;
	}
	fputs("\n# What Policy Agent statements cannot say, for attlsd (z/OS ignores comments):\n",
	      e->out);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(e->out, "# attls-yaml: %s\n", line);
	free(buf);
}

static int
emit_read(const char *path, char **text, size_t *len, struct diag_list *dl)
{
	struct diag_pos pos = { diag_add_source(dl, path, NULL, 0), 0, 0 };
	FILE *f = fopen(path, "r");

	*text = NULL;
	if (!f) {
		diag_error(dl, pos, "cannot open: %s", strerror(errno));
		return ATTLS_EIO;
	}
	if (!(*text = malloc(EMIT_MAX_FILE + 1))) {
		fclose(f);
		return ATTLS_ENOMEM;
	}
	*len = fread(*text, 1, EMIT_MAX_FILE, f);
	(*text)[*len] = '\0';
	fclose(f);
	return 0;
}

int
pagent_export(const char *path, FILE *out, struct diag_list *dl)
{
	struct diag_pos p0 = { 0 };
	struct pemit e = { .out = out };

	struct ynode *root = NULL;
	const char *file;
	char *text;
	size_t len = 0;
	int r;

	if ((r = emit_read(path, &text, &len, dl)) != 0)
		return r;
	file = diag_add_source(dl, path, text, len);
	r = ytree_parse(file, text, len, &root, dl);
	free(text);
	if (r != 0)
		goto out;
	if (root->type != YNODE_MAP) {
		diag_error(dl, root->pos, "a policy is a YAML mapping");
		r = ATTLS_EPOLICY;
		goto out;
	}
	if (!(e.ov = ytree_new(YNODE_MAP, p0))) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	fprintf(out, "# Policy Agent TTLS policy exported by attlsctl from %s\n", path);
	e.root = root;
	emit_policy(&e, root);
	emit_overlay(&e);
	r = e.r;
out:
	ytree_free(e.ov);
	free(e.addr_kind);
	free(e.port_kind);
	free(e.addr_used);
	free(e.port_used);
	ytree_free(root);
	return r;
}

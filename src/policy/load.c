/* SPDX-License-Identifier: Apache-2.0 */
/* policy_load()/policy_parse(): walks the YAML tree with the schema tables, fills
 * struct policy, and records every problem in the diagnostic list. */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/hash.h"
#include "pagent.h"
#include "policy_int.h"

#define POLICY_MAX_BYTES (64u << 20)

/* Where a named section's entries live inside struct policy. */
struct sect_store {
	void **arr;
	size_t *n;
	size_t size;
	size_t name_off, pos_off, set_off;
	size_t lines_off; /* its key_line table (policy_key_line()), or -1 */
};

static int
sect_store_for(struct policy *p, const char *key, struct sect_store *st)
{
#define STORE(f, cnt, T, setf) \
	*st = (struct sect_store){ (void **)&p->f, &p->cnt, sizeof(T), offsetof(T, name), \
				   offsetof(T, pos), setf, (size_t)-1 }
	if (strcmp(key, "keyrings") == 0) {
		STORE(keyrings, nkeyrings, struct policy_keyring, offsetof(struct policy_keyring, set));
		st->lines_off = offsetof(struct policy_keyring, key_line);
	}
	else if (strcmp(key, "groups") == 0)
		STORE(groups, ngroups, struct policy_group, offsetof(struct policy_group, set));
	else if (strcmp(key, "environments") == 0)
		STORE(envs, nenvs, struct policy_env, (size_t)-1);
	else if (strcmp(key, "connections") == 0)
		STORE(conns, nconns, struct policy_conn_action, (size_t)-1);
	else if (strcmp(key, "rules") == 0)
		STORE(rules, nrules, struct policy_rule, offsetof(struct policy_rule, set));
	else if (strcmp(key, "ciphers") == 0) {
		STORE(ciphers, nciphers, struct policy_cipher_parms,
		      offsetof(struct policy_cipher_parms, set));
		st->lines_off = offsetof(struct policy_cipher_parms, key_line);
	}
	else if (strcmp(key, "addresses") == 0)
		STORE(addr_sets, naddr_sets, struct policy_addr_set,
		      offsetof(struct policy_addr_set, set));
	else if (strcmp(key, "ports") == 0)
		STORE(port_sets, nport_sets, struct policy_port_set,
		      offsetof(struct policy_port_set, set));
	else if (strcmp(key, "filters") == 0)
		STORE(filters, nfilters, struct policy_filter, offsetof(struct policy_filter, set));
	else if (strcmp(key, "time_conditions") == 0)
		STORE(times, ntimes, struct policy_time_cond, offsetof(struct policy_time_cond, set));
	else if (strcmp(key, "signatures") == 0) {
		STORE(sigs, nsigs, struct policy_sig_parms, offsetof(struct policy_sig_parms, set));
		st->lines_off = offsetof(struct policy_sig_parms, key_line);
	}
	else if (strcmp(key, "identity_maps") == 0)
		STORE(idmaps, nidmaps, struct policy_identity_map,
		      offsetof(struct policy_identity_map, set));
	else
		return ATTLS_ENOENT;
#undef STORE
	return 0;
}

static const char *
entry_name(const struct sect_store *st, size_t i)
{
	return *(char **)((char *)*st->arr + i * st->size + st->name_off);
}

/* Singular noun for messages: "rule", "environment", ... */
const char *
policy_section_noun(const char *key)
{
	if (strcmp(key, "keyrings") == 0)
		return "keyring";
	if (strcmp(key, "groups") == 0)
		return "group";
	if (strcmp(key, "environments") == 0)
		return "environment";
	if (strcmp(key, "connections") == 0)
		return "connection";
	if (strcmp(key, "rules") == 0)
		return "rule";
	if (strcmp(key, "ciphers") == 0)
		return "cipher set";
	if (strcmp(key, "signatures") == 0)
		return "signature set";
	if (strcmp(key, "time_conditions") == 0)
		return "time condition";
	if (strcmp(key, "filters") == 0)
		return "filter";
	if (strcmp(key, "addresses") == 0)
		return "address set";
	if (strcmp(key, "ports") == 0)
		return "port set";
	if (strcmp(key, "identity_maps") == 0)
		return "identity map";
	return key;
}

static void
unknown_key(struct diag_list *dl, const struct schema_section *sec, const struct ynode *k,
	    const char *where)
{
	const char *cands[96];
	size_t n = 0, i;
	const char *s;

	for (i = 0; i < sec->nrows && n < 94; i++)
		cands[n++] = sec->rows[i].key;
	if (sec->parms_off >= 0)
		for (i = 0; i < schema_ntls_parms && n < 94; i++)
			cands[n++] = schema_tls_parms[i].key;
	cands[n] = NULL;
	s = diag_suggest(k->value, cands);
	if (s)
		diag_error(dl, k->pos, "unknown key \"%s\" in %s; did you mean \"%s\"?", k->value,
			   where, s);
	else
		diag_error(dl, k->pos, "unknown key \"%s\" in %s", k->value, where);
}

/* Notes that row i of a table of n rows was written at 'line'. Without
 * memory the cause lines only lose that line: the load goes on. */
static void
note_line(unsigned **key_line, size_t n, size_t i, unsigned line)
{
	if (!key_line || (!*key_line && !(*key_line = calloc(n, sizeof(**key_line)))))
		return;
	(*key_line)[i] = line;
}

/* Fills one entry (or the settings block) from map 'm'; returns the number of
 * errors found in it. 'key_line' (NULL: none) gets where its rows were written. */
static unsigned
load_entry(const struct schema_ctx *ctx, const struct schema_section *sec, void *entry,
	   uint64_t *set, unsigned **key_line, const struct ynode *m, struct diag_pos name_pos,
	   const char *where)
{
	struct policy_tls_parms *parms = NULL;
	uint64_t seen = 0, pseen = 0;
	unsigned errors = ctx->dl->errors;
	char what[256];
	size_t i;

	if (sec->parms_off >= 0)
		parms = (struct policy_tls_parms *)((char *)entry + sec->parms_off);
	for (i = 0; i < sec->nrows; i++)
		(void)schema_set_default(&sec->rows[i], entry);
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->items[i], *v = m->items[i + 1];
		const struct schema_row *row;
		void *base = entry;
		uint64_t bit, *seenp = &seen;

		if (k->type != YNODE_SCALAR) {
			diag_error(ctx->dl, k->pos, "keys in %s must be plain words", where);
			continue;
		}
		row = schema_row_find(sec->rows, sec->nrows, k->value);
		if (row) {
			bit = 1ull << (row - sec->rows);
		} else if (parms && (row = schema_row_find(schema_tls_parms, schema_ntls_parms,
							       k->value))) {
			bit = 1ull << (row - schema_tls_parms);
			base = parms;
			seenp = &pseen;
		} else {
			unknown_key(ctx->dl, sec, k, where);
			continue;
		}
		if (*seenp & bit) {
			diag_error(ctx->dl, k->pos, "\"%s\" is given twice in %s", k->value, where);
			continue;
		}
		*seenp |= bit;
		if (base == parms)
			note_line(&parms->key_line, schema_ntls_parms,
				  (size_t)(row - schema_tls_parms), k->pos.line);
		else
			note_line(key_line, sec->nrows, (size_t)(row - sec->rows), k->pos.line);
		snprintf(what, sizeof(what), "%s \"%s\"", where, row->key);
		(void)schema_set(ctx, row, base, v, what);
		if (row->pos_off)
			*(struct diag_pos *)((char *)base + row->pos_off) = v->pos;
	}
	for (i = 0; i < sec->nrows; i++)
		if ((sec->rows[i].flags & SF_REQUIRED) && !(seen & (1ull << i)))
			diag_error(ctx->dl, name_pos, "%s has no \"%s\" (%s)", where, sec->rows[i].key,
				   sec->rows[i].help);
	if (set)
		*set = seen;
	if (parms)
		parms->set = pseen;
	return ctx->dl->errors - errors;
}

/* Open-addressing set of entry indexes by name, so duplicate names are found in
 * linear time (a 10,000-rule policy made a pairwise scan the slowest part). */
struct name_set {
	size_t *slot; /* entry index + 1; 0 = empty */
	size_t cap;
};

/* The slot for 'name': either the entry already named so, or the empty slot
 * where it belongs. */
static size_t *
name_set_slot(struct name_set *ns, const struct sect_store *st, const char *name)
{
	size_t i = (size_t)hash_bytes(name, strlen(name)) & (ns->cap - 1);

	while (ns->slot[i] && strcmp(entry_name(st, ns->slot[i] - 1), name) != 0)
		i = (i + 1) & (ns->cap - 1);
	return &ns->slot[i];
}

static void
load_named(const struct schema_ctx *ctx, struct policy *p, const struct schema_section *sec,
	   const struct ynode *m)
{
	struct name_set ns = { NULL, 16 };
	struct sect_store st;
	char where[160];
	size_t i, j, *slot;

	if (sect_store_for(p, sec->key, &st) != 0)
		return;
	if (m->n == 0)
		return;
	while (ns.cap < m->n)
		ns.cap *= 2; /* at most half full: m->n / 2 entries */
	*st.arr = calloc(m->n / 2, st.size);
	ns.slot = calloc(ns.cap, sizeof(*ns.slot));
	if (!*st.arr || !ns.slot) {
		free(ns.slot);
		diag_error(ctx->dl, m->pos, "out of memory");
		return;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->items[i], *v = m->items[i + 1];
		char *entry;

		if (k->type != YNODE_SCALAR || !*k->value) {
			diag_error(ctx->dl, k->pos, "%s names must be plain words", sec->key);
			continue;
		}
		if (strlen(k->value) > POLICY_NAME_MAX) {
			diag_error(ctx->dl, k->pos, "%s name \"%s\" is longer than %d characters",
				   policy_section_noun(sec->key), k->value, POLICY_NAME_MAX);
			continue;
		}
		slot = name_set_slot(&ns, &st, k->value);
		if (*slot) {
			j = *slot - 1;
			const struct diag_pos *first =
				(const struct diag_pos *)((char *)*st.arr + j * st.size + st.pos_off);
			diag_error(ctx->dl, k->pos, "duplicate %s name \"%s\" (first defined at line %u)",
				   policy_section_noun(sec->key), k->value, first->line);
			continue;
		}
		snprintf(where, sizeof(where), "%s \"%s\"", policy_section_noun(sec->key), k->value);
		/* A value-only section ("addresses: { lan: [10.0.0.0/8] }"): the entry is
		 * its one row's value. */
		if (sec->nrows == 1 && (sec->rows[0].flags & SF_VALUE)) {
			entry = (char *)*st.arr + *st.n * st.size;
			*(char **)(entry + st.name_off) = strdup(k->value);
			*(struct diag_pos *)(entry + st.pos_off) = k->pos;
			*slot = ++(*st.n);
			(void)schema_set(ctx, &sec->rows[0], entry, v, where);
			continue;
		}
		if (v->type != YNODE_MAP) {
			diag_error(ctx->dl, v->pos, "%s must be a mapping of keys, not %s", where,
				   ytree_type_name(v));
			continue;
		}
		entry = (char *)*st.arr + *st.n * st.size;
		if (strcmp(sec->key, "time_conditions") == 0)
			timecond_init(&((struct policy_time_cond *)(void *)entry)->tc);
		*(char **)(entry + st.name_off) = strdup(k->value);
		*(struct diag_pos *)(entry + st.pos_off) = k->pos;
		if (!*(char **)(entry + st.name_off)) {
			diag_error(ctx->dl, k->pos, "out of memory");
			continue;
		}
		*slot = ++(*st.n);
		if (load_entry(ctx, sec, entry,
			       st.set_off == (size_t)-1 ? NULL : (uint64_t *)(entry + st.set_off),
			       st.lines_off == (size_t)-1 ? NULL : (unsigned **)(void *)(entry + st.lines_off),
			       v, k->pos, where) &&
		    strcmp(sec->key, "rules") == 0)
			((struct policy_rule *)(void *)entry)->broken = true;
	}
	free(ns.slot);
}

static void
load_root(const struct schema_ctx *ctx, struct policy *p, const struct ynode *root)
{
	const char *cands[16];
	uint64_t seen = 0;
	size_t i;

	for (i = 0; i < schema_nsections; i++)
		cands[i] = schema_sections[i].key;
	cands[i] = NULL;
	for (i = 0; i < schema_nsections; i++)
		if (!schema_sections[i].named)
			load_entry(ctx, &schema_sections[i], &p->settings, &p->settings.set, NULL,
				   &(struct ynode){ .type = YNODE_MAP, .pos = root->pos }, root->pos,
				   "settings");
	for (i = 0; i + 1 < root->n; i += 2) {
		const struct ynode *k = root->items[i], *v = root->items[i + 1];
		const struct schema_section *sec;
		const char *s;
		uint64_t bit;

		if (k->type != YNODE_SCALAR) {
			diag_error(ctx->dl, k->pos, "top-level keys must be plain words");
			continue;
		}
		if (strcmp(k->value, "version") == 0) {
			if (v->type != YNODE_SCALAR || strcmp(v->value, "1") != 0)
				diag_error(ctx->dl, v->pos, "\"version\" must be 1");
			continue;
		}
		if (!(sec = schema_section_find(k->value))) {
			if ((s = diag_suggest(k->value, cands)) != NULL)
				diag_error(ctx->dl, k->pos,
					   "unknown section \"%s\"; did you mean \"%s\"?", k->value, s);
			else
				diag_error(ctx->dl, k->pos, "unknown section \"%s\"", k->value);
			continue;
		}
		bit = 1ull << (sec - schema_sections);
		if (seen & bit) {
			diag_error(ctx->dl, k->pos, "section \"%s\" is given twice", k->value);
			continue;
		}
		seen |= bit;
		if (v->type == YNODE_SCALAR && v->value[0] == '\0' && !v->quoted)
			continue; /* "rules:" with nothing under it */
		if (v->type != YNODE_MAP) {
			diag_error(ctx->dl, v->pos, "section \"%s\" must be a mapping, not %s",
				   k->value, ytree_type_name(v));
			continue;
		}
		if (sec->named)
			load_named(ctx, p, sec, v);
		else
			load_entry(ctx, sec, &p->settings, &p->settings.set, NULL, v, k->pos,
				   "settings");
	}
}

int
policy_parse(const char *name, const char *text, size_t len, const char *basedir,
	     struct policy **out, struct diag_list *dl)
{
	struct schema_ctx ctx = { basedir, dl };
	struct ynode *root = NULL;
	struct policy *p = NULL;
	const char *file;
	int r;

	*out = NULL;
	file = diag_add_source(dl, name, text, len);
	/* z/OS Policy Agent files (TTLSRule ... { }) build the same tree. */
	if (pagent_is_pagent(name, text, len))
		r = pagent_parse(file, text, len, NULL, &root, dl);
	else
		r = ytree_parse(file, text, len, &root, dl);
	if (r != 0)
		goto out;
	if (root->type != YNODE_MAP) {
		diag_error(dl, root->pos, "a policy is a mapping of sections (settings, keyrings, "
					  "groups, environments, rules), not %s",
			   ytree_type_name(root));
		r = ATTLS_EPOLICY;
		goto out;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->path = strdup(name))) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	atomic_init(&p->refs, 1);
	load_root(&ctx, p, root);
	/* Cross-checks run even after errors above, so every error shows at once;
	 * entries that failed to load were skipped, not half-filled. */
	policy_resolve(p, dl);
	if (diag_has_errors(dl)) {
		r = ATTLS_EPOLICY;
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	policy_free(p);
	ytree_free(root);
	return r;
}

int
policy_load(const char *path, struct policy **out, struct diag_list *dl)
{
	struct diag_pos pos = { NULL, 0, 0 };
	char *text = NULL, *dircopy = NULL;
	struct stat stb;
	FILE *f = NULL;
	size_t len = 0;
	int r = ATTLS_EIO;

	*out = NULL;
	pos.file = diag_add_source(dl, path, NULL, 0);
	if (!(f = fopen(path, "r"))) {
		diag_error(dl, pos, "cannot open the policy: %s", strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &stb) != 0 || !S_ISREG(stb.st_mode)) {
		diag_error(dl, pos, "the policy is not a regular file");
		goto out;
	}
	if ((size_t)stb.st_size > POLICY_MAX_BYTES) {
		diag_error(dl, pos, "the policy is larger than %u MiB", POLICY_MAX_BYTES >> 20);
		goto out;
	}
	if (!(text = malloc((size_t)stb.st_size + 1))) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	len = fread(text, 1, (size_t)stb.st_size, f);
	if (ferror(f)) {
		diag_error(dl, pos, "cannot read the policy: %s", strerror(errno));
		goto out;
	}
	text[len] = '\0';
	if (!(dircopy = strdup(path))) {
		r = ATTLS_ENOMEM;
		goto out;
	}
	r = policy_parse(path, text, len, dirname(dircopy), out, dl);
out:
	if (f)
		fclose(f);
	free(text);
	free(dircopy);
	return r;
}

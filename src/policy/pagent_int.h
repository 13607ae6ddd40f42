/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the pagent importer (pagent*.c): the keyword table's types, the
 * tokens, the statement tree, and the state of loading and of converting. */
#ifndef ATTLS_PAGENT_INT_H
#define ATTLS_PAGENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "diag.h"
#include "pagent.h"
#include "ytree.h"

#define PAGENT_MAX_DEPTH 8
#define PAGENT_NAME_MAX 32

/* ---- keyword tables (pagent.c) ---- */

/* Statement types; a keyword's 'where' is a set of these. */
enum {
	T_RULE = 1u << 0, T_GROUP = 1u << 1, T_ENV = 1u << 2, T_CONN = 1u << 3,
	T_KEYRING = 1u << 4, T_CIPHER = 1u << 5, T_SIG = 1u << 6, T_ENVADV = 1u << 7,
	T_CONNADV = 1u << 8, T_GRPADV = 1u << 9, T_GSK = 1u << 10, T_TIME = 1u << 11,
	T_IPADDR = 1u << 12, T_IPSET = 1u << 13, T_IPGROUP = 1u << 14, T_PORT = 1u << 15,
	T_PORTGRP = 1u << 16, T_GSKADV = 1u << 17,
};

/* The sections of the policy tree, in the order they are written. */
enum { SEC_KEYRINGS, SEC_GROUPS, SEC_ENVS, SEC_CONNS, SEC_CIPHERS, SEC_SIGS, SEC_TIMES,
       SEC_ADDRS, SEC_PORTS, SEC_RULES, SEC_N };

struct pagent_stype {
	const char *kw;
	unsigned type;
	int sec;	    /* section it becomes, or -1: only used through references */
	const char *suffix; /* generated name of an anonymous inline one: owner~suffix */
};

enum pagent_act {
	A_KEY,	   /* first value -> key */
	A_LIST,	   /* every value, repeated lines concatenated -> list key */
	A_WARN,	   /* no attlsd equivalent yet: warning with 'note' */
	A_ZOS,	   /* z/OS only: warning with the Linux equivalent in 'note' */
	A_SUB,	   /* inline sub-statement of type 'ref' */
	A_REF,	   /* reference to a statement of type 'ref' */
	A_ADDR,	   /* address (ref 0) or address statement reference */
	A_PORT,	   /* port range (ref 0) or port statement reference */
	A_KEYRING, /* TTLSKeyringParms Keyring */
	A_SYSLOG,  /* TTLSGroupAdvancedParms SyslogFacility -> settings */
	A_EXPAND,  /* read while expanding an address or port reference */
	A_OWNER,   /* Jobname, Userid -> key, with a warning where Linux differs */
	A_SNILIST, /* ServerHandshakeSNIList label/servername ... -> map servername: label */
	A_SUITES,  /* V3CipherSuites[4Char]: a list without the suites OpenSSL lacks */
	A_CODES,   /* curve, group and signature lists: Any -> Default */
	A_SIDCACHE, /* GSK_SYSPLEX_SIDCACHE -> settings.session_cache */
	A_SETTING, /* a value of 'settings' (one for the whole policy) */
};

struct pagent_kw {
	const char *kw;
	unsigned where;
	unsigned char arity;
	unsigned char act;
	unsigned ref;
	const char *key;
	const char *note; /* A_WARN, A_ZOS: the warning; A_KEY of arity 2: the joiner */
};

const struct pagent_stype *pagent_stype_find(const char *kw);
const struct pagent_stype *pagent_stype_of(unsigned type);
/* The entry for 'kw' in a statement of type 'where', or with where 0 the
 * first entry of that name in any statement. */
const struct pagent_kw *pagent_kw_find(const char *kw, unsigned where);
/* The parameter of a 'where' statement that becomes YAML key 'key', or NULL. */
const struct pagent_kw *pagent_kw_by_key(const char *key, unsigned where);
/* TTLSConfig, CommonTTLSConfig, TcpImage: top-level lines naming other files. */
bool pagent_is_include(const char *kw);
/* A statement of another policy discipline (ignored with a warning). */
bool pagent_is_other(const char *kw);
bool pagent_is_keyword(const char *kw);
/* How many values a keyword takes; words after them on the line are ignored. */
unsigned pagent_arity(const char *kw);
/* The parameter of a 'where' statement, or the statement type, 'kw' is likely
 * a typo of; NULL if none is near. */
const char *pagent_kw_suggest(const char *kw, unsigned where);
const char *pagent_stype_suggest(const char *kw);
/* The policy tree key of section 'sec' ("keyrings"). */
const char *pagent_sec_key(int sec);

/* ---- tokens (pagent_lex.c) ---- */

struct ptok {
	const char *s;
	unsigned len, line, col;
};

struct plex {
	struct ptok *t;
	size_t n, cap;
};

int pagent_lex(const char *text, size_t len, struct plex *lx);

/* ---- statements and files (pagent_parse.c) ---- */

struct pnode {
	char *kw;
	struct diag_pos pos;
	char **v;
	struct diag_pos *vpos;
	size_t nv;
	struct pnode **kids;
	size_t nkids;
	bool block;
	bool emitted; /* converted already, or a duplicate definition */
};

void pnode_free(struct pnode *n);
int pnode_push(struct pnode *parent, struct pnode *kid);

struct pload {
	struct diag_list *dl;
	const struct pagent_opts *o;
	struct pnode *root; /* every top-level statement of every file, in order */
	struct ynode *overlay; /* the "# attls-yaml:" lines of every file */
	char **seen;	    /* files read, to stop include loops */
	size_t nseen;
	int r;
};

/* Lexes and parses one file's text; its statements go to L->root, the files
 * it includes are read in their place. */
int pagent_parse_file(struct pload *L, const char *file, const char *text, size_t len,
		      unsigned depth);
/* Reads one file; 'where' is the include line (or file:0:0 for a top file). */
int pagent_parse_path(struct pload *L, const char *path, struct diag_pos where, unsigned depth);

/* ---- conversion (pagent_conv.c, pagent_addrs.c, pagent_params.c) ---- */

/* A keyring whose files are placeholders in ${ATTLS_KEYRING_VAR}: which files
 * it needs is known only once every rule is converted (pagent_fixup.c). */
struct pring {
	struct ynode *m; /* its entry in "keyrings" */
	char var[96];	 /* ATTLS_KEYRING_<var> */
	const char *ring, *kind;
	struct diag_pos pos;
	bool ca_only; /* a virtual ring of CA certificates ("*AUTH*" rings): never a key */
};

struct pconv {
	struct diag_list *dl;
	const struct pagent_opts *o;
	struct pnode *root;
	struct pnode **glob; /* named statements, for references */
	size_t nglob;
	struct ynode *sec[SEC_N];
	struct ynode *settings;
	struct ynode *idmaps; /* identity_maps: the SAFCheck placeholder */
	const struct ynode *overlay; /* pload's */
	struct pring *rings; /* placeholder keyrings */
	size_t nrings;
	int r;
};

/* What a rule collects before its keys are written. */
#define PRULE_N 4
struct prule {
	struct ynode *seq[PRULE_N]; /* local_addr, remote_addr, local_port, remote_port */
	struct diag_pos pos[PRULE_N];
};

/* The converter records the first failure in c->r and goes on: ytree.c's
 * builders with that bookkeeping. */
static inline bool
conv_ok(struct pconv *c, int r)
{
	if (r && !c->r)
		c->r = r;
	return r == 0;
}

static inline struct ynode *
conv_new(struct pconv *c, enum ynode_type t, struct diag_pos pos)
{
	struct ynode *n = ytree_new(t, pos);

	if (!n)
		(void)conv_ok(c, ATTLS_ENOMEM);
	return n;
}

/* Converts the statements of L->root into the policy tree *out. */
int pagent_convert(struct pload *L, struct ynode **out);
/* The named statement of 'type' called 'name', or NULL. */
struct pnode *pagent_conv_find(const struct pconv *c, unsigned type, const char *name);
/* The keyword of statement type 'type', for messages. */
const char *pagent_conv_noun(unsigned type);

void pagent_addrs_rule_cond(struct pconv *c, struct prule *acc, const struct pnode *k,
			    const struct pagent_kw *kw);
void pagent_addrs_rule_finish(struct pconv *c, struct prule *acc, struct ynode *m);
void pagent_addrs_backend(struct pconv *c, struct ynode *m, const char *name, struct diag_pos npos);
/* The endpoint of 'rule' among --backend or --listen options 'v', or NULL. */
const char *pagent_addrs_opt(const struct pagent_backend *v, size_t n, const char *rule);

void pagent_params_keyring(struct pconv *c, const struct pnode *k, struct ynode *m);
void pagent_params_syslog(struct pconv *c, const struct pnode *k);
void pagent_params_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m);
void pagent_params_sni_list(struct pconv *c, const struct pnode *k, const char *key,
			    struct ynode *m);
void pagent_params_owner(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m);
void pagent_params_sidcache(struct pconv *c, const struct pnode *k);
void pagent_params_setting(struct pconv *c, const struct pnode *k, const char *key);

/* pagent_suites.c: cipher suites OpenSSL does not implement are dropped with a
 * warning each; Any in a curve or group list is the default list. */
void pagent_suites_list(struct pconv *c, const struct pnode *k, const char *key, struct ynode *m);
void pagent_suites_codes(struct pconv *c, const struct pnode *k, const char *key,
			 struct ynode *m);

/* pagent_overlay.c: "# attls-yaml:" comment lines, what pagent cannot say. */
int pagent_overlay_read(struct pload *L, const char *file, const char *text, size_t len);
const struct ynode *pagent_overlay_get(const struct pconv *c, const char *section,
				       const char *name);
void pagent_overlay_apply(struct pconv *c, struct ynode **extra);

/* pagent_fixup.c: what needs every statement converted first: rules without
 * Priority, Outbound rules, the files of placeholder keyrings. */
void pagent_fixup(struct pconv *c);
/* The value of 'key' in map 'm' if it is a scalar, else NULL. */
const char *pagent_fixup_str(const struct ynode *m, const char *key);

#endif

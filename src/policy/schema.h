/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the policy module: one table row per policy key (type, bounds,
 * default, AT-TLS name, help). The loader, the validator, the dump and the
 * documentation generator all read these rows, so they cannot drift apart. */
#ifndef ATTLS_SCHEMA_H
#define ATTLS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "ytree.h"

enum schema_type {
	ST_STRING,   /* char * */
	ST_PATH,     /* char *, ${VAR} expanded, relative to the policy file */
	ST_BOOL,     /* bool; On/Off, true/false, yes/no (any case) */
	ST_UINT,     /* unsigned, [min, max] */
	ST_ENUM,     /* int, from 'enums' (any case) */
	ST_REF,      /* char *, name of an entry of another section */
	ST_ADDRS,    /* struct policy_addrs */
	ST_PORTS,    /* struct policy_ports */
	ST_ENDPOINT, /* struct policy_endpoint, host:port */
	ST_CIPHERS2, /* struct policy_codes: IANA names or 2-hex-digit codes ("352F0A") */
	ST_CIPHERS4, /* struct policy_codes: IANA names or 4-hex-digit codes ("C02F") */
	ST_SIGALGS,  /* struct policy_codes: IANA names or 4-hex-digit SignatureScheme */
	ST_GROUPS,   /* struct policy_codes: names or 4-decimal-digit NamedGroup ("0023") */
	ST_TIME,     /* one field of struct timecond, parsed by timecond_parse_field() */
	ST_CERTS,    /* struct policy_certs: label -> {certificate, key} */
	ST_LABELS,   /* struct policy_labels: one label or a list of up to 8 */
	ST_IDFILTERS, /* struct policy_id_filters: [{subject, issuer, user}] */
	ST_IDCERTS,  /* struct policy_id_certs: [{sha256, user}] */
	ST_SNIMAP,   /* struct policy_sni_map: server name -> certificate label */
};

struct schema_enum {
	const char *name;
	int value;
};

enum {
	SF_REQUIRED = 1u << 0,
	SF_PARMS = 1u << 1, /* offset is into struct policy_tls_parms */
	SF_VALUE = 1u << 2, /* the entry is this one value, not a mapping of keys */
};

struct schema_row {
	const char *key;   /* YAML key */
	const char *attls; /* AT-TLS statement parameter it mirrors */
	enum schema_type type;
	size_t offset;
	unsigned min, max;
	const struct schema_enum *enums;
	const char *def; /* default, as the user would write it; NULL = none */
	unsigned flags;
	const char *ref_section; /* ST_REF: section the name must exist in */
	size_t pos_off;          /* where to record the value's position; 0 = nowhere */
	const char *help;
};

struct schema_section {
	const char *key;   /* top-level YAML key */
	const char *attls; /* AT-TLS statement */
	int named;         /* 1: a map of name -> entry; 0: one map */
	const struct schema_row *rows;
	size_t nrows;
	long parms_off; /* offset of struct policy_tls_parms in an entry, or -1 */
	const char *help;
};

extern const struct schema_section schema_sections[];
extern const size_t schema_nsections;
extern const struct schema_row schema_tls_parms[];
extern const size_t schema_ntls_parms;

const struct schema_section *schema_section_find(const char *key);
const struct schema_row *schema_row_find(const struct schema_row *rows, size_t n, const char *key);

/* Context for setters that need the policy file's location. */
struct schema_ctx {
	const char *basedir;
	struct diag_list *dl;
};

/* Where a setter's complaints go. Every bad item of a list is reported at its own
 * position, as "WHAT PHRASE" ('rule "r" "local_port" has "70000", ...'), and the
 * setter goes on with the next item, so one look shows every mistake. */
struct schema_out {
	struct diag_list *dl; /* NULL: only counted (defaults) */
	const char *what;
	unsigned errors;
};
void schema_complain(struct schema_out *o, struct diag_pos pos, const char *phrase);

/* Parses 'node' into the field at base+row->offset; each problem goes to ctx->dl
 * (when ctx is not NULL) as "WHAT ..." at the position of the offending item.
 * Returns the number of problems found. */
unsigned schema_set(const struct schema_ctx *ctx, const struct schema_row *row, void *base,
		    const struct ynode *node, const char *what);
/* The setters of schema_set() for values of many items (schema_list.c), and
 * what frees them. */
void schema_list_addrs(const struct ynode *node, struct policy_addrs *as, struct schema_out *out);
void schema_list_codes(const struct schema_row *row, const struct ynode *node,
		       struct policy_codes *c, struct schema_out *out);
void schema_list_certs(const struct schema_ctx *ctx, const struct ynode *node,
		       struct policy_certs *cs, struct schema_out *out);
void schema_list_labels(const struct ynode *node, struct policy_labels *l, struct schema_out *out);
void schema_list_sni(const struct ynode *node, struct policy_sni_map *m, struct schema_out *out);
void schema_list_free_addrs(struct policy_addrs *as);
void schema_list_free_certs(struct policy_certs *cs);
void schema_list_free_labels(struct policy_labels *l);
void schema_list_free_sni(struct policy_sni_map *m);
/* True if 'v' has the form of an address or port set name (a letter, then
 * letters, digits, '-', '_', '.'; at most 32; not All). */
bool schema_list_is_set_name(const char *v);
/* The names of address or port sets a condition holds ('refs', where each
 * was written in 'ref_pos'): one more, or all freed. */
int schema_list_ref_add(char ***refs, struct diag_pos **ref_pos, size_t *nrefs, const char *name,
			struct diag_pos pos);
void schema_list_ref_free(char ***refs, struct diag_pos **ref_pos, size_t *nrefs);
/* ST_PATH (schema_path.c): 'v' with ${VAR} expanded, relative to ctx->basedir,
 * into *field; NULL, or what is wrong with it. */
const char *schema_path_set(const struct schema_ctx *ctx, const char *v, char **field);
/* Applies the row's default to the field (no-op when it has none). */
int schema_set_default(const struct schema_row *row, void *base);
/* Formats the field's value as a user would write it. */
void schema_format(const struct schema_row *row, const void *base, char *buf, size_t len);
/* Formats a code list as AT-TLS writes it ("C02F 1301", "0023 0029"). */
void schema_format_codes(enum schema_type t, const struct policy_codes *c, char *buf, size_t len);
/* Formats a server name map as "name=label name=label". */
void schema_format_sni(const struct policy_sni_map *m, char *buf, size_t len);
/* Frees what a field owns. */
void schema_free_field(const struct schema_row *row, void *base);
/* Case-insensitive enum lookup; ATTLS_ENOENT when absent. */
int schema_enum_lookup(const struct schema_enum *e, const char *s);
const char *schema_enum_name(const struct schema_enum *e, int v);
const char *schema_type_name(const struct schema_row *row);

#endif

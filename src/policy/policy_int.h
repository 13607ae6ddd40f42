/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the policy module: what load.c, validate.c, dump.c share. */
#ifndef ATTLS_POLICY_INT_H
#define ATTLS_POLICY_INT_H

#include "policy.h"
#include "schema.h"

#define POLICY_NAME_MAX 32 /* AT-TLS statement names are 1 to 32 characters */

/* Resolves references, checks cross-entry rules, computes effective settings,
 * sorts rules into match order and derives listeners; errors go to 'dl'. */
void policy_resolve(struct policy *p, struct diag_list *dl);
void policy_free(struct policy *p);
const char *policy_section_noun(const char *key);

/* ports.c: port conditions and port sets. */
void ports_set(const struct ynode *node, struct policy_ports *pp, struct schema_out *out);
void ports_free(struct policy_ports *pp);
void ports_format(const struct policy_ports *pp, char *buf, size_t len);
bool ports_cover(const struct policy_ports *a, const struct policy_ports *b);
bool ports_overlap(const struct policy_ports *a, const struct policy_ports *b);
void ports_resolve(struct policy *p, struct diag_list *dl);
void ports_warn_unused(const struct policy *p, struct diag_list *dl);

/* "OWNER names KIND set NAME, which is not defined", with the nearest of
 * 'cands' (NULL-terminated; may be NULL); KIND is "address" or "port". */
void validate_undefined_set(struct diag_list *dl, struct diag_pos pos, const char *owner,
			    const char *kind, const char *name, const char *const *cands);

/* effective.c: a rule's effective parameters, resolved and checked (after its
 * references); the combined suite list of every cipher set. */
void effective_resolve(struct policy *p, struct policy_rule *r, const char *owner,
		       struct diag_list *dl);
void effective_ciphers(struct policy *p, struct diag_list *dl);

/* addrset.c: the address sets named in rules, filters and sets, expanded. */
void addrset_resolve(struct policy *p, struct diag_list *dl);

/* listen.c: the listeners of the rules (p->listeners, each rule's listener). */
void listen_derive(struct policy *p, struct diag_list *dl);

/* The entry of array 'arr' (n entries) named 'nm', or NULL, into 'out'. */
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

/* NULL-terminated array of the names in a section, for suggestions. */
#define NAMES(arr, n, out)                                                      \
	do {                                                                    \
		size_t j_;                                                      \
		(out) = calloc((n) + 1, sizeof(char *));                        \
		for (j_ = 0; (out) && j_ < (n); j_++)                           \
			(out)[j_] = (arr)[j_].name;                             \
	} while (0)

/* overlap.c: rules that meet on one listener with other roles or backends. */
void overlap_check(const struct policy *p, struct diag_list *dl);
/* Rules that can never match: an earlier rule matches every connection they would. */
void overlap_warn_shadowed(struct policy *p, struct diag_list *dl);
/* True if Jobname/Userid pattern 'a' (NULL: any) matches every name 'b' does. */
bool overlap_pat_cover(const char *a, const char *b);

#endif

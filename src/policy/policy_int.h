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

/* overlap.c: rules that meet on one listener with other roles or backends. */
void overlap_check(const struct policy *p, struct diag_list *dl);
/* True if Jobname/Userid pattern 'a' (NULL: any) matches every name 'b' does. */
bool overlap_pat_cover(const char *a, const char *b);

#endif

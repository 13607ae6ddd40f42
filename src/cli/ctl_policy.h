/* SPDX-License-Identifier: Apache-2.0 */
/* Private to attlsctl: offline commands on a policy file. */
#ifndef ATTLS_CTL_POLICY_H
#define ATTLS_CTL_POLICY_H

/* Loads a policy file for an offline command; prints every diagnostic and
 * returns NULL if it does not load. */
struct policy *ctl_policy_load(const char *path);
/* attlsctl filter export --nft POLICY (argv[0] is "export"). */
int ctl_policy_filter_export(int argc, char **argv);
/* attlsctl explain ... (argv[0] is "explain"). */
int ctl_policy_explain(int argc, char **argv);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Private to attlsctl: interception rules (nftables, policy routing) and the
 * query client. */
#ifndef ATTLS_CTL_INTERCEPT_H
#define ATTLS_CTL_INTERCEPT_H

/* attlsctl intercept plan|up|down POLICY (argv[0] is "intercept"). */
int ctl_intercept(int argc, char **argv);
/* attlsctl query ... (argv[0] is "query"). */
int ctl_query(int argc, char **argv);
/* attlsctl init ... (argv[0] is "init"). */
int ctl_query_init(int argc, char **argv);
/* attlsctl policy show / connections: REQ is "POLICY\n" or "CONNS\n". */
int ctl_query_show(int argc, char **argv, const char *req);

#endif

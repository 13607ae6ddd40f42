/* SPDX-License-Identifier: Apache-2.0 */
/* Private to attlsctl: attlsctl keyring check POLICY [--days N], keyring stash FILE. */
#ifndef ATTLS_CTL_KEYRING_H
#define ATTLS_CTL_KEYRING_H

/* argv[0] is "keyring". Exit status: 0 clean, 1 findings, 2 cannot load. */
int ctl_keyring(int argc, char **argv);

/* attlsctl keyring stash FILE (ctl_stash.c); argv[0] is "stash". */
int ctl_stash(int argc, char **argv);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Socket activation: the listening sockets systemd passed to attlsd. */
#ifndef ATTLS_ACTIVATION_H
#define ATTLS_ACTIVATION_H

#include "runtime/runtime.h"

/* Takes the sockets of $LISTEN_FDS (if any are for this process) and makes
 * them non-blocking, as the workers' accept loops need. */
int activation_load(void);
/* A passed socket bound to 'a': 1 and a new descriptor of it in *fd (one per
 * worker, all the same socket), 0 if none was passed for 'a'. */
int activation_take(const struct rt_addr *a, int *fd);
/* Warns about passed sockets that no listener of the policy uses. */
void activation_report(void);
/* Closes attlsd's own copies (the workers close theirs). */
void activation_close(void);

#endif

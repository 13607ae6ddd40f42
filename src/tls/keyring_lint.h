/* SPDX-License-Identifier: Apache-2.0 */
/* Keyring lint: offline checks of the certificates, keys and CA bundles a policy's
 * keyrings name, against the rules that use them. Each finding is one line
 * naming the keyring, the return code a handshake would meet, the evidence and
 * the fix. Used by `attlsctl keyring check` and, as warnings, by attlsd at
 * start-up and with -t. */
#ifndef ATTLS_KEYRING_LINT_H
#define ATTLS_KEYRING_LINT_H

#include <time.h>

#include "policy/policy.h"

#define KEYRING_LINT_DAYS 30 /* default warning horizon before notAfter */

struct keyring_lint_opts {
	unsigned days; /* report certificates that expire within this many days */
	time_t now;    /* 0: the current time */
};

/* Receives one finding ("...: RC NNN: ...") or note ("...: note: ..."),
 * without a newline. */
typedef void (*keyring_lint_cb)(const char *line, void *arg);

/* Checks every keyring of 'p' and calls 'cb' once per finding or note
 * (identical ones from several rules are reported once). Returns the number of
 * findings (notes not counted), or ATTLS_EIO when a file could not be read or parsed (that too is
 * reported through 'cb'), or ATTLS_ENOMEM. */
int keyring_lint(const struct policy *p, const struct keyring_lint_opts *o, keyring_lint_cb cb,
                 void *arg);

/* keyring_lint() with the default horizon, each finding logged as a warning:
 * what attlsd does at start-up, for -t, and on every reload. Findings never
 * stop a policy from loading; what really fails is reported when the TLS
 * contexts are built. */
void keyring_lint_log(const struct policy *p);

#endif

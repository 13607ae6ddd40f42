/* SPDX-License-Identifier: Apache-2.0 */
/* The descriptor budget: the soft RLIMIT_NOFILE raised to the hard limit, and
 * how many proxied connections per worker that limit can hold. */
#ifndef ATTLS_FDBUDGET_H
#define ATTLS_FDBUDGET_H

#include <stddef.h>

#include "policy/policy.h"

/* Descriptors a connection holds: the client's socket and the backend's. */
#define FDBUDGET_PER_CONN 2

/* Raises the soft RLIMIT_NOFILE to the hard limit (at start, before anything
 * is opened); logs the change. Returns the soft limit in force afterwards. */
unsigned long fdbudget_raise(void);
/* Descriptors that are not connections' but must stay available: those open
 * now ('base'), listeners (twice: a reload binds new ones before the old close),
 * each worker's loop and spare descriptor, capture files, control and metrics
 * clients, owner lookups and a margin. Pure. */
unsigned long fdbudget_reserve(unsigned long base, unsigned nworkers, size_t nlisteners);
/* Connections per worker that 'limit' descriptors hold after 'reserve'
 * (at least 1). Pure. */
unsigned fdbudget_conns(unsigned long limit, unsigned long reserve, unsigned nworkers);
/* Computes the per-worker cap for policy 'p' run by 'nworkers' workers from the
 * limit in force, and logs a warning when it is below max_connections (at start
 * and on every reload). */
void fdbudget_apply(const struct policy *p, unsigned nworkers);
/* The connections one worker may hold: max_connections, or less when the
 * descriptor limit holds fewer. */
unsigned fdbudget_max_connections(const struct policy_settings *s);

#endif

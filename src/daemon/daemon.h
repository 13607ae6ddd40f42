/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon: listening sockets, worker threads, signals and shutdown. */
#ifndef ATTLS_DAEMON_H
#define ATTLS_DAEMON_H

#include <stdbool.h>

#include "policy/policy.h"
#include "privdrop.h"

struct daemon_opts {
	const char *policy_path;
	const char *pidfile;
	bool foreground;
	unsigned workers; /* 0: from the policy, else the number of CPUs */
	const struct privdrop *priv; /* who to become once everything is open */
};

/* Runs until SIGTERM/SIGINT; returns the process exit code. Takes a reference
 * on 'p'. */
int daemon_run(const struct daemon_opts *o, struct policy *p);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Private to diag: the aggregation of identical connection failures, one
 * decision per failure that every sink (syslog, the event log) obeys, with a
 * bounded table no stream of new keys can flush. */
#ifndef ATTLS_EZD_AGG_H
#define ATTLS_EZD_AGG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define EZD_AGG_NET 64 /* "addr/prefix", or "*" for a catch-all */

/* What makes two failures identical: rule, RC, end reason (a close without
 * an RC: "client_reset", "idle_timeout"; "" for an error) and the client's
 * network. */
struct ezd_agg_key {
	const char *rule;
	int rc;
	const char *end;
	char net[EZD_AGG_NET];
};

/* A window's figures, handed to the reporter. */
struct ezd_agg_count {
	const char *rule, *end, *net;
	int rc;
	unsigned count;      /* failures in the window, logged or not */
	unsigned logged;     /* of them, logged (the first error_aggregation) */
	unsigned seconds;    /* since the window opened */
	unsigned window;     /* its length */
	uint32_t first_id, last_id; /* CONNIDs of the ones not logged */
};

/* Where the lines go: 'start' when a window stops logging (the first failure
 * counted), 'end' when a window that counted failures is over. Called under
 * the table's lock: they must not call back into ezd_agg. */
struct ezd_agg_out {
	void (*start)(const struct ezd_agg_count *n);
	void (*end)(const struct ezd_agg_count *n);
};

/* The network of 'sa' as the key shows it: IPv4 /24, IPv6 its first
 * 'prefix_v6' bits (the per-source limits' source_prefix_v6). */
void ezd_agg_net(const struct sockaddr *sa, unsigned prefix_v6, char net[EZD_AGG_NET]);
/* Counts failure 'connid' of key 'k' at monotonic second 'now': true when it
 * is to be logged (in every sink), false when only counted. 'limit' failures
 * per 'window' seconds are logged (0: every one). A key that finds the table
 * full shares a catch-all window of its rule, RC and end reason (net "*")
 * instead of ending a live window early. */
bool ezd_agg_admit(const struct ezd_agg_key *k, uint32_t connid, uint64_t now, unsigned limit,
		   unsigned window, const struct ezd_agg_out *out);
/* Reports and frees every window that is over at 'now' (all: every window). */
void ezd_agg_sweep(uint64_t now, bool all, const struct ezd_agg_out *out);

#endif

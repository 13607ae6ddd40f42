/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/proxy: connections and handshakes in progress per source
 * address (IPv6 per prefix) and handshakes in progress in all workers, shared
 * by the workers, so that one source cannot take every slot. */
#ifndef ATTLS_SRCLIMIT_H
#define ATTLS_SRCLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct srclimit_entry;

/* What one connection holds: its source's entry (NULL: nothing) and whether
 * it still counts as a handshake in progress. Zeroed holds nothing. */
struct srclimit_hold {
	struct srclimit_entry *e;
	bool hs;
};

/* The limits in force; 0 is no limit. */
struct srclimit_limits {
	unsigned conns_per_source;
	unsigned hs_per_source;
	unsigned hs_total;
	unsigned prefix_v6; /* bits of an IPv6 address that make one source */
};

enum srclimit_verdict {
	SRCLIMIT_OK,
	SRCLIMIT_SOURCE_CONNS, /* the source holds conns_per_source connections */
	SRCLIMIT_SOURCE_HS,    /* the source has hs_per_source handshakes in progress */
	SRCLIMIT_HS_TOTAL,     /* hs_total handshakes are in progress in all workers */
};

/* A new connection from 'sa': on SRCLIMIT_OK 'h' holds one connection and one
 * handshake of its source; otherwise nothing is taken. Thread-safe. */
enum srclimit_verdict srclimit_acquire(struct srclimit_hold *h, const struct sockaddr *sa,
				       const struct srclimit_limits *l);
/* The handshake of 'h' is over (done, failed, or none was needed). Idempotent. */
void srclimit_hs_done(struct srclimit_hold *h);
/* The connection of 'h' ended: gives back all it holds. Idempotent. */
void srclimit_release(struct srclimit_hold *h);
/* Current counts (for the cause lines and tests): of the source of 'sa', and
 * handshakes in progress in all workers. */
void srclimit_counts(const struct sockaddr *sa, unsigned prefix_v6, unsigned *conns,
		     unsigned *hs);
unsigned srclimit_handshakes(void);
/* The source of 'sa' as the limits see it: an IPv4 address, or an IPv6 prefix
 * "2001:db8::/64" (a full address when prefix_v6 is 128). */
void srclimit_source_name(const struct sockaddr *sa, unsigned prefix_v6, char *out, size_t len);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* z/OS Policy Agent (pagent) AT-TLS configuration -> the node tree our YAML
 * loader consumes. Every node keeps the line and column of the pagent text it
 * came from, so the loader's and validator's diagnostics cite the pagent file. */
#ifndef ATTLS_PAGENT_H
#define ATTLS_PAGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/compiler.h"
#include "diag.h"

struct ynode;

/* The listen address of imported Outbound rules unless --outbound-listen. */
#define PAGENT_OUTBOUND_LISTEN "127.0.0.1:15443"

/* --backend RULE=host:port (and --listen) */
struct pagent_backend {
	const char *rule;
	const char *endpoint;
};

struct pagent_opts {
	const struct pagent_backend *backends;
	size_t nbackends;
	/* --listen RULE=host:port: where attlsd listens for a rule whose local
	 * port does not say (all ports), or diverted Outbound connections go. */
	const struct pagent_backend *listens;
	size_t nlistens;
	/* Inbound rules without a --backend get 127.0.0.1:(LocalPort + offset);
	 * when not set the offset is 10000 and each such rule draws a warning. */
	unsigned port_offset;
	bool port_offset_set;
	/* Map: SAF key ring name -> { certificate, key, trusted_ca }; may be NULL. */
	const struct ynode *keyring_map;
	/* Where Outbound rules' diverted connections go (listen of intercept:
	 * redirect); NULL: PAGENT_OUTBOUND_LISTEN. */
	const char *outbound_listen;
	/* settings.session_cache for GSK_SYSPLEX_SIDCACHE On; NULL: a warning. */
	const char *session_cache;
	/* Ignore TTLSConfig/CommonTTLSConfig/TcpImage (no file access; fuzzing). */
	bool no_include;
};

/* True if 'text' looks like pagent configuration rather than YAML: the name
 * ends in .pagent or .conf, or the first word is a pagent statement keyword. */
bool pagent_is_pagent(const char *path, const char *text, size_t len);

/* Parses pagent 'text' ('file' must be registered with diag_add_source()) and
 * builds the policy tree in *out. Every syntax error is recorded in 'dl'; on
 * errors *out is NULL and ATTLS_EPOLICY is returned. 'o' may be NULL. */
ATTLS_NODISCARD int pagent_parse(const char *file, const char *text, size_t len,
				 const struct pagent_opts *o, struct ynode **out,
				 struct diag_list *dl);

/* Reads and parses 'n' files as one configuration. */
ATTLS_NODISCARD int pagent_load(const char *const *paths, size_t n, const struct pagent_opts *o,
				struct ynode **out, struct diag_list *dl);

/* Prints a policy tree as YAML (yemit.c): keys in tree order, scalars quoted
 * only when plain YAML would read them differently. */
void yemit_tree(const struct ynode *root, FILE *out);
/* `attlsctl import pagent`: reads the keyring map at 'map_path' (NULL: none;
 * it replaces o->keyring_map), loads the 'n' pagent files and prints the
 * policy as YAML to 'out', after '# comment' (NULL: none). Prints nothing
 * unless both loaded; the diagnostics are in 'dl'. 0 or a negative ATTLS_E*. */
ATTLS_NODISCARD int yemit_pagent(const char *const *paths, size_t n, const struct pagent_opts *o,
				 const char *map_path, const char *comment, FILE *out,
				 struct diag_list *dl);

/* `attlsctl export pagent`: the YAML policy at 'path' as Policy Agent
 * statements on 'out', what they cannot say (backends, interception, keyring
 * files, settings, ...) in "# attls-yaml:" comment lines that z/OS ignores and
 * the import merges back (pagent_emit.c). 0 or a negative ATTLS_E*. */
ATTLS_NODISCARD int pagent_export(const char *path, FILE *out, struct diag_list *dl);

#endif

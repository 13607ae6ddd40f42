/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the policy module: a YAML document as an owned tree whose every node
 * keeps its 1-based line and column, so any later check can point at the source. */
#ifndef ATTLS_YTREE_H
#define ATTLS_YTREE_H

#include <stddef.h>

#include "diag.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	struct diag_pos pos;
	char *value;          /* scalars */
	int quoted;           /* scalar was quoted: never a keyword or number */
	int exact;            /* scalar: value[i] is at column pos.col + quoted + i of pos.line */
	struct ynode **items; /* seq items; map: keys at even, values at odd indexes */
	size_t n;
};

/* Parses 'text'; on a YAML syntax error records it in 'dl' and returns
 * ATTLS_EPOLICY. 'file' must be a path registered with diag_add_source(). */
int ytree_parse(const char *file, const char *text, size_t len, struct ynode **out,
		struct diag_list *dl);
void ytree_free(struct ynode *n);
/* Map lookup by exact key; NULL if absent. */
struct ynode *ytree_get(const struct ynode *map, const char *key);
const char *ytree_type_name(const struct ynode *n);

/* Building a tree (pagent.c's converter builds one from pagent text). Each
 * returns NULL or ATTLS_ENOMEM when an allocation fails. */
struct ynode *ytree_new(enum ynode_type t, struct diag_pos pos);
struct ynode *ytree_scalar(const char *v, struct diag_pos pos);
/* Appends 'child' (NULL: an allocation that failed) to a list or map; owns
 * 'child' from the call on, freeing it on failure. */
int ytree_push(struct ynode *parent, struct ynode *child);
/* Appends key: 'v' to 'map'; owns 'v' as ytree_push() owns 'child'. */
int ytree_put(struct ynode *map, const char *key, struct diag_pos kpos, struct ynode *v);
/* A deep copy of 'n' with every position 'pos'. */
struct ynode *ytree_clone(const struct ynode *n, struct diag_pos pos);
/* Where byte 'off' of a scalar's value is in the source: the exact column when the
 * value is the source text (one line, no escapes), else the scalar's own position,
 * so a bad word inside "0023 9999" is pointed at, never a wrong column. Errors
 * about a value use off 0: the caret goes under its text, not under its quote. */
struct diag_pos ytree_pos_at(const struct ynode *n, size_t off);

#endif

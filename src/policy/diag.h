/* SPDX-License-Identifier: Apache-2.0 */
/* Policy diagnostics: every error and warning found while loading a policy, each
 * with its position, printed at once as "file:line:col: error: text" plus the
 * source line and a caret. */
#ifndef ATTLS_DIAG_H
#define ATTLS_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "common/compiler.h"

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* A position in a source file; line and col are 1-based, 0 when unknown. */
struct diag_pos {
	const char *file; /* borrowed from the diag_list's file table */
	unsigned line;
	unsigned col;
};

struct diag {
	enum diag_severity severity;
	struct diag_pos pos;
	char *text;
};

struct diag_source {
	char *path;
	char *text; /* whole file, for quoting source lines; may be NULL */
	size_t len;
};

struct diag_list {
	struct diag *items;
	size_t n, cap;
	unsigned errors, warnings;
	struct diag_source *sources;
	size_t nsources;
};

void diag_list_init(struct diag_list *dl);
void diag_list_cleanup(struct diag_list *dl);
/* Registers a file so diagnostics can quote its lines; returns the stable path
 * pointer to put into diag_pos.file. 'text' is copied. */
const char *diag_add_source(struct diag_list *dl, const char *path, const char *text, size_t len);
void diag_add(struct diag_list *dl, enum diag_severity sev, struct diag_pos pos, const char *fmt,
	      ...) ATTLS_PRINTF(4, 5);
#define diag_error(dl, pos, ...) diag_add((dl), DIAG_ERROR, (pos), __VA_ARGS__)
#define diag_warning(dl, pos, ...) diag_add((dl), DIAG_WARNING, (pos), __VA_ARGS__)
#define diag_note(dl, pos, ...) diag_add((dl), DIAG_NOTE, (pos), __VA_ARGS__)
/* Sorts by file and position, prints each with its source line and a caret. */
void diag_print(struct diag_list *dl, FILE *out);
bool diag_has_errors(const struct diag_list *dl);
/* Returns the closest of 'cands' (NULL-terminated) to 'word', or NULL if none is close. */
const char *diag_suggest(const char *word, const char *const *cands);
/* The same without regard to case, for words matched case-insensitively
 * (keywords such as ServerWithClientAuth, IANA names), and at most 'max_edits'
 * edits away (diag_suggest allows 3). */
const char *diag_suggest_nocase(const char *word, const char *const *cands, size_t max_edits);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* diag_list: collects policy errors and warnings, prints them GNU-style with the
 * source line and a caret, and suggests the nearest known word. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define DIAG_MAX_PRINTED 50

void
diag_list_init(struct diag_list *dl)
{
	memset(dl, 0, sizeof(*dl));
}

void
diag_list_cleanup(struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++)
		free(dl->items[i].text);
	free(dl->items);
	for (i = 0; i < dl->nsources; i++) {
		free(dl->sources[i].path);
		free(dl->sources[i].text);
	}
	free(dl->sources);
	memset(dl, 0, sizeof(*dl));
}

const char *
diag_add_source(struct diag_list *dl, const char *path, const char *text, size_t len)
{
	struct diag_source *s;
	size_t i;

	for (i = 0; i < dl->nsources; i++) {
		s = &dl->sources[i];
		if (strcmp(s->path, path) != 0)
			continue;
		/* A file first registered for an open error may get its text later. */
		if (!s->text && text && (s->text = malloc(len + 1)) != NULL) {
			memcpy(s->text, text, len);
			s->text[len] = '\0';
			s->len = len;
		}
		return s->path;
	}
	s = realloc(dl->sources, (dl->nsources + 1) * sizeof(*s));
	if (!s)
		return "(unknown)";
	dl->sources = s;
	s = &dl->sources[dl->nsources];
	s->path = strdup(path);
	s->text = NULL;
	s->len = 0;
	if (!s->path)
		return "(unknown)";
	if (text && (s->text = malloc(len + 1)) != NULL) {
		memcpy(s->text, text, len);
		s->text[len] = '\0';
		s->len = len;
	}
	dl->nsources++;
	return s->path;
}

void
diag_add(struct diag_list *dl, enum diag_severity sev, struct diag_pos pos, const char *fmt, ...)
{
	struct diag *items;
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 16;
		items = realloc(dl->items, cap * sizeof(*items));
		if (!items) {
			free(text);
			goto count;
		}
		dl->items = items;
		dl->cap = cap;
	}
	dl->items[dl->n].severity = sev;
	dl->items[dl->n].pos = pos;
	dl->items[dl->n].text = text;
	dl->n++;
count:
	if (sev == DIAG_ERROR)
		dl->errors++;
	else if (sev == DIAG_WARNING)
		dl->warnings++;
}

bool
diag_has_errors(const struct diag_list *dl)
{
	return dl->errors > 0;
}

static const struct diag_source *
find_source(const struct diag_list *dl, const char *path)
{
	size_t i;

	for (i = 0; path && i < dl->nsources; i++)
		if (dl->sources[i].path == path || strcmp(dl->sources[i].path, path) == 0)
			return &dl->sources[i];
	return NULL;
}

/* Prints line 'line' of the source and a caret under column 'col'. */
static void
print_excerpt(const struct diag_source *s, unsigned line, unsigned col, FILE *out)
{
	const char *p, *end;
	unsigned l = 1, i;

	if (!s || !s->text || line == 0)
		return;
	p = s->text;
	while (l < line && (p = memchr(p, '\n', s->len - (size_t)(p - s->text))) != NULL) {
		p++;
		l++;
	}
	if (!p || l != line)
		return;
	end = memchr(p, '\n', s->len - (size_t)(p - s->text));
	if (!end)
		end = s->text + s->len;
	fprintf(out, "%6u | %.*s\n", line, (int)(end - p), p);
	if (col == 0)
		return;
	fprintf(out, "       | ");
	for (i = 1; i < col && p + i - 1 < end; i++)
		fputc(p[i - 1] == '\t' ? '\t' : ' ', out);
	fprintf(out, "^\n");
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	int c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");

	if (c)
		return c;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return 0;
}

static const char *const sev_name[] = { "error", "warning", "note" };

void
diag_print(struct diag_list *dl, FILE *out)
{
	size_t i, shown = 0;

	/* mergesort-stable order is not needed: equal positions keep insertion order
	 * only loosely, which is acceptable for messages at the same spot. */
	if (dl->n)
		qsort(dl->items, dl->n, sizeof(*dl->items), diag_cmp);
	for (i = 0; i < dl->n; i++) {
		const struct diag *d = &dl->items[i];

		if (shown++ == DIAG_MAX_PRINTED) {
			fprintf(out, "(further diagnostics not shown)\n");
			break;
		}
		if (d->pos.file && d->pos.line && d->pos.col)
			fprintf(out, "%s:%u:%u: ", d->pos.file, d->pos.line, d->pos.col);
		else if (d->pos.file && d->pos.line) /* a key's line (key_line), no column */
			fprintf(out, "%s:%u: ", d->pos.file, d->pos.line);
		else if (d->pos.file)
			fprintf(out, "%s: ", d->pos.file);
		fprintf(out, "%s: %s\n", sev_name[d->severity], d->text ? d->text : "(no memory)");
		print_excerpt(find_source(dl, d->pos.file), d->pos.line, d->pos.col, out);
	}
}

#define DIAG_WORD_MAX 64 /* longer words get no suggestion; IANA suite names fit */

static char
fold(char c, bool nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Optimal string alignment distance, capped for speed. */
static size_t
edit_distance(const char *a, const char *b, bool nocase)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned short d[DIAG_WORD_MAX + 1][DIAG_WORD_MAX + 1];

	if (la > DIAG_WORD_MAX || lb > DIAG_WORD_MAX)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned short)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned short)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			char ai = fold(a[i - 1], nocase), bj = fold(b[j - 1], nocase);
			unsigned cost = ai == bj ? 0 : 1;
			unsigned v = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < v)
				v = d[i][j - 1] + 1u;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && ai == fold(b[j - 2], nocase) &&
			    fold(a[i - 2], nocase) == bj && d[i - 2][j - 2] + 1u < v)
				v = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned short)v;
		}
	}
	return d[la][lb];
}

static const char *
suggest(const char *word, const char *const *cands, bool nocase, size_t cap)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i, limit;

	limit = strlen(word) / 3 + 1;
	if (limit > cap)
		limit = cap;
	for (i = 0; cands[i]; i++) {
		size_t d = edit_distance(word, cands[i], nocase);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

const char *
diag_suggest(const char *word, const char *const *cands)
{
	return suggest(word, cands, false, 3);
}

const char *
diag_suggest_nocase(const char *word, const char *const *cands, size_t max_edits)
{
	return suggest(word, cands, true, max_edits);
}

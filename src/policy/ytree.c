/* SPDX-License-Identifier: Apache-2.0 */
/* libyaml events -> owned node tree; every node keeps file:line:col (1-based). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/err.h"
#include "ytree.h"

#define YTREE_MAX_DEPTH 64

struct ybuild {
	yaml_parser_t parser;
	const char *file;
	struct diag_list *dl;
	int failed;
};

static struct diag_pos
mark_pos(const struct ybuild *b, yaml_mark_t m)
{
	struct diag_pos p = { b->file, (unsigned)m.line + 1, (unsigned)m.column + 1 };
	return p;
}

struct ynode *
ytree_new(enum ynode_type t, struct diag_pos pos)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (n) {
		n->type = t;
		n->pos = pos;
	}
	return n;
}

struct ynode *
ytree_scalar(const char *v, struct diag_pos pos)
{
	struct ynode *n = ytree_new(YNODE_SCALAR, pos);

	if (n && !(n->value = strdup(v))) {
		free(n);
		return NULL;
	}
	return n;
}

int
ytree_push(struct ynode *parent, struct ynode *child)
{
	struct ynode **items;

	if (!parent || !child ||
	    !(items = realloc(parent->items, (parent->n + 1) * sizeof(*items)))) {
		ytree_free(child);
		return ATTLS_ENOMEM;
	}
	parent->items = items;
	parent->items[parent->n++] = child;
	return 0;
}

int
ytree_put(struct ynode *map, const char *key, struct diag_pos kpos, struct ynode *v)
{
	int r;

	if (!v || (r = ytree_push(map, ytree_scalar(key, kpos))) != 0) {
		ytree_free(v);
		return ATTLS_ENOMEM;
	}
	if ((r = ytree_push(map, v)) != 0)
		ytree_free(map->items[--map->n]);
	return r;
}

struct ynode *
ytree_clone(const struct ynode *n, struct diag_pos pos)
{
	struct ynode *copy;
	size_t i;

	if (n->type == YNODE_SCALAR)
		return ytree_scalar(n->value, pos);
	if (!(copy = ytree_new(n->type, pos)))
		return NULL;
	for (i = 0; i < n->n; i++)
		if (ytree_push(copy, ytree_clone(n->items[i], pos)) != 0) {
			ytree_free(copy);
			return NULL;
		}
	return copy;
}

void
ytree_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		ytree_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static int build_node(struct ybuild *b, yaml_event_t *ev, int depth, struct ynode **out);

/* True when the scalar's value is its source text: on one line, as many columns as
 * bytes (plus the quotes). Escapes ("\x41", '') only make the source longer, and an
 * ASCII value means bytes are columns; block scalars span lines. */
static int
scalar_exact(const yaml_event_t *ev, int quoted)
{
	const unsigned char *v = ev->data.scalar.value;
	size_t i, len = ev->data.scalar.length;

	if (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE ||
	    ev->start_mark.line != ev->end_mark.line)
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] >= 0x80)
			return 0;
	return ev->end_mark.column - ev->start_mark.column == len + (quoted ? 2 : 0);
}

/* Reads children until the matching end event. */
static int
build_children(struct ybuild *b, struct ynode *parent, yaml_event_type_t end, int depth)
{
	yaml_event_t ev;
	struct ynode *child;
	int r;

	for (;;) {
		if (!yaml_parser_parse(&b->parser, &ev))
			return ATTLS_EPOLICY;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		r = build_node(b, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r)
			return r;
		if ((r = ytree_push(parent, child)) != 0)
			return r;
	}
}

static int
build_node(struct ybuild *b, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct diag_pos pos = mark_pos(b, ev->start_mark);
	struct ynode *n = NULL;
	int r = 0;

	*out = NULL;
	if (depth > YTREE_MAX_DEPTH) {
		diag_error(b->dl, pos, "document nested deeper than %d levels", YTREE_MAX_DEPTH);
		b->failed = 1;
		return ATTLS_EPOLICY;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (!(n = ytree_new(YNODE_SCALAR, pos)))
			return ATTLS_ENOMEM;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (!n->value)
			r = ATTLS_ENOMEM;
		else
			n->exact = scalar_exact(ev, n->quoted);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (!(n = ytree_new(YNODE_SEQ, pos)))
			return ATTLS_ENOMEM;
		r = build_children(b, n, YAML_SEQUENCE_END_EVENT, depth);
		break;
	case YAML_MAPPING_START_EVENT:
		if (!(n = ytree_new(YNODE_MAP, pos)))
			return ATTLS_ENOMEM;
		r = build_children(b, n, YAML_MAPPING_END_EVENT, depth);
		break;
	case YAML_ALIAS_EVENT:
		diag_error(b->dl, pos, "YAML aliases (*%s) are not supported in policies; "
				       "write the value out or use a named reference",
			   (const char *)ev->data.alias.anchor);
		b->failed = 1;
		return ATTLS_EPOLICY;
	default:
		diag_error(b->dl, pos, "unexpected YAML event");
		b->failed = 1;
		return ATTLS_EPOLICY;
	}
	if (r) {
		ytree_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static void
report_parser_error(struct ybuild *b)
{
	yaml_parser_t *p = &b->parser;
	yaml_mark_t m = p->problem_mark;

	if (b->failed)
		return;
	if (p->error == YAML_MEMORY_ERROR) {
		diag_error(b->dl, mark_pos(b, m), "out of memory while parsing YAML");
		return;
	}
	if (p->context)
		diag_error(b->dl, mark_pos(b, m), "YAML syntax error: %s %s (started at line %u)",
			   p->problem ? p->problem : "error", p->context,
			   (unsigned)p->context_mark.line + 1);
	else
		diag_error(b->dl, mark_pos(b, m), "YAML syntax error: %s",
			   p->problem ? p->problem : "error");
}

int
ytree_parse(const char *file, const char *text, size_t len, struct ynode **out,
	    struct diag_list *dl)
{
	struct ybuild b = { .file = file, .dl = dl };
	struct ynode *root = NULL;
	yaml_event_t ev;
	int r = ATTLS_EPOLICY, done = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&b.parser))
		return ATTLS_ENOMEM;
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&b.parser, &ev)) {
			report_parser_error(&b);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root) {
				diag_error(dl, mark_pos(&b, ev.start_mark),
					   "a policy file holds one YAML document");
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			r = build_node(&b, &ev, 0, &root);
			if (r) {
				if (r == ATTLS_EPOLICY)
					report_parser_error(&b);
				yaml_event_delete(&ev);
				goto out;
			}
			r = ATTLS_EPOLICY;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (!root) {
		struct diag_pos p = { file, 1, 1 };
		diag_error(dl, p, "the policy is empty");
		goto out;
	}
	*out = root;
	root = NULL;
	r = 0;
out:
	ytree_free(root);
	yaml_parser_delete(&b.parser);
	return r;
}

struct ynode *
ytree_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2)
		if (strcmp(map->items[i]->value ? map->items[i]->value : "", key) == 0)
			return map->items[i + 1];
	return NULL;
}

const char *
ytree_type_name(const struct ynode *n)
{
	switch (n->type) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SEQ:
		return "a list";
	}
	return "?";
}

struct diag_pos
ytree_pos_at(const struct ynode *n, size_t off)
{
	struct diag_pos p = n->pos;

	/* An empty "" has no text to point under: its opening quote it is. */
	if (n->type == YNODE_SCALAR && n->exact && n->value && off <= strlen(n->value) &&
	    n->value[0])
		p.col += (unsigned)off + (n->quoted ? 1u : 0u);
	return p;
}

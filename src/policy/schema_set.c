/* SPDX-License-Identifier: Apache-2.0 */
/* The setters: a YAML node into the field a schema row names, scalars here,
 * many-item values in schema_list.c; and freeing what a field owns. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "identity.h"
#include "policy_int.h"
#include "schema.h"
#include "timecond.h"

static const char *
set_uint(const struct schema_row *row, const char *v, unsigned *field, char *err, size_t errlen)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return "must be a whole number";
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end || errno)
		return "must be a whole number";
	if (n < row->min || n > row->max) {
		snprintf(err, errlen, "must be between %u and %u", row->min, row->max);
		return err;
	}
	*field = (unsigned)n;
	return NULL;
}

static const char *
set_enum(const struct schema_row *row, const char *v, void *field, char *err, size_t errlen)
{
	int e = schema_enum_lookup(row->enums, v);
	const struct schema_enum *x;
	const char *cands[16], *near;
	size_t off, n;

	if (e >= 0) {
		if (row->type == ST_BOOL)
			*(bool *)field = e != 0;
		else
			*(int *)field = e;
		return NULL;
	}
	off = (size_t)snprintf(err, errlen, "must be one of");
	for (x = row->enums; x->name && off < errlen; x++) {
		if (row->type == ST_BOOL && x != row->enums && x != row->enums + 1)
			break;
		off += (size_t)snprintf(err + off, errlen - off, "%s %s",
					x == row->enums ? "" : ",", x->name);
	}
	/* Keywords match without regard to case, and so are typos of them found; a
	 * number (fragment lengths, certificate version) has no likely typo. */
	for (n = 0; row->enums[n].name && n + 1 < ARRAY_SIZE(cands); n++)
		cands[n] = row->enums[n].name;
	cands[n] = NULL;
	if (!isdigit((unsigned char)v[0]) && (near = diag_suggest_nocase(v, cands, 3)) != NULL &&
	    off < errlen)
		snprintf(err + off, errlen - off, "; did you mean \"%s\"?", near);
	return err;
}

static const char *
set_endpoint(const char *v, struct policy_endpoint *ep)
{
	const char *colon, *hstart = v, *hend;
	unsigned long port;
	char *end;

	if (v[0] == '[') {
		hstart = v + 1;
		if (!(hend = strchr(v, ']')) || hend[1] != ':')
			return "must be host:port or [ipv6]:port";
		colon = hend + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon)
			return "must be host:port or [ipv6]:port";
		hend = colon;
	}
	if (hend == hstart)
		return "has no host (write 127.0.0.1:PORT, not :PORT)";
	/* host:+N / host:-N: the port follows the connection's local port. */
	ep->relative = colon[1] == '+' || colon[1] == '-';
	port = strtoul(colon + 1 + ep->relative, &end, 10);
	if (ep->relative) {
		if (!isdigit((unsigned char)colon[2]) || *end || port > 65534)
			return "has a port offset outside -65534..+65534";
	} else if (!colon[1] || *end || port == 0 || port > 65535) {
		return "has a port outside 1-65535";
	}
	free(ep->host);
	ep->host = strndup(hstart, (size_t)(hend - hstart));
	if (!ep->host)
		return "out of memory";
	ep->offset = ep->relative ? (colon[1] == '-' ? -(int)port : (int)port) : 0;
	ep->port = ep->relative ? 0 : (uint16_t)port;
	ep->set = true;
	return NULL;
}

void
schema_complain(struct schema_out *o, struct diag_pos pos, const char *phrase)
{
	o->errors++;
	if (o->dl)
		diag_error(o->dl, pos, "%s %s", o->what, phrase);
}

/* days_of_week as a list ([Mon, Wed-Fri]): the days of every item, each item
 * checked alone so that a bad one is reported where it stands. */
static void
set_days_list(const struct schema_row *row, const struct ynode *node, struct timecond *tc,
	      struct schema_out *out)
{
	struct timecond one;
	uint8_t days = 0;
	unsigned before = out->errors;
	char err[256];
	size_t i;

	if (node->n == 0) {
		schema_complain(out, node->pos, "is an empty list");
		return;
	}
	for (i = 0; i < node->n; i++) {
		const struct ynode *it = node->items[i];

		one = *tc;
		if (it->type != YNODE_SCALAR) {
			schema_complain(out, it->pos, "must be a list of day names");
			continue;
		}
		if (timecond_parse_field(&one, row->key, it->value, err, sizeof(err)) != 0) {
			snprintf(err, sizeof(err), "has \"%s\", which is not a day name (Sun to "
						   "Sat) nor a range of them (Mon-Fri)",
				 it->value);
			schema_complain(out, ytree_pos_at(it, 0), err);
			continue;
		}
		days |= one.days_of_week;
	}
	if (out->errors == before) {
		tc->days_of_week = days;
		tc->set |= TIMECOND_SET_DAYS_OF_WEEK;
	}
}

/* Where a bad scalar goes wrong: for days_of_week "Mon,Fnord", the first part
 * that is no day or range alone; else the value's text. */
static struct diag_pos
scalar_bad_at(const struct schema_row *row, const struct ynode *node)
{
	struct timecond tc;
	char part[64], err[256];
	const char *s, *e;

	if (row->type != ST_TIME || strcmp(row->key, "days_of_week") != 0 ||
	    node->type != YNODE_SCALAR || !strchr(node->value, ','))
		return ytree_pos_at(node, 0);
	for (s = node->value;; s = e + 1) {
		e = s + strcspn(s, ",");
		snprintf(part, sizeof(part), "%.*s", (int)(e - s), s);
		timecond_init(&tc);
		if (timecond_parse_field(&tc, row->key, part, err, sizeof(err)) != 0)
			return ytree_pos_at(node, (size_t)(s - node->value));
		if (!*e)
			break;
	}
	return ytree_pos_at(node, 0);
}

static const char *
set_scalar(const struct schema_ctx *ctx, const struct schema_row *row, void *field,
	   const struct ynode *node, char *err, size_t errlen)
{
	const char *v;

	if (node->type != YNODE_SCALAR) {
		snprintf(err, errlen, "must be a %s, not %s", schema_type_name(row),
			 ytree_type_name(node));
		return err;
	}
	v = node->value;
	switch (row->type) {
	case ST_STRING:
	case ST_REF:
		if (!*v)
			return "must not be empty";
		free(*(char **)field);
		if (!(*(char **)field = strdup(v)))
			return "out of memory";
		return NULL;
	case ST_PATH:
		return schema_path_set(ctx, v, field);
	case ST_TIME:
		return timecond_parse_field(field, row->key, v, err, errlen) ? err : NULL;
	case ST_BOOL:
	case ST_ENUM:
		return set_enum(row, v, field, err, errlen);
	case ST_UINT:
		return set_uint(row, v, field, err, errlen);
	case ST_ENDPOINT:
		return set_endpoint(v, field);
	default:
		break;
	}
	return "unsupported type";
}

unsigned
schema_set(const struct schema_ctx *ctx, const struct schema_row *row, void *base,
	   const struct ynode *node, const char *what)
{
	struct schema_out out = { ctx ? ctx->dl : NULL, what, 0 };
	void *field = (char *)base + row->offset;
	char err[256];
	const char *e;

	if (row->type == ST_CERTS)
		schema_list_certs(ctx, node, field, &out);
	else if (row->type == ST_LABELS)
		schema_list_labels(node, field, &out);
	else if (row->type == ST_SNIMAP)
		schema_list_sni(node, field, &out);
	else if (row->type == ST_IDFILTERS)
		identity_set_filters(node, field, &out);
	else if (row->type == ST_IDCERTS)
		identity_set_certs(node, field, &out);
	else if (row->type == ST_ADDRS)
		schema_list_addrs(node, field, &out);
	else if (row->type == ST_PORTS)
		ports_set(node, field, &out);
	else if (row->type >= ST_CIPHERS2 && row->type <= ST_GROUPS)
		schema_list_codes(row, node, field, &out);
	else if (row->type == ST_TIME && node->type == YNODE_SEQ &&
		 strcmp(row->key, "days_of_week") == 0)
		set_days_list(row, node, field, &out);
	else if ((e = set_scalar(ctx, row, field, node, err, sizeof(err))) != NULL)
		schema_complain(&out, scalar_bad_at(row, node), e);
	return out.errors;
}

int
schema_set_default(const struct schema_row *row, void *base)
{
	struct ynode n = { .type = YNODE_SCALAR };

	if (!row->def)
		return 0;
	n.value = (char *)row->def;
	return schema_set(NULL, row, base, &n, "default") ? ATTLS_EINVAL : 0;
}

void
schema_free_field(const struct schema_row *row, void *base)
{
	void *field = (char *)base + row->offset;

	switch (row->type) {
	case ST_STRING:
	case ST_REF:
	case ST_PATH:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case ST_ENDPOINT:
		free(((struct policy_endpoint *)field)->host);
		((struct policy_endpoint *)field)->host = NULL;
		break;
	case ST_ADDRS:
		schema_list_free_addrs(field);
		break;
	case ST_PORTS:
		ports_free(field);
		break;
	case ST_CIPHERS2:
	case ST_CIPHERS4:
	case ST_SIGALGS:
	case ST_GROUPS:
		free(((struct policy_codes *)field)->v);
		((struct policy_codes *)field)->v = NULL;
		((struct policy_codes *)field)->n = 0;
		break;
	case ST_CERTS:
		schema_list_free_certs(field);
		break;
	case ST_LABELS:
		schema_list_free_labels(field);
		break;
	case ST_IDFILTERS:
		identity_filters_free(field);
		break;
	case ST_IDCERTS:
		identity_certs_free(field);
		break;
	case ST_SNIMAP:
		schema_list_free_sni(field);
		break;
	default:
		break;
	}
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The formatters: a field's value as a user would write it, for the dump,
 * explain and the documentation. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "policy_int.h"
#include "schema.h"
#include "tlsnames.h"

/* Prefix length if [lo, hi] is exactly one prefix, else ATTLS_ENOENT. */
static int
range_prefix(const struct policy_addr_range *r)
{
	int bits, i;

	for (bits = 0; bits < 128; bits++) {
		uint8_t m = (uint8_t)(0x80u >> (bits % 8));
		if ((r->lo[bits / 8] & m) != (r->hi[bits / 8] & m))
			break;
	}
	for (i = bits; i < 128; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if ((r->lo[i / 8] & m) || !(r->hi[i / 8] & m))
			return ATTLS_ENOENT;
	}
	return bits;
}

static void
format_addrs(const struct policy_addrs *as, char *buf, size_t len)
{
	size_t i, off = 0;

	if (as->n == 0)
		off = (size_t)snprintf(buf, len, "All");
	else
		buf[0] = '\0';
	for (i = 0; i < as->n && off < len; i++) {
		char lo[64], hi[64];
		policy_addr_format(as->ranges[i].lo, lo, sizeof(lo));
		policy_addr_format(as->ranges[i].hi, hi, sizeof(hi));
		int plen = range_prefix(&as->ranges[i]);
		bool v4 = strchr(lo, ':') == NULL;

		if (strcmp(lo, hi) == 0)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", lo);
		else if (plen >= (v4 ? 96 : 0))
			off += (size_t)snprintf(buf + off, len - off, "%s%s/%d", i ? ", " : "", lo,
						v4 ? plen - 96 : plen);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s-%s", i ? ", " : "", lo,
						hi);
	}
	/* The set names as written, so that -T says where the ranges came from. */
	for (i = 0; i < as->nrefs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : as->nrefs > 1 ? " (address sets " : " (address set ",
					as->refs[i]);
	if (as->nrefs && off < len)
		snprintf(buf + off, len - off, ")");
}

void
schema_format_codes(enum schema_type t, const struct policy_codes *c, char *buf, size_t len)
{
	size_t i, off = 0;

	if (c->n == 0) {
		snprintf(buf, len, "Default");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < c->n && off + 8 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, t == ST_GROUPS ? "%s%04u" : "%s%04X",
					i ? " " : "", c->v[i]);
}

static void
format_certs(const struct policy_certs *cs, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < cs->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", cs->v[i].label);
}

void
schema_format_sni(const struct policy_sni_map *m, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < m->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "", m->v[i].name,
					m->v[i].label);
}

static void
format_labels(const struct policy_labels *l, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < l->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", l->v[i]);
}

void
schema_format(const struct schema_row *row, const void *base, char *buf, size_t len)
{
	const void *field = (const char *)base + row->offset;
	const struct policy_endpoint *ep;

	switch (row->type) {
	case ST_STRING:
	case ST_REF:
	case ST_PATH:
		snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : "-");
		break;
	case ST_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "On" : "Off");
		break;
	case ST_ENUM:
		snprintf(buf, len, "%s", schema_enum_name(row->enums, *(const int *)field));
		break;
	case ST_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)field);
		break;
	case ST_PORTS:
		ports_format(field, buf, len);
		break;
	case ST_ENDPOINT:
		ep = field;
		if (!ep->set)
			snprintf(buf, len, "-");
		else if (ep->relative)
			snprintf(buf, len, strchr(ep->host, ':') ? "[%s]:%+d" : "%s:%+d", ep->host,
				 ep->offset);
		else if (strchr(ep->host, ':'))
			snprintf(buf, len, "[%s]:%u", ep->host, ep->port);
		else
			snprintf(buf, len, "%s:%u", ep->host, ep->port);
		break;
	case ST_ADDRS:
		format_addrs(field, buf, len);
		break;
	case ST_CIPHERS2:
	case ST_CIPHERS4:
	case ST_SIGALGS:
	case ST_GROUPS:
		schema_format_codes(row->type, field, buf, len);
		break;
	case ST_TIME:
		snprintf(buf, len, "(see below)");
		break;
	case ST_CERTS:
		format_certs(field, buf, len);
		break;
	case ST_LABELS:
		format_labels(field, buf, len);
		break;
	case ST_IDFILTERS:
		snprintf(buf, len, "%zu", ((const struct policy_id_filters *)field)->n);
		break;
	case ST_IDCERTS:
		snprintf(buf, len, "%zu", ((const struct policy_id_certs *)field)->n);
		break;
	case ST_SNIMAP:
		schema_format_sni(field, buf, len);
		break;
	}
}

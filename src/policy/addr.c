/* SPDX-License-Identifier: Apache-2.0 */
/* Address and name helpers of the policy language: parsing address conditions,
 * testing membership, and the display names of enum values. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy.h"

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void
policy_addr_from_v4(uint32_t be_addr, uint8_t out[16])
{
	memcpy(out, v4_prefix, 12);
	memcpy(out + 12, &be_addr, 4);
}

/* Parses one address into 16 bytes; *is_v4 says which family it was. */
static int
parse_one(const char *s, uint8_t out[16], int *is_v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		policy_addr_from_v4(a4.s_addr, out);
		*is_v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*is_v4 = 0;
		return 0;
	}
	return ATTLS_EINVAL;
}

int
policy_addr_parse(const char *s, struct policy_addr_range *out)
{
	char buf[128], *sep;
	int v4a, v4b, bits, i;
	long plen;

	if (strlen(s) >= sizeof(buf))
		return ATTLS_EINVAL;
	strcpy(buf, s);
	if ((sep = strchr(buf, '/')) != NULL) {
		char *end;
		*sep++ = '\0';
		if (parse_one(buf, out->lo, &v4a) != 0 || !*sep)
			return ATTLS_EINVAL;
		plen = strtol(sep, &end, 10);
		if (*end || plen < 0 || plen > (v4a ? 32 : 128))
			return ATTLS_EINVAL;
		bits = (int)plen + (v4a ? 96 : 0);
		memcpy(out->hi, out->lo, 16);
		for (i = 0; i < 128; i++) {
			if (i < bits)
				continue;
			out->lo[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
			out->hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		}
		return 0;
	}
	/* A range uses '-', never inside an IPv6 address. */
	if ((sep = strchr(buf, '-')) != NULL) {
		*sep++ = '\0';
		if (parse_one(buf, out->lo, &v4a) != 0 || parse_one(sep, out->hi, &v4b) != 0)
			return ATTLS_EINVAL;
		if (v4a != v4b || memcmp(out->lo, out->hi, 16) > 0)
			return ATTLS_EINVAL;
		return 0;
	}
	if (parse_one(buf, out->lo, &v4a) != 0)
		return ATTLS_EINVAL;
	memcpy(out->hi, out->lo, 16);
	return 0;
}

bool
policy_addrs_contain(const struct policy_addrs *as, const uint8_t addr[16])
{
	size_t i;

	if (as->n == 0)
		return true;
	for (i = 0; i < as->n; i++)
		if (memcmp(addr, as->ranges[i].lo, 16) >= 0 && memcmp(addr, as->ranges[i].hi, 16) <= 0)
			return true;
	return false;
}

void
policy_addr_format(const uint8_t addr[16], char *buf, size_t len)
{
	if (memcmp(addr, v4_prefix, 12) == 0) {
		if (!inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len))
			snprintf(buf, len, "?");
		return;
	}
	if (!inet_ntop(AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

const char *
policy_role_name(int role)
{
	switch (role) {
	case POLICY_ROLE_CLIENT:
		return "Client";
	case POLICY_ROLE_SERVER:
		return "Server";
	case POLICY_ROLE_SERVER_CLIENT_AUTH:
		return "ServerWithClientAuth";
	}
	return "-";
}

const char *
policy_client_auth_name(int ca)
{
	switch (ca) {
	case POLICY_CA_REQUIRED:
		return "Required";
	case POLICY_CA_PASSTHRU:
		return "PassThru";
	case POLICY_CA_FULL:
		return "Full";
	case POLICY_CA_SAFCHECK:
		return "SAFCheck";
	}
	return "-";
}

const char *
policy_direction_name(int dir)
{
	switch (dir) {
	case POLICY_DIR_INBOUND:
		return "Inbound";
	case POLICY_DIR_OUTBOUND:
		return "Outbound";
	case POLICY_DIR_BOTH:
		return "Both";
	}
	return "-";
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Return codes as AT-TLS reports them: below 5000 System SSL (GSK) codes, 5001-5999
 * AT-TLS codes the admin can fix (51xx are attls's own), 6xxx internal. One table
 * feeds the log cause lines, `attlsd --list-rc` and doc/return-codes.md. */
#ifndef ATTLS_RC_H
#define ATTLS_RC_H

struct rc_info {
	int rc;
	const char *name;    /* GSK constant or our own short name */
	const char *meaning; /* one line */
	const char *fix;     /* what to do about it */
};

enum {
	RC_KEY_LABEL_NOT_FOUND = 6,
	RC_CERT_VALIDATION = 8,
	RC_UNKNOWN_ERROR = 12,
	RC_NO_KEYFILE_PASSWORD = 201,
	RC_KEYRING_OPEN = 202,
	RC_BAD_DATE = 401,
	RC_NO_CIPHERS = 402,
	RC_NO_CERTIFICATE = 403,
	RC_BAD_CERTIFICATE = 404,
	RC_UNSUPPORTED_CERT_TYPE = 405,
	RC_IO_ERROR = 406,
	RC_BAD_KEYFILE_LABEL = 407,
	RC_BAD_KEYFILE_PASSWORD = 408,
	RC_BAD_MESSAGE = 410,
	RC_BAD_MAC = 411,
	RC_UNSUPPORTED = 412,
	RC_BAD_CERT_SIG = 413,
	RC_BAD_PEER = 415,
	RC_SELF_SIGNED = 417,
	RC_SOCKET_CLOSED = 420,
	RC_BAD_V3_CIPHER = 422,
	RC_NO_PRIVATE_KEY = 428,
	RC_CERT_REVOKED = 431,
	RC_RENEG_NOT_ALLOWED = 432,
	RC_CERT_KEY_INCOMPATIBLE = 434,
	RC_UNKNOWN_CA = 435,
	RC_KEY_USAGE = 440,
	RC_SIGALG_NOT_IN_LIST = 467,
	RC_NO_KEY_LABEL_MATCH = 510,
	RC_CLIENT_CERT_MISSING = 5001,
	RC_CLIENT_CERT_UNMAPPED = 5002,
	RC_CLEAR_TEXT = 5003,
	RC_HANDSHAKE_START_TIMEOUT = 5004,
	RC_POLICY_MAPPING = 5018,
	RC_BACKEND_REFUSED = 5101,
	RC_BACKEND_TIMEOUT = 5102,
	RC_BACKEND_FAILED = 5103,
	RC_HANDSHAKE_TIMEOUT = 5104,
	RC_NO_POLICY_DENIED = 5105,
	RC_CONN_LIMIT = 5106,
	RC_SERVER_IDENTITY = 5107,
	RC_OWNER_UNKNOWN = 5108,
	RC_TRUNCATED = 5109,
	RC_ABORTED = 5110,
	RC_SOURCE_CONN_LIMIT = 5118,
	RC_SOURCE_HANDSHAKE_LIMIT = 5119,
	RC_HANDSHAKE_LIMIT = 5120,
	RC_SHED = 5121,
	RC_PRIVILEGE = 5122,
	RC_INTERNAL = 6001,
};

/* The table entry for 'rc', or NULL. */
const struct rc_info *rc_lookup(int rc);
/* All entries, in ascending order; *n gets the count. */
const struct rc_info *rc_table(unsigned *n);

#endif

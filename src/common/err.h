/* SPDX-License-Identifier: Apache-2.0 */
/* Negative error codes returned by every fallible attls function. Detail goes to
 * the log or the diagnostic list; the code only says what kind of failure it was. */
#ifndef ATTLS_ERR_H
#define ATTLS_ERR_H

enum attls_err {
	ATTLS_OK = 0,
	ATTLS_ENOMEM = -1,  /* allocation failed */
	ATTLS_EINVAL = -2,  /* bad argument or input */
	ATTLS_EIO = -3,     /* I/O error (file or socket) */
	ATTLS_ETLS = -4,    /* OpenSSL refused something */
	ATTLS_EPOLICY = -5, /* the policy has errors (see the diagnostics) */
	ATTLS_ENOENT = -6,  /* not found */
	ATTLS_EAGAIN = -7,  /* try again later */
	ATTLS_ESYS = -8,    /* a system call failed (see errno in the log) */
};

const char *attls_strerror(int err);

#endif

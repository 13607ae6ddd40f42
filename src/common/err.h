/* SPDX-License-Identifier: Apache-2.0 */
/* Negative error codes returned by every fallible attls function. Detail goes to
 * the log or the diagnostic list; the code only says what kind of failure it was. */
#ifndef ATTLS_ERR_H
#define ATTLS_ERR_H

/* The codes are far from -1, from -errno (-1..-133) and from libuv's UV_E*
 * (down to -4095 but none in -1000..-1099): a stray `return -1` or an errno
 * passed up unchanged is named "unknown error", never mistaken for one of
 * these. Only their names are the contract, not their values. */
enum attls_err {
	ATTLS_OK = 0,
	ATTLS_ENOMEM = -1001,  /* allocation failed */
	ATTLS_EINVAL = -1002,  /* bad argument or input */
	ATTLS_EIO = -1003,     /* I/O error (file or socket) */
	ATTLS_ETLS = -1004,    /* OpenSSL refused something */
	ATTLS_EPOLICY = -1005, /* the policy has errors (see the diagnostics) */
	ATTLS_ENOENT = -1006,  /* not found */
	ATTLS_EAGAIN = -1007,  /* try again later */
	ATTLS_ESYS = -1008,    /* a system call failed (see errno in the log) */
};

/* The code's name; "unknown error" for anything else (-1, -errno, ...). */
const char *attls_strerror(int err);

#endif

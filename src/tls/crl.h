/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the TLS layer only: a keyring's CRL file for a context's certificate
 * checks, re-read when the file changes. */
#ifndef ATTLS_CRL_H
#define ATTLS_CRL_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Seconds between two looks at a CRL file's identity (inode, size, mtime). */
#define CRL_RECHECK_SECONDS 2

/* Reads the PEM CRLs of 'path' for 'ctx' and turns on revocation checking of
 * the whole chain (X509_V_FLAG_CRL_CHECK_ALL). During handshakes the file is
 * read again when it has changed, at most every CRL_RECHECK_SECONDS; a file
 * that then holds no CRL keeps the CRLs in force. On failure *rc is the return
 * code and 'err' the reason. */
int crl_ctx_load(SSL_CTX *ctx, const char *path, int *rc, char *err, size_t len);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* attls_strerror(): names for the negative error codes. */
#include "config.h"

#include "err.h"

const char *
attls_strerror(int err)
{
	switch (err) {
	case ATTLS_OK:
		return "success";
	case ATTLS_ENOMEM:
		return "out of memory";
	case ATTLS_EINVAL:
		return "invalid argument";
	case ATTLS_EIO:
		return "input/output error";
	case ATTLS_ETLS:
		return "TLS library error";
	case ATTLS_EPOLICY:
		return "the policy has errors";
	case ATTLS_ENOENT:
		return "not found";
	case ATTLS_EAGAIN:
		return "try again";
	case ATTLS_ESYS:
		return "system call failed";
	}
	return "unknown error";
}

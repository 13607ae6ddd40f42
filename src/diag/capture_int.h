/* SPDX-License-Identifier: Apache-2.0 */
/* Private to diag: the capture object shared by capture.c (recording on the
 * worker loop, the pcap file) and capwriter.c (the queue and the thread that
 * writes it), which takes it over whole once the connection is done with it. */
#ifndef ATTLS_CAPTURE_INT_H
#define ATTLS_CAPTURE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "runtime/runtime.h"

struct capture {
	SSL *ssl;
	BIO *bio;
	uint32_t connid;
	union rt_sockaddr us, peer;
	struct timeval start;
	unsigned char *buf; /* cap_seg headers, each followed by its bytes */
	size_t len, alloc, max; /* used, allocated (grows on demand), at most */
	bool full, stopped;
	char *keys; /* NSS key log lines */
	size_t keys_len;
	/* Set when it is handed to the writer (capture_submit), read there only. */
	struct capture *next; /* in the writer's queue */
	size_t mem;           /* bytes it holds, for the queue's bound */
	char *dir;            /* capture_dir of the connection's generation */
	unsigned max_files;   /* and its capture_max_files */
	char name[64];        /* CONNID-TIME.pcap, named on the worker loop */
};

/* Writes 'cap' into the directory 'dirfd' as cap->name (and its key log),
 * new files of mode 0600. Nothing partial is left behind (a cut file
 * misleads more than none). 0, or negative with errno; '*kept' says whether
 * the pcap was written all the same (only its key log failed). */
int capture_write(const struct capture *cap, int dirfd, bool *kept);
/* Opens the capture directory (never through a symlink), made 0700 for 'user'
 * when missing and 'create' is set, and checks its owner and mode. The fd, or
 * a negative code with the reason in 'err'. */
int capture_dir_open(const char *dir, uid_t user, bool create, char *err, size_t len);

#endif

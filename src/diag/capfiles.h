/* SPDX-License-Identifier: Apache-2.0 */
/* Private to diag: the pcap files of capture_dir, oldest first, as the capture
 * writer knows them: read from the directory once (the first capture after a
 * start or a reload), then kept as it writes and removes files, so keeping
 * capture_max_files never scans the directory again. */
#ifndef ATTLS_CAPFILES_H
#define ATTLS_CAPFILES_H

#include <stdbool.h>
#include <stddef.h>

/* A ring of file names, oldest at 'head'. Zeroed is empty and valid. */
struct capfiles {
	char **name;
	size_t head, n, size; /* first, how many, slots */
	char *dir;            /* the directory they are in; NULL: not read yet */
};

/* Reads the *.pcap regular files of the directory 'dirfd' (named 'dir'), by
 * modification time then name, in place of what the list held. 0 or a
 * negative code (the list is then empty and 'dir' unset). */
int capfiles_scan(struct capfiles *f, int dirfd, const char *dir);
/* True when the list was read from 'dir'. */
bool capfiles_is_of(const struct capfiles *f, const char *dir);
/* Appends a file just written. 0 or ATTLS_ENOMEM. */
int capfiles_add(struct capfiles *f, const char *name);
/* Removes the oldest files (each with its .keys) beyond 'max' from 'dirfd'. */
void capfiles_trim(struct capfiles *f, int dirfd, unsigned max);
/* Empties the list; it must be scanned again before use. */
void capfiles_cleanup(struct capfiles *f);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl tickets rotate: a new session ticket key on top of a key file,
 * written atomically (a private temporary file, then rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "ctl_tickets.h"
#include "tls/tickets.h"

/* The full text is attlsctl help tickets (ctl_help.c); this is the reminder. */
static void
ctl_tickets_usage(FILE *out)
{
	fputs("usage: attlsctl tickets rotate FILE [--staged | --promote] [--keep N]\n"
	      "attlsctl: see attlsctl help tickets\n",
	      out);
}

/* Writes 'n' keys to a new file next to 'path' and renames it over 'path'. */
static int
write_keys(const char *path, unsigned char keys[][TICKETS_KEY_BYTES], size_t n,
	   const struct stat *old)
{
	char tmp[4096], line[128], dirbuf[4096];
	unsigned char rnd[4];
	size_t i;
	int fd = -1, dfd, ret = ATTLS_EIO;
	FILE *f = NULL;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ATTLS_ETLS;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%02x%02x%02x%02x", path, rnd[0], rnd[1],
			     rnd[2], rnd[3]) >= sizeof(tmp))
		return ATTLS_EINVAL;
	/* O_EXCL: never through a file or link someone else put there. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		fprintf(stderr, "attlsctl: cannot create %s: %s\n", tmp, strerror(errno));
		return ATTLS_EIO;
	}
	if (old && fchown(fd, old->st_uid, old->st_gid) != 0 && geteuid() == 0)
		fprintf(stderr, "attlsctl: %s keeps the owner attlsctl runs as: %s\n", path,
			strerror(errno));
	if (fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w")))
		goto out;
	fd = -1;
	fprintf(f, "# attlsd session ticket keys: the first encrypts, all decrypt.\n"
		   "# Written by attlsctl tickets rotate; keep mode 0600.\n");
	for (i = 0; i < n; i++) {
		tickets_key_format(keys[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	/* The rename itself must survive a crash. */
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (ret != 0) {
		fprintf(stderr, "attlsctl: cannot write %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* enum of rotate()'s 'how' */
enum { ROTATE_TOP, ROTATE_STAGED, ROTATE_PROMOTE };

static int
rotate(const char *path, int how, size_t keep)
{
	unsigned char keys[TICKETS_MAX_KEYS + 1][TICKETS_KEY_BYTES], fresh[TICKETS_KEY_BYTES];
	char err[512];
	struct stat st;
	size_t n = 0, at;
	int r, have_old = stat(path, &st) == 0;

	if (have_old) {
		if ((r = tickets_file_read(path, keys, TICKETS_MAX_KEYS, err, sizeof(err))) < 0) {
			fprintf(stderr, "attlsctl: %s\n", err);
			return 1;
		}
		n = (size_t)r;
	} else if (errno != ENOENT) {
		fprintf(stderr, "attlsctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (how == ROTATE_PROMOTE) {
		if (n < 2) {
			fprintf(stderr, "attlsctl: %s has no second key to promote\n", path);
			return 1;
		}
		memcpy(fresh, keys[1], TICKETS_KEY_BYTES);
		memcpy(keys[1], keys[0], TICKETS_KEY_BYTES);
		memcpy(keys[0], fresh, TICKETS_KEY_BYTES);
		at = 0;
	} else if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
		fprintf(stderr, "attlsctl: no random bytes for a key\n");
		return 1;
	} else {
		at = how == ROTATE_STAGED && n ? 1 : 0;
		memmove(keys[at + 1], keys[at], (n - at) * TICKETS_KEY_BYTES);
		memcpy(keys[at], fresh, TICKETS_KEY_BYTES);
		n++;
	}
	OPENSSL_cleanse(fresh, sizeof(fresh));
	n = n < keep ? n : keep;
	r = write_keys(path, keys, n, have_old ? &st : NULL);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (r != 0)
		return 1;
	printf("%s: %zu key%s, the %s one %s\n", path, n, n == 1 ? "" : "s",
	       how == ROTATE_PROMOTE ? "promoted" : "new",
	       at ? "second (decrypts only until promoted)" : "first (encrypts)");
	return 0;
}

int
ctl_tickets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "staged", no_argument, NULL, 's' },
		{ "promote", no_argument, NULL, 'p' },
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, how = ROTATE_TOP;
	long keep = 3;
	char *end;

	if (argc < 2 || strcmp(argv[1], "rotate") != 0) {
		ctl_tickets_usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "spk:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			how = ROTATE_STAGED;
			break;
		case 'p':
			how = ROTATE_PROMOTE;
			break;
		case 'k':
			keep = strtol(optarg, &end, 10);
			if (*end || keep < 2 || keep > TICKETS_MAX_KEYS) {
				fprintf(stderr, "attlsctl: --keep must be 2 to %d\n", TICKETS_MAX_KEYS);
				return 2;
			}
			break;
		case 'h':
			ctl_tickets_usage(stdout);
			return 0;
		default:
			ctl_tickets_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		ctl_tickets_usage(stderr);
		return 2;
	}
	return rotate(argv[optind], how, (size_t)keep);
}

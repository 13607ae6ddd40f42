/* SPDX-License-Identifier: Apache-2.0 */
/* The capture writer's list of the pcap files in capture_dir, oldest first:
 * one directory scan when it starts or the policy is reloaded, then kept up to
 * date, so an attacker's failed handshakes cost no scan each. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "capfiles.h"

struct capfile_seen {
	char *name;
	struct timespec mtime;
};

static int
capfile_seen_cmp(const void *a, const void *b)
{
	const struct capfile_seen *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name); /* names start with the CONNID */
}

static bool
capfiles_is_pcap(const char *name)
{
	size_t l = strlen(name);

	return l > 5 && strcmp(name + l - 5, ".pcap") == 0;
}

/* Room for one more name at the tail. */
static int
capfiles_reserve(struct capfiles *f)
{
	size_t size = f->size ? f->size * 2 : 64, i;
	char **v;

	if (f->n < f->size)
		return 0;
	if (!(v = calloc(size, sizeof(*v))))
		return ATTLS_ENOMEM;
	for (i = 0; i < f->n; i++)
		v[i] = f->name[(f->head + i) % f->size];
	free(f->name);
	f->name = v;
	f->head = 0;
	f->size = size;
	return 0;
}

static int
capfiles_push(struct capfiles *f, char *name /* taken */)
{
	int r;

	if ((r = capfiles_reserve(f)) != 0) {
		free(name);
		return r;
	}
	f->name[(f->head + f->n) % f->size] = name;
	f->n++;
	return 0;
}

int
capfiles_add(struct capfiles *f, const char *name)
{
	char *s = strdup(name);

	return s ? capfiles_push(f, s) : ATTLS_ENOMEM;
}

/* The pcap files of 'dirfd' in '*out', unsorted. */
static int
capfiles_read(int dirfd, struct capfile_seen **out, size_t *count)
{
	struct capfile_seen *v = NULL, *nv;
	size_t n = 0, size = 0;
	struct dirent *e;
	struct stat st;
	int fd = dup(dirfd), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return ATTLS_EIO;
	}
	rewinddir(d);
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (!capfiles_is_pcap(e->d_name) ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == size) {
			size = size ? size * 2 : 64;
			if (!(nv = realloc(v, size * sizeof(*v)))) {
				r = ATTLS_ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n].name = strdup(e->d_name))) {
			r = ATTLS_ENOMEM;
			break;
		}
		v[n++].mtime = st.st_mtim;
	}
	closedir(d);
	*out = v;
	*count = n;
	return r;
}

int
capfiles_scan(struct capfiles *f, int dirfd, const char *dir)
{
	struct capfile_seen *v = NULL;
	size_t n = 0, i = 0;
	int r;

	capfiles_cleanup(f);
	if ((r = capfiles_read(dirfd, &v, &n)) != 0)
		goto out;
	if (n) /* an empty directory: v is NULL, which qsort() may not be given */
		qsort(v, n, sizeof(*v), capfile_seen_cmp);
	for (; i < n && r == 0; i++) {
		r = capfiles_push(f, v[i].name);
		v[i].name = NULL;
	}
	if (r == 0 && !(f->dir = strdup(dir)))
		r = ATTLS_ENOMEM;
out:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	if (r != 0)
		capfiles_cleanup(f);
	return r;
}

bool
capfiles_is_of(const struct capfiles *f, const char *dir)
{
	return f->dir && strcmp(f->dir, dir) == 0;
}

void
capfiles_trim(struct capfiles *f, int dirfd, unsigned max)
{
	char keys[300];

	while (f->n > max) {
		char *name = f->name[f->head];
		size_t l = strlen(name);

		/* Gone already (an operator cleaned up) is as good as removed. */
		(void)unlinkat(dirfd, name, 0);
		snprintf(keys, sizeof(keys), "%.*s.keys", (int)(l - 5), name);
		(void)unlinkat(dirfd, keys, 0);
		free(name);
		f->name[f->head] = NULL;
		f->head = (f->head + 1) % f->size;
		f->n--;
	}
}

void
capfiles_cleanup(struct capfiles *f)
{
	while (f->n) {
		free(f->name[f->head]);
		f->head = (f->head + 1) % f->size;
		f->n--;
	}
	free(f->name);
	free(f->dir);
	f->name = NULL;
	f->dir = NULL;
	f->head = f->size = 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the capture writer's parts that need no socket: the queue's
 * bounds and the per-minute quota (diag/capwriter.c), the list of files that
 * rotation works from (diag/capfiles.c), and a capture file appearing whole or
 * not at all (diag/capture.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "diag/capfiles.h"
#include "diag/capture.h"
#include "diag/capture_int.h"
#include "diag/capwriter.h"

static struct capture *
cap_new(size_t mem)
{
	struct capture *cap = calloc(1, sizeof(*cap));

	assert_non_null(cap);
	cap->mem = mem;
	cap->stopped = true;
	return cap;
}

/* Empties 'q', freeing what it held; returns how many. */
static unsigned
drain(struct capwriter_queue *q)
{
	struct capture *cap;
	unsigned n = 0;

	while ((cap = capwriter_queue_pop(q)) != NULL) {
		capture_free(cap);
		n++;
	}
	assert_int_equal(q->count, 0);
	assert_int_equal(q->bytes, 0);
	return n;
}

static void
test_queue_count_bound(void **state)
{
	struct capwriter_queue q = { 0 };
	struct capture *extra = cap_new(100);
	unsigned i;

	(void)state;
	for (i = 0; i < CAPWRITER_MAX_QUEUED; i++)
		assert_int_equal(capwriter_queue_push(&q, cap_new(100), 10, 0), CAPWRITER_QUEUED);
	assert_int_equal(capwriter_queue_push(&q, extra, 10, 0), CAPWRITER_FULL);
	/* One written: room for one more. */
	capture_free(capwriter_queue_pop(&q));
	assert_int_equal(capwriter_queue_push(&q, extra, 10, 0), CAPWRITER_QUEUED);
	assert_int_equal(drain(&q), CAPWRITER_MAX_QUEUED);
}

static void
test_queue_bytes_bound(void **state)
{
	struct capwriter_queue q = { 0 };
	struct capture *a = cap_new(40u << 20), *b = cap_new(40u << 20);

	(void)state;
	assert_int_equal(capwriter_queue_push(&q, a, 10, 0), CAPWRITER_QUEUED);
	assert_int_equal(capwriter_queue_push(&q, b, 10, 0), CAPWRITER_FULL);
	assert_ptr_equal(capwriter_queue_pop(&q), a);
	capture_free(a);
	assert_int_equal(capwriter_queue_push(&q, b, 10, 0), CAPWRITER_QUEUED);
	assert_int_equal(drain(&q), 1);
}

static void
test_queue_fifo(void **state)
{
	struct capwriter_queue q = { 0 };
	struct capture *c[3] = { cap_new(1), cap_new(2), cap_new(3) };
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(capwriter_queue_push(&q, c[i], 10, 0), CAPWRITER_QUEUED);
	assert_int_equal(q.bytes, 6);
	for (i = 0; i < 3; i++) {
		struct capture *got = capwriter_queue_pop(&q);

		assert_ptr_equal(got, c[i]);
		capture_free(got);
	}
	assert_null(capwriter_queue_pop(&q));
	assert_int_equal(q.bytes, 0);
}

/* capture_max_per_minute 3: three in the minute that opened at second 100,
 * none more until second 160, where a new minute opens. */
static void
test_queue_rate_per_minute(void **state)
{
	struct capwriter_queue q = { 0 };
	struct capture *late = cap_new(1);
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(capwriter_queue_push(&q, cap_new(1), 100 + i, 3),
				 CAPWRITER_QUEUED);
	assert_int_equal(capwriter_queue_push(&q, late, 130, 3), CAPWRITER_RATE);
	/* Written meanwhile: the quota counts what was queued, not what waits. */
	drain(&q);
	assert_int_equal(capwriter_queue_push(&q, late, 159, 3), CAPWRITER_RATE);
	assert_int_equal(capwriter_queue_push(&q, late, 160, 3), CAPWRITER_QUEUED);
	for (i = 0; i < 2; i++)
		assert_int_equal(capwriter_queue_push(&q, cap_new(1), 161, 3), CAPWRITER_QUEUED);
	late = cap_new(1);
	assert_int_equal(capwriter_queue_push(&q, late, 200, 3), CAPWRITER_RATE);
	/* 0: no limit. */
	assert_int_equal(capwriter_queue_push(&q, late, 200, 0), CAPWRITER_QUEUED);
	assert_int_equal(drain(&q), 4);
}

/* A capture refused because the queue is full does not use the quota. */
static void
test_queue_full_does_not_use_quota(void **state)
{
	struct capwriter_queue q = { 0 };
	struct capture *big = cap_new(CAPWRITER_MAX_BYTES), *b = cap_new(1);

	(void)state;
	assert_int_equal(capwriter_queue_push(&q, big, 100, 2), CAPWRITER_QUEUED);
	assert_int_equal(capwriter_queue_push(&q, b, 100, 2), CAPWRITER_FULL);
	drain(&q);
	assert_int_equal(capwriter_queue_push(&q, b, 100, 2), CAPWRITER_QUEUED);
	b = cap_new(1);
	assert_int_equal(capwriter_queue_push(&q, b, 100, 2), CAPWRITER_RATE);
	capture_free(b);
	assert_int_equal(drain(&q), 1);
}

/* ---- capfiles ---- */

struct dir {
	char path[64];
	int fd;
};

static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	snprintf(d->path, sizeof(d->path), "/tmp/test_capwriter.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
	assert_true(d->fd >= 0);
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

/* A file NAME in 'd' with modification time 'mtime'. */
static void
touch(struct dir *d, const char *name, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(utimensat(d->fd, name, ts, 0), 0);
}

static bool
exists(struct dir *d, const char *name)
{
	struct stat st;

	return fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
test_capfiles_scan_oldest_first(void **state)
{
	struct dir *d = *state;
	struct capfiles f = { 0 };

	touch(d, "0000000A-x.pcap", 3000);
	touch(d, "0000000B-x.pcap", 1000);
	touch(d, "0000000B-x.keys", 1000);
	touch(d, "0000000C-x.pcap", 2000);
	touch(d, "0000000D-x.pcap", 2000); /* same time: by name */
	touch(d, "notes.txt", 10);
	assert_int_equal(mkdirat(d->fd, "old.pcap", 0700), 0);
	assert_int_equal(symlinkat("/etc/passwd", d->fd, "link.pcap"), 0);

	assert_false(capfiles_is_of(&f, d->path));
	assert_int_equal(capfiles_scan(&f, d->fd, d->path), 0);
	assert_true(capfiles_is_of(&f, d->path));
	assert_false(capfiles_is_of(&f, "/elsewhere"));
	assert_int_equal(f.n, 4); /* regular *.pcap files only */
	capfiles_trim(&f, d->fd, 2);
	assert_false(exists(d, "0000000B-x.pcap"));
	assert_false(exists(d, "0000000B-x.keys"));
	assert_false(exists(d, "0000000C-x.pcap"));
	assert_true(exists(d, "0000000D-x.pcap"));
	assert_true(exists(d, "0000000A-x.pcap"));
	assert_true(exists(d, "notes.txt"));
	assert_true(exists(d, "old.pcap"));
	assert_true(exists(d, "link.pcap"));
	capfiles_cleanup(&f);
	assert_false(capfiles_is_of(&f, d->path));
}

/* Past the scan, files come in order of writing; the ring wraps and grows. */
static void
test_capfiles_add_and_trim(void **state)
{
	struct dir *d = *state;
	struct capfiles f = { 0 };
	char name[32];
	int i;

	assert_int_equal(capfiles_scan(&f, d->fd, d->path), 0);
	assert_int_equal(f.n, 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "%08X-t.pcap", i);
		touch(d, name, 5000); /* the list, not the times, decides */
		assert_int_equal(capfiles_add(&f, name), 0);
		capfiles_trim(&f, d->fd, 50);
		assert_true(f.n <= 50);
	}
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "%08X-t.pcap", i);
		assert_int_equal(exists(d, name), i >= 250);
	}
	/* A file removed by hand meanwhile is simply gone from the list. */
	assert_int_equal(unlinkat(d->fd, "000000FA-t.pcap", 0), 0);
	capfiles_trim(&f, d->fd, 10);
	assert_int_equal(f.n, 10);
	assert_true(exists(d, "00000122-t.pcap"));
	assert_false(exists(d, "00000121-t.pcap"));
	capfiles_cleanup(&f);
}

/* ---- capture_write ---- */

static struct capture *
cap_v4(const char *name)
{
	struct capture *cap = cap_new(0);

	cap->us.in.sin_family = AF_INET;
	cap->us.in.sin_port = htons(443);
	inet_pton(AF_INET, "192.0.2.1", &cap->us.in.sin_addr);
	cap->peer.in.sin_family = AF_INET;
	cap->peer.in.sin_port = htons(50000);
	inet_pton(AF_INET, "192.0.2.2", &cap->peer.in.sin_addr);
	snprintf(cap->name, sizeof(cap->name), "%s", name);
	return cap;
}

static void
test_capture_write_whole_or_nothing(void **state)
{
	struct dir *d = *state;
	struct capture *cap = cap_v4("00000001-t.pcap");
	struct stat st;
	bool kept;

	cap->keys = strdup("CLIENT_RANDOM 00 00\n");
	cap->keys_len = strlen(cap->keys);
	assert_int_equal(capture_write(cap, d->fd, &kept), 0);
	assert_true(kept);
	assert_int_equal(fstatat(d->fd, "00000001-t.pcap", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 24 + 3 * (16 + 40)); /* header, SYN, SYN-ACK, ACK */
	assert_true(exists(d, "00000001-t.keys"));
	assert_false(exists(d, "00000001-t.pcap.part"));
	capture_free(cap);

	/* An existing name is never written over, and nothing is left behind. */
	touch(d, "00000002-t.pcap", 100);
	cap = cap_v4("00000002-t.pcap");
	assert_int_not_equal(capture_write(cap, d->fd, &kept), 0);
	assert_int_equal(errno, EEXIST);
	assert_false(kept);
	assert_int_equal(fstatat(d->fd, "00000002-t.pcap", &st, 0), 0);
	assert_int_equal(st.st_size, 1);
	assert_false(exists(d, "00000002-t.pcap.part"));
	capture_free(cap);

	/* A key log's name taken costs only the key log. */
	touch(d, "00000003-t.keys", 100);
	cap = cap_v4("00000003-t.pcap");
	cap->keys = strdup("CLIENT_RANDOM 00 00\n");
	cap->keys_len = strlen(cap->keys);
	assert_int_not_equal(capture_write(cap, d->fd, &kept), 0);
	assert_int_equal(errno, EEXIST);
	assert_true(kept);
	assert_true(exists(d, "00000003-t.pcap"));
	assert_int_equal(fstatat(d->fd, "00000003-t.keys", &st, 0), 0);
	assert_int_equal(st.st_size, 1);
	capture_free(cap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_count_bound),
		cmocka_unit_test(test_queue_bytes_bound),
		cmocka_unit_test(test_queue_fifo),
		cmocka_unit_test(test_queue_rate_per_minute),
		cmocka_unit_test(test_queue_full_does_not_use_quota),
		cmocka_unit_test_setup_teardown(test_capfiles_scan_oldest_first, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_capfiles_add_and_trim, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_capture_write_whole_or_nothing, dir_setup,
						dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl keyring check: the keyring lint (keyring_lint.c) of a policy file,
 * offline, one finding per line on stdout. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/diag.h"
#include "common/err.h"
#include "policy/policy.h"
#include "ctl_keyring.h"
#include "tls/keyload.h"
#include "tls/keyring_lint.h"

#define CTL_KEYRING_USAGE                                                                  \
	"usage: attlsctl keyring check POLICY [--days N]\n"                                \
	"       attlsctl keyring stash FILE   (the secret on standard input)\n"

static void
ctl_keyring_print(const char *line, void *arg)
{
	fprintf(arg, "%s\n", line);
}

/* --days N: 0, or ATTLS_EINVAL. */
static int
ctl_keyring_days(const char *s, unsigned *out)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n > 36500 || s[0] == '-')
		return ATTLS_EINVAL;
	*out = (unsigned)n;
	return 0;
}

/* --help: the usage is printed, exit 0 (0 from ctl_keyring_args means go on). */
#define CTL_KEYRING_HELP (-1)

/* Options and the policy path; 0, CTL_KEYRING_HELP, or the exit status to return. */
static int
ctl_keyring_args(int argc, char **argv, struct keyring_lint_opts *o, const char **path)
{
	static const struct option opts[] = {
	        {"days", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (ctl_keyring_days(optarg, &o->days) != 0) {
				fprintf(stderr,
				        "attlsctl: --days wants a number of days (0..36500)\n");
				return 2;
			}
			break;
		case 'h':
			fputs(CTL_KEYRING_USAGE, stdout);
			return CTL_KEYRING_HELP;
		default:
			fputs(CTL_KEYRING_USAGE, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(CTL_KEYRING_USAGE, stderr);
		return 2;
	}
	*path = argv[optind];
	return 0;
}

static int
ctl_keyring_check(int argc, char **argv)
{
	struct keyring_lint_opts o = {KEYRING_LINT_DAYS, 0};
	struct diag_list dl;
	struct policy *p = NULL;
	const char *path = NULL;
	int r;

	if ((r = ctl_keyring_args(argc, argv, &o, &path)) != 0)
		return r == CTL_KEYRING_HELP ? 0 : r;
	diag_list_init(&dl);
	r = policy_load(path, &p, &dl);
	diag_print(&dl, stderr); /* the policy's own warnings too */
	diag_list_cleanup(&dl);
	if (r != 0) {
		fprintf(stderr, "attlsctl: %s: policy not loaded\n", path);
		return 2;
	}
	keyload_set_reader_policy(p); /* key files as attlsd's user will read them */
	r = keyring_lint(p, &o, ctl_keyring_print, stdout);
	policy_unref(p);
	if (r < 0) {
		fprintf(stderr, "attlsctl: %s: %s\n", path,
		        r == ATTLS_EIO ? "a keyring file cannot be read" : attls_strerror(r));
		return 2;
	}
	if (fflush(stdout) != 0)
		return 2;
	return r > 0 ? 1 : 0;
}

int
ctl_keyring(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "stash") == 0)
		return ctl_stash(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fputs(CTL_KEYRING_USAGE, stderr);
		return 2;
	}
	/* getopt sees "check" as the program name. */
	return ctl_keyring_check(argc - 1, argv + 1);
}

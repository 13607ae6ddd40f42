/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl keyring stash FILE: writes a token PIN or PEM passphrase, read from
 * standard input (without echo on a terminal), as a stash file for a keyring's
 * stash_file; never from the command line, where ps would show it. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "ctl_keyring.h"
#include "tls/keyload.h"

#define CTL_STASH_USAGE "usage: attlsctl keyring stash FILE   (the secret on standard input)\n"

/* One line of standard input, without its newline; echo off on a terminal.
 * 0, or ATTLS_EIO when there is none. */
static int
ctl_stash_read(char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	int ok;

	if (tty) {
		fputs("PIN or passphrase: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stderr);
	}
	if (!ok)
		return ATTLS_EIO;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
ctl_stash(int argc, char **argv)
{
	char secret[256], err[512];
	int r;

	if (argc != 2 || argv[1][0] == '-') {
		fputs(CTL_STASH_USAGE, argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (ctl_stash_read(secret, sizeof(secret)) != 0) {
		fprintf(stderr, "attlsctl: keyring stash: no secret on standard input\n");
		return 2;
	}
	r = keysecret_stash_write(argv[1], secret, err, sizeof(err));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r != 0) {
		fprintf(stderr, "attlsctl: keyring stash: %s\n", err);
		return 2;
	}
	fprintf(stderr, "attlsctl: %s written (mode 0600); name it in the keyring's stash_file\n",
		argv[1]);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl: operator tool. `attlsctl import pagent FILE...` turns z/OS Policy
 * Agent TTLS configuration into an attls YAML policy on stdout, `attlsctl export
 * pagent POLICY` the reverse; warnings and errors go to stderr as file:line:col,
 * like attlsd -t. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/diag.h"
#include "common/err.h"
#include "policy/pagent.h"
#include "ctl_intercept.h"
#include "ctl_keyring.h"
#include "ctl_tickets.h"
#include "ctl_policy.h"
#include "ctl_triage.h"

#define ATTLSCTL_SEE_HELP "attlsctl: see attlsctl help import\n"

static int
attlsctl_add_backend(const char *arg, struct pagent_backend **bs, size_t *n)
{
	const char *eq = strchr(arg, '=');
	struct pagent_backend *b;

	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, "attlsctl: --backend and --listen want RULE=HOST:PORT, not \"%s\"\n",
			arg);
		return ATTLS_EINVAL;
	}
	if (!(b = realloc(*bs, (*n + 1) * sizeof(*b))))
		return ATTLS_ENOMEM;
	*bs = b;
	b[*n].rule = strndup(arg, (size_t)(eq - arg));
	b[*n].endpoint = eq + 1;
	if (!b[*n].rule)
		return ATTLS_ENOMEM;
	(*n)++;
	return 0;
}

struct attlsctl_args {
	struct pagent_opts o;
	struct pagent_backend *backends, *listens;
	const char *map_path;
};

/* 0 to go on, 1 when done (help printed), or a negative ATTLS_E* code (usage
 * printed). */
static int
attlsctl_parse_args(int argc, char **argv, struct attlsctl_args *a)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "backend-port-offset", required_argument, NULL, 'o' },
		{ "keyring-map", required_argument, NULL, 'k' },
		{ "listen", required_argument, NULL, 'L' },
		{ "outbound-listen", required_argument, NULL, 'l' },
		{ "session-cache", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long off;
	char *end;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if ((r = attlsctl_add_backend(optarg, &a->backends, &a->o.nbackends)) != 0)
				return r;
			a->o.backends = a->backends;
			break;
		case 'o':
			errno = 0;
			off = strtoul(optarg, &end, 10);
			if (*end || !*optarg || errno || off > 65535) {
				fprintf(stderr, "attlsctl: --backend-port-offset wants 0..65535\n");
				return ATTLS_EINVAL;
			}
			a->o.port_offset = (unsigned)off;
			a->o.port_offset_set = true;
			break;
		case 'k':
			a->map_path = optarg;
			break;
		case 'L':
			if ((r = attlsctl_add_backend(optarg, &a->listens, &a->o.nlistens)) != 0)
				return r;
			a->o.listens = a->listens;
			break;
		case 'l':
			a->o.outbound_listen = optarg;
			break;
		case 's':
			a->o.session_cache = optarg;
			break;
		default: /* -h and --help: ctl_help_asked() answered before */
			fputs(ATTLSCTL_SEE_HELP, stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "attlsctl: import pagent needs at least one FILE\n");
		fputs(ATTLSCTL_SEE_HELP, stderr);
		return 1;
	}
	return 0;
}

static void
attlsctl_summary(const struct diag_list *dl, const char *what)
{
	if (dl->errors || dl->warnings)
		fprintf(stderr, "attlsctl: %u error%s, %u warning%s%s\n", dl->errors,
			dl->errors == 1 ? "" : "s", dl->warnings, dl->warnings == 1 ? "" : "s", what);
}

/* "attls policy imported by attlsctl from FILE...": the output's first line. */
static char *
attlsctl_comment(int argc, char **argv)
{
	size_t len = sizeof("attls policy imported by attlsctl from");
	char *s;
	int i;

	for (i = optind; i < argc; i++)
		len += 1 + strlen(argv[i]);
	if (!(s = malloc(len)))
		return NULL;
	strcpy(s, "attls policy imported by attlsctl from");
	for (i = optind; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int
attlsctl_import(int argc, char **argv)
{
	struct attlsctl_args a = { { 0 }, NULL, NULL, NULL };
	struct diag_list dl;
	char *comment = NULL;
	int code;
	size_t k;

	diag_list_init(&dl);
	if ((code = attlsctl_parse_args(argc, argv, &a)) != 0) {
		code = code < 0 ? 1 : 0;
		goto out;
	}
	code = 1;
	if (!(comment = attlsctl_comment(argc, argv))) {
		fprintf(stderr, "attlsctl: out of memory\n");
		goto out;
	}
	if (yemit_pagent((const char *const *)argv + optind, (size_t)(argc - optind), &a.o,
			 a.map_path, comment, stdout, &dl) == 0)
		code = fflush(stdout) == 0 ? 0 : 1;
	diag_print(&dl, stderr);
	attlsctl_summary(&dl, code ? "; nothing written" : "");
out:
	for (k = 0; k < a.o.nbackends; k++)
		free((char *)a.backends[k].rule);
	for (k = 0; k < a.o.nlistens; k++)
		free((char *)a.listens[k].rule);
	free(a.backends);
	free(a.listens);
	free(comment);
	diag_list_cleanup(&dl);
	return code;
}

/* Help for every subcommand, from one table (ctl_help.c). */
#include "ctl_help.h"

/* `attlsctl export pagent POLICY.yaml`: the reverse of the import. */
static int
attlsctl_export(int argc, char **argv)
{
	struct diag_list dl;
	int code = 1;

	if (argc != 2) {
		fprintf(stderr, "attlsctl: export pagent needs one POLICY file\n"
				"attlsctl: see attlsctl help export\n");
		return 1;
	}
	diag_list_init(&dl);
	if (pagent_export(argv[1], stdout, &dl) == 0)
		code = fflush(stdout) == 0 ? 0 : 1;
	diag_print(&dl, stderr);
	attlsctl_summary(&dl, code ? "; nothing written" : "");
	diag_list_cleanup(&dl);
	return code;
}

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		ctl_help_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (strcmp(argv[1], "help") == 0)
		return ctl_help_main(argc - 1, argv + 1);
	if (ctl_help_asked(argc, argv))
		return 0;
	if (argc >= 3 && strcmp(argv[1], "filter") == 0 && strcmp(argv[2], "export") == 0)
		return ctl_policy_filter_export(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "triage") == 0)
		return ctl_triage(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return ctl_policy_explain(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "intercept") == 0)
		return ctl_intercept(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "keyring") == 0)
		return ctl_keyring(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "tickets") == 0)
		return ctl_tickets(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "policy") == 0 && strcmp(argv[2], "show") == 0)
		return ctl_query_show(argc - 2, argv + 2, "POLICY\n");
	if (argc >= 2 && strcmp(argv[1], "connections") == 0)
		return ctl_query_show(argc - 1, argv + 1, "CONNS\n");
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return ctl_query(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return ctl_query_init(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "export") == 0 && strcmp(argv[2], "pagent") == 0)
		return attlsctl_export(argc - 2, argv + 2);
	if (argc < 3 || strcmp(argv[1], "import") != 0 || strcmp(argv[2], "pagent") != 0) {
		ctl_help_usage(stderr);
		return 1;
	}
	/* getopt sees "pagent" as the program name and the rest as arguments. */
	return attlsctl_import(argc - 2, argv + 2);
}

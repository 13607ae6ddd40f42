/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl: operator tool. `attlsctl import pagent FILE...` turns z/OS Policy
 * Agent TTLS configuration into an attls YAML policy on stdout; warnings and
 * errors go to stderr as file:line:col, like attlsd -t. */
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
#include "policy/ytree.h"

#define ATTLSCTL_MAX_MAP (1u << 20)

static void
attlsctl_usage(FILE *out)
{
	fprintf(out,
		"Usage: attlsctl import pagent [OPTIONS] FILE...\n"
		"       attlsctl filter export --nft POLICY\n"
		"       attlsctl policy show [-s SOCKET]       (the running daemon's policy)\n"
		"       attlsctl connections [-s SOCKET]       (its live connections)\n"
		"       attlsctl triage --pcap FILE --policy POLICY\n"
		"       attlsctl explain -f POLICY --src ADDR[:PORT] --dst ADDR:PORT\n"
		"                        [--at 'YYYY-MM-DD HH:MM[:SS][ UTC]'] [--outbound]\n"
		"                        [--cert CLIENT.pem]\n"
		"       attlsctl intercept plan|up|down POLICY\n"
		"       attlsctl keyring check POLICY [--days N]\n"
		"       attlsctl tickets rotate FILE [--staged|--promote] [--keep N]\n"
		"       attlsctl query [-s SOCKET] [--cert] LOCAL-ADDR:PORT REMOTE-ADDR:PORT\n"
		"       attlsctl init [-s SOCKET] (--fd N | LOCAL-ADDR:PORT REMOTE-ADDR:PORT)\n\n"
		"import pagent: writes the attls YAML policy equivalent to z/OS Policy Agent\n"
		"TTLS files.\n"
		"filter export --nft: the policy's IP filters as an nftables ruleset.\n"
		"explain: which IP filter and which TTLS rule a connection would meet, and why.\n"
		"intercept: prints, applies or removes the nftables rules (own table) and policy\n"
		"routing that divert what the policy's intercept rules name to attlsd.\n"
		"keyring check: certificates expiring within N days (default 30), keys that do\n"
		"not match, incomplete chains, missing SANs, key usage, key types no allowed\n"
		"cipher or signature pair can use, weak RSA keys, same-named CAs; exit 0 clean,\n"
		"1 findings, 2 cannot load.\n"
		"tickets rotate: a new session ticket key first in a shared key file.\n"
		"query: asks attlsd about a connection as the local application sees it\n"
		"(its own address, then its peer's): policy and connection status, protocol,\n"
		"cipher, user ID, and with --cert the peer certificate.\n"
		"init: starts TLS on an application_controlled connection (TTLS_INIT_CONNECTION);\n"
		"--fd: the connected socket N this process inherited.\n\n"
		"Options of import pagent:\n"
		"  --backend RULE=HOST:PORT   plaintext server of an inbound rule (repeatable)\n"
		"  --backend-port-offset N    backend = 127.0.0.1:(LocalPort + N) for the others\n"
		"                             (default 10000, with a warning per rule)\n"
		"  --keyring-map MAP.yaml     SAF key ring name -> {certificate, key, trusted_ca}\n"
		"  -h, --help                 this text\n");
}

/* Reads the keyring map: a YAML mapping of ring name -> mapping of paths. */
static int
attlsctl_read_map(const char *path, struct ynode **out, struct diag_list *dl)
{
	struct diag_pos pos = { diag_add_source(dl, path, NULL, 0), 0, 0 };
	char *text = NULL;
	const char *file;
	size_t len;
	FILE *f;
	int r;

	*out = NULL;
	if (!(f = fopen(path, "r"))) {
		diag_error(dl, pos, "cannot open the keyring map: %s", strerror(errno));
		return ATTLS_EIO;
	}
	if (!(text = malloc(ATTLSCTL_MAX_MAP + 1))) {
		fclose(f);
		return ATTLS_ENOMEM;
	}
	len = fread(text, 1, ATTLSCTL_MAX_MAP, f);
	fclose(f);
	text[len] = '\0';
	file = diag_add_source(dl, path, text, len);
	r = ytree_parse(file, text, len, out, dl);
	free(text);
	if (r == 0 && (*out)->type != YNODE_MAP) {
		diag_error(dl, (*out)->pos, "the keyring map must map ring names to "
					    "{ certificate, key, trusted_ca }");
		r = ATTLS_EINVAL;
	}
	return r;
}

static int
attlsctl_add_backend(const char *arg, struct pagent_backend **bs, size_t *n)
{
	const char *eq = strchr(arg, '=');
	struct pagent_backend *b;

	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, "attlsctl: --backend wants RULE=HOST:PORT, not \"%s\"\n", arg);
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
	struct pagent_backend *backends;
	const char *map_path;
};

static int
attlsctl_parse_args(int argc, char **argv, struct attlsctl_args *a)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "backend-port-offset", required_argument, NULL, 'o' },
		{ "keyring-map", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long off;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (attlsctl_add_backend(optarg, &a->backends, &a->o.nbackends))
				return 1;
			a->o.backends = a->backends;
			break;
		case 'o':
			errno = 0;
			off = strtoul(optarg, &end, 10);
			if (*end || !*optarg || errno || off > 65535) {
				fprintf(stderr, "attlsctl: --backend-port-offset wants 0..65535\n");
				return 1;
			}
			a->o.port_offset = (unsigned)off;
			a->o.port_offset_set = true;
			break;
		case 'k':
			a->map_path = optarg;
			break;
		case 'h':
			attlsctl_usage(stdout);
			return -1;
		default:
			attlsctl_usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "attlsctl: import pagent needs at least one FILE\n");
		attlsctl_usage(stderr);
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

static int
attlsctl_import(int argc, char **argv)
{
	struct attlsctl_args a = { { 0 }, NULL, NULL };
	struct ynode *map = NULL, *root = NULL;
	struct diag_list dl;
	int code, i;
	size_t k;

	diag_list_init(&dl);
	if ((code = attlsctl_parse_args(argc, argv, &a)) != 0) {
		code = code < 0 ? 0 : 1;
		goto out;
	}
	code = 1;
	if (a.map_path && attlsctl_read_map(a.map_path, &map, &dl) != 0)
		goto report;
	a.o.keyring_map = map;
	if (pagent_load((const char *const *)argv + optind, (size_t)(argc - optind), &a.o, &root,
			&dl) != 0)
		goto report;
	printf("# attls policy imported by attlsctl from");
	for (i = optind; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	yemit_tree(root, stdout);
	code = fflush(stdout) == 0 ? 0 : 1;
report:
	diag_print(&dl, stderr);
	attlsctl_summary(&dl, code ? "; nothing written" : "");
out:
	for (k = 0; k < a.o.nbackends; k++)
		free((char *)a.backends[k].rule);
	free(a.backends);
	ytree_free(map);
	ytree_free(root);
	diag_list_cleanup(&dl);
	return code;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		attlsctl_usage(stdout);
		return 0;
	}
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
	if (argc < 3 || strcmp(argv[1], "import") != 0 || strcmp(argv[2], "pagent") != 0) {
		attlsctl_usage(stderr);
		return 1;
	}
	/* getopt sees "pagent" as the program name and the rest as arguments. */
	return attlsctl_import(argc - 2, argv + 2);
}

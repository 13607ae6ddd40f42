/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommand table of attlsctl, printed as --help, as `attlsctl help
 * SUBCOMMAND` and as the man page attlsctl(8), and listed for the bash
 * completion, so that none of them can drift from the others. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "common/compiler.h"
#include "common/roff.h"
#include "ctl_help.h"

#define CTL_HELP_OPTS 8

struct ctl_help_opt {
	const char *flags; /* "-s, --socket" */
	const char *arg;   /* "SOCKET", or NULL for none */
	const char *text;
};

struct ctl_help_cmd {
	const char *name;     /* the first word */
	const char *words;    /* the second words it takes ("plan up down"), or NULL */
	const char *synopsis; /* after "attlsctl " */
	const char *summary;
	const char *text;
	struct ctl_help_opt opts[CTL_HELP_OPTS];
	const char *exits; /* lines "N meaning" */
	const char *example;
};

#define SOCKET_OPT { "-s, --socket", "SOCKET", "attlsd's control socket (default /run/attlsd.sock)" }
#define HELP_OPT { "-h, --help", NULL, "this subcommand's help" }

static const struct ctl_help_cmd ctl_help_cmds[] = {
	{ "import", "pagent", "import pagent [OPTIONS] FILE...",
	  "z/OS Policy Agent TTLS files -> an attls YAML policy",
	  "Writes the attls YAML policy equivalent to z/OS Policy Agent TTLS configuration files "
	  "to stdout; warnings and errors go to stderr as file:line:col, like attlsd -t.",
	  { { "--backend", "RULE=HOST:PORT", "plaintext server of an inbound rule (repeatable)" },
	    { "--backend-port-offset", "N",
	      "backend = 127.0.0.1:(LocalPort + N) for the others (default 10000, with a warning "
	      "per rule)" },
	    { "--keyring-map", "MAP.yaml", "SAF key ring name -> {certificate, key, trusted_ca}" },
	    { "--listen", "RULE=HOST:PORT",
	      "where attlsd listens for a rule on all ports (or one Outbound rule's diverted "
	      "connections go)" },
	    { "--outbound-listen", "HOST:PORT",
	      "where Outbound rules' diverted connections go (default 127.0.0.1:15443)" },
	    { "--session-cache", "URL",
	      "settings.session_cache for GSK_SYSPLEX_SIDCACHE On (redis://HOST:PORT)" },
	    HELP_OPT },
	  "0 the policy was written\n1 errors (nothing written) or a bad command line",
	  "attlsctl import pagent --keyring-map rings.yaml TTLS.conf > /etc/attls/policy.yaml" },
	{ "export", "pagent", "export pagent POLICY",
	  "an attls YAML policy -> z/OS Policy Agent TTLS statements",
	  "Writes POLICY as Policy Agent TTLS statements to stdout, to compare with a z/OS "
	  "original or to take a Linux-tested policy back. What no statement can say (backends, "
	  "interception, keyring files, settings) goes into \"# attls-yaml:\" comment lines, "
	  "which z/OS ignores and attlsctl import pagent reads back, so importing the export "
	  "gives the same policy.",
	  { HELP_OPT },
	  "0 the statements were written\n1 POLICY cannot be read or parsed",
	  "attlsctl export pagent /etc/attls/policy.yaml > TTLS.policy" },
	{ "filter", "export", "filter export --nft POLICY",
	  "the policy's IP filters as an nftables ruleset",
	  "Prints the IP filters of POLICY as an nftables ruleset, for hosts that would rather "
	  "filter in the kernel.",
	  { { "--nft", NULL, "nftables syntax (the only one)" }, HELP_OPT },
	  "0 printed\n1 the policy has errors, or a bad command line",
	  "attlsctl filter export --nft /etc/attls/policy.yaml | nft -f -" },
	{ "policy", "show", "policy show [-s SOCKET]", "the running attlsd's policy",
	  "Prints the policy the running attlsd uses, defaults resolved, rule by rule in match "
	  "order (as attlsd -T does for a file).",
	  { SOCKET_OPT, HELP_OPT }, "0 printed\n1 attlsd cannot be reached",
	  "attlsctl policy show" },
	{ "connections", NULL, "connections [-s SOCKET]", "the running attlsd's live connections",
	  "One line per live connection that reached its backend: connection id, rule, the "
	  "addresses as the backend sees them, policy and connection status, protocol, cipher, "
	  "user.",
	  { SOCKET_OPT, HELP_OPT }, "0 printed\n1 attlsd cannot be reached",
	  "attlsctl connections" },
	{ "triage", NULL, "triage --pcap FILE --policy POLICY",
	  "offline: would the handshakes in a capture pass this policy?",
	  "For each TLS ClientHello in a capture (attlsd's own or tcpdump's): which rule would map "
	  "the connection, whether the handshake would pass (replayed against the rule's real TLS "
	  "context), and what the server side of the capture really did.",
	  { { "--pcap", "FILE", "the capture (pcap)" },
	    { "--policy", "POLICY", "the policy to judge it by" },
	    HELP_OPT },
	  "0 every handshake would pass\n1 some would fail\n2 a file cannot be read, or a bad "
	  "command line",
	  "attlsctl triage --pcap /var/lib/attlsd/capture/0000002A.pcap --policy "
	  "/etc/attls/policy.yaml" },
	{ "explain", NULL,
	  "explain -f POLICY --src ADDR[:PORT] --dst ADDR:PORT [--at TIME] [--outbound] "
	  "[--cert CLIENT.pem]",
	  "which filter and rule a connection would meet, and why",
	  "Which IP filter and which TTLS rule a connection would meet, and why each rule before "
	  "it did not match; with --cert, whether the rule would accept that client certificate.",
	  { { "-f, --policy", "POLICY", "the policy file (also accepted as the only argument)" },
	    { "--src", "ADDR[:PORT]", "the client's address (without a port: any)" },
	    { "--dst", "ADDR:PORT", "the address the client connects to" },
	    { "--at", "TIME", "'YYYY-MM-DD HH:MM[:SS][ UTC]': evaluate time conditions then "
			      "(local time unless UTC)" },
	    { "--outbound", NULL, "the connection is made by a local client (Outbound rules)" },
	    { "--cert", "CLIENT.pem", "a client certificate to check against the rule" },
	    HELP_OPT },
	  "0 explained\n1 the policy has errors, or a bad command line",
	  "attlsctl explain -f /etc/attls/policy.yaml --src 192.0.2.7 --dst 10.0.0.1:443" },
	{ "intercept", "plan up down", "intercept plan|up|down POLICY",
	  "divert the traffic of intercept rules to attlsd (nftables)",
	  "plan prints, up applies (atomically, rolling back on failure) and down removes the "
	  "nftables rules (in their own table) and policy routing that divert what the policy's "
	  "intercept rules name to attlsd. The systemd unit runs up after attlsd is ready and "
	  "down after it stops.",
	  { HELP_OPT }, "0 done\n1 the policy has errors, nft or ip failed (up rolled back), or a "
			"bad command line",
	  "attlsctl intercept plan /etc/attls/policy.yaml" },
	{ "keyring", "check stash", "keyring check POLICY [--days N] | keyring stash FILE",
	  "lint the certificates and keys of a policy; write a stash file",
	  "check: certificates expiring within N days, keys that do not match, incomplete "
	  "chains, missing SANs, key usage, key types no allowed cipher or signature pair can "
	  "use, weak RSA keys, same-named CAs, keys on PKCS#11 tokens (reached with the PIN); "
	  "one finding per line. stash: reads a token PIN or a PEM key passphrase from standard "
	  "input (never from the command line) and writes it to FILE, created with mode 0600, "
	  "for a keyring's stash_file.",
	  { { "--days", "N", "warn about certificates expiring within N days (default 30)" },
	    HELP_OPT },
	  "0 clean (check), written (stash)\n1 findings (check)\n2 the policy or a key file "
	  "cannot be loaded, or the stash file cannot be written",
	  "attlsctl keyring check /etc/attls/policy.yaml --days 60" },
	{ "tickets", "rotate", "tickets rotate FILE [--staged | --promote] [--keep N]",
	  "a new session ticket key first in a shared key file",
	  "Puts a new random session ticket key first in FILE (made if missing, mode 0600), the "
	  "file of settings.ticket_keys: attlsd encrypts new tickets with it and still decrypts "
	  "with the older keys. A fleet stages, copies the file to every host, then promotes "
	  "(doc/fleet.md). The file is written atomically; keys are never printed.",
	  { { "--staged", NULL, "put the new key second, where it only decrypts" },
	    { "--promote", NULL, "make the second key first and add none" },
	    { "--keep", "N", "keep at most N keys, 2 to 16 (default 3)" },
	    HELP_OPT },
	  "0 written\n1 the file cannot be read or written, or has no second key to promote\n"
	  "2 a bad command line",
	  "attlsctl tickets rotate /etc/attls/ticket.keys --staged" },
	{ "query", NULL, "query [-s SOCKET] [--cert] LOCAL-ADDR:PORT REMOTE-ADDR:PORT",
	  "ask attlsd about a connection, as its application sees it",
	  "Asks attlsd about a connection as the local application sees it (its own address "
	  "first, then its peer's): policy and connection status, protocol, cipher, user ID, rule "
	  "and connection id; with --cert the peer certificate. Only the owner of the local "
	  "socket (or root) may ask.",
	  { SOCKET_OPT, { "--cert", NULL, "also print the peer certificate (PEM)" }, HELP_OPT },
	  "0 answered\n1 refused, attlsd cannot be reached, or a bad command line\n2 attlsd holds "
	  "no such connection",
	  "attlsctl query 10.0.0.1:8080 192.0.2.7:50312" },
	{ "init", NULL, "init [-s SOCKET] (--fd N | LOCAL-ADDR:PORT REMOTE-ADDR:PORT)",
	  "start TLS on an application_controlled connection",
	  "Starts TLS on a connection whose rule has application_controlled On "
	  "(TTLS_INIT_CONNECTION), after what the application wrote in clear has left.",
	  { SOCKET_OPT, { "--fd", "N", "the connected socket N this process inherited" }, HELP_OPT },
	  "0 TLS started\n1 refused or failed, or a bad command line\n2 attlsd holds no such "
	  "connection",
	  "attlsctl init --fd 3" },
	{ "help", NULL, "help [SUBCOMMAND]", "help on one subcommand",
	  "Prints the help of SUBCOMMAND (the same as attlsctl SUBCOMMAND --help), or the "
	  "overview.",
	  { { "--man", NULL, "print this man page, attlsctl(8), in roff" },
	    { "--commands", NULL, "list the subcommands and their second words (for the bash "
				  "completion)" },
	    { "--options", "SUBCOMMAND", "list a subcommand's options (for the bash completion)" } },
	  "0 printed\n1 no such subcommand", "attlsctl help keyring" },
};

static const struct ctl_help_cmd *
ctl_help_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(ctl_help_cmds); i++)
		if (strcmp(ctl_help_cmds[i].name, name) == 0)
			return &ctl_help_cmds[i];
	return NULL;
}

void
ctl_help_usage(FILE *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ctl_help_cmds); i++)
		fprintf(out, "%s attlsctl %s\n", i ? "      " : "Usage:", ctl_help_cmds[i].synopsis);
	fputs("\n", out);
	for (i = 0; i < ARRAY_SIZE(ctl_help_cmds); i++)
		fprintf(out, "  %-12s %s\n", ctl_help_cmds[i].name, ctl_help_cmds[i].summary);
	fputs("\n  -h, --help   this text\n\n"
	      "attlsctl help SUBCOMMAND (or attlsctl SUBCOMMAND --help): its options and exit "
	      "codes.\n",
	      out);
}

/* Writes 'text' in lines of at most 78 columns, continuation lines indented
 * by 'indent'; the first goes on from column 'col' of the current line. */
static void
ctl_help_wrap(FILE *out, const char *text, int indent, int col)
{
	int n;
	bool first = true;

	while (*text) {
		text += strspn(text, " ");
		n = (int)strcspn(text, " ");
		if (!first && col + 1 + n > 78) {
			col = fprintf(out, "\n%*s", indent, "") - 1;
			first = true;
		}
		col += fprintf(out, "%s%.*s", first ? "" : " ", n, text);
		first = false;
		text += n;
	}
	fputc('\n', out);
}

static void
ctl_help_cmd(FILE *out, const struct ctl_help_cmd *c)
{
	const struct ctl_help_opt *o;
	const char *e, *nl;

	fprintf(out, "Usage: attlsctl %s\n%s\n\n", c->synopsis, c->summary);
	ctl_help_wrap(out, c->text, 0, 0);
	if (c->opts[0].flags)
		fputs("\nOptions:\n", out);
	for (o = c->opts; o < c->opts + CTL_HELP_OPTS && o->flags; o++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s", o->flags, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-26s  ", left);
		ctl_help_wrap(out, o->text, 30, 30);
	}
	fputs("\nExit status:\n", out);
	for (e = c->exits; *e; e = *nl ? nl + 1 : nl) {
		nl = strchr(e, '\n');
		if (!nl)
			nl = e + strlen(e);
		fprintf(out, "  %.*s\n", (int)(nl - e), e);
	}
	fprintf(out, "\nExample:\n  %s\n", c->example);
}

/* Roff for one subcommand of attlsctl(8). */
static void
ctl_help_man_cmd(FILE *out, const struct ctl_help_cmd *c)
{
	const struct ctl_help_opt *o;
	const char *e, *sp;

	fputs(".SS \"", out);
	roff_text(out, c->synopsis);
	fputs("\"\n", out);
	roff_text(out, c->text);
	fputs("\n", out);
	for (o = c->opts; o < c->opts + CTL_HELP_OPTS && o->flags; o++) {
		fputs(".TP\n.B ", out);
		roff_text(out, o->flags);
		if (o->arg) {
			fputs(" \\fI", out);
			roff_text(out, o->arg);
			fputs("\\fR", out);
		}
		fputs("\n", out);
		roff_text(out, o->text);
		fputs(".\n", out);
	}
	fputs(".PP\nExit status:\n", out);
	for (e = c->exits; *e; e = sp + strcspn(sp, "\n") + (sp[strcspn(sp, "\n")] ? 1 : 0)) {
		sp = strchr(e, ' ');
		fprintf(out, ".TP 4\n.B %.*s\n", (int)(sp - e), e);
		fprintf(out, "%.*s\n", (int)strcspn(sp + 1, "\n"), sp + 1);
	}
	fputs(".PP\nExample:\n.PP\n.RS\n.nf\n", out);
	roff_text(out, c->example);
	fputs("\n.fi\n.RE\n", out);
}

static void
ctl_help_man(FILE *out)
{
	size_t i;

	fputs(".TH ATTLSCTL 8 \"\" \"attls\" \"System Administration\"\n"
	      ".SH NAME\nattlsctl \\- operator tool of attlsd: explain, query, triage, import\n"
	      ".SH SYNOPSIS\n",
	      out);
	for (i = 0; i < ARRAY_SIZE(ctl_help_cmds); i++) {
		fputs(".B attlsctl\n", out);
		roff_text(out, ctl_help_cmds[i].synopsis);
		fputs("\n.br\n", out);
	}
	fputs(".SH DESCRIPTION\n"
	      "attlsctl works on policy files offline (explain, triage, keyring check, filter "
	      "export, intercept, import pagent) and asks the running \\fBattlsd\\fR(8) over its "
	      "control socket (policy show, connections, query, init). Every subcommand prints its "
	      "help with \\fB\\-\\-help\\fR or as \\fBattlsctl help\\fR \\fISUBCOMMAND\\fR.\n"
	      ".SH COMMANDS\n",
	      out);
	for (i = 0; i < ARRAY_SIZE(ctl_help_cmds); i++)
		ctl_help_man_cmd(out, &ctl_help_cmds[i]);
	fputs(".SH FILES\n.TP\n.I /etc/attls/policy.yaml\nthe policy of the attlsd service.\n"
	      ".TP\n.I /run/attlsd.sock\nattlsd's control socket (settings.control_socket).\n"
	      ".SH SEE ALSO\n\\fBattlsd\\fR(8), \\fBattls\\-policy\\fR(5), \\fBnft\\fR(8)\n",
	      out);
}

/* For the completion: the option words of a subcommand, each with its
 * argument name when it takes one ("--socket SOCKET"). */
static void
ctl_help_options(FILE *out, const struct ctl_help_cmd *c)
{
	const struct ctl_help_opt *o;
	const char *f;
	size_t n;

	for (o = c->opts; o < c->opts + CTL_HELP_OPTS && o->flags; o++)
		for (f = o->flags; *f; f += n + strspn(f + n, ", ")) {
			n = strcspn(f, ", ");
			fprintf(out, "%.*s%s%s\n", (int)n, f, o->arg ? " " : "", o->arg ? o->arg : "");
		}
}

int
ctl_help_main(int argc, char **argv)
{
	const struct ctl_help_cmd *c;
	size_t i;

	if (argc < 2) {
		ctl_help_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		argv[1] = "help";
	if (strcmp(argv[1], "--man") == 0) {
		ctl_help_man(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--commands") == 0) {
		for (i = 0; i < ARRAY_SIZE(ctl_help_cmds); i++)
			printf("%s%s%s\n", ctl_help_cmds[i].name, ctl_help_cmds[i].words ? " " : "",
			       ctl_help_cmds[i].words ? ctl_help_cmds[i].words : "");
		return 0;
	}
	if (strcmp(argv[1], "--options") == 0 && argc == 3 && (c = ctl_help_find(argv[2]))) {
		ctl_help_options(stdout, c);
		return 0;
	}
	if (!(c = ctl_help_find(argv[1]))) {
		fprintf(stderr, "attlsctl: no subcommand \"%s\"; attlsctl --help lists them\n", argv[1]);
		return 1;
	}
	ctl_help_cmd(stdout, c);
	return 0;
}

int
ctl_help_asked(int argc, char **argv)
{
	const struct ctl_help_cmd *c = argc >= 2 ? ctl_help_find(argv[1]) : NULL;
	int i;

	for (i = 2; c && i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_help_cmd(stdout, c);
			return 1;
		}
	return 0;
}

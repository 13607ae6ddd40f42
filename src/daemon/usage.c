/* SPDX-License-Identifier: Apache-2.0 */
/* attlsd's options, signals, files and exit codes as tables, printed as
 * --help and as the man page attlsd(8), so the two cannot drift. */
#include "config.h"

#include <string.h>

#include "common/compiler.h"
#include "common/roff.h"
#include "usage.h"

struct usage_opt {
	int val;	  /* the short letter, or USAGE_* */
	const char *name; /* the long name */
	const char *arg;  /* NULL: takes no argument */
	const char *help;
};

static const struct usage_opt usage_opts[] = {
	{ 'f', "policy", "FILE", "policy file (default " USAGE_DEFAULT_POLICY ")" },
	{ 'F', "foreground", NULL, "stay in the foreground and log to stderr" },
	{ 't', "test", NULL, "check the policy (and its keys) and exit 0 or 1" },
	{ 'T', "dump", NULL, "check, then print the effective policy in match order" },
	{ 'w', "workers", "N", "worker threads (default: settings.workers, else CPUs)" },
	{ 'p', "pidfile", "FILE", "write the process id to FILE" },
	{ 'd', "debug", NULL, "log debug messages" },
	{ USAGE_LIST_RC, "list-rc", NULL, "print the return-code table (Markdown) and exit" },
	{ USAGE_LIST_KEYS, "list-keys", NULL, "print the policy key reference (Markdown) and exit" },
	{ USAGE_MAN, "man", NULL, "print the man page attls-policy(5) (roff) and exit" },
	{ USAGE_MAN8, "man8", NULL, "print this man page, attlsd(8) (roff), and exit" },
	{ 'h', "help", NULL, "this text" },
	{ 'V', "version", NULL, "print the version and exit" },
};

/* Man page sections after OPTIONS: title, then roff body. */
static const char *const usage_sections[][2] = {
	{ "SIGNALS",
	  ".TP\n.B SIGHUP\n"
	  "Reload the policy file. The new policy is loaded and built completely (keys included) "
	  "before anything changes; an error leaves the running policy in force. Live connections "
	  "keep the policy they were mapped with. "
	  "\\fBsystemctl reload attlsd\\fR sends it.\n"
	  ".TP\n.BR SIGTERM \", \" SIGINT\n"
	  "Stop accepting, let live connections finish for up to settings.shutdown_timeout "
	  "seconds, then exit 0. A second signal closes them at once.\n"
	  ".TP\n.B SIGUSR1\n"
	  "Log the IP filter counters.\n" },
	{ "SYSTEMD",
	  "attlsd is a \\fBType=notify\\fR service: it sends READY=1 once every listener is bound "
	  "and the workers run, RELOADING=1 and READY=1 around a reload, STOPPING=1 when a stop "
	  "signal arrives, and a STATUS line with the policy generation and the number of live "
	  "connections.\n"
	  ".PP\n"
	  "With \\fBWatchdogSec=\\fR it pings every worker thread each third of the interval and "
	  "feeds the watchdog only while all of them answer, so a worker stuck in its loop makes "
	  "systemd restart the service.\n"
	  ".PP\n"
	  "Socket activation: a policy listener whose address a socket unit "
	  "(\\fBattlsd.socket\\fR) passed a listening socket for uses that socket; attlsd binds "
	  "the other listeners itself. A passed socket no listener names is logged and left "
	  "unused.\n" },
	{ "FILES",
	  ".TP\n.I /etc/attls/policy.yaml\nthe policy (see \\fBattls-policy\\fR(5)).\n"
	  ".TP\n.I /run/attlsd.sock\nthe control socket of \\fBattlsctl\\fR(8) and "
	  "libattlsquery (settings.control_socket).\n"
	  ".TP\n.I /var/lib/attlsd/capture\npcap files of rules with capture "
	  "(settings.capture_dir).\n"
	  ".TP\n.I /var/log/attlsd\nthe JSON event log, when settings.event_log names a file "
	  "there (rotated by logrotate).\n" },
	{ "ENVIRONMENT",
	  ".TP\n.B NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS\nset by systemd: see SYSTEMD above.\n"
	  ".TP\n.B TZ\nlocal time of the policy's time conditions, as it is at start\\-up.\n"
	  ".TP\n.B ${NAME}\nin a policy path, replaced by the environment variable NAME.\n" },
	{ "EXIT STATUS",
	  ".TP\n.B 0\nstopped by a signal after a clean shutdown; with \\-t or \\-T: the policy is "
	  "usable.\n"
	  ".TP\n.B 1\nthe policy has errors, a listener cannot be bound, or a bad command line.\n" },
	{ "EXAMPLES",
	  "Check a policy, then run in the foreground:\n"
	  ".PP\n.nf\n.RS\nattlsd \\-t \\-f /etc/attls/policy.yaml\n"
	  "attlsd \\-F \\-f /etc/attls/policy.yaml\n.RE\n.fi\n"
	  ".PP\nReload after editing the policy:\n"
	  ".PP\n.nf\n.RS\nsystemctl reload attlsd\n.RE\n.fi\n" },
	{ "SEE ALSO", "\\fBattlsctl\\fR(8), \\fBattls-policy\\fR(5), \\fBsystemd.service\\fR(5), "
		      "\\fBsystemd.socket\\fR(5)\n" },
};

void
usage_getopt(struct option *lo, char *shortopts)
{
	size_t i;
	char *s = shortopts;

	for (i = 0; i < ARRAY_SIZE(usage_opts) && i + 1 < USAGE_MAX_OPTS; i++) {
		lo[i] = (struct option){ usage_opts[i].name,
					 usage_opts[i].arg ? required_argument : no_argument, NULL,
					 usage_opts[i].val };
		if (usage_opts[i].val > ' ') {
			*s++ = (char)usage_opts[i].val;
			if (usage_opts[i].arg)
				*s++ = ':';
		}
	}
	lo[i] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

/* "-f, --policy FILE" or "    --list-rc" */
static void
usage_optname(const struct usage_opt *o, char *buf, size_t len)
{
	if (o->val > ' ')
		snprintf(buf, len, "-%c, --%s%s%s", o->val, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(buf, len, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void
usage_print(FILE *out)
{
	char name[48];
	size_t i;

	fprintf(out, "Usage: attlsd [-F] [-d] [-f POLICY] [-w WORKERS] [-p PIDFILE]\n"
		     "       attlsd -t|-T [-f POLICY]\n"
		     "Transparent TLS in front of unchanged servers, by AT-TLS-style policy.\n\n");
	for (i = 0; i < ARRAY_SIZE(usage_opts); i++) {
		usage_optname(&usage_opts[i], name, sizeof(name));
		fprintf(out, "  %-19s %s\n", name, usage_opts[i].help);
	}
}

void
usage_man(FILE *out)
{
	const struct usage_opt *o;
	size_t i;

	fputs(".TH ATTLSD 8 \"\" \"attls\" \"System Administration\"\n"
	      ".SH NAME\nattlsd \\- transparent TLS proxy driven by AT\\-TLS\\-style policy\n"
	      ".SH SYNOPSIS\n.B attlsd\n[\\-F] [\\-d] [\\-f \\fIPOLICY\\fR] [\\-w \\fIWORKERS\\fR] "
	      "[\\-p \\fIPIDFILE\\fR]\n.br\n.B attlsd\n\\-t|\\-T [\\-f \\fIPOLICY\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "attlsd applies TLS by policy in front of unchanged plaintext servers (and for "
	      "unchanged clients), the way z/OS AT\\-TLS does. Each listener of the policy accepts "
	      "connections, maps them to a rule, does the TLS handshake the rule asks for and relays "
	      "clear text to its backend. Every failure is logged as an EZD1286I line with a System "
	      "SSL return code, followed by an ATL1288I line with the cause.\n"
	      ".PP\nThe policy language is described in \\fBattls\\-policy\\fR(5); "
	      "\\fBattlsctl\\fR(8) explains, queries and triages.\n"
	      ".SH OPTIONS\n",
	      out);
	for (i = 0; i < ARRAY_SIZE(usage_opts); i++) {
		o = &usage_opts[i];
		fputs(".TP\n.B ", out);
		if (o->val > ' ')
			fprintf(out, "\\-%c, ", o->val);
		fputs("\\-\\-", out);
		roff_text(out, o->name);
		if (o->arg)
			fprintf(out, " \\fI%s\\fR", o->arg);
		fputc('\n', out);
		roff_text(out, o->help);
		fputs(".\n", out);
	}
	for (i = 0; i < ARRAY_SIZE(usage_sections); i++)
		fprintf(out, ".SH %s\n%s", usage_sections[i][0], usage_sections[i][1]);
}

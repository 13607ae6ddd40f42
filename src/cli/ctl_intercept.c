/* SPDX-License-Identifier: Apache-2.0 */
/* attlsctl intercept plan|up|down POLICY: the nftables rules (own table, so
 * that up and down touch nothing else) and, for tproxy and preserve_source,
 * the policy routing that divert exactly what the policy's intercept rules
 * name to attlsd's listeners. attlsd's own connections carry
 * settings.intercept_mark and are let through. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "policy/diag.h"
#include "policy/policy.h"
#include "ctl_intercept.h"
#include "ctl_policy.h"

#define CTL_INTERCEPT_TABLE "attls_intercept"

extern char **environ;

static bool
ctl_intercept_host_v6(const char *host)
{
	return strchr(host, ':') != NULL;
}

static bool
ctl_intercept_host_any(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* One nft rule per family the rule and its listener have in common. Inbound:
 * the rule's local side is the destination; outbound: the remote side is. */
static void
ctl_intercept_rule(FILE *out, const struct policy *p, const struct policy_rule *r, int mode,
		   bool outbound)
{
	const struct policy_listener *l = &p->listeners[r->listener];
	const struct policy_addrs *dst = outbound ? &r->remote_addr : &r->local_addr;
	const struct policy_addrs *src = outbound ? &r->local_addr : &r->remote_addr;
	const struct policy_ports *dport = outbound ? &r->remote_port : &r->local_port;
	const struct policy_ports *sport = outbound ? &r->local_port : &r->remote_port;
	bool v4 = !ctl_intercept_host_v6(l->host);

	fprintf(out, "\t\t# rule \"%s\" (priority %u)\n\t\t", r->name, r->priority);
	if (!policy_nft_addrs(out, dst, v4, "daddr") || !policy_nft_addrs(out, src, v4, "saddr")) {
		fprintf(out, "# names no %s address; listener %s is %s only\n", v4 ? "IPv4" : "IPv6",
			l->host, v4 ? "IPv4" : "IPv6");
		return;
	}
	fprintf(out, " meta l4proto tcp");
	if (dport->hi != 0) /* 0-0: no port named */
		policy_nft_ports(out, dport, "dport");
	if (sport->hi != 0)
		policy_nft_ports(out, sport, "sport");
	if (mode == POLICY_INTERCEPT_REDIRECT) {
		fprintf(out, " redirect to :%u\n", l->port);
		return;
	}
	if (ctl_intercept_host_any(l->host))
		fprintf(out, " tproxy %s to :%u", v4 ? "ip" : "ip6", l->port);
	else
		fprintf(out, v4 ? " tproxy ip to %s:%u" : " tproxy ip6 to [%s]:%u", l->host, l->port);
	fprintf(out, " meta mark set %u accept\n", p->settings.intercept_route_mark);
}

static bool
ctl_intercept_any(const struct policy *p, int mode, bool outbound, bool preserve)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (preserve ? r->preserve_source
			     : r->intercept == mode && (r->direction == POLICY_DIR_OUTBOUND) == outbound)
			return true;
	}
	return false;
}

static void
ctl_intercept_chain(FILE *out, const struct policy *p, const char *name, const char *hook,
		    int mode, bool outbound)
{
	size_t i;

	if (!ctl_intercept_any(p, mode, outbound, false))
		return;
	fprintf(out, "\tchain %s {\n\t\t%s; policy accept;\n", name, hook);
	fprintf(out, "\t\t# attlsd's own connections (SO_MARK intercept_mark) are never diverted\n");
	fprintf(out, "\t\tmeta mark %u return\n", p->settings.intercept_mark);
	if (mode == POLICY_INTERCEPT_TPROXY)
		fprintf(out, "\t\t# packets of connections attlsd already holds\n"
			     "\t\tmeta l4proto tcp socket transparent 1 meta mark set %u accept\n",
			p->settings.intercept_route_mark);
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (r->intercept == mode && (r->direction == POLICY_DIR_OUTBOUND) == outbound)
			ctl_intercept_rule(out, p, r, mode, outbound);
	}
	fprintf(out, "\t}\n");
}

/* The backend's replies to a client address attlsd borrowed must come back
 * to attlsd, not leave for the real client: conntrack remembers attlsd's
 * connections and their replies are routed to the local route. */
static void
ctl_intercept_preserve(FILE *out, const struct policy *p)
{
	if (!ctl_intercept_any(p, 0, false, true))
		return;
	fprintf(out, "\tchain preserve_source {\n\t\ttype route hook output priority mangle; "
		     "policy accept;\n");
	fprintf(out, "\t\tmeta mark %u ct state new ct mark set %u\n", p->settings.intercept_mark,
		p->settings.intercept_route_mark);
	fprintf(out, "\t\tct direction reply ct mark %u meta mark set %u\n",
		p->settings.intercept_route_mark, p->settings.intercept_route_mark);
	fprintf(out, "\t}\n");
}

static void
ctl_intercept_ruleset(FILE *out, const struct policy *p)
{
	/* "table; delete table; table {...}" in one file is one transaction: an
	 * old table is replaced atomically, a missing one is no error. */
	fprintf(out, "table inet %s\ndelete table inet %s\ntable inet %s {\n", CTL_INTERCEPT_TABLE,
		CTL_INTERCEPT_TABLE, CTL_INTERCEPT_TABLE);
	ctl_intercept_chain(out, p, "inbound_redirect", "type nat hook prerouting priority dstnat",
			    POLICY_INTERCEPT_REDIRECT, false);
	ctl_intercept_chain(out, p, "outbound_redirect", "type nat hook output priority -100",
			    POLICY_INTERCEPT_REDIRECT, true);
	ctl_intercept_chain(out, p, "inbound_tproxy", "type filter hook prerouting priority mangle",
			    POLICY_INTERCEPT_TPROXY, false);
	ctl_intercept_preserve(out, p);
	fprintf(out, "}\n");
}

static bool
ctl_intercept_needs_route(const struct policy *p)
{
	return ctl_intercept_any(p, POLICY_INTERCEPT_TPROXY, false, false) ||
	       ctl_intercept_any(p, 0, false, true);
}

/* Which families the routed listeners use: bit 0 IPv4, bit 1 IPv6. */
static unsigned
ctl_intercept_route_families(const struct policy *p)
{
	unsigned fam = 0;
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (r->intercept == POLICY_INTERCEPT_TPROXY || r->preserve_source)
			fam |= ctl_intercept_host_v6(p->listeners[r->listener].host) ? 2u : 1u;
	}
	return fam;
}

/* The policy routing, one step per family and kind: the rule "fwmark
 * ROUTE_MARK lookup TABLE" and the route "local default dev lo" in TABLE. */
struct ctl_intercept_step {
	int family; /* 4 or 6 */
	bool route; /* false: the ip rule */
};

static size_t
ctl_intercept_steps(const struct policy *p, struct ctl_intercept_step steps[4])
{
	unsigned fam = ctl_intercept_route_families(p), f;
	size_t n = 0;

	if (!ctl_intercept_needs_route(p))
		return 0;
	for (f = 1; f <= 2; f++)
		if (fam & f) {
			steps[n++] = (struct ctl_intercept_step){ f == 1 ? 4 : 6, false };
			steps[n++] = (struct ctl_intercept_step){ f == 1 ? 4 : 6, true };
		}
	return n;
}

/* ip -F rule|route VERB ...: the argument vector in 'buf'. */
static void
ctl_intercept_ip(const struct policy *p, const struct ctl_intercept_step *s, const char *verb,
		 char buf[10][24], char *argv[11])
{
	size_t i, n = 0;

	snprintf(buf[n++], 24, "ip");
	snprintf(buf[n++], 24, "-%d", s->family);
	if (!s->route) {
		snprintf(buf[n++], 24, "rule");
		snprintf(buf[n++], 24, "%s", verb);
		snprintf(buf[n++], 24, "fwmark");
		snprintf(buf[n++], 24, "%u", p->settings.intercept_route_mark);
		snprintf(buf[n++], 24, "lookup");
	} else {
		snprintf(buf[n++], 24, "route");
		snprintf(buf[n++], 24, "%s", verb);
		snprintf(buf[n++], 24, "local");
		snprintf(buf[n++], 24, s->family == 4 ? "0.0.0.0/0" : "::/0");
		snprintf(buf[n++], 24, "dev");
		snprintf(buf[n++], 24, "lo");
		snprintf(buf[n++], 24, "table");
	}
	snprintf(buf[n++], 24, "%u", p->settings.intercept_table);
	for (i = 0; i < n; i++)
		argv[i] = buf[i];
	argv[n] = NULL;
}

/* Runs argv (stdout to out_fd if >= 0; quiet: to /dev/null, stderr too) and
 * waits: 0 if it exited 0, ATTLS_EIO if it failed, ATTLS_ESYS if it could not
 * be run. */
static int
ctl_intercept_spawn(char *const argv[], int out_fd, bool quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	else if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "attlsctl: cannot run %s: %s\n", argv[0], strerror(r));
		return ATTLS_ESYS;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return ATTLS_ESYS;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ATTLS_EIO;
}

static int
ctl_intercept_run(char *const argv[], bool quiet)
{
	return ctl_intercept_spawn(argv, -1, quiet);
}

/* A command's standard output (at most len-1 bytes) in 'buf'. */
static int
ctl_intercept_output(char *const argv[], char *buf, size_t len)
{
	char path[] = "/tmp/attlsctl-out.XXXXXX";
	int fd = mkstemp(path), r;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return ATTLS_ESYS;
	unlink(path);
	r = ctl_intercept_spawn(argv, fd, true);
	if (r == 0 && (n = pread(fd, buf, len - 1, 0)) >= 0)
		buf[n] = '\0';
	close(fd);
	return r;
}

/* Is the step's rule or route there already (from an earlier "up")? */
static bool
ctl_intercept_present(const struct policy *p, const struct ctl_intercept_step *s)
{
	char fam[4], table[16], want[64], out[8192];
	char *rule[] = { "ip", fam, "rule", "show", NULL };
	char *route[] = { "ip", fam, "route", "show", "table", table, NULL };
	char *line;

	snprintf(fam, sizeof(fam), "-%d", s->family);
	snprintf(table, sizeof(table), "%u", p->settings.intercept_table);
	if (ctl_intercept_output(s->route ? route : rule, out, sizeof(out)) != 0)
		return false;
	if (s->route)
		snprintf(want, sizeof(want), "local default dev lo");
	else
		snprintf(want, sizeof(want), "fwmark 0x%x lookup %u", p->settings.intercept_route_mark,
			 p->settings.intercept_table);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *at = s->route ? (strncmp(line, want, strlen(want)) == 0 ? line : NULL)
				    : strstr(line, want);
		if (at && (at[strlen(want)] == ' ' || at[strlen(want)] == '\0'))
			return true;
	}
	return false;
}

static void
ctl_intercept_plan(const struct policy *p, FILE *out)
{
	struct ctl_intercept_step steps[4];
	char buf[10][24], *argv[11];
	size_t i, j, n = ctl_intercept_steps(p, steps);

	fprintf(out, "# nft -f - (attlsctl intercept up applies this atomically)\n");
	ctl_intercept_ruleset(out, p);
	if (n)
		fprintf(out, "# policy routing: packets marked %u are delivered locally\n",
			p->settings.intercept_route_mark);
	for (i = 0; i < n; i++) {
		ctl_intercept_ip(p, &steps[i], "add", buf, argv);
		for (j = 0; argv[j]; j++)
			fprintf(out, "%s%s", j ? " " : "", argv[j]);
		fprintf(out, "\n");
	}
}

/* nft -f of what 'write' prints. */
static int
ctl_intercept_nft(const struct policy *p, const char *saved)
{
	char path[] = "/tmp/attlsctl-intercept.XXXXXX";
	char *nft[] = { "nft", "-f", path, NULL };
	FILE *f;
	int fd, r;

	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "attlsctl: cannot write a temporary file: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return ATTLS_ESYS;
	}
	if (saved)
		fprintf(f, "table inet %s\ndelete table inet %s\n%s", CTL_INTERCEPT_TABLE,
			CTL_INTERCEPT_TABLE, saved);
	else
		ctl_intercept_ruleset(f, p);
	r = fclose(f) == 0 ? ctl_intercept_run(nft, false) : ATTLS_EIO;
	unlink(path);
	return r;
}

static void
ctl_intercept_drop_table(void)
{
	char *list[] = { "nft", "list", "table", "inet", CTL_INTERCEPT_TABLE, NULL };
	char *del[] = { "nft", "delete", "table", "inet", CTL_INTERCEPT_TABLE, NULL };

	if (ctl_intercept_run(list, true) == 0)
		(void)ctl_intercept_run(del, false);
}

/* All or nothing: the nft table is replaced in one transaction; then each
 * missing ip rule and route is added. If one fails, what this run added is
 * deleted again and the table put back as it was (or deleted). */
static int
ctl_intercept_up(const struct policy *p)
{
	char *list[] = { "nft", "list", "table", "inet", CTL_INTERCEPT_TABLE, NULL };
	struct ctl_intercept_step steps[4];
	char buf[10][24], *argv[11], *saved = NULL;
	bool added[4] = { false };
	size_t i, n = ctl_intercept_steps(p, steps);
	int code = 0;

	if ((saved = malloc(1u << 20)) && ctl_intercept_output(list, saved, 1u << 20) != 0) {
		free(saved);
		saved = NULL; /* no table before */
	}
	if (ctl_intercept_nft(p, NULL) != 0) {
		fprintf(stderr, "attlsctl: nft rejected the interception rules; nothing changed\n");
		code = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (ctl_intercept_present(p, &steps[i]))
			continue;
		ctl_intercept_ip(p, &steps[i], "add", buf, argv);
		if (ctl_intercept_run(argv, false) != 0) {
			fprintf(stderr, "attlsctl: %s %s %s add failed (a conflicting %s in table %u?); "
					"rolling back\n",
				argv[0], argv[1], argv[2], argv[2], p->settings.intercept_table);
			code = 1;
			break;
		}
		added[i] = true;
	}
	if (!code)
		goto out;
	while (i-- > 0) {
		if (!added[i])
			continue;
		ctl_intercept_ip(p, &steps[i], "del", buf, argv);
		if (ctl_intercept_run(argv, false) != 0)
			fprintf(stderr, "attlsctl: rollback: %s %s %s del failed\n", argv[0], argv[1],
				argv[2]);
	}
	if (saved ? ctl_intercept_nft(p, saved) != 0 : (ctl_intercept_drop_table(), false))
		fprintf(stderr, "attlsctl: rollback: the previous nft table could not be restored\n");
	else
		fprintf(stderr, "attlsctl: intercept up failed; nothing changed\n");
out:
	free(saved);
	return code;
}

/* Deletes the table and this policy's ip rules and local routes (only
 * those: other routes in the table are not attlsctl's). */
static int
ctl_intercept_down(const struct policy *p)
{
	char *list[] = { "nft", "list", "table", "inet", CTL_INTERCEPT_TABLE, NULL };
	char *del[] = { "nft", "delete", "table", "inet", CTL_INTERCEPT_TABLE, NULL };
	struct ctl_intercept_step steps[4];
	char buf[10][24], *argv[11];
	size_t i, n = ctl_intercept_steps(p, steps);
	int code = 0;

	if (ctl_intercept_run(list, true) == 0 && ctl_intercept_run(del, false) != 0)
		code = 1;
	for (i = 0; i < n; i++) {
		ctl_intercept_ip(p, &steps[i], "del", buf, argv);
		while (ctl_intercept_run(argv, true) == 0)
			;
	}
	return code;
}

int
ctl_intercept(int argc, char **argv)
{
	struct policy *p;
	int code;

	if (argc != 3 || (strcmp(argv[1], "plan") && strcmp(argv[1], "up") &&
			  strcmp(argv[1], "down"))) {
		fprintf(stderr, "usage: attlsctl intercept plan|up|down POLICY\n");
		return 1;
	}
	if (!(p = ctl_policy_load(argv[2])))
		return 1;
	if (!ctl_intercept_any(p, POLICY_INTERCEPT_REDIRECT, false, false) &&
	    !ctl_intercept_any(p, POLICY_INTERCEPT_REDIRECT, true, false) &&
	    !ctl_intercept_any(p, POLICY_INTERCEPT_TPROXY, false, false))
		fprintf(stderr, "attlsctl: warning: %s has no rule with intercept; nothing is "
				"diverted\n",
			argv[2]);
	if (strcmp(argv[1], "plan") == 0) {
		ctl_intercept_plan(p, stdout);
		code = fflush(stdout) == 0 ? 0 : 1;
	} else if (strcmp(argv[1], "up") == 0) {
		code = ctl_intercept_up(p);
	} else {
		code = ctl_intercept_down(p);
	}
	policy_unref(p);
	return code;
}

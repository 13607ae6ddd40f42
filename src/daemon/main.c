/* SPDX-License-Identifier: Apache-2.0 */
/* attlsd: command line, check modes (-t, -T), exit codes; no logic of its own. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "daemon.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "usage.h"
#include "policy/diag.h"
#include "common/log.h"
#include "common/rc.h"
#include "runtime/runtime.h"
#include "diag/capture.h"
#include "tls/keyload.h"
#include "tls/keyring_lint.h"
#include "tls/tls.h"

static void
list_rc(void)
{
	const struct rc_info *t;
	unsigned n, i;

	t = rc_table(&n);
	printf("| RC | Name | Meaning | Fix |\n|---:|---|---|---|\n");
	for (i = 0; i < n; i++)
		printf("| %d | %s | %s | %s |\n", t[i].rc, t[i].name, t[i].meaning, t[i].fix);
}

/* -t and -T: the policy, then its TLS contexts and addresses, as at start-up. */
static int
check_only(struct policy *p, int dump)
{
	struct rt_gen *g;

	if (rt_gen_new(p, &g) != 0) {
		fprintf(stderr, "attlsd: %s: policy not usable\n", p->path);
		return 1;
	}
	rt_gen_unref(g);
	if (dump)
		policy_dump(p, stdout);
	fprintf(stderr, "attlsd: %s: policy OK (%zu rules, %zu listeners)\n", p->path, p->nrules,
		p->nlisteners);
	return 0;
}

int
main(int argc, char **argv)
{
	struct option longopts[USAGE_MAX_OPTS];
	char shortopts[64];
	struct daemon_opts o = { .policy_path = USAGE_DEFAULT_POLICY };
	struct diag_list dl;
	struct policy *p = NULL;
	struct privdrop priv;
	int ch, test = 0, dump = 0, debug = 0, code;
	char *end, errbuf[512];

	/* key_log secrets go into the capture of the connection they belong to. */
	tls_ctx_set_keylog_sink(capture_keylog_cb);
	usage_getopt(longopts, shortopts);
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o.policy_path = optarg;
			break;
		case 'F':
			o.foreground = true;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			test = dump = 1;
			break;
		case 'w':
			o.workers = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.workers == 0 || o.workers > 256) {
				fprintf(stderr, "attlsd: -w wants a number from 1 to 256\n");
				return 1;
			}
			break;
		case 'p':
			o.pidfile = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage_print(stdout);
			return 0;
		case 'V':
			printf("attlsd %s (%s%s)\n", PACKAGE_VERSION, OpenSSL_version(OPENSSL_VERSION),
			       sdnotify_available() ? "; systemd" : "");
			return 0;
		case USAGE_LIST_RC:
			list_rc();
			return 0;
		case USAGE_LIST_KEYS:
			policy_schema_doc(stdout);
			return 0;
		case USAGE_MAN:
			policy_schema_man(stdout);
			return 0;
		case USAGE_MAN8:
			usage_man(stdout);
			return 0;
		default:
			usage_print(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "attlsd: unexpected argument \"%s\"\n", argv[optind]);
		usage_print(stderr);
		return 1;
	}
	/* Local time conditions follow TZ as it is at start-up. */
	tzset();
	/* Start-up and check modes always report on stderr. */
	log_open("attlsd", true, LOG_DAEMON);
	log_set_level(debug ? LOG_DEBUG : LOG_INFO);
	diag_list_init(&dl);
	if (policy_load(o.policy_path, &p, &dl) != 0) {
		diag_print(&dl, stderr);
		fprintf(stderr, "attlsd: %u error%s, %u warning%s; policy not loaded\n", dl.errors,
			dl.errors == 1 ? "" : "s", dl.warnings, dl.warnings == 1 ? "" : "s");
		diag_list_cleanup(&dl);
		return 1;
	}
	diag_print(&dl, stderr);
	diag_list_cleanup(&dl);
	/* Who attlsd becomes decides who must be able to read the keys: known
	 * before the first key is loaded, also for -t. */
	if (privdrop_plan(p, &priv, &code, errbuf, sizeof(errbuf)) != 0) {
		log_error("%s: cannot start: RC %d: %s", p->path, code, errbuf);
		policy_unref(p);
		return 1;
	}
	keyload_set_reader(priv.uid, priv.gid);
	o.priv = &priv;
	/* A PKCS#11 module is loaded now, before anything would give up privileges. */
	if (keyload_start(p, &code, errbuf, sizeof(errbuf)) != 0) {
		log_error("%s: cannot start: RC %d: %s", p->path, code, errbuf);
		policy_unref(p);
		return 1;
	}
	keyring_lint_log(p);
	capture_key_log_warn(p);
	if (capture_dir_check(p, priv.uid, !test, errbuf, sizeof(errbuf)) != 0) {
		log_error("%s: cannot start: %s", p->path, errbuf);
		policy_unref(p);
		keyload_stop();
		return 1;
	}
	if (test) {
		code = check_only(p, dump);
	} else {
		code = daemon_run(&o, p);
	}
	policy_unref(p);
	keyload_stop();
	log_close();
	return code;
}

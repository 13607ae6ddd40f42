/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: attlsctl triage's capture reader (cli/ctl_triage.c: pcap,
 * link layers, IPv4/IPv6, TCP reassembly, TLS records) and the replay of each
 * ClientHello found against a rule with a real key (cli/triage_replay.c). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pcap/pcap.h>

#include "cli/ctl_triage.h"
#include "cli/triage_replay.h"
#include "policy/diag.h"
#include "policy/policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy *fuzz_policy;
static struct triage_replay *fuzz_replay; /* its TLS contexts built once, kept */

/* A self-signed P-256 certificate and key in 'dir', for the rule's keyring. */
static int
fuzz_keyring(const char *dir)
{
	char path[512];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f;
	int ok = 0;

	if (!k || !x)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	if (!X509_sign(x, k, EVP_sha256()))
		goto out;
	snprintf(path, sizeof(path), "%s/fuzz.crt", dir);
	if (!(f = fopen(path, "w")))
		goto out;
	ok = PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/fuzz.key", dir);
	if (!ok || !(f = fopen(path, "w")))
		goto out;
	ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
	fclose(f);
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz_triage.XXXXXX", *yaml = NULL;
	struct diag_list dl;
	int n;

	(void)argc;
	(void)argv;
	/* The report goes to stdout; libFuzzer's own output is on stderr. */
	if (!freopen("/dev/null", "w", stdout) || !mkdtemp(dir) || fuzz_keyring(dir) != 0)
		abort();
	n = asprintf(&yaml,
		     "keyrings:\n  ring: { certificate: \"%s/fuzz.crt\", key: \"%s/fuzz.key\" }\n"
		     "groups:\n  g: { enabled: On }\n"
		     "environments:\n  e: { handshake_role: Server, keyring: ring }\n"
		     "  e12: { handshake_role: Server, keyring: ring, tls_v1_3: Off }\n"
		     "rules:\n"
		     "  r443: { priority: 100, direction: Inbound, local_port: 443, group: g,"
		     " environment: e, backend: \"127.0.0.1:8080\" }\n"
		     "  rseed: { priority: 50, direction: Inbound, local_port: 20440-20447, group: g,"
		     " environment: e12, backend: \"127.0.0.1:8080\" }\n",
		     dir, dir);
	diag_list_init(&dl);
	if (n < 0 || policy_parse("fuzz.yaml", yaml, strlen(yaml), NULL, &fuzz_policy, &dl) != 0) {
		diag_print(&dl, stderr);
		abort();
	}
	diag_list_cleanup(&dl);
	free(yaml);
	if (triage_replay_new(fuzz_policy, &fuzz_replay) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "rb")))
		return 0;
	if (!(pc = pcap_fopen_offline(f, err))) { /* takes 'f' on success only */
		fclose(f);
		return 0;
	}
	(void)ctl_triage_pcap(fuzz_policy, fuzz_replay, pc, false);
	pcap_close(pc);
	return 0;
}

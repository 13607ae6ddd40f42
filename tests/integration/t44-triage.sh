#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# attlsctl triage --pcap FILE --policy POLICY, offline, on attlsd's own captures
# (capture: all) and, when tcpdump can capture on lo, on a tcpdump file. Each
# client provokes one verdict; triage must give the RC attlsd logged, and read
# the server's side of the capture (ServerHello, alerts and who sent them):
#   Python ssl, good                          -> passes (TLSv1.3, group, signature, certificate)
#   s_client -cipher AES128-SHA               -> 402, no suite in common; the server sent the alert
#   s_client -tls1_2 to a TLS 1.3 rule        -> 412
#   s_client -sigalgs ecdsa_secp256r1_sha256  -> 467, our key is RSA
#   s_client -tls1_2 -sigalgs rsa_pkcs1_sha256, signature_pairs PSS only -> 467
#   s_client -groups X25519, server_key_share_groups P-256 only -> 402, no common group
#   s_client -tls1_2 -curves X25519, server_kex_ecurves P-256 only -> 402
#   Python ssl, TLS 1.2, only ECDHE-ECDSA suites, RSA certificate -> 402, key type
#   s_client -groups X25519:P-256 (same rule) -> passes after a HelloRetryRequest
#   s_client -tls1_2 -verify_return_error, expired certificate -> 401; the client sent alert certificate expired
#   s_client -tls1_3 -verify_hostname wrong.example            -> 406; the client sent alert bad certificate
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

ATTLSCTL=${ATTLSCTL:-$T_TOP/attlsctl}
[[ -x $ATTLSCTL ]] || t_fail "attlsctl not found: $ATTLSCTL"
start_backend echo
read -r p_all p_13 p_sig p_exp <<<"$(free_ports 4)"
cap=$T_TMP/cap
policy_new
policy_settings "capture_dir: $cap"
policy_keyring ring1 server
policy_keyring ring-exp expired-server
policy_group grp-on
policy_add signatures pss-p256 'signature_pairs: [rsa_pss_rsae_sha256]' \
	'server_key_share_groups: "0023"' 'server_kex_ecurves: "0023"'
policy_env env-all Server ring1 'capture: all'
policy_env env-13 Server ring1 'tls_v1_2: Off' 'capture: all'
policy_env env-sig Server ring1 'signatures: pss-p256' 'capture: all'
policy_env env-exp Server ring-exp 'capture: all'
policy_rule all "$p_all" env-all "127.0.0.1:$BACKEND_PORT"
policy_rule only13 "$p_13" env-13 "127.0.0.1:$BACKEND_PORT"
policy_rule sig "$p_sig" env-sig "127.0.0.1:$BACKEND_PORT"
policy_rule exp "$p_exp" env-exp "127.0.0.1:$BACKEND_PORT"
policy=$(policy_file)
attlsd_start "$policy"

dump=
if command -v tcpdump >/dev/null 2>&1; then
	tcpdump -i lo -U --immediate-mode -w "$T_TMP/lo.pcap" \
		"tcp port $p_all or tcp port $p_13 or tcp port $p_sig or tcp port $p_exp" >"$T_TMP/tcpdump.log" 2>&1 &
	tpid=$!
	t_track "$tpid"
	wait_until 5 p_ready_or_dead "$T_TMP/tcpdump.log" "$tpid"
	grep -q 'listening on' "$T_TMP/tcpdump.log" && dump=$T_TMP/lo.pcap
	[[ -n $dump ]] || t_log "tcpdump cannot capture on lo here; only attlsd's captures are triaged"
fi

# newcap VAR: waits until attlsd has written the capture file of the next
# connection (CONNIDs count up from 1; a file is named by its CONNID and is
# written at the connection's end, which may follow its EZD line); sets VAR.
ncap=0
newcap() {
	local f
	ncap=$((ncap + 1))
	f=$(printf '%s/%08X-' "$cap" "$ncap")
	wait_until 10 compgen -G "$f*.pcap" >/dev/null ||
		t_fail "attlsd wrote no capture file for connection $ncap"
	f=$(compgen -G "$f*.pcap")
	wait_file "$f" || t_fail "capture file $f stays empty"
	printf -v "$1" '%s' "$f"
}

tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_all" text:ping shut recv >"$T_TMP/ok" 2>&1 ||
	{ cat "$T_TMP/ok"; t_fail "good client failed"; }
newcap c_good
expect_no_error
sclient "$p_all" -tls1_2 -cipher AES128-SHA
expect_rc 402 "$p_all"
newcap c402
sclient "$p_13" -tls1_2
expect_rc 412 "$p_13"
newcap c412
sclient "$p_all" -tls1_3 -sigalgs ecdsa_secp256r1_sha256
expect_rc 467 "$p_all"
newcap c467k
sclient "$p_sig" -tls1_2 -sigalgs rsa_pkcs1_sha256
expect_rc 467 "$p_sig"
newcap c467p
sclient "$p_sig" -tls1_3 -groups X25519
expect_rc 402 "$p_sig"
newcap c402g
sclient "$p_sig" -tls1_2 -curves X25519
expect_rc 402 "$p_sig"
newcap c402c
tlsclient --ca "$T_PKI/ca.crt" --tls 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 --timeout 10 "127.0.0.1:$p_all" text:x >"$T_TMP/py402" 2>&1 &&
	t_fail "Python ssl with an ECDSA-only suite got through to an RSA certificate"
expect_rc 402 "$p_all"
newcap c402py
sclient -o "$T_TMP/hrr.out" "$p_sig" -tls1_3 -groups X25519:P-256
grep -q '^New, TLSv1.3' "$T_TMP/hrr.out" || { cat "$T_TMP/hrr.out"; t_fail "s_client -groups X25519:P-256 did not connect"; }
newcap c_hrr
expect_no_error
# Python's ssl closes without an alert when it refuses a certificate; s_client
# with -verify_return_error sends one, which attlsd must attribute to the client.
sclient "$p_exp" -tls1_2 -CAfile "$T_PKI/ca.crt" -verify_return_error
expect_rc 401 "$p_exp"
assert_match "401: the cause line names the client's alert and our certificate" \
	"the peer sent alert certificate expired.*we presented certificate \"/O=attls/CN=localhost\" \(issuer \"/O=attls/CN=attls Test CA\", notAfter Jan  2 00:00:00 2020 GMT: expired" \
	"$(grep 'ATL1288I.* RC:  401' "$ATTLSD_LOG")"
newcap c401
sclient "$p_all" -tls1_3 -CAfile "$T_PKI/ca.crt" -verify_return_error -servername wrong.example -verify_hostname wrong.example
expect_rc 406 "$p_all"
assert_match "406: the cause line names the certificate's names and the SNI" \
	"the peer sent alert bad certificate.*names DNS:localhost\); the peer asked for wrong\.example" \
	"$(grep 'ATL1288I.* RC:  406' "$ATTLSD_LOG")"
newcap c406

# p_hellos_in FILE N: attlsctl triage finds N ClientHellos in FILE.
p_hellos_in() {
	[[ $("$ATTLSCTL" triage --pcap "$1" --policy "$policy" 2>/dev/null | head -n 1) == "$2 ClientHello(s),"* ]]
}

# triage FILE WANT-STATUS: runs attlsctl triage, checks its exit status, prints its output.
triage() {
	local out st
	out=$("$ATTLSCTL" triage --pcap "$1" --policy "$policy" 2>&1)
	st=$?
	[[ $st == "$2" ]] || { echo "$out"; t_fail "attlsctl triage $1: exit $st, expected $2"; }
	printf '%s\n' "$out"
}

out=$(triage "$c_good" 0)
assert_match "good: rule all matched" "rule: all \(priority 100\)" "$out"
assert_match "good: verdict names what would be negotiated" \
	'verdict: passes: TLSv1\.3 with 13.. TLS_[A-Z0-9_]+, group [a-zA-Z0-9]+, signature 08.. rsa_pss_rsae_sha[0-9]+, certificate "/O=attls/CN=localhost" \(RSA-2048 key' "$out"
assert_match "good: the capture shows the ServerHello" "capture: the server sent ServerHello TLSv1\.3 13" "$out"
assert_match "good: a keyring lint section" '^keyring lint \(today\), for the keyrings of the rules above:$' "$out"
assert_match "good: lint of the rule's keyring (a note: no trusted_ca, leaf only)" \
	'^  keyring "ring1" \(.*\): note: certificate "/O=attls/CN=localhost"' "$out"
assert_no_match "good: no lint of keyrings no rule of the capture uses" 'keyring "ring-exp"' "$out"
out=$(triage "$c402" 1)
assert_match "402: verdict" "verdict: fails with RC 402: .*the peer offered TLSv1\.2 with suites 002F AES128-SHA.*no suite in common" "$out"
assert_match "402: the server sent the alert" "capture: the server sent alert handshake failure \(fatal\)" "$out"
out=$(triage "$c412" 1)
assert_match "412: rule only13" "rule: only13" "$out"
assert_match "412: verdict" "verdict: fails with RC 412: .*the peer offered TLSv1\.2 .*rule only13 allows TLSv1\.3" "$out"
assert_match "412: the server sent the alert" "capture: the server sent alert protocol version" "$out"
out=$(triage "$c467k" 1)
assert_match "467 (key type): verdict" "verdict: fails with RC 467: .*the peer offered signature algorithms 0403; rule all allows the library defaults" "$out"
assert_match "467 (key type): the server sent the alert" "capture: the server sent alert handshake failure" "$out"
out=$(triage "$c467p" 1)
assert_match "467 (signature_pairs): verdict" "rule: sig .*verdict: fails with RC 467: .*offered signature algorithms 0401; rule sig allows 0804" "$(tr '\n' ' ' <<<"$out")"
out=$(triage "$c402g" 1)
assert_match "402 (groups): verdict" "verdict: fails with RC 402: .*no key-exchange group in common: the peer offered groups 001D, rule sig allows 0017" "$out"
out=$(triage "$c402c" 1)
assert_match "402 (TLS 1.2 curves): verdict" "verdict: fails with RC 402: .*no key-exchange group in common: the peer offered groups 001D, rule sig allows 0017" "$out"
out=$(triage "$c402py" 1)
assert_match "402 (Python ssl, ECDSA suite, RSA key): verdict" \
	"verdict: fails with RC 402: .*C02B is allowed by both but needs an ECDSA certificate and ours is RSA" "$out"
assert_match "402 (Python ssl): the server sent the alert" "capture: the server sent alert handshake failure" "$out"
out=$(triage "$c_hrr" 0)
assert_match "HelloRetryRequest: verdict" "verdict: passes: TLSv1\.3 .*group (secp256r1|prime256v1|P-256).*after a HelloRetryRequest" "$out"
assert_match "HelloRetryRequest: the capture shows it" "capture: the server sent HelloRetryRequest \(TLSv1\.3\), then the server sent ServerHello TLSv1\.3" "$out"
out=$(triage "$c401" 1)
assert_match "401: verdict" "verdict: fails with RC 401: the certificate \"/O=attls/CN=localhost\" we present expired on 2020-01-02" "$out"
assert_match "401: the client sent the alert" "the client sent alert certificate expired \(fatal\)" "$out"
assert_match "401: keyring lint says it too" '^  keyring "ring-exp" .*: RC 401: certificate "/O=attls/CN=localhost" in .*/expired-server.crt expired on 2020-01-02' "$out"
out=$(triage "$c406" 1)
assert_match "406 (SNI): verdict" "verdict: fails with RC 406: the client asked for SNI wrong\.example, but certificate \"/O=attls/CN=localhost\" we present names DNS:localhost" "$out"
assert_match "406 (SNI): the client sent the alert (before its handshake keys: in clear)" \
	"capture: the server sent ServerHello TLSv1\.3 1302, then the server sent [0-9]+ encrypted records; the client sent alert bad certificate \(fatal\)" "$out"

# The policy given to triage need not be the one that was in force: with the
# expired certificate on the good client's rule, the capture contradicts it.
sed 's/env-all: { handshake_role: Server, keyring: ring1,/env-all: { handshake_role: Server, keyring: ring-exp,/' \
	"$policy" >"$T_TMP/other.yaml"
out=$("$ATTLSCTL" triage --pcap "$c_good" --policy "$T_TMP/other.yaml" 2>&1)
assert_match "another policy: the verdict changes" "verdict: fails with RC 401" "$out"
assert_match "another policy: the capture disagrees" "note: the client in the capture went on past our certificate without an alert" "$out"
sed 's/env-all: { handshake_role: Server, keyring: ring1,/env-all: { handshake_role: Server, keyring: ring1, tls_v1_3: Off,/' \
	"$policy" >"$T_TMP/other12.yaml"
out=$("$ATTLSCTL" triage --pcap "$c_hrr" --policy "$T_TMP/other12.yaml" 2>&1)
assert_match "another policy (TLS 1.3 off on rule all only): rule sig still passes" "verdict: passes" "$out"
out=$("$ATTLSCTL" triage --pcap "$c467k" --policy "$T_TMP/other12.yaml" 2>&1)
assert_match "another policy (TLS 1.3 off): the TLS 1.3-only client now fails with 412" "verdict: fails with RC 412" "$out"
out=$("$ATTLSCTL" triage --pcap "$c_good" --policy "$T_TMP/other12.yaml" 2>&1)
assert_match "another policy (TLS 1.3 off): the good client would get TLS 1.2" "verdict: passes: TLSv1\.2" "$out"
sed 's/env-all: { handshake_role: Server, keyring: ring1,/env-all: { handshake_role: Server, keyring: ring1, tls_v1_2: Off, tls_v1_3: Off, tls_v1_1: On,/' \
	"$policy" >"$T_TMP/other11.yaml"
out=$("$ATTLSCTL" triage --pcap "$c_good" --policy "$T_TMP/other11.yaml" 2>&1)
assert_match "another policy (TLS 1.1 only): the server refuses" "verdict: fails with RC" "$out"
assert_match "another policy (TLS 1.1 only): the capture's ServerHello contradicts it" "note: the server in the capture answered with a ServerHello" "$out"

if [[ -n $dump ]]; then
	# --immediate-mode: otherwise libpcap hands packets over per ring block
	# (up to tcpdump's 1 s timeout) and SIGINT can drop the last block. Stop it
	# once the file holds all 11 ClientHellos (the assertion below says if not).
	wait_until 10 p_hellos_in "$dump" 11
	kill -INT "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	out=$(triage "$dump" 1)
	assert_match "tcpdump file: 11 hellos, 9 failing" "^11 ClientHello\(s\), 9 would fail$" "$out"
	for want in "RC 402: .*no suite in common" "RC 412" "RC 467: .*rule all allows" "RC 467: .*rule sig allows" \
		"RC 401" "RC 406: the client asked for SNI"; do
		assert_match "tcpdump file: $want" "verdict: fails with $want" "$out"
	done
	assert_match "tcpdump file: the expired certificate's alert, from the client" \
		"the client sent alert certificate expired" "$out"
fi
attlsd_stop
t_done

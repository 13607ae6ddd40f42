#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Half-close through attlsd, with TLS 1.3 and TLS 1.2:
#  forward: the client sends data, then close_notify + TCP FIN; the backend sees EOF,
#           only then (after a delay) sends a 1 MiB reply; the client gets all of it.
#  reverse: the backend sends a greeting and shuts its write side first; the client
#           gets the greeting and then close_notify, and can still send 300 kB that
#           the backend receives intact before the client closes its side.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

REPLY=$((1024 * 1024))
GREET=200000
UP=300000

start_backend sink --bytes "$REPLY" --delay 0.5
fwd_port=$BACKEND_PORT fwd_report=$BACKEND_REPORT
start_backend early-close --bytes "$GREET"
rev_port=$BACKEND_PORT rev_report=$BACKEND_REPORT

read -r p_fwd p_rev <<<"$(free_ports 2)"
policy_new
policy_standard
policy_rule forward "$p_fwd" env-server "127.0.0.1:$fwd_port"
policy_rule reverse "$p_rev" env-server "127.0.0.1:$rev_port"
attlsd_start "$(policy_file)"
# TLS 1.3 defines half-close; with TLS 1.2 (RFC 5246 lets the receiver of close_notify
# close at once) attlsd relays it the same way, and this checks that it keeps doing so.
n=0
for v in 1.3 1.2; do
	n=$((n + 1))
	# ---- forward: client closes its write side first
	tlsclient --ca "$T_PKI/ca.crt" --tls "$v" --timeout 20 "127.0.0.1:$p_fwd" send:100000 shut recv >"$T_TMP/fwd.$v.out" 2>&1 ||
		{ cat "$T_TMP/fwd.$v.out"; t_fail "TLS $v forward half-close client failed"; }
	line=$(wait_report "$fwd_report" "^done conn=$n ") || t_fail "sink backend reported nothing"
	assert_eq "TLS $v forward: backend saw EOF after exactly the client's data" \
		"received=100000 received_sha256=$(kv "$T_TMP/fwd.$v.out" sent_sha256)" \
		"$(grep -o 'received=[0-9]* received_sha256=[0-9a-f]*' <<<"$line")"
	assert_match "TLS $v forward: backend read side ended by a clean EOF" ' end=eof$' "$line"
	assert_eq "TLS $v forward: client received the whole reply sent after its close_notify" \
		"$(grep -o 'sent=[0-9]* sent_sha256=[0-9a-f]*' <<<"$line")" \
		"sent=$(kv "$T_TMP/fwd.$v.out" received) sent_sha256=$(kv "$T_TMP/fwd.$v.out" received_sha256)"
	assert_eq "TLS $v forward: reply header" "received 100000 $(kv "$T_TMP/fwd.$v.out" sent_sha256)" "$(kv "$T_TMP/fwd.$v.out" first_line)"
	assert_eq "TLS $v forward: client read side ended with" close_notify "$(kv "$T_TMP/fwd.$v.out" eof)"
	expect_no_error

	# ---- reverse: backend closes its write side first
	tlsclient --ca "$T_PKI/ca.crt" --tls "$v" --timeout 20 "127.0.0.1:$p_rev" recv "send:$UP" shut >"$T_TMP/rev.$v.out" 2>&1 ||
		{ cat "$T_TMP/rev.$v.out"; t_fail "TLS $v reverse half-close client failed"; }
	assert_eq "TLS $v reverse: client got the greeting, then" close_notify "$(kv "$T_TMP/rev.$v.out" eof)"
	assert_eq "TLS $v reverse: greeting first line" HELLO "$(kv "$T_TMP/rev.$v.out" first_line)"
	line=$(wait_report "$rev_report" "^done conn=$n ") || t_fail "early-close backend reported nothing"
	assert_eq "TLS $v reverse: client received everything the backend sent" \
		"$(grep -o 'sent=[0-9]* sent_sha256=[0-9a-f]*' <<<"$line")" \
		"sent=$(kv "$T_TMP/rev.$v.out" received) sent_sha256=$(kv "$T_TMP/rev.$v.out" received_sha256)"
	assert_eq "TLS $v reverse: backend received what the client sent after close_notify" \
		"received=$UP received_sha256=$(kv "$T_TMP/rev.$v.out" sent_sha256)" \
		"$(grep -o 'received=[0-9]* received_sha256=[0-9a-f]*' <<<"$line")"
	assert_match "TLS $v reverse: backend read side ended by a clean EOF" ' end=eof$' "$line"
	expect_no_error
done

attlsd_stop
exit 0

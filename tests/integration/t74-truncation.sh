#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Truncation is visible: a TLS client that closes (TCP FIN) without close_notify
# (python ssl after 24 bytes; openssl s_client killed mid-session) gets its
# backend reset, not a clean EOF, and RC 5109 with a cause line naming the byte
# count; a client that sends close_notify still gives the backend a clean EOF;
# unexpected_eof: accept (a connection action) restores the clean EOF.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend sink
sink_port=$BACKEND_PORT sink_report=$BACKEND_REPORT
start_backend echo
echo_port=$BACKEND_PORT echo_report=$BACKEND_REPORT
start_backend sink
acc_port=$BACKEND_PORT acc_report=$BACKEND_REPORT

read -r p_sink p_echo p_acc <<<"$(free_ports 3)"
policy_new
policy_standard
policy_add connections conn-accept 'unexpected_eof: accept'
policy_rule strict "$p_sink" env-server "127.0.0.1:$sink_port"
policy_rule strict-echo "$p_echo" env-server "127.0.0.1:$echo_port"
policy_rule lenient "$p_acc" env-server "127.0.0.1:$acc_port" 'connection: conn-accept'
pol=$(policy_file)
out=$("$ATTLSD" -t -f "$pol" 2>&1) || {
	echo "$out"
	t_fail "attlsd -t refused a policy with unexpected_eof"
}
attlsd_start "$pol"
TC=(--ca "$T_PKI/ca.crt" --timeout 10)

# ---- python ssl: 24 bytes, then a bare FIN
tlsclient "${TC[@]}" "127.0.0.1:$p_sink" send:24 fin recv >"$T_TMP/trunc.out" 2>&1 ||
	{ cat "$T_TMP/trunc.out"; t_fail "client (24 bytes, bare FIN) failed"; }
line=$(wait_report "$sink_report" '^done conn=1 ') || t_fail "sink backend reported nothing"
assert_match "backend got the 24 bytes, then a reset (not a clean EOF)" \
	' received=24 .* end=reset$' "$line"
expect_rc 5109 "$p_sink"
assert_match "the cause says: no close_notify after 24 bytes, may be truncated" \
	'closed the connection \(TCP FIN\) without close_notify after 24 bytes: the data may be truncated' "$RC_CAUSE"
assert_match "the cause names the fix" 'unexpected_eof: accept' "$RC_CAUSE"

# ---- the same client with close_notify before its FIN: a clean EOF, no error
tlsclient "${TC[@]}" "127.0.0.1:$p_sink" send:24 shut recv >"$T_TMP/clean.out" 2>&1 ||
	{ cat "$T_TMP/clean.out"; t_fail "client (24 bytes, close_notify) failed"; }
line=$(wait_report "$sink_report" '^done conn=2 ') || t_fail "sink backend reported nothing"
assert_match "close_notify + FIN: the backend saw a clean EOF after 24 bytes" \
	' received=24 .* end=eof$' "$line"
assert_eq "close_notify + FIN: the client got the backend's close_notify" close_notify \
	"$(kv "$T_TMP/clean.out" eof)"
expect_no_error

# ---- openssl s_client killed mid-session (its FIN carries no close_notify;
# -ign_eof: its stdin, closed as it is killed, must not make it send one first)
sclient -s 'ping-74\n' -u '^ping-74' -x "$p_echo" "${SCLIENT_VERIFY[@]}" -ign_eof ||
	{ cat "$T_TMP/sclient.out"; t_fail "s_client got no echo"; }
line=$(wait_report "$echo_report" '^done conn=1 ') || t_fail "echo backend reported nothing"
assert_match "s_client gone without close_notify: the echo backend was reset" ' end=reset$' "$line"
expect_rc 5109 "$p_echo"

# ---- unexpected_eof: accept: the old behaviour, a bare FIN is a clean EOF
tlsclient "${TC[@]}" "127.0.0.1:$p_acc" send:24 fin recv >"$T_TMP/acc.out" 2>&1 ||
	{ cat "$T_TMP/acc.out"; t_fail "client (24 bytes, bare FIN) to the lenient rule failed"; }
line=$(wait_report "$acc_report" '^done conn=1 ') || t_fail "lenient sink backend reported nothing"
assert_match "unexpected_eof: accept: the backend saw a clean EOF after 24 bytes" \
	' received=24 .* end=eof$' "$line"
expect_no_error

attlsd_stop
exit 0
